/* SPDX-License-Identifier: MIT */
/*
 * test_dpc_inline.c - DPCs run by the interrupt thread (dpc.h "Inline runs",
 * irq_thread.h "DPCs inline"):
 *   - the DPC a handler queued runs on the interrupt thread, after the
 *     handler returned; with inline runs off it runs on a worker;
 *   - a DPC run inline never overlaps a run of it on a worker, with the
 *     interrupt thread and other threads queueing it as fast as they can;
 *   - flush, stop and the halt's order (join the interrupt thread, then stop
 *     the pool) wait for an inline run, and for a claim whose run has not
 *     started yet;
 *   - an interrupt arriving while the DPC runs on the interrupt thread is not
 *     lost: the handler and the DPC run again afterwards;
 *   - a queue from another thread during the inline run, and a DPC queueing
 *     itself (out of budget), run again on a worker;
 *   - a handler cannot wait for the DPC it claimed (it would wait for itself);
 *   - a stop requested in the round that claimed a DPC still runs it.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "dpc.h"
#include "irq_thread.h"
#include "testlib.h"
#include "tutil.h"

#define MS (1000ull * 1000ull)

struct rig {
	struct irq_thread *it;
	struct dpc_pool *pool;
	struct dpc d;
	int efd;
	pthread_t irq_tid;             /* the interrupt thread, seen by the handler */
	atomic_bool irq_tid_set;
	atomic_bool in_handler;
	atomic_ulong handler_calls, runs, runs_on_irq, runs_on_worker;
	atomic_ulong runs_during_handler;   /* DPC started before the handler returned */
	atomic_uint inflight;
	atomic_ulong overlaps;         /* DPC entered while already inside: the bug */
	struct gate *dpc_gate;         /* blocks DPC runs while shut */
	atomic_ulong gate_runs;        /* only runs numbered below this wait on dpc_gate */
	struct gate *handler_gate;     /* blocks the handler after it queued */
	atomic_ulong self_requeues;    /* the DPC queues itself this many more times */
	atomic_int wait_idle_rc, flush_rc;   /* from the handler, when probe_waits */
	bool probe_waits;
	bool stop_from_handler;
	uint64_t spin_ns;
};

static void rig_dpc(struct dpc *d)
{
	struct rig *r = container_of(d, struct rig, d);
	unsigned long nr = atomic_load(&r->runs);

	if (atomic_fetch_add(&r->inflight, 1) != 0)
		atomic_fetch_add(&r->overlaps, 1);
	if (atomic_load(&r->in_handler))
		atomic_fetch_add(&r->runs_during_handler, 1);
	if (atomic_load(&r->irq_tid_set) && pthread_equal(pthread_self(), r->irq_tid))
		atomic_fetch_add(&r->runs_on_irq, 1);
	else
		atomic_fetch_add(&r->runs_on_worker, 1);
	if (r->dpc_gate && nr < atomic_load(&r->gate_runs))
		gate_wait(r->dpc_gate);
	if (r->spin_ns)
		t_spin_ns(r->spin_ns);
	if (atomic_load(&r->self_requeues) > 0) {
		atomic_fetch_sub(&r->self_requeues, 1);
		dpc_queue(r->pool, d);
	}
	atomic_fetch_sub(&r->inflight, 1);
	atomic_fetch_add_explicit(&r->runs, 1, memory_order_release);
}

static void rig_handler(void *ctx, uint32_t vector)
{
	struct rig *r = ctx;

	(void)vector;
	if (!atomic_load(&r->irq_tid_set)) {
		r->irq_tid = pthread_self();
		atomic_store(&r->irq_tid_set, true);
	}
	atomic_store(&r->in_handler, true);
	dpc_queue(r->pool, &r->d);
	if (r->probe_waits) {
		atomic_store(&r->wait_idle_rc, dpc_wait_idle_timeout(r->pool, &r->d, 10 * MS));
		atomic_store(&r->flush_rc, dpc_flush_timeout(r->pool, 10 * MS));
	}
	if (r->handler_gate)
		gate_wait(r->handler_gate);
	if (r->stop_from_handler)
		irq_thread_stop(r->it);
	atomic_store(&r->in_handler, false);
	atomic_fetch_add_explicit(&r->handler_calls, 1, memory_order_release);
}

