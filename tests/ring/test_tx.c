/* SPDX-License-Identifier: MIT */
/*
 * test_tx.c - TX ring on the passive fake backend: the test plays the device
 * by writing DD into descriptors (with release, as a device writes status last).
 * dev_process() is a faithful device (in order, DD only where RS is set, as
 * the SDM and QEMU's e1000/e1000e do); dev_complete() writes DD on any slot,
 * as a misbehaving device could.
 */
#include <stdlib.h>
#include <string.h>

#include "fake_hal.h"
#include "ring.h"
#include "testlib.h"

struct fix {
	struct fake_hal *fake;
	struct hal_dev  *hw;
	struct pkt_pool *pool;
	struct tx_ring  *r;
};

static bool fix_init(struct fix *f, unsigned ndesc, uint32_t nbufs, uint32_t bsize)
{
	memset(f, 0, sizeof(*f));
	f->fake = fake_hal_open(NULL);
	f->hw = fake_hal_dev(f->fake);
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
		CHECK_EQ(fake_hal_live_dma(f->fake), 0);
		fake_hal_close(f->fake);
	}
}

static void dev_complete(struct tx_ring *r, unsigned slot)
{
	struct e1000_tx_desc *d = &tx_ring_desc(r)[slot];

	__atomic_store_n(&d->status, (uint8_t)E1000_TXD_STAT_DD, __ATOMIC_RELEASE);
}

/* The device processes count descriptors from slot first: DD where RS is set. */
static void dev_process(struct tx_ring *r, unsigned first, unsigned count)
{
	unsigned mask = tx_ring_size(r) - 1;

	for (unsigned i = 0; i < count; i++) {
		unsigned slot = (first + i) & mask;

		if (tx_ring_desc(r)[slot].cmd & E1000_TXD_CMD_RS)
			dev_complete(r, slot);
	}
}

