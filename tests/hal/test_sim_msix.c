/* SPDX-License-Identifier: MIT */
/* 82574L MSI-X: vector routing by IVAR, IMS queue bits, EIAC auto-clear;
 * irq_count per model; irq_set argument rules (-EINVAL, -EBUSY); per-vector
 * throttling by EITR (ITR does not throttle MSI-X); when a read clears ICR. */
#include "simtest.h"
#include "testlib.h"

#include <unistd.h>

#define IVAR_ENTRY(vec) (E1000_IVAR_VALID | (vec))

/* In MSI-X mode a read does not clear ICR while IMS is set: write it back. */
static void icr_clear(struct hal_dev *hw)
{
	hal_wr32(hw, E1000_ICR, 0xffffffffu);
}

static void test_irq_count(void)
{
	struct st_dev t;
	uint32_t n;

	REQUIRE(st_open(&t, SIM_82540EM, SIM_WIRE_NONE) == 0);
	CHECK_OK(hal_irq_count(t.hw, HAL_IRQ_INTX, &n)); CHECK_EQ(n, 1);
	CHECK_OK(hal_irq_count(t.hw, HAL_IRQ_MSI, &n));  CHECK_EQ(n, 0);
	CHECK_OK(hal_irq_count(t.hw, HAL_IRQ_MSIX, &n)); CHECK_EQ(n, 0);
	CHECK_OK(hal_irq_count(t.hw, HAL_IRQ_ERR, &n));  CHECK_EQ(n, 0);
	CHECK_OK(hal_irq_count(t.hw, HAL_IRQ_REQ, &n));  CHECK_EQ(n, 1);
	CHECK_EQ(hal_irq_count(t.hw, HAL_IRQ_NINDEX, &n), -EINVAL);
	st_close(&t);
	REQUIRE(st_open(&t, SIM_82574L, SIM_WIRE_NONE) == 0);
	CHECK_OK(hal_irq_count(t.hw, HAL_IRQ_INTX, &n)); CHECK_EQ(n, 1);
	CHECK_OK(hal_irq_count(t.hw, HAL_IRQ_MSI, &n));  CHECK_EQ(n, 1);
	CHECK_OK(hal_irq_count(t.hw, HAL_IRQ_MSIX, &n)); CHECK_EQ(n, 5);
	CHECK_OK(hal_irq_count(t.hw, HAL_IRQ_ERR, &n));  CHECK_EQ(n, 0);
	CHECK_OK(hal_irq_count(t.hw, HAL_IRQ_REQ, &n));  CHECK_EQ(n, 1);
	st_close(&t);
}

