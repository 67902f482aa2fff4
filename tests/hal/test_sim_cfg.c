/* SPDX-License-Identifier: MIT */
/* PCI configuration space: ids, capabilities, bounds, command register,
 * bus mastering gating DMA, D3hot, memory decoding, BAR sizing. */
#include "simtest.h"
#include "testlib.h"

#include <unistd.h>

static void test_ids_and_caps(void)
{
	struct st_dev t;
	uint16_t v;
	uint8_t b;

	REQUIRE(st_open(&t, SIM_82540EM, SIM_WIRE_NONE) == 0);
	CHECK_OK(hal_cfg_read16(t.hw, PCI_CFG_VENDOR_ID, &v)); CHECK_EQ(v, E1000_VENDOR_INTEL);
	CHECK_OK(hal_cfg_read16(t.hw, PCI_CFG_DEVICE_ID, &v)); CHECK_EQ(v, E1000_DEV_82540EM);
	CHECK_EQ(t.hw->vendor_id, E1000_VENDOR_INTEL);
	CHECK_EQ(t.hw->device_id, E1000_DEV_82540EM);
	CHECK_EQ(t.hw->mac, E1K_MAC_82540EM);
	CHECK_OK(hal_cfg_read16(t.hw, PCI_CFG_STATUS, &v)); CHECK(v & PCI_CFG_STATUS_CAPLIST);
	CHECK_OK(hal_cfg_read(t.hw, PCI_CFG_CLASS, &b, 1)); CHECK_EQ(b, PCI_CLASS_NETWORK);
	CHECK_OK(hal_cfg_read(t.hw, PCI_CFG_INT_PIN, &b, 1)); CHECK_EQ(b, PCI_CFG_INT_PIN_INTA);
	CHECK(hal_cfg_find_cap(t.hw, PCI_CAP_ID_PM) >= 0x40);
	CHECK_EQ(hal_cfg_find_cap(t.hw, PCI_CAP_ID_MSI), -ENOENT);
	CHECK_EQ(hal_cfg_find_cap(t.hw, PCI_CAP_ID_MSIX), -ENOENT);
	CHECK_EQ(hal_cfg_find_cap(t.hw, PCI_CAP_ID_EXP), -ENOENT);
	st_close(&t);

	REQUIRE(st_open(&t, SIM_82574L, SIM_WIRE_NONE) == 0);
	CHECK_OK(hal_cfg_read16(t.hw, PCI_CFG_DEVICE_ID, &v)); CHECK_EQ(v, E1000_DEV_82574L);
	CHECK_EQ(t.hw->mac, E1K_MAC_82574L);
	CHECK(hal_cfg_find_cap(t.hw, PCI_CAP_ID_PM) >= 0x40);
	CHECK(hal_cfg_find_cap(t.hw, PCI_CAP_ID_MSI) >= 0x40);
	CHECK(hal_cfg_find_cap(t.hw, PCI_CAP_ID_EXP) >= 0x40);
	CHECK(hal_cfg_find_cap(t.hw, PCI_CAP_ID_MSIX) >= 0x40);
	{
		int x = hal_cfg_find_cap(t.hw, PCI_CAP_ID_MSIX);
		uint32_t pba;

		CHECK_OK(hal_cfg_read(t.hw, (uint32_t)x + PCI_MSIX_PBA, &pba, 4));
		CHECK_EQ(pba & 7u, E1000_82574_MSIX_BIR);
	}
	st_close(&t);
}

