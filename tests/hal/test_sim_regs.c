/* SPDX-License-Identifier: MIT */
/* Register file: RW patterns, RO, WO, unknown and out-of-window offsets,
 * EECD handshake, MDIC/PHY. */
#include "simtest.h"
#include "testlib.h"

#include <pthread.h>

struct rw { uint32_t off; uint32_t mask; };

static const struct rw common_rw[] = {
	{ E1000_RDBAL, ~(E1000_RING_ALIGN - 1u) }, { E1000_RDBAH, ~0u },
	{ E1000_RDLEN, E1000_RDLEN_FIELD_MASK },   { E1000_RDH, E1000_RING_INDEX_MASK },
	{ E1000_RDT, E1000_RING_INDEX_MASK },      { E1000_RDTR, E1000_DELAY_MASK },
	{ E1000_RADV, E1000_DELAY_MASK },          { E1000_TDBAL, ~(E1000_RING_ALIGN - 1u) },
	{ E1000_TDBAH, ~0u },                      { E1000_TDLEN, E1000_RDLEN_FIELD_MASK },
	{ E1000_TDH, E1000_RING_INDEX_MASK },      { E1000_TDT, E1000_RING_INDEX_MASK },
	{ E1000_TIDV, E1000_DELAY_MASK },          { E1000_TADV, E1000_DELAY_MASK },
	{ E1000_ITR, E1000_ITR_INTERVAL_MASK },    { E1000_MTA, ~0u },
	{ E1000_MTA + 4u * (E1000_MTA_WORDS - 1u), ~0u },
	{ E1000_RAL(1), ~0u },
	{ E1000_RAH(1), E1000_RAH_AV | E1000_RAH_ASEL_MASK | E1000_RAH_ADDR_MASK },
	{ E1000_RAL(15), ~0u },
	{ E1000_RAH(15), E1000_RAH_AV | E1000_RAH_ASEL_MASK | E1000_RAH_ADDR_MASK },
	{ E1000_FCAL, ~0u }, { E1000_FCAH, E1000_RAH_ADDR_MASK }, { E1000_TIPG, ~0u },
	{ E1000_RXDCTL, ~0u }, { E1000_TXDCTL, ~0u }, { E1000_CTRL_EXT, ~0u },
	{ E1000_WUC, ~0u }, { E1000_WUFC, ~0u }, { E1000_RXCSUM, ~0u },
};

static const struct rw e574_rw[] = {
	{ E1000_IVAR, E1000_IVAR_MASK_82574 }, { E1000_EIAC, E1000_EIAC_MASK_82574 },
	{ E1000_IAM, ~0u }, { E1000_RFCTL, E1000_RFCTL_MASK_82574 },
};

static const uint32_t patterns[] = { 0xa5a5a5a5u, 0x5a5a5a5au, 0xffffffffu, 0x0u, 0x12345678u };

static void pattern(struct hal_dev *hw, const struct rw *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t p = 0; p < sizeof(patterns) / sizeof(patterns[0]); p++) {
			hal_wr32(hw, r[i].off, patterns[p]);
			uint32_t got = hal_rd32(hw, r[i].off);

			if (got != (patterns[p] & r[i].mask))
				tl_fail(__FILE__, __LINE__, "reg %#x wrote %#x read %#x (mask %#x)",
				        r[i].off, patterns[p], got, r[i].mask);
		}
}

static void test_pattern_82540(void)
{
	struct st_dev t;

	REQUIRE(st_open(&t, SIM_82540EM, SIM_WIRE_NONE) == 0);
	pattern(t.hw, common_rw, TL_N(common_rw));
	/* 82574-only registers do not exist on the 82540EM. */
	for (size_t i = 0; i < TL_N(e574_rw); i++) {
		hal_wr32(t.hw, e574_rw[i].off, ~0u);
		CHECK_U64(hal_rd32(t.hw, e574_rw[i].off), 0);
	}
	st_close(&t);
}

static void test_pattern_82574(void)
{
	struct st_dev t;

	REQUIRE(st_open(&t, SIM_82574L, SIM_WIRE_NONE) == 0);
	pattern(t.hw, common_rw, TL_N(common_rw));
	pattern(t.hw, e574_rw, TL_N(e574_rw));
	st_close(&t);
}

