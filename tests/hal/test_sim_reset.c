/* SPDX-License-Identifier: MIT */
/* CTRL.RST returns the model to its power-on state and self-clears; the hal
 * reset op (VFIO_DEVICE_RESET) exists on the 82574L only.  With qemu_ctrl_rst,
 * CTRL.RST is QEMU 7.2's: registers survive it (RAR0 reloads on the 82574L). */
#include "simtest.h"
#include "testlib.h"

#include <string.h>
#include <unistd.h>

static const uint32_t cleared[] = {
	E1000_IMS, E1000_RCTL, E1000_TCTL, E1000_RDBAL, E1000_RDBAH, E1000_RDLEN,
	E1000_RDH, E1000_RDT, E1000_TDBAL, E1000_TDBAH, E1000_TDLEN, E1000_TDH, E1000_TDT,
	E1000_ITR, E1000_RAL(1), E1000_RAH(1), E1000_MTA, E1000_RDTR, E1000_TIDV,
	E1000_ICR, E1000_GPRC, E1000_GPTC, E1000_TPT, E1000_GORCL, E1000_GOTCL,
	E1000_RXCSUM, E1000_RFCTL,
};

static void program(struct st_dev *t)
{
	uint8_t f[100];

	REQUIRE(st_setup_tx(t, 16) == 0);
	REQUIRE(st_setup_rx(t, 16, 2048, 0) == 0);
	st_frame(f, sizeof(f), t->mac, 1);
	CHECK_OK(st_tx(t, f, sizeof(f)));
	sim_sync(t->hw);
	hal_wr32(t->hw, E1000_IMS, E1000_ICR_TXDW | E1000_ICR_LSC);
	hal_wr32(t->hw, E1000_ITR, 100);
	hal_wr32(t->hw, E1000_RAL(1), 0x12345678u);
	hal_wr32(t->hw, E1000_RAH(1), 0x9abcu | E1000_RAH_AV);
	hal_wr32(t->hw, E1000_MTA, ~0u);
	hal_wr32(t->hw, E1000_RDTR, 5);
	hal_wr32(t->hw, E1000_TIDV, 5);
	hal_wr32(t->hw, E1000_RXCSUM, E1000_RXCSUM_TUOFL);
	hal_wr32(t->hw, E1000_RFCTL, E1000_RFCTL_EXSTEN);   /* ignored on the 82540EM */
	hal_wr32(t->hw, E1000_ICS, E1000_ICR_LSC);
}

static void check_power_on(struct st_dev *t, const uint8_t mac[6])
{
	uint8_t now[6];

	for (size_t i = 0; i < TL_N(cleared); i++)
		if (hal_rd32(t->hw, cleared[i]) != 0)
			tl_fail(__FILE__, __LINE__, "reg %#x not cleared by reset", cleared[i]);
	st_mac(t, now);
	CHECK(memcmp(now, mac, 6) == 0);
	CHECK(hal_rd32(t->hw, E1000_RAH(0)) & E1000_RAH_AV);
	CHECK(!(hal_rd32(t->hw, E1000_CTRL) & E1000_CTRL_RST));
	CHECK(hal_rd32(t->hw, E1000_STATUS) & E1000_STATUS_LU);
}

static void test_ctrl_rst(enum sim_model m)
{
	struct st_dev t;
	struct sim_stats st;
	uint8_t mac[6];
	int efd = st_efd();

	REQUIRE(st_open(&t, m, SIM_WIRE_LOOPBACK) == 0);
	memcpy(mac, t.mac, 6);
	CHECK_OK(hal_irq_set(t.hw, HAL_IRQ_INTX, &efd, 1));
	program(&t);
	CHECK_U64(st_efd_take(efd), 1);          /* LSC asserted the line */
	/* The driver changed RAL0; reset reloads it from the EEPROM. */
	hal_wr32(t.hw, E1000_RAL(0), 0);
	hal_wr32(t.hw, E1000_CTRL, hal_rd32(t.hw, E1000_CTRL) | E1000_CTRL_RST);
	check_power_on(&t, mac);
	/* The line dropped with ICR/IMS: unmask does not signal. */
	CHECK_OK(hal_irq_unmask(t.hw, HAL_IRQ_INTX, 0));
	CHECK_U64(st_efd_take(efd), 0);
	sim_get_stats(t.hw, &st);
	CHECK_U64(st.resets, 1);
	/* Rings are off after reset: a TDT write does nothing. */
	hal_wr32(t.hw, E1000_TDT, 1);
	sim_sync(t.hw);
	CHECK_EQ(hal_rd32(t.hw, E1000_TDH), 0);
	sim_get_stats(t.hw, &st);
	CHECK_U64(st.bad_ring_config, 0);
	/* It can be programmed again from scratch. */
	hal_dma_free(t.hw, &t.txr); hal_dma_free(t.hw, &t.rxr);
	hal_dma_free(t.hw, &t.txbuf); hal_dma_free(t.hw, &t.rxbuf);
	program(&t);
	CHECK(st_rx_poll(&t, NULL, 0, NULL, NULL, NULL));
	CHECK_OK(hal_irq_clear(t.hw, HAL_IRQ_INTX));
	close(efd);
	st_close(&t);
}

