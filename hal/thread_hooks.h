/* SPDX-License-Identifier: MIT */
/*
 * thread_hooks.h - per-thread start/stop hooks for the threads a module starts
 * (irq/: DPC workers, the timer service thread, the interrupt thread; cli/:
 * the control server thread).
 *
 * The driver registers each of its threads with RCU (rcu_register_thread /
 * rcu_unregister_thread); the modules that start threads know nothing of RCU,
 * so they call these hooks instead:
 *   on_start  is the first thing the new thread does, before any callback;
 *   on_stop   is the last thing it does, after its last callback returned.
 * The struct is copied at create time; ctx must stay valid until the module's
 * stop function returned.  Both hooks may be NULL; a NULL hooks pointer means
 * "no hooks".
 */
#ifndef E1K_THREAD_HOOKS_H
#define E1K_THREAD_HOOKS_H

struct e1k_thread_hooks {           /* run on every thread a module starts, e.g. rcu_register_thread */
	void (*on_start)(void *ctx);    /* first thing in the new thread; may be NULL */
	void (*on_stop)(void *ctx);     /* last thing before the thread returns; may be NULL */
	void *ctx;
};

#endif /* E1K_THREAD_HOOKS_H */
