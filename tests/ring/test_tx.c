/* SPDX-License-Identifier: MIT */
/*
 * test_tx.c - TX ring on the passive fake backend: the test plays the device
 * by writing DD into descriptors (with release, as a device writes status last).
 */
#include <stdlib.h>
#include <string.h>

#include "fake_hal.h"
#include "ring.h"
#include "testlib.h"

struct fix {
	struct hal_dev  *hw;
	struct pkt_pool *pool;
	struct tx_ring  *r;
};

static bool fix_init(struct fix *f, unsigned ndesc, uint32_t nbufs, uint32_t bsize)
{
	memset(f, 0, sizeof(*f));
	f->hw = fake_open();
	if (!f->hw || pkt_pool_create(f->hw, nbufs, bsize, &f->pool) < 0 ||
	    tx_ring_create(f->hw, ndesc, &f->r) < 0)
		return false;
	tx_ring_hw_setup(f->r);
	return true;
}

static void fix_fini(struct fix *f)
{
	tx_ring_destroy(f->r);
	pkt_pool_destroy(f->pool);
	if (f->hw) {
		CHECK_EQ(fake_live_dma(f->hw), 0);
		fake_close(f->hw);
	}
}

static void dev_complete(struct tx_ring *r, unsigned slot)
{
	struct e1000_tx_desc *d = &tx_ring_desc(r)[slot];

	__atomic_store_n(&d->status, (uint8_t)E1000_TXD_STAT_DD, __ATOMIC_RELEASE);
}

/* Take n buffers and describe them as packets of len (0: 60 + i). */
static unsigned take(struct fix *f, struct pkt_ref *p, unsigned n, uint32_t len)
{
	uint32_t bufs[4096];
	unsigned got = pkt_pool_get(f->pool, bufs, n);

	for (unsigned i = 0; i < got; i++) {
		p[i].buf = bufs[i];
		p[i].len = len ? len : 60 + i;
	}
	return got;
}

static void give_back(struct fix *f, const struct pkt_ref *p, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		pkt_pool_put(f->pool, &p[i].buf, 1);
}

static void test_submit_one_tail_per_batch(void)
{
	struct fix f;
	struct pkt_ref p[64];
	struct tx_ring_stats st;
	unsigned w0;

	REQUIRE(fix_init(&f, 256, 256, 2048));
	w0 = fake_writes(f.hw, E1000_TDT);   /* hw_setup's TDT = 0 */
	REQUIRE(take(&f, p, 40, 0) == 40);

	CHECK_EQ(tx_ring_submit(f.r, f.pool, p, 10), 10);
	CHECK_EQ(fake_writes(f.hw, E1000_TDT), w0 + 1);
	CHECK_EQ(fake_reg(f.hw, E1000_TDT), 10);
	CHECK_EQ(tx_ring_submit(f.r, f.pool, p + 10, 7), 7);
	CHECK_EQ(tx_ring_submit(f.r, f.pool, p + 17, 23), 23);
	CHECK_EQ(fake_writes(f.hw, E1000_TDT), w0 + 3);
	CHECK_EQ(fake_reg(f.hw, E1000_TDT), 40);
	/* Nothing accepted, nothing written. */
	CHECK_EQ(tx_ring_submit(f.r, f.pool, p, 0), 0);
	CHECK_EQ(fake_writes(f.hw, E1000_TDT), w0 + 3);
	CHECK_EQ(tx_ring_in_flight(f.r), 40);
	CHECK_EQ(tx_ring_free_slots(f.r), 255 - 40);

	/* Descriptor contents: legacy, one per frame, EOP|IFCS|RS. */
	for (unsigned i = 0; i < 40; i++) {
		const struct e1000_tx_desc *d = &tx_ring_desc(f.r)[i];

		CHECK_U64(d->buffer_addr, pkt_buf_iova(f.pool, p[i].buf));
		CHECK_EQ(d->length, p[i].len);
		CHECK_EQ(d->cmd, E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS | E1000_TXD_CMD_RS);
		CHECK_EQ(d->cmd & E1000_TXD_CMD_DEXT, 0);
		CHECK_EQ(d->status, 0);
	}
	tx_ring_get_stats(f.r, &st);
	CHECK_U64(st.submitted, 40);
	CHECK_U64(st.tail_writes, 3);
	CHECK_U64(st.full, 0);
	CHECK_U64(st.rejected, 0);

	/* Complete all, reclaim in submission order. */
	for (unsigned i = 0; i < 40; i++)
		dev_complete(f.r, i);
	{
		uint32_t bufs[64];

		CHECK_EQ(tx_ring_reclaim(f.r, bufs, 64), 40);
		for (unsigned i = 0; i < 40; i++)
			CHECK_EQ(bufs[i], p[i].buf);
		pkt_pool_put(f.pool, bufs, 40);
	}
	CHECK_EQ(pkt_pool_free_count(f.pool), 256);
	tx_ring_get_stats(f.r, &st);
	CHECK_U64(st.completed, 40);
	fix_fini(&f);
}

