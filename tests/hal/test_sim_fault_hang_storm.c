/* SPDX-License-Identifier: MIT */
/* HANG stops processing and interrupts until turned off; STORM raises
 * interrupts continuously until turned off. */
#include "simtest.h"
#include "testlib.h"

#include <unistd.h>

static void test_hang_resume(void)
{
	struct st_dev t;
	int efd = st_efd();
	uint8_t f[100];
	uint16_t len;

	REQUIRE(st_open(&t, SIM_82540EM, SIM_WIRE_LOOPBACK) == 0);
	REQUIRE(st_setup_tx(&t, 16) == 0);
	REQUIRE(st_setup_rx(&t, 16, 2048, 0) == 0);
	CHECK_OK(hal_irq_set(t.hw, HAL_IRQ_INTX, &efd, 1));
	hal_wr32(t.hw, E1000_IMS, E1000_ICR_TXDW | E1000_ICR_RXT0 | E1000_ICR_LSC);

	CHECK_OK(sim_fault(t.hw, SIM_FAULT_HANG, true));
	st_frame(f, sizeof(f), t.mac, 1);
	CHECK_OK(st_tx(&t, f, sizeof(f)));
	hal_wr32(t.hw, E1000_ICS, E1000_ICR_LSC);
	sim_sync(t.hw);   /* returns although nothing can progress */
	CHECK_EQ(st_tx_status(&t, 0), 0);
	CHECK_EQ(hal_rd32(t.hw, E1000_TDH), 0);
	CHECK_U64(st_efd_take(efd), 0);
	/* Registers still answer; the cause is latched. */
	CHECK(hal_rd32(t.hw, E1000_STATUS) & E1000_STATUS_LU);

	CHECK_OK(sim_fault(t.hw, SIM_FAULT_HANG, false));
	sim_sync(t.hw);
	CHECK(st_tx_status(&t, 0) & E1000_TXD_STAT_DD);
	REQUIRE(st_rx_poll(&t, NULL, 0, &len, NULL, NULL));
	CHECK_EQ(len, sizeof(f));
	CHECK_U64(st_efd_take(efd), 1);
	CHECK(hal_rd32(t.hw, E1000_ICR) & E1000_ICR_LSC);
	CHECK_OK(hal_irq_clear(t.hw, HAL_IRQ_INTX));
	close(efd);
	st_close(&t);
}

/* Play a driver's ISR for `ms`: wait for a signal, read ICR, unmask. */
static unsigned long isr_loop(struct st_dev *t, int efd, bool intx, int ms)
{
	uint64_t end = tl_now_ns() + (uint64_t)ms * 1000000ull;
	unsigned long n = 0;

	while (tl_now_ns() < end) {
		uint64_t v = st_efd_wait(efd, 5);

		if (!v)
			continue;
		n += v;
		(void)hal_rd32(t->hw, E1000_ICR);
		if (intx)
			(void)hal_irq_unmask(t->hw, HAL_IRQ_INTX, 0);
	}
	return n;
}

static void storm(enum sim_model m, enum hal_irq_index idx)
{
	struct st_dev t;
	int efd = st_efd();
	unsigned long n;
	bool intx = idx == HAL_IRQ_INTX;

	REQUIRE(st_open(&t, m, SIM_WIRE_NONE) == 0);
	CHECK_OK(hal_irq_set(t.hw, idx, &efd, 1));
	hal_wr32(t.hw, E1000_IMS, E1000_ICR_TXDW | E1000_ICR_RXT0);
	CHECK_OK(sim_fault(t.hw, SIM_FAULT_STORM, true));
	n = isr_loop(&t, efd, intx, 200);
	/* Causes every 20 us: far more than a healthy device would raise. */
	if (n < 50)
		tl_fail(__FILE__, __LINE__, "storm raised only %lu interrupts in 200 ms", n);
	CHECK_OK(sim_fault(t.hw, SIM_FAULT_STORM, false));
	sim_sync(t.hw);
	(void)hal_rd32(t.hw, E1000_ICR);
	if (intx)
		(void)hal_irq_unmask(t.hw, HAL_IRQ_INTX, 0);
	(void)st_efd_take(efd);
	/* Stopped: nothing more arrives (bounded wait for a signal that must not come). */
	CHECK_U64(isr_loop(&t, efd, intx, 50), 0);
	/* Masked by the driver: a storm cannot interrupt. */
	hal_wr32(t.hw, E1000_IMC, E1000_IMS_ALL);
	CHECK_OK(sim_fault(t.hw, SIM_FAULT_STORM, true));
	CHECK_U64(isr_loop(&t, efd, intx, 30), 0);
	CHECK_OK(sim_fault(t.hw, SIM_FAULT_STORM, false));
	CHECK_OK(hal_irq_clear(t.hw, idx));
	close(efd);
	st_close(&t);
}

static void test_storm_intx(void) { storm(SIM_82540EM, HAL_IRQ_INTX); }
static void test_storm_msi(void) { storm(SIM_82574L, HAL_IRQ_MSI); }

static void test_storm_itr(void)
{
	struct st_dev t;
	int efd = st_efd();
	unsigned long n;

	/* ITR = 2 ms bounds even a storm: at most ~1 + 100/2 in 100 ms. */
	REQUIRE(st_open(&t, SIM_82574L, SIM_WIRE_NONE) == 0);
	CHECK_OK(hal_irq_set(t.hw, HAL_IRQ_MSI, &efd, 1));
	hal_wr32(t.hw, E1000_ITR, 2000000u / E1000_ITR_UNIT_NS);
	hal_wr32(t.hw, E1000_IMS, E1000_ICR_TXDW);
	uint64_t t0 = tl_now_ns();

	CHECK_OK(sim_fault(t.hw, SIM_FAULT_STORM, true));
	n = isr_loop(&t, efd, false, 100);
	CHECK(n <= (tl_now_ns() - t0) / 2000000ull + 2);
	CHECK(n >= 5);
	CHECK_OK(sim_fault(t.hw, SIM_FAULT_STORM, false));
	CHECK_OK(hal_irq_clear(t.hw, HAL_IRQ_MSI));
	close(efd);
	st_close(&t);
}

int main(void)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_hang_resume),
		TL_CASE(test_storm_intx),
		TL_CASE(test_storm_msi),
		TL_CASE(test_storm_itr),
	};
	return tl_run(cases, TL_N(cases));
}
