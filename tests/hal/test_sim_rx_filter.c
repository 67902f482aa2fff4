/* SPDX-License-Identifier: MIT */
/* Receive address filter (SDM 13.4.22, 13.5): exact RAL/RAH with AV on any of
 * the 16 entries, broadcast with BAM, multicast by MTA hash (MO 0..3) or MPE,
 * unicast promiscuous UPE; long frames only with LPE; runts dropped. */
#include "simtest.h"
#include "testlib.h"

#include <string.h>

/* Inject one frame to dst and report whether it was received. */
static bool got_frame(struct st_dev *t, const uint8_t dst[6], size_t len)
{
	uint8_t f[2000];
	bool r;

	st_frame(f, len, dst, 9);
	if (sim_wire_inject(t->hw, f, len) != 0)
		return false;
	sim_sync(t->hw);
	r = st_rx_poll(t, NULL, 0, NULL, NULL, NULL);
	while (st_rx_poll(t, NULL, 0, NULL, NULL, NULL))
		;
	return r;
}

static void set_rar(struct hal_dev *hw, unsigned i, const uint8_t a[6], bool valid)
{
	hal_wr32(hw, E1000_RAL(i), (uint32_t)a[0] | (uint32_t)a[1] << 8 |
	                           (uint32_t)a[2] << 16 | (uint32_t)a[3] << 24);
	hal_wr32(hw, E1000_RAH(i), (uint32_t)a[4] | (uint32_t)a[5] << 8 | (valid ? E1000_RAH_AV : 0u));
}

static void set_rctl(struct hal_dev *hw, uint32_t bits)
{
	hal_wr32(hw, E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_SECRC | bits);
}

