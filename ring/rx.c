/* SPDX-License-Identifier: MIT */
/*
 * rx.c - legacy receive descriptor ring (SDM 3.2, 3.2.3): one-buffer frames
 * (rx_ring_poll) or frames chained over several descriptors
 * (rx_ring_poll_chained).
 *
 * Software state: slots [next_clean, next_use) are posted (each holds the pool
 * buffer slot_buf[] says, whatever address the device writes back), and one
 * slot always stays empty so a full ring never has RDT == RDH, which the
 * device would read as "no descriptors" (SDM 3.2.6).
 *
 * in_frag means "inside a frame being dropped, up to its EOP"; both polls
 * honour it, so a chain one of them started to drop is finished by either.
 * A chain being received stays entirely on the ring (its descriptors
 * untouched) until its EOP descriptor is done: no software state holds part
 * of a frame between calls.
 */
#include "ring_internal.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

struct rx_ring {
	struct hal_dev       *hw;
	struct pkt_pool      *pool;
	struct hal_dma        dma;
	struct e1000_rx_desc *desc;
	unsigned              ndesc;
	unsigned              mask;
	uint32_t              buf_size;
	unsigned              next_clean;   /* oldest posted slot */
	unsigned              next_use;     /* next empty slot == RDT */
	unsigned              posted;
	bool                  in_frag;      /* inside a frame that spans descriptors */
	uint32_t             *slot_buf;     /* [ndesc] buffer posted in each slot */
	uint32_t             *scratch;      /* [ndesc] batch for pool get/put */
	/* [ndesc] free buffers rx_ring_recycle took, [0, nrecycled): the next
	 * refill posts them first.  Never more than that refill can post. */
	uint32_t             *recycled;
	unsigned              nrecycled;
	uint64_t              consumed;     /* slots poll and abort moved past */
	struct rx_ring_stats  st;
	/* For other threads (rx_ring_get_progress), stored by the owner at the
	 * end of every call that moves next_clean or posted. */
	_Atomic unsigned      pub_next_clean, pub_posted;
	_Atomic uint64_t      pub_consumed;
};

/* Owner: make the indexes visible to rx_ring_get_progress. */
static void publish(struct rx_ring *r)
{
	atomic_store_explicit(&r->pub_next_clean, r->next_clean, memory_order_relaxed);
	atomic_store_explicit(&r->pub_posted, r->posted, memory_order_relaxed);
	atomic_store_explicit(&r->pub_consumed, r->consumed, memory_order_relaxed);
}

int rx_ring_create(struct hal_dev *hw, struct pkt_pool *pool, unsigned ndesc,
                   struct rx_ring **out)
{
	struct rx_ring *r;
	int err;

	if (out)
		*out = NULL;
	if (!hw || !pool || !out || !ring_ndesc_valid(ndesc))
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->hw = hw;
	r->pool = pool;
	r->ndesc = ndesc;
	r->mask = ndesc - 1;
	r->buf_size = pkt_pool_buf_size(pool);
	r->slot_buf = calloc(ndesc, sizeof(*r->slot_buf));
	r->scratch = calloc(ndesc, sizeof(*r->scratch));
	r->recycled = calloc(ndesc, sizeof(*r->recycled));
	if (!r->slot_buf || !r->scratch || !r->recycled) {
		err = -ENOMEM;
		goto fail;
	}
	err = hal_dma_alloc(hw, (size_t)ndesc * sizeof(struct e1000_rx_desc), &r->dma);
	if (err < 0)
		goto fail;
	r->desc = r->dma.va;
	*out = r;
	return 0;

fail:
	rx_ring_destroy(r);
	return err;
}

/* Descriptors are written as two 64-bit words (address; length, csum,
 * status, errors, special), as in tx.c: two stores instead of six. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ &&
               sizeof(struct e1000_rx_desc) == 16 &&
               offsetof(struct e1000_rx_desc, length) == 8 &&
               offsetof(struct e1000_rx_desc, status) == 12, "receive descriptor layout");

/* Post buffer address addr: DD (and everything written back) clear. */
static inline void rxd_post(struct e1000_rx_desc *d, uint64_t addr)
{
	uint64_t *q = (uint64_t *)(void *)d;

	DESC_STORE(q[0], addr);
	DESC_STORE(q[1], 0);
}

