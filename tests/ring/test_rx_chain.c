/* SPDX-License-Identifier: MIT */
/*
 * test_rx_chain.c - rx_ring_poll_chained on the passive fake backend: the test
 * plays the device, writing frames over several descriptors (full buffers
 * without EOP, then the last with EOP; length and errors first, status last
 * with release), some complete, some not yet, some hostile.
 */
#include <stdlib.h>
#include <string.h>

#include "fake_hal.h"
#include "ring.h"
#include "testlib.h"

#define BSIZE  2048u
#define NBUFS  256u

struct fix {
	struct fake_hal *fake;
	struct hal_dev  *hw;
	struct pkt_pool *pool;
	struct rx_ring  *r;
	unsigned         mask;
};

static bool fix_init(struct fix *f, unsigned ndesc)
{
	memset(f, 0, sizeof(*f));
	f->fake = fake_hal_open(NULL);
	f->hw = fake_hal_dev(f->fake);
	f->mask = ndesc - 1;
	if (!f->hw || pkt_pool_create(f->hw, NBUFS, BSIZE, &f->pool) < 0 ||
	    rx_ring_create(f->hw, f->pool, ndesc, &f->r) < 0)
		return false;
	rx_ring_hw_setup(f->r);
	return rx_ring_refill(f->r) == ndesc - 1;
}

static void fix_fini(struct fix *f)
{
	rx_ring_destroy(f->r);
	if (f->pool) {
		CHECK_EQ(pkt_pool_free_count(f->pool), pkt_pool_size(f->pool));
		CHECK_U64(pkt_pool_bad_puts(f->pool), 0);
	}
	pkt_pool_destroy(f->pool);
	if (f->hw) {
		CHECK_EQ(fake_hal_live_dma(f->fake), 0);
		fake_hal_close(f->fake);
	}
}

/* The buffer a posted descriptor points at, seen from the device side. */
static uint32_t slot_buf(struct fix *f, unsigned slot)
{
	uint64_t iova = rx_ring_desc(f->r)[slot & f->mask].buffer_addr;

	return iova ? pkt_buf_from_va(f->pool, fake_hal_iova_to_va(iova)) : PKT_BUF_NONE;
}

static void dev_wb(struct fix *f, unsigned slot, uint16_t len, uint8_t status, uint8_t errors)
{
	struct e1000_rx_desc *d = &rx_ring_desc(f->r)[slot & f->mask];

	__atomic_store_n(&d->length, len, __ATOMIC_RELAXED);
	__atomic_store_n(&d->errors, errors, __ATOMIC_RELAXED);
	__atomic_store_n(&d->status, (uint8_t)(status | E1000_RXD_STAT_DD), __ATOMIC_RELEASE);
}

/* A whole chain of nseg descriptors from slot; returns the slot after it. */
static unsigned dev_chain(struct fix *f, unsigned slot, unsigned nseg, uint16_t last_len,
                          uint8_t last_status, uint8_t last_errors)
{
	for (unsigned k = 0; k + 1 < nseg; k++)
		dev_wb(f, slot + k, BSIZE, 0, 0);
	dev_wb(f, slot + nseg - 1, last_len, (uint8_t)(E1000_RXD_STAT_EOP | last_status),
	       last_errors);
	return slot + nseg;
}

/* Buffers the pool lacks beyond those posted: what the caller still holds. */
static unsigned held(struct fix *f)
{
	return NBUFS - pkt_pool_free_count(f->pool) - rx_ring_posted(f->r);
}

static void check_desc_clear(struct fix *f, unsigned slot)
{
	const struct e1000_rx_desc *d = &rx_ring_desc(f->r)[slot & f->mask];

	CHECK_EQ(d->status, 0);
	CHECK_EQ(d->length, 0);
	CHECK_U64(d->buffer_addr, 0);
}

/* Chains of 1..8 buffers, one after another: each returned whole, with its
 * buffers in order, the last descriptor's status and errors passed up. */
