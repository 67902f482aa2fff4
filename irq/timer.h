/* SPDX-License-Identifier: MIT */
/*
 * timer.h - the timer service: one thread that fires one-shot and periodic
 * timers (watchdog, link), with NDIS timer-object cancel semantics.
 *
 * Lifecycle:
 *   timer_svc_create()                   starts the service thread
 *     ktimer_init(t)                     once per timer object
 *     ktimer_arm / ktimer_cancel / ktimer_wait_callback / ktimer_cancel_sync
 *   timer_svc_stop()                     no callback runs after it returns
 *   timer_svc_destroy()                  stop if needed, free
 *
 * Semantics (NdisSetTimerObject / NdisCancelTimerObject):
 *   - ktimer_arm on an armed timer replaces its deadline and period.
 *   - ktimer_cancel returns true iff the timer was pending and now will not
 *     fire: for that arming its callback has not begun and never will.  It
 *     returns false when the timer was not pending: never armed, cancelled
 *     already, or fired (its callback has begun: it may be running right now).
 *     Cancelling a periodic timer also stops its future periods, even when it
 *     returns false because the current period's callback is running.
 *   - ktimer_wait_callback waits until the callback is not running: a false
 *     cancel followed by it means the callback has finished.
 *   - A periodic timer is put back on the list when its callback returns
 *     (not before), so its callbacks never overlap and a cancel made during
 *     a callback returns false.  Missed periods are skipped, not replayed.
 *
 * Threading: callbacks run one at a time on the service thread, with no lock
 * held; a callback may arm or cancel any timer (its own included) but must
 * not free its own ktimer, nor wait for its own callback (ktimer_wait_callback
 * from a callback returns at once).  The service thread calls hooks->on_start
 * first and hooks->on_stop last.  Deadlines are on CLOCK_MONOTONIC (the
 * service's condition variable uses pthread_condattr_setclock).
 *
 * Object lifetime: a ktimer may be freed once it is not pending and its
 * callback is not running: after ktimer_cancel_sync(), or after
 * timer_svc_stop().  A ktimer belongs to one service (arming it on a second
 * one while it is pending there is -EBUSY).  A callback that queues work
 * elsewhere (a DPC) keeps doing so until the service stops: free that
 * target only after timer_svc_stop().
 */
#ifndef E1K_IRQ_TIMER_H
#define E1K_IRQ_TIMER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "container_of.h"
#include "thread_hooks.h"

struct ktimer;
typedef void (*ktimer_fn)(struct ktimer *t);
struct timer_svc;

struct ktimer {
	ktimer_fn fn;
	const char *name;
	/* private: all but fired are protected by the service mutex */
	uint64_t deadline_ns;       /* CLOCK_MONOTONIC */
	uint64_t period_ns;         /* 0: one-shot */
	unsigned state;             /* KTIMER_* in timer.c */
	struct ktimer *next;        /* sorted list link */
	bool running;               /* its callback is executing */
	uint64_t seq;               /* arming generation: arm and cancel bump it */
	struct timer_svc *svc;      /* service it was last armed on */
	atomic_ulong fired;         /* callbacks begun */
};

struct timer_svc_stats {
	uint64_t fired;                 /* callbacks begun */
	uint64_t cancelled;             /* cancels that returned true */
	uint64_t discarded;             /* timers pending when the service stopped */
	uint64_t callbacks_after_stop;  /* callbacks begun after stop began: 0 by construction */
};

/*
 * timer_svc_create - start the service thread, named "<name>-tmr".
 * Returns 0, -EINVAL, -ENOMEM or a negated pthread error; *out NULL on failure.
 * Context: control.
 */
int timer_svc_create(const char *name, const struct e1k_thread_hooks *hooks,
                     struct timer_svc **out);

/* Context: any, while the timer is not armed or running.  Locks: none. */
void ktimer_init(struct ktimer *t, const char *name, ktimer_fn fn);

/*
 * ktimer_arm - (re)arm @t to fire after delay_ns, then every period_ns
 * (0 = one-shot).  Replaces a pending arming.
 * Returns 0, -EINVAL (NULL, no fn), -EBUSY (pending on another service),
 * -ESHUTDOWN after timer_svc_stop began.
 * Context: any, callbacks included.  Locks: service mutex.  May block: no.
 */
int ktimer_arm(struct timer_svc *s, struct ktimer *t, uint64_t delay_ns, uint64_t period_ns);

/*
 * ktimer_cancel - see the semantics above.  Also true for a timer that was
 * pending when the service stopped (it never fired and never will).
 * Context: any.  Locks: service mutex.  May block: no.
 */
bool ktimer_cancel(struct timer_svc *s, struct ktimer *t);

/*
 * ktimer_wait_callback - return when @t's callback is not running.  From the
 * service thread (a callback) it returns at once.
 * Context: control or any thread but the service thread.  May block: until
 * the running callback returns.
 */
void ktimer_wait_callback(struct timer_svc *s, struct ktimer *t);
/* Bounded variant: 0 or -ETIMEDOUT. */
int ktimer_wait_callback_timeout(struct timer_svc *s, struct ktimer *t, uint64_t timeout_ns);

/* Cancel, then wait for the callback; returns the cancel's result.  After it
 * returns (and until it is armed again) @t does not fire and its callback is
 * not running.  Context/May block: as ktimer_wait_callback. */
bool ktimer_cancel_sync(struct timer_svc *s, struct ktimer *t);

/* Callbacks of @t begun so far.  Context: any. */
uint64_t ktimer_fired(const struct ktimer *t);

/* True while @t is armed and has not fired (nor been cancelled).  Context: any. */
bool ktimer_pending(struct timer_svc *s, struct ktimer *t);

/*
 * timer_svc_stop - refuse new arms (-ESHUTDOWN), discard pending timers, let
 * the running callback finish, join the thread.  After it returns no callback
 * runs.  Idempotent; accepts NULL.  From a callback it cannot join its own
 * thread: it refuses arms and discards pending timers, and the owner's later
 * stop/destroy joins.
 * Context: control.  May block: until the running callback returns.
 */
void timer_svc_stop(struct timer_svc *s);

/* Stop if needed, free.  Accepts NULL.  Context: control (not a callback:
 * from one it does nothing). */
void timer_svc_destroy(struct timer_svc *s);

/* Context: any. */
void timer_svc_get_stats(struct timer_svc *s, struct timer_svc_stats *st);

#endif /* E1K_IRQ_TIMER_H */