static inline void rxd_clear(struct e1000_rx_desc *d)
{
	/* Address 0 too: a device that (wrongly) uses a slot we did not post
	 * faults on IOVA 0 instead of scribbling over a recycled buffer. */
	rxd_post(d, 0);
}

void rx_ring_destroy(struct rx_ring *r)
{
	if (!r)
		return;
	if (r->desc)
		(void)rx_ring_abort(r);
	hal_dma_free(r->hw, &r->dma);
	r->desc = NULL;
	free(r->recycled);
	free(r->scratch);
	free(r->slot_buf);
	free(r);
}

void rx_ring_hw_setup(struct rx_ring *r)
{
	if (!r)
		return;
	(void)rx_ring_abort(r);
	for (unsigned i = 0; i < r->ndesc; i++)
		rxd_clear(&r->desc[i]);
	r->next_clean = 0;
	r->next_use = 0;
	publish(r);

	/* SDM 14.4: base, length, head = tail = 0 (no buffers yet). */
	hal_wr32(r->hw, E1000_RDBAL, lo32(r->dma.iova));
	hal_wr32(r->hw, E1000_RDBAH, hi32(r->dma.iova));
	hal_wr32(r->hw, E1000_RDLEN, r->ndesc * (uint32_t)sizeof(struct e1000_rx_desc));
	hal_wr32(r->hw, E1000_RDH, 0);
	hal_wr32(r->hw, E1000_RDT, 0);
}

unsigned rx_ring_recycle(struct rx_ring *r, const uint32_t *bufs, unsigned n)
{
	unsigned room;

	if (!r || !bufs)
		return 0;
	room = r->ndesc - 1 - r->posted - r->nrecycled;
	if (n > room)
		n = room;
	memcpy(r->recycled + r->nrecycled, bufs, n * sizeof(*bufs));
	r->nrecycled += n;
	return n;
}

unsigned rx_ring_refill(struct rx_ring *r)
{
	struct pkt_pool_geom g;
	struct e1000_rx_desc *desc;
	uint32_t *slot_buf, *bufs;
	unsigned want, got, idx, mask;

	if (!r)
		return 0;
	want = r->ndesc - 1 - r->posted;
	if (want == 0)
		return 0;
	/* The recycled buffers first (want covers them: recycle takes no
	 * more), the pool's after them in the same array. */
	bufs = r->recycled;
	got = r->nrecycled;
	r->nrecycled = 0;
	if (got < want)
		got += pkt_pool_get(r->pool, bufs + got, want - got);
	if (got == 0)
		return 0;

	/* Locals: the stores below (uint32_t slot_buf) could alias the ring's
	 * and the pool's fields, which the compiler would reload per slot. */
	g = *pkt_pool_geom(r->pool);
	desc = r->desc;
	slot_buf = r->slot_buf;
	mask = r->mask;
	idx = r->next_use;
	/* In runs of slots that do not wrap: pointers, no index masked per slot. */
	for (unsigned i = 0; i < got;) {
		unsigned run = got - i < mask + 1 - idx ? got - i : mask + 1 - idx;
		const uint32_t *b = bufs + i, *be = b + run;
		struct e1000_rx_desc *d = &desc[idx];
		uint32_t *sb = &slot_buf[idx];

		/* From the pool or recycled (buffers this ring harvested): in
		 * range, no check per address. */
		for (; b < be; b++, d++, sb++) {
			uint32_t v = *b;

			*sb = v;
			rxd_post(d, g.iova[v]);
		}
		i += run;
		idx = (idx + run) & mask;
	}
	r->next_use = idx;
	r->posted += got;
	r->st.refilled += got;
	publish(r);
	/* Descriptors (address, DD clear) before the tail that hands them over:
	 * pairs with the device reading descriptors only below the RDT it saw. */
	RING_TAIL_FENCE();
	hal_wr32(r->hw, E1000_RDT, idx);
	r->st.tail_writes++;
	return got;
}

