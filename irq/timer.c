/* SPDX-License-Identifier: MIT */
/*
 * timer.c - the timer service: a deadline-sorted list, one thread, one mutex.
 *
 * The mutex protects the list and every private field of every ktimer but
 * `fired`.  Cancel-vs-fire is decided by who takes the mutex first: the
 * service thread unlinks a due timer and sets `running` in one critical
 * section, and a cancel unlinks a pending timer in one critical section, so
 * exactly one of them finds the timer on the list.  That is what makes
 * "cancel returned true" equal "the callback of that arming never begins".
 *
 * Condition variables (both on CLOCK_MONOTONIC):
 *   cv     the service thread sleeps on it until the head's deadline; signalled
 *          when a new head is armed and on stop.
 *   cb_cv  ktimer_wait_callback and stop sleep on it; broadcast after every
 *          callback and when the thread exits.
 */
#include "timer.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "irq_priv.h"

enum ktimer_state {
	KTIMER_IDLE,       /* not on the list: never armed, fired, or cancelled */
	KTIMER_PENDING,    /* on the list, will fire at deadline_ns */
	KTIMER_DISCARDED,  /* was pending when the service stopped: will never fire */
};

struct timer_svc {
	pthread_mutex_t lock;
	pthread_cond_t cv;
	pthread_cond_t cb_cv;
	struct ktimer *head;          /* sorted by deadline_ns, FIFO among equals */
	bool stopping;                /* stop began: arms refused, loop exits */
	bool started, exited, joining, joined;
	pthread_t tid;
	struct e1k_thread_hooks hooks;
	char name[32];
	uint64_t st_cancelled, st_discarded, st_after_stop;   /* lock */
	atomic_ulong st_fired;
};

/* Set on the service thread: a callback calling wait/stop/destroy is noticed. */
static _Thread_local struct timer_svc *tl_svc;