static bool rig_up(struct rig *r, unsigned workers, bool inline_dpcs)
{
	memset(r, 0, sizeof(*r));
	dpc_init(&r->d, "inline", rig_dpc);
	r->efd = eventfd(0, EFD_CLOEXEC);
	if (r->efd < 0 || dpc_pool_create(workers, "inl", NULL, &r->pool) != 0 ||
	    irq_thread_create("inl", NULL, &r->it) != 0)
		return false;
	return irq_thread_set_dpc_inline(r->it, inline_dpcs) == 0 &&
	       irq_thread_add(r->it, r->efd, rig_handler, r, 0) == 0;
}

static bool rig_start(struct rig *r)
{
	return irq_thread_start(r->it) == 0;
}

static void rig_down(struct rig *r)
{
	irq_thread_destroy(r->it);
	dpc_pool_destroy(r->pool);
	if (r->efd >= 0)
		close(r->efd);
}

static void kick(struct rig *r)
{
	uint64_t one = 1;

	if (write(r->efd, &one, sizeof(one)) != sizeof(one))
		tl_fail(__FILE__, __LINE__, "eventfd write failed");
}

static void test_runs_on_irq_thread(void)
{
	struct rig r;
	struct dpc_pool_stats ps;
	struct irq_thread_stats is;

	REQUIRE(rig_up(&r, 2, true) && rig_start(&r));
	for (unsigned long i = 1; i <= 50; i++) {
		kick(&r);
		CHECK(wait_ge(&r.runs, i));
	}
	CHECK_EQ(atomic_load(&r.runs_on_irq), 50);
	CHECK_EQ(atomic_load(&r.runs_on_worker), 0);
	CHECK_EQ(atomic_load(&r.runs_during_handler), 0);   /* ISR first, DPC after */
	dpc_pool_get_stats(r.pool, &ps);
	CHECK_U64(ps.inline_runs, 50);
	CHECK_U64(ps.runs, 50);
	irq_thread_get_stats(r.it, &is);
	CHECK_U64(is.dpc_runs, 50);
	CHECK_EQ(irq_thread_set_dpc_inline(r.it, false), -EBUSY);
	rig_down(&r);

	/* Off: every run on a worker (the two-wake-up path). */
	REQUIRE(rig_up(&r, 2, false) && rig_start(&r));
	for (unsigned long i = 1; i <= 20; i++) {
		kick(&r);
		CHECK(wait_ge(&r.runs, i));
	}
	CHECK_EQ(atomic_load(&r.runs_on_irq), 0);
	CHECK_EQ(atomic_load(&r.runs_on_worker), 20);
	dpc_pool_get_stats(r.pool, &ps);
	CHECK_U64(ps.inline_runs, 0);
	rig_down(&r);
}

struct hammer {
	struct rig *r;
	atomic_bool *quit;
	bool irq;                      /* eventfd writes, else dpc_queue */
};

static void *hammer_main(void *arg)
{
	struct hammer *h = arg;
	uint32_t seed = h->irq ? 0x1234u : (uint32_t)(uintptr_t)h | 1u;

	while (!atomic_load_explicit(h->quit, memory_order_relaxed)) {
		if (h->irq)
			kick(h->r);
		else
			dpc_queue(h->r->pool, &h->r->d);
		t_spin_ns(t_rand(&seed) % 3000);
	}
	return NULL;
}

struct both_pred {
	struct rig *r;
	unsigned long n;
};

static bool both_ran(void *c)
{
	struct both_pred *b = c;

	return atomic_load(&b->r->runs_on_irq) >= b->n && atomic_load(&b->r->runs_on_worker) >= b->n;
}

