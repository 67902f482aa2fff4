/* SPDX-License-Identifier: MIT */
/*
 * test_tx_frames.c - tx_ring_submit_frames / tx_ring_reclaim_frames on the
 * passive fake backend: frames of several buffers, checksum and TSO context
 * and data descriptors, the context cache, RS placement, frames that do not
 * fit or are rejected, and completion with context slots.  The test reads
 * the descriptors the ring wrote and plays the device (DD only where RS is
 * set, in order, as the SDM and QEMU's e1000 do).
 */
#include <stdlib.h>
#include <string.h>

#include "fake_hal.h"
#include "ring.h"
#include "testlib.h"

#define BSIZE 2048u

struct fix {
	struct fake_hal *fake;
	struct hal_dev  *hw;
	struct pkt_pool *pool;
	struct tx_ring  *r;
};

static bool fix_init(struct fix *f, unsigned ndesc, uint32_t nbufs)
{
	memset(f, 0, sizeof(*f));
	f->fake = fake_hal_open(NULL);
	f->hw = fake_hal_dev(f->fake);
	if (!f->hw || pkt_pool_create(f->hw, nbufs, BSIZE, &f->pool) < 0 ||
	    tx_ring_create(f->hw, ndesc, &f->r) < 0)
		return false;
	tx_ring_hw_setup(f->r);
	return true;
}

/* Everything back: the pool is full and nothing is left in the ring. */
static void fix_fini(struct fix *f)
{
	CHECK_EQ(tx_ring_in_flight(f->r), 0);
	CHECK_EQ(tx_ring_pending_abort(f->r), 0);
	CHECK_EQ(pkt_pool_free_count(f->pool), pkt_pool_size(f->pool));
	CHECK_U64(pkt_pool_bad_puts(f->pool), 0);
	tx_ring_destroy(f->r);
	pkt_pool_destroy(f->pool);
	if (f->hw) {
		CHECK_EQ(fake_hal_live_dma(f->fake), 0);
		fake_hal_close(f->fake);
	}
}

/* The three views of a slot, copied out (the ring writes them as words). */
static struct e1000_tx_desc legacy_at(struct fix *f, unsigned slot)
{
	struct e1000_tx_desc d;

	memcpy(&d, &tx_ring_desc(f->r)[slot], sizeof(d));
	return d;
}

static struct e1000_data_desc data_at(struct fix *f, unsigned slot)
{
	struct e1000_data_desc d;

	memcpy(&d, &tx_ring_desc(f->r)[slot], sizeof(d));
	return d;
}

static struct e1000_context_desc ctx_at(struct fix *f, unsigned slot)
{
	struct e1000_context_desc d;

	memcpy(&d, &tx_ring_desc(f->r)[slot], sizeof(d));
	return d;
}

static bool is_zero(struct fix *f, unsigned slot)
{
	static const uint8_t zero[16];

	return memcmp(&tx_ring_desc(f->r)[slot], zero, sizeof(zero)) == 0;
}

/* The command byte sits at the same place in all three layouts. */
static uint8_t cmd_at(struct fix *f, unsigned slot)
{
	return legacy_at(f, slot).cmd;
}

static bool is_context(struct fix *f, unsigned slot)
{
	struct e1000_context_desc c = ctx_at(f, slot);

	return (c.cmd_and_length >> E1000_TXD_CMD_SHIFT) & E1000_TXD_CMD_DEXT &&
	       (c.cmd_and_length & E1000_TXD_DTYP_MASK) == E1000_TXD_DTYP_C;
}

/* A faithful device: count descriptors from first, DD where RS is set. */
static void dev_process(struct fix *f, unsigned first, unsigned count)
{
	unsigned mask = tx_ring_size(f->r) - 1;

	for (unsigned i = 0; i < count; i++) {
		struct e1000_tx_desc *d = &tx_ring_desc(f->r)[(first + i) & mask];

		if (__atomic_load_n(&d->cmd, __ATOMIC_RELAXED) & E1000_TXD_CMD_RS)
			__atomic_store_n(&d->status, (uint8_t)E1000_TXD_STAT_DD, __ATOMIC_RELEASE);
	}
}

/* Take n buffers as segments of len bytes each. */
static void take(struct fix *f, struct pkt_ref *p, unsigned n, uint32_t len)
{
	uint32_t bufs[512];

	REQUIRE(n <= 512 && pkt_pool_get(f->pool, bufs, n) == n);
	for (unsigned i = 0; i < n; i++) {
		p[i].buf = bufs[i];
		p[i].len = len;
	}
}

static void give_back(struct fix *f, const struct pkt_ref *p, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		pkt_pool_put(f->pool, &p[i].buf, 1);
}

/* Abort until empty; every buffer to the pool. */
static unsigned drain_abort(struct fix *f)
{
	uint32_t bufs[64];
	unsigned k, n = 0;

	while ((k = tx_ring_abort(f->r, bufs, 64)) > 0) {
		pkt_pool_put(f->pool, bufs, k);
		n += k;
	}
	return n;
}

