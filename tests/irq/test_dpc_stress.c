/* SPDX-License-Identifier: MIT */
/*
 * test_dpc_stress.c - non-reentrancy and "no lost queue" under load: several
 * workers, several DPCs, hammering queuer threads.
 *
 * What it proves:
 *   - a DPC never runs concurrently with itself (an in-flight counter per DPC
 *     never exceeds 1, and the pool's own check agrees);
 *   - every dpc_queue() that returned true is followed by exactly one run
 *     (runs == trues, per DPC, once the pool is flushed);
 *   - what a queuer wrote before dpc_queue() is seen by a run that starts
 *     after it, whether the call returned true or false (already queued):
 *     after the flush, each DPC's last run saw each queuer's last value.
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>

#include "dpc.h"
#include "testlib.h"
#include "tutil.h"

#define NQUEUERS 3
#define NDPCS 3

struct sdpc {
	struct dpc d;
	atomic_uint inflight;
	atomic_ulong overlaps;
	atomic_ulong runs;
	atomic_ulong trues;
	atomic_ulong posted[NQUEUERS];   /* written by queuer i before each queue */
	unsigned long seen[NQUEUERS];    /* what the latest run saw (only runs write) */
};

static void sdpc_fn(struct dpc *d)
{
	struct sdpc *s = container_of(d, struct sdpc, d);

	if (atomic_fetch_add_explicit(&s->inflight, 1, memory_order_acq_rel) != 0)
		atomic_fetch_add(&s->overlaps, 1);
	/* Plain (non-atomic) accesses to seen[]: if two runs ever overlapped,
	 * TSan would report the race on top of the overlap counter. */
	for (int i = 0; i < NQUEUERS; i++)
		s->seen[i] = atomic_load_explicit(&s->posted[i], memory_order_relaxed);
	/* A little work so that runs overlap with queues. */
	for (volatile int k = 0; k < 50; k++)
		;
	atomic_fetch_sub_explicit(&s->inflight, 1, memory_order_acq_rel);
	atomic_fetch_add_explicit(&s->runs, 1, memory_order_relaxed);
}

struct queuer {
	struct dpc_pool *p;
	struct sdpc *dpcs;
	int id;
	unsigned long iters;
	uint32_t seed;
};

static void *queuer_main(void *arg)
{
	struct queuer *q = arg;

	for (unsigned long n = 1; n <= q->iters; n++) {
		struct sdpc *s = &q->dpcs[t_rand(&q->seed) % NDPCS];

		/* Relaxed: the pool mutex inside dpc_queue orders it for the run. */
		atomic_store_explicit(&s->posted[q->id], n, memory_order_relaxed);
		if (dpc_queue(q->p, &s->d))
			atomic_fetch_add_explicit(&s->trues, 1, memory_order_relaxed);
		/* Vary the pace so queues land in every state of the DPC:
		 * idle, queued, running, running and requeued. */
		if ((n & 1023) == 0)
			sched_yield();
		else if ((t_rand(&q->seed) & 3) == 0)
			for (volatile unsigned k = t_rand(&q->seed) & 511; k; k--)
				;
	}
	/* Last word for every DPC, so each one's final value is known. */
	for (int i = 0; i < NDPCS; i++) {
		atomic_store_explicit(&q->dpcs[i].posted[q->id], q->iters + 1,
		                      memory_order_relaxed);
		if (dpc_queue(q->p, &q->dpcs[i].d))
			atomic_fetch_add_explicit(&q->dpcs[i].trues, 1, memory_order_relaxed);
	}
	return NULL;
}

