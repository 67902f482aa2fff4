/* SPDX-License-Identifier: MIT */
/* MSI (82574L): edge semantics, bus-master gating, ITR throttling. */
#include "simtest.h"
#include "testlib.h"

#include <unistd.h>

static void test_msi_edges(void)
{
	struct st_dev t;
	int efd = st_efd();
	uint16_t ctrl;
	int msi;

	REQUIRE(st_open(&t, SIM_82574L, SIM_WIRE_NONE) == 0);
	CHECK_OK(hal_irq_set(t.hw, HAL_IRQ_MSI, &efd, 1));
	msi = hal_cfg_find_cap(t.hw, PCI_CAP_ID_MSI);
	REQUIRE(msi > 0);
	CHECK_OK(hal_cfg_read16(t.hw, (uint32_t)msi + PCI_MSI_CTRL, &ctrl));
	CHECK(ctrl & PCI_MSI_CTRL_ENABLE);   /* VFIO enabled MSI in config space */

	hal_wr32(t.hw, E1000_IMS, E1000_ICR_TXDW | E1000_ICR_RXT0);
	hal_wr32(t.hw, E1000_ICS, E1000_ICR_TXDW);
	CHECK_U64(st_efd_take(efd), 1);
	/* The same cause again while still pending: no new message. */
	hal_wr32(t.hw, E1000_ICS, E1000_ICR_TXDW);
	CHECK_U64(st_efd_take(efd), 0);
	/* A newly pending enabled cause: a new message (no unmask needed). */
	hal_wr32(t.hw, E1000_ICS, E1000_ICR_RXT0);
	CHECK_U64(st_efd_take(efd), 1);
	/* After the ISR read ICR, the cause signals again. */
	CHECK(hal_rd32(t.hw, E1000_ICR) & E1000_ICR_INT_ASSERTED);
	hal_wr32(t.hw, E1000_ICS, E1000_ICR_TXDW);
	CHECK_U64(st_efd_take(efd), 1);
	/* Masked cause pending, then enabled via IMS: a message. */
	hal_rd32(t.hw, E1000_ICR);
	hal_wr32(t.hw, E1000_ICS, E1000_ICR_LSC);
	CHECK_U64(st_efd_take(efd), 0);
	hal_wr32(t.hw, E1000_IMS, E1000_ICR_LSC);
	CHECK_U64(st_efd_take(efd), 1);
	/* MSI is a memory write: nothing while bus mastering is off. */
	hal_rd32(t.hw, E1000_ICR);
	CHECK_OK(hal_set_bus_master(t.hw, false));
	hal_wr32(t.hw, E1000_ICS, E1000_ICR_TXDW);
	CHECK_U64(st_efd_take(efd), 0);
	CHECK_OK(hal_set_bus_master(t.hw, true));
	CHECK_U64(st_efd_take(efd), 1);   /* still pending: sent once mastering is back */

	CHECK_OK(hal_irq_clear(t.hw, HAL_IRQ_MSI));
	CHECK_OK(hal_cfg_read16(t.hw, (uint32_t)msi + PCI_MSI_CTRL, &ctrl));
	CHECK(!(ctrl & PCI_MSI_CTRL_ENABLE));
	close(efd);
	st_close(&t);
}

/* Drive causes as fast as possible for a while; count messages. */
static unsigned long drive(struct st_dev *t, int efd, uint64_t ns, uint64_t *elapsed)
{
	uint64_t t0 = tl_now_ns(), now;
	unsigned long sig = 0;

	do {
		hal_wr32(t->hw, E1000_ICS, E1000_ICR_TXDW);
		sig += st_efd_take(efd);
		(void)hal_rd32(t->hw, E1000_ICR);
		now = tl_now_ns();
	} while (now - t0 < ns);
	*elapsed = now - t0;
	sim_sync(t->hw);
	return sig + st_efd_take(efd);
}