static void test_length_validation(void)
{
	struct fix f;
	struct pkt_ref p[8];
	struct tx_ring_stats st;
	unsigned w0;
	uint32_t saved;

	REQUIRE(fix_init(&f, 64, 32, 2048));
	w0 = fake_writes(f.hw, E1000_TDT);
	REQUIRE(take(&f, p, 4, 100) == 4);
	p[2].len = 0;
	/* Stops at the bad one: two accepted, one tail write. */
	CHECK_EQ(tx_ring_submit(f.r, f.pool, p, 4), 2);
	CHECK_EQ(fake_writes(f.hw, E1000_TDT), w0 + 1);
	tx_ring_get_stats(f.r, &st);
	CHECK_U64(st.rejected, 1);

	p[2].len = 2049;                     /* > buffer size */
	CHECK_EQ(tx_ring_submit(f.r, f.pool, p + 2, 2), 0);
	CHECK_EQ(fake_writes(f.hw, E1000_TDT), w0 + 1);
	p[2].len = 2048;                     /* exactly the buffer: fine */
	saved = p[3].buf;
	p[3].buf = 32;                       /* not a buffer of this pool */
	CHECK_EQ(tx_ring_submit(f.r, f.pool, p + 2, 2), 1);
	tx_ring_get_stats(f.r, &st);
	CHECK_U64(st.rejected, 3);
	CHECK_U64(st.submitted, 3);
	CHECK_EQ(tx_ring_in_flight(f.r), 3);
	{
		uint32_t bufs[8];

		CHECK_EQ(tx_ring_abort(f.r, bufs, 8), 3);
		CHECK_EQ(bufs[0], p[0].buf);
		CHECK_EQ(bufs[2], p[2].buf);
		pkt_pool_put(f.pool, bufs, 3);
	}
	pkt_pool_put(f.pool, &saved, 1);
	CHECK_EQ(pkt_pool_free_count(f.pool), 32);
	CHECK_U64(pkt_pool_bad_puts(f.pool), 0);
	fix_fini(&f);
}

/* 16 KiB buffers: the descriptor limit (16288) is the binding one. */
static void test_length_limit_16288(void)
{
	struct fix f;
	struct pkt_ref p[2];
	uint32_t bufs[2];

	REQUIRE(fix_init(&f, 64, 4, 16384));
	REQUIRE(take(&f, p, 2, 0) == 2);
	p[0].len = TX_DESC_LEN_MAX + 1;
	CHECK_EQ(tx_ring_submit(f.r, f.pool, p, 2), 0);
	p[0].len = TX_DESC_LEN_MAX;
	p[1].len = 16384;
	CHECK_EQ(tx_ring_submit(f.r, f.pool, p, 2), 1);
	CHECK_EQ(tx_ring_desc(f.r)[0].length, TX_DESC_LEN_MAX);
	CHECK_EQ(tx_ring_abort(f.r, bufs, 2), 1);
	CHECK_EQ(bufs[0], p[0].buf);
	pkt_pool_put(f.pool, bufs, 1);
	give_back(&f, &p[1], 1);
	CHECK_EQ(pkt_pool_free_count(f.pool), 4);
	fix_fini(&f);
}

static void test_full_ring(void)
{
	struct fix f;
	struct pkt_ref p[100];
	struct tx_ring_stats st;
	uint32_t bufs[100];
	unsigned w0;

	REQUIRE(fix_init(&f, 64, 128, 256));
	w0 = fake_writes(f.hw, E1000_TDT);
	REQUIRE(take(&f, p, 100, 0) == 100);
	CHECK_EQ(tx_ring_submit(f.r, f.pool, p, 100), 63);    /* one slot stays empty */
	CHECK_EQ(tx_ring_free_slots(f.r), 0);
	CHECK_EQ(fake_reg(f.hw, E1000_TDT), 63);
	CHECK_EQ(tx_ring_submit(f.r, f.pool, p + 63, 37), 0);
	CHECK_EQ(fake_writes(f.hw, E1000_TDT), w0 + 1);
	tx_ring_get_stats(f.r, &st);
	CHECK_U64(st.full, 2);

	/* Device completes 10; 10 slots free up; the wrap is seamless. */
	for (unsigned i = 0; i < 10; i++)
		dev_complete(f.r, i);
	CHECK_EQ(tx_ring_reclaim(f.r, bufs, 100), 10);
	pkt_pool_put(f.pool, bufs, 10);
	CHECK_EQ(tx_ring_free_slots(f.r), 10);
	CHECK_EQ(tx_ring_submit(f.r, f.pool, p + 63, 37), 10);
	CHECK_EQ(fake_reg(f.hw, E1000_TDT), (63 + 10) % 64);

	CHECK_EQ(tx_ring_abort(f.r, bufs, 100), 63);
	for (unsigned i = 0; i < 63; i++)
		CHECK_EQ(bufs[i], p[10 + i].buf);
	pkt_pool_put(f.pool, bufs, 63);
	give_back(&f, p + 73, 27);
	CHECK_EQ(pkt_pool_free_count(f.pool), 128);
	CHECK_U64(pkt_pool_bad_puts(f.pool), 0);
	fix_fini(&f);
}

