/* SPDX-License-Identifier: MIT */
/*
 * test_halt_order.c - the irq module assembled the way the driver uses it,
 * then torn down in the halt's stage order under traffic:
 *   mask-interrupts (IMC) -> deregister-interrupts (irq_thread_stop, then
 *   isr_ctx.deregistered) -> drain-dpcs (dpc_pool_stop) -> cancel-timers
 *   (ktimer_cancel_sync, timer_svc_stop)
 * A periodic watchdog timer queues a DPC (the e1000 watchdog pattern); once
 * the pool drained, its queues are refused and counted.  After the last stage
 * no callback of any kind runs although interrupts keep arriving.  Every
 * thread ran on_start before its first callback and on_stop at its end.
 * Also: destroy without an explicit stop tears everything down (timer
 * service before the pool it queues on).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "dpc.h"
#include "fake_hal.h"
#include "irq_thread.h"
#include "isr.h"
#include "testlib.h"
#include "timer.h"
#include "tutil.h"

#define MS (1000ull * 1000ull)
#define ENABLED (E1000_ICR_RXT0 | E1000_ICR_TXDW | E1000_ICR_LSC)

struct adapter {
	struct fake_hal *f;
	struct dpc_pool *pool;
	struct timer_svc *tsvc;
	struct irq_thread *it;
	struct isr_ctx c;
	struct dpc isr_dpc, wd_dpc;
	struct ktimer wd;
	int efd_irq, efd_req;
	atomic_bool halted;            /* set after the last stage */
	atomic_ulong callbacks_after_halted;
	atomic_ulong no_hook;          /* a callback on a thread whose on_start did not run */
	atomic_ulong isr_dpc_runs, wd_runs, wd_dpc_runs, req_calls, wd_rejected;
	atomic_uint starts, stops;
	atomic_bool quit;
	atomic_ulong writes;
};

static _Thread_local bool tl_hooked;

static void on_start(void *ctx)
{
	struct adapter *a = ctx;

	tl_hooked = true;
	atomic_fetch_add(&a->starts, 1);
}

static void on_stop(void *ctx)
{
	struct adapter *a = ctx;

	tl_hooked = false;
	atomic_fetch_add(&a->stops, 1);
}

static void callback_entry(struct adapter *a)
{
	if (!tl_hooked)
		atomic_fetch_add(&a->no_hook, 1);
	if (atomic_load_explicit(&a->halted, memory_order_acquire))
		atomic_fetch_add(&a->callbacks_after_halted, 1);
}

static void isr_dpc_fn(struct dpc *d)
{
	struct adapter *a = container_of(d, struct adapter, isr_dpc);

	callback_entry(a);
	(void)isr_take_causes(&a->c);
	isr_reenable(&a->c);
	atomic_fetch_add(&a->isr_dpc_runs, 1);
}

static void wd_dpc_fn(struct dpc *d)
{
	struct adapter *a = container_of(d, struct adapter, wd_dpc);

	callback_entry(a);
	atomic_fetch_add(&a->wd_dpc_runs, 1);
}

static void wd_fn(struct ktimer *t)
{
	struct adapter *a = container_of(t, struct adapter, wd);

	callback_entry(a);
	atomic_fetch_add(&a->wd_runs, 1);
	if (!dpc_queue(a->pool, &a->wd_dpc) && dpc_pool_is_stopping(a->pool))
		atomic_fetch_add(&a->wd_rejected, 1);
}

static void isr_wrapper(void *ctx, uint32_t vector)
{
	struct adapter *a = ctx;

	callback_entry(a);
	isr_handle(&a->c, vector);
}

static void req_handler(void *ctx, uint32_t vector)
{
	struct adapter *a = ctx;

	callback_entry(a);
	atomic_fetch_add(&a->req_calls, 1);
}

static void *traffic_main(void *arg)
{
	struct adapter *a = arg;
	uint64_t one = 1;

	while (!atomic_load_explicit(&a->quit, memory_order_relaxed)) {
		fake_hal_raise(a->f, E1000_ICR_RXT0);
		if (write(a->efd_irq, &one, sizeof(one)) == sizeof(one))
			atomic_fetch_add_explicit(&a->writes, 1, memory_order_relaxed);
		if ((atomic_load_explicit(&a->writes, memory_order_relaxed) & 255) == 0)
			(void)!write(a->efd_req, &one, sizeof(one));
	}
	return NULL;
}

static bool adapter_up(struct adapter *a)
{
	struct e1k_thread_hooks h = { on_start, on_stop, a };

	memset(a, 0, sizeof(*a));
	a->f = fake_hal_open(&(struct fake_hal_opts){ .mac = E1K_MAC_82574L, .irq_regs = true });
	a->efd_irq = eventfd(0, EFD_CLOEXEC);
	a->efd_req = eventfd(0, EFD_CLOEXEC);
	if (!a->f || a->efd_irq < 0 || a->efd_req < 0)
		return false;
	/* The driver's initialize order: timers, DPC pool, irq thread. */
	if (timer_svc_create("e1k", &h, &a->tsvc) != 0)
		return false;
	if (dpc_pool_create(2, "e1k", &h, &a->pool) != 0)
		return false;
	dpc_init(&a->isr_dpc, "isr", isr_dpc_fn);
	dpc_init(&a->wd_dpc, "watchdog", wd_dpc_fn);
	ktimer_init(&a->wd, "watchdog", wd_fn);
	isr_init(&a->c, fake_hal_dev(a->f), HAL_IRQ_MSI, a->pool, &a->isr_dpc, ENABLED);
	if (irq_thread_create("e1k", &h, &a->it) != 0)
		return false;
	if (irq_thread_add(a->it, a->efd_irq, isr_wrapper, a, 0) != 0 ||
	    irq_thread_add(a->it, a->efd_req, req_handler, a, 0) != 0)
		return false;
	if (ktimer_arm(a->tsvc, &a->wd, 1 * MS, 1 * MS) != 0)
		return false;
	if (irq_thread_start(a->it) != 0)
		return false;
	hal_wr32(fake_hal_dev(a->f), E1000_IMS, ENABLED);
	return true;
}