static void test_chains_1_to_8(void)
{
	struct fix f;
	struct rx_frame_ref out[16];
	uint32_t segs[64], expect[64];
	struct rx_ring_stats st;
	struct rx_ring_progress pr;
	unsigned slot = 0, n;

	REQUIRE(fix_init(&f, 64));
	for (unsigned i = 0; i < 36; i++)
		expect[i] = slot_buf(&f, i);
	for (unsigned nseg = 1; nseg <= 8; nseg++)
		slot = dev_chain(&f, slot, nseg, (uint16_t)(100 * nseg),
		                 E1000_RXD_STAT_TCPCS | E1000_RXD_STAT_IPCS,
		                 nseg == 3 ? E1000_RXD_ERR_TCPE : 0);
	CHECK_EQ(slot, 36);
	n = rx_ring_poll_chained(f.r, out, 16, segs, 64);
	CHECK_EQ(n, 8);
	for (unsigned j = 0, seg = 0; j < n; j++) {
		unsigned nseg = j + 1;

		CHECK_EQ(out[j].nseg, nseg);
		CHECK_EQ(out[j].seg, seg);
		CHECK_EQ(out[j].len, (nseg - 1) * BSIZE + 100 * nseg);
		CHECK_EQ(out[j].status, E1000_RXD_STAT_DD | E1000_RXD_STAT_EOP |
		                        E1000_RXD_STAT_TCPCS | E1000_RXD_STAT_IPCS);
		/* A checksum error is the caller's to judge: passed up, not dropped. */
		CHECK_EQ(out[j].errors, nseg == 3 ? E1000_RXD_ERR_TCPE : 0);
		seg += nseg;
	}
	for (unsigned i = 0; i < 36; i++) {
		CHECK_EQ(segs[i], expect[i]);
		check_desc_clear(&f, i);
	}
	CHECK_EQ(rx_ring_posted(f.r), 63 - 36);
	CHECK_EQ(held(&f), 36);
	rx_ring_get_stats(f.r, &st);
	CHECK_U64(st.received, 8);
	CHECK_U64(st.dropped, 0);
	CHECK_U64(st.bad_frag + st.bad_length + st.bad_status, 0);
	/* The watchdog's count is of slots, not frames. */
	rx_ring_get_progress(f.r, &pr);
	CHECK_U64(pr.consumed, 36);
	CHECK_EQ(pr.next_clean, 36);
	CHECK_EQ(rx_ring_poll_chained(f.r, out, 16, segs + 36, 28), 0);
	pkt_pool_put(f.pool, segs, 36);
	fix_fini(&f);
}

/* A chain whose EOP is not done yet stays on the ring, untouched, and the poll
 * stops there; it comes whole once the EOP descriptor is done. */
static void test_incomplete_chain_left_alone(void)
{
	struct fix f;
	struct rx_frame_ref out[8];
	uint32_t segs[16], expect[6];
	struct rx_ring_progress pr;
	struct rx_ring_stats st;

	REQUIRE(fix_init(&f, 64));
	for (unsigned i = 0; i < 6; i++)
		expect[i] = slot_buf(&f, i);
	dev_chain(&f, 0, 1, 60, 0, 0);
	for (unsigned k = 1; k <= 3; k++)          /* 3 of a chain of 5 */
		dev_wb(&f, k, BSIZE, 0, 0);
	CHECK_EQ(rx_ring_poll_chained(f.r, out, 8, segs, 16), 1);
	CHECK_EQ(out[0].len, 60);
	CHECK_EQ(segs[0], expect[0]);
	for (unsigned round = 0; round < 2; round++) {
		for (unsigned k = 1; k <= 3; k++) {
			const struct e1000_rx_desc *d = &rx_ring_desc(f.r)[k];

			CHECK_EQ(d->status, E1000_RXD_STAT_DD);
			CHECK_EQ(d->length, BSIZE);
			CHECK_EQ(slot_buf(&f, k), expect[k]);
		}
		CHECK_EQ(rx_ring_posted(f.r), 62);
		rx_ring_get_progress(f.r, &pr);
		CHECK_EQ(pr.next_clean, 1);
		/* Asked again: still nothing, still untouched. */
		if (round == 0)
			CHECK_EQ(rx_ring_poll_chained(f.r, out, 8, segs + 1, 15), 0);
	}
	/* The EOP descriptor done before the one before it: still waiting (a
	 * chain is taken in ring order only). */
	dev_wb(&f, 5, 1234, E1000_RXD_STAT_EOP, 0);
	CHECK_EQ(rx_ring_poll_chained(f.r, out, 8, segs + 1, 15), 0);
	dev_wb(&f, 4, BSIZE, 0, 0);
	CHECK_EQ(rx_ring_poll_chained(f.r, out, 8, segs + 1, 15), 1);
	CHECK_EQ(out[0].nseg, 5);
	CHECK_EQ(out[0].seg, 0);
	CHECK_EQ(out[0].len, 4 * BSIZE + 1234);
	for (unsigned k = 0; k < 5; k++)
		CHECK_EQ(segs[1 + k], expect[1 + k]);
	rx_ring_get_stats(f.r, &st);
	CHECK_U64(st.received, 2);
	CHECK_U64(st.dropped, 0);
	pkt_pool_put(f.pool, segs, 6);
	fix_fini(&f);
}