/* IPv4/TCP over Ethernet: 14 + 20 + 20 header bytes. */
static const struct tx_offload csum4 = {
	.kind = TX_OFFLOAD_CSUM, .ipv4 = 1, .tcp = 1,
	.l3_off = 14, .l4_off = 34, .csum_off = 50,
};
static const struct tx_offload tso4 = {
	.kind = TX_OFFLOAD_TSO, .ipv4 = 1, .tcp = 1,
	.l3_off = 14, .l4_off = 34, .csum_off = 50, .hdr_len = 54, .mss = 1448,
};
/* IPv6/UDP: 14 + 40, checksum 6 bytes into the UDP header. */
static const struct tx_offload csum6_udp = {
	.kind = TX_OFFLOAD_CSUM, .ipv4 = 0, .tcp = 0,
	.l3_off = 14, .l4_off = 54, .csum_off = 60,
};
/* IPv6/TCP TSO: 14 + 40 + 32 (TCP timestamps). */
static const struct tx_offload tso6 = {
	.kind = TX_OFFLOAD_TSO, .ipv4 = 0, .tcp = 1,
	.l3_off = 14, .l4_off = 54, .csum_off = 70, .hdr_len = 86, .mss = 1428,
};

static struct tx_frame frame(const struct pkt_ref *seg, unsigned nseg, struct tx_offload off)
{
	return (struct tx_frame){ .seg = seg, .nseg = nseg, .off = off };
}

/* NONE frames of 1, 3 and 2 buffers: legacy descriptors, IFCS on each, EOP
 * on each frame's last, RS on the call's last; no context. */
static void test_none_multiseg(void)
{
	struct fix f;
	struct pkt_ref p[6];
	struct tx_frame fr[3];
	struct tx_ring_stats st;
	uint32_t bufs[8];
	unsigned w0, frames = 99;
	static const bool eop[6] = { true, false, false, true, false, true };

	REQUIRE(fix_init(&f, 64, 64));
	w0 = fake_hal_writes(f.fake, E1000_TDT);
	take(&f, p, 6, 0);
	for (unsigned i = 0; i < 6; i++)
		p[i].len = 100 + 10 * i;
	fr[0] = frame(p, 1, (struct tx_offload){ 0 });
	fr[1] = frame(p + 1, 3, (struct tx_offload){ 0 });
	fr[2] = frame(p + 4, 2, (struct tx_offload){ 0 });
	CHECK_EQ(tx_ring_submit_frames(f.r, f.pool, fr, 3), 3);
	CHECK_EQ(fake_hal_writes(f.fake, E1000_TDT), w0 + 1);
	CHECK_EQ(fake_hal_reg(f.fake, E1000_TDT), 6);
	CHECK_EQ(tx_ring_in_flight(f.r), 6);
	for (unsigned i = 0; i < 6; i++) {
		struct e1000_tx_desc d = legacy_at(&f, i);

		CHECK_U64(d.buffer_addr, pkt_buf_iova(f.pool, p[i].buf));
		CHECK_EQ(d.length, p[i].len);
		CHECK_EQ(d.cmd, E1000_TXD_CMD_IFCS | (eop[i] ? E1000_TXD_CMD_EOP : 0u) |
		                (i == 5 ? E1000_TXD_CMD_RS : 0u));
		CHECK_EQ(d.cso, 0);
		CHECK_EQ(d.css, 0);
		CHECK_EQ(d.status, 0);
	}
	CHECK(is_zero(&f, 6));
	tx_ring_get_stats(f.r, &st);
	CHECK_U64(st.submitted, 6);
	CHECK_U64(st.contexts, 0);

	/* The device ran up to slot 4: no RS reached, nothing done. */
	dev_process(&f, 0, 5);
	CHECK_EQ(tx_ring_reclaim_frames(f.r, bufs, 8, &frames), 0);
	CHECK_EQ(frames, 0);
	dev_process(&f, 5, 1);
	CHECK_EQ(tx_ring_reclaim_frames(f.r, bufs, 8, &frames), 6);
	CHECK_EQ(frames, 3);
	for (unsigned i = 0; i < 6; i++)
		CHECK_EQ(bufs[i], p[i].buf);
	pkt_pool_put(f.pool, bufs, 6);
	tx_ring_get_stats(f.r, &st);
	CHECK_U64(st.completed, 6);
	fix_fini(&f);
}

/* Checks one data descriptor. */
static void check_data(struct fix *f, unsigned slot, const struct pkt_ref *p, uint8_t dcmd,
                       uint8_t popts)
{
	struct e1000_data_desc d = data_at(f, slot);

	CHECK_U64(d.buffer_addr, pkt_buf_iova(f->pool, p->buf));
	CHECK_EQ(d.cmd_and_length & E1000_TXD_LEN_MASK, p->len);
	CHECK_EQ(d.cmd_and_length & E1000_TXD_DTYP_MASK, E1000_TXD_DTYP_D);
	CHECK_EQ(d.cmd_and_length >> E1000_TXD_CMD_SHIFT, dcmd);
	CHECK_EQ(d.popts, popts);
	CHECK_EQ(d.status, 0);
	CHECK_EQ(d.special, 0);
}