static uint8_t cmd_expected(bool rs)
{
	return (uint8_t)(E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS | (rs ? E1000_TXD_CMD_RS : 0u));
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
	w0 = fake_hal_writes(f.fake, E1000_TDT);   /* hw_setup's TDT = 0 */
	REQUIRE(take(&f, p, 40, 0) == 40);

	CHECK_EQ(tx_ring_submit(f.r, f.pool, p, 10), 10);
	CHECK_EQ(fake_hal_writes(f.fake, E1000_TDT), w0 + 1);
	CHECK_EQ(fake_hal_reg(f.fake, E1000_TDT), 10);
	CHECK_EQ(tx_ring_submit(f.r, f.pool, p + 10, 7), 7);
	CHECK_EQ(tx_ring_submit(f.r, f.pool, p + 17, 23), 23);
	CHECK_EQ(fake_hal_writes(f.fake, E1000_TDT), w0 + 3);
	CHECK_EQ(fake_hal_reg(f.fake, E1000_TDT), 40);
	/* Nothing accepted, nothing written. */
	CHECK_EQ(tx_ring_submit(f.r, f.pool, p, 0), 0);
	CHECK_EQ(fake_hal_writes(f.fake, E1000_TDT), w0 + 3);
	CHECK_EQ(tx_ring_in_flight(f.r), 40);
	CHECK_EQ(tx_ring_free_slots(f.r), 255 - 40);

	/* Descriptor contents: legacy, one per frame, EOP|IFCS; RS only on
	 * the last descriptor of each submit (slots 9, 16, 39). */
	for (unsigned i = 0; i < 40; i++) {
		const struct e1000_tx_desc *d = &tx_ring_desc(f.r)[i];

		CHECK_U64(d->buffer_addr, pkt_buf_iova(f.pool, p[i].buf));
		CHECK_EQ(d->length, p[i].len);
		CHECK_EQ(d->cmd, cmd_expected(i == 9 || i == 16 || i == 39));
		CHECK_EQ(d->cmd & E1000_TXD_CMD_DEXT, 0);
		CHECK_EQ(d->status, 0);
	}
	tx_ring_get_stats(f.r, &st);
	CHECK_U64(st.submitted, 40);
	CHECK_U64(st.tail_writes, 3);
	CHECK_U64(st.full, 0);
	CHECK_U64(st.rejected, 0);

	/* The device processes all 40 (DD on the three RS descriptors only);
	 * reclaim returns all 40 in submission order. */
	dev_process(f.r, 0, 40);
	for (unsigned i = 0; i < 40; i++)
		CHECK_EQ(tx_ring_desc(f.r)[i].status, (i == 9 || i == 16 || i == 39) ? E1000_TXD_STAT_DD : 0);
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
	w0 = fake_hal_writes(f.fake, E1000_TDT);
	REQUIRE(take(&f, p, 4, 100) == 4);
	p[2].len = 0;
	/* Stops at the bad one: two accepted, one tail write. */
	CHECK_EQ(tx_ring_submit(f.r, f.pool, p, 4), 2);
	CHECK_EQ(fake_hal_writes(f.fake, E1000_TDT), w0 + 1);
	tx_ring_get_stats(f.r, &st);
	CHECK_U64(st.rejected, 1);

	p[2].len = 2049;                     /* > buffer size */
	CHECK_EQ(tx_ring_submit(f.r, f.pool, p + 2, 2), 0);
	CHECK_EQ(fake_hal_writes(f.fake, E1000_TDT), w0 + 1);
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
	w0 = fake_hal_writes(f.fake, E1000_TDT);
	REQUIRE(take(&f, p, 100, 0) == 100);
	CHECK_EQ(tx_ring_submit(f.r, f.pool, p, 100), 63);    /* one slot stays empty */
	CHECK_EQ(tx_ring_free_slots(f.r), 0);
	CHECK_EQ(fake_hal_reg(f.fake, E1000_TDT), 63);
	CHECK_EQ(tx_ring_submit(f.r, f.pool, p + 63, 37), 0);
	CHECK_EQ(fake_hal_writes(f.fake, E1000_TDT), w0 + 1);
	tx_ring_get_stats(f.r, &st);
	CHECK_U64(st.full, 2);

	/* 63 in one call: RS on slots 31 and 62.  The device has processed 10:
	 * no RS among them, nothing to reclaim yet; at 32 the first 32 are. */
	for (unsigned i = 0; i < 63; i++)
		CHECK_EQ(tx_ring_desc(f.r)[i].cmd, cmd_expected(i == 31 || i == 62));
	dev_process(f.r, 0, 10);
	CHECK_EQ(tx_ring_reclaim(f.r, bufs, 100), 0);
	dev_process(f.r, 10, 22);
	CHECK_EQ(tx_ring_reclaim(f.r, bufs, 100), 32);
	for (unsigned i = 0; i < 32; i++)
		CHECK_EQ(bufs[i], p[i].buf);
	pkt_pool_put(f.pool, bufs, 32);
	CHECK_EQ(tx_ring_free_slots(f.r), 32);
	/* The wrap is seamless: 32 more go in at slots 63, 0..30. */
	CHECK_EQ(tx_ring_submit(f.r, f.pool, p + 63, 37), 32);
	CHECK_EQ(fake_hal_reg(f.fake, E1000_TDT), (63 + 32) % 64);
	CHECK_EQ(tx_ring_desc(f.r)[30].cmd, cmd_expected(true));
	CHECK_EQ(tx_ring_desc(f.r)[63].cmd, cmd_expected(false));
	dev_process(f.r, 32, 31);                  /* through slot 62: its RS */
	dev_process(f.r, 63, 20);                  /* 63, 0..18: no RS */
	CHECK_EQ(tx_ring_reclaim(f.r, bufs, 100), 31);
	for (unsigned i = 0; i < 31; i++)
		CHECK_EQ(bufs[i], p[32 + i].buf);
	pkt_pool_put(f.pool, bufs, 31);

	CHECK_EQ(tx_ring_abort(f.r, bufs, 100), 32);
	for (unsigned i = 0; i < 32; i++)
		CHECK_EQ(bufs[i], p[63 + i].buf);
	pkt_pool_put(f.pool, bufs, 32);
	give_back(&f, p + 95, 5);
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
	/* Three batches: slots 0..4 (RS 4), 5..7 (RS 7), 8..19 (RS 19). */
	CHECK_EQ(tx_ring_submit(f.r, f.pool, p, 5), 5);
	CHECK_EQ(tx_ring_submit(f.r, f.pool, p + 5, 3), 3);
	CHECK_EQ(tx_ring_submit(f.r, f.pool, p + 8, 12), 12);
	for (unsigned i = 0; i < 20; i++)
		CHECK_EQ(tx_ring_desc(f.r)[i].cmd, cmd_expected(i == 4 || i == 7 || i == 19));

	CHECK_EQ(tx_ring_reclaim(f.r, bufs, 20), 0);           /* nothing done yet */
	/* DD on descriptors without RS (a device writing more than it must)
	 * completes nothing: only a batch's RS descriptor is looked at. */
	for (unsigned i = 0; i < 4; i++)
		dev_complete(f.r, i);
	CHECK_EQ(tx_ring_reclaim(f.r, bufs, 20), 0);
	/* The second batch's RS before the first's: completions are taken in
	 * ring order only. */
	dev_complete(f.r, 7);
	CHECK_EQ(tx_ring_reclaim(f.r, bufs, 20), 0);
	/* The first batch's RS: both batches, all eight slots, in order. */
	dev_complete(f.r, 4);
	CHECK_EQ(tx_ring_reclaim(f.r, bufs, 20), 8);
	for (unsigned i = 0; i < 8; i++) {
		CHECK_EQ(bufs[i], p[i].buf);
		CHECK_EQ(tx_ring_desc(f.r)[i].status, 0);         /* cleared */
	}
	/* max cuts a batch: the RS descriptor keeps its DD until its own slot
	 * is harvested, so the rest comes with the next call. */
	dev_process(f.r, 8, 12);
	CHECK_EQ(tx_ring_reclaim(f.r, bufs, 5), 5);
	for (unsigned i = 0; i < 5; i++)
		CHECK_EQ(bufs[i], p[8 + i].buf);
	CHECK_EQ(tx_ring_desc(f.r)[19].status, E1000_TXD_STAT_DD);
	CHECK_EQ(tx_ring_in_flight(f.r), 7);
	CHECK_EQ(tx_ring_reclaim(f.r, bufs, 20), 7);
	for (unsigned i = 0; i < 7; i++)
		CHECK_EQ(bufs[i], p[13 + i].buf);
	CHECK_EQ(tx_ring_desc(f.r)[19].status, 0);
	CHECK_EQ(tx_ring_in_flight(f.r), 0);
	tx_ring_get_stats(f.r, &st);
	CHECK_U64(st.completed, 20);
	pkt_pool_put(f.pool, bufs, 7);
	pkt_pool_put(f.pool, (uint32_t[]){ p[0].buf, p[1].buf, p[2].buf, p[3].buf, p[4].buf,
	                                   p[5].buf, p[6].buf, p[7].buf, p[8].buf, p[9].buf,
	                                   p[10].buf, p[11].buf, p[12].buf }, 13);

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

		REQUIRE(take(&f, q, 20, 0) == 20);
		CHECK_EQ(tx_ring_submit(f.r, f.pool, q, 4), 4);       /* slots 20..23 */
		CHECK_EQ(tx_ring_submit(f.r, f.pool, q + 4, 16), 16); /* slots 24..39 */
		CHECK_EQ(tx_ring_in_flight(f.r), 20);
		/* Nothing completed: the old DD at 40 is beyond the tail and was
		 * never part of a submitted descriptor. */
		CHECK_EQ(tx_ring_reclaim(f.r, bufs, 20), 0);
		tx_ring_get_stats(f.r, &st);
		CHECK_U64(st.spurious_dd, 2);        /* slot 40 is next_use now */
	}
	{
		uint32_t all[64];
		unsigned n = tx_ring_abort(f.r, all, 64);

		CHECK_EQ(n, 20);
		pkt_pool_put(f.pool, all, n);
	}
	CHECK_EQ(pkt_pool_free_count(f.pool), 64);
	CHECK_U64(pkt_pool_bad_puts(f.pool), 0);
	fix_fini(&f);
}

