/* SPDX-License-Identifier: MIT */
/*
 * fuzz_rx_writeback.c - the RX ring (ring/rx.c) against a device that writes
 * back anything: the harness plays the device on the passive fake backend
 * (tests/lib/fake_hal.c) and overwrites descriptors with fuzzer-chosen
 * write-backs (length, status, errors, address, checksum) across many slots,
 * posted or not, between calls to rx_ring_refill/poll/abort/hw_setup.
 *
 * Input: byte 0 picks the ring size (64..4096) and the buffer size
 * (256..16384), bytes 1-2 the pool size; then a list of operations (below).
 *
 * The harness keeps its own model of the ring, written from ring.h (not from
 * rx.c): which buffer software posted in which slot (read from the
 * descriptor right after refill, before any write-back), who owns every
 * buffer (pool, ring, or the harness after poll), the fragment state, and the
 * expected counters.  It checks after every call:
 *  - refill posts exactly min(free slots - 1, free buffers), only buffers the
 *    pool had free, with DD clear, and ONE RDT write to the new tail;
 *  - poll returns exactly the frames the model expects, in ring order: each
 *    buffer the one software posted in that slot (whatever address the
 *    write-back holds), each length 1..buffer size; it drops and counts
 *    fragments, error frames and bad lengths as specified, and clears every
 *    harvested descriptor;
 *  - the pool's free count matches the model after every call, and double or
 *    out-of-range puts are refused and counted;
 *  - at the end, after giving back what poll returned and rx_ring_abort:
 *    free == size, and destroy leaves no DMA mapping behind.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "e1000_regs.h"
#include "fake_hal.h"
#include "fuzz.h"
#include "pool.h"
#include "ring.h"

#define POOL_BYTES_MAX (512u << 10)   /* keeps one input well under a millisecond */

enum owner { OWN_POOL, OWN_RING, OWN_HARNESS };

enum op {
	OP_REFILL,
	OP_WB_COMPACT,  /* one pattern byte per descriptor, from the next to harvest */
	OP_WB_RAW,      /* raw fields, from a chosen offset */
	OP_POLL,
	OP_RETURN,      /* give back some frames poll returned */
	OP_ABORT,
	OP_HW_SETUP,
	OP_BAD_PUT,     /* double put / index out of range: refused */
	OP_COUNT
};

struct model {
	struct fake_hal *fake;
	struct hal_dev *hw;
	struct pkt_pool *pool;
	struct rx_ring *r;
	unsigned ndesc, mask, nbufs;
	uint32_t buf_size;
	unsigned clean, use, posted;   /* software indexes as ring.h describes them */
	bool in_frag;
	uint32_t *slot;                /* [ndesc] buffer posted in each slot, or PKT_BUF_NONE */
	uint8_t *own;                  /* [nbufs] enum owner */
	uint32_t *held;                /* buffers poll gave the harness */
	unsigned nheld, nfree;
	struct rx_ring_stats st;
	uint64_t bad_puts;
};

static struct fake_hal *fake;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fake = fake_hal_open(NULL);
	FUZZ_CHECK(fake != NULL, "fake_hal_open");
	return 0;
}

static uint32_t buf_of_iova(const struct model *m, uint64_t iova)
{
	uint64_t base = pkt_buf_iova(m->pool, 0);
	uint64_t idx;

	if (iova < base)
		return PKT_BUF_NONE;
	idx = (iova - base) / m->buf_size;
	if (idx >= m->nbufs || pkt_buf_iova(m->pool, (uint32_t)idx) != iova)
		return PKT_BUF_NONE;
	return (uint32_t)idx;
}

static void check_accounting(const struct model *m, const char *after)
{
	struct rx_ring_stats st;

	FUZZ_CHECK(pkt_pool_free_count(m->pool) == m->nfree, "after %s: pool free %u, model %u",
	           after, pkt_pool_free_count(m->pool), m->nfree);
	FUZZ_CHECK(pkt_pool_bad_puts(m->pool) == m->bad_puts, "after %s: bad_puts", after);
	FUZZ_CHECK(rx_ring_posted(m->r) == m->posted, "after %s: posted %u, model %u",
	           after, rx_ring_posted(m->r), m->posted);
	rx_ring_get_stats(m->r, &st);
	FUZZ_CHECK(st.received == m->st.received && st.refilled == m->st.refilled &&
	           st.tail_writes == m->st.tail_writes && st.bad_length == m->st.bad_length &&
	           st.bad_status == m->st.bad_status && st.bad_frag == m->st.bad_frag &&
	           st.dropped == m->st.dropped && st.aborted == m->st.aborted,
	           "after %s: stats differ (received %llu/%llu bad_length %llu/%llu bad_status "
	           "%llu/%llu bad_frag %llu/%llu dropped %llu/%llu)", after,
	           (unsigned long long)st.received, (unsigned long long)m->st.received,
	           (unsigned long long)st.bad_length, (unsigned long long)m->st.bad_length,
	           (unsigned long long)st.bad_status, (unsigned long long)m->st.bad_status,
	           (unsigned long long)st.bad_frag, (unsigned long long)m->st.bad_frag,
	           (unsigned long long)st.dropped, (unsigned long long)m->st.dropped);
}

