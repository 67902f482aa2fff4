/* SPDX-License-Identifier: MIT */
/*
 * test_timer.c - timer service semantics: one-shot fires once and not early,
 * periodic fires repeatedly, re-arm replaces, cancel before fire, cancel
 * during a callback (false, and stops a periodic timer), a callback re-arming
 * and cancelling itself, bounded wait_callback, stop with pending timers and
 * with a running callback, hooks and thread name.
 *
 * "Does not fire again" is checked without sleeping: a sentinel timer armed
 * with a later deadline is waited for; the service fires in deadline order
 * on one thread, so anything due before the sentinel has fired by then.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "testlib.h"
#include "timer.h"
#include "tutil.h"

#define MS (1000ull * 1000ull)

struct ttimer {
	struct ktimer t;
	atomic_ulong runs;
	atomic_ulong done;
	atomic_bool in_cb;
	struct gate *gate;
	uint64_t armed_at, first_run_at;
	/* behaviour knobs, read by the callback */
	struct timer_svc *svc;
	unsigned rearm_times;        /* one-shot re-arms itself this many times */
	unsigned cancel_after;       /* periodic cancels itself at this run */
	atomic_bool hook_seen;
	char thread_name[16];
};

static _Thread_local bool tl_started;

static void tt_fn(struct ktimer *k)
{
	struct ttimer *t = container_of(k, struct ttimer, t);
	unsigned long n;

	atomic_store(&t->in_cb, true);
	n = atomic_fetch_add(&t->runs, 1) + 1;
	if (n == 1)
		t->first_run_at = tl_now_ns();
	if (tl_started)
		atomic_store(&t->hook_seen, true);
	pthread_getname_np(pthread_self(), t->thread_name, sizeof(t->thread_name));
	if (t->gate)
		gate_wait(t->gate);
	if (t->rearm_times) {
		t->rearm_times--;
		CHECK_EQ(ktimer_arm(t->svc, k, 0, 0), 0);
	}
	if (t->cancel_after && n == t->cancel_after)
		CHECK(!ktimer_cancel(t->svc, k));   /* own callback: not pending */
	/* Waiting for one's own callback returns at once. */
	ktimer_wait_callback(t->svc, k);
	atomic_store(&t->in_cb, false);
	atomic_fetch_add_explicit(&t->done, 1, memory_order_release);
}

static void tt_init(struct ttimer *t, struct timer_svc *s, const char *name)
{
	memset(t, 0, sizeof(*t));
	ktimer_init(&t->t, name, tt_fn);
	t->svc = s;
}

/* Arm a sentinel after delay_ns and wait for it: everything due before it
 * has fired by the time it does. */
static bool sentinel(struct timer_svc *s, uint64_t delay_ns)
{
	struct ttimer z;
	bool ok;

	tt_init(&z, s, "sentinel");
	if (ktimer_arm(s, &z.t, delay_ns, 0) != 0)
		return false;
	ok = wait_ge(&z.done, 1);
	ktimer_cancel_sync(s, &z.t);
	return ok;
}

static void test_one_shot(void)
{
	struct timer_svc *s;
	struct ttimer t;

	REQUIRE(timer_svc_create("oneshot", NULL, &s) == 0);
	tt_init(&t, s, "t");
	t.armed_at = tl_now_ns();
	/* 100 ms, not 2: a loaded TSan run once took more than 2 ms between
	 * the arm and the pending check, and the timer had fired. */
	CHECK_EQ(ktimer_arm(s, &t.t, 100 * MS, 0), 0);
	CHECK(ktimer_pending(s, &t.t));
	CHECK(wait_ge(&t.done, 1));
	CHECK(t.first_run_at - t.armed_at >= 100 * MS);   /* not early */
	CHECK(!ktimer_pending(s, &t.t));
	CHECK(sentinel(s, 5 * MS));
	CHECK_EQ(atomic_load(&t.runs), 1);
	CHECK_EQ(ktimer_fired(&t.t), 1);
	CHECK(!ktimer_cancel(s, &t.t));                   /* fired: not pending */
	timer_svc_destroy(s);
}