static void test_irq_set_rules(void)
{
	struct st_dev t;
	int efd[6], bad = -1, closed;

	for (int i = 0; i < 6; i++)
		efd[i] = st_efd();
	closed = 1 << 20;   /* beyond any fd this process has open */
	REQUIRE(st_open(&t, SIM_82574L, SIM_WIRE_NONE) == 0);
	CHECK_EQ(hal_irq_set(t.hw, HAL_IRQ_MSIX, efd, 0), -EINVAL);
	CHECK_EQ(hal_irq_set(t.hw, HAL_IRQ_MSIX, efd, 6), -EINVAL);
	CHECK_EQ(hal_irq_set(t.hw, HAL_IRQ_MSIX, NULL, 1), -EINVAL);
	CHECK_EQ(hal_irq_set(t.hw, HAL_IRQ_INTX, &bad, 1), -EINVAL);
	CHECK_EQ(hal_irq_set(t.hw, HAL_IRQ_INTX, &closed, 1), -EINVAL);
	CHECK_EQ(hal_irq_set(t.hw, HAL_IRQ_ERR, efd, 1), -EINVAL);
	CHECK_EQ(hal_irq_set(t.hw, HAL_IRQ_NINDEX, efd, 1), -EINVAL);
	CHECK_EQ(hal_irq_clear(t.hw, HAL_IRQ_NINDEX), -EINVAL);

	/* One of INTx / MSI / MSI-X at a time; REQ is independent. */
	CHECK_OK(hal_irq_set(t.hw, HAL_IRQ_MSIX, efd, 3));
	CHECK_EQ(hal_irq_set(t.hw, HAL_IRQ_INTX, efd, 1), -EBUSY);
	CHECK_EQ(hal_irq_set(t.hw, HAL_IRQ_MSI, efd, 1), -EBUSY);
	CHECK_OK(hal_irq_set(t.hw, HAL_IRQ_REQ, &efd[5], 1));
	CHECK_OK(hal_irq_set(t.hw, HAL_IRQ_MSIX, efd, 5));   /* same index again: fine */
	CHECK_OK(hal_irq_clear(t.hw, HAL_IRQ_MSIX));
	CHECK_OK(hal_irq_set(t.hw, HAL_IRQ_INTX, efd, 1));
	CHECK_OK(hal_irq_clear(t.hw, HAL_IRQ_INTX));
	CHECK_OK(hal_irq_set(t.hw, HAL_IRQ_MSI, efd, 1));
	CHECK_OK(hal_irq_clear(t.hw, HAL_IRQ_MSI));
	CHECK_OK(hal_irq_clear(t.hw, HAL_IRQ_REQ));
	st_close(&t);

	/* 82540EM: no MSI / MSI-X. */
	REQUIRE(st_open(&t, SIM_82540EM, SIM_WIRE_NONE) == 0);
	CHECK_EQ(hal_irq_set(t.hw, HAL_IRQ_MSI, efd, 1), -EINVAL);
	CHECK_EQ(hal_irq_set(t.hw, HAL_IRQ_MSIX, efd, 1), -EINVAL);
	CHECK_OK(hal_irq_set(t.hw, HAL_IRQ_INTX, efd, 1));
	st_close(&t);   /* closes with a trigger still set */
	for (int i = 0; i < 6; i++)
		close(efd[i]);
}

static void take_all(int *efd, uint64_t *got)
{
	for (int i = 0; i < 5; i++)
		got[i] = st_efd_take(efd[i]);
}

