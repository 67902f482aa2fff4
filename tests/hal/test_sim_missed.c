/* SPDX-License-Identifier: MIT */
/* Frames without a descriptor are missed (MPC, RNBC, RXO); RXDMT0 at the
 * threshold; the wire queue's bound (-ENOSPC) while the device is hung. */
#include "simtest.h"
#include "testlib.h"

#include <string.h>

static void test_missed(void)
{
	struct st_dev t;
	struct sim_stats st;
	uint8_t f[100];
	uint32_t icr;
	int got = 0;

	REQUIRE(st_open(&t, SIM_82540EM, SIM_WIRE_NONE) == 0);
	/* 8 descriptors, RDT = 3: three usable. */
	REQUIRE(st_setup_rx(&t, 8, 2048, 0) == 0);
	hal_wr32(t.hw, E1000_RDLEN, 8 * (uint32_t)sizeof(struct e1000_rx_desc));
	hal_wr32(t.hw, E1000_RDT, 3);
	for (uint32_t i = 0; i < 10; i++) {
		st_frame(f, sizeof(f), t.mac, i);
		CHECK_OK(sim_wire_inject(t.hw, f, sizeof(f)));
	}
	sim_sync(t.hw);
	while (st_rx_poll(&t, NULL, 0, NULL, NULL, NULL))
		got++;
	CHECK_EQ(got, 3);
	CHECK_EQ(hal_rd32(t.hw, E1000_MPC), 7);
	CHECK_EQ(hal_rd32(t.hw, E1000_MPC), 0);   /* clear on read */
	CHECK_EQ(hal_rd32(t.hw, E1000_RNBC), 7);
	CHECK_EQ(hal_rd32(t.hw, E1000_GPRC), 3);
	icr = hal_rd32(t.hw, E1000_ICR);
	CHECK(icr & E1000_ICR_RXO);
	CHECK(icr & E1000_ICR_RXT0);
	CHECK(icr & E1000_ICR_RXDMT0);
	sim_get_stats(t.hw, &st);
	CHECK_U64(st.rx_missed, 7);
	CHECK_U64(st.rx_frames, 3);
	/* Posting descriptors again lets frames in. */
	st_frame(f, sizeof(f), t.mac, 99);
	CHECK_OK(sim_wire_inject(t.hw, f, sizeof(f)));
	sim_sync(t.hw);
	CHECK(st_rx_poll(&t, NULL, 0, NULL, NULL, NULL));
	st_close(&t);
}

static void test_rxdmt0_threshold(void)
{
	struct st_dev t;
	uint8_t f[64];

	/* 16 descriptors, RDMTS = 1/2: RXDMT0 when free <= 8. */
	REQUIRE(st_open(&t, SIM_82574L, SIM_WIRE_NONE) == 0);
	REQUIRE(st_setup_rx(&t, 16, 2048, E1000_RCTL_RDMTS_HALF) == 0);
	st_frame(f, sizeof(f), t.mac, 1);
	for (int i = 0; i < 6; i++)
		CHECK_OK(sim_wire_inject(t.hw, f, sizeof(f)));
	sim_sync(t.hw);
	CHECK(!(hal_rd32(t.hw, E1000_ICR) & E1000_ICR_RXDMT0));   /* 15 - 6 = 9 free */
	CHECK_OK(sim_wire_inject(t.hw, f, sizeof(f)));
	sim_sync(t.hw);
	CHECK(hal_rd32(t.hw, E1000_ICR) & E1000_ICR_RXDMT0);      /* 8 free */
	st_close(&t);
}

static void test_wire_bound(void)
{
	struct st_dev t;
	struct sim_stats st;
	uint8_t f[64];
	int ok = 0, err = 0, got = 0;

	REQUIRE(st_open(&t, SIM_82540EM, SIM_WIRE_LOOPBACK) == 0);
	REQUIRE(st_setup_rx(&t, 2048, 2048, 0) == 0);
	CHECK_OK(sim_fault(t.hw, SIM_FAULT_HANG, true));   /* the wire backs up */
	st_frame(f, sizeof(f), t.mac, 1);
	for (int i = 0; i < 1100; i++) {
		int r = sim_wire_inject(t.hw, f, sizeof(f));

		if (r == 0)
			ok++;
		else if (r == -ENOSPC)
			err++;
	}
	CHECK_EQ(ok, 1024);
	CHECK_EQ(err, 1100 - 1024);
	CHECK_EQ(sim_wire_inject(t.hw, NULL, 10), -EINVAL);
	CHECK_EQ(sim_wire_inject(t.hw, f, 0), -EINVAL);
	CHECK_OK(sim_fault(t.hw, SIM_FAULT_HANG, false));
	sim_sync(t.hw);
	while (st_rx_poll(&t, NULL, 0, NULL, NULL, NULL))
		got++;
	CHECK_EQ(got, 1024);
	sim_get_stats(t.hw, &st);
	CHECK_U64(st.rx_missed, 0);
	st_close(&t);
}

/* Loopback with the TX side outrunning a small RX ring: extra frames are
 * missed, none is lost silently. */
static void test_loopback_overrun(void)
{
	struct st_dev t;
	struct sim_stats st;
	uint8_t f[64];
	int got = 0;

	REQUIRE(st_open(&t, SIM_82574L, SIM_WIRE_LOOPBACK) == 0);
	REQUIRE(st_setup_tx(&t, 64) == 0);
	REQUIRE(st_setup_rx(&t, 8, 2048, 0) == 0);
	st_frame(f, sizeof(f), t.mac, 1);
	for (int i = 0; i < 40; i++)
		CHECK_OK(st_tx_queue(&t, f, sizeof(f)));
	st_tx_kick(&t);
	sim_sync(t.hw);
	while (st_rx_poll(&t, NULL, 0, NULL, NULL, NULL))
		got++;
	CHECK_EQ(got, 7);
	sim_get_stats(t.hw, &st);
	CHECK_U64(st.tx_frames, 40);
	CHECK_U64(st.rx_missed, 33);
	CHECK_EQ(hal_rd32(t.hw, E1000_MPC), 33);
	st_close(&t);
}

int main(void)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_missed),
		TL_CASE(test_rxdmt0_threshold),
		TL_CASE(test_wire_bound),
		TL_CASE(test_loopback_overrun),
	};
	return tl_run(cases, TL_N(cases));
}