static void test_ro_wo_unknown(void)
{
	struct st_dev t;
	struct sim_stats st;
	uint32_t status;

	REQUIRE(st_open(&t, SIM_82540EM, SIM_WIRE_NONE) == 0);
	status = hal_rd32(t.hw, E1000_STATUS);
	CHECK(status & E1000_STATUS_LU);
	CHECK(status & E1000_STATUS_FD);
	CHECK_U64(status & E1000_STATUS_SPEED_MASK, E1000_STATUS_SPEED_1000);
	hal_wr32(t.hw, E1000_STATUS, 0);
	CHECK_U64(hal_rd32(t.hw, E1000_STATUS), status);
	hal_wr32(t.hw, E1000_STATUS, ~0u);
	CHECK_U64(hal_rd32(t.hw, E1000_STATUS), status);

	/* Write-only registers read 0. */
	hal_wr32(t.hw, E1000_IMC, 0);
	CHECK_U64(hal_rd32(t.hw, E1000_ICS), 0);
	CHECK_U64(hal_rd32(t.hw, E1000_IMC), 0);

	/* Unknown offset inside the window: reads 0, writes ignored. */
	hal_wr32(t.hw, E1000_BAR0_SIZE - 4u, 0xdeadbeefu);
	CHECK_U64(hal_rd32(t.hw, E1000_BAR0_SIZE - 4u), 0);

	/* Statistics are read-only (and clear on read). */
	hal_wr32(t.hw, E1000_GPRC, 77);
	CHECK_U64(hal_rd32(t.hw, E1000_GPRC), 0);

	/* Outside the window / unaligned: counted, ignored, read 0. */
	sim_get_stats(t.hw, &st);
	CHECK_U64(st.mmio_bad, 0);
	CHECK_U64(hal_rd32(t.hw, E1000_BAR0_SIZE), 0);
	CHECK_U64(hal_rd32(t.hw, 0xffffffffu & ~3u), 0);
	CHECK_U64(hal_rd32(t.hw, E1000_CTRL + 2u), 0);
	hal_wr32(t.hw, E1000_BAR0_SIZE + 4u, 1);
	hal_wr32(t.hw, E1000_RDBAL + 1u, 1);
	CHECK_U64(hal_rd32(t.hw, E1000_RDBAL), 0);
	sim_get_stats(t.hw, &st);
	CHECK_U64(st.mmio_bad, 5);
	CHECK(!hal_is_gone(t.hw));
	st_close(&t);
}

