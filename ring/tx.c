/* SPDX-License-Identifier: MIT */
/*
 * tx.c - transmit descriptor ring: legacy, context and data descriptors
 * (SDM 3.3.3-3.3.7, 3.4).
 *
 * Software state: slots [next_clean, next_use) are in flight (owned by the
 * device); slot_buf[] remembers which pool buffer each in-flight slot carries,
 * so reclaim never has to trust an address the device could have rewritten.
 * One slot always stays empty (free_slots = ndesc - 1 - in_flight - parked),
 * so TDT == TDH means "nothing to do" to the device, never "everything".
 *
 * Report status: RS is set on the last descriptor of each submit call, and on
 * the last descriptor of the first frame that brings a batch to
 * TX_RS_INTERVAL descriptors or more -- never inside a frame -- so the device
 * writes one DD per batch instead of one per frame (DPDK's e1000 PMD does the
 * same).  The device writes DD only where RS is set and processes descriptors
 * in order (SDM 3.3.3.2), so a DD on a batch's RS descriptor completes every
 * descriptor of the batch.  Batches end in order, so a FIFO of their RS
 * slots (batch_rs[], one entry per batch, pushed when the batch closes) tells
 * reclaim which DD completes the oldest in-flight slots: constant work per
 * batch, none per descriptor.  A frame's last slot carries SLOT_EOP in its
 * slot_buf[] entry so reclaim and abort can count frames.
 *
 * Frames and offloads: a TX_OFFLOAD_NONE frame is legacy descriptors; a
 * CSUM/TSO frame is a context descriptor (when needed) then data
 * descriptors.  A context slot carries no buffer (PKT_BUF_NONE): reclaim and
 * abort free the slot and return nothing for it.  The ring remembers the
 * last context it wrote since hw_setup/abort (the device keeps a context
 * until the next one), so a run of frames with the same offsets costs one
 * context descriptor.  The comparison covers the whole context, PAYLEN
 * included: a TSO context is per frame length (the device tells the last
 * segment by it).  QEMU's e1000 keeps a TSO and a non-TSO context apart;
 * "the last one written" is exact for a one-context device and only
 * conservative for that model.
 *
 * Descriptors are written as two 64-bit words composed in registers: two
 * stores per descriptor, and inside this file descriptor memory is only ever
 * accessed as uint64_t words and uint8_t status bytes, whatever the
 * descriptor's type, so type-based aliasing cannot reorder anything.
 */
#include "ring_internal.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>

/* slot_buf[] holds a buffer index (< PKT_POOL_NBUFS_MAX: submit rejects any
 * other) or PKT_BUF_NONE (a context slot, or not in flight); SLOT_EOP on a
 * buffer marks a frame's last descriptor (reclaim counts frames with it). */
#define SLOT_EOP      0x80000000u
#define SLOT_EOP_BIT  31
_Static_assert(PKT_POOL_NBUFS_MAX <= SLOT_EOP, "buffer indexes stay below the EOP bit");
_Static_assert(RING_NDESC_MAX <= UINT16_MAX + 1u, "batch_rs[] holds a slot index");

/* Slot entry v (not PKT_BUF_NONE): its buffer, and 1 when it ends a frame. */
static inline uint32_t slot_bufidx(uint32_t v) { return v & ~SLOT_EOP; }
static inline unsigned slot_eop(uint32_t v) { return v >> SLOT_EOP_BIT; }

/* The two-word layout below (little-endian, as the device reads it). */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "descriptor words are little-endian");
_Static_assert(offsetof(struct e1000_tx_desc, length) == 8 &&
               offsetof(struct e1000_tx_desc, cmd) == 11 &&
               offsetof(struct e1000_tx_desc, status) == 12, "legacy descriptor layout");
_Static_assert(offsetof(struct e1000_data_desc, cmd_and_length) == 8 &&
               offsetof(struct e1000_data_desc, status) == 12 &&
               offsetof(struct e1000_data_desc, popts) == 13, "data descriptor layout");