static void test_ctrl_rst_82540(void) { test_ctrl_rst(SIM_82540EM); }
static void test_ctrl_rst_82574(void) { test_ctrl_rst(SIM_82574L); }

static void test_reset_op(void)
{
	struct st_dev t;
	struct sim_stats st;
	uint8_t mac[6];

	REQUIRE(st_open(&t, SIM_82540EM, SIM_WIRE_NONE) == 0);
	CHECK_EQ(t.hw->ops->reset(t.hw), -ENOTSUP);   /* QEMU e1000: no VFIO reset */
	st_close(&t);

	REQUIRE(st_open(&t, SIM_82574L, SIM_WIRE_LOOPBACK) == 0);
	memcpy(mac, t.mac, 6);
	program(&t);
	CHECK_OK(t.hw->ops->reset(t.hw));
	check_power_on(&t, mac);
	sim_get_stats(t.hw, &st);
	CHECK_U64(st.resets, 1);
	/* Config space survives (VFIO restores it): bus mastering still on. */
	{
		uint16_t cmd;

		CHECK_OK(hal_cfg_read16(t.hw, PCI_CFG_COMMAND, &cmd));
		CHECK(cmd & PCI_CFG_CMD_MASTER);
	}
	st_close(&t);
}

static void qemu_ctrl_rst(enum sim_model m)
{
	struct sim_config sc = { .model = m, .wire = SIM_WIRE_LOOPBACK,
	                         .fail_irq_set_index = HAL_IRQ_NINDEX, .qemu_ctrl_rst = true };
	bool e574 = m == SIM_82574L;
	struct st_dev t;
	struct sim_stats st;
	uint8_t mac[6];
	uint32_t tdh;

	REQUIRE(st_open_cfg(&t, &sc) == 0);
	memcpy(mac, t.mac, 6);
	program(&t);
	tdh = hal_rd32(t.hw, E1000_TDH);
	CHECK_EQ(tdh, 1);
	hal_wr32(t.hw, E1000_RAL(0), 0);
	hal_wr32(t.hw, E1000_CTRL, hal_rd32(t.hw, E1000_CTRL) | E1000_CTRL_RST);
	CHECK(!(hal_rd32(t.hw, E1000_CTRL) & E1000_CTRL_RST));   /* self-cleared */
	sim_get_stats(t.hw, &st);
	CHECK_U64(st.resets, 1);
	/* What the "driver" programmed is still there. */
	CHECK_EQ(hal_rd32(t.hw, E1000_RXCSUM), E1000_RXCSUM_TUOFL);
	CHECK_EQ(hal_rd32(t.hw, E1000_RFCTL), e574 ? E1000_RFCTL_EXSTEN : 0u);
	CHECK(hal_rd32(t.hw, E1000_RCTL) & E1000_RCTL_EN);
	CHECK(hal_rd32(t.hw, E1000_TCTL) & E1000_TCTL_EN);
	CHECK_EQ(hal_rd32(t.hw, E1000_TDH), tdh);
	CHECK_EQ(hal_rd32(t.hw, E1000_ITR), 100);
	CHECK_EQ(hal_rd32(t.hw, E1000_RAL(1)), 0x12345678u);
	CHECK_EQ(hal_rd32(t.hw, E1000_IMS), E1000_ICR_TXDW | E1000_ICR_LSC);
	/* RAR0: the e1000e reloads it from the EEPROM, the e1000 does not. */
	if (e574) {
		uint8_t now[6];

		st_mac(&t, now);
		CHECK(memcmp(now, mac, 6) == 0);
	} else {
		CHECK_EQ(hal_rd32(t.hw, E1000_RAL(0)), 0);
	}
	/* The hal reset op (FLR) still resets everything. */
	if (e574) {
		CHECK_OK(t.hw->ops->reset(t.hw));
		check_power_on(&t, mac);
	}
	st_close(&t);
}

static void test_qemu_ctrl_rst_82540(void) { qemu_ctrl_rst(SIM_82540EM); }
static void test_qemu_ctrl_rst_82574(void) { qemu_ctrl_rst(SIM_82574L); }

int main(void)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_ctrl_rst_82540),
		TL_CASE(test_ctrl_rst_82574),
		TL_CASE(test_reset_op),
		TL_CASE(test_qemu_ctrl_rst_82540),
		TL_CASE(test_qemu_ctrl_rst_82574),
	};
	return tl_run(cases, TL_N(cases));
}