static void test_bounds(void)
{
	struct st_dev t;
	uint8_t buf[8] = { 0 };

	REQUIRE(st_open(&t, SIM_82540EM, SIM_WIRE_NONE) == 0);
	CHECK_EQ(hal_cfg_read(t.hw, PCI_CFG_SIZE, buf, 1), -EINVAL);
	CHECK_EQ(hal_cfg_read(t.hw, PCI_CFG_SIZE - 1, buf, 2), -EINVAL);
	CHECK_EQ(hal_cfg_read(t.hw, 0, buf, 0), -EINVAL);
	CHECK_EQ(hal_cfg_read(t.hw, 0xffffffffu, buf, 4), -EINVAL);
	CHECK_EQ(hal_cfg_read(t.hw, 0, NULL, 4), -EINVAL);
	CHECK_EQ(hal_cfg_write(t.hw, PCI_CFG_SIZE, buf, 1), -EINVAL);
	CHECK_EQ(hal_cfg_write(t.hw, PCI_CFG_SIZE - 2, buf, 4), -EINVAL);
	CHECK_OK(hal_cfg_read(t.hw, PCI_CFG_SIZE - 1, buf, 1));
	CHECK_OK(hal_cfg_read(t.hw, 0, buf, 8));
	/* Read-only: ids cannot be written. */
	{
		uint16_t v = 0x1234;

		CHECK_OK(hal_cfg_write16(t.hw, PCI_CFG_VENDOR_ID, v));
		CHECK_OK(hal_cfg_read16(t.hw, PCI_CFG_VENDOR_ID, &v));
		CHECK_EQ(v, E1000_VENDOR_INTEL);
	}
	/* BAR sizing: all ones reads back the 128 KiB size mask. */
	{
		uint32_t ones = 0xffffffffu, bar;

		CHECK_OK(hal_cfg_write(t.hw, PCI_CFG_BAR0, &ones, 4));
		CHECK_OK(hal_cfg_read(t.hw, PCI_CFG_BAR0, &bar, 4));
		CHECK_U64(bar, PCI_CFG_BAR_ADDR_MASK & ~(E1000_BAR0_SIZE - 1u));
	}
	st_close(&t);
}

static void test_bus_master(void)
{
	struct st_dev t;
	struct sim_stats st;
	uint8_t f[100];
	uint16_t cmd;

	REQUIRE(st_open(&t, SIM_82540EM, SIM_WIRE_LOOPBACK) == 0);
	CHECK_OK(hal_cfg_read16(t.hw, PCI_CFG_COMMAND, &cmd));
	CHECK(cmd & PCI_CFG_CMD_MEMORY);
	CHECK(cmd & PCI_CFG_CMD_MASTER);   /* st_open turned it on */
	REQUIRE(st_setup_tx(&t, 16) == 0);
	REQUIRE(st_setup_rx(&t, 16, 2048, 0) == 0);
	CHECK_OK(hal_set_bus_master(t.hw, false));
	st_frame(f, sizeof(f), t.mac, 1);
	CHECK_OK(st_tx(&t, f, sizeof(f)));
	CHECK_OK(sim_wire_inject(t.hw, f, sizeof(f)));
	sim_sync(t.hw);
	CHECK_EQ(st_tx_status(&t, 0), 0);
	CHECK_EQ(hal_rd32(t.hw, E1000_TDH), 0);
	CHECK(!st_rx_poll(&t, NULL, 0, NULL, NULL, NULL));
	sim_get_stats(t.hw, &st);
	CHECK(st.dma_blocked >= 2);   /* the TX attempt and the RX frame */
	CHECK_U64(st.dma_faults, 0);
	/* Mastering back on: the pending transmit goes out (and loops back). */
	CHECK_OK(hal_set_bus_master(t.hw, true));
	sim_sync(t.hw);
	CHECK(st_tx_status(&t, 0) & E1000_TXD_STAT_DD);
	CHECK(st_rx_poll(&t, NULL, 0, NULL, NULL, NULL));
	st_close(&t);
}

static int pmcsr_off(struct hal_dev *hw)
{
	return hal_cfg_find_cap(hw, PCI_CAP_ID_PM) + (int)PCI_PM_CTRL;
}

