/* SPDX-License-Identifier: MIT */
/*
 * test_rx.c - RX ring on the passive fake backend: the test plays the device,
 * forging write-backs (length, errors, then status with release, as a device
 * writes status last), including invalid ones.
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
	struct rx_ring  *r;
};

static bool fix_init(struct fix *f, unsigned ndesc, uint32_t nbufs, uint32_t bsize)
{
	memset(f, 0, sizeof(*f));
	f->fake = fake_hal_open(NULL);
	f->hw = fake_hal_dev(f->fake);
	if (!f->hw || pkt_pool_create(f->hw, nbufs, bsize, &f->pool) < 0 ||
	    rx_ring_create(f->hw, f->pool, ndesc, &f->r) < 0)
		return false;
	rx_ring_hw_setup(f->r);
	return true;
}

static void fix_fini(struct fix *f)
{
	rx_ring_destroy(f->r);
	if (f->pool)
		CHECK_EQ(pkt_pool_free_count(f->pool), pkt_pool_size(f->pool));
	pkt_pool_destroy(f->pool);
	if (f->hw) {
		CHECK_EQ(fake_hal_live_dma(f->fake), 0);
		fake_hal_close(f->fake);
	}
}

/* The buffer a posted descriptor points at, seen from the device side. */
static uint32_t slot_buf(struct fix *f, unsigned slot)
{
	uint64_t iova = rx_ring_desc(f->r)[slot].buffer_addr;

	return iova ? pkt_buf_from_va(f->pool, fake_hal_iova_to_va(iova)) : PKT_BUF_NONE;
}

static void dev_wb(struct rx_ring *r, unsigned slot, uint16_t len, uint8_t status,
                   uint8_t errors)
{
	struct e1000_rx_desc *d = &rx_ring_desc(r)[slot];

	__atomic_store_n(&d->length, len, __ATOMIC_RELAXED);
	__atomic_store_n(&d->errors, errors, __ATOMIC_RELAXED);
	__atomic_store_n(&d->status, (uint8_t)(status | E1000_RXD_STAT_DD), __ATOMIC_RELEASE);
}

static void dev_good(struct rx_ring *r, unsigned slot, uint16_t len)
{
	dev_wb(r, slot, len, E1000_RXD_STAT_EOP, 0);
}

static void put_refs(struct fix *f, const struct pkt_ref *p, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		pkt_pool_put(f->pool, &p[i].buf, 1);
}

static void test_refill_gap_one_tail(void)
{
	struct fix f;
	struct pkt_ref out[64];
	struct rx_ring_stats st;
	uint8_t seen[256] = { 0 };
	unsigned w0;

	REQUIRE(fix_init(&f, 64, 256, 2048));
	w0 = fake_hal_writes(f.fake, E1000_RDT);
	CHECK_EQ(rx_ring_refill(f.r), 63);
	CHECK_EQ(fake_hal_writes(f.fake, E1000_RDT), w0 + 1);
	CHECK_EQ(fake_hal_reg(f.fake, E1000_RDT), 63);
	CHECK(fake_hal_reg(f.fake, E1000_RDT) != fake_hal_reg(f.fake, E1000_RDH));
	CHECK_EQ(rx_ring_posted(f.r), 63);
	CHECK_EQ(pkt_pool_free_count(f.pool), 256 - 63);
	for (unsigned i = 0; i < 63; i++) {
		uint32_t b = slot_buf(&f, i);

		REQUIRE(b < 256);
		CHECK_EQ(seen[b], 0);
		seen[b] = 1;
		CHECK_EQ(rx_ring_desc(f.r)[i].status, 0);
	}
	CHECK_U64(rx_ring_desc(f.r)[63].buffer_addr, 0);   /* the gap */

	/* Full ring: nothing to post, no tail write. */
	CHECK_EQ(rx_ring_refill(f.r), 0);
	CHECK_EQ(fake_hal_writes(f.fake, E1000_RDT), w0 + 1);

	/* Device fills 10; RDH moves to 10.  Poll, refill: one write, gap kept. */
	for (unsigned i = 0; i < 10; i++)
		dev_good(f.r, i, 60);
	fake_hal_set_reg(f.fake, E1000_RDH, 10);
	CHECK_EQ(rx_ring_poll(f.r, out, 64), 10);
	put_refs(&f, out, 10);
	CHECK_EQ(rx_ring_refill(f.r), 10);
	CHECK_EQ(fake_hal_writes(f.fake, E1000_RDT), w0 + 2);
	CHECK_EQ(fake_hal_reg(f.fake, E1000_RDT), 9);
	CHECK(fake_hal_reg(f.fake, E1000_RDT) != fake_hal_reg(f.fake, E1000_RDH));

	/* Device consumes every posted buffer: RDH catches up with RDT, which
	 * the device reads as "empty" (correct).  After poll + refill the ring
	 * is full again and RDT is one behind RDH, never equal. */
	for (unsigned i = 0; i < 63; i++)
		dev_good(f.r, (10 + i) & 63, 100);
	fake_hal_set_reg(f.fake, E1000_RDH, 9);
	CHECK_EQ(rx_ring_poll(f.r, out, 64), 63);
	put_refs(&f, out, 63);
	CHECK_EQ(rx_ring_refill(f.r), 63);
	CHECK_EQ(fake_hal_writes(f.fake, E1000_RDT), w0 + 3);
	CHECK_EQ(fake_hal_reg(f.fake, E1000_RDT), 8);
	CHECK(fake_hal_reg(f.fake, E1000_RDT) != fake_hal_reg(f.fake, E1000_RDH));
	rx_ring_get_stats(f.r, &st);
	CHECK_U64(st.tail_writes, 3);
	CHECK_U64(st.refilled, 63 + 10 + 63);
	CHECK_U64(st.received, 73);
	fix_fini(&f);
}