static void test_csum_frames(void)
{
	struct fix f;
	struct pkt_ref p[5];
	struct tx_frame fr[2];
	struct e1000_context_desc c;
	struct tx_ring_stats st;
	const uint8_t dcmd = E1000_TXD_CMD_DEXT | E1000_TXD_CMD_IFCS;

	REQUIRE(fix_init(&f, 64, 64));
	take(&f, p, 5, 700);
	p[1].len = 66;
	/* IPv4/TCP in 2 buffers, then IPv6/UDP in 3. */
	fr[0] = frame(p, 2, csum4);
	fr[1] = frame(p + 2, 3, csum6_udp);
	CHECK_EQ(tx_ring_submit_frames(f.r, f.pool, fr, 2), 2);
	CHECK_EQ(fake_hal_reg(f.fake, E1000_TDT), 7);

	c = ctx_at(&f, 0);
	CHECK_EQ(c.ipcss, 14);
	CHECK_EQ(c.ipcso, 24);          /* the IPv4 header checksum field */
	CHECK_EQ(c.ipcse, 33);          /* the IPv4 header's last byte */
	CHECK_EQ(c.tucss, 34);
	CHECK_EQ(c.tucso, 50);
	CHECK_EQ(c.tucse, 0);
	CHECK_EQ(c.cmd_and_length & E1000_TXD_LEN_MASK, 0);   /* PAYLEN: TSO only */
	CHECK_EQ(c.cmd_and_length & E1000_TXD_DTYP_MASK, E1000_TXD_DTYP_C);
	CHECK_EQ(c.cmd_and_length >> E1000_TXD_CMD_SHIFT,
	         E1000_TXD_CMD_DEXT | E1000_TXD_TUCMD_TCP | E1000_TXD_TUCMD_IP);
	CHECK_EQ(c.hdr_len, 0);
	CHECK_EQ(c.mss, 0);
	CHECK_EQ(c.status, 0);
	check_data(&f, 1, &p[0], dcmd, E1000_TXD_POPTS_TXSM | E1000_TXD_POPTS_IXSM);
	check_data(&f, 2, &p[1], dcmd | E1000_TXD_CMD_EOP, 0);

	c = ctx_at(&f, 3);
	CHECK_EQ(c.ipcss, 14);
	CHECK_EQ(c.ipcse, 0);           /* IPv6: no header checksum */
	CHECK_EQ(c.tucss, 54);
	CHECK_EQ(c.tucso, 60);
	CHECK_EQ(c.tucse, 0);
	CHECK_EQ(c.cmd_and_length, (uint32_t)E1000_TXD_CMD_DEXT << E1000_TXD_CMD_SHIFT);
	check_data(&f, 4, &p[2], dcmd, E1000_TXD_POPTS_TXSM);
	check_data(&f, 5, &p[3], dcmd, 0);
	check_data(&f, 6, &p[4], dcmd | E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS, 0);
	CHECK(is_zero(&f, 7));

	tx_ring_get_stats(f.r, &st);
	CHECK_U64(st.submitted, 5);
	CHECK_U64(st.contexts, 2);
	CHECK_EQ(tx_ring_in_flight(f.r), 7);
	CHECK_EQ(tx_ring_free_slots(f.r), 63 - 7);
	{
		uint32_t bufs[8];
		unsigned frames;

		dev_process(&f, 0, 7);
		CHECK_EQ(tx_ring_reclaim_frames(f.r, bufs, 8, &frames), 5);
		CHECK_EQ(frames, 2);
		for (unsigned i = 0; i < 5; i++)
			CHECK_EQ(bufs[i], p[i].buf);
		pkt_pool_put(f.pool, bufs, 5);
		for (unsigned i = 0; i < 7; i++)
			CHECK(is_zero(&f, i));
	}
	fix_fini(&f);
}