static void do_refill(struct model *m)
{
	struct e1000_rx_desc *d = rx_ring_desc(m->r);
	unsigned room = m->ndesc - 1 - m->posted;
	unsigned want = room < m->nfree ? room : m->nfree;
	unsigned tw = fake_hal_writes(m->fake, E1000_RDT);
	unsigned got = rx_ring_refill(m->r);

	FUZZ_CHECK(got == want, "refill %u, want %u", got, want);
	FUZZ_CHECK(fake_hal_writes(m->fake, E1000_RDT) == tw + (got ? 1u : 0u), "RDT writes");
	for (unsigned i = 0; i < got; i++) {
		struct e1000_rx_desc *x = &d[m->use];
		uint32_t b = buf_of_iova(m, x->buffer_addr);

		FUZZ_CHECK(b != PKT_BUF_NONE, "slot %u: address %#llx is no pool buffer", m->use,
		           (unsigned long long)x->buffer_addr);
		FUZZ_CHECK(m->own[b] == OWN_POOL, "slot %u: buffer %u posted but owned by %d",
		           m->use, b, m->own[b]);
		FUZZ_CHECK(x->status == 0, "slot %u posted with status %#x", m->use, x->status);
		m->own[b] = OWN_RING;
		m->slot[m->use] = b;
		m->use = (m->use + 1) & m->mask;
	}
	m->nfree -= got;
	m->posted += got;
	m->st.refilled += got;
	if (got) {
		m->st.tail_writes++;
		FUZZ_CHECK(fake_hal_reg(m->fake, E1000_RDT) == m->use, "RDT %u, want %u",
		           fake_hal_reg(m->fake, E1000_RDT), m->use);
	}
	check_accounting(m, "refill");
}

static void write_back(struct e1000_rx_desc *x, uint16_t len, uint8_t status, uint8_t errors)
{
	x->length = len;
	x->errors = errors;
	x->status = status;
}

static void do_wb_compact(struct model *m, struct fuzz_in *in)
{
	/* Pattern byte: bit 0 DD, bit 1 EOP, bit 2 a frame error (CE), bit 3 a
	 * non-frame error (TCPE: must not drop), bits 4-5 the length (0, 60,
	 * the buffer size, one more), bits 6-7 the other status bits (IXSM, VP). */
	static const uint8_t errs[4] = { 0, E1000_RXD_ERR_CE, E1000_RXD_ERR_TCPE,
	                                 E1000_RXD_ERR_CE | E1000_RXD_ERR_TCPE };
	struct e1000_rx_desc *d = rx_ring_desc(m->r);
	unsigned n = fuzz_u8(in);

	for (unsigned i = 0; i < n && in->left; i++) {
		uint8_t pat = fuzz_u8(in);
		uint16_t lens[4] = { 0, 60, (uint16_t)m->buf_size, (uint16_t)(m->buf_size + 1) };
		uint8_t status = (uint8_t)((pat & 3u) | ((pat >> 6) & 1u ? E1000_RXD_STAT_IXSM : 0u) |
		                           ((pat >> 7) & 1u ? E1000_RXD_STAT_VP : 0u));

		write_back(&d[(m->clean + i) & m->mask], lens[(pat >> 4) & 3u], status,
		           errs[(pat >> 2) & 3u]);
	}
}

static void do_wb_raw(struct model *m, struct fuzz_in *in)
{
	struct e1000_rx_desc *d = rx_ring_desc(m->r);
	unsigned skip = fuzz_u16(in) & m->mask, n = fuzz_u8(in);

	for (unsigned i = 0; i < n && in->left; i++) {
		struct e1000_rx_desc *x = &d[(m->clean + skip + i) & m->mask];
		uint16_t len = fuzz_u16(in);
		uint8_t status = fuzz_u8(in), errors = fuzz_u8(in), extra = fuzz_u8(in);

		/* A hostile device may also rewrite the address and the rest. */
		if (extra & 1)
			x->buffer_addr ^= (uint64_t)extra << 4;
		if (extra & 2)
			x->csum = (uint16_t)(extra * 257u);
		if (extra & 4)
			x->special = (uint16_t)(extra * 131u);
		write_back(x, len, status, errors);
	}
}