static void test_refill_short_pool(void)
{
	struct fix f;
	unsigned w0;

	REQUIRE(fix_init(&f, 64, 10, 2048));
	w0 = fake_hal_writes(f.fake, E1000_RDT);
	CHECK_EQ(rx_ring_refill(f.r), 10);
	CHECK_EQ(fake_hal_reg(f.fake, E1000_RDT), 10);
	CHECK_EQ(rx_ring_refill(f.r), 0);          /* pool empty: no write */
	CHECK_EQ(fake_hal_writes(f.fake, E1000_RDT), w0 + 1);
	CHECK_EQ(pkt_pool_free_count(f.pool), 0);
	fix_fini(&f);                               /* destroy returns the 10 */
}

static void test_forged_writebacks(void)
{
	struct fix f;
	struct pkt_ref out[64];
	struct rx_ring_stats st;
	uint32_t b[64];
	unsigned n, held = 0;

	REQUIRE(fix_init(&f, 64, 128, 512));
	REQUIRE(rx_ring_refill(f.r) == 63);
	for (unsigned i = 0; i < 64; i++)
		b[i] = slot_buf(&f, i);

	dev_good(f.r, 0, 60);                                       /* good */
	dev_good(f.r, 1, 0);                                        /* length 0 */
	dev_good(f.r, 2, 513);                                      /* > buffer */
	dev_good(f.r, 3, 512);                                      /* exactly: good */
	dev_wb(f.r, 4, 512, 0, 0);                                  /* 3-piece frame */
	dev_wb(f.r, 5, 512, 0, 0);
	dev_good(f.r, 6, 100);
	dev_wb(f.r, 7, 60, E1000_RXD_STAT_EOP, E1000_RXD_ERR_CE);   /* CRC error */
	dev_wb(f.r, 8, 60, E1000_RXD_STAT_EOP, E1000_RXD_ERR_RXE | E1000_RXD_ERR_SE);
	/* Checksum errors are not frame errors (no checksum offload in use). */
	dev_wb(f.r, 9, 70, E1000_RXD_STAT_EOP, E1000_RXD_ERR_TCPE);
	dev_good(f.r, 10, 200);
	dev_good(f.r, 11, 65535);                                   /* hostile length */
	dev_wb(f.r, 12, 300, 0, 0);          /* a frame cut by the end of this batch */

	n = rx_ring_poll(f.r, out, 64);
	CHECK_EQ(n, 4);
	CHECK_EQ(out[0].buf, b[0]);  CHECK_EQ(out[0].len, 60);
	CHECK_EQ(out[1].buf, b[3]);  CHECK_EQ(out[1].len, 512);
	CHECK_EQ(out[2].buf, b[9]);  CHECK_EQ(out[2].len, 70);
	CHECK_EQ(out[3].buf, b[10]); CHECK_EQ(out[3].len, 200);
	held += n;
	rx_ring_get_stats(f.r, &st);
	CHECK_U64(st.received, 4);
	CHECK_U64(st.bad_length, 3);
	CHECK_U64(st.bad_status, 2);
	CHECK_U64(st.bad_frag, 2);
	CHECK_U64(st.dropped, 9);    /* slots 1 2 4 5 6 7 8 11 12 */
	CHECK_EQ(rx_ring_posted(f.r), 63 - 13);
	/* Dropped buffers went straight back to the pool: exact accounting. */
	CHECK_EQ(pkt_pool_free_count(f.pool), 128 - rx_ring_posted(f.r) - held);
	for (unsigned i = 0; i < 13; i++) {
		CHECK_EQ(rx_ring_desc(f.r)[i].status, 0);
		CHECK_U64(rx_ring_desc(f.r)[i].buffer_addr, 0);
	}

	/* The rest of the cut frame: dropped with it, not counted again, even
	 * though this last piece alone would look like a good frame. */
	dev_good(f.r, 13, 60);
	CHECK_EQ(rx_ring_poll(f.r, out + held, 64), 0);
	rx_ring_get_stats(f.r, &st);
	CHECK_U64(st.bad_frag, 2);
	CHECK_U64(st.dropped, 10);

	/* The device cannot redirect a slot to another buffer: the address it
	 * writes back is ignored, the slot's posted buffer is returned. */
	{
		struct e1000_rx_desc *d = &rx_ring_desc(f.r)[14];

		__atomic_store_n(&d->buffer_addr, pkt_buf_iova(f.pool, out[0].buf),
		                 __ATOMIC_RELAXED);
		dev_good(f.r, 14, 64);
	}
	CHECK_EQ(rx_ring_poll(f.r, out + held, 64), 1);
	CHECK_EQ(out[held].buf, b[14]);
	held++;
	CHECK_EQ(pkt_pool_free_count(f.pool), 128 - rx_ring_posted(f.r) - held);

	/* Refill replaces exactly what was consumed. */
	CHECK_EQ(rx_ring_refill(f.r), 15);
	CHECK_EQ(pkt_pool_free_count(f.pool), 128 - 63 - held);
	put_refs(&f, out, held);
	CHECK_U64(pkt_pool_bad_puts(f.pool), 0);
	fix_fini(&f);
}

