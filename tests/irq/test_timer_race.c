/* SPDX-License-Identifier: MIT */
/*
 * test_timer_race.c - cancel-vs-fire decided exactly, and cancel_sync from
 * many threads.
 *
 * For every arming of a one-shot timer raced against a cancel:
 *   cancel true  => its callback has not begun, and never does;
 *   cancel false => it has begun (or finished), and after ktimer_wait_callback
 *                   it has finished (not running).
 * Periodic timers: after cancel (+ wait) no further period runs.
 * Timing is randomised (arm delay and cancel moment in 0..40 us) so both
 * outcomes and the window in between are hit; counts are printed.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "testlib.h"
#include "timer.h"
#include "tutil.h"

#define US 1000ull

struct rt {
	struct ktimer t;
	atomic_ulong begun, ended;
	atomic_bool in_cb;
};

static void rt_fn(struct ktimer *k)
{
	struct rt *r = container_of(k, struct rt, t);

	if (atomic_exchange(&r->in_cb, true))
		tl_fail(__FILE__, __LINE__, "callback overlapped itself");
	atomic_fetch_add(&r->begun, 1);
	t_spin_ns(2 * US);          /* widen the "running" window */
	atomic_store(&r->in_cb, false);
	atomic_fetch_add_explicit(&r->ended, 1, memory_order_release);
}

static void rt_init(struct rt *r, const char *name)
{
	memset(r, 0, sizeof(*r));
	ktimer_init(&r->t, name, rt_fn);
}

static void test_cancel_vs_fire_one_shot(void)
{
	struct timer_svc *s;
	struct rt r;
	unsigned long iters = tl_scaled(20000, 1000), trues = 0, falses = 0;
	uint32_t seed = 12345;
	unsigned bad = 0;

	REQUIRE(timer_svc_create("race1", NULL, &s) == 0);
	rt_init(&r, "race");
	for (unsigned long i = 0; i < iters && bad < 5; i++) {
		unsigned long b0 = atomic_load(&r.begun);

		if (b0 != falses || atomic_load(&r.ended) != falses) {
			/* An arming cancelled with true ran after all. */
			tl_fail(__FILE__, __LINE__, "iter %lu: begun %lu ended %lu, expected %lu",
			        i, b0, (unsigned long)atomic_load(&r.ended), falses);
			bad++;
		}
		REQUIRE(ktimer_arm(s, &r.t, t_rand(&seed) % (40 * US), 0) == 0);
		t_spin_ns(t_rand(&seed) % (40 * US));
		if (ktimer_cancel(s, &r.t)) {
			trues++;
			if (atomic_load(&r.begun) != b0) {
				tl_fail(__FILE__, __LINE__, "iter %lu: cancel true but callback began", i);
				bad++;
			}
		} else {
			falses++;
			ktimer_wait_callback(s, &r.t);
			if (atomic_load(&r.in_cb) ||
			    atomic_load_explicit(&r.ended, memory_order_acquire) != b0 + 1 ||
			    atomic_load(&r.begun) != b0 + 1) {
				tl_fail(__FILE__, __LINE__, "iter %lu: cancel false but callback "
				        "not finished after wait (begun %lu ended %lu)", i,
				        (unsigned long)atomic_load(&r.begun),
				        (unsigned long)atomic_load(&r.ended));
				bad++;
			}
		}
	}
	/* Nothing left to fire: a cancelled-true arming that fired late would
	 * show up here. */
	{
		struct rt z;

		rt_init(&z, "sentinel");
		REQUIRE(ktimer_arm(s, &z.t, 1000 * US, 0) == 0);
		CHECK(wait_ge(&z.ended, 1));
	}
	CHECK_EQ(atomic_load(&r.begun), falses);
	CHECK_EQ(trues + falses, iters);
	printf("  one-shot: %lu iterations: %lu cancelled (true), %lu fired (false)\n",
	       iters, trues, falses);
	timer_svc_destroy(s);
}

