/* SPDX-License-Identifier: MIT */
/* INTx through an eventfd with VFIO automask/unmask semantics, and the
 * guarantee that no signal arrives after irq_clear returns. */
#include "simtest.h"
#include "testlib.h"

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

static void test_automask_unmask(void)
{
	struct st_dev t;
	int efd = st_efd();

	REQUIRE(st_open(&t, SIM_82540EM, SIM_WIRE_NONE) == 0);
	REQUIRE(efd >= 0);
	CHECK_OK(hal_irq_set(t.hw, HAL_IRQ_INTX, &efd, 1));
	hal_wr32(t.hw, E1000_IMS, E1000_ICR_TXDW);

	hal_wr32(t.hw, E1000_ICS, E1000_ICR_TXDW);
	CHECK_U64(st_efd_take(efd), 1);
	/* Masked: more causes do not signal. */
	hal_wr32(t.hw, E1000_ICS, E1000_ICR_TXDW);
	CHECK_U64(st_efd_take(efd), 0);
	/* Unmask with the line still asserted: signals again at once. */
	CHECK_OK(hal_irq_unmask(t.hw, HAL_IRQ_INTX, 0));
	CHECK_U64(st_efd_take(efd), 1);
	/* ISR: read ICR (line drops), then unmask: nothing. */
	CHECK_U64(hal_rd32(t.hw, E1000_ICR), E1000_ICR_TXDW);
	CHECK_OK(hal_irq_unmask(t.hw, HAL_IRQ_INTX, 0));
	CHECK_U64(st_efd_take(efd), 0);
	/* A new cause after unmask: one signal. */
	hal_wr32(t.hw, E1000_ICS, E1000_ICR_TXDW);
	CHECK_U64(st_efd_take(efd), 1);
	/* Line drops and rises again while still masked: no signal until unmask. */
	CHECK_U64(hal_rd32(t.hw, E1000_ICR), E1000_ICR_TXDW);
	hal_wr32(t.hw, E1000_ICS, E1000_ICR_TXDW);
	CHECK_U64(st_efd_take(efd), 0);
	CHECK_OK(hal_irq_unmask(t.hw, HAL_IRQ_INTX, 0));
	CHECK_U64(st_efd_take(efd), 1);
	/* Cause not enabled: the line stays low. */
	hal_rd32(t.hw, E1000_ICR);
	CHECK_OK(hal_irq_unmask(t.hw, HAL_IRQ_INTX, 0));
	hal_wr32(t.hw, E1000_ICS, E1000_ICR_LSC);
	CHECK_U64(st_efd_take(efd), 0);
	/* Enabling a pending cause raises the line. */
	hal_wr32(t.hw, E1000_IMS, E1000_ICR_LSC);
	CHECK_U64(st_efd_take(efd), 1);
	/* IMC drops the line: unmask does not signal. */
	hal_wr32(t.hw, E1000_IMC, E1000_IMS_ALL);
	CHECK_OK(hal_irq_unmask(t.hw, HAL_IRQ_INTX, 0));
	CHECK_U64(st_efd_take(efd), 0);

	struct sim_stats st;

	sim_get_stats(t.hw, &st);
	CHECK_U64(st.irq_signals, 5);
	CHECK_OK(hal_irq_clear(t.hw, HAL_IRQ_INTX));
	close(efd);
	st_close(&t);
}

static void test_pending_at_set_and_errors(void)
{
	struct st_dev t;
	int efd = st_efd(), dupfd;

	REQUIRE(st_open(&t, SIM_82540EM, SIM_WIRE_NONE) == 0);
	/* Unmask before irq_set / on other indexes is refused. */
	CHECK_EQ(hal_irq_unmask(t.hw, HAL_IRQ_INTX, 0), -EINVAL);
	hal_wr32(t.hw, E1000_IMS, E1000_ICR_RXT0);
	hal_wr32(t.hw, E1000_ICS, E1000_ICR_RXT0);
	/* The model holds its own reference: the caller may close its fd. */
	dupfd = dup(efd);
	CHECK_OK(hal_irq_set(t.hw, HAL_IRQ_INTX, &dupfd, 1));
	close(dupfd);
	CHECK_U64(st_efd_take(efd), 1);   /* asserted when the trigger was set */
	CHECK_EQ(hal_irq_unmask(t.hw, HAL_IRQ_MSI, 0), -EINVAL);
	CHECK_EQ(hal_irq_unmask(t.hw, HAL_IRQ_INTX, 1), -EINVAL);
	CHECK_OK(hal_irq_clear(t.hw, HAL_IRQ_INTX));
	CHECK_OK(hal_irq_clear(t.hw, HAL_IRQ_INTX));   /* idempotent */
	CHECK_EQ(hal_irq_unmask(t.hw, HAL_IRQ_INTX, 0), -EINVAL);
	hal_rd32(t.hw, E1000_ICR);
	hal_wr32(t.hw, E1000_ICS, E1000_ICR_RXT0);
	CHECK_U64(st_efd_take(efd), 0);
	close(efd);
	st_close(&t);
}

/* A thread plays ISR (ICS, read ICR, unmask) as fast as it can; the main
 * thread clears the trigger.  After irq_clear returns, the eventfd must stay
 * silent however long the other thread keeps going. */
struct storm_ctx {
	struct hal_dev *hw;
	atomic_bool stop;
	atomic_ulong loops;
};

static void *isr_fn(void *arg)
{
	struct storm_ctx *c = arg;

	while (!atomic_load(&c->stop)) {
		hal_wr32(c->hw, E1000_ICS, E1000_ICR_TXDW);
		(void)hal_rd32(c->hw, E1000_ICR);
		(void)hal_irq_unmask(c->hw, HAL_IRQ_INTX, 0);
		hal_wr32(c->hw, E1000_ICS, E1000_ICR_TXDW);
		atomic_fetch_add(&c->loops, 1);
	}
	return NULL;
}

struct loops_target { atomic_ulong *loops; unsigned long target; };

static bool loops_beyond(void *arg)
{
	struct loops_target *w = arg;

	return atomic_load(w->loops) >= w->target;
}

static void test_no_signal_after_clear(void)
{
	struct st_dev t;
	struct storm_ctx c = { 0 };
	pthread_t th;
	int efd = st_efd();
	struct loops_target want;

	REQUIRE(st_open(&t, SIM_82540EM, SIM_WIRE_NONE) == 0);
	c.hw = t.hw;
	CHECK_OK(hal_irq_set(t.hw, HAL_IRQ_INTX, &efd, 1));
	hal_wr32(t.hw, E1000_IMS, E1000_ICR_TXDW);
	REQUIRE(pthread_create(&th, NULL, isr_fn, &c) == 0);
	CHECK(st_efd_wait(efd, 5000) > 0);
	CHECK_OK(hal_irq_clear(t.hw, HAL_IRQ_INTX));
	(void)st_efd_take(efd);   /* signals written before the clear */
	want.loops = &c.loops;
	want.target = atomic_load(&c.loops) + tl_scaled(2000, 200);
	CHECK(tl_wait_until(loops_beyond, &want, 20000));
	CHECK_U64(st_efd_take(efd), 0);
	atomic_store(&c.stop, true);
	pthread_join(th, NULL);
	close(efd);
	st_close(&t);
}

int main(void)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_automask_unmask),
		TL_CASE(test_pending_at_set_and_errors),
		TL_CASE(test_no_signal_after_clear),
	};
	return tl_run(cases, TL_N(cases));
}