static void test_tso_frames(void)
{
	struct fix f;
	struct pkt_ref p[6];
	struct tx_frame fr[2];
	struct e1000_context_desc c;
	const uint8_t dcmd = E1000_TXD_CMD_DEXT | E1000_TXD_CMD_IFCS | E1000_TXD_DCMD_TSE;

	REQUIRE(fix_init(&f, 64, 64));
	take(&f, p, 6, BSIZE);
	p[2].len = 1000;                /* IPv4: 2048 + 2048 + 1000 = 5096 */
	p[5].len = 86 + 1;              /* IPv6: 2048 + 2048 + 87 = 4183 */
	fr[0] = frame(p, 3, tso4);
	fr[1] = frame(p + 3, 3, tso6);
	CHECK_EQ(tx_ring_submit_frames(f.r, f.pool, fr, 2), 2);

	c = ctx_at(&f, 0);
	CHECK_EQ(c.ipcss, 14);
	CHECK_EQ(c.ipcso, 24);
	CHECK_EQ(c.ipcse, 33);          /* l4_off - 1, not hdr_len - 1 */
	CHECK_EQ(c.tucss, 34);
	CHECK_EQ(c.tucso, 50);
	CHECK_EQ(c.tucse, 0);
	CHECK_EQ(c.cmd_and_length & E1000_TXD_LEN_MASK, 5096 - 54);
	CHECK_EQ(c.cmd_and_length & E1000_TXD_DTYP_MASK, E1000_TXD_DTYP_C);
	CHECK_EQ(c.cmd_and_length >> E1000_TXD_CMD_SHIFT,
	         E1000_TXD_CMD_DEXT | E1000_TXD_TUCMD_TCP | E1000_TXD_TUCMD_IP |
	         E1000_TXD_TUCMD_TSE);
	CHECK_EQ(c.hdr_len, 54);
	CHECK_EQ(c.mss, 1448);
	/* TSE on every data descriptor of the frame, POPTS on the first. */
	check_data(&f, 1, &p[0], dcmd, E1000_TXD_POPTS_TXSM | E1000_TXD_POPTS_IXSM);
	check_data(&f, 2, &p[1], dcmd, 0);
	check_data(&f, 3, &p[2], dcmd | E1000_TXD_CMD_EOP, 0);

	c = ctx_at(&f, 4);
	CHECK_EQ(c.ipcss, 14);          /* the device rewrites the payload length from here */
	CHECK_EQ(c.ipcse, 0);
	CHECK_EQ(c.tucss, 54);
	CHECK_EQ(c.tucso, 70);
	CHECK_EQ(c.cmd_and_length & E1000_TXD_LEN_MASK, 4183 - 86);
	CHECK_EQ(c.cmd_and_length >> E1000_TXD_CMD_SHIFT,
	         E1000_TXD_CMD_DEXT | E1000_TXD_TUCMD_TCP | E1000_TXD_TUCMD_TSE);
	CHECK_EQ(c.hdr_len, 86);
	CHECK_EQ(c.mss, 1428);
	check_data(&f, 5, &p[3], dcmd, E1000_TXD_POPTS_TXSM);
	check_data(&f, 6, &p[4], dcmd, 0);
	check_data(&f, 7, &p[5], dcmd | E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS, 0);
	CHECK_EQ(drain_abort(&f), 6);
	fix_fini(&f);
}

/* The context is written when it changes, not for every frame; hw_setup and
 * abort forget it. */
static void test_context_cache(void)
{
	struct fix f;
	struct pkt_ref p[16], q[6];
	struct tx_frame fr[8];
	struct tx_offload other = csum4;
	struct tx_ring_stats st;
	unsigned slot = 0;

	REQUIRE(fix_init(&f, 128, 64));
	take(&f, p, 16, 1000);
	other.l4_off = 38;              /* IPv4 with options: another context */
	other.csum_off = 54;

	/* Three CSUM frames alike: one context.  ctx d d | d | d */
	fr[0] = frame(p, 2, csum4);
	fr[1] = frame(p + 2, 1, csum4);
	fr[2] = frame(p + 3, 1, csum4);
	CHECK_EQ(tx_ring_submit_frames(f.r, f.pool, fr, 3), 3);
	CHECK(is_context(&f, 0));
	for (unsigned i = 1; i < 5; i++)
		CHECK(!is_context(&f, i));
	CHECK_EQ(data_at(&f, 3).popts, E1000_TXD_POPTS_TXSM | E1000_TXD_POPTS_IXSM);
	slot = 5;
	/* The same context in the next call, and a NONE frame in between
	 * (legacy descriptors leave the device's context alone): still none. */
	fr[0] = frame(p + 4, 1, (struct tx_offload){ 0 });
	fr[1] = frame(p + 5, 1, csum4);
	CHECK_EQ(tx_ring_submit_frames(f.r, f.pool, fr, 2), 2);
	CHECK(!is_context(&f, slot) && !is_context(&f, slot + 1));
	CHECK_EQ(cmd_at(&f, slot) & E1000_TXD_CMD_DEXT, 0);
	slot += 2;
	tx_ring_get_stats(f.r, &st);
	CHECK_U64(st.contexts, 1);

	/* Another context, then back: one each. */
	fr[0] = frame(p + 6, 1, other);
	fr[1] = frame(p + 7, 1, other);
	fr[2] = frame(p + 8, 1, csum4);
	CHECK_EQ(tx_ring_submit_frames(f.r, f.pool, fr, 3), 3);
	CHECK(is_context(&f, slot));
	CHECK_EQ(ctx_at(&f, slot).tucss, 38);
	CHECK_EQ(ctx_at(&f, slot).ipcse, 37);
	CHECK(!is_context(&f, slot + 1) && !is_context(&f, slot + 2));
	CHECK(is_context(&f, slot + 3));
	CHECK_EQ(ctx_at(&f, slot + 3).tucss, 34);
	CHECK(!is_context(&f, slot + 4));
	slot += 5;

	/* TSO: PAYLEN is part of the context.  Same length twice: one; a
	 * different length: another. */
	fr[0] = frame(p + 9, 2, tso4);
	fr[1] = frame(p + 11, 2, tso4);
	fr[2] = frame(p + 13, 3, tso4);
	CHECK_EQ(tx_ring_submit_frames(f.r, f.pool, fr, 3), 3);
	CHECK(is_context(&f, slot));
	CHECK_EQ(ctx_at(&f, slot).cmd_and_length & E1000_TXD_LEN_MASK, 2000 - 54);
	CHECK(!is_context(&f, slot + 3));
	CHECK_EQ(cmd_at(&f, slot + 3) & E1000_TXD_DCMD_TSE, E1000_TXD_DCMD_TSE);
	CHECK(is_context(&f, slot + 5));
	CHECK_EQ(ctx_at(&f, slot + 5).cmd_and_length & E1000_TXD_LEN_MASK, 3000 - 54);
	slot += 9;
	tx_ring_get_stats(f.r, &st);
	CHECK_U64(st.contexts, 5);
	CHECK_U64(st.submitted, 16);
	CHECK_EQ(tx_ring_in_flight(f.r), slot);

	/* hw_setup (buffers parked, not context slots) forgets the context:
	 * the same TSO context as last cached comes again. */
	tx_ring_hw_setup(f.r);
	CHECK_EQ(tx_ring_pending_abort(f.r), 16);
	take(&f, q, 6, 1000);
	fr[0] = frame(q, 3, tso4);
	CHECK_EQ(tx_ring_submit_frames(f.r, f.pool, fr, 1), 1);
	CHECK(is_context(&f, 0));
	CHECK_EQ(ctx_at(&f, 0).cmd_and_length & E1000_TXD_LEN_MASK, 3000 - 54);
	CHECK_EQ(drain_abort(&f), 19);
	/* abort forgets it too. */
	fr[0] = frame(q + 3, 3, tso4);
	CHECK_EQ(tx_ring_submit_frames(f.r, f.pool, fr, 1), 1);
	CHECK(is_context(&f, 4));
	tx_ring_get_stats(f.r, &st);
	CHECK_U64(st.contexts, 7);
	CHECK_EQ(drain_abort(&f), 3);
	fix_fini(&f);
}

