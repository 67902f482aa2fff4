/* SPDX-License-Identifier: MIT */
/* EEPROM through EERD on both register layouts: MAC words, ids, checksum. */
#include "simtest.h"
#include "testlib.h"

#include <string.h>

/* Read one word the way each part wants it; -1 if DONE never shows. */
static int eerd(struct hal_dev *hw, bool e574, uint32_t addr)
{
	unsigned shift = e574 ? E1000_EERD_ADDR_SHIFT_82574 : E1000_EERD_ADDR_SHIFT_8254X;
	uint32_t done = e574 ? E1000_EERD_DONE_82574 : E1000_EERD_DONE_8254X;

	hal_wr32(hw, E1000_EERD, E1000_EERD_START | (addr << shift));
	for (int i = 0; i < 1000; i++) {
		uint32_t v = hal_rd32(hw, E1000_EERD);

		if (v & done)
			return (int)(v >> E1000_EERD_DATA_SHIFT);
	}
	return -1;
}

static void check_model(enum sim_model m, const uint8_t mac[6], const uint8_t want[6])
{
	struct sim_config cfg = { .model = m, .wire = SIM_WIRE_NONE,
	                          .fail_irq_set_index = HAL_IRQ_NINDEX };
	bool e574 = m == SIM_82574L;
	struct st_dev t;
	uint16_t sum = 0;
	uint8_t got[6];

	memcpy(cfg.mac, mac, 6);
	REQUIRE(st_open_cfg(&t, &cfg) == 0);
	for (uint32_t w = 0; w < E1000_EEPROM_WORDS; w++) {
		int v = eerd(t.hw, e574, w);

		REQUIRE(v >= 0);
		sum = (uint16_t)(sum + v);
		if (w < 3) {
			got[2 * w] = (uint8_t)v;
			got[2 * w + 1] = (uint8_t)(v >> 8);
		}
		if (w == E1000_EEPROM_DEVICE_ID_WORD)
			CHECK_EQ(v, e574 ? E1000_DEV_82574L : E1000_DEV_82540EM);
		if (w == E1000_EEPROM_VENDOR_ID_WORD)
			CHECK_EQ(v, E1000_VENDOR_INTEL);
	}
	CHECK_EQ(sum, E1000_EEPROM_SUM);
	CHECK(memcmp(got, want, 6) == 0);
	/* RAL0/RAH0 were loaded from it. */
	CHECK(memcmp(t.mac, want, 6) == 0);
	/* Without START nothing completes; the wrong layout's DONE bit stays 0. */
	hal_wr32(t.hw, E1000_EERD, 0);
	CHECK_EQ(hal_rd32(t.hw, E1000_EERD) & (E1000_EERD_DONE_82574 | E1000_EERD_DONE_8254X), 0);
	hal_wr32(t.hw, E1000_EERD, E1000_EERD_START);
	CHECK_EQ(hal_rd32(t.hw, E1000_EERD) & (e574 ? E1000_EERD_DONE_8254X : E1000_EERD_DONE_82574), 0);
	/* A word past the array reads 0. */
	CHECK_EQ(eerd(t.hw, e574, E1000_EEPROM_WORDS + 5), 0);
	st_close(&t);
}

static void test_82540_custom(void)
{
	static const uint8_t mac[6] = { 0x02, 0x12, 0x34, 0x56, 0x78, 0x9a };

	check_model(SIM_82540EM, mac, mac);
}

static void test_82574_custom(void)
{
	static const uint8_t mac[6] = { 0x02, 0xfe, 0xdc, 0xba, 0x98, 0x76 };

	check_model(SIM_82574L, mac, mac);
}

static void test_default_mac(void)
{
	static const uint8_t zero[6];
	static const uint8_t def[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

	check_model(SIM_82540EM, zero, def);
	check_model(SIM_82574L, zero, def);
}

int main(void)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_82540_custom),
		TL_CASE(test_82574_custom),
		TL_CASE(test_default_mac),
	};
	return tl_run(cases, TL_N(cases));
}