static void test_cancel_vs_fire_periodic(void)
{
	struct timer_svc *s;
	struct rt r;
	unsigned long iters = tl_scaled(10000, 500), trues = 0, falses = 0, last = 0;
	uint32_t seed = 777;
	unsigned bad = 0;

	REQUIRE(timer_svc_create("race2", NULL, &s) == 0);
	rt_init(&r, "racep");
	for (unsigned long i = 0; i < iters && bad < 5; i++) {
		bool res;

		if (atomic_load(&r.begun) != last) {
			tl_fail(__FILE__, __LINE__, "iter %lu: a period ran after cancel", i);
			bad++;
		}
		REQUIRE(ktimer_arm(s, &r.t, t_rand(&seed) % (20 * US), 5 * US) == 0);
		t_spin_ns(t_rand(&seed) % (40 * US));
		res = ktimer_cancel(s, &r.t);
		if (res)
			trues++;
		else
			falses++;
		/* A true cancel of a periodic timer: no callback is running (it is
		 * put back on the list only after its callback returned). */
		if (res && atomic_load(&r.in_cb)) {
			tl_fail(__FILE__, __LINE__, "iter %lu: true cancel while running", i);
			bad++;
		}
		ktimer_wait_callback(s, &r.t);
		if (atomic_load(&r.in_cb)) {
			tl_fail(__FILE__, __LINE__, "iter %lu: running after wait", i);
			bad++;
		}
		/* Checked again at the next iteration's start: begun == ended, and
		 * no growth since this point. */
		last = atomic_load(&r.begun);
		if (last != atomic_load(&r.ended)) {
			tl_fail(__FILE__, __LINE__, "iter %lu: begun %lu != ended", i, last);
			bad++;
		}
	}
	{
		unsigned long n = atomic_load(&r.begun);
		struct rt z;

		rt_init(&z, "sentinel");
		REQUIRE(ktimer_arm(s, &z.t, 1000 * US, 0) == 0);
		CHECK(wait_ge(&z.ended, 1));
		CHECK_EQ(atomic_load(&r.begun), n);
	}
	printf("  periodic: %lu iterations: %lu pending at cancel, %lu running at cancel; "
	       "%lu callbacks\n", iters, trues, falses, (unsigned long)atomic_load(&r.begun));
	timer_svc_destroy(s);
}

/* Each thread arms and cancel_syncs its own periodic timer on a shared
 * service; after cancel_sync its callback is not running and never runs
 * again (checked at the next iteration, before re-arming). */
struct own {
	struct timer_svc *s;
	struct rt r;
	unsigned long iters;
	uint32_t seed;
	unsigned long errors;
};

static void *own_main(void *arg)
{
	struct own *o = arg;
	unsigned long last = 0;

	for (unsigned long i = 0; i < o->iters; i++) {
		if (atomic_load(&o->r.begun) != last)
			o->errors++;
		if (ktimer_arm(o->s, &o->r.t, t_rand(&o->seed) % (20 * US), 10 * US) != 0) {
			o->errors++;
			break;
		}
		t_spin_ns(t_rand(&o->seed) % (30 * US));
		ktimer_cancel_sync(o->s, &o->r.t);
		if (atomic_load(&o->r.in_cb))
			o->errors++;
		last = atomic_load(&o->r.begun);
		if (last != atomic_load_explicit(&o->r.ended, memory_order_acquire))
			o->errors++;
	}
	return NULL;
}