static void test_zero_delay_and_order(void)
{
	struct timer_svc *s;
	struct ttimer a, b;

	REQUIRE(timer_svc_create("order", NULL, &s) == 0);
	tt_init(&a, s, "a");
	tt_init(&b, s, "b");
	CHECK_EQ(ktimer_arm(s, &b.t, 3 * MS, 0), 0);
	CHECK_EQ(ktimer_arm(s, &a.t, 0, 0), 0);
	CHECK(wait_ge(&b.done, 1));
	CHECK_EQ(atomic_load(&a.done), 1);
	CHECK(a.first_run_at <= b.first_run_at);
	timer_svc_destroy(s);
}

static void test_periodic(void)
{
	struct timer_svc *s;
	struct ttimer t;
	unsigned long n;

	REQUIRE(timer_svc_create("periodic", NULL, &s) == 0);
	tt_init(&t, s, "p");
	t.armed_at = tl_now_ns();
	CHECK_EQ(ktimer_arm(s, &t.t, 1 * MS, 1 * MS), 0);
	CHECK(wait_ge(&t.done, 5));
	/* 5 periods of 1 ms cannot complete in less than 5 ms. */
	CHECK(tl_now_ns() - t.armed_at >= 5 * MS);
	ktimer_cancel_sync(s, &t.t);
	CHECK(!atomic_load(&t.in_cb));
	n = atomic_load(&t.runs);
	CHECK(sentinel(s, 5 * MS));
	CHECK_EQ(atomic_load(&t.runs), n);
	CHECK_EQ(ktimer_fired(&t.t), n);
	timer_svc_destroy(s);
}

static void test_rearm_replaces(void)
{
	struct timer_svc *s;
	struct ttimer t;

	REQUIRE(timer_svc_create("rearm", NULL, &s) == 0);
	tt_init(&t, s, "r");
	CHECK_EQ(ktimer_arm(s, &t.t, 3600ull * 1000 * MS, 0), 0);   /* an hour */
	CHECK_EQ(ktimer_arm(s, &t.t, 1 * MS, 0), 0);                /* replaces it */
	CHECK(wait_ge(&t.done, 1));
	CHECK(!ktimer_pending(s, &t.t));
	/* Periodic replaced by one-shot. */
	CHECK_EQ(ktimer_arm(s, &t.t, 3600ull * 1000 * MS, 1 * MS), 0);
	CHECK_EQ(ktimer_arm(s, &t.t, 1 * MS, 0), 0);
	CHECK(wait_ge(&t.done, 2));
	CHECK(sentinel(s, 5 * MS));
	CHECK_EQ(atomic_load(&t.runs), 2);
	timer_svc_destroy(s);
}

static void test_cancel_before_fire(void)
{
	struct timer_svc *s;
	struct ttimer t, never;
	struct timer_svc_stats st;

	REQUIRE(timer_svc_create("cancel", NULL, &s) == 0);
	tt_init(&t, s, "c");
	tt_init(&never, s, "never");
	CHECK(!ktimer_cancel(s, &never.t));          /* never armed */
	CHECK_EQ(ktimer_arm(s, &t.t, 3 * MS, 0), 0);
	CHECK(ktimer_cancel(s, &t.t));
	CHECK(!ktimer_cancel(s, &t.t));              /* already cancelled */
	CHECK(!ktimer_pending(s, &t.t));
	CHECK(sentinel(s, 10 * MS));
	CHECK_EQ(atomic_load(&t.runs), 0);
	CHECK_EQ(ktimer_fired(&t.t), 0);
	/* Periodic cancelled before its first period. */
	CHECK_EQ(ktimer_arm(s, &t.t, 3 * MS, 1 * MS), 0);
	CHECK(ktimer_cancel_sync(s, &t.t));
	CHECK(sentinel(s, 10 * MS));
	CHECK_EQ(atomic_load(&t.runs), 0);
	timer_svc_get_stats(s, &st);
	CHECK_EQ(st.cancelled, 2);
	timer_svc_destroy(s);
}