/* RS: on a frame's last descriptor only -- the call's last frame, and the
 * first frame that brings a batch to TX_RS_INTERVAL descriptors. */
static void test_rs_placement(void)
{
	struct fix f;
	struct pkt_ref p[80];
	struct tx_frame fr[16];
	uint32_t bufs[80];
	unsigned frames, n;

	REQUIRE(fix_init(&f, 256, 128));
	take(&f, p, 80, 200);
	/* Ten NONE frames of 5: 35 descriptors reach the interval at frame 7
	 * (slot 34), the call ends at slot 49. */
	for (unsigned i = 0; i < 10; i++)
		fr[i] = frame(p + 5 * i, 5, (struct tx_offload){ 0 });
	CHECK_EQ(tx_ring_submit_frames(f.r, f.pool, fr, 10), 10);
	for (unsigned s = 0; s < 50; s++)
		CHECK_EQ(cmd_at(&f, s) & E1000_TXD_CMD_RS, s == 34 || s == 49 ? E1000_TXD_CMD_RS : 0u);
	/* The device reaches slot 40: the first batch (7 frames) is done. */
	dev_process(&f, 0, 41);
	CHECK_EQ(tx_ring_reclaim_frames(f.r, bufs, 80, &frames), 35);
	CHECK_EQ(frames, 7);
	for (unsigned i = 0; i < 35; i++)
		CHECK_EQ(bufs[i], p[i].buf);
	pkt_pool_put(f.pool, bufs, 35);
	/* max cuts a frame: its buffers come over two calls, the frame is
	 * counted once, with its last buffer. */
	dev_process(&f, 41, 9);
	CHECK_EQ(tx_ring_reclaim_frames(f.r, bufs, 7, &frames), 7);
	CHECK_EQ(frames, 1);
	CHECK_EQ(tx_ring_reclaim_frames(f.r, bufs + 7, 80, &frames), 8);
	CHECK_EQ(frames, 2);
	for (unsigned i = 0; i < 15; i++)
		CHECK_EQ(bufs[i], p[35 + i].buf);
	pkt_pool_put(f.pool, bufs, 15);

	/* CSUM frames of 3 buffers, the context changing every frame: 4
	 * descriptors each, contexts count towards the interval: RS at the 8th
	 * frame's last (32) and the 12th's.  Never on a context or inside a
	 * frame. */
	take(&f, p, 36, 200);
	for (unsigned i = 0; i < 12; i++)
		fr[i] = frame(p + 3 * i, 3, i & 1 ? csum6_udp : csum4);
	n = tx_ring_submit_frames(f.r, f.pool, fr, 12);
	CHECK_EQ(n, 12);
	{
		unsigned base = 50;

		for (unsigned s = base; s < base + 48; s++) {
			bool want = s == base + 31 || s == base + 47;

			CHECK_EQ(is_context(&f, s), (s - base) % 4 == 0);
			CHECK_EQ(cmd_at(&f, s) & E1000_TXD_CMD_RS, want ? E1000_TXD_CMD_RS : 0u);
			if (want)
				CHECK(cmd_at(&f, s) & E1000_TXD_CMD_EOP);
		}
	}
	CHECK_EQ(drain_abort(&f), 36);
	give_back(&f, p + 50, 30);
	fix_fini(&f);
}