unsigned rx_ring_poll(struct rx_ring *r, struct pkt_ref *out, unsigned max)
{
	unsigned got = 0, ndrop = 0;

	if (!r || !out)
		return 0;
	while (got < max && r->posted > 0) {
		struct e1000_rx_desc *d = &r->desc[r->next_clean];
		uint32_t buf = r->slot_buf[r->next_clean];
		uint8_t status, errors;
		uint16_t len;

		/* Acquire: pairs with the device's release store of the status
		 * after it wrote the frame data, length and errors. */
		status = DESC_LOAD_STATUS(d->status);
		if (!(status & E1000_RXD_STAT_DD))
			break;
		len = DESC_LOAD(d->length);
		errors = DESC_LOAD(d->errors);
		rxd_clear(d);
		r->slot_buf[r->next_clean] = PKT_BUF_NONE;
		r->next_clean = (r->next_clean + 1) & r->mask;
		r->posted--;

		/* A frame larger than one buffer arrives as several descriptors,
		 * only the last with EOP (SDM 3.2.3).  We post one buffer per
		 * frame and do not reassemble: drop all its pieces, count it once. */
		if (!(status & E1000_RXD_STAT_EOP)) {
			if (!r->in_frag)
				r->st.bad_frag++;
			r->in_frag = true;
			r->scratch[ndrop++] = buf;
			continue;
		}
		if (r->in_frag) {               /* last piece of a dropped frame */
			r->in_frag = false;
			r->scratch[ndrop++] = buf;
			continue;
		}
		if (errors & E1000_RXD_ERR_FRAME) {
			r->st.bad_status++;
			r->scratch[ndrop++] = buf;
			continue;
		}
		if (len == 0 || len > r->buf_size) {
			r->st.bad_length++;
			r->scratch[ndrop++] = buf;
			continue;
		}
		out[got].buf = buf;
		out[got].len = len;
		got++;
	}
	r->st.received += got;
	r->consumed += got + ndrop;
	/* ndrop <= posted <= ndesc - 1: scratch cannot overflow. */
	if (ndrop) {
		pkt_pool_put(r->pool, r->scratch, ndrop);
		r->st.dropped += ndrop;
	}
	publish(r);
	return got;
}

/* Give the chain [slot, slot + n) to the pool as dropped (collected in
 * scratch, one put at the end of the poll). */
static unsigned drop_chain(struct rx_ring *r, unsigned slot, unsigned n, unsigned ndrop)
{
	for (unsigned k = 0; k < n; k++) {
		unsigned s = (slot + k) & r->mask;

		r->scratch[ndrop++] = r->slot_buf[s];
		r->slot_buf[s] = PKT_BUF_NONE;
		rxd_clear(&r->desc[s]);
	}
	return ndrop;
}