/* A cancel made while the callback runs returns false; wait_callback then
 * returns only after it finished; a periodic timer stops for good. */
static void test_cancel_during_callback(void)
{
	struct timer_svc *s;
	struct gate g;
	struct ttimer t;

	gate_init(&g);
	REQUIRE(timer_svc_create("during", NULL, &s) == 0);
	tt_init(&t, s, "d");
	t.gate = &g;
	CHECK_EQ(ktimer_arm(s, &t.t, 0, 1 * MS), 0);
	REQUIRE(wait_gate_waiters(&g, 1));
	CHECK(!ktimer_cancel(s, &t.t));
	CHECK(!ktimer_pending(s, &t.t));
	CHECK_EQ(ktimer_wait_callback_timeout(s, &t.t, 2 * MS), -ETIMEDOUT);
	CHECK(atomic_load(&t.in_cb));
	gate_open(&g);
	ktimer_wait_callback(s, &t.t);
	CHECK(!atomic_load(&t.in_cb));
	CHECK_EQ(atomic_load(&t.done), 1);
	CHECK(!ktimer_pending(s, &t.t));             /* not put back on the list */
	CHECK(sentinel(s, 5 * MS));
	CHECK_EQ(atomic_load(&t.runs), 1);
	CHECK_EQ(ktimer_wait_callback_timeout(s, &t.t, 1), 0);
	timer_svc_destroy(s);
	gate_fini(&g);
}

static void test_callback_rearms_and_cancels_itself(void)
{
	struct timer_svc *s;
	struct ttimer a, p;

	REQUIRE(timer_svc_create("self", NULL, &s) == 0);
	tt_init(&a, s, "rearm");
	a.rearm_times = 9;
	CHECK_EQ(ktimer_arm(s, &a.t, 0, 0), 0);
	CHECK(wait_ge(&a.done, 10));
	tt_init(&p, s, "selfcancel");
	p.cancel_after = 3;
	CHECK_EQ(ktimer_arm(s, &p.t, 0, 1 * MS), 0);
	CHECK(wait_ge(&p.done, 3));
	CHECK(sentinel(s, 5 * MS));
	CHECK_EQ(atomic_load(&a.runs), 10);
	CHECK_EQ(atomic_load(&p.runs), 3);
	CHECK(!ktimer_pending(s, &p.t));
	timer_svc_destroy(s);
}

struct svc_stopper {
	struct timer_svc *s;
	atomic_bool done;
};

static void *svc_stopper_main(void *arg)
{
	struct svc_stopper *st = arg;

	timer_svc_stop(st->s);
	atomic_store(&st->done, true);
	return NULL;
}

/* The probe is armed (far away) before the stop begins and re-armed until
 * the service refuses: it is pending when the stop discards, always.  (A
 * probe armed and cancelled on each call was discarded whenever the stop
 * fell between its arm and its cancel, one more than the test expected.) */
struct arm_probe {
	struct timer_svc *s;
	struct ktimer k;
};

static bool pred_refuses_arm(void *ctx)
{
	struct arm_probe *p = ctx;

	return ktimer_arm(p->s, &p->k, 3600ull * 1000 * MS, 0) == -ESHUTDOWN;
}

