/* SPDX-License-Identifier: MIT */
/*
 * test_dpc.c - DPC pool semantics: queue at most once, requeue during a run,
 * self-requeue, flush / wait_idle (and their bounded variants), stop drains
 * and then rejects, create arguments, hooks and thread names.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "dpc.h"
#include "testlib.h"
#include "tutil.h"

/* A DPC that can be held inside its run by a gate. */
struct tdpc {
	struct dpc d;
	struct gate *gate;          /* NULL: run straight through */
	atomic_ulong runs;
	atomic_ulong inflight_max;
	atomic_uint inflight;
	unsigned self_requeue;      /* requeue itself this many times */
	struct dpc_pool *pool;
	atomic_bool hook_seen;      /* the worker's on_start ran before this run */
	char thread_name[16];
};

static _Thread_local bool tl_started;

static void tdpc_fn(struct dpc *d)
{
	struct tdpc *t = container_of(d, struct tdpc, d);
	unsigned in = atomic_fetch_add(&t->inflight, 1) + 1;

	if (in > atomic_load(&t->inflight_max))
		atomic_store(&t->inflight_max, in);
	if (tl_started)
		atomic_store(&t->hook_seen, true);
	pthread_getname_np(pthread_self(), t->thread_name, sizeof(t->thread_name));
	if (t->gate)
		gate_wait(t->gate);
	atomic_fetch_sub(&t->inflight, 1);
	atomic_fetch_add_explicit(&t->runs, 1, memory_order_release);
	if (t->self_requeue) {
		t->self_requeue--;
		dpc_queue(t->pool, d);
	}
}

static void tdpc_init(struct tdpc *t, const char *name, struct gate *g, struct dpc_pool *p)
{
	memset(t, 0, sizeof(*t));
	dpc_init(&t->d, name, tdpc_fn);
	t->gate = g;
	t->pool = p;
}

static void test_create_args(void)
{
	struct dpc_pool *p = (struct dpc_pool *)&p;

	CHECK_EQ(dpc_pool_create(0, "x", NULL, &p), -EINVAL);
	CHECK(p == NULL);
	CHECK_EQ(dpc_pool_create(DPC_POOL_MAX_WORKERS + 1, "x", NULL, &p), -EINVAL);
	CHECK_EQ(dpc_pool_create(1, "x", NULL, NULL), -EINVAL);
	CHECK_EQ(dpc_pool_create(DPC_POOL_MAX_WORKERS, "x", NULL, &p), 0);
	REQUIRE(p != NULL);
	dpc_pool_destroy(p);
	dpc_pool_destroy(NULL);
	dpc_pool_stop(NULL);
	CHECK(!dpc_queue(NULL, NULL));
}

static void test_queue_at_most_once(void)
{
	struct dpc_pool *p;
	struct gate g;
	struct tdpc a, b;
	struct dpc_pool_stats st;

	gate_init(&g);
	REQUIRE(dpc_pool_create(1, "once", NULL, &p) == 0);
	tdpc_init(&a, "a", &g, p);
	tdpc_init(&b, "b", NULL, p);

	/* Hold the only worker in a's run, so b stays on the queue. */
	CHECK(dpc_queue(p, &a.d));
	REQUIRE(wait_gate_waiters(&g, 1));
	CHECK(dpc_queue(p, &b.d));
	CHECK_EQ(dpc_state(&b.d), DPC_STATE_QUEUED);
	for (int i = 0; i < 100; i++)
		CHECK(!dpc_queue(p, &b.d));
	CHECK_EQ(dpc_state(&b.d), DPC_STATE_QUEUED);
	CHECK_EQ(atomic_load(&b.runs), 0);
	gate_open(&g);
	dpc_flush(p);
	CHECK_EQ(atomic_load(&a.runs), 1);
	CHECK_EQ(atomic_load(&b.runs), 1);
	CHECK_EQ(atomic_load(&b.d.runs), 1);
	CHECK_EQ(dpc_state(&b.d), DPC_STATE_IDLE);
	dpc_pool_get_stats(p, &st);
	CHECK_EQ(st.queued, 2);
	CHECK_EQ(st.runs, 2);
	CHECK_EQ(st.rejected, 0);
	dpc_pool_destroy(p);
	gate_fini(&g);
}