unsigned rx_ring_poll_chained(struct rx_ring *r, struct rx_frame_ref *out, unsigned max,
                              uint32_t *segs, unsigned max_segs)
{
	unsigned got = 0, ndrop = 0, nsegs = 0, limit, slot, posted, mask;
	struct e1000_rx_desc *desc;
	uint32_t *slot_buf, *sbp, bsize;
	bool in_frag;

	if (!r || !out || !segs || max_segs == 0)
		return 0;
	/* A chain with this many descriptors and no EOP yet is too long:
	 * longer than segs[] (it could never be returned) or than the ring
	 * (it could never end: every posted buffer is in it). */
	limit = max_segs < r->ndesc - 1 ? max_segs : r->ndesc - 1;
	/* Locals, written back at the end: the stores into out[], segs[] and
	 * slot_buf[] could alias the ring's fields otherwise. */
	desc = r->desc;
	slot_buf = r->slot_buf;
	mask = r->mask;
	bsize = r->buf_size;
	slot = r->next_clean;
	posted = r->posted;
	in_frag = r->in_frag;

	while (got < max && posted > 0) {
		struct e1000_rx_desc *d;
		unsigned k, n;
		uint32_t total = 0, partial = 0;
		uint8_t status, errors = 0;
		uint16_t len = 0;

		if (!in_frag && nsegs < max_segs) {
			/* A run of good frames in one buffer each, the common
			 * case, in a loop of its own (few live values).  It stops
			 * at the first descriptor not done, or done but not such
			 * a frame: the walk below takes (and counts) that one. */
			unsigned bound = max - got, run;
			struct rx_frame_ref *o = out + got;
			uint32_t *sg = segs + nsegs;

			if (bound > max_segs - nsegs)
				bound = max_segs - nsegs;
			if (bound > posted)
				bound = posted;
			/* Up to the ring's end: the slots walk by pointer (the
			 * next pass starts again at slot 0). */
			if (bound > mask + 1 - slot)
				bound = mask + 1 - slot;
			d = &desc[slot];
			sbp = &slot_buf[slot];
			for (run = 0; run < bound; run++, d++, sbp++) {
				/* Acquire: pairs with the device's release store of
				 * the status after the data, length and errors. */
				status = DESC_LOAD_STATUS(d->status);
				if ((status & (E1000_RXD_STAT_DD | E1000_RXD_STAT_EOP)) !=
				    (E1000_RXD_STAT_DD | E1000_RXD_STAT_EOP))
					break;
				len = DESC_LOAD(d->length);
				errors = DESC_LOAD(d->errors);
				/* len - 1 wraps for 0: one compare for both ends. */
				if ((errors & E1000_RXD_ERR_FRAME) || len - 1u >= bsize)
					break;
				/* One assignment: stored as two words, not five fields. */
				o[run] = (struct rx_frame_ref){ .len = len, .seg = (uint16_t)(nsegs + run),
				                                .nseg = 1, .status = status, .errors = errors };
				sg[run] = *sbp;
				*sbp = PKT_BUF_NONE;
				rxd_clear(d);
			}
			slot = (slot + run) & mask;
			got += run;
			nsegs += run;
			posted -= run;
			if (run == bound)
				continue;
			errors = 0;
			len = 0;
		}
		d = &desc[slot];
		/* Acquire: pairs with the device's release store of the status
		 * after the data, length and errors. */
		status = DESC_LOAD_STATUS(d->status);
		if (!(status & E1000_RXD_STAT_DD))
			break;
		if (in_frag) {
			/* The rest of a chain already dropped, up to its EOP. */
			ndrop = drop_chain(r, slot, 1, ndrop);
			slot = (slot + 1) & mask;
			posted--;
			if (status & E1000_RXD_STAT_EOP)
				in_frag = false;
			continue;
		}
		/* Walk the chain once, reading; nothing is cleared or moved until
		 * the whole frame is known, so an unfinished chain stays as the
		 * device left it for the next call. */
		for (k = 0;; k++) {
			if (k == limit)
				break;
			if (k == posted || k == max_segs - nsegs)
				goto stop;   /* not complete yet / no room left in segs[] */
			d = &desc[(slot + k) & mask];
			status = DESC_LOAD_STATUS(d->status);
			if (!(status & E1000_RXD_STAT_DD))
				goto stop;
			len = DESC_LOAD(d->length);
			if (status & E1000_RXD_STAT_EOP) {
				errors = DESC_LOAD(d->errors);
				break;
			}
			/* Every buffer but the last is full (SDM 3.2.3). */
			partial |= len ^ bsize;
			total += len;
		}
		if (k == limit) {
			/* Too long: drop what is here now, the rest as it
			 * completes; counted once. */
			r->st.bad_frag++;
			ndrop = drop_chain(r, slot, k, ndrop);
			slot = (slot + k) & mask;
			posted -= k;
			in_frag = true;
			continue;
		}
		n = k + 1;
		if (errors & E1000_RXD_ERR_FRAME) {
			r->st.bad_status++;
			ndrop = drop_chain(r, slot, n, ndrop);
		} else if (partial || len == 0 || len > bsize) {
			r->st.bad_length++;
			ndrop = drop_chain(r, slot, n, ndrop);
		} else {
			out[got].len = total + len;
			out[got].seg = (uint16_t)nsegs;
			out[got].nseg = (uint16_t)n;
			out[got].status = status;
			out[got].errors = errors;
			got++;
			for (k = 0; k < n; k++) {
				unsigned s = (slot + k) & mask;

				segs[nsegs++] = slot_buf[s];
				slot_buf[s] = PKT_BUF_NONE;
				rxd_clear(&desc[s]);
			}
		}
		slot = (slot + n) & mask;
		posted -= n;
	}
stop:
	r->next_clean = slot;
	r->posted = posted;
	r->in_frag = in_frag;
	r->st.received += got;
	r->consumed += nsegs + ndrop;
	/* ndrop <= posted <= ndesc - 1: scratch cannot overflow. */
	if (ndrop) {
		pkt_pool_put(r->pool, r->scratch, ndrop);
		r->st.dropped += ndrop;
	}
	publish(r);
	return got;
}