/* Every hostile chain is dropped and counted, its buffers back in the pool,
 * and the good frame after it still comes through. */
static void test_hostile_chains(void)
{
	struct fix f;
	struct rx_frame_ref out[8];
	uint32_t segs[16], good;
	struct rx_ring_stats st;
	unsigned slot = 0;

	REQUIRE(fix_init(&f, 64));

	/* Longer than max_segs (4), complete: dropped whole, counted once. */
	slot = dev_chain(&f, slot, 6, 500, 0, 0);
	good = slot_buf(&f, slot);
	slot = dev_chain(&f, slot, 1, 70, 0, 0);
	CHECK_EQ(rx_ring_poll_chained(f.r, out, 8, segs, 4), 1);
	CHECK_EQ(out[0].len, 70);
	CHECK_EQ(segs[0], good);
	rx_ring_get_stats(f.r, &st);
	CHECK_U64(st.bad_frag, 1);
	CHECK_U64(st.dropped, 6);
	CHECK_EQ(held(&f), 1);
	pkt_pool_put(f.pool, segs, 1);

	/* Longer than max_segs, not complete: what is there is dropped at
	 * once, the rest as it comes, up to its EOP; counted once. */
	for (unsigned k = 0; k < 5; k++)
		dev_wb(&f, slot + k, BSIZE, 0, 0);
	CHECK_EQ(rx_ring_poll_chained(f.r, out, 8, segs, 4), 0);
	rx_ring_get_stats(f.r, &st);
	CHECK_U64(st.bad_frag, 2);
	CHECK_U64(st.dropped, 11);
	CHECK_EQ(held(&f), 0);
	slot += 5;
	dev_wb(&f, slot++, BSIZE, 0, 0);
	slot = dev_chain(&f, slot, 1, 300, 0, 0);   /* its EOP */
	good = slot_buf(&f, slot);
	slot = dev_chain(&f, slot, 2, 80, 0, 0);
	CHECK_EQ(rx_ring_poll_chained(f.r, out, 8, segs, 4), 1);
	CHECK_EQ(out[0].len, BSIZE + 80);
	CHECK_EQ(segs[0], good);
	rx_ring_get_stats(f.r, &st);
	CHECK_U64(st.bad_frag, 2);
	CHECK_U64(st.dropped, 13);
	pkt_pool_put(f.pool, segs, 2);
	CHECK_EQ(rx_ring_refill(f.r), 16);

	/* Lengths that do not add up: a buffer before the last not full (short,
	 * or over the buffer), a last one of 0 or over the buffer. */
	slot = dev_chain(&f, slot, 3, 100, 0, 0);
	dev_wb(&f, slot - 2, 2000, 0, 0);
	slot = dev_chain(&f, slot, 2, 100, 0, 0);
	dev_wb(&f, slot - 2, 4096, 0, 0);
	slot = dev_chain(&f, slot, 2, 0, 0, 0);
	slot = dev_chain(&f, slot, 2, BSIZE + 1, 0, 0);
	slot = dev_chain(&f, slot, 1, 0, 0, 0);
	slot = dev_chain(&f, slot, 1, BSIZE + 1, 0, 0);   /* one buffer, over it (the fast path) */
	/* Frame errors in the last descriptor. */
	slot = dev_chain(&f, slot, 3, 100, 0, E1000_RXD_ERR_RXE);
	slot = dev_chain(&f, slot, 1, 100, 0, E1000_RXD_ERR_CE);
	good = slot_buf(&f, slot);
	slot = dev_chain(&f, slot, 2, BSIZE, 0, 0);      /* a full last buffer is fine */
	CHECK_EQ(rx_ring_poll_chained(f.r, out, 8, segs, 16), 1);
	CHECK_EQ(out[0].len, 2 * BSIZE);
	CHECK_EQ(out[0].nseg, 2);
	CHECK_EQ(segs[0], good);
	rx_ring_get_stats(f.r, &st);
	CHECK_U64(st.bad_length, 6);
	CHECK_U64(st.bad_status, 2);
	CHECK_U64(st.bad_frag, 2);
	CHECK_U64(st.dropped, 13 + 3 + 2 + 2 + 2 + 1 + 1 + 3 + 1);
	CHECK_U64(st.received, 3);
	CHECK_EQ(held(&f), 2);
	pkt_pool_put(f.pool, segs, 2);
	fix_fini(&f);
}