static void test_d3hot(void)
{
	struct st_dev t;
	struct sim_stats st;
	int efd = st_efd(), pm;
	uint8_t f[100];
	uint16_t v;

	REQUIRE(st_open(&t, SIM_82540EM, SIM_WIRE_LOOPBACK) == 0);
	REQUIRE(st_setup_tx(&t, 16) == 0);
	REQUIRE(st_setup_rx(&t, 16, 2048, 0) == 0);
	CHECK_OK(hal_irq_set(t.hw, HAL_IRQ_INTX, &efd, 1));
	hal_wr32(t.hw, E1000_IMS, E1000_ICR_TXDW | E1000_ICR_LSC);
	pm = pmcsr_off(t.hw);
	REQUIRE(pm > 0);
	CHECK_OK(hal_cfg_read16(t.hw, (uint32_t)pm, &v));
	CHECK_EQ(v & PCI_PM_CTRL_STATE_MASK, PCI_PM_STATE_D0);
	CHECK(v & PCI_PM_CTRL_NO_SOFT_RESET);
	CHECK_OK(hal_cfg_write16(t.hw, (uint32_t)pm, PCI_PM_STATE_D3HOT));
	sim_get_stats(t.hw, &st);
	CHECK_EQ(st.power_state, PCI_PM_STATE_D3HOT);
	st_frame(f, sizeof(f), t.mac, 1);
	CHECK_OK(st_tx(&t, f, sizeof(f)));
	hal_wr32(t.hw, E1000_ICS, E1000_ICR_LSC);
	sim_sync(t.hw);
	CHECK_EQ(st_tx_status(&t, 0), 0);     /* no DMA */
	CHECK_U64(st_efd_take(efd), 0);       /* no interrupt */
	/* D1 is not supported: the write is ignored. */
	CHECK_OK(hal_cfg_write16(t.hw, (uint32_t)pm, 1));
	CHECK_OK(hal_cfg_read16(t.hw, (uint32_t)pm, &v));
	CHECK_EQ(v & PCI_PM_CTRL_STATE_MASK, PCI_PM_STATE_D3HOT);
	/* Back to D0: state kept (No_Soft_Reset), work resumes, interrupt fires. */
	CHECK_OK(hal_cfg_write16(t.hw, (uint32_t)pm, PCI_PM_STATE_D0));
	sim_sync(t.hw);
	CHECK(st_tx_status(&t, 0) & E1000_TXD_STAT_DD);
	CHECK(st_rx_poll(&t, NULL, 0, NULL, NULL, NULL));
	CHECK_U64(st_efd_take(efd), 1);
	sim_get_stats(t.hw, &st);
	CHECK_EQ(st.power_state, PCI_PM_STATE_D0);
	CHECK_OK(hal_irq_clear(t.hw, HAL_IRQ_INTX));
	close(efd);
	st_close(&t);
}

static void test_memory_decode_off(void)
{
	struct st_dev t;
	uint16_t cmd;

	REQUIRE(st_open(&t, SIM_82540EM, SIM_WIRE_NONE) == 0);
	hal_wr32(t.hw, E1000_RDTR, 7);
	CHECK_OK(hal_cfg_read16(t.hw, PCI_CFG_COMMAND, &cmd));
	CHECK_OK(hal_cfg_write16(t.hw, PCI_CFG_COMMAND, (uint16_t)(cmd & ~PCI_CFG_CMD_MEMORY)));
	CHECK_U64(hal_rd32(t.hw, E1000_RDTR), 0xffffffffu);   /* unclaimed */
	hal_wr32(t.hw, E1000_RDTR, 9);                        /* dropped */
	CHECK_OK(hal_cfg_write16(t.hw, PCI_CFG_COMMAND, cmd));
	CHECK_EQ(hal_rd32(t.hw, E1000_RDTR), 7);
	st_close(&t);
}

int main(void)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_ids_and_caps),
		TL_CASE(test_bounds),
		TL_CASE(test_bus_master),
		TL_CASE(test_d3hot),
		TL_CASE(test_memory_decode_off),
	};
	return tl_run(cases, TL_N(cases));
}