void ktimer_init(struct ktimer *t, const char *name, ktimer_fn fn)
{
	t->fn = fn;
	t->name = name;
	t->deadline_ns = 0;
	t->period_ns = 0;
	t->state = KTIMER_IDLE;
	t->next = NULL;
	t->running = false;
	t->seq = 0;
	t->svc = NULL;
	atomic_init(&t->fired, 0);
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* Insert t sorted; true if it became the head.  Caller holds s->lock. */
static bool __ktimer_insert(struct timer_svc *s, struct ktimer *t)
{
	struct ktimer **pp = &s->head;

	while (*pp && (*pp)->deadline_ns <= t->deadline_ns)
		pp = &(*pp)->next;
	t->next = *pp;
	*pp = t;
	t->state = KTIMER_PENDING;
	t->svc = s;
	return pp == &s->head;
}

static void __ktimer_unlink(struct timer_svc *s, struct ktimer *t)
{
	struct ktimer **pp = &s->head;

	while (*pp && *pp != t)
		pp = &(*pp)->next;
	if (*pp)
		*pp = t->next;
	t->next = NULL;
	t->state = KTIMER_IDLE;
}

/* Next deadline of a periodic timer that fired at t->deadline_ns: the next
 * multiple of the period after now, so a late service skips missed periods
 * instead of firing them back to back. */
static uint64_t next_period(const struct ktimer *t, uint64_t now)
{
	uint64_t next = add_sat(t->deadline_ns, t->period_ns);

	if (next <= now && next != UINT64_MAX) {
		uint64_t missed = (now - t->deadline_ns) / t->period_ns;

		next = add_sat(t->deadline_ns, (missed + 1) > UINT64_MAX / t->period_ns
		                                ? UINT64_MAX : (missed + 1) * t->period_ns);
	}
	return next;
}

static void *timer_svc_main(void *arg)
{
	struct timer_svc *s = arg;

	e1k_irq_hook_start(&s->hooks);
	tl_svc = s;

	pthread_mutex_lock(&s->lock);
	while (!s->stopping) {
		struct ktimer *t = s->head;
		uint64_t now, seq;

		if (!t) {
			pthread_cond_wait(&s->cv, &s->lock);
			continue;
		}
		now = e1k_now_ns();
		if (t->deadline_ns > now) {
			struct timespec ts = e1k_irq_ns_to_ts(t->deadline_ns);

			/* Woken early by a new head or by stop: re-evaluate. */
			pthread_cond_timedwait(&s->cv, &s->lock, &ts);
			continue;
		}
		/* Fire: unlink and mark running in the same critical section in
		 * which a cancel would have found it pending (see the top). */
		s->head = t->next;
		t->next = NULL;
		t->state = KTIMER_IDLE;
		t->running = true;
		seq = t->seq;
		if (s->stopping)
			s->st_after_stop++;
		atomic_fetch_add_explicit(&t->fired, 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&s->st_fired, 1, memory_order_relaxed);
		pthread_mutex_unlock(&s->lock);

		t->fn(t);

		pthread_mutex_lock(&s->lock);
		t->running = false;
		/* Periodic: back on the list, unless the callback or someone else
		 * re-armed (state PENDING) or cancelled (seq bumped) it meanwhile. */
		if (t->period_ns && t->seq == seq && t->state == KTIMER_IDLE && !s->stopping) {
			t->deadline_ns = next_period(t, e1k_now_ns());
			(void)__ktimer_insert(s, t);
		}
		/* After this broadcast the owner may free t: do not touch it again. */
		pthread_cond_broadcast(&s->cb_cv);
	}
	s->exited = true;
	pthread_cond_broadcast(&s->cb_cv);
	pthread_mutex_unlock(&s->lock);

	tl_svc = NULL;
	e1k_irq_hook_stop(&s->hooks);
	return NULL;
}

int ktimer_arm(struct timer_svc *s, struct ktimer *t, uint64_t delay_ns, uint64_t period_ns)
{
	bool new_head;

	if (!s || !t || !t->fn)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	if (s->stopping) {
		pthread_mutex_unlock(&s->lock);
		return -ESHUTDOWN;
	}
	if (t->state != KTIMER_IDLE && t->svc != s) {
		pthread_mutex_unlock(&s->lock);
		return -EBUSY;
	}
	if (t->state == KTIMER_PENDING)
		__ktimer_unlink(s, t);
	t->seq++;
	t->deadline_ns = add_sat(e1k_now_ns(), delay_ns);
	t->period_ns = period_ns;
	new_head = __ktimer_insert(s, t);
	if (new_head)
		pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

bool ktimer_cancel(struct timer_svc *s, struct ktimer *t)
{
	bool was_pending = false;

	if (!s || !t)
		return false;
	pthread_mutex_lock(&s->lock);
	if (t->svc == s) {
		if (t->state == KTIMER_PENDING) {
			__ktimer_unlink(s, t);
			was_pending = true;
		} else if (t->state == KTIMER_DISCARDED) {
			t->state = KTIMER_IDLE;
			was_pending = true;
		}
		/* Bumping seq also stops a periodic timer whose callback runs now
		 * from being put back on the list when it returns. */
		t->seq++;
		if (was_pending)
			s->st_cancelled++;
	}
	pthread_mutex_unlock(&s->lock);
	return was_pending;
}

int ktimer_wait_callback_timeout(struct timer_svc *s, struct ktimer *t, uint64_t timeout_ns)
{
	uint64_t deadline;
	int err = 0;

	if (!s || !t)
		return -EINVAL;
	/* On the service thread the only callback that can be running is the
	 * caller itself. */
	if (tl_svc == s)
		return 0;
	deadline = add_sat(e1k_now_ns(), timeout_ns);
	pthread_mutex_lock(&s->lock);
	while (t->running) {
		struct timespec ts = e1k_irq_ns_to_ts(deadline);

		if (pthread_cond_timedwait(&s->cb_cv, &s->lock, &ts) == ETIMEDOUT && t->running) {
			err = -ETIMEDOUT;
			break;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return err;
}

void ktimer_wait_callback(struct timer_svc *s, struct ktimer *t)
{
	if (!s || !t || tl_svc == s)
		return;
	pthread_mutex_lock(&s->lock);
	while (t->running)
		pthread_cond_wait(&s->cb_cv, &s->lock);
	pthread_mutex_unlock(&s->lock);
}

bool ktimer_cancel_sync(struct timer_svc *s, struct ktimer *t)
{
	bool r = ktimer_cancel(s, t);

	/* Wait even after a true cancel: a periodic timer re-armed by its own
	 * running callback is pending and running at once. */
	ktimer_wait_callback(s, t);
	return r;
}

uint64_t ktimer_fired(const struct ktimer *t)
{
	return atomic_load_explicit(&((struct ktimer *)t)->fired, memory_order_relaxed);
}

bool ktimer_pending(struct timer_svc *s, struct ktimer *t)
{
	bool r;

	if (!s || !t)
		return false;
	pthread_mutex_lock(&s->lock);
	r = t->svc == s && t->state == KTIMER_PENDING;
	pthread_mutex_unlock(&s->lock);
	return r;
}

void timer_svc_stop(struct timer_svc *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	if (!s->stopping) {
		struct ktimer *t = s->head;

		s->stopping = true;
		/* Pending timers never fire now; a later cancel still reports
		 * them as "was pending, will not fire". */
		while (t) {
			struct ktimer *n = t->next;

			t->next = NULL;
			t->state = KTIMER_DISCARDED;
			s->st_discarded++;
			t = n;
		}
		s->head = NULL;
		pthread_cond_signal(&s->cv);
	}
	if (tl_svc == s || !s->started) {
		/* A callback cannot join its own thread; an unstarted service
		 * has none. */
		pthread_mutex_unlock(&s->lock);
		return;
	}
	if (s->joining) {
		while (!s->joined)
			pthread_cond_wait(&s->cb_cv, &s->lock);
		pthread_mutex_unlock(&s->lock);
		return;
	}
	s->joining = true;
	pthread_mutex_unlock(&s->lock);

	pthread_join(s->tid, NULL);

	pthread_mutex_lock(&s->lock);
	s->joined = true;
	s->started = false;
	s->joining = false;
	pthread_cond_broadcast(&s->cb_cv);
	pthread_mutex_unlock(&s->lock);
}

static void timer_svc_free(struct timer_svc *s)
{
	pthread_cond_destroy(&s->cb_cv);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

int timer_svc_create(const char *name, const struct e1k_thread_hooks *hooks,
                     struct timer_svc **out)
{
	struct timer_svc *s;
	int err;

	if (out)
		*out = NULL;
	if (!out)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	snprintf(s->name, sizeof(s->name), "%s", name ? name : "timer");
	if (hooks)
		s->hooks = *hooks;
	atomic_init(&s->st_fired, 0);
	err = -pthread_mutex_init(&s->lock, NULL);
	if (err)
		goto err_free;
	err = e1k_irq_cond_init_mono(&s->cv);
	if (err)
		goto err_mutex;
	err = e1k_irq_cond_init_mono(&s->cb_cv);
	if (err)
		goto err_cv;
	err = -pthread_create(&s->tid, NULL, timer_svc_main, s);
	if (err)
		goto err_cb_cv;
	s->started = true;
	e1k_irq_name_thread(s->tid, s->name, "-tmr");
	*out = s;
	return 0;

err_cb_cv:
	pthread_cond_destroy(&s->cb_cv);
err_cv:
	pthread_cond_destroy(&s->cv);
err_mutex:
	pthread_mutex_destroy(&s->lock);
err_free:
	free(s);
	return err;
}

void timer_svc_destroy(struct timer_svc *s)
{
	if (!s || tl_svc == s)
		return;
	timer_svc_stop(s);
	timer_svc_free(s);
}

void timer_svc_get_stats(struct timer_svc *s, struct timer_svc_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!s)
		return;
	st->fired = atomic_load_explicit(&s->st_fired, memory_order_relaxed);
	pthread_mutex_lock(&s->lock);
	st->cancelled = s->st_cancelled;
	st->discarded = s->st_discarded;
	st->callbacks_after_stop = s->st_after_stop;
	pthread_mutex_unlock(&s->lock);
}