static void test_reclaim_order_and_spurious_dd(void)
{
	struct fix f;
	struct pkt_ref p[20];
	struct tx_ring_stats st;
	uint32_t bufs[20];

	REQUIRE(fix_init(&f, 64, 64, 2048));
	REQUIRE(take(&f, p, 20, 0) == 20);
	CHECK_EQ(tx_ring_submit(f.r, f.pool, p, 20), 20);

	CHECK_EQ(tx_ring_reclaim(f.r, bufs, 20), 0);           /* nothing done yet */
	/* Slot 3 done before 0..2: completions are taken in ring order only. */
	dev_complete(f.r, 3);
	CHECK_EQ(tx_ring_reclaim(f.r, bufs, 20), 0);
	dev_complete(f.r, 0);
	dev_complete(f.r, 1);
	CHECK_EQ(tx_ring_reclaim(f.r, bufs, 20), 2);
	CHECK_EQ(bufs[0], p[0].buf);
	CHECK_EQ(bufs[1], p[1].buf);
	dev_complete(f.r, 2);
	/* max bounds the harvest. */
	CHECK_EQ(tx_ring_reclaim(f.r, bufs, 1), 1);
	CHECK_EQ(bufs[0], p[2].buf);
	CHECK_EQ(tx_ring_reclaim(f.r, bufs, 20), 1);
	CHECK_EQ(bufs[0], p[3].buf);
	CHECK_EQ(tx_ring_in_flight(f.r), 16);

	/* DD on a slot that is not in flight (the gap at next_use = 20): counted,
	 * cleared, never returned as a completion. */
	dev_complete(f.r, 20);
	dev_complete(f.r, 40);                     /* deep in the free area */
	CHECK_EQ(tx_ring_reclaim(f.r, bufs, 20), 0);
	tx_ring_get_stats(f.r, &st);
	CHECK_U64(st.spurious_dd, 1);
	CHECK_EQ(tx_ring_desc(f.r)[20].status, 0);
	CHECK_EQ(tx_ring_reclaim(f.r, bufs, 20), 0);
	tx_ring_get_stats(f.r, &st);
	CHECK_U64(st.spurious_dd, 1);              /* cleared: not counted twice */
	/* A stale DD in a free slot cannot survive its reuse either. */
	{
		struct pkt_ref q[20];
		unsigned n;

		pkt_pool_put(f.pool, (uint32_t[]){ p[0].buf, p[1].buf, p[2].buf, p[3].buf }, 4);
		REQUIRE(take(&f, q, 4, 0) == 4);
		CHECK_EQ(tx_ring_submit(f.r, f.pool, q, 4), 4);
		/* Fill up to slot 40 and beyond with more of the pool. */
		n = take(&f, q + 4, 16, 0);
		REQUIRE(n == 16);
		CHECK_EQ(tx_ring_submit(f.r, f.pool, q + 4, 16), 16);   /* slots 24..39 */
		CHECK_EQ(tx_ring_submit(f.r, f.pool, q, 0), 0);
		CHECK_EQ(tx_ring_in_flight(f.r), 36);
		/* Nothing completed: the old DD at 40 is beyond the tail and was
		 * never part of a submitted descriptor. */
		CHECK_EQ(tx_ring_reclaim(f.r, bufs, 20), 0);
		tx_ring_get_stats(f.r, &st);
		CHECK_U64(st.spurious_dd, 2);        /* slot 40 is next_use now */
	}
	{
		uint32_t all[64];
		unsigned n = tx_ring_abort(f.r, all, 64);

		CHECK_EQ(n, 36);
		pkt_pool_put(f.pool, all, n);
	}
	CHECK_EQ(pkt_pool_free_count(f.pool), 64);
	CHECK_U64(pkt_pool_bad_puts(f.pool), 0);
	fix_fini(&f);
}