/* Every posted buffer done and no EOP: the chain can never end (the ring has
 * nothing left to give it), whatever max_segs allows. */
static void test_chain_longer_than_ring(void)
{
	struct fix f;
	struct rx_frame_ref out[4];
	uint32_t segs[128];
	struct rx_ring_stats st;
	uint32_t good;

	REQUIRE(fix_init(&f, 64));
	for (unsigned k = 0; k < 62; k++)
		dev_wb(&f, k, BSIZE, 0, 0);
	/* 62 of 63: it could still end in slot 62. */
	CHECK_EQ(rx_ring_poll_chained(f.r, out, 4, segs, 128), 0);
	CHECK_EQ(rx_ring_posted(f.r), 63);
	dev_wb(&f, 62, BSIZE, 0, 0);
	CHECK_EQ(rx_ring_poll_chained(f.r, out, 4, segs, 128), 0);
	rx_ring_get_stats(f.r, &st);
	CHECK_U64(st.bad_frag, 1);
	CHECK_U64(st.dropped, 63);
	CHECK_EQ(rx_ring_posted(f.r), 0);
	CHECK_EQ(pkt_pool_free_count(f.pool), NBUFS);
	/* The rest of it, after a refill, is dropped too, up to its EOP. */
	CHECK_EQ(rx_ring_refill(f.r), 63);
	dev_chain(&f, 63, 2, 10, 0, 0);
	good = slot_buf(&f, 65);
	dev_chain(&f, 65, 1, 99, 0, 0);
	CHECK_EQ(rx_ring_poll_chained(f.r, out, 4, segs, 128), 1);
	CHECK_EQ(out[0].len, 99);
	CHECK_EQ(segs[0], good);
	rx_ring_get_stats(f.r, &st);
	CHECK_U64(st.bad_frag, 1);
	CHECK_U64(st.dropped, 65);
	pkt_pool_put(f.pool, segs, 1);
	fix_fini(&f);
}

/* A chain that does not fit in what is left of segs[] stays for the next
 * call; so does whatever is past max frames. */