static void test_routing(void)
{
	struct st_dev t;
	int efd[5];
	uint64_t got[5];
	uint16_t ctrl;
	int msix;

	for (int i = 0; i < 5; i++)
		efd[i] = st_efd();
	REQUIRE(st_open(&t, SIM_82574L, SIM_WIRE_LOOPBACK) == 0);
	CHECK_OK(hal_irq_set(t.hw, HAL_IRQ_MSIX, efd, 5));
	msix = hal_cfg_find_cap(t.hw, PCI_CAP_ID_MSIX);
	REQUIRE(msix > 0);
	CHECK_OK(hal_cfg_read16(t.hw, (uint32_t)msix + PCI_MSIX_CTRL, &ctrl));
	CHECK(ctrl & PCI_MSIX_CTRL_ENABLE);
	CHECK_EQ((ctrl & PCI_MSIX_CTRL_QSIZE) + 1, 5);

	/* IMS set but IVAR not programmed: nothing fires. */
	hal_wr32(t.hw, E1000_IMS, E1000_ICR_RXQ0 | E1000_ICR_TXQ0 | E1000_ICR_OTHER | E1000_ICR_LSC);
	hal_wr32(t.hw, E1000_ICS, E1000_ICR_RXQ0);
	take_all(efd, got);
	for (int i = 0; i < 5; i++)
		CHECK_U64(got[i], 0);
	icr_clear(t.hw);

	/* RXQ0 -> 3, TXQ0 -> 1, OTHER -> 4. */
	hal_wr32(t.hw, E1000_IVAR, (IVAR_ENTRY(3u) << E1000_IVAR_RXQ0_SHIFT) |
	                           (IVAR_ENTRY(1u) << E1000_IVAR_TXQ0_SHIFT) |
	                           (IVAR_ENTRY(4u) << E1000_IVAR_OTHER_SHIFT));
	hal_wr32(t.hw, E1000_ICS, E1000_ICR_RXQ0);
	take_all(efd, got);
	CHECK_U64(got[3], 1); CHECK_U64(got[1], 0); CHECK_U64(got[4], 0);
	hal_wr32(t.hw, E1000_ICS, E1000_ICR_TXQ0);
	take_all(efd, got);
	CHECK_U64(got[1], 1); CHECK_U64(got[3], 0);
	/* Link change: LSC -> OTHER -> vector 4. */
	CHECK_OK(sim_fault(t.hw, SIM_FAULT_LINK_DOWN, true));
	take_all(efd, got);
	CHECK_U64(got[4], 1); CHECK_U64(got[1], 0); CHECK_U64(got[3], 0);
	CHECK_U64(hal_rd32(t.hw, E1000_ICR) & (E1000_ICR_LSC | E1000_ICR_OTHER),
	          E1000_ICR_LSC | E1000_ICR_OTHER);
	icr_clear(t.hw);
	CHECK_OK(sim_fault(t.hw, SIM_FAULT_LINK_DOWN, false));
	take_all(efd, got);
	CHECK_U64(got[4], 1);
	icr_clear(t.hw);

	/* Legacy causes without their queue bit do not fire MSI-X. */
	hal_wr32(t.hw, E1000_IMS, E1000_ICR_RXT0 | E1000_ICR_TXDW);
	hal_wr32(t.hw, E1000_IMC, E1000_ICR_RXQ0 | E1000_ICR_TXQ0);
	hal_wr32(t.hw, E1000_ICS, E1000_ICR_RXT0 | E1000_ICR_TXDW);
	take_all(efd, got);
	for (int i = 0; i < 5; i++)
		CHECK_U64(got[i], 0);
	icr_clear(t.hw);

	/* Real traffic: TX raises TXDW|TXQ0 and RX RXT0|RXQ0. */
	hal_wr32(t.hw, E1000_IMS, E1000_ICR_RXQ0 | E1000_ICR_TXQ0);
	REQUIRE(st_setup_tx(&t, 64) == 0);
	REQUIRE(st_setup_rx(&t, 64, 2048, E1000_RCTL_BSIZE_2048) == 0);
	{
		uint8_t f[100];

		st_frame(f, sizeof(f), t.mac, 1);
		CHECK_OK(st_tx(&t, f, sizeof(f)));
	}
	sim_sync(t.hw);
	take_all(efd, got);
	CHECK_U64(got[1], 1);
	CHECK_U64(got[3], 1);
	CHECK_U64(got[0] + got[2] + got[4], 0);
	{
		uint32_t icr = hal_rd32(t.hw, E1000_ICR);

		CHECK(icr & E1000_ICR_RXT0);
		CHECK(icr & E1000_ICR_RXQ0);
		CHECK(icr & E1000_ICR_TXDW);
		CHECK(icr & E1000_ICR_TXQ0);
	}
	icr_clear(t.hw);

	/* An invalid IVAR entry: that queue's causes go nowhere. */
	hal_wr32(t.hw, E1000_IVAR, (3u << E1000_IVAR_RXQ0_SHIFT) |
	                           (IVAR_ENTRY(1u) << E1000_IVAR_TXQ0_SHIFT));
	hal_wr32(t.hw, E1000_ICS, E1000_ICR_RXQ0 | E1000_ICR_TXQ0);
	take_all(efd, got);
	CHECK_U64(got[3], 0);
	CHECK_U64(got[1], 1);
	icr_clear(t.hw);

	/* EIAC: a sent message auto-clears its cause in ICR and IMS. */
	hal_wr32(t.hw, E1000_IVAR, IVAR_ENTRY(0u) << E1000_IVAR_RXQ0_SHIFT);
	hal_wr32(t.hw, E1000_EIAC, E1000_ICR_RXQ0);
	hal_wr32(t.hw, E1000_ICS, E1000_ICR_RXQ0);
	CHECK_U64(st_efd_take(efd[0]), 1);
	CHECK(!(hal_rd32(t.hw, E1000_IMS) & E1000_ICR_RXQ0));
	CHECK(!(hal_rd32(t.hw, E1000_ICR) & E1000_ICR_RXQ0));
	/* Re-enabled by the driver: fires again on the next cause. */
	hal_wr32(t.hw, E1000_IMS, E1000_ICR_RXQ0);
	hal_wr32(t.hw, E1000_ICS, E1000_ICR_RXQ0);
	CHECK_U64(st_efd_take(efd[0]), 1);

	/* Only n vectors were given: a vector beyond them is dropped. */
	CHECK_OK(hal_irq_set(t.hw, HAL_IRQ_MSIX, efd, 2));
	hal_wr32(t.hw, E1000_IVAR, IVAR_ENTRY(4u) << E1000_IVAR_RXQ0_SHIFT);
	hal_wr32(t.hw, E1000_IMS, E1000_ICR_RXQ0);
	hal_wr32(t.hw, E1000_ICS, E1000_ICR_RXQ0);
	take_all(efd, got);
	for (int i = 0; i < 5; i++)
		CHECK_U64(got[i], 0);

	CHECK_OK(hal_irq_clear(t.hw, HAL_IRQ_MSIX));
	CHECK_OK(hal_cfg_read16(t.hw, (uint32_t)msix + PCI_MSIX_CTRL, &ctrl));
	CHECK(!(ctrl & PCI_MSIX_CTRL_ENABLE));
	st_close(&t);
	for (int i = 0; i < 5; i++)
		close(efd[i]);
}