static void test_cancel_sync_many_threads_own_timers(void)
{
	enum { T = 4 };
	struct timer_svc *s;
	static struct own o[T];
	pthread_t th[T];
	unsigned long fired = 0;

	REQUIRE(timer_svc_create("many", NULL, &s) == 0);
	for (int i = 0; i < T; i++) {
		memset(&o[i], 0, sizeof(o[i]));
		o[i].s = s;
		rt_init(&o[i].r, "own");
		o[i].iters = tl_scaled(3000, 300);
		o[i].seed = 1000u + (uint32_t)i;
		REQUIRE(pthread_create(&th[i], NULL, own_main, &o[i]) == 0);
	}
	for (int i = 0; i < T; i++) {
		pthread_join(th[i], NULL);
		CHECK_EQ(o[i].errors, 0);
		fired += atomic_load(&o[i].r.begun);
	}
	printf("  %d threads: %lu callbacks in total\n", T, fired);
	timer_svc_destroy(s);
}

/* Several threads cancel_sync the same periodic timer at once: at most one
 * of them gets true, and when each returns the callback is not running. */
struct shared_ctx {
	struct timer_svc *s;
	struct rt *r;
	pthread_barrier_t *bar;
	unsigned long rounds;
	uint32_t seed;
	atomic_ulong *trues_this_round;
	unsigned long errors;
};

static void *shared_main(void *arg)
{
	struct shared_ctx *c = arg;

	for (unsigned long i = 0; i < c->rounds; i++) {
		pthread_barrier_wait(c->bar);      /* armed */
		t_spin_ns(t_rand(&c->seed) % (30 * US));
		if (ktimer_cancel_sync(c->s, &c->r->t))
			atomic_fetch_add(c->trues_this_round, 1);
		if (atomic_load(&c->r->in_cb))
			c->errors++;
		pthread_barrier_wait(c->bar);      /* all cancelled */
		pthread_barrier_wait(c->bar);      /* checked */
	}
	return NULL;
}

static void test_cancel_sync_many_threads_shared_timer(void)
{
	enum { T = 4 };
	struct timer_svc *s;
	struct rt r;
	pthread_barrier_t bar;
	struct shared_ctx c[T];
	pthread_t th[T];
	atomic_ulong trues = 0;
	unsigned long rounds = tl_scaled(1000, 100), total_true = 0;
	uint32_t seed = 99;

	REQUIRE(timer_svc_create("shared", NULL, &s) == 0);
	rt_init(&r, "shared");
	pthread_barrier_init(&bar, NULL, T + 1);
	for (int i = 0; i < T; i++) {
		c[i] = (struct shared_ctx){ .s = s, .r = &r, .bar = &bar, .rounds = rounds,
		                            .seed = 31u * (uint32_t)(i + 7), .trues_this_round = &trues };
		REQUIRE(pthread_create(&th[i], NULL, shared_main, &c[i]) == 0);
	}
	for (unsigned long i = 0; i < rounds; i++) {
		unsigned long n;

		atomic_store(&trues, 0);
		CHECK_EQ(ktimer_arm(s, &r.t, t_rand(&seed) % (20 * US), 5 * US), 0);
		pthread_barrier_wait(&bar);
		pthread_barrier_wait(&bar);
		CHECK(atomic_load(&trues) <= 1);
		total_true += atomic_load(&trues);
		CHECK(!atomic_load(&r.in_cb));
		n = atomic_load(&r.begun);
		CHECK_EQ(atomic_load(&r.ended), n);
		CHECK(!ktimer_pending(s, &r.t));
		pthread_barrier_wait(&bar);
	}
	for (int i = 0; i < T; i++) {
		pthread_join(th[i], NULL);
		CHECK_EQ(c[i].errors, 0);
	}
	pthread_barrier_destroy(&bar);
	printf("  %lu rounds: %lu cancelled while pending, %lu callbacks\n", rounds, total_true,
	       (unsigned long)atomic_load(&r.begun));
	timer_svc_destroy(s);
}

int main(void)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_cancel_vs_fire_one_shot),
		TL_CASE(test_cancel_vs_fire_periodic),
		TL_CASE(test_cancel_sync_many_threads_own_timers),
		TL_CASE(test_cancel_sync_many_threads_shared_timer),
	};

	return tl_run(cases, TL_N(cases));
}