static void test_unicast_exact(void)
{
	static const uint8_t other[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
	static const uint8_t second[6] = { 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0x03 };
	struct st_dev t;
	struct sim_stats st;

	REQUIRE(st_open(&t, SIM_82540EM, SIM_WIRE_NONE) == 0);
	REQUIRE(st_setup_rx(&t, 32, 2048, 0) == 0);
	set_rctl(t.hw, 0);
	CHECK(got_frame(&t, t.mac, 100));            /* RAL0/RAH0 from the EEPROM */
	CHECK(!got_frame(&t, other, 100));
	set_rar(t.hw, 3, second, true);              /* a secondary address */
	CHECK(got_frame(&t, second, 100));
	set_rar(t.hw, 15, other, false);             /* AV clear: ignored */
	CHECK(!got_frame(&t, other, 100));
	set_rar(t.hw, 15, other, true);
	CHECK(got_frame(&t, other, 100));
	set_rar(t.hw, 0, t.mac, false);              /* own address invalidated */
	CHECK(!got_frame(&t, t.mac, 100));
	set_rctl(t.hw, E1000_RCTL_UPE);              /* unicast promiscuous */
	CHECK(got_frame(&t, t.mac, 100));
	sim_get_stats(t.hw, &st);
	CHECK_U64(st.rx_filtered, 3);
	CHECK_U64(st.rx_frames, 4);
	st_close(&t);
}

static void test_broadcast(void)
{
	static const uint8_t bc[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct st_dev t;

	REQUIRE(st_open(&t, SIM_82574L, SIM_WIRE_NONE) == 0);
	REQUIRE(st_setup_rx(&t, 32, 2048, 0) == 0);
	set_rctl(t.hw, 0);
	CHECK(!got_frame(&t, bc, 60));
	set_rctl(t.hw, E1000_RCTL_BAM);
	CHECK(got_frame(&t, bc, 60));
	/* UPE and MPE do not take broadcasts (BAM does). */
	set_rctl(t.hw, E1000_RCTL_UPE | E1000_RCTL_MPE);
	CHECK(!got_frame(&t, bc, 60));
	st_close(&t);
}

/* MTA bit for addr under MO = mo, as the SDM defines it. */
static void mta_set(struct hal_dev *hw, const uint8_t a[6], unsigned mo)
{
	static const unsigned shift[4] = { 4, 3, 2, 0 };
	uint32_t h = (((uint32_t)a[4] | (uint32_t)a[5] << 8) >> shift[mo]) & E1000_MTA_HASH_MASK;
	uint32_t reg = E1000_MTA + 4u * (h >> 5);

	hal_wr32(hw, reg, hal_rd32(hw, reg) | (1u << (h & 31u)));
}

static void mta_clear(struct hal_dev *hw)
{
	for (uint32_t i = 0; i < E1000_MTA_WORDS; i++)
		hal_wr32(hw, E1000_MTA + 4u * i, 0);
}

static void test_multicast(void)
{
	static const uint8_t mc[6] = { 0x01, 0x00, 0x5e, 0x12, 0xa7, 0xc3 };
	static const uint8_t mc2[6] = { 0x33, 0x33, 0x00, 0x00, 0x00, 0x01 };
	struct st_dev t;

	REQUIRE(st_open(&t, SIM_82540EM, SIM_WIRE_NONE) == 0);
	REQUIRE(st_setup_rx(&t, 32, 2048, 0) == 0);
	set_rctl(t.hw, 0);
	CHECK(!got_frame(&t, mc, 64));
	/* MO = 0: hash = ((a[4] >> 4) | (a[5] << 4)) & 0xfff. */
	{
		uint32_t h = (((uint32_t)mc[4] >> 4) | ((uint32_t)mc[5] << 4)) & E1000_MTA_HASH_MASK;

		hal_wr32(t.hw, E1000_MTA + 4u * (h >> 5), 1u << (h & 31u));
	}
	CHECK(got_frame(&t, mc, 64));
	CHECK(!got_frame(&t, mc2, 64));
	/* The other offsets select other address bits. */
	for (unsigned mo = 1; mo < 4; mo++) {
		mta_clear(t.hw);
		set_rctl(t.hw, mo << E1000_RCTL_MO_SHIFT);
		CHECK(!got_frame(&t, mc, 64));
		mta_set(t.hw, mc, mo);
		CHECK(got_frame(&t, mc, 64));
		/* The same table under MO = 0 misses (different hash). */
		set_rctl(t.hw, 0);
		CHECK(!got_frame(&t, mc, 64));
	}
	mta_clear(t.hw);
	set_rctl(t.hw, E1000_RCTL_MPE);            /* multicast promiscuous */
	CHECK(got_frame(&t, mc, 64));
	CHECK(got_frame(&t, mc2, 64));
	/* A multicast exact entry in RAL/RAH also matches. */
	set_rctl(t.hw, 0);
	set_rar(t.hw, 2, mc2, true);
	CHECK(got_frame(&t, mc2, 64));
	st_close(&t);
}

static void test_lengths(void)
{
	struct st_dev t;

	REQUIRE(st_open(&t, SIM_82540EM, SIM_WIRE_NONE) == 0);
	REQUIRE(st_setup_rx(&t, 32, 2048, 0) == 0);
	set_rctl(t.hw, 0);
	CHECK(got_frame(&t, t.mac, E1000_ETH_VLAN_FRAME_MAX));
	CHECK(!got_frame(&t, t.mac, E1000_ETH_VLAN_FRAME_MAX + 1));
	CHECK_EQ(hal_rd32(t.hw, E1000_ROC), 1);
	set_rctl(t.hw, E1000_RCTL_LPE);
	CHECK(got_frame(&t, t.mac, 1600));
	set_rctl(t.hw, 0);
	CHECK(!got_frame(&t, t.mac, E1000_ETH_HLEN - 1));
	CHECK_EQ(hal_rd32(t.hw, E1000_RUC), 1);
	CHECK(got_frame(&t, t.mac, E1000_ETH_HLEN));
	/* Receiver disabled: nothing is taken in. */
	hal_wr32(t.hw, E1000_RCTL, 0);
	CHECK(!got_frame(&t, t.mac, 100));
	CHECK_EQ(hal_rd32(t.hw, E1000_MPC), 0);
	st_close(&t);
}

int main(void)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_unicast_exact),
		TL_CASE(test_broadcast),
		TL_CASE(test_multicast),
		TL_CASE(test_lengths),
	};
	return tl_run(cases, TL_N(cases));
}