static void test_poll_max_and_order(void)
{
	struct fix f;
	struct pkt_ref out[8];
	uint32_t b[64];

	REQUIRE(fix_init(&f, 64, 64, 2048));
	REQUIRE(rx_ring_refill(f.r) == 63);
	for (unsigned i = 0; i < 64; i++)
		b[i] = slot_buf(&f, i);
	for (unsigned i = 0; i < 5; i++)
		dev_good(f.r, i, (uint16_t)(60 + i));
	dev_good(f.r, 6, 99);                      /* beyond a not-done slot 5 */
	CHECK_EQ(rx_ring_poll(f.r, out, 0), 0);
	CHECK_EQ(rx_ring_poll(f.r, out, 2), 2);
	CHECK_EQ(out[0].buf, b[0]);
	CHECK_EQ(out[1].buf, b[1]);
	put_refs(&f, out, 2);
	CHECK_EQ(rx_ring_poll(f.r, out, 8), 3);    /* stops at slot 5 */
	CHECK_EQ(out[2].buf, b[4]);
	CHECK_EQ(out[2].len, 64);
	put_refs(&f, out, 3);
	dev_good(f.r, 5, 98);
	CHECK_EQ(rx_ring_poll(f.r, out, 8), 2);
	CHECK_EQ(out[0].buf, b[5]);
	CHECK_EQ(out[1].buf, b[6]);
	CHECK_EQ(out[1].len, 99);
	put_refs(&f, out, 2);
	fix_fini(&f);
}

static void test_rx_abort(void)
{
	struct fix f;
	struct pkt_ref out[8];
	struct rx_ring_stats st;

	REQUIRE(fix_init(&f, 128, 256, 2048));
	REQUIRE(rx_ring_refill(f.r) == 127);
	for (unsigned i = 0; i < 10; i++)
		dev_good(f.r, i, 60);                  /* completed, never polled */
	CHECK_EQ(rx_ring_poll(f.r, out, 3), 3);     /* 3 held by "an upper layer" */
	CHECK_EQ(rx_ring_abort(f.r), 124);
	CHECK_EQ(rx_ring_posted(f.r), 0);
	CHECK_EQ(pkt_pool_free_count(f.pool), 256 - 3);
	for (unsigned i = 0; i < 128; i++)
		CHECK_EQ(rx_ring_desc(f.r)[i].status, 0);
	CHECK_EQ(rx_ring_abort(f.r), 0);
	rx_ring_get_stats(f.r, &st);
	CHECK_U64(st.aborted, 124);

	/* Restart: hw_setup, refill from slot 0. */
	rx_ring_hw_setup(f.r);
	CHECK_EQ(fake_hal_reg(f.fake, E1000_RDT), 0);
	CHECK_EQ(rx_ring_refill(f.r), 127);
	CHECK_EQ(fake_hal_reg(f.fake, E1000_RDT), 127);
	/* hw_setup with buffers posted returns them first. */
	rx_ring_hw_setup(f.r);
	CHECK_EQ(rx_ring_posted(f.r), 0);
	CHECK_EQ(pkt_pool_free_count(f.pool), 256 - 3);
	CHECK_EQ(rx_ring_refill(f.r), 127);
	put_refs(&f, out, 3);
	/* destroy returns the posted ones (fix_fini checks free == size). */
	fix_fini(&f);
}

