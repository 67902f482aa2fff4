/* SPDX-License-Identifier: MIT */
/*
 * test_sim_loopback.c - TX ring -> software device -> wire loopback -> RX ring,
 * by polling.  Every frame carries a sequence number and a derived payload:
 * none may be lost, duplicated, reordered or damaged, and every buffer must be
 * back in the pool at the end.
 */
#include "sim_rig.h"

static void check_clean_counters(struct rig *g, uint64_t frames)
{
	struct tx_ring_stats ts;
	struct rx_ring_stats rs;
	struct sim_stats ss;

	tx_ring_get_stats(g->tx, &ts);
	rx_ring_get_stats(g->rx, &rs);
	sim_get_stats(g->hw, &ss);
	CHECK_U64(ts.submitted, frames);
	CHECK_U64(ts.completed + ts.aborted, frames);
	CHECK_U64(ts.rejected, 0);
	CHECK_U64(ts.spurious_dd, 0);
	CHECK(ts.tail_writes <= ts.submitted);
	CHECK_U64(rs.received, frames);
	CHECK_U64(rs.dropped, 0);
	CHECK_U64(rs.bad_length + rs.bad_status + rs.bad_frag, 0);
	CHECK_U64(ss.tx_frames, frames);
	CHECK_U64(ss.rx_frames, frames);
	CHECK_U64(ss.rx_missed, 0);
	CHECK_U64(ss.dma_faults, 0);
	CHECK_U64(ss.dma_blocked, 0);
	CHECK_U64(ss.wire_drops, 0);
	CHECK_U64(ss.bad_ring_config, 0);
}

static void run_million(enum sim_model model)
{
	struct rig g;
	uint64_t n = tl_scaled(1000000, 20000), t0, dt;
	struct tx_ring_stats ts;
	bool ok;

	REQUIRE(rig_open(&g, model, 1024, 1024, 1024 + 1024 + 2 * RIG_BATCH) == 0);
	t0 = tl_now_ns();
	ok = rig_run(&g, n, RIG_BATCH, 10000);
	dt = tl_now_ns() - t0;
	if (!ok)
		tl_fail(__FILE__, __LINE__, "%s", g.why);
	CHECK_U64(g.seq_rx, n);
	CHECK_U64(g.bad, 0);
	tx_ring_get_stats(g.tx, &ts);
	printf("  %s: %llu frames in %.2f s: %.0f frames/s, %.1f frames per TDT write\n",
	       model == SIM_82540EM ? "82540em" : "82574l", (unsigned long long)g.seq_rx,
	       (double)dt / 1e9, (double)g.seq_rx * 1e9 / (double)(dt ? dt : 1),
	       ts.tail_writes ? (double)ts.submitted / (double)ts.tail_writes : 0.0);
	rig_stop(&g);
	check_clean_counters(&g, n);
	CHECK_U64(rig_close(&g), 0);
}

static void test_loopback_million_82540em(void)
{
	run_million(SIM_82540EM);
}

/* The 82574L model with the same legacy descriptors, fewer frames. */
static void test_loopback_82574l(void)
{
	struct rig g;
	uint64_t n = tl_scaled(100000, 5000);
	bool ok;

	REQUIRE(rig_open(&g, SIM_82574L, 256, 256, 256 + 256 + 2 * RIG_BATCH) == 0);
	ok = rig_run(&g, n, RIG_BATCH, 10000);
	if (!ok)
		tl_fail(__FILE__, __LINE__, "%s", g.why);
	rig_stop(&g);
	check_clean_counters(&g, n);
	CHECK_U64(rig_close(&g), 0);
}

/* One frame per submit: exactly one TDT write per frame, smallest ring. */
static void test_loopback_unbatched(void)
{
	struct rig g;
	uint64_t n = tl_scaled(20000, 2000);
	struct tx_ring_stats ts;
	struct rx_ring_stats rs;
	bool ok;

	REQUIRE(rig_open(&g, SIM_82540EM, 64, 64, 64 + 64 + 8) == 0);
	ok = rig_run(&g, n, 1, 10000);
	if (!ok)
		tl_fail(__FILE__, __LINE__, "%s", g.why);
	tx_ring_get_stats(g.tx, &ts);
	rx_ring_get_stats(g.rx, &rs);
	CHECK_U64(ts.tail_writes, n);
	CHECK_U64(ts.submitted, n);
	/* One RDT write per refill that posted anything, never per descriptor
	 * when several were harvested together. */
	CHECK(rs.tail_writes <= rs.refilled);
	rig_stop(&g);
	check_clean_counters(&g, n);
	CHECK_U64(rig_close(&g), 0);
}

/* Stop in the middle of traffic (frames still in TX and RX), take every
 * buffer back, restart with hw_setup, and carry on: the sequence continues
 * with no loss beyond the frames the stop itself discarded. */
static void test_stop_restart(void)
{
	struct rig g;
	uint32_t bufs[RING_NDESC_MAX];
	uint64_t before;
	unsigned n, taken = 0;
	struct sim_stats ss;

	REQUIRE(rig_open(&g, SIM_82540EM, 256, 256, 256 + 256 + 2 * RIG_BATCH) == 0);
	if (!rig_run(&g, tl_scaled(20000, 2000), RIG_BATCH, 10000))
		tl_fail(__FILE__, __LINE__, "%s", g.why);

	for (int lap = 0; lap < 5; lap++) {
		/* Put frames in flight without harvesting them. */
		n = pkt_pool_get(g.pool, bufs, 100);
		{
			struct pkt_ref refs[100];

			for (unsigned i = 0; i < n; i++) {
				refs[i].buf = bufs[i];
				refs[i].len = E1000_ETH_ZLEN;
				rig_fill(pkt_buf_va(g.pool, bufs[i]), UINT64_MAX, E1000_ETH_ZLEN);
			}
			taken = tx_ring_submit(g.tx, g.pool, refs, n);
			CHECK_EQ(taken, n);
		}
		rig_stop(&g);
		CHECK_EQ(tx_ring_in_flight(g.tx), 0);
		CHECK_EQ(rx_ring_posted(g.rx), 0);
		CHECK_EQ(pkt_pool_free_count(g.pool), pkt_pool_size(g.pool));
		/* Whatever the stop discarded is gone; resume the numbering. */
		g.seq_rx = g.seq_tx;
		rig_start(&g);
		before = g.seq_rx;
		if (!rig_run(&g, tl_scaled(5000, 1000), RIG_BATCH, 10000))
			tl_fail(__FILE__, __LINE__, "lap %d: %s", lap, g.why);
		CHECK(g.seq_rx > before);
	}
	sim_get_stats(g.hw, &ss);
	CHECK_U64(ss.dma_faults, 0);
	CHECK_U64(rig_close(&g), 0);
}

int main(void)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_loopback_million_82540em),
		TL_CASE(test_loopback_82574l),
		TL_CASE(test_loopback_unbatched),
		TL_CASE(test_stop_restart),
	};

	return tl_run(cases, TL_N(cases));
}
