/* SPDX-License-Identifier: MIT */
/*
 * tx.c - legacy transmit descriptor ring (SDM 3.3.3, 3.4).
 *
 * Software state: slots [next_clean, next_use) are in flight (owned by the
 * device); slot_buf[] remembers which pool buffer each in-flight slot carries,
 * so reclaim never has to trust an address the device could have rewritten.
 * One slot always stays empty (free_slots = ndesc - 1 - in_flight - parked),
 * so TDT == TDH means "nothing to do" to the device, never "everything".
 *
 * Report status: RS is set on the last descriptor of each submit call (and on
 * every TX_RS_INTERVAL-th one of a longer call), not on every descriptor, so
 * the device writes one DD per batch instead of one per frame (DPDK's e1000
 * PMD does the same).  The device writes DD only where RS is set and
 * processes descriptors in order (SDM 3.3.3.2), so a DD on a batch's RS
 * descriptor completes every descriptor of the batch: rs_slot[] names, for
 * each in-flight slot, the RS descriptor that completes it.
 */
#include "ring_internal.h"

#include <stdatomic.h>
#include <stdlib.h>

struct tx_ring {
	struct hal_dev       *hw;
	struct hal_dma        dma;
	struct e1000_tx_desc *desc;
	unsigned              ndesc;
	unsigned              mask;
	unsigned              next_clean;   /* oldest in-flight slot */
	unsigned              next_use;     /* next slot to fill == TDT */
	unsigned              in_flight;
	uint32_t             *slot_buf;     /* [ndesc] buffer of each in-flight slot */
	uint16_t             *rs_slot;      /* [ndesc] RS descriptor of each in-flight slot's batch */
	uint32_t             *parked;       /* [ndesc] in flight when hw_setup ran */
	unsigned              nparked;
	struct tx_ring_stats  st;
};

int tx_ring_create(struct hal_dev *hw, unsigned ndesc, struct tx_ring **out)
{
	struct tx_ring *r;
	int err;

	if (out)
		*out = NULL;
	if (!hw || !out || !ring_ndesc_valid(ndesc))
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->hw = hw;
	r->ndesc = ndesc;
	r->mask = ndesc - 1;
	r->slot_buf = calloc(ndesc, sizeof(*r->slot_buf));
	r->parked = calloc(ndesc, sizeof(*r->parked));
	r->rs_slot = calloc(ndesc, sizeof(*r->rs_slot));
	if (!r->slot_buf || !r->parked || !r->rs_slot) {
		err = -ENOMEM;
		goto fail;
	}
	/* dma_alloc returns zeroed, 4 KiB aligned memory: every descriptor
	 * starts with DD clear, and the base meets the 16-byte rule. */
	err = hal_dma_alloc(hw, (size_t)ndesc * sizeof(struct e1000_tx_desc), &r->dma);
	if (err < 0)
		goto fail;
	r->desc = r->dma.va;
	*out = r;
	return 0;

fail:
	tx_ring_destroy(r);
	return err;
}

void tx_ring_destroy(struct tx_ring *r)
{
	if (!r)
		return;
	/* Buffers still in flight are not ours to return (see ring.h); the
	 * pool shows them as taken. */
	hal_dma_free(r->hw, &r->dma);
	r->desc = NULL;
	free(r->rs_slot);
	free(r->parked);
	free(r->slot_buf);
	free(r);
}

static void txd_clear(struct e1000_tx_desc *d)
{
	DESC_STORE(d->buffer_addr, 0);
	DESC_STORE(d->length, 0);
	DESC_STORE(d->cmd, 0);
	DESC_STORE(d->status, 0);
}

void tx_ring_hw_setup(struct tx_ring *r)
{
	if (!r)
		return;
	/* The device never completed these and is stopped: park them for
	 * tx_ring_abort.  in_flight + nparked <= ndesc - 1 always holds (submit
	 * counts parked buffers against free slots), so parked cannot overflow. */
	while (r->in_flight > 0) {
		r->parked[r->nparked++] = r->slot_buf[r->next_clean];
		r->next_clean = (r->next_clean + 1) & r->mask;
		r->in_flight--;
	}
	for (unsigned i = 0; i < r->ndesc; i++)
		txd_clear(&r->desc[i]);
	r->next_clean = 0;
	r->next_use = 0;

	/* SDM 14.5: base, length, then head and tail both 0 (empty ring). */
	hal_wr32(r->hw, E1000_TDBAL, lo32(r->dma.iova));
	hal_wr32(r->hw, E1000_TDBAH, hi32(r->dma.iova));
	hal_wr32(r->hw, E1000_TDLEN, r->ndesc * (uint32_t)sizeof(struct e1000_tx_desc));
	hal_wr32(r->hw, E1000_TDH, 0);
	hal_wr32(r->hw, E1000_TDT, 0);
}