/* A call that stops early (full, rejected) still ends with RS on the last
 * frame it accepted; a frame that does not fit is not written at all. */
static void test_frame_does_not_fit(void)
{
	struct fix f;
	struct pkt_ref p[70];
	struct tx_frame fr[4];
	struct tx_ring_stats st;
	uint32_t bufs[70];
	unsigned w, frames;

	REQUIRE(fix_init(&f, 64, 128));
	take(&f, p, 70, 100);
	/* 59 slots taken: 4 free (63 - 59). */
	fr[0] = frame(p, 55, (struct tx_offload){ 0 });
	fr[1] = frame(p + 55, 3, csum4);           /* 4 with its context */
	CHECK_EQ(tx_ring_submit_frames(f.r, f.pool, fr, 2), 2);
	CHECK_EQ(tx_ring_free_slots(f.r), 4);
	w = fake_hal_writes(f.fake, E1000_TDT);
	/* A CSUM frame of 4 with another context needs 5: full, nothing
	 * written past the tail, no tail write. */
	fr[0] = frame(p + 58, 4, csum6_udp);
	CHECK_EQ(tx_ring_submit_frames(f.r, f.pool, fr, 1), 0);
	for (unsigned s = 59; s < 64; s++)
		CHECK(is_zero(&f, s));
	CHECK_EQ(fake_hal_writes(f.fake, E1000_TDT), w);
	tx_ring_get_stats(f.r, &st);
	CHECK_U64(st.full, 1);
	/* With the cached context it needs 4: fits exactly; then [1 fits,
	 * 1 does not]. */
	fr[0] = frame(p + 58, 1, csum4);
	fr[1] = frame(p + 59, 2, csum4);
	fr[2] = frame(p + 61, 2, csum4);
	CHECK_EQ(tx_ring_submit_frames(f.r, f.pool, fr, 3), 2);
	CHECK_EQ(tx_ring_free_slots(f.r), 1);
	CHECK_EQ(fake_hal_writes(f.fake, E1000_TDT), w + 1);
	CHECK_EQ(fake_hal_reg(f.fake, E1000_TDT), 62);
	CHECK(!is_context(&f, 59));
	CHECK_EQ(cmd_at(&f, 59) & E1000_TXD_CMD_RS, 0);
	CHECK_EQ(cmd_at(&f, 61) & (E1000_TXD_CMD_RS | E1000_TXD_CMD_EOP),
	         E1000_TXD_CMD_RS | E1000_TXD_CMD_EOP);
	CHECK(is_zero(&f, 62));
	CHECK(is_zero(&f, 63));
	tx_ring_get_stats(f.r, &st);
	CHECK_U64(st.full, 2);
	/* The device completes everything: 61 buffers, 4 frames. */
	dev_process(&f, 0, 62);
	CHECK_EQ(tx_ring_reclaim_frames(f.r, bufs, 70, &frames), 61);
	CHECK_EQ(frames, 4);
	for (unsigned i = 0; i < 61; i++)
		CHECK_EQ(bufs[i], p[i].buf);
	pkt_pool_put(f.pool, bufs, 61);
	give_back(&f, p + 61, 9);
	fix_fini(&f);
}

/* Frames that can never go are rejected, whole: nothing of them written, the
 * context cache untouched, the frames before them sent with RS. */
