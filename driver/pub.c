/* SPDX-License-Identifier: MIT */
/*
 * pub.c - publication of the adapter's shared state under RCU.  The datapath,
 * the ISR, the DPCs and the timers read struct e1k_pub inside read-side
 * sections; the control path (holding ctl_lock) replaces it as a whole:
 * copy, modify, publish, free the old one after a grace period.
 */
#include "adapter_internal.h"

#include <stdlib.h>
#include <string.h>

/* ---- publication ---- */

struct e1k_pub *e1k_pub_locked(struct e1k_adapter *ad)
{
	/* The control thread holds ctl_lock: no concurrent updater. */
	return atomic_load_explicit(&ad->pub, memory_order_relaxed);
}

struct e1k_pub *e1k_pub_copy(struct e1k_adapter *ad)
{
	struct e1k_pub *np = malloc(sizeof(*np));

	if (np)
		memcpy(np, e1k_pub_locked(ad), sizeof(*np));
	return np;
}

static void pub_free_cb(struct e1k_rcu_head *h)
{
	free((char *)h - offsetof(struct e1k_pub, rcu));
}

void e1k_pub_commit(struct e1k_adapter *ad, struct e1k_pub *np)
{
	struct e1k_pub *old = e1k_rcu_publish(&ad->pub, np);

	if (old)
		e1k_call_rcu(&old->rcu, pub_free_cb);
}

/*
 * State changes must not fail for lack of memory (a halt has to make progress),
 * so the state lives in the published object but is changed by an in-place
 * fallback when the copy cannot be allocated: readers load `state` as one
 * aligned word and see either value.
 */
void e1k_set_state(struct e1k_adapter *ad, enum e1k_state s, bool halting)
{
	struct e1k_pub *np = e1k_pub_copy(ad);

	if (np) {
		np->state = s;
		np->halting = halting;
		e1k_pub_commit(ad, np);
	} else {
		struct e1k_pub *cur = e1k_pub_locked(ad);

		__atomic_store_n(&cur->halting, halting, __ATOMIC_RELEASE);
		__atomic_store_n(&cur->state, s, __ATOMIC_RELEASE);
	}
	/* Senders asleep in e1k_adapter_tx_wait see the new state now, not at
	 * their timeout: a pause or a halt never waits for them (they sleep
	 * outside any read-side section), but they should stop waiting. */
	if (s != E1K_STATE_RUNNING)
		e1k_tx_wake_all(ad);
	/* Every reader that saw the previous state has finished. */
	e1k_rcu_synchronize();
}

void e1k_adapter_free(struct e1k_adapter *ad)
{
	/* Deferred frees of replaced states run first; the current one is ours. */
	e1k_rcu_barrier();
	free(atomic_load_explicit(&ad->pub, memory_order_relaxed));
	free(ad->rx_refs);
	free(ad->rx_next);
	pthread_mutex_destroy(&ad->ctl_lock);
	pthread_mutex_destroy(&ad->tx_lock);
	pthread_cond_destroy(&ad->tx_room);
	pthread_mutex_destroy(&ad->stats_lock);
	free(ad);
}

enum e1k_state e1k_adapter_state(struct e1k_adapter *ad)
{
	enum e1k_state s;

	pthread_mutex_lock(&ad->ctl_lock);
	s = e1k_pub_locked(ad)->state;
	pthread_mutex_unlock(&ad->ctl_lock);
	return s;
}