unsigned tx_ring_submit(struct tx_ring *r, struct pkt_pool *pool,
                        const struct pkt_ref *pkts, unsigned n)
{
	uint32_t limit, nbufs;
	unsigned i, room, idx, first;

	if (!r || !pool || !pkts || n == 0)
		return 0;
	limit = pkt_pool_buf_size(pool);
	if (limit > TX_DESC_LEN_MAX)
		limit = TX_DESC_LEN_MAX;
	nbufs = pkt_pool_size(pool);
	room = r->ndesc - 1 - r->in_flight - r->nparked;
	idx = r->next_use;
	first = idx;

	for (i = 0; i < n; i++) {
		const struct pkt_ref *p = &pkts[i];
		struct e1000_tx_desc *d = &r->desc[idx];

		if (i == room) {
			r->st.full++;
			break;
		}
		if (p->len == 0 || p->len > limit || p->buf >= nbufs) {
			r->st.rejected++;
			break;
		}
		DESC_STORE(d->buffer_addr, pkt_buf_iova(pool, p->buf));
		DESC_STORE(d->length, (uint16_t)p->len);
		DESC_STORE(d->cso, 0);
		DESC_STORE(d->cmd, (uint8_t)(E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS));
		DESC_STORE(d->status, 0);
		DESC_STORE(d->css, 0);
		DESC_STORE(d->special, 0);
		r->slot_buf[idx] = p->buf;
		idx = (idx + 1) & r->mask;
	}
	if (i == 0)
		return 0;

	/* RS on every TX_RS_INTERVAL-th descriptor and on the last; each slot
	 * remembers the RS descriptor at or after it. */
	for (unsigned k = 0; k < i; k += TX_RS_INTERVAL) {
		unsigned len = i - k < TX_RS_INTERVAL ? i - k : TX_RS_INTERVAL;
		unsigned rs = (first + k + len - 1) & r->mask;

		DESC_STORE(r->desc[rs].cmd, (uint8_t)(E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS |
		                                      E1000_TXD_CMD_RS));
		for (unsigned j = 0; j < len; j++)
			r->rs_slot[(first + k + j) & r->mask] = (uint16_t)rs;
	}
	r->next_use = idx;
	r->in_flight += i;
	r->st.submitted += i;
	/* Descriptors (and, before them, the caller's frame data) must be
	 * visible before the device can see the new tail: pairs with the device
	 * fetching descriptors only after it observed TDT. */
	atomic_thread_fence(memory_order_release);
	hal_wr32(r->hw, E1000_TDT, idx);
	r->st.tail_writes++;
	return i;
}

unsigned tx_ring_reclaim(struct tx_ring *r, uint32_t *bufs, unsigned max)
{
	unsigned got = 0;
	uint8_t status;

	if (!r || !bufs)
		return 0;
	while (got < max && r->in_flight > 0) {
		unsigned rs = r->rs_slot[r->next_clean];

		/* Acquire: pairs with the device's release store of DD after it
		 * finished reading the descriptors and buffers up to the RS one
		 * (in order), so handing the buffers back for reuse cannot
		 * overtake the device's reads.  DD elsewhere is not looked at. */
		status = DESC_LOAD_STATUS(r->desc[rs].status);
		if (!(status & E1000_TXD_STAT_DD))
			break;
		/* The batch's slots up to and including rs; the RS descriptor
		 * (and its DD) is cleared last, so a harvest cut short by max
		 * resumes from the same DD. */
		for (;;) {
			unsigned slot = r->next_clean;

			bufs[got++] = r->slot_buf[slot];
			r->slot_buf[slot] = PKT_BUF_NONE;
			txd_clear(&r->desc[slot]);
			r->next_clean = (slot + 1) & r->mask;
			r->in_flight--;
			if (slot == rs || got == max)
				break;
		}
	}
	r->st.completed += got;

	/* The slot at next_use is never in flight (one-slot gap), so a DD there
	 * was written by a device that misbehaves (or is hostile): count it and
	 * clear it so it cannot be taken for a completion once the slot is reused. */
	{
		struct e1000_tx_desc *d = &r->desc[r->next_use];

		status = DESC_LOAD(d->status);
		if (status & E1000_TXD_STAT_DD) {
			r->st.spurious_dd++;
			DESC_STORE(d->status, 0);
		}
	}
	return got;
}

unsigned tx_ring_abort(struct tx_ring *r, uint32_t *bufs, unsigned max)
{
	unsigned got = 0;

	if (!r || !bufs)
		return 0;
	while (got < max && r->nparked > 0)
		bufs[got++] = r->parked[--r->nparked];
	while (got < max && r->in_flight > 0) {
		bufs[got++] = r->slot_buf[r->next_clean];
		r->slot_buf[r->next_clean] = PKT_BUF_NONE;
		txd_clear(&r->desc[r->next_clean]);
		r->next_clean = (r->next_clean + 1) & r->mask;
		r->in_flight--;
	}
	r->st.aborted += got;
	return got;
}

unsigned tx_ring_in_flight(const struct tx_ring *r)
{
	return r ? r->in_flight : 0;
}

unsigned tx_ring_free_slots(const struct tx_ring *r)
{
	return r ? r->ndesc - 1 - r->in_flight - r->nparked : 0;
}

unsigned tx_ring_pending_abort(const struct tx_ring *r)
{
	return r ? r->nparked : 0;
}

unsigned tx_ring_size(const struct tx_ring *r)
{
	return r ? r->ndesc : 0;
}

uint32_t tx_ring_hw_head(struct tx_ring *r)
{
	return r ? hal_rd32(r->hw, E1000_TDH) : 0;
}

void tx_ring_get_stats(const struct tx_ring *r, struct tx_ring_stats *st)
{
	if (!st)
		return;
	if (!r) {
		*st = (struct tx_ring_stats){ 0 };
		return;
	}
	*st = r->st;
}

struct e1000_tx_desc *tx_ring_desc(const struct tx_ring *r)
{
	return r ? r->desc : NULL;
}

uint64_t tx_ring_desc_iova(const struct tx_ring *r)
{
	return r ? r->dma.iova : 0;
}
