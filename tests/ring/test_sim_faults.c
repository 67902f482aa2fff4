/* SPDX-License-Identifier: MIT */
/*
 * test_sim_faults.c - the model's DMA checker against the rings: zero faults
 * when rings are torn down in the documented order (device stopped first),
 * and faults at the freed ring's addresses when a ring is freed while the
 * device is still enabled (the bug the halt ordering exists to prevent).
 */
#include "sim_rig.h"

static uint64_t faults(struct hal_dev *hw, uint64_t *last_iova)
{
	struct sim_stats st;

	sim_get_stats(hw, &st);
	if (last_iova)
		*last_iova = st.last_fault_iova;
	return st.dma_faults;
}

static void test_normal_teardown_no_faults(void)
{
	struct rig g;

	REQUIRE(rig_open(&g, SIM_82540EM, 128, 128, 128 + 128 + 2 * RIG_BATCH) == 0);
	if (!rig_run(&g, tl_scaled(20000, 2000), RIG_BATCH, 10000))
		tl_fail(__FILE__, __LINE__, "%s", g.why);
	CHECK_U64(faults(g.hw, NULL), 0);
	/* rig_close stops the device, then frees rings and pool; the count is
	 * read after the DMA regions are gone, just before hal_close. */
	CHECK_U64(rig_close(&g), 0);
}

static void test_free_rx_ring_while_enabled(void)
{
	struct rig g;
	uint8_t frame[E1000_ETH_ZLEN];
	uint64_t base, last = 0;
	size_t len;

	REQUIRE(rig_open(&g, SIM_82540EM, 64, 64, 64 + 64 + 2 * RIG_BATCH) == 0);
	if (!rig_run(&g, 1000, RIG_BATCH, 10000))
		tl_fail(__FILE__, __LINE__, "%s", g.why);
	CHECK_U64(faults(g.hw, NULL), 0);

	/* Wrong order on purpose: RCTL.EN still set. */
	base = rx_ring_desc_iova(g.rx);
	len = rx_ring_size(g.rx) * sizeof(struct e1000_rx_desc);
	rx_ring_destroy(g.rx);
	g.rx = NULL;

	rig_fill(frame, 0, sizeof(frame));
	CHECK_OK(sim_wire_inject(g.hw, frame, sizeof(frame)));
	sim_sync(g.hw);
	CHECK(faults(g.hw, &last) > 0);
	CHECK(last >= base && last < base + len);

	hal_wr32(g.hw, E1000_RCTL, 0);
	hal_wr32(g.hw, E1000_TCTL, 0);
	hal_flush(g.hw);
	sim_sync(g.hw);
	rig_close(&g);
}

static void test_free_tx_ring_while_enabled(void)
{
	struct rig g;
	uint64_t base, last = 0;
	size_t len;
	uint32_t tdt;

	REQUIRE(rig_open(&g, SIM_82540EM, 64, 64, 64 + 64 + 2 * RIG_BATCH) == 0);
	if (!rig_run(&g, 1000, RIG_BATCH, 10000))
		tl_fail(__FILE__, __LINE__, "%s", g.why);
	CHECK_U64(faults(g.hw, NULL), 0);

	/* Wrong order on purpose: TCTL.EN still set; then a stale tail write
	 * (as a racing send path would make) sends the device to the freed
	 * descriptors. */
	base = tx_ring_desc_iova(g.tx);
	len = tx_ring_size(g.tx) * sizeof(struct e1000_tx_desc);
	tdt = hal_rd32(g.hw, E1000_TDT);
	tx_ring_destroy(g.tx);
	g.tx = NULL;
	hal_wr32(g.hw, E1000_TDT, (tdt + 4) % 64);
	sim_sync(g.hw);
	CHECK(faults(g.hw, &last) > 0);
	CHECK(last >= base && last < base + len);

	hal_wr32(g.hw, E1000_RCTL, 0);
	hal_wr32(g.hw, E1000_TCTL, 0);
	hal_flush(g.hw);
	sim_sync(g.hw);
	rig_close(&g);
}

int main(void)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_normal_teardown_no_faults),
		TL_CASE(test_free_rx_ring_while_enabled),
		TL_CASE(test_free_tx_ring_while_enabled),
	};

	return tl_run(cases, TL_N(cases));
}