/* One long submit: RS every TX_RS_INTERVAL descriptors and on the last. */
static void test_rs_interval(void)
{
	struct fix f;
	struct pkt_ref p[70];
	uint32_t bufs[70];
	unsigned n;

	REQUIRE(fix_init(&f, 256, 256, 2048));
	REQUIRE(take(&f, p, 70, 0) == 70);
	CHECK_EQ(tx_ring_submit(f.r, f.pool, p, 70), 70);
	for (unsigned i = 0; i < 70; i++)
		CHECK_EQ(tx_ring_desc(f.r)[i].cmd,
		         cmd_expected(i % TX_RS_INTERVAL == TX_RS_INTERVAL - 1 || i == 69));
	dev_process(f.r, 0, 40);                   /* DD on 31 */
	CHECK_EQ(tx_ring_reclaim(f.r, bufs, 70), TX_RS_INTERVAL);
	dev_process(f.r, 40, 30);                  /* DD on 63 and 69 */
	n = tx_ring_reclaim(f.r, bufs + TX_RS_INTERVAL, 70);
	CHECK_EQ(n, 70 - TX_RS_INTERVAL);
	for (unsigned i = 0; i < 70; i++)
		CHECK_EQ(bufs[i], p[i].buf);
	pkt_pool_put(f.pool, bufs, 70);
	CHECK_EQ(pkt_pool_free_count(f.pool), 256);
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
	CHECK_EQ(fake_hal_reg(f.fake, E1000_TDT), 0);
	CHECK_EQ(tx_ring_abort(f.r, bufs, 200), 50);
	CHECK_EQ(tx_ring_pending_abort(f.r), 0);
	pkt_pool_put(f.pool, bufs, 50);
	CHECK_EQ(pkt_pool_free_count(f.pool), 256);
	CHECK_U64(pkt_pool_bad_puts(f.pool), 0);
	CHECK_EQ(tx_ring_abort(f.r, bufs, 200), 0);
	fix_fini(&f);
}

