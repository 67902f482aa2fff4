/* SPDX-License-Identifier: MIT */
#include "e1k_rcu.h"

#include <stddef.h>

#if defined(E1K_TSAN)
char e1k_rcu_grace_token;
#endif

/* Registration nests per thread, so a library call and its caller may both
 * ask for it; liburcu itself asserts on a second registration. */
static _Thread_local unsigned online_depth;

void e1k_rcu_thread_online(void)
{
	if (online_depth++ == 0)
		urcu_memb_register_thread();
}

void e1k_rcu_thread_offline(void)
{
	if (online_depth > 0 && --online_depth == 0)
		urcu_memb_unregister_thread();
}

static void hook_start(void *ctx)
{
	(void)ctx;
	e1k_rcu_thread_online();
}

static void hook_stop(void *ctx)
{
	(void)ctx;
	e1k_rcu_thread_offline();
}

const struct e1k_thread_hooks e1k_rcu_hooks = {
	.on_start = hook_start,
	.on_stop = hook_stop,
	.ctx = NULL,
};

void e1k_rcu_synchronize(void)
{
	urcu_memb_synchronize_rcu();
	/* Every reader that released the token before the grace period ended
	 * happens-before what follows. */
	E1K_TSAN_ACQUIRE(&e1k_rcu_grace_token);
}

static void trampoline(struct rcu_head *rh)
{
	struct e1k_rcu_head *h = (struct e1k_rcu_head *)((char *)rh - offsetof(struct e1k_rcu_head, head));

	E1K_TSAN_ACQUIRE(h);
	E1K_TSAN_ACQUIRE(&e1k_rcu_grace_token);
	h->fn(h);
}

void e1k_call_rcu(struct e1k_rcu_head *h, void (*fn)(struct e1k_rcu_head *h))
{
	h->fn = fn;
	E1K_TSAN_RELEASE(h);
	urcu_memb_call_rcu(&h->head, trampoline);
}

void e1k_rcu_barrier(void)
{
	urcu_memb_barrier();
}