static void test_rejected(void)
{
	struct fix f;
	struct pkt_ref p[8], bad[3];
	struct tx_frame fr[2];
	struct tx_offload o;
	struct tx_ring_stats st;
	unsigned rej = 0;

	REQUIRE(fix_init(&f, 64, 64));
	take(&f, p, 8, 300);
	memcpy(bad, p + 5, sizeof(bad));
	fr[0] = frame(p, 1, csum4);
	/* A bad third segment, after a context and two data descriptors were
	 * written: the whole frame unwritten. */
	bad[2].len = 0;
	fr[1] = frame(bad, 3, csum6_udp);
	CHECK_EQ(tx_ring_submit_frames(f.r, f.pool, fr, 2), 1);
	CHECK_EQ(cmd_at(&f, 1) & E1000_TXD_CMD_RS, E1000_TXD_CMD_RS);
	for (unsigned s = 2; s < 8; s++)
		CHECK(is_zero(&f, s));
	CHECK_EQ(fake_hal_reg(f.fake, E1000_TDT), 2);
	tx_ring_get_stats(f.r, &st);
	CHECK_U64(st.rejected, ++rej);
	CHECK_U64(st.contexts, 1);
	/* The rejected frame's context was not cached: it comes again. */
	fr[0] = frame(p + 1, 1, csum6_udp);
	CHECK_EQ(tx_ring_submit_frames(f.r, f.pool, fr, 1), 1);
	CHECK(is_context(&f, 2));
	CHECK_EQ(ctx_at(&f, 2).tucss, 54);

	bad[2].len = BSIZE + 1;
	fr[0] = frame(bad, 3, (struct tx_offload){ 0 });
	CHECK_EQ(tx_ring_submit_frames(f.r, f.pool, fr, 1), 0);
	bad[2].len = 300;
	bad[2].buf = 64;                /* not a buffer of this pool */
	CHECK_EQ(tx_ring_submit_frames(f.r, f.pool, fr, 1), 0);
	bad[2].buf = p[7].buf;
	fr[0] = frame(bad, 0, (struct tx_offload){ 0 });
	CHECK_EQ(tx_ring_submit_frames(f.r, f.pool, fr, 1), 0);
	fr[0] = frame(NULL, 1, (struct tx_offload){ 0 });
	CHECK_EQ(tx_ring_submit_frames(f.r, f.pool, fr, 1), 0);
	o = csum4;
	o.kind = 3;
	fr[0] = frame(bad, 1, o);
	CHECK_EQ(tx_ring_submit_frames(f.r, f.pool, fr, 1), 0);
	o = tso4;
	o.mss = 0;
	fr[0] = frame(bad, 1, o);
	CHECK_EQ(tx_ring_submit_frames(f.r, f.pool, fr, 1), 0);
	o = tso4;
	o.hdr_len = 0;
	fr[0] = frame(bad, 1, o);
	CHECK_EQ(tx_ring_submit_frames(f.r, f.pool, fr, 1), 0);
	o = tso4;
	o.hdr_len = 255;                /* 300 bytes of frame: 45 of payload, fine */
	fr[0] = frame(bad, 1, o);
	bad[0].len = 255;               /* no payload: nothing to segment */
	CHECK_EQ(tx_ring_submit_frames(f.r, f.pool, fr, 1), 0);
	/* More segments than the ring can ever hold (an offload needs a
	 * context too): rejected, not full. */
	{
		struct pkt_ref many[64];

		for (unsigned i = 0; i < 64; i++)
			many[i] = p[0];
		fr[0] = frame(many, 64, (struct tx_offload){ 0 });
		tx_ring_get_stats(f.r, &st);
		rej = (unsigned)st.rejected;
		CHECK_EQ(tx_ring_submit_frames(f.r, f.pool, fr, 1), 0);
		fr[0] = frame(many, 63, csum4);
		CHECK_EQ(tx_ring_submit_frames(f.r, f.pool, fr, 1), 0);
		tx_ring_get_stats(f.r, &st);
		CHECK_U64(st.rejected, rej + 2);
		CHECK_U64(st.full, 0);
	}
	tx_ring_get_stats(f.r, &st);
	CHECK_U64(st.rejected, 11);
	CHECK_EQ(fake_hal_writes(f.fake, E1000_TDT), 3);   /* hw_setup's, and two submits */
	for (unsigned s = 4; s < 64; s++)
		CHECK(is_zero(&f, s));
	bad[0].len = 300;
	o.hdr_len = 254;
	fr[0] = frame(bad, 1, o);       /* 46 bytes of payload: goes */
	CHECK_EQ(tx_ring_submit_frames(f.r, f.pool, fr, 1), 1);
	CHECK_EQ(ctx_at(&f, 4).cmd_and_length & E1000_TXD_LEN_MASK, 46);
	CHECK_EQ(drain_abort(&f), 3);
	give_back(&f, p + 2, 3);
	give_back(&f, p + 6, 2);
	fix_fini(&f);
}

/* abort with context slots: every buffer once, context slots skipped, in
 * chunks of one; in_flight 0 once it returns 0. */
static void test_abort_with_contexts(void)
{
	struct fix f;
	struct pkt_ref p[12];
	struct tx_frame fr[4];
	uint32_t got[16];
	unsigned n = 0, k;
	struct tx_ring_stats st;

	REQUIRE(fix_init(&f, 64, 64));
	take(&f, p, 12, 500);
	fr[0] = frame(p, 3, csum4);
	fr[1] = frame(p + 3, 3, tso4);
	fr[2] = frame(p + 6, 3, (struct tx_offload){ 0 });
	fr[3] = frame(p + 9, 3, csum6_udp);
	CHECK_EQ(tx_ring_submit_frames(f.r, f.pool, fr, 4), 4);
	CHECK_EQ(tx_ring_in_flight(f.r), 15);
	/* The device went through the first frame (no RS there: no DD);
	 * abort takes everything, done or not. */
	dev_process(&f, 0, 4);
	while ((k = tx_ring_abort(f.r, got + n, 1)) > 0) {
		CHECK_EQ(k, 1);
		n += k;
		REQUIRE(n <= 12);
	}
	CHECK_EQ(n, 12);
	for (unsigned i = 0; i < 12; i++)
		CHECK_EQ(got[i], p[i].buf);
	CHECK_EQ(tx_ring_in_flight(f.r), 0);
	CHECK_EQ(tx_ring_free_slots(f.r), 63);
	for (unsigned s = 0; s < 64; s++)
		CHECK(is_zero(&f, s));
	tx_ring_get_stats(f.r, &st);
	CHECK_U64(st.aborted, 12);
	pkt_pool_put(f.pool, got, 12);
	CHECK_EQ(tx_ring_abort(f.r, got, 0), 0);
	fix_fini(&f);
}