static void do_poll(struct model *m, unsigned max)
{
	struct e1000_rx_desc *d = rx_ring_desc(m->r);
	struct pkt_ref *out = calloc(max ? max : 1, sizeof(*out));
	struct pkt_ref *want = calloc(max ? max : 1, sizeof(*want));
	unsigned nwant = 0, got, harvested = 0, slot = m->clean;

	FUZZ_CHECK(out && want, "calloc");
	/* The model, from ring.h's rx_ring_poll contract. */
	while (nwant < max && harvested < m->posted) {
		const struct e1000_rx_desc *x = &d[slot];
		uint32_t b = m->slot[slot];

		if (!(x->status & E1000_RXD_STAT_DD))
			break;
		harvested++;
		slot = (slot + 1) & m->mask;
		if (!(x->status & E1000_RXD_STAT_EOP)) {
			if (!m->in_frag)
				m->st.bad_frag++;
			m->in_frag = true;
		} else if (m->in_frag) {
			m->in_frag = false;
		} else if (x->errors & E1000_RXD_ERR_FRAME) {
			m->st.bad_status++;
		} else if (x->length == 0 || x->length > m->buf_size) {
			m->st.bad_length++;
		} else {
			want[nwant].buf = b;
			want[nwant].len = x->length;
			nwant++;
			continue;
		}
		m->st.dropped++;
		m->own[b] = OWN_POOL;
		m->nfree++;
	}

	got = rx_ring_poll(m->r, out, max);
	FUZZ_CHECK(got == nwant, "poll returned %u frames, model %u", got, nwant);
	for (unsigned i = 0; i < got; i++) {
		FUZZ_CHECK(out[i].buf == want[i].buf && out[i].len == want[i].len,
		           "frame %u: buf %u len %u, model buf %u len %u", i, out[i].buf, out[i].len,
		           want[i].buf, want[i].len);
		FUZZ_CHECK(out[i].len >= 1 && out[i].len <= m->buf_size, "length %u", out[i].len);
		FUZZ_CHECK(m->own[out[i].buf] == OWN_RING, "buffer %u was not posted", out[i].buf);
		m->own[out[i].buf] = OWN_HARNESS;
		m->held[m->nheld++] = out[i].buf;
	}
	for (unsigned i = 0; i < harvested; i++) {
		const struct e1000_rx_desc *x = &d[m->clean];

		FUZZ_CHECK(x->status == 0 && x->buffer_addr == 0 && x->length == 0,
		           "harvested slot %u not cleared", m->clean);
		m->slot[m->clean] = PKT_BUF_NONE;
		m->clean = (m->clean + 1) & m->mask;
	}
	m->posted -= harvested;
	m->st.received += got;
	free(out);
	free(want);
	check_accounting(m, "poll");
}

static void do_return(struct model *m, unsigned k)
{
	if (k > m->nheld)
		k = m->nheld;
	/* The oldest k, in one put (as a binding returning a batch would). */
	pkt_pool_put(m->pool, m->held, k);
	for (unsigned i = 0; i < k; i++)
		m->own[m->held[i]] = OWN_POOL;
	memmove(m->held, m->held + k, (m->nheld - k) * sizeof(*m->held));
	m->nheld -= k;
	m->nfree += k;
	check_accounting(m, "return");
}

static void do_abort(struct model *m, bool setup)
{
	unsigned n, tw = fake_hal_writes(m->fake, E1000_RDT);

	if (setup) {
		rx_ring_hw_setup(m->r);
		n = m->posted;
		FUZZ_CHECK(fake_hal_reg(m->fake, E1000_RDT) == 0 &&
		           fake_hal_reg(m->fake, E1000_RDH) == 0 &&
		           fake_hal_writes(m->fake, E1000_RDT) == tw + 1, "hw_setup registers");
		FUZZ_CHECK(fake_hal_reg(m->fake, E1000_RDLEN) ==
		           m->ndesc * sizeof(struct e1000_rx_desc), "RDLEN");
	} else {
		n = rx_ring_abort(m->r);
		FUZZ_CHECK(n == m->posted, "abort returned %u, posted %u", n, m->posted);
	}
	while (m->posted) {
		m->own[m->slot[m->clean]] = OWN_POOL;
		m->slot[m->clean] = PKT_BUF_NONE;
		m->clean = (m->clean + 1) & m->mask;
		m->posted--;
	}
	m->nfree += n;
	m->st.aborted += n;
	m->in_frag = false;
	if (setup)
		m->clean = m->use = 0;
	check_accounting(m, setup ? "hw_setup" : "abort");
}