unsigned rx_ring_abort(struct rx_ring *r)
{
	unsigned n = 0;

	if (!r)
		return 0;
	while (r->posted > 0) {
		r->scratch[n++] = r->slot_buf[r->next_clean];
		r->slot_buf[r->next_clean] = PKT_BUF_NONE;
		rxd_clear(&r->desc[r->next_clean]);
		r->next_clean = (r->next_clean + 1) & r->mask;
		r->posted--;
	}
	r->in_frag = false;
	if (n) {
		pkt_pool_put(r->pool, r->scratch, n);
		r->st.aborted += n;
		r->consumed += n;
	}
	/* Recycled buffers were never posted: back to the pool, not counted. */
	pkt_pool_put(r->pool, r->recycled, r->nrecycled);
	r->nrecycled = 0;
	publish(r);
	return n;
}

unsigned rx_ring_posted(const struct rx_ring *r)
{
	return r ? r->posted : 0;
}

void rx_ring_get_progress(struct rx_ring *r, struct rx_ring_progress *p)
{
	if (!p)
		return;
	if (!r) {
		*p = (struct rx_ring_progress){ 0 };
		return;
	}
	p->next_clean = atomic_load_explicit(&r->pub_next_clean, memory_order_relaxed);
	p->posted = atomic_load_explicit(&r->pub_posted, memory_order_relaxed);
	p->consumed = atomic_load_explicit(&r->pub_consumed, memory_order_relaxed);
}

bool rx_ring_desc_done(struct rx_ring *r, unsigned slot)
{
	/* desc and mask never change after create; the status byte is only
	 * ever accessed atomically (device, poll, clear). */
	return r && (DESC_LOAD_STATUS(r->desc[slot & r->mask].status) & E1000_RXD_STAT_DD);
}

uint8_t rx_ring_desc_status(struct rx_ring *r, unsigned slot)
{
	return r ? DESC_LOAD_STATUS(r->desc[slot & r->mask].status) : 0;
}

uint32_t rx_ring_hw_head(struct rx_ring *r)
{
	return r ? hal_rd32(r->hw, E1000_RDH) : 0;
}

unsigned rx_ring_size(const struct rx_ring *r)
{
	return r ? r->ndesc : 0;
}

void rx_ring_get_stats(const struct rx_ring *r, struct rx_ring_stats *st)
{
	if (!st)
		return;
	if (!r) {
		*st = (struct rx_ring_stats){ 0 };
		return;
	}
	*st = r->st;
}

struct e1000_rx_desc *rx_ring_desc(const struct rx_ring *r)
{
	return r ? r->desc : NULL;
}

uint64_t rx_ring_desc_iova(const struct rx_ring *r)
{
	return r ? r->dma.iova : 0;
}