static void test_rx_wraparound(void)
{
	struct fix f;
	struct pkt_ref out[64];
	unsigned long laps = tl_scaled(3000, 300);
	unsigned seed = 7, clean = 0, posted_hw;
	uint64_t good = 0;
	uint32_t b[64];
	struct rx_ring_stats st;

	REQUIRE(fix_init(&f, 64, 100, 1024));
	for (unsigned long it = 0; it < laps; it++) {
		unsigned k, n;

		rx_ring_refill(f.r);
		posted_hw = rx_ring_posted(f.r);
		CHECK_EQ(posted_hw, 63);
		CHECK_EQ(fake_hal_reg(f.fake, E1000_RDT), (clean + 63) & 63);
		k = (unsigned)(rand_r(&seed) % (posted_hw + 1));
		for (unsigned i = 0; i < k; i++) {
			unsigned s = (clean + i) & 63;

			b[i] = slot_buf(&f, s);
			dev_good(f.r, s, (uint16_t)(1 + rand_r(&seed) % 1024));
		}
		n = rx_ring_poll(f.r, out, 64);
		CHECK_EQ(n, k);
		for (unsigned i = 0; i < n; i++)
			CHECK_EQ(out[i].buf, b[i]);
		put_refs(&f, out, n);
		clean = (clean + n) & 63;
		good += n;
	}
	rx_ring_get_stats(f.r, &st);
	CHECK_U64(st.received, good);
	CHECK_U64(st.dropped, 0);
	CHECK(good > 64 * 10);
	fix_fini(&f);
}

/* Recycled buffers are posted first by the next refill, the ring takes no
 * more than that refill can post, and abort puts back what it holds. */
static void test_rx_recycle(void)
{
	struct fix f;
	struct pkt_ref out[8];
	uint32_t bufs[8];
	unsigned n;

	REQUIRE(fix_init(&f, 64, 128, 2048));
	CHECK_EQ(rx_ring_refill(f.r), 63);
	for (unsigned i = 0; i < 3; i++)
		dev_good(f.r, i, 60);
	n = rx_ring_poll(f.r, out, 8);
	CHECK_EQ(n, 3);
	for (unsigned i = 0; i < n; i++)
		bufs[i] = out[i].buf;
	/* Three slots empty: three taken, a fourth refused (the caller's). */
	CHECK_EQ(rx_ring_recycle(f.r, bufs, 2), 2);
	CHECK_EQ(rx_ring_recycle(f.r, bufs + 2, 1), 1);
	REQUIRE(pkt_pool_get(f.pool, &bufs[3], 1) == 1);
	CHECK_EQ(rx_ring_recycle(f.r, &bufs[3], 1), 0);
	pkt_pool_put(f.pool, &bufs[3], 1);
	/* Posted in order where the harvested ones were, none from the pool. */
	CHECK_EQ(pkt_pool_free_count(f.pool), 128 - 63);
	CHECK_EQ(rx_ring_refill(f.r), 3);
	CHECK_EQ(pkt_pool_free_count(f.pool), 128 - 63);
	for (unsigned i = 0; i < 3; i++)
		CHECK_EQ(slot_buf(&f, (63 + i) & 63), bufs[i]);
	/* Held, not yet posted: abort gives them back with the rest. */
	dev_good(f.r, 3, 60);
	CHECK_EQ(rx_ring_poll(f.r, out, 8), 1);
	CHECK_EQ(rx_ring_recycle(f.r, &out[0].buf, 1), 1);
	CHECK_EQ(rx_ring_abort(f.r), 62);
	CHECK_EQ(pkt_pool_free_count(f.pool), 128);
	CHECK_U64(pkt_pool_bad_puts(f.pool), 0);
	fix_fini(&f);
}

int main(void)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_refill_gap_one_tail),
		TL_CASE(test_refill_short_pool),
		TL_CASE(test_forged_writebacks),
		TL_CASE(test_poll_max_and_order),
		TL_CASE(test_rx_abort),
		TL_CASE(test_rx_wraparound),
		TL_CASE(test_rx_recycle),
	};

	return tl_run(cases, TL_N(cases));
}