static void test_segs_room(void)
{
	struct fix f;
	struct rx_frame_ref out[8];
	uint32_t segs[8], expect[11];
	unsigned slot = 0;

	REQUIRE(fix_init(&f, 64));
	for (unsigned i = 0; i < 11; i++)
		expect[i] = slot_buf(&f, i);
	for (unsigned i = 0; i < 3; i++)
		slot = dev_chain(&f, slot, 3, 10, 0, 0);
	slot = dev_chain(&f, slot, 1, 20, 0, 0);
	slot = dev_chain(&f, slot, 1, 30, 0, 0);
	CHECK_EQ(rx_ring_poll_chained(f.r, out, 8, segs, 8), 2);
	CHECK_EQ(out[1].seg, 3);
	for (unsigned i = 0; i < 6; i++)
		CHECK_EQ(segs[i], expect[i]);
	CHECK_EQ(rx_ring_desc(f.r)[6].status, E1000_RXD_STAT_DD);
	CHECK_EQ(rx_ring_posted(f.r), 63 - 6);
	pkt_pool_put(f.pool, segs, 6);
	/* max frames: 1. */
	CHECK_EQ(rx_ring_poll_chained(f.r, out, 1, segs, 8), 1);
	CHECK_EQ(out[0].nseg, 3);
	CHECK_EQ(out[0].seg, 0);
	for (unsigned i = 0; i < 3; i++)
		CHECK_EQ(segs[i], expect[6 + i]);
	pkt_pool_put(f.pool, segs, 3);
	/* One entry in segs[]: one-buffer frames one at a time. */
	CHECK_EQ(rx_ring_poll_chained(f.r, out, 8, segs, 1), 1);
	CHECK_EQ(out[0].len, 20);
	CHECK_EQ(segs[0], expect[9]);
	pkt_pool_put(f.pool, segs, 1);
	CHECK_EQ(rx_ring_poll_chained(f.r, out, 8, segs, 1), 1);
	CHECK_EQ(out[0].len, 30);
	pkt_pool_put(f.pool, segs, 1);
	CHECK_EQ(rx_ring_poll_chained(f.r, out, 8, segs, 0), 0);
	fix_fini(&f);
}

/* rx_ring_poll (pause and halt use it to drop everything) still drops chains,
 * and the two polls finish each other's drops. */
static void test_mixed_with_rx_poll(void)
{
	struct fix f;
	struct rx_frame_ref out[8];
	struct pkt_ref refs[8];
	uint32_t segs[16];
	struct rx_ring_stats st;
	unsigned slot = 0;

	REQUIRE(fix_init(&f, 64));
	/* A complete chain: rx_ring_poll drops it, as before. */
	slot = dev_chain(&f, slot, 3, 100, 0, 0);
	slot = dev_chain(&f, slot, 1, 64, 0, 0);
	CHECK_EQ(rx_ring_poll(f.r, refs, 8), 1);
	CHECK_EQ(refs[0].len, 64);
	pkt_pool_put(f.pool, &refs[0].buf, 1);
	rx_ring_get_stats(f.r, &st);
	CHECK_U64(st.bad_frag, 1);
	CHECK_U64(st.dropped, 3);

	/* rx_ring_poll meets half a chain: drops it; the chained poll drops the
	 * rest without counting it again. */
	dev_wb(&f, slot, BSIZE, 0, 0);
	dev_wb(&f, slot + 1, BSIZE, 0, 0);
	CHECK_EQ(rx_ring_poll(f.r, refs, 8), 0);
	slot = dev_chain(&f, slot + 2, 1, 5, 0, 0);
	slot = dev_chain(&f, slot, 2, 7, 0, 0);
	CHECK_EQ(rx_ring_poll_chained(f.r, out, 8, segs, 16), 1);
	CHECK_EQ(out[0].len, BSIZE + 7);
	pkt_pool_put(f.pool, segs, 2);
	rx_ring_get_stats(f.r, &st);
	CHECK_U64(st.bad_frag, 2);
	CHECK_U64(st.dropped, 6);

	/* The other way round: the chained poll drops a chain too long for
	 * segs[] part way, rx_ring_poll drops the rest. */
	for (unsigned k = 0; k < 3; k++)
		dev_wb(&f, slot + k, BSIZE, 0, 0);
	CHECK_EQ(rx_ring_poll_chained(f.r, out, 8, segs, 2), 0);
	slot = dev_chain(&f, slot + 3, 1, 9, 0, 0);
	slot = dev_chain(&f, slot, 1, 11, 0, 0);
	CHECK_EQ(rx_ring_poll(f.r, refs, 8), 1);
	CHECK_EQ(refs[0].len, 11);
	pkt_pool_put(f.pool, &refs[0].buf, 1);
	rx_ring_get_stats(f.r, &st);
	CHECK_U64(st.bad_frag, 3);
	CHECK_U64(st.dropped, 10);
	CHECK_EQ(held(&f), 0);
	fix_fini(&f);
}