static void run_stress(unsigned workers)
{
	struct dpc_pool *p;
	static struct sdpc dpcs[NDPCS];
	struct queuer q[NQUEUERS];
	pthread_t th[NQUEUERS];
	struct dpc_pool_stats st;
	unsigned long iters = tl_scaled(300000, 5000);
	uint64_t trues = 0, runs = 0;

	memset(dpcs, 0, sizeof(dpcs));
	for (int i = 0; i < NDPCS; i++)
		dpc_init(&dpcs[i].d, "stress", sdpc_fn);
	REQUIRE(dpc_pool_create(workers, "stress", NULL, &p) == 0);
	for (int i = 0; i < NQUEUERS; i++) {
		q[i] = (struct queuer){ .p = p, .dpcs = dpcs, .id = i, .iters = iters,
		                        .seed = 0x9e3779b9u * (uint32_t)(i + 1) };
		REQUIRE(pthread_create(&th[i], NULL, queuer_main, &q[i]) == 0);
	}
	for (int i = 0; i < NQUEUERS; i++)
		pthread_join(th[i], NULL);
	CHECK_EQ(dpc_flush_timeout(p, (uint64_t)T_WAIT_MS * 1000000ull), 0);

	for (int i = 0; i < NDPCS; i++) {
		struct sdpc *s = &dpcs[i];

		CHECK_EQ(atomic_load(&s->overlaps), 0);
		CHECK_EQ(atomic_load(&s->runs), atomic_load(&s->trues));
		CHECK_EQ(atomic_load(&s->d.runs), atomic_load(&s->runs));
		CHECK_EQ(dpc_state(&s->d), DPC_STATE_IDLE);
		for (int k = 0; k < NQUEUERS; k++)
			CHECK_EQ(s->seen[k], iters + 1);
		trues += atomic_load(&s->trues);
		runs += atomic_load(&s->runs);
	}
	dpc_pool_get_stats(p, &st);
	CHECK_EQ(st.queued, trues);
	CHECK_EQ(st.runs, runs);
	CHECK_EQ(st.rejected, 0);
	CHECK_EQ(st.max_concurrency_violations, 0);
	CHECK_EQ(st.runs_after_stop, 0);
	printf("  workers %u: %lu queue calls, %llu queued, %llu runs\n", workers,
	       (unsigned long)(NQUEUERS * (iters + NDPCS)), (unsigned long long)trues,
	       (unsigned long long)runs);
	dpc_pool_destroy(p);
}

static void test_stress_2_workers(void)
{
	run_stress(2);
}

static void test_stress_8_workers(void)
{
	run_stress(8);
}

/* Stop while queuers hammer: every queue is either refused (counted) or run
 * before stop returns; nothing runs afterwards. */
struct hq {
	struct dpc_pool *p;
	struct sdpc *s;
	atomic_bool *quit;
	unsigned long trues, falses;
};

static void *hammer_main(void *arg)
{
	struct hq *h = arg;

	while (!atomic_load_explicit(h->quit, memory_order_relaxed)) {
		if (dpc_queue(h->p, &h->s->d))
			h->trues++;
		else
			h->falses++;
	}
	return NULL;
}

struct rej_wait {
	struct dpc_pool *p;
	uint64_t target;
};

static bool pred_rejected(void *ctx)
{
	struct rej_wait *w = ctx;
	struct dpc_pool_stats st;

	dpc_pool_get_stats(w->p, &st);
	return st.rejected >= w->target;
}

static void test_stop_under_load(void)
{
	struct dpc_pool *p;
	static struct sdpc s;
	struct hq h[2];
	pthread_t th[2];
	atomic_bool quit = false;
	struct dpc_pool_stats st;
	unsigned long runs_at_stop, trues = 0;

	memset(&s, 0, sizeof(s));
	dpc_init(&s.d, "load", sdpc_fn);
	REQUIRE(dpc_pool_create(2, "load", NULL, &p) == 0);
	for (int i = 0; i < 2; i++) {
		h[i] = (struct hq){ .p = p, .s = &s, .quit = &quit };
		REQUIRE(pthread_create(&th[i], NULL, hammer_main, &h[i]) == 0);
	}
	CHECK(wait_ge(&s.runs, tl_scaled(2000, 100)));
	dpc_pool_stop(p);
	runs_at_stop = atomic_load(&s.runs);
	CHECK_EQ(dpc_state(&s.d), DPC_STATE_IDLE);
	/* Queuers keep going against a stopped pool for a while. */
	dpc_pool_get_stats(p, &st);
	{
		struct rej_wait rw = { p, st.rejected + tl_scaled(10000, 500) };

		CHECK(tl_wait_until(pred_rejected, &rw, T_WAIT_MS));
	}
	atomic_store(&quit, true);
	for (int i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		trues += h[i].trues;
	}
	CHECK_EQ(atomic_load(&s.runs), runs_at_stop);   /* nothing ran after stop */
	CHECK_EQ(atomic_load(&s.runs), trues);          /* every true ran */
	CHECK_EQ(atomic_load(&s.overlaps), 0);
	dpc_pool_get_stats(p, &st);
	CHECK_EQ(st.runs_after_stop, 0);
	CHECK_EQ(st.max_concurrency_violations, 0);
	CHECK(st.rejected > 0);
	dpc_pool_destroy(p);
}

int main(void)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_stress_2_workers),
		TL_CASE(test_stress_8_workers),
		TL_CASE(test_stop_under_load),
	};

	return tl_run(cases, TL_N(cases));
}