static void test_requeue_during_run(void)
{
	struct dpc_pool *p;
	struct gate g;
	struct tdpc a;

	gate_init(&g);
	/* Two workers: the second could pick the requeued DPC up at once if the
	 * pool let it, and run it concurrently with the first. */
	REQUIRE(dpc_pool_create(2, "requeue", NULL, &p) == 0);
	tdpc_init(&a, "a", &g, p);
	CHECK(dpc_queue(p, &a.d));
	REQUIRE(wait_gate_waiters(&g, 1));
	CHECK_EQ(dpc_state(&a.d), DPC_STATE_RUNNING);
	CHECK(dpc_queue(p, &a.d));          /* RUNNING -> RUNNING|REQUEUED */
	CHECK_EQ(dpc_state(&a.d), DPC_STATE_RUNNING | DPC_STATE_REQUEUED);
	CHECK(!dpc_queue(p, &a.d));         /* already requeued */
	CHECK_EQ(gate_waiters(&g), 1);       /* not picked up by the other worker */
	gate_open(&g);
	dpc_wait_idle(p, &a.d);
	CHECK_EQ(atomic_load(&a.runs), 2);
	CHECK_EQ(atomic_load(&a.inflight_max), 1);
	CHECK_EQ(dpc_state(&a.d), DPC_STATE_IDLE);
	dpc_pool_destroy(p);
	gate_fini(&g);
}

static void test_self_requeue(void)
{
	struct dpc_pool *p;
	struct tdpc a;

	REQUIRE(dpc_pool_create(3, "self", NULL, &p) == 0);
	tdpc_init(&a, "a", NULL, p);
	a.self_requeue = 50;
	CHECK(dpc_queue(p, &a.d));
	dpc_wait_idle(p, &a.d);
	CHECK_EQ(atomic_load(&a.runs), 51);
	CHECK_EQ(atomic_load(&a.inflight_max), 1);
	dpc_pool_destroy(p);
}

static void test_flush_and_wait_idle(void)
{
	struct dpc_pool *p;
	struct gate g;
	struct tdpc a[4];

	gate_init(&g);
	REQUIRE(dpc_pool_create(2, "flush", NULL, &p) == 0);
	for (int i = 0; i < 4; i++) {
		tdpc_init(&a[i], "a", &g, p);
		CHECK(dpc_queue(p, &a[i].d));
	}
	REQUIRE(wait_gate_waiters(&g, 2));
	/* Bounded variants time out while the DPCs are held. */
	CHECK_EQ(dpc_flush_timeout(p, 20 * 1000 * 1000), -ETIMEDOUT);
	CHECK_EQ(dpc_wait_idle_timeout(p, &a[3].d, 1000 * 1000), -ETIMEDOUT);
	CHECK_EQ(dpc_state(&a[3].d), DPC_STATE_QUEUED);
	gate_open(&g);
	dpc_wait_idle(p, &a[3].d);
	CHECK_EQ(atomic_load(&a[3].runs), 1);
	CHECK_EQ(dpc_flush_timeout(p, 5000ull * 1000 * 1000), 0);
	for (int i = 0; i < 4; i++) {
		CHECK_EQ(atomic_load(&a[i].runs), 1);
		CHECK_EQ(dpc_state(&a[i].d), DPC_STATE_IDLE);
	}
	/* Idle pool: both return at once. */
	dpc_flush(p);
	dpc_wait_idle(p, &a[0].d);
	CHECK_EQ(dpc_wait_idle_timeout(p, &a[0].d, 1), 0);
	dpc_pool_destroy(p);
	gate_fini(&g);
}

/* A DPC calling flush / wait_idle on itself must not deadlock. */
struct selfwait {
	struct dpc d;
	struct dpc_pool *p;
	int flush_rc;
	atomic_bool done;
};

static void selfwait_fn(struct dpc *d)
{
	struct selfwait *s = container_of(d, struct selfwait, d);

	dpc_wait_idle(s->p, d);
	dpc_flush(s->p);
	s->flush_rc = dpc_flush_timeout(s->p, 1000);
	atomic_store(&s->done, true);
}

static void test_wait_from_dpc(void)
{
	struct dpc_pool *p;
	struct selfwait s = { .flush_rc = 1 };

	REQUIRE(dpc_pool_create(1, "selfwait", NULL, &p) == 0);
	dpc_init(&s.d, "selfwait", selfwait_fn);
	s.p = p;
	CHECK(dpc_queue(p, &s.d));
	CHECK(wait_true(&s.done));
	dpc_flush(p);
	CHECK_EQ(s.flush_rc, -EDEADLK);
	dpc_pool_destroy(p);
}

struct stopper {
	struct dpc_pool *p;
	atomic_bool done;
};

static void *stopper_main(void *arg)
{
	struct stopper *s = arg;

	dpc_pool_stop(s->p);
	atomic_store(&s->done, true);
	return NULL;
}

static bool pred_stopping(void *ctx)
{
	return dpc_pool_is_stopping(ctx);
}