/* Many laps: the device writes chains of 1..8 buffers a random number of
 * descriptors at a time (often stopping inside a chain), the driver polls with
 * random limits and refills.  Every frame comes whole, in order, with exactly
 * the buffers the device filled, once. */
static void test_random_laps(void)
{
	struct fix f;
	unsigned seed = 11;
	unsigned long laps = tl_scaled(4000, 400), frames = 0;
	/* Device side: the next slot to write, the chain being written. */
	unsigned dslot = 0, chain_len = 0, chain_done = 0, written = 0;
	uint16_t chain_last = 0;
	/* Expected frames, in order: nseg, len, buffers (a ring of them). */
	struct { unsigned nseg; uint32_t len; } ef[256];
	uint32_t eb[1024];
	unsigned ef_head = 0, ef_tail = 0, eb_head = 0, eb_tail = 0;
	struct rx_ring_stats st;

	REQUIRE(fix_init(&f, 64));
	for (unsigned long it = 0; it < laps; it++) {
		unsigned go = (unsigned)(rand_r(&seed) % 24);
		unsigned max = 1 + (unsigned)(rand_r(&seed) % 8);
		unsigned max_segs = 8 + (unsigned)(rand_r(&seed) % 17);
		struct rx_frame_ref out[8];
		uint32_t segs[24];
		unsigned n, used = 0;

		/* The device writes up to go descriptors it owns. */
		while (go-- > 0 && written < rx_ring_posted(f.r)) {
			if (chain_done == chain_len) {
				chain_len = 1 + (unsigned)(rand_r(&seed) % 8);
				chain_done = 0;
				chain_last = (uint16_t)(1 + rand_r(&seed) % BSIZE);
			}
			eb[eb_tail++ & 1023] = slot_buf(&f, dslot);
			if (++chain_done < chain_len) {
				dev_wb(&f, dslot, BSIZE, 0, 0);
			} else {
				dev_wb(&f, dslot, chain_last, E1000_RXD_STAT_EOP, 0);
				ef[ef_tail & 255].nseg = chain_len;
				ef[ef_tail & 255].len = (chain_len - 1) * BSIZE + chain_last;
				ef_tail++;
			}
			dslot = (dslot + 1) & f.mask;
			written++;
		}
		n = rx_ring_poll_chained(f.r, out, max, segs, max_segs);
		CHECK(n <= max);
		for (unsigned j = 0; j < n; j++) {
			REQUIRE(ef_head != ef_tail);
			CHECK_EQ(out[j].nseg, ef[ef_head & 255].nseg);
			CHECK_EQ(out[j].len, ef[ef_head & 255].len);
			CHECK_EQ(out[j].seg, used);
			for (unsigned k = 0; k < out[j].nseg; k++)
				CHECK_EQ(segs[used + k], eb[eb_head++ & 1023]);
			used += out[j].nseg;
			ef_head++;
		}
		CHECK(used <= max_segs);
		/* It stopped for a reason: frames, segs[] room, or the next
		 * frame is not complete. */
		if (n < max && ef_head != ef_tail)
			CHECK(used + ef[ef_head & 255].nseg > max_segs);
		written -= used;
		frames += n;
		pkt_pool_put(f.pool, segs, used);
		rx_ring_refill(f.r);
	}
	rx_ring_get_stats(f.r, &st);
	CHECK_U64(st.received, frames);
	CHECK_U64(st.dropped, 0);
	CHECK(frames > laps / 4);
	fix_fini(&f);
}

int main(void)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_chains_1_to_8),
		TL_CASE(test_incomplete_chain_left_alone),
		TL_CASE(test_hostile_chains),
		TL_CASE(test_chain_longer_than_ring),
		TL_CASE(test_segs_room),
		TL_CASE(test_mixed_with_rx_poll),
		TL_CASE(test_random_laps),
	};

	return tl_run(cases, TL_N(cases));
}