static void test_abort_returns_everything(void)
{
	struct fix f;
	struct pkt_ref p[200];
	uint32_t bufs[200];
	unsigned n = 0, k;
	struct tx_ring_stats st;

	REQUIRE(fix_init(&f, 256, 256, 2048));
	REQUIRE(take(&f, p, 200, 0) == 200);
	CHECK_EQ(tx_ring_submit(f.r, f.pool, p, 150), 150);
	/* Some completed, not reclaimed: abort returns them too. */
	for (unsigned i = 0; i < 30; i++)
		dev_complete(f.r, i);
	/* In chunks: max is honoured, order preserved. */
	while ((k = tx_ring_abort(f.r, bufs + n, 7)) > 0) {
		CHECK(k <= 7);
		n += k;
	}
	CHECK_EQ(n, 150);
	for (unsigned i = 0; i < 150; i++)
		CHECK_EQ(bufs[i], p[i].buf);
	CHECK_EQ(tx_ring_in_flight(f.r), 0);
	CHECK_EQ(tx_ring_free_slots(f.r), 255);
	for (unsigned i = 0; i < 256; i++)
		CHECK_EQ(tx_ring_desc(f.r)[i].status, 0);
	tx_ring_get_stats(f.r, &st);
	CHECK_U64(st.aborted, 150);
	pkt_pool_put(f.pool, bufs, n);

	/* hw_setup with buffers in flight parks them for abort. */
	tx_ring_hw_setup(f.r);
	CHECK_EQ(tx_ring_submit(f.r, f.pool, p + 150, 50), 50);
	CHECK_EQ(tx_ring_in_flight(f.r), 50);
	tx_ring_hw_setup(f.r);
	CHECK_EQ(tx_ring_in_flight(f.r), 0);
	CHECK_EQ(tx_ring_pending_abort(f.r), 50);
	CHECK_EQ(tx_ring_free_slots(f.r), 255 - 50);
	CHECK_EQ(fake_reg(f.hw, E1000_TDT), 0);
	CHECK_EQ(tx_ring_abort(f.r, bufs, 200), 50);
	CHECK_EQ(tx_ring_pending_abort(f.r), 0);
	pkt_pool_put(f.pool, bufs, 50);
	CHECK_EQ(pkt_pool_free_count(f.pool), 256);
	CHECK_U64(pkt_pool_bad_puts(f.pool), 0);
	CHECK_EQ(tx_ring_abort(f.r, bufs, 200), 0);
	fix_fini(&f);
}

/* Many laps around a small ring with varying batch sizes and completions. */
static void test_wraparound(void)
{
	struct fix f;
	struct pkt_ref p[64];
	uint32_t bufs[64];
	unsigned long laps = tl_scaled(2000, 200), sent = 0, done = 0;
	unsigned head = 0, seed = 1;
	uint32_t expect[64];              /* in-flight buffers, by slot */
	struct tx_ring_stats st;

	REQUIRE(fix_init(&f, 64, 128, 512));
	for (unsigned long it = 0; it < laps; it++) {
		unsigned want = 1 + (unsigned)(rand_r(&seed) % 40);
		unsigned got = take(&f, p, want, 0);
		unsigned acc = tx_ring_submit(f.r, f.pool, p, got);
		unsigned ncomp, n;

		for (unsigned i = 0; i < acc; i++)
			expect[(sent + i) & 63] = p[i].buf;
		give_back(&f, p + acc, got - acc);
		sent += acc;
		CHECK_EQ(fake_reg(f.hw, E1000_TDT), sent & 63);
		ncomp = (unsigned)(rand_r(&seed) % (tx_ring_in_flight(f.r) + 1));
		for (unsigned i = 0; i < ncomp; i++)
			dev_complete(f.r, (head + i) & 63);
		n = tx_ring_reclaim(f.r, bufs, 64);
		CHECK_EQ(n, ncomp);
		for (unsigned i = 0; i < n; i++)
			CHECK_EQ(bufs[i], expect[(done + i) & 63]);
		pkt_pool_put(f.pool, bufs, n);
		head = (head + n) & 63;
		done += n;
	}
	CHECK(sent > 64 * 10);
	{
		unsigned n = tx_ring_abort(f.r, bufs, 64);

		pkt_pool_put(f.pool, bufs, n);
	}
	tx_ring_get_stats(f.r, &st);
	CHECK_U64(st.submitted, sent);
	CHECK_U64(st.completed, done);
	CHECK_U64(st.spurious_dd, 0);
	CHECK_EQ(pkt_pool_free_count(f.pool), 128);
	fix_fini(&f);
}

int main(void)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_submit_one_tail_per_batch),
		TL_CASE(test_length_validation),
		TL_CASE(test_length_limit_16288),
		TL_CASE(test_full_ring),
		TL_CASE(test_reclaim_order_and_spurious_dd),
		TL_CASE(test_abort_returns_everything),
		TL_CASE(test_wraparound),
	};

	return tl_run(cases, TL_N(cases));
}
