/* SPDX-License-Identifier: MIT */
/*
 * hooks.h - per-thread start/stop hooks for the threads the irq module starts
 * (DPC workers, the timer service thread, the interrupt thread).
 *
 * The driver registers each of its threads with RCU (rcu_register_thread /
 * rcu_unregister_thread); the irq module knows nothing of RCU, so it calls
 * these hooks instead:
 *   on_start  is the first thing the new thread does, before any callback;
 *   on_stop   is the last thing it does, after its last callback returned.
 * The struct is copied at create time; ctx must stay valid until the module's
 * stop function returned.  Both hooks may be NULL; a NULL hooks pointer means
 * "no hooks".
 */
#ifndef E1K_IRQ_HOOKS_H
#define E1K_IRQ_HOOKS_H

#include <stddef.h>

struct e1k_thread_hooks {           /* run on every thread a module starts, e.g. rcu_register_thread */
	void (*on_start)(void *ctx);    /* first thing in the new thread; may be NULL */
	void (*on_stop)(void *ctx);     /* last thing before the thread returns; may be NULL */
	void *ctx;
};

/* Embedded objects (struct dpc, struct ktimer) are found again from their
 * callback argument with container_of. */
#ifndef container_of
#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))
#endif

#endif /* E1K_IRQ_HOOKS_H */