/* When a read clears ICR (82574 10.2.4.x, QEMU's e1000e alike): always
 * outside MSI-X mode and on the 82540EM; in MSI-X mode only while IMS is 0
 * or, with CTRL_EXT.IAME, when an interrupt is asserted (the read then masks
 * IAM too).  A write clears the bits written (OTHER with its causes). */
static void test_icr_clear_rules(void)
{
	struct st_dev t;
	int efd[5];

	for (int i = 0; i < 5; i++)
		efd[i] = st_efd();
	REQUIRE(st_open(&t, SIM_82574L, SIM_WIRE_NONE) == 0);
	hal_wr32(t.hw, E1000_IMS, E1000_ICR_RXQ0 | E1000_ICR_OTHER | E1000_ICR_LSC);
	/* Not MSI-X (no interrupt mode yet): read-to-clear. */
	hal_wr32(t.hw, E1000_ICS, E1000_ICR_RXQ0);
	CHECK(hal_rd32(t.hw, E1000_ICR) & E1000_ICR_RXQ0);
	CHECK_EQ(sim_peek_reg(t.hw, E1000_ICR), 0);

	CHECK_OK(hal_irq_set(t.hw, HAL_IRQ_MSIX, efd, 5));
	hal_wr32(t.hw, E1000_IVAR, (IVAR_ENTRY(0u) << E1000_IVAR_RXQ0_SHIFT) |
	                           (IVAR_ENTRY(2u) << E1000_IVAR_OTHER_SHIFT));
	/* IMS set: the read leaves the causes, and IMS. */
	hal_wr32(t.hw, E1000_ICS, E1000_ICR_RXQ0);
	CHECK_U64(st_efd_take(efd[0]), 1);
	CHECK(hal_rd32(t.hw, E1000_ICR) & E1000_ICR_RXQ0);
	CHECK(sim_peek_reg(t.hw, E1000_ICR) & E1000_ICR_RXQ0);
	CHECK(sim_peek_reg(t.hw, E1000_IMS) & E1000_ICR_RXQ0);
	/* Written back: gone, and no message for it when IMS is rewritten. */
	hal_wr32(t.hw, E1000_ICR, E1000_ICR_RXQ0);
	CHECK_EQ(sim_peek_reg(t.hw, E1000_ICR) & E1000_ICR_RXQ0, 0);
	hal_wr32(t.hw, E1000_IMC, 0xffffffffu);
	hal_wr32(t.hw, E1000_IMS, E1000_ICR_RXQ0 | E1000_ICR_OTHER | E1000_ICR_LSC);
	CHECK_U64(st_efd_take(efd[0]), 0);
	/* Left in ICR, the same cause fires again on that IMS rewrite. */
	hal_wr32(t.hw, E1000_ICS, E1000_ICR_RXQ0);
	CHECK_U64(st_efd_take(efd[0]), 1);
	(void)hal_rd32(t.hw, E1000_ICR);
	hal_wr32(t.hw, E1000_IMC, 0xffffffffu);
	hal_wr32(t.hw, E1000_IMS, E1000_ICR_RXQ0);
	CHECK_U64(st_efd_take(efd[0]), 1);
	/* IMS 0: the read clears. */
	hal_wr32(t.hw, E1000_IMC, 0xffffffffu);
	CHECK(hal_rd32(t.hw, E1000_ICR) & E1000_ICR_RXQ0);
	CHECK_EQ(sim_peek_reg(t.hw, E1000_ICR), 0);
	/* Writing OTHER clears the causes behind it. */
	hal_wr32(t.hw, E1000_IMS, E1000_ICR_OTHER | E1000_ICR_LSC);
	hal_wr32(t.hw, E1000_ICS, E1000_ICR_LSC);
	CHECK_U64(st_efd_take(efd[2]), 1);
	CHECK_EQ(sim_peek_reg(t.hw, E1000_ICR) & (E1000_ICR_LSC | E1000_ICR_OTHER),
	         E1000_ICR_LSC | E1000_ICR_OTHER);
	hal_wr32(t.hw, E1000_ICR, E1000_ICR_OTHER);
	CHECK_EQ(sim_peek_reg(t.hw, E1000_ICR) & (E1000_ICR_LSC | E1000_ICR_OTHER), 0);
	/* IAME: a read with an interrupt asserted clears ICR and masks IAM. */
	hal_wr32(t.hw, E1000_CTRL_EXT, hal_rd32(t.hw, E1000_CTRL_EXT) | E1000_CTRL_EXT_IAME);
	hal_wr32(t.hw, E1000_IAM, E1000_ICR_OTHER);
	hal_wr32(t.hw, E1000_ICS, E1000_ICR_LSC);
	CHECK_U64(st_efd_take(efd[2]), 1);
	CHECK(hal_rd32(t.hw, E1000_ICR) & E1000_ICR_INT_ASSERTED);
	CHECK_EQ(sim_peek_reg(t.hw, E1000_ICR), 0);
	CHECK_EQ(sim_peek_reg(t.hw, E1000_IMS), E1000_ICR_LSC);
	CHECK_OK(hal_irq_clear(t.hw, HAL_IRQ_MSIX));
	st_close(&t);

	/* The 82540EM: read-to-clear with IMS set. */
	REQUIRE(st_open(&t, SIM_82540EM, SIM_WIRE_NONE) == 0);
	hal_wr32(t.hw, E1000_IMS, E1000_ICR_RXT0);
	hal_wr32(t.hw, E1000_ICS, E1000_ICR_RXT0);
	CHECK(hal_rd32(t.hw, E1000_ICR) & E1000_ICR_RXT0);
	CHECK_EQ(sim_peek_reg(t.hw, E1000_ICR), 0);
	st_close(&t);
	for (int i = 0; i < 5; i++)
		close(efd[i]);
}