static void test_never_overlaps_worker(void)
{
	struct rig r;
	struct hammer h[3];
	pthread_t t[3];
	atomic_bool quit = false;
	struct dpc_pool_stats ps;
	struct both_pred bp = { &r, tl_scaled(1000, 100) };

	REQUIRE(rig_up(&r, 3, true));
	r.spin_ns = 2000;      /* long enough that the paths meet inside fn */
	REQUIRE(rig_start(&r));
	for (unsigned i = 0; i < 3; i++) {
		h[i] = (struct hammer){ &r, &quit, i == 0 };
		REQUIRE(pthread_create(&t[i], NULL, hammer_main, &h[i]) == 0);
	}
	CHECK(tl_wait_until(both_ran, &bp, 4 * T_WAIT_MS));
	atomic_store(&quit, true);
	for (unsigned i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	dpc_flush(r.pool);
	CHECK_EQ(atomic_load(&r.overlaps), 0);
	dpc_pool_get_stats(r.pool, &ps);
	CHECK_U64(ps.max_concurrency_violations, 0);
	CHECK(ps.inline_runs > 0 && ps.inline_runs < ps.runs);
	rig_down(&r);
}

static void test_flush_and_halt_wait_inline_run(void)
{
	struct rig r;
	struct gate g;
	unsigned long runs;

	gate_init(&g);
	REQUIRE(rig_up(&r, 2, true));
	r.dpc_gate = &g;
	atomic_store(&r.gate_runs, 1);
	REQUIRE(rig_start(&r));
	kick(&r);
	REQUIRE(wait_gate_waiters(&g, 1));
	CHECK_EQ(atomic_load(&r.runs_on_irq), 1);            /* blocked inline */
	CHECK_EQ(dpc_flush_timeout(r.pool, 50 * MS), -ETIMEDOUT);
	CHECK_EQ(dpc_wait_idle_timeout(r.pool, &r.d, 10 * MS), -ETIMEDOUT);
	CHECK(dpc_state(&r.d) & DPC_STATE_RUNNING);
	gate_open(&g);
	CHECK_EQ(dpc_flush_timeout(r.pool, T_WAIT_MS * MS), 0);
	CHECK_EQ(atomic_load(&r.runs), 1);

	/* The halt's order with the run blocked inline: the join of the
	 * interrupt thread, then the pool's stop, and after both nothing runs
	 * though the vector keeps signalling. */
	gate_close(&g);
	atomic_store(&r.gate_runs, 2);
	kick(&r);
	REQUIRE(wait_gate_waiters(&g, 1));
	CHECK_EQ(dpc_flush_timeout(r.pool, 50 * MS), -ETIMEDOUT);
	gate_open(&g);
	irq_thread_stop(r.it);
	dpc_pool_stop(r.pool);
	runs = atomic_load(&r.runs);
	CHECK_EQ(runs, 2);
	CHECK_EQ(atomic_load(&r.inflight), 0);
	kick(&r);
	CHECK(!dpc_queue(r.pool, &r.d));                     /* refused */
	CHECK_EQ(atomic_load(&r.runs), runs);
	rig_down(&r);
	gate_fini(&g);
}

static void test_flush_waits_claim_not_started(void)
{
	struct rig r;
	struct gate g;

	gate_init(&g);
	REQUIRE(rig_up(&r, 2, true));
	r.handler_gate = &g;
	REQUIRE(rig_start(&r));
	kick(&r);
	/* Claimed in the handler, run still ahead: not idle. */
	REQUIRE(wait_gate_waiters(&g, 1));
	CHECK_EQ(atomic_load(&r.runs), 0);
	CHECK_EQ(dpc_flush_timeout(r.pool, 50 * MS), -ETIMEDOUT);
	CHECK_EQ(dpc_wait_idle_timeout(r.pool, &r.d, 10 * MS), -ETIMEDOUT);
	gate_open(&g);
	CHECK_EQ(dpc_flush_timeout(r.pool, T_WAIT_MS * MS), 0);
	CHECK_EQ(atomic_load(&r.runs), 1);
	CHECK_EQ(atomic_load(&r.runs_on_irq), 1);
	rig_down(&r);
	gate_fini(&g);
}

static void test_interrupt_during_inline_run(void)
{
	struct rig r;
	struct gate g;

	gate_init(&g);
	REQUIRE(rig_up(&r, 2, true));
	r.dpc_gate = &g;
	atomic_store(&r.gate_runs, 1);
	REQUIRE(rig_start(&r));
	kick(&r);
	REQUIRE(wait_gate_waiters(&g, 1));
	kick(&r);                          /* arrives while the DPC runs inline */
	gate_open(&g);
	CHECK(wait_ge(&r.handler_calls, 2));
	CHECK(wait_ge(&r.runs, 2));
	CHECK_EQ(dpc_flush_timeout(r.pool, T_WAIT_MS * MS), 0);
	CHECK_EQ(atomic_load(&r.runs), 2);
	CHECK_EQ(atomic_load(&r.runs_on_irq), 2);
	CHECK_EQ(atomic_load(&r.runs_during_handler), 0);
	CHECK_EQ(atomic_load(&r.overlaps), 0);
	rig_down(&r);
	gate_fini(&g);
}

static void test_other_queues_during_inline_run(void)
{
	struct rig r;
	struct gate g;

	gate_init(&g);
	REQUIRE(rig_up(&r, 2, true));
	r.dpc_gate = &g;
	atomic_store(&r.gate_runs, 1);
	REQUIRE(rig_start(&r));
	kick(&r);
	REQUIRE(wait_gate_waiters(&g, 1));
	/* return_rx's refill from a binding's thread, while the DPC runs on
	 * the interrupt thread: true (queued again), run once more, on a
	 * worker, never at the same time. */
	CHECK(dpc_queue(r.pool, &r.d));
	CHECK(!dpc_queue(r.pool, &r.d));
	CHECK_EQ(dpc_state(&r.d), DPC_STATE_RUNNING | DPC_STATE_REQUEUED);
	gate_open(&g);
	CHECK(wait_ge(&r.runs, 2));
	CHECK_EQ(dpc_flush_timeout(r.pool, T_WAIT_MS * MS), 0);
	CHECK_EQ(atomic_load(&r.runs), 2);
	CHECK_EQ(atomic_load(&r.runs_on_irq), 1);
	CHECK_EQ(atomic_load(&r.runs_on_worker), 1);

	/* Out of budget: the DPC queues itself from its inline run; the
	 * further runs are the workers', the interrupt thread is free. */
	atomic_store(&r.self_requeues, 3);
	kick(&r);
	CHECK(wait_ge(&r.runs, 6));
	CHECK_EQ(dpc_flush_timeout(r.pool, T_WAIT_MS * MS), 0);
	CHECK_EQ(atomic_load(&r.runs), 6);
	CHECK_EQ(atomic_load(&r.runs_on_irq), 2);
	CHECK_EQ(atomic_load(&r.runs_on_worker), 4);
	CHECK_EQ(atomic_load(&r.overlaps), 0);
	rig_down(&r);
	gate_fini(&g);
}

static void test_handler_cannot_wait_for_claim(void)
{
	struct rig r;

	REQUIRE(rig_up(&r, 1, true));
	r.probe_waits = true;
	REQUIRE(rig_start(&r));
	kick(&r);
	CHECK(wait_ge(&r.runs, 1));
	CHECK_EQ(atomic_load(&r.wait_idle_rc), -EDEADLK);
	CHECK_EQ(atomic_load(&r.flush_rc), -EDEADLK);
	rig_down(&r);
}

static void test_stop_in_claiming_round_runs_claim(void)
{
	struct rig r;

	REQUIRE(rig_up(&r, 1, true));
	r.stop_from_handler = true;
	REQUIRE(rig_start(&r));
	kick(&r);
	CHECK(wait_ge(&r.handler_calls, 1));
	irq_thread_stop(r.it);             /* joins: the claimed run came first */
	CHECK_EQ(atomic_load(&r.runs), 1);
	CHECK_EQ(atomic_load(&r.runs_on_irq), 1);
	CHECK_EQ(dpc_state(&r.d), DPC_STATE_IDLE);
	rig_down(&r);
}

int main(void)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_runs_on_irq_thread),
		TL_CASE(test_never_overlaps_worker),
		TL_CASE(test_flush_and_halt_wait_inline_run),
		TL_CASE(test_flush_waits_claim_not_started),
		TL_CASE(test_interrupt_during_inline_run),
		TL_CASE(test_other_queues_during_inline_run),
		TL_CASE(test_handler_cannot_wait_for_claim),
		TL_CASE(test_stop_in_claiming_round_runs_claim),
	};

	return tl_run(cases, TL_N(cases));
}