static void test_stop_with_pending_and_running(void)
{
	struct timer_svc *s;
	struct gate g;
	struct ttimer run, pend[3];
	struct svc_stopper st = { 0 };
	struct timer_svc_stats stats;
	struct arm_probe probe;
	pthread_t th;

	gate_init(&g);
	REQUIRE(timer_svc_create("stop", NULL, &s) == 0);
	probe.s = s;
	ktimer_init(&probe.k, "probe", tt_fn);
	tt_init(&run, s, "running");
	run.gate = &g;
	for (int i = 0; i < 3; i++) {
		tt_init(&pend[i], s, "pending");
		CHECK_EQ(ktimer_arm(s, &pend[i].t, (uint64_t)(i + 1) * 50 * MS, 0), 0);
	}
	CHECK_EQ(ktimer_arm(s, &run.t, 0, 1 * MS), 0);
	REQUIRE(wait_gate_waiters(&g, 1));
	REQUIRE(!pred_refuses_arm(&probe));

	st.s = s;
	REQUIRE(pthread_create(&th, NULL, svc_stopper_main, &st) == 0);
	CHECK(tl_wait_until(pred_refuses_arm, &probe, T_WAIT_MS));
	CHECK(!atomic_load(&st.done));               /* waits for the callback */
	gate_open(&g);
	pthread_join(th, NULL);
	CHECK(!atomic_load(&run.in_cb));
	CHECK_EQ(atomic_load(&run.done), 1);
	for (int i = 0; i < 3; i++) {
		CHECK_EQ(atomic_load(&pend[i].runs), 0);
		CHECK(ktimer_cancel(s, &pend[i].t));      /* was pending, never fires */
		CHECK(!ktimer_cancel(s, &pend[i].t));
	}
	CHECK_EQ(ktimer_arm(s, &run.t, 0, 0), -ESHUTDOWN);
	CHECK(!ktimer_cancel(s, &run.t));
	CHECK(ktimer_cancel(s, &probe.k));            /* discarded with them */
	timer_svc_stop(s);                           /* idempotent */
	timer_svc_get_stats(s, &stats);
	CHECK_EQ(stats.discarded, 4);                /* pend[] and the probe */
	CHECK_EQ(stats.callbacks_after_stop, 0);
	CHECK_EQ(stats.fired, 1);
	CHECK_EQ(atomic_load(&run.runs), 1);
	timer_svc_destroy(s);
	timer_svc_destroy(NULL);
	timer_svc_stop(NULL);
	gate_fini(&g);
}

static atomic_uint hook_starts, hook_stops;

static void hook_start(void *ctx)
{
	tl_started = true;
	atomic_fetch_add(&hook_starts, 1);
}

static void hook_stop(void *ctx)
{
	CHECK(tl_started);
	atomic_fetch_add(&hook_stops, 1);
}

static void test_hooks_name_args(void)
{
	struct e1k_thread_hooks h = { hook_start, hook_stop, NULL };
	struct timer_svc *s = NULL;
	struct ttimer t;

	CHECK_EQ(timer_svc_create("x", NULL, NULL), -EINVAL);
	REQUIRE(timer_svc_create("e1k-watchdog-service", &h, &s) == 0);
	tt_init(&t, s, "h");
	CHECK_EQ(ktimer_arm(NULL, &t.t, 0, 0), -EINVAL);
	CHECK_EQ(ktimer_arm(s, &t.t, 0, 0), 0);
	CHECK(wait_ge(&t.done, 1));
	CHECK(atomic_load(&t.hook_seen));
	CHECK(strlen(t.thread_name) <= 15);
	CHECK(strstr(t.thread_name, "-tmr") != NULL);
	timer_svc_destroy(s);
	CHECK_EQ(atomic_load(&hook_starts), 1);
	CHECK_EQ(atomic_load(&hook_stops), 1);
}

int main(void)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_one_shot),
		TL_CASE(test_zero_delay_and_order),
		TL_CASE(test_periodic),
		TL_CASE(test_rearm_replaces),
		TL_CASE(test_cancel_before_fire),
		TL_CASE(test_cancel_during_callback),
		TL_CASE(test_callback_rearms_and_cancels_itself),
		TL_CASE(test_stop_with_pending_and_running),
		TL_CASE(test_hooks_name_args),
	};

	return tl_run(cases, TL_N(cases));
}