static void test_eecd_mdic(void)
{
	struct st_dev t;
	uint32_t v;

	REQUIRE(st_open(&t, SIM_82540EM, SIM_WIRE_NONE) == 0);
	v = hal_rd32(t.hw, E1000_EECD);
	CHECK(v & E1000_EECD_PRES);
	CHECK(!(v & E1000_EECD_GNT));
	hal_wr32(t.hw, E1000_EECD, E1000_EECD_REQ);
	CHECK(hal_rd32(t.hw, E1000_EECD) & E1000_EECD_GNT);
	hal_wr32(t.hw, E1000_EECD, 0);
	CHECK(!(hal_rd32(t.hw, E1000_EECD) & E1000_EECD_GNT));

	/* PHY id through MDIC (address 1). */
	hal_wr32(t.hw, E1000_MDIC, E1000_MDIC_OP_READ | (E1000_PHY_ADDR << E1000_MDIC_PHY_SHIFT) |
	                           (E1000_PHY_ID1 << E1000_MDIC_REG_SHIFT));
	v = hal_rd32(t.hw, E1000_MDIC);
	CHECK(v & E1000_MDIC_READY);
	CHECK(!(v & E1000_MDIC_ERROR));
	CHECK_U64(v & E1000_MDIC_DATA_MASK, E1000_PHY_ID_M88E1011 >> 16);
	hal_wr32(t.hw, E1000_MDIC, E1000_MDIC_OP_READ | (E1000_PHY_ADDR << E1000_MDIC_PHY_SHIFT) |
	                           (E1000_PHY_STATUS << E1000_MDIC_REG_SHIFT));
	CHECK(hal_rd32(t.hw, E1000_MDIC) & E1000_PHY_STATUS_LINK);
	/* Another PHY address: error. */
	hal_wr32(t.hw, E1000_MDIC, E1000_MDIC_OP_READ | (2u << E1000_MDIC_PHY_SHIFT));
	CHECK(hal_rd32(t.hw, E1000_MDIC) & E1000_MDIC_ERROR);
	/* Write then read back a PHY register. */
	hal_wr32(t.hw, E1000_MDIC, E1000_MDIC_OP_WRITE | (E1000_PHY_ADDR << E1000_MDIC_PHY_SHIFT) |
	                           (9u << E1000_MDIC_REG_SHIFT) | 0x1234u);
	hal_wr32(t.hw, E1000_MDIC, E1000_MDIC_OP_READ | (E1000_PHY_ADDR << E1000_MDIC_PHY_SHIFT) |
	                           (9u << E1000_MDIC_REG_SHIFT));
	CHECK_U64(hal_rd32(t.hw, E1000_MDIC) & E1000_MDIC_DATA_MASK, 0x1234u);
	/* MDIC.INT_EN raises MDAC. */
	hal_rd32(t.hw, E1000_ICR);
	hal_wr32(t.hw, E1000_MDIC, E1000_MDIC_OP_READ | E1000_MDIC_INT_EN |
	                           (E1000_PHY_ADDR << E1000_MDIC_PHY_SHIFT));
	CHECK(hal_rd32(t.hw, E1000_ICR) & E1000_ICR_MDAC);
	st_close(&t);

	REQUIRE(st_open(&t, SIM_82574L, SIM_WIRE_NONE) == 0);
	hal_wr32(t.hw, E1000_MDIC, E1000_MDIC_OP_READ | (E1000_PHY_ADDR << E1000_MDIC_PHY_SHIFT) |
	                           (E1000_PHY_ID2 << E1000_MDIC_REG_SHIFT));
	CHECK_U64(hal_rd32(t.hw, E1000_MDIC) & E1000_MDIC_DATA_MASK, E1000_PHY_ID_BME1000 & 0xffffu);
	st_close(&t);
}

/* Several threads hammer registers while the model thread runs. */
struct hammer { struct hal_dev *hw; uint32_t off; unsigned n; int bad; };

static void *hammer_fn(void *arg)
{
	struct hammer *h = arg;

	for (unsigned i = 0; i < h->n; i++) {
		hal_wr32(h->hw, h->off, i);
		if (hal_rd32(h->hw, h->off) != (i & E1000_DELAY_MASK))
			h->bad++;
		hal_wr32(h->hw, E1000_ICS, E1000_ICR_TXDW);
		(void)hal_rd32(h->hw, E1000_ICR);
	}
	return NULL;
}

static void test_concurrent_access(void)
{
	struct st_dev t;
	struct hammer h[3];
	pthread_t th[3];
	unsigned n = (unsigned)tl_scaled(20000, 500);

	REQUIRE(st_open(&t, SIM_82574L, SIM_WIRE_LOOPBACK) == 0);
	h[0] = (struct hammer){ t.hw, E1000_RDTR, n, 0 };
	h[1] = (struct hammer){ t.hw, E1000_TIDV, n, 0 };
	h[2] = (struct hammer){ t.hw, E1000_RADV, n, 0 };
	for (int i = 0; i < 3; i++)
		REQUIRE(pthread_create(&th[i], NULL, hammer_fn, &h[i]) == 0);
	for (int i = 0; i < 3; i++) {
		pthread_join(th[i], NULL);
		CHECK_EQ(h[i].bad, 0);
	}
	st_close(&t);
}

int main(void)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_pattern_82540),
		TL_CASE(test_pattern_82574),
		TL_CASE(test_ro_wo_unknown),
		TL_CASE(test_eecd_mdic),
		TL_CASE(test_concurrent_access),
	};
	return tl_run(cases, TL_N(cases));
}