static void adapter_free(struct adapter *a)
{
	irq_thread_destroy(a->it);
	timer_svc_destroy(a->tsvc);
	dpc_pool_destroy(a->pool);
	if (a->efd_irq >= 0)
		close(a->efd_irq);
	if (a->efd_req >= 0)
		close(a->efd_req);
	fake_hal_close(a->f);
}

static void test_halt_stage_order(void)
{
	static struct adapter a;
	struct irq_thread_stats ist;
	struct dpc_pool_stats pst;
	struct timer_svc_stats tst;
	pthread_t tr;
	unsigned long w, wd_runs;

	REQUIRE(adapter_up(&a));
	REQUIRE(pthread_create(&tr, NULL, traffic_main, &a) == 0);
	CHECK(wait_ge(&a.isr_dpc_runs, tl_scaled(500, 50)));
	CHECK(wait_ge(&a.wd_dpc_runs, 3));
	CHECK(wait_ge(&a.req_calls, 1));

	/* 5. mask-interrupts */
	hal_wr32(fake_hal_dev(a.f), E1000_IMC, E1000_IMS_ALL);
	/* 6. deregister-interrupts: after this no ISR runs. */
	irq_thread_stop(a.it);
	atomic_store_explicit(&a.c.deregistered, true, memory_order_release);
	/* 7. drain-dpcs: the watchdog still fires and queues; refused now. */
	dpc_pool_stop(a.pool);
	wd_runs = atomic_load(&a.wd_runs);
	CHECK(wait_ge(&a.wd_runs, wd_runs + 2));
	CHECK(atomic_load(&a.wd_rejected) >= 1);
	/* 8. cancel-timers */
	ktimer_cancel_sync(a.tsvc, &a.wd);
	timer_svc_stop(a.tsvc);
	atomic_store_explicit(&a.halted, true, memory_order_release);

	/* Interrupts keep arriving after the halt: nothing may run. */
	w = atomic_load(&a.writes);
	CHECK(wait_ge(&a.writes, w + tl_scaled(50000, 5000)));
	atomic_store(&a.quit, true);
	pthread_join(tr, NULL);
	/* Calling the ISR by hand now (a late one) is counted and harmless. */
	isr_handle(&a.c, 0);

	CHECK_EQ(atomic_load(&a.callbacks_after_halted), 0);
	CHECK_EQ(atomic_load(&a.no_hook), 0);
	CHECK_EQ(atomic_load(&a.c.isr_after_deregister), 1);
	CHECK_EQ(atomic_load(&a.starts), 4);      /* timer + 2 workers + irq */
	CHECK_EQ(atomic_load(&a.stops), 4);
	irq_thread_get_stats(a.it, &ist);
	dpc_pool_get_stats(a.pool, &pst);
	timer_svc_get_stats(a.tsvc, &tst);
	CHECK_EQ(ist.after_stop, 0);
	CHECK_EQ(pst.runs_after_stop, 0);
	CHECK_EQ(pst.max_concurrency_violations, 0);
	CHECK(pst.rejected >= atomic_load(&a.wd_rejected));
	CHECK_EQ(tst.callbacks_after_stop, 0);
	printf("  %lu ISRs, %lu ISR DPCs, %lu watchdog runs, %lu watchdog queues refused "
	       "after the drain\n", (unsigned long)atomic_load(&a.c.runs),
	       (unsigned long)atomic_load(&a.isr_dpc_runs), (unsigned long)atomic_load(&a.wd_runs),
	       (unsigned long)atomic_load(&a.wd_rejected));
	adapter_free(&a);
}

/* Destroy with everything still running: each destroy stops first. */
static void test_destroy_running(void)
{
	static struct adapter a;
	pthread_t tr;

	REQUIRE(adapter_up(&a));
	REQUIRE(pthread_create(&tr, NULL, traffic_main, &a) == 0);
	CHECK(wait_ge(&a.isr_dpc_runs, tl_scaled(200, 20)));
	irq_thread_destroy(a.it);
	a.it = NULL;
	atomic_store_explicit(&a.c.deregistered, true, memory_order_release);
	/* The watchdog queues on the pool: the timer service goes before the
	 * pool is freed (stopping the pool first is fine, freeing it is not). */
	timer_svc_destroy(a.tsvc);
	a.tsvc = NULL;
	dpc_pool_destroy(a.pool);
	a.pool = NULL;
	atomic_store(&a.quit, true);
	pthread_join(tr, NULL);
	CHECK_EQ(atomic_load(&a.starts), 4);
	CHECK_EQ(atomic_load(&a.stops), 4);
	adapter_free(&a);            /* NULLs accepted */
}

int main(void)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_halt_stage_order),
		TL_CASE(test_destroy_running),
	};

	return tl_run(cases, TL_N(cases));
}
