/* SPDX-License-Identifier: MIT */
/*
 * test_hw.c - driver/hw.c, the register layer, against the fake hal: what
 * the halt's ops rely on it to leave in the device.  The halt framework's
 * tests prove the ops are called in order; these prove the ops' registers.
 */
#include <string.h>

#include "fake_hal.h"
#include "hw.h"
#include "mac.h"
#include "testlib.h"

static const uint8_t uc[2][6] = { { 0x02, 0, 0, 0, 0, 0x01 }, { 0x02, 0, 0, 0, 0, 0x02 } };
static const uint8_t mc[1][6] = { { 0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb } };

static unsigned mta_bits(struct fake_hal *f)
{
	unsigned n = 0;

	for (unsigned i = 0; i < E1000_MTA_WORDS; i++)
		n += (unsigned)__builtin_popcount(fake_hal_reg(f, E1000_MTA + 4 * i));
	return n;
}

/* Filters written, then cleared as unbind-upper clears them: every RAR
 * above 0 without Address Valid, the MTA empty, promiscuous off. */
static void test_filters_written_and_cleared(void)
{
	struct fake_hal *f = fake_hal_open(NULL);
	struct hal_dev *hw = fake_hal_dev(f);
	struct e1k_hw_filters set = { .uc = uc, .nuc = 2, .mc = mc, .nmc = 1, .promisc = true,
	                              .rx_enable = true };
	struct e1k_hw_filters none = { 0 };

	REQUIRE(f);
	e1k_hw_write_filters(hw, &set);
	CHECK_U64(fake_hal_reg(f, E1000_RAL(1)), e1k_mac_ral(uc[0]));
	CHECK_U64(fake_hal_reg(f, E1000_RAH(2)), e1k_mac_rah(uc[1]) | E1000_RAH_AV);
	CHECK_EQ(mta_bits(f), 1);
	CHECK(fake_hal_reg(f, E1000_RCTL) & E1000_RCTL_UPE);
	CHECK(fake_hal_reg(f, E1000_RCTL) & E1000_RCTL_EN);
	CHECK(!e1k_hw_filters_stuck(hw, &set));

	e1k_hw_write_filters(hw, &none);
	for (unsigned i = 1; i < E1000_RAR_ENTRIES; i++)
		CHECK_EQ(fake_hal_reg(f, E1000_RAH(i)) & E1000_RAH_AV, 0);
	CHECK_EQ(mta_bits(f), 0);
	/* (RCTL.EN is stop-rx-tx's to clear, not the filters'.) */
	CHECK_EQ(fake_hal_reg(f, E1000_RCTL) & (E1000_RCTL_UPE | E1000_RCTL_MPE), 0);
	/* What was set no longer reads back: the check sees it. */
	CHECK(e1k_hw_filters_stuck(hw, &set));
	fake_hal_close(f);
}

/* mask-interrupts and stop-rx-tx: every cause masked, both units off. */
static void test_mask_and_stop(void)
{
	struct fake_hal *f = fake_hal_open(NULL);
	struct hal_dev *hw = fake_hal_dev(f);

	REQUIRE(f);
	fake_hal_set_reg(f, E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_BAM);
	fake_hal_set_reg(f, E1000_TCTL, E1000_TCTL_EN | E1000_TCTL_PSP);
	e1k_hw_irq_mask(hw);
	CHECK_U64(fake_hal_reg(f, E1000_IMC), E1000_IMS_ALL);
	e1k_hw_stop_rx_tx(hw);
	CHECK_EQ(fake_hal_reg(f, E1000_RCTL), E1000_RCTL_BAM);
	CHECK_EQ(fake_hal_reg(f, E1000_TCTL), E1000_TCTL_PSP);
	/* After a reset that may have been ignored, nothing is left armed. */
	fake_hal_set_reg(f, E1000_RDLEN, 4096);
	e1k_hw_disarm(hw);
	CHECK_EQ(fake_hal_reg(f, E1000_RDLEN), 0);
	CHECK_EQ(fake_hal_reg(f, E1000_RCTL), 0);
	fake_hal_close(f);
}

int main(void)
{
	static const struct tl_case c[] = {
		TL_CASE(test_filters_written_and_cleared), TL_CASE(test_mask_and_stop),
	};

	return tl_run(c, TL_N(c));
}
