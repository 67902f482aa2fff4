/* SPDX-License-Identifier: MIT */
/*
 * e1k_rcu.h - the one place e1kd touches liburcu (memb flavour).
 *
 * Every thread that enters a read-side section must be registered:
 * e1k_rcu_thread_online() first thing in the thread, e1k_rcu_thread_offline()
 * last (the irq/DPC/timer/control threads do this through e1k_rcu_hooks).
 *
 * Publication uses C11 atomics rather than rcu_assign_pointer/rcu_dereference:
 * an acquire load costs the same as a consume load on the targets we build for,
 * and ThreadSanitizer understands it.  What TSan cannot see -- that a grace
 * period separates every reader from the free that follows synchronize or
 * call_rcu -- is told to it with __tsan_release/__tsan_acquire on one token
 * (docs/architecture.md, "RCU").  In non-TSan builds those
 * annotations compile away.
 */
#ifndef E1K_RCU_H
#define E1K_RCU_H

#include <stdatomic.h>
#include <urcu/urcu-memb.h>

#include "thread_hooks.h"

#if defined(E1K_TSAN)
#include <sanitizer/tsan_interface.h>
extern char e1k_rcu_grace_token;
#define E1K_TSAN_RELEASE(p) __tsan_release((void *)(p))
#define E1K_TSAN_ACQUIRE(p) __tsan_acquire((void *)(p))
#else
#define E1K_TSAN_RELEASE(p) ((void)0)
#define E1K_TSAN_ACQUIRE(p) ((void)0)
#endif

/* Context: any thread, before its first read-side section.  Calls nest:
 * each online needs one offline; the outermost pair registers. */
void e1k_rcu_thread_online(void);
/* Context: the same thread, after its last read-side section. */
void e1k_rcu_thread_offline(void);
/* Hooks that register/unregister a module's threads with RCU. */
extern const struct e1k_thread_hooks e1k_rcu_hooks;

static inline void e1k_rcu_read_lock(void)
{
	urcu_memb_read_lock();
}

static inline void e1k_rcu_read_unlock(void)
{
	/* Release before unlock: a grace period may end right after unlock. */
	E1K_TSAN_RELEASE(&e1k_rcu_grace_token);
	urcu_memb_read_unlock();
}

/* Read a published pointer inside a read-side section. */
#define e1k_rcu_deref(pp) atomic_load_explicit((pp), memory_order_acquire)
/* Publish a fully initialised object; returns the previous one.  The release
 * pairs with the acquire in e1k_rcu_deref: readers see the initialisation. */
#define e1k_rcu_publish(pp, v) atomic_exchange_explicit((pp), (v), memory_order_acq_rel)

/* May block.  Context: not inside a read-side section.  Returns after every
 * read-side section that began before the call has ended. */
void e1k_rcu_synchronize(void);

struct e1k_rcu_head {
	struct rcu_head head;
	void (*fn)(struct e1k_rcu_head *h);
};

/* Context: any registered thread.  fn runs on liburcu's call_rcu thread after a
 * grace period; the object embedding h belongs to fn from then on. */
void e1k_call_rcu(struct e1k_rcu_head *h, void (*fn)(struct e1k_rcu_head *h));

/* May block.  Waits for every e1k_call_rcu callback queued before the call. */
void e1k_rcu_barrier(void);

#endif /* E1K_RCU_H */
