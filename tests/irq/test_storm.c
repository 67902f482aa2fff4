/* SPDX-License-Identifier: MIT */
/*
 * test_storm.c - an interrupt storm: a thread writes the interrupt eventfd as
 * fast as it can while the device (fake_hal) reports a cause on every ICR
 * read.  The control path must still complete within a bound:
 *   - a control DPC queued from another thread runs (every time);
 *   - irq_thread_stop returns, and no ISR runs after it;
 *   - dpc_pool_stop returns.
 * A control operation that does not finish within T_WAIT_MS fails the test
 * and exits it at once (it cannot be cleaned up): the test fails rather than
 * hangs.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "dpc.h"
#include "fake_hal.h"
#include "irq_thread.h"
#include "isr.h"
#include "testlib.h"
#include "tutil.h"

struct storm {
	struct fake_hal *f;
	struct dpc_pool *pool;
	struct irq_thread *it;
	struct isr_ctx c;
	struct dpc isr_dpc;
	struct dpc ctl_dpc;
	atomic_ulong isr_dpc_runs, ctl_runs;
	int efd;
	atomic_bool quit;
	atomic_ulong writes;
};

static void isr_dpc_fn(struct dpc *d)
{
	struct storm *s = container_of(d, struct storm, isr_dpc);

	(void)isr_take_causes(&s->c);
	isr_reenable(&s->c);
	atomic_fetch_add(&s->isr_dpc_runs, 1);
}

static void ctl_dpc_fn(struct dpc *d)
{
	struct storm *s = container_of(d, struct storm, ctl_dpc);

	atomic_fetch_add_explicit(&s->ctl_runs, 1, memory_order_release);
}

static void *writer_main(void *arg)
{
	struct storm *s = arg;
	uint64_t one = 1;

	while (!atomic_load_explicit(&s->quit, memory_order_relaxed)) {
		if (write(s->efd, &one, sizeof(one)) == sizeof(one))
			atomic_fetch_add_explicit(&s->writes, 1, memory_order_relaxed);
	}
	return NULL;
}

/* Run fn(arg) on a helper thread and wait for it with a bound. */
struct bounded {
	void (*fn)(void *);
	void *arg;
	atomic_bool done;
};

static void *bounded_main(void *p)
{
	struct bounded *b = p;

	b->fn(b->arg);
	atomic_store_explicit(&b->done, true, memory_order_release);
	return NULL;
}

static uint64_t run_bounded(const char *what, void (*fn)(void *), void *arg)
{
	struct bounded b = { fn, arg, false };
	pthread_t th;
	uint64_t t0 = tl_now_ns();

	if (pthread_create(&th, NULL, bounded_main, &b) != 0) {
		tl_fail(__FILE__, __LINE__, "pthread_create");
		return 0;
	}
	if (!wait_true(&b.done)) {
		printf("FAIL %s did not return within %u ms under an interrupt storm\n",
		       what, T_WAIT_MS);
		fflush(stdout);
		_exit(1);
	}
	pthread_join(th, NULL);
	return tl_now_ns() - t0;
}

static void do_irq_stop(void *it)
{
	irq_thread_stop(it);
}

static void do_pool_stop(void *p)
{
	dpc_pool_stop(p);
}

static void test_storm(void)
{
	static struct storm s;
	pthread_t wr;
	struct irq_thread_stats ist;
	struct dpc_pool_stats pst;
	unsigned long isr_runs, queues = tl_scaled(200, 20);
	uint64_t worst = 0, stop_ns, pool_ns;

	memset(&s, 0, sizeof(s));
	s.f = fake_hal_open(&(struct fake_hal_opts){ .mac = E1K_MAC_82540EM, .irq_regs = true });
	REQUIRE(s.f);
	fake_hal_set_storm(s.f, E1000_ICR_RXT0);
	s.efd = eventfd(0, EFD_CLOEXEC);
	REQUIRE(s.efd >= 0);
	REQUIRE(dpc_pool_create(2, "storm", NULL, &s.pool) == 0);
	dpc_init(&s.isr_dpc, "isr", isr_dpc_fn);
	dpc_init(&s.ctl_dpc, "ctl", ctl_dpc_fn);
	isr_init(&s.c, fake_hal_dev(s.f), HAL_IRQ_INTX, s.pool, &s.isr_dpc, E1000_ICR_RXT0);
	REQUIRE(irq_thread_create("storm", NULL, &s.it) == 0);
	REQUIRE(irq_thread_add(s.it, s.efd, isr_handle, &s.c, 0) == 0);
	REQUIRE(irq_thread_start(s.it) == 0);
	REQUIRE(pthread_create(&wr, NULL, writer_main, &s) == 0);

	/* The storm is on: the ISR is running flat out. */
	CHECK(wait_ge(&s.c.runs, tl_scaled(20000, 2000)));

	/* Control DPCs queued from this thread run, each within the bound. */
	for (unsigned long i = 0; i < queues; i++) {
		uint64_t t0 = tl_now_ns(), dt;

		CHECK(dpc_queue(s.pool, &s.ctl_dpc));
		if (!wait_ge(&s.ctl_runs, i + 1)) {
			printf("FAIL control DPC %lu did not run within %u ms\n", i, T_WAIT_MS);
			fflush(stdout);
			_exit(1);
		}
		dt = tl_now_ns() - t0;
		if (dt > worst)
			worst = dt;
	}

	/* Stop the interrupt thread while the writer keeps storming. */
	stop_ns = run_bounded("irq_thread_stop", do_irq_stop, s.it);
	isr_runs = atomic_load(&s.c.runs);
	{
		unsigned long w = atomic_load(&s.writes);

		/* Let the storm go on after the stop: no ISR may run. */
		CHECK(wait_ge(&s.writes, w + tl_scaled(100000, 10000)));
	}
	CHECK_EQ(atomic_load(&s.c.runs), isr_runs);
	atomic_store(&s.quit, true);
	pthread_join(wr, NULL);

	atomic_store_explicit(&s.c.deregistered, true, memory_order_release);
	pool_ns = run_bounded("dpc_pool_stop", do_pool_stop, s.pool);

	irq_thread_get_stats(s.it, &ist);
	dpc_pool_get_stats(s.pool, &pst);
	CHECK_EQ(ist.after_stop, 0);
	CHECK_EQ(ist.dispatched, isr_runs);
	CHECK_EQ(atomic_load(&s.c.isr_after_deregister), 0);
	CHECK_EQ(pst.max_concurrency_violations, 0);
	CHECK_EQ(pst.runs_after_stop, 0);
	CHECK_EQ(atomic_load(&s.ctl_runs), queues);
	printf("  %lu writes, %lu ISRs (%llu signals coalesced), %lu ISR DPC runs;\n"
	       "  control DPC worst latency %.3f ms, irq stop %.3f ms, pool stop %.3f ms\n",
	       (unsigned long)atomic_load(&s.writes), isr_runs,
	       (unsigned long long)(ist.signals - ist.dispatched),
	       (unsigned long)atomic_load(&s.isr_dpc_runs), (double)worst / 1e6,
	       (double)stop_ns / 1e6, (double)pool_ns / 1e6);

	irq_thread_destroy(s.it);
	dpc_pool_destroy(s.pool);
	close(s.efd);
	fake_hal_close(s.f);
}

int main(void)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_storm),
	};

	return tl_run(cases, TL_N(cases));
}
