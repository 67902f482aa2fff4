/* SPDX-License-Identifier: MIT */
/* LINK_DOWN (STATUS.LU, PHY status, LSC, frames lost) and CORRUPT_WB. */
#include "simtest.h"
#include "testlib.h"

#include <unistd.h>

static uint32_t phy_status(struct hal_dev *hw)
{
	hal_wr32(hw, E1000_MDIC, E1000_MDIC_OP_READ | (E1000_PHY_ADDR << E1000_MDIC_PHY_SHIFT) |
	                         (E1000_PHY_STATUS << E1000_MDIC_REG_SHIFT));
	return hal_rd32(hw, E1000_MDIC) & E1000_MDIC_DATA_MASK;
}

static void test_link_flap(void)
{
	struct st_dev t;
	struct sim_stats st;
	int efd = st_efd();
	uint8_t f[100];

	REQUIRE(st_open(&t, SIM_82540EM, SIM_WIRE_LOOPBACK) == 0);
	REQUIRE(st_setup_tx(&t, 16) == 0);
	REQUIRE(st_setup_rx(&t, 16, 2048, 0) == 0);
	CHECK_OK(hal_irq_set(t.hw, HAL_IRQ_INTX, &efd, 1));
	hal_wr32(t.hw, E1000_IMS, E1000_ICR_LSC);
	CHECK(phy_status(t.hw) & E1000_PHY_STATUS_LINK);

	CHECK_OK(sim_fault(t.hw, SIM_FAULT_LINK_DOWN, true));
	CHECK_U64(st_efd_take(efd), 1);
	CHECK(!(hal_rd32(t.hw, E1000_STATUS) & E1000_STATUS_LU));
	CHECK(!(phy_status(t.hw) & E1000_PHY_STATUS_LINK));
	CHECK(hal_rd32(t.hw, E1000_ICR) & E1000_ICR_LSC);
	CHECK_OK(hal_irq_unmask(t.hw, HAL_IRQ_INTX, 0));
	/* Same state again: no change, no LSC. */
	CHECK_OK(sim_fault(t.hw, SIM_FAULT_LINK_DOWN, true));
	CHECK_U64(st_efd_take(efd), 0);
	/* No link: TX completes (descriptors written back) but nothing leaves,
	 * and nothing arrives. */
	st_frame(f, sizeof(f), t.mac, 1);
	CHECK_OK(st_tx(&t, f, sizeof(f)));
	CHECK_OK(sim_wire_inject(t.hw, f, sizeof(f)));
	sim_sync(t.hw);
	CHECK(st_tx_status(&t, 0) & E1000_TXD_STAT_DD);
	CHECK(!st_rx_poll(&t, NULL, 0, NULL, NULL, NULL));
	sim_get_stats(t.hw, &st);
	CHECK_U64(st.tx_frames, 0);
	CHECK_U64(st.wire_drops, 2);

	CHECK_OK(sim_fault(t.hw, SIM_FAULT_LINK_DOWN, false));
	CHECK_U64(st_efd_take(efd), 1);
	CHECK(hal_rd32(t.hw, E1000_STATUS) & E1000_STATUS_LU);
	CHECK(hal_rd32(t.hw, E1000_ICR) & E1000_ICR_LSC);
	CHECK_OK(st_tx(&t, f, sizeof(f)));
	sim_sync(t.hw);
	CHECK(st_rx_poll(&t, NULL, 0, NULL, NULL, NULL));
	CHECK_OK(hal_irq_clear(t.hw, HAL_IRQ_INTX));
	close(efd);
	st_close(&t);
}

static void test_corrupt_wb(void)
{
	struct st_dev t;
	uint8_t f[300];
	uint16_t len;
	uint8_t status, errors;

	REQUIRE(st_open(&t, SIM_82574L, SIM_WIRE_NONE) == 0);
	REQUIRE(st_setup_rx(&t, 16, 2048, 0) == 0);
	CHECK_OK(sim_fault(t.hw, SIM_FAULT_CORRUPT_WB, true));
	st_frame(f, sizeof(f), t.mac, 1);
	for (int i = 0; i < 3; i++)
		CHECK_OK(sim_wire_inject(t.hw, f, sizeof(f)));
	sim_sync(t.hw);
	/* 1: length 0. */
	REQUIRE(st_rx_poll(&t, NULL, 0, &len, &status, &errors));
	CHECK_EQ(len, 0);
	CHECK(status & E1000_RXD_STAT_DD);
	/* 2: longer than the buffer. */
	REQUIRE(st_rx_poll(&t, NULL, 0, &len, &status, &errors));
	CHECK(len > 2048);
	/* 3: EOP missing, error bits set. */
	REQUIRE(st_rx_poll(&t, NULL, 0, &len, &status, &errors));
	CHECK(status & E1000_RXD_STAT_DD);
	CHECK(!(status & E1000_RXD_STAT_EOP));
	CHECK(errors & E1000_RXD_ERR_FRAME);
	/* Off: clean again. */
	CHECK_OK(sim_fault(t.hw, SIM_FAULT_CORRUPT_WB, false));
	CHECK_OK(sim_wire_inject(t.hw, f, sizeof(f)));
	sim_sync(t.hw);
	REQUIRE(st_rx_poll(&t, NULL, 0, &len, &status, &errors));
	CHECK_EQ(len, sizeof(f));
	CHECK_EQ(status & (E1000_RXD_STAT_DD | E1000_RXD_STAT_EOP), E1000_RXD_STAT_DD | E1000_RXD_STAT_EOP);
	CHECK_EQ(errors, 0);
	st_close(&t);
}

int main(void)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_link_flap),
		TL_CASE(test_corrupt_wb),
	};
	return tl_run(cases, TL_N(cases));
}