static void do_bad_put(struct model *m, struct fuzz_in *in)
{
	uint32_t b = fuzz_u16(in);

	/* Only puts the pool can tell are wrong: out of range, or already free. */
	if (b < m->nbufs && m->own[b] != OWN_POOL)
		b = m->nbufs + b;
	pkt_pool_put(m->pool, &b, 1);
	m->bad_puts++;
	check_accounting(m, "bad put");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct model m = { 0 };
	unsigned live = fake_hal_live_dma(fake);
	uint8_t cfg = fuzz_u8(&in);
	unsigned ops = 0;
	int rc;

	m.fake = fake;
	m.hw = fake_hal_dev(fake);
	m.ndesc = RING_NDESC_MIN << (cfg & 7u) <= RING_NDESC_MAX ? RING_NDESC_MIN << (cfg & 7u)
	                                                          : RING_NDESC_MIN;
	m.mask = m.ndesc - 1;
	m.buf_size = PKT_POOL_BUF_MIN << ((cfg >> 3) & 7u) <= PKT_POOL_BUF_MAX
	             ? PKT_POOL_BUF_MIN << ((cfg >> 3) & 7u) : 2048u;
	/* Fewer buffers than slots too: refill must stop at an empty pool. */
	m.nbufs = 1 + fuzz_u16(&in) % (m.ndesc + 64);
	if (m.nbufs > POOL_BYTES_MAX / m.buf_size)
		m.nbufs = POOL_BYTES_MAX / m.buf_size;

	rc = pkt_pool_create(m.hw, m.nbufs, m.buf_size, &m.pool);
	FUZZ_CHECK(rc == 0, "pkt_pool_create(%u, %u): %d", m.nbufs, m.buf_size, rc);
	rc = rx_ring_create(m.hw, m.pool, m.ndesc, &m.r);
	FUZZ_CHECK(rc == 0, "rx_ring_create(%u): %d", m.ndesc, rc);
	m.slot = malloc(m.ndesc * sizeof(*m.slot));
	m.own = calloc(m.nbufs, 1);
	m.held = malloc(m.nbufs * sizeof(*m.held));
	FUZZ_CHECK(m.slot && m.own && m.held, "malloc");
	for (unsigned i = 0; i < m.ndesc; i++)
		m.slot[i] = PKT_BUF_NONE;
	m.nfree = m.nbufs;
	rx_ring_hw_setup(m.r);
	check_accounting(&m, "setup");

	while (in.left && ops++ < 4096) {
		switch (fuzz_u8(&in) % OP_COUNT) {
		case OP_REFILL:     do_refill(&m); break;
		case OP_WB_COMPACT: do_wb_compact(&m, &in); break;
		case OP_WB_RAW:     do_wb_raw(&m, &in); break;
		case OP_POLL:       do_poll(&m, fuzz_u16(&in) % (m.ndesc + 2)); break;
		case OP_RETURN:     do_return(&m, fuzz_u8(&in)); break;
		case OP_ABORT:      do_abort(&m, false); break;
		case OP_HW_SETUP:   do_abort(&m, true); break;
		case OP_BAD_PUT:    do_bad_put(&m, &in); break;
		}
	}

	/* The pool is whole again once the harness gives back what it holds
	 * and the ring gives back what is posted. */
	do_return(&m, m.nheld);
	do_abort(&m, false);
	FUZZ_CHECK(pkt_pool_free_count(m.pool) == pkt_pool_size(m.pool), "pool free %u of %u",
	           pkt_pool_free_count(m.pool), pkt_pool_size(m.pool));
	rx_ring_destroy(m.r);
	FUZZ_CHECK(pkt_pool_free_count(m.pool) == pkt_pool_size(m.pool), "destroy changed the pool");
	pkt_pool_destroy(m.pool);
	FUZZ_CHECK(fake_hal_live_dma(fake) == live, "DMA regions left: %u, before %u",
	           fake_hal_live_dma(fake), live);
	free(m.slot);
	free(m.own);
	free(m.held);
	return 0;
}