/* Many laps around a small ring with varying batch sizes, device progress
 * and harvest limits.  The test knows where RS must be (the last descriptor of
 * each call, and every TX_RS_INTERVAL-th), checks it, and expects reclaim to
 * return exactly the slots up to the last RS descriptor the device reached. */
static void test_wraparound(void)
{
	struct fix f;
	struct pkt_ref p[64];
	uint32_t bufs[64];
	unsigned long laps = tl_scaled(2000, 200), sent = 0, done = 0, dev = 0;
	unsigned seed = 1;
	uint32_t expect[64];              /* in-flight buffers, by slot */
	bool is_rs[64];                   /* by slot, for in-flight slots */
	struct tx_ring_stats st;

	REQUIRE(fix_init(&f, 64, 128, 512));
	for (unsigned long it = 0; it < laps; it++) {
		unsigned want = 1 + (unsigned)(rand_r(&seed) % 40);
		unsigned got = take(&f, p, want, 0);
		unsigned acc = tx_ring_submit(f.r, f.pool, p, got);
		unsigned long last_rs = 0, expected;
		unsigned ncomp, n = 0;
		bool any_rs = false;

		for (unsigned i = 0; i < acc; i++) {
			expect[(sent + i) & 63] = p[i].buf;
			is_rs[(sent + i) & 63] = i % TX_RS_INTERVAL == TX_RS_INTERVAL - 1 || i == acc - 1;
		}
		give_back(&f, p + acc, got - acc);
		sent += acc;
		CHECK_EQ(fake_hal_reg(f.fake, E1000_TDT), sent & 63);
		/* The device moves on by a random number of descriptors. */
		ncomp = (unsigned)(rand_r(&seed) % (sent - dev + 1));
		for (unsigned i = 0; i < ncomp; i++)
			CHECK_EQ(tx_ring_desc(f.r)[(dev + i) & 63].cmd, cmd_expected(is_rs[(dev + i) & 63]));
		dev_process(f.r, dev & 63, ncomp);
		dev += ncomp;
		for (unsigned long a = done; a < dev; a++)
			if (is_rs[a & 63]) {
				last_rs = a;
				any_rs = true;
			}
		expected = any_rs ? last_rs + 1 - done : 0;
		/* Harvest with random limits until nothing is left. */
		for (;;) {
			unsigned max = 1 + (unsigned)(rand_r(&seed) % 64);
			unsigned k = tx_ring_reclaim(f.r, bufs, max);

			CHECK(k <= max);
			for (unsigned i = 0; i < k; i++)
				CHECK_EQ(bufs[i], expect[(done + n + i) & 63]);
			pkt_pool_put(f.pool, bufs, k);
			n += k;
			if (k == 0)
				break;
		}
		CHECK_EQ(n, expected);
		done += n;
	}
	CHECK(sent > 64 * 10);
	CHECK(done > 64 * 5);
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

/* tx_ring_hold/release: several submits, one TDT write, at release, to the
 * end of all of them; before it the device is shown nothing (the tail stays
 * where it was, and a device that stopped at the tail completes nothing new).
 * A release with nothing submitted writes nothing; one after an abort does
 * not ring for the aborted slots; hw_setup ends a hold. */
static void test_hold_release_one_doorbell(void)
{
	struct fix f;
	struct pkt_ref p[100];
	struct tx_frame fr[10];
	uint32_t bufs[128];
	struct tx_ring_stats st;
	unsigned w0;

	REQUIRE(fix_init(&f, 256, 256, 2048));
	w0 = fake_hal_writes(f.fake, E1000_TDT);
	REQUIRE(take(&f, p, 100, 0) == 100);

	/* Submitted, then rung: one write for three submits of both kinds. */
	CHECK_EQ(tx_ring_submit(f.r, f.pool, p, 5), 5);
	CHECK_EQ(fake_hal_writes(f.fake, E1000_TDT), w0 + 1);
	tx_ring_hold(f.r);
	CHECK_EQ(tx_ring_submit(f.r, f.pool, p + 5, 40), 40);
	for (unsigned i = 0; i < 10; i++)
		fr[i] = (struct tx_frame){ .seg = &p[45 + i], .nseg = 1,
		                           .off = { .kind = TX_OFFLOAD_NONE } };
	CHECK_EQ(tx_ring_submit_frames(f.r, f.pool, fr, 10), 10);
	CHECK_EQ(tx_ring_submit(f.r, f.pool, p + 55, 5), 5);
	CHECK_EQ(fake_hal_writes(f.fake, E1000_TDT), w0 + 1);
	CHECK_EQ(fake_hal_reg(f.fake, E1000_TDT), 5);
	CHECK_EQ(tx_ring_in_flight(f.r), 60);
	/* Batches still close per submit: RS on each one's last descriptor. */
	CHECK(tx_ring_desc(f.r)[44].cmd & E1000_TXD_CMD_RS);
	CHECK(tx_ring_desc(f.r)[54].cmd & E1000_TXD_CMD_RS);
	CHECK(tx_ring_desc(f.r)[59].cmd & E1000_TXD_CMD_RS);
	/* The device went as far as the tail it saw: only the first 5 come back. */
	dev_process(f.r, 0, 5);
	CHECK_EQ(tx_ring_reclaim(f.r, bufs, 128), 5);
	tx_ring_release(f.r);
	CHECK_EQ(fake_hal_writes(f.fake, E1000_TDT), w0 + 2);
	CHECK_EQ(fake_hal_reg(f.fake, E1000_TDT), 60);
	dev_process(f.r, 5, 55);
	CHECK_EQ(tx_ring_reclaim(f.r, bufs + 5, 123), 55);
	for (unsigned i = 0; i < 60; i++)
		CHECK_EQ(bufs[i], p[i].buf);
	tx_ring_get_stats(f.r, &st);
	CHECK_U64(st.tail_writes, 2);
	CHECK_U64(st.submitted, 60);

	/* Released: submit rings per call again. */
	CHECK_EQ(tx_ring_submit(f.r, f.pool, p + 60, 3), 3);
	CHECK_EQ(fake_hal_writes(f.fake, E1000_TDT), w0 + 3);
	CHECK_EQ(fake_hal_reg(f.fake, E1000_TDT), 63);

	/* A hold with nothing submitted: release writes nothing. */
	tx_ring_hold(f.r);
	CHECK_EQ(tx_ring_submit(f.r, f.pool, p, 0), 0);
	tx_ring_release(f.r);
	CHECK_EQ(fake_hal_writes(f.fake, E1000_TDT), w0 + 3);

	/* Held, then aborted (the device stopped): release does not ring for
	 * slots that are no longer in flight. */
	tx_ring_hold(f.r);
	CHECK_EQ(tx_ring_submit(f.r, f.pool, p + 63, 10), 10);
	CHECK_EQ(tx_ring_abort(f.r, bufs + 60, 68), 13);
	tx_ring_release(f.r);
	CHECK_EQ(fake_hal_writes(f.fake, E1000_TDT), w0 + 3);

	/* hw_setup ends a hold: the next submit rings on its own. */
	tx_ring_hold(f.r);
	tx_ring_hw_setup(f.r);
	CHECK_EQ(tx_ring_submit(f.r, f.pool, p + 73, 2), 2);
	CHECK_EQ(fake_hal_reg(f.fake, E1000_TDT), 2);
	CHECK_EQ(tx_ring_abort(f.r, bufs + 73, 2), 2);

	pkt_pool_put(f.pool, bufs, 75);
	give_back(&f, p + 75, 25);
	CHECK_EQ(pkt_pool_free_count(f.pool), 256);
	CHECK_U64(pkt_pool_bad_puts(f.pool), 0);
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
		TL_CASE(test_rs_interval),
		TL_CASE(test_abort_returns_everything),
		TL_CASE(test_wraparound),
		TL_CASE(test_hold_release_one_doorbell),
	};

	return tl_run(cases, TL_N(cases));
}