static void test_itr_throttles(void)
{
	struct st_dev t;
	int efd = st_efd();
	const uint32_t itr = 1000000u / E1000_ITR_UNIT_NS;   /* 1 ms */
	const uint64_t interval = (uint64_t)itr * E1000_ITR_UNIT_NS;
	uint64_t elapsed;
	unsigned long n, bound;

	REQUIRE(st_open(&t, SIM_82574L, SIM_WIRE_NONE) == 0);
	CHECK_OK(hal_irq_set(t.hw, HAL_IRQ_MSI, &efd, 1));
	hal_wr32(t.hw, E1000_IMS, E1000_ICR_TXDW);

	/* No throttling: every ICS after an ICR read is a message. */
	n = drive(&t, efd, 20000000ull, &elapsed);
	CHECK(n > 100);

	hal_wr32(t.hw, E1000_ITR, itr);
	(void)st_efd_take(efd);
	n = drive(&t, efd, 50000000ull, &elapsed);
	bound = (unsigned long)(elapsed / interval) + 2;
	if (n > bound)
		tl_fail(__FILE__, __LINE__, "ITR: %lu messages in %llu ns, at most %lu allowed",
		        n, (unsigned long long)elapsed, bound);
	CHECK(n >= 2);

	/* A cause raised inside the interval is delivered when it ends. */
	hal_rd32(t.hw, E1000_ICR);
	(void)st_efd_take(efd);
	hal_wr32(t.hw, E1000_ITR, itr * 10u);   /* 10 ms (the field is 16 bits: <= 16.7 ms) */
	hal_wr32(t.hw, E1000_ICS, E1000_ICR_TXDW);
	CHECK_U64(st_efd_wait(efd, 1000), 1);
	hal_rd32(t.hw, E1000_ICR);
	uint64_t t0 = tl_now_ns();

	hal_wr32(t.hw, E1000_ICS, E1000_ICR_TXDW);
	CHECK_U64(st_efd_take(efd), 0);             /* postponed */
	CHECK_U64(st_efd_wait(efd, 5000), 1);       /* ... then sent */
	CHECK(tl_now_ns() - t0 >= 7000000ull);      /* not much before the interval ends */
	/* A postponed cause that was cleared meanwhile is not sent. */
	hal_rd32(t.hw, E1000_ICR);
	hal_wr32(t.hw, E1000_ITR, itr * 5u);        /* 5 ms */
	hal_wr32(t.hw, E1000_ICS, E1000_ICR_TXDW);
	(void)st_efd_wait(efd, 1000);
	hal_rd32(t.hw, E1000_ICR);
	hal_wr32(t.hw, E1000_ICS, E1000_ICR_TXDW);  /* postponed ... */
	hal_rd32(t.hw, E1000_ICR);                  /* ... and cleared */
	CHECK_U64(st_efd_wait(efd, 30), 0);

	CHECK_OK(hal_irq_clear(t.hw, HAL_IRQ_MSI));
	close(efd);
	st_close(&t);
}

static void test_itr_intx(void)
{
	struct st_dev t;
	int efd = st_efd();
	uint64_t t0;

	/* INTx raising is throttled too; unmask re-signals a raised line at once. */
	REQUIRE(st_open(&t, SIM_82540EM, SIM_WIRE_NONE) == 0);
	CHECK_OK(hal_irq_set(t.hw, HAL_IRQ_INTX, &efd, 1));
	hal_wr32(t.hw, E1000_IMS, E1000_ICR_TXDW);
	hal_wr32(t.hw, E1000_ITR, 10000000u / E1000_ITR_UNIT_NS);   /* 10 ms */
	hal_wr32(t.hw, E1000_ICS, E1000_ICR_TXDW);
	CHECK_U64(st_efd_take(efd), 1);
	hal_rd32(t.hw, E1000_ICR);
	CHECK_OK(hal_irq_unmask(t.hw, HAL_IRQ_INTX, 0));
	t0 = tl_now_ns();
	hal_wr32(t.hw, E1000_ICS, E1000_ICR_TXDW);
	CHECK_U64(st_efd_take(efd), 0);
	CHECK_U64(st_efd_wait(efd, 5000), 1);
	CHECK(tl_now_ns() - t0 >= 7000000ull);
	CHECK_OK(hal_irq_clear(t.hw, HAL_IRQ_INTX));
	close(efd);
	st_close(&t);
}

int main(void)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_msi_edges),
		TL_CASE(test_itr_throttles),
		TL_CASE(test_itr_intx),
	};
	return tl_run(cases, TL_N(cases));
}