/* A cause on vector v right after a message: sent at once (0) or postponed (1)? */
static int postponed(struct st_dev *t, int efd, uint32_t cause)
{
	icr_clear(t->hw);
	hal_wr32(t->hw, E1000_ICS, cause);
	if (st_efd_wait(efd, 1000) != 1)
		return -1;   /* the first message never came */
	icr_clear(t->hw);
	hal_wr32(t->hw, E1000_ICS, cause);
	return st_efd_take(efd) ? 0 : 1;
}

static void test_eitr(void)
{
	const uint32_t ms10 = 10000000u / E1000_ITR_UNIT_NS;   /* 10 ms */
	struct st_dev t;
	int efd[5];
	uint64_t t0;

	for (int i = 0; i < 5; i++)
		efd[i] = st_efd();
	/* The 82540EM has no EITR: writes are dropped. */
	REQUIRE(st_open(&t, SIM_82540EM, SIM_WIRE_NONE) == 0);
	hal_wr32(t.hw, E1000_EITR(0), ms10);
	CHECK_EQ(hal_rd32(t.hw, E1000_EITR(0)), 0);
	st_close(&t);

	REQUIRE(st_open(&t, SIM_82574L, SIM_WIRE_NONE) == 0);
	for (unsigned v = 0; v < E1000_82574_MSIX_VECTORS; v++) {
		hal_wr32(t.hw, E1000_EITR(v), 0xffffffffu);
		CHECK_EQ(hal_rd32(t.hw, E1000_EITR(v)), E1000_ITR_INTERVAL_MASK);
		hal_wr32(t.hw, E1000_EITR(v), 0);
	}
	CHECK_OK(hal_irq_set(t.hw, HAL_IRQ_MSIX, efd, 5));
	hal_wr32(t.hw, E1000_IVAR, (IVAR_ENTRY(0u) << E1000_IVAR_RXQ0_SHIFT) |
	                           (IVAR_ENTRY(1u) << E1000_IVAR_TXQ0_SHIFT));
	hal_wr32(t.hw, E1000_IMS, E1000_ICR_RXQ0 | E1000_ICR_TXQ0);
	/* ITR alone throttles nothing in MSI-X mode. */
	hal_wr32(t.hw, E1000_ITR, ms10);
	CHECK_EQ(postponed(&t, efd[0], E1000_ICR_RXQ0), 0);
	(void)st_efd_take(efd[0]);
	/* EITR(0) throttles vector 0, and only it. */
	hal_wr32(t.hw, E1000_ITR, 0);
	hal_wr32(t.hw, E1000_EITR(0), ms10);
	t0 = tl_now_ns();
	CHECK_EQ(postponed(&t, efd[0], E1000_ICR_RXQ0), 1);
	/* The postponed message is sent when the interval ends. */
	CHECK_U64(st_efd_wait(efd[0], 5000), 1);
	CHECK(tl_now_ns() - t0 >= 7000000ull);
	/* Vector 1 (EITR(1) = 0) is not throttled meanwhile. */
	CHECK_EQ(postponed(&t, efd[1], E1000_ICR_TXQ0), 0);
	(void)st_efd_take(efd[1]);
	/* With EITR(1) set, it is. */
	hal_wr32(t.hw, E1000_EITR(1), ms10);
	CHECK_U64(st_efd_wait(efd[1], 1000), 0);
	CHECK_EQ(postponed(&t, efd[1], E1000_ICR_TXQ0), 1);

	CHECK_OK(hal_irq_clear(t.hw, HAL_IRQ_MSIX));
	st_close(&t);
	for (int i = 0; i < 5; i++)
		close(efd[i]);
}

int main(void)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_irq_count),
		TL_CASE(test_irq_set_rules),
		TL_CASE(test_routing),
		TL_CASE(test_eitr),
		TL_CASE(test_icr_clear_rules),
	};
	return tl_run(cases, TL_N(cases));
}