static void test_stop_drains_then_rejects(void)
{
	struct dpc_pool *p;
	struct gate g;
	struct tdpc a, b, c, d;
	struct dpc_pool_stats st;
	struct stopper s = { 0 };
	pthread_t th;

	gate_init(&g);
	REQUIRE(dpc_pool_create(1, "stop", NULL, &p) == 0);
	tdpc_init(&a, "a", &g, p);
	tdpc_init(&b, "b", NULL, p);
	tdpc_init(&c, "c", NULL, p);
	tdpc_init(&d, "d", NULL, p);
	CHECK(dpc_queue(p, &a.d));
	REQUIRE(wait_gate_waiters(&g, 1));
	CHECK(dpc_queue(p, &a.d));        /* requeued before the stop: still runs */
	CHECK(dpc_queue(p, &b.d));
	CHECK(dpc_queue(p, &c.d));

	s.p = p;
	REQUIRE(pthread_create(&th, NULL, stopper_main, &s) == 0);
	CHECK(tl_wait_until(pred_stopping, p, T_WAIT_MS));
	CHECK(!dpc_queue(p, &d.d));       /* refused while draining */
	CHECK(!atomic_load(&s.done));     /* a is still held: the drain waits */
	gate_open(&g);
	pthread_join(th, NULL);
	CHECK(atomic_load(&s.done));
	CHECK_EQ(atomic_load(&a.runs), 2);
	CHECK_EQ(atomic_load(&b.runs), 1);
	CHECK_EQ(atomic_load(&c.runs), 1);
	CHECK_EQ(atomic_load(&d.runs), 0);
	CHECK_EQ(dpc_state(&d.d), DPC_STATE_IDLE);

	CHECK(!dpc_queue(p, &d.d));       /* refused once stopped */
	dpc_pool_stop(p);                 /* idempotent */
	dpc_flush(p);                     /* returns at once on a stopped pool */
	dpc_pool_get_stats(p, &st);
	CHECK_EQ(st.rejected, 2);
	CHECK_EQ(st.queued, 4);
	CHECK_EQ(st.runs, 4);
	CHECK_EQ(st.runs_after_stop, 0);
	CHECK_EQ(st.max_concurrency_violations, 0);
	CHECK_EQ(atomic_load(&d.runs), 0);
	dpc_pool_destroy(p);
	gate_fini(&g);
}

/* Concurrent stoppers: both return only once the pool is stopped. */
static void test_concurrent_stop(void)
{
	struct dpc_pool *p;
	struct gate g;
	struct tdpc a;
	struct stopper s1 = { 0 }, s2 = { 0 };
	pthread_t t1, t2;

	gate_init(&g);
	REQUIRE(dpc_pool_create(2, "stop2", NULL, &p) == 0);
	tdpc_init(&a, "a", &g, p);
	CHECK(dpc_queue(p, &a.d));
	REQUIRE(wait_gate_waiters(&g, 1));
	s1.p = s2.p = p;
	REQUIRE(pthread_create(&t1, NULL, stopper_main, &s1) == 0);
	REQUIRE(pthread_create(&t2, NULL, stopper_main, &s2) == 0);
	CHECK(tl_wait_until(pred_stopping, p, T_WAIT_MS));
	CHECK(!atomic_load(&s1.done));
	CHECK(!atomic_load(&s2.done));
	gate_open(&g);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	CHECK_EQ(atomic_load(&a.runs), 1);
	dpc_pool_destroy(p);
	gate_fini(&g);
}

static atomic_uint hook_starts, hook_stops;

static void hook_start(void *ctx)
{
	CHECK(ctx == &hook_starts);
	tl_started = true;
	atomic_fetch_add(&hook_starts, 1);
}

static void hook_stop(void *ctx)
{
	CHECK(tl_started);
	tl_started = false;
	atomic_fetch_add(&hook_stops, 1);
}

static void test_hooks_and_names(void)
{
	struct e1k_thread_hooks h = { hook_start, hook_stop, &hook_starts };
	struct dpc_pool *p;
	struct tdpc a;

	atomic_store(&hook_starts, 0);
	atomic_store(&hook_stops, 0);
	REQUIRE(dpc_pool_create(3, "averylongpoolname", &h, &p) == 0);
	tdpc_init(&a, "a", NULL, p);
	CHECK(dpc_queue(p, &a.d));
	dpc_wait_idle(p, &a.d);
	CHECK(atomic_load(&a.hook_seen));
	/* 15 characters at most, the worker suffix kept. */
	CHECK(strlen(a.thread_name) <= 15);
	CHECK(strncmp(a.thread_name, "averylongp", 10) == 0);
	CHECK(strstr(a.thread_name, "-dpc") != NULL);
	dpc_pool_stop(p);
	CHECK_EQ(atomic_load(&hook_starts), 3);
	CHECK_EQ(atomic_load(&hook_stops), 3);
	dpc_pool_destroy(p);
	CHECK_EQ(atomic_load(&hook_stops), 3);
}

int main(void)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_create_args),
		TL_CASE(test_queue_at_most_once),
		TL_CASE(test_requeue_during_run),
		TL_CASE(test_self_requeue),
		TL_CASE(test_flush_and_wait_idle),
		TL_CASE(test_wait_from_dpc),
		TL_CASE(test_stop_drains_then_rejects),
		TL_CASE(test_concurrent_stop),
		TL_CASE(test_hooks_and_names),
	};

	return tl_run(cases, TL_N(cases));
}