_Static_assert(offsetof(struct e1000_context_desc, ipcse) == 2 &&
               offsetof(struct e1000_context_desc, tucss) == 4 &&
               offsetof(struct e1000_context_desc, tucse) == 6 &&
               offsetof(struct e1000_context_desc, cmd_and_length) == 8 &&
               offsetof(struct e1000_context_desc, hdr_len) == 13 &&
               offsetof(struct e1000_context_desc, mss) == 14, "context descriptor layout");

/* The command byte (legacy CMD, DCMD, TUCMD) is bits 31:24 of the second word
 * in all three layouts; POPTS is bits 47:40 of a data descriptor's. */
#define HI_CMD(c)    ((uint64_t)(c) << E1000_TXD_CMD_SHIFT)
#define HI_POPTS(p)  ((uint64_t)(p) << 40)
/* IPv4 header checksum field: 10 bytes into the header (RFC 791). */
#define IPV4_CSUM_OFF 10u

struct tx_ring {
	struct hal_dev       *hw;
	struct hal_dma        dma;
	struct e1000_tx_desc *desc;
	unsigned              ndesc;
	unsigned              mask;
	unsigned              next_clean;   /* oldest in-flight slot */
	unsigned              next_use;     /* next slot to fill (== tail unless held) */
	unsigned              tail;         /* the last TDT value written */
	bool                  held;         /* tx_ring_hold: submit leaves TDT to release */
	unsigned              in_flight;
	uint32_t             *slot_buf;     /* [ndesc] buffer (| SLOT_EOP) of each in-flight slot */
	uint16_t             *batch_rs;     /* [ndesc] FIFO: RS slot of each closed in-flight batch */
	unsigned              bhead, btail; /* batch_rs[bhead & mask] is the oldest; free-running */
	uint32_t             *parked;       /* [ndesc] in flight when hw_setup ran */
	unsigned              nparked;
	unsigned              nparked_frames;   /* whole frames among them */
	bool                  ctx_valid;    /* ctx_lo/hi: the last context written */
	uint64_t              ctx_lo, ctx_hi;
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
	r->batch_rs = calloc(ndesc, sizeof(*r->batch_rs));
	if (!r->slot_buf || !r->parked || !r->batch_rs) {
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
	free(r->batch_rs);
	free(r->parked);
	free(r->slot_buf);
	free(r);
}

static inline void txd_write(struct e1000_tx_desc *d, uint64_t lo, uint64_t hi)
{
	uint64_t *q = (uint64_t *)(void *)d;

	DESC_STORE(q[0], lo);
	DESC_STORE(q[1], hi);
}

/* Rewrite the second word only (RS added to a written descriptor). */
static inline void txd_write_hi(struct e1000_tx_desc *d, uint64_t hi)
{
	DESC_STORE(((uint64_t *)(void *)d)[1], hi);
}

static inline void txd_clear(struct e1000_tx_desc *d)
{
	txd_write(d, 0, 0);
}

void tx_ring_hw_setup(struct tx_ring *r)
{
	if (!r)
		return;
	/* The device never completed these and is stopped: park them for
	 * tx_ring_abort.  in_flight + nparked <= ndesc - 1 always holds (submit
	 * counts parked buffers against free slots), so parked cannot overflow. */
	while (r->in_flight > 0) {
		uint32_t v = r->slot_buf[r->next_clean];

		if (v != PKT_BUF_NONE) {         /* not a context slot */
			r->parked[r->nparked++] = slot_bufidx(v);
			r->nparked_frames += slot_eop(v);
		}
		r->slot_buf[r->next_clean] = PKT_BUF_NONE;
		r->next_clean = (r->next_clean + 1) & r->mask;
		r->in_flight--;
	}
	r->bhead = r->btail = 0;
	/* A reset device has no context loaded. */
	r->ctx_valid = false;
	for (unsigned i = 0; i < r->ndesc; i++)
		txd_clear(&r->desc[i]);
	r->next_clean = 0;
	r->next_use = 0;
	r->tail = 0;
	r->held = false;

	/* SDM 14.5: base, length, then head and tail both 0 (empty ring). */
	hal_wr32(r->hw, E1000_TDBAL, lo32(r->dma.iova));
	hal_wr32(r->hw, E1000_TDBAH, hi32(r->dma.iova));
	hal_wr32(r->hw, E1000_TDLEN, r->ndesc * (uint32_t)sizeof(struct e1000_tx_desc));
	hal_wr32(r->hw, E1000_TDH, 0);
	hal_wr32(r->hw, E1000_TDT, 0);
}

/*
 * The context descriptor for an offloaded frame (SDM 3.3.6), as its two
 * words.  total is the frame's length (TSO: PAYLEN = total - hdr_len).
 * IPCSE: the IPv4 header's last byte (l4_off - 1) -- 0 would mean "to the
 * end of the packet", which sums the payload into the IP header checksum;
 * IPv6 has no header checksum (IXSM stays clear) and gets 0.  IPCSS is the
 * IP header's start for IPv6 too: the device finds the payload length to
 * rewrite per TSO segment from it.
 */
static inline void ctx_words(const struct tx_offload *o, uint32_t total,
                             uint64_t *lo, uint64_t *hi)
{
	uint32_t ipcse = o->ipv4 ? (uint32_t)o->l4_off - 1u : 0u;
	uint32_t tucmd = E1000_TXD_CMD_DEXT;
	uint32_t paylen = 0;
	uint64_t seg = 0;

	if (o->tcp)
		tucmd |= E1000_TXD_TUCMD_TCP;
	if (o->ipv4)
		tucmd |= E1000_TXD_TUCMD_IP;
	if (o->kind == TX_OFFLOAD_TSO) {
		tucmd |= E1000_TXD_TUCMD_TSE;
		paylen = total - o->hdr_len;
		seg = (uint64_t)o->hdr_len << 40 | (uint64_t)o->mss << 48;
	}
	*lo = (uint64_t)o->l3_off | (uint64_t)(o->l3_off + IPV4_CSUM_OFF) << 8 |
	      (uint64_t)ipcse << 16 | (uint64_t)o->l4_off << 32 | (uint64_t)o->csum_off << 40;
	*hi = (uint64_t)(paylen | E1000_TXD_DTYP_C) | HI_CMD(tucmd) | seg;
}

/* Give slots [from, from + n) back as never written (a frame cut short). */
static void unwrite(struct tx_ring *r, unsigned from, unsigned n)
{
	for (unsigned k = 0; k < n; k++) {
		unsigned slot = (from + k) & r->mask;

		txd_clear(&r->desc[slot]);
		r->slot_buf[slot] = PKT_BUF_NONE;
	}
}

/* Close a batch: RS is on its last descriptor (a frame's last), whose DD
 * completes every slot up to it.  At most one batch per in-flight slot, so
 * the FIFO (ndesc entries) cannot overflow. */
static inline void close_batch(struct tx_ring *r, unsigned last)
{
	r->batch_rs[r->btail++ & r->mask] = (uint16_t)last;
}

/* The doorbell: TDT = next_use.  Descriptors (and, before them, the
 * caller's frame data) must be visible before the device can see the new
 * tail: the fence pairs with the device fetching descriptors only after it
 * observed TDT. */
static inline void tail_write(struct tx_ring *r)
{
	RING_TAIL_FENCE();
	hal_wr32(r->hw, E1000_TDT, r->next_use);
	r->tail = r->next_use;
	r->st.tail_writes++;
}

/*
 * The frames' submit loop (tx_ring_submit_frames); tx_ring_submit's
 * packets have submit_plain below.
 */
static unsigned submit(struct tx_ring *r, struct pkt_pool *pool, const struct tx_frame *f,
                       unsigned n)
{
	/* Locals: the stores into slot_buf[] could alias the
	 * ring's and the pool's fields, which the compiler would reload. */
	const struct pkt_pool_geom g = *pkt_pool_geom(pool);
	struct e1000_tx_desc *desc = r->desc;
	uint32_t *slot_buf = r->slot_buf;
	const unsigned mask = r->mask;
	uint32_t limit = pkt_pool_buf_size(pool), nbufs = g.nbufs;
	unsigned room = r->ndesc - 1 - r->in_flight - r->nparked;
	unsigned idx = r->next_use, last = idx;
	unsigned i, used = 0, since_rs = 0, nbuf_desc = 0;

	/* A legacy descriptor's length is 16 bits: with 16 KiB buffers the
	 * descriptor limit is the binding one. */
	if (limit > TX_DESC_LEN_MAX)
		limit = TX_DESC_LEN_MAX;

	i = 0;
	{
		/* A leading run of one-buffer frames without offload, the
		 * common case: one legacy descriptor each, in a loop of its own
		 * (few live values).  Anything else -- a frame that is not
		 * plain, a bad segment, a full ring -- is left to the loop
		 * below, which checks and counts it as always. */
		const unsigned end = n < room ? n : room;
		const uint64_t cmd = HI_CMD(E1000_TXD_CMD_IFCS | E1000_TXD_CMD_EOP);

		for (; i < end; i++) {
			const struct pkt_ref *seg = f[i].seg;
			uint32_t len, buf;
			uint64_t hi;

			if (f[i].nseg != 1 || f[i].off.kind != TX_OFFLOAD_NONE || !seg)
				break;
			len = seg->len;
			buf = seg->buf;
			if (len - 1u >= limit || buf >= nbufs)
				break;
			hi = (uint64_t)len | cmd;
			if (++since_rs >= TX_RS_INTERVAL || i == n - 1) {
				hi |= HI_CMD(E1000_TXD_CMD_RS);
				close_batch(r, idx);
				since_rs = 0;
			}
			txd_write(&desc[idx], pkt_geom_iova(&g, buf), hi);
			slot_buf[idx] = buf | SLOT_EOP;
			last = idx;
			idx = (idx + 1) & mask;
		}
		used = nbuf_desc = i;
	}
	for (; i < n; i++) {
		const struct pkt_ref *seg = f[i].seg;
		unsigned nseg = f[i].nseg;
		unsigned kind = f[i].off.kind;
		unsigned start = idx, need = nseg, s;
		bool ctx = false, rs;
		uint64_t clo = 0, chi = 0, hi = 0;
		uint32_t dcmd, popts;

		/* Frames that could never go (no buffers, more descriptors than
		 * the ring has, an offload the device cannot do): rejected. */
		if (nseg == 0 || !seg || nseg > r->ndesc - 1 - (kind != TX_OFFLOAD_NONE) ||
		    kind > TX_OFFLOAD_TSO) {
			r->st.rejected++;
			break;
		}
		if (kind != TX_OFFLOAD_NONE) {
			const struct tx_offload *o = &f[i].off;
			uint64_t total = 0;

			if (kind == TX_OFFLOAD_TSO) {
				/* PAYLEN needs the length before the first data
				 * descriptor: one look at the caller's segment
				 * lengths (TSO frames are few and large). */
				for (s = 0; s < nseg; s++)
					total += seg[s].len;
				if (o->mss == 0 || o->hdr_len == 0 || total <= o->hdr_len ||
				    total - o->hdr_len > E1000_TXD_LEN_MASK) {
					r->st.rejected++;
					break;
				}
			}
			ctx_words(o, (uint32_t)total, &clo, &chi);
			ctx = !r->ctx_valid || clo != r->ctx_lo || chi != r->ctx_hi;
			need += ctx;
		}
		if (need > room - used) {
			r->st.full++;
			break;
		}
		/* RS on this frame's last descriptor when the batch is long
		 * enough, or when this is the last frame offered; a call that
		 * stops early sets it afterwards. */
		rs = since_rs + need >= TX_RS_INTERVAL || i == n - 1;

		/* IFCS on every descriptor of the frame, as Linux's e1000 does:
		 * right whether a device reads it from the first descriptor or
		 * the last (EOP). */
		if (kind == TX_OFFLOAD_NONE) {
			dcmd = E1000_TXD_CMD_IFCS;
			popts = 0;
		} else {
			dcmd = E1000_TXD_CMD_DEXT | E1000_TXD_CMD_IFCS |
			       (kind == TX_OFFLOAD_TSO ? E1000_TXD_DCMD_TSE : 0u);
			popts = E1000_TXD_POPTS_TXSM | (f[i].off.ipv4 ? E1000_TXD_POPTS_IXSM : 0u);
		}
		if (ctx) {
			txd_write(&desc[idx], clo, chi);
			slot_buf[idx] = PKT_BUF_NONE;
			idx = (idx + 1) & mask;
		}
		for (s = 0; s < nseg; s++) {
			const struct pkt_ref *p = &seg[s];
			uint32_t cmd = dcmd;

			/* len - 1 wraps for 0: one compare covers both ends. */
			if (p->len - 1u >= limit || p->buf >= nbufs)
				break;
			if (s == nseg - 1)
				cmd |= E1000_TXD_CMD_EOP | (rs ? E1000_TXD_CMD_RS : 0u);
			if (kind == TX_OFFLOAD_NONE) {
				hi = (uint64_t)p->len | HI_CMD(cmd);
			} else {
				hi = (uint64_t)(p->len | E1000_TXD_DTYP_D) | HI_CMD(cmd) |
				     HI_POPTS(popts);
				popts = 0;           /* the first data descriptor only */
			}
			txd_write(&desc[idx], pkt_geom_iova(&g, p->buf), hi);
			slot_buf[idx] = p->buf | (s == nseg - 1 ? SLOT_EOP : 0u);
			idx = (idx + 1) & mask;
		}
		if (s < nseg) {
			/* A bad segment: the frame goes back whole, nothing of it
			 * stays written (the tail never covered it). */
			unwrite(r, start, need);
			idx = start;
			r->st.rejected++;
			break;
		}
		if (ctx) {
			r->ctx_valid = true;
			r->ctx_lo = clo;
			r->ctx_hi = chi;
			r->st.contexts++;
		}
		last = (idx - 1) & mask;
		used += need;
		nbuf_desc += nseg;
		since_rs += need;
		if (rs) {
			close_batch(r, last);
			since_rs = 0;
		}
	}
	if (used == 0)
		return 0;
	if (since_rs > 0) {
		/* Stopped before the last frame offered: its predecessor ends
		 * the call's last batch. */
		/* Not yet the device's (the tail is below it): reading our
		 * own word back is safe. */
		txd_write_hi(&desc[last], DESC_LOAD(((uint64_t *)(void *)&desc[last])[1]) |
		                          HI_CMD(E1000_TXD_CMD_RS));
		close_batch(r, last);
	}
	r->next_use = idx;
	r->in_flight += used;
	r->st.submitted += nbuf_desc;
	if (!r->held)
		tail_write(r);
	return i;
}

/*
 * tx_ring_submit: one legacy descriptor per packet, nothing else to decide,
 * so a loop of its own.  RS goes on the last of every TX_RS_INTERVAL packets
 * and on the last accepted: the loop runs in chunks of TX_RS_INTERVAL and
 * adds RS to the chunk's last descriptor afterwards (its second word is
 * still in a register), instead of testing for it per packet.
 */
static unsigned submit_plain(struct tx_ring *r, struct pkt_pool *pool,
                             const struct pkt_ref *pkts, unsigned n)
{
	const struct pkt_pool_geom g = *pkt_pool_geom(pool);
	struct e1000_tx_desc *desc = r->desc;
	uint32_t *slot_buf = r->slot_buf;
	const unsigned mask = r->mask;
	const uint64_t cmd = HI_CMD(E1000_TXD_CMD_IFCS | E1000_TXD_CMD_EOP);
	uint32_t limit = pkt_pool_buf_size(pool), nbufs = g.nbufs;
	unsigned room = r->ndesc - 1 - r->in_flight - r->nparked;
	unsigned idx = r->next_use, end = n < room ? n : room, i = 0;
	uint64_t hi = 0;

	if (limit > TX_DESC_LEN_MAX)
		limit = TX_DESC_LEN_MAX;
	while (i < end) {
		unsigned stop = end - i > TX_RS_INTERVAL ? i + TX_RS_INTERVAL : end, first = i;

		/* In runs of slots that do not wrap: pointers walk the packets,
		 * descriptors and slot entries, no index masked per packet. */
		while (i < stop) {
			unsigned run = stop - i < r->ndesc - idx ? stop - i : r->ndesc - idx;
			const struct pkt_ref *p = pkts + i, *pe = p + run;
			struct e1000_tx_desc *d = &desc[idx];
			uint32_t *sb = &slot_buf[idx];

			for (; p < pe; p++, d++, sb++) {
				uint32_t len = p->len, buf = p->buf;

				/* len - 1 wraps for 0: one compare covers both ends. */
				if (len - 1u >= limit || buf >= nbufs)
					break;
				hi = (uint64_t)len | cmd;
				txd_write(d, g.iova[buf], hi);
				*sb = buf | SLOT_EOP;
			}
			run = (unsigned)(p - (pkts + i));
			i += run;
			idx = (idx + run) & mask;
			if (p < pe)
				break;
		}
		if (i > first) {
			/* Not yet the device's: the tail is below it. */
			unsigned last = (idx - 1) & mask;

			txd_write_hi(&desc[last], hi | HI_CMD(E1000_TXD_CMD_RS));
			close_batch(r, last);
		}
		if (i < stop) {
			r->st.rejected++;
			break;
		}
	}
	if (i == end && end < n)
		r->st.full++;
	if (i == 0)
		return 0;
	r->next_use = idx;
	r->in_flight += i;
	r->st.submitted += i;
	if (!r->held)
		tail_write(r);
	return i;
}

unsigned tx_ring_submit(struct tx_ring *r, struct pkt_pool *pool,
                        const struct pkt_ref *pkts, unsigned n)
{
	if (!r || !pool || !pkts || n == 0)
		return 0;
	return submit_plain(r, pool, pkts, n);
}

unsigned tx_ring_submit_frames(struct tx_ring *r, struct pkt_pool *pool,
                               const struct tx_frame *f, unsigned n)
{
	if (!r || !pool || !f || n == 0)
		return 0;
	return submit(r, pool, f, n);
}

void tx_ring_hold(struct tx_ring *r)
{
	if (r)
		r->held = true;
}

void tx_ring_release(struct tx_ring *r)
{
	if (!r)
		return;
	r->held = false;
	if (r->tail != r->next_use)
		tail_write(r);
}

unsigned tx_ring_reclaim_frames(struct tx_ring *r, uint32_t *bufs, unsigned max,
                                unsigned *frames)
{
	unsigned got = 0, nframes = 0, mask, clean, in_flight, cnt;
	struct e1000_tx_desc *desc;
	uint32_t *slot_buf;
	uint8_t status;

	if (frames)
		*frames = 0;
	if (!r || !bufs)
		return 0;
	/* Locals, written back below: bufs[] stores could alias the fields. */
	desc = r->desc;
	slot_buf = r->slot_buf;
	mask = r->mask;
	clean = r->next_clean;
	in_flight = r->in_flight;
	/* Every in-flight slot is in a closed batch (submit closes its last
	 * one before the tail write), so in_flight > 0 means one is queued. */
	while (got < max && in_flight > 0 && r->bhead != r->btail) {
		unsigned rs = r->batch_rs[r->bhead & mask];

		/* Acquire: pairs with the device's release store of DD after it
		 * finished reading the descriptors and buffers up to the RS one
		 * (in order), so handing the buffers back for reuse cannot
		 * overtake the device's reads.  DD elsewhere is not looked at. */
		status = DESC_LOAD_STATUS(desc[rs].status);
		if (!(status & E1000_TXD_STAT_DD))
			break;
		/* The batch's slots up to and including rs, or the first
		 * max - got of them (a slot carries one buffer or, a context
		 * slot, none): counted once, not tested per slot.  The RS
		 * descriptor (and its DD) is cleared last, so a harvest cut
		 * short by max resumes from the same DD.  A context slot never
		 * ends a batch (RS is on data descriptors only). */
		cnt = ((rs - clean) & mask) + 1;
		if (cnt > max - got)
			cnt = max - got;
		else
			r->bhead++;
		in_flight -= cnt;
		/* In runs that do not wrap: pointers, no index masked per slot. */
		while (cnt > 0) {
			unsigned run = cnt < mask + 1 - clean ? cnt : mask + 1 - clean;
			uint32_t *sb = &slot_buf[clean], *se = sb + run, *out = bufs + got;
			struct e1000_tx_desc *d = &desc[clean];

			for (; sb < se; sb++, d++) {
				uint32_t v = *sb;

				if (v != PKT_BUF_NONE) {
					*out++ = slot_bufidx(v);
					nframes += slot_eop(v);
					*sb = PKT_BUF_NONE;
				}
				txd_clear(d);
			}
			got = (unsigned)(out - bufs);
			clean = (clean + run) & mask;
			cnt -= run;
		}
	}
	r->next_clean = clean;
	r->in_flight = in_flight;
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
	if (frames)
		*frames = nframes;
	return got;
}

unsigned tx_ring_reclaim(struct tx_ring *r, uint32_t *bufs, unsigned max)
{
	return tx_ring_reclaim_frames(r, bufs, max, NULL);
}

unsigned tx_ring_abort(struct tx_ring *r, uint32_t *bufs, unsigned max)
{
	return tx_ring_abort_frames(r, bufs, max, NULL);
}

unsigned tx_ring_abort_frames(struct tx_ring *r, uint32_t *bufs, unsigned max, unsigned *frames)
{
	unsigned got = 0, nframes = 0;

	if (frames)
		*frames = 0;
	if (!r || !bufs || max == 0)
		return 0;
	while (got < max && r->nparked > 0)
		bufs[got++] = r->parked[--r->nparked];
	/* Parked frames count once their last buffer is handed back. */
	if (r->nparked == 0) {
		nframes = r->nparked_frames;
		r->nparked_frames = 0;
	}
	/* Context slots go with the frame they precede, even past max, so
	 * in_flight == 0 whenever this returns 0. */
	while (r->in_flight > 0) {
		unsigned slot = r->next_clean;
		uint32_t v = r->slot_buf[slot];

		if (v != PKT_BUF_NONE) {
			if (got == max)
				break;
			bufs[got++] = slot_bufidx(v);
			nframes += slot_eop(v);
			r->slot_buf[slot] = PKT_BUF_NONE;
		}
		if (r->bhead != r->btail && r->batch_rs[r->bhead & r->mask] == slot)
			r->bhead++;
		txd_clear(&r->desc[slot]);
		r->next_clean = (slot + 1) & r->mask;
		r->in_flight--;
	}
	/* The device is stopped and will be set up again; whatever context it
	 * held is not to be relied on.  Nothing is left to ring for: a held
	 * tail is not written for slots that were aborted. */
	r->ctx_valid = false;
	if (r->in_flight == 0)
		r->tail = r->next_use;
	r->st.aborted += got;
	if (frames)
		*frames = nframes;
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