/* Many laps of random frames (kind, segments, lengths) on a small ring, a
 * device that moves on by random amounts, reclaims with random limits: every
 * buffer comes back exactly once, in order, and the frame counts add up. */
static void test_random_laps(void)
{
	struct fix f;
	unsigned seed = 7;
	unsigned long laps = tl_scaled(3000, 300);
	/* What the ring holds, in order: buffer, last of its frame. */
	uint32_t q_buf[1024];
	bool q_last[1024];
	unsigned q_head = 0, q_tail = 0;   /* mod 1024 */
	unsigned dev = 0, sent_desc = 0;   /* descriptors: device position, submitted */
	unsigned long frames_in = 0, frames_out = 0, bufs_in = 0;
	struct tx_ring_stats st;

	REQUIRE(fix_init(&f, 64, 256));
	for (unsigned long it = 0; it < laps; it++) {
		struct pkt_ref seg[64];
		struct tx_frame fr[8];
		unsigned want = 1 + (unsigned)(rand_r(&seed) % 8), nfr = 0, nseg = 0, acc, used = 0;
		uint32_t bufs[64];
		unsigned before = tx_ring_in_flight(f.r);

		for (unsigned i = 0; i < want; i++) {
			unsigned ns = 1 + (unsigned)(rand_r(&seed) % 6);
			unsigned kind = (unsigned)(rand_r(&seed) % 3);
			struct tx_offload o = kind == 0 ? (struct tx_offload){ 0 } :
			                      kind == 1 ? ((rand_r(&seed) & 1) ? csum4 : csum6_udp) :
			                      tso4;

			if (pkt_pool_free_count(f.pool) < ns)
				break;
			take(&f, seg + nseg, ns, 100 + (uint32_t)(rand_r(&seed) % (BSIZE - 100)));
			fr[i] = frame(seg + nseg, ns, o);
			nseg += ns;
			nfr++;
		}
		acc = nfr ? tx_ring_submit_frames(f.r, f.pool, fr, nfr) : 0;
		for (unsigned i = 0; i < acc; i++) {
			for (unsigned s = 0; s < fr[i].nseg; s++) {
				q_buf[q_tail & 1023] = fr[i].seg[s].buf;
				q_last[q_tail & 1023] = s == fr[i].nseg - 1;
				q_tail++;
			}
			used += fr[i].nseg;
		}
		frames_in += acc;
		bufs_in += used;
		give_back(&f, seg + used, nseg - used);
		sent_desc += tx_ring_in_flight(f.r) - before;
		CHECK_EQ(fake_hal_reg(f.fake, E1000_TDT), sent_desc & 63);

		/* The device moves on by a random number of descriptors. */
		{
			unsigned ahead = sent_desc - dev;
			unsigned go = (unsigned)(rand_r(&seed) % (ahead + 1));

			dev_process(&f, dev & 63, go);
			dev += go;
		}
		for (;;) {
			unsigned max = 1 + (unsigned)(rand_r(&seed) % 20), frames, k;

			k = tx_ring_reclaim_frames(f.r, bufs, max, &frames);
			CHECK(k <= max);
			{
				unsigned want_frames = 0;

				for (unsigned i = 0; i < k; i++) {
					REQUIRE(q_head != q_tail);
					CHECK_EQ(bufs[i], q_buf[q_head & 1023]);
					want_frames += q_last[q_head & 1023];
					q_head++;
				}
				CHECK_EQ(frames, want_frames);
			}
			frames_out += frames;
			pkt_pool_put(f.pool, bufs, k);
			if (k == 0)
				break;
		}
	}
	/* Let the device finish: everything completes. */
	dev_process(&f, dev & 63, sent_desc - dev);
	{
		uint32_t bufs[64];
		unsigned frames, k;

		while ((k = tx_ring_reclaim_frames(f.r, bufs, 64, &frames)) > 0) {
			for (unsigned i = 0; i < k; i++) {
				CHECK_EQ(bufs[i], q_buf[q_head & 1023]);
				q_head++;
			}
			frames_out += frames;
			pkt_pool_put(f.pool, bufs, k);
		}
	}
	CHECK_EQ(q_head, q_tail);
	CHECK_U64(frames_out, frames_in);
	tx_ring_get_stats(f.r, &st);
	CHECK_U64(st.submitted, bufs_in);
	CHECK_U64(st.completed, bufs_in);
	CHECK_U64(st.spurious_dd, 0);
	CHECK(st.contexts > 0 && st.full > 0);
	CHECK(frames_in > laps);
	fix_fini(&f);
}

int main(void)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_none_multiseg),
		TL_CASE(test_csum_frames),
		TL_CASE(test_tso_frames),
		TL_CASE(test_context_cache),
		TL_CASE(test_rs_placement),
		TL_CASE(test_frame_does_not_fit),
		TL_CASE(test_rejected),
		TL_CASE(test_abort_with_contexts),
		TL_CASE(test_random_laps),
	};

	return tl_run(cases, TL_N(cases));
}
