/* SPDX-License-Identifier: MIT */
/*
 * control.c - control requests (filters, promiscuous, MTU, statistics) and
 * the upper-edge bindings.
 *
 * Every request takes ctl_lock, validates against the current published
 * state, publishes a modified copy (RCU copy-update), then programs the
 * device.  Requests are refused (-EPERM) once the adapter is halting or
 * halted, and (-ENODEV) once the device is gone.
 */
#include "adapter_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* Take ctl_lock for a request that needs a live adapter (and, when
 * need_device, a device that is still there).  Returns with the lock held
 * on success. */
int e1k_begin_request(struct e1k_adapter *ad, bool need_device)
{
	enum e1k_state s;

	pthread_mutex_lock(&ad->ctl_lock);
	s = e1k_pub_locked(ad)->state;
	if (s == E1K_STATE_HALTING || s == E1K_STATE_HALTED || s == E1K_STATE_INITIALIZING) {
		pthread_mutex_unlock(&ad->ctl_lock);
		return -EPERM;
	}
	if (need_device && hal_is_gone(ad->hw)) {
		pthread_mutex_unlock(&ad->ctl_lock);
		return -ENODEV;
	}
	return 0;
}

static int begin_request(struct e1k_adapter *ad)
{
	return e1k_begin_request(ad, true);
}

/* Read the filters back.  A device that did not take them leaves the
 * adapter's published filters and the hardware inconsistent: NDIS 5.1 halts
 * such an adapter with NdisHaltDeviceFailed. */
static bool filters_stuck(struct e1k_adapter *ad, const struct e1k_pub *p)
{
	struct e1k_hw_filters f = {
		.uc = (const uint8_t (*)[6])p->uc, .nuc = p->nuc,
		.mc = (const uint8_t (*)[6])p->mc, .nmc = p->nmc,
	};

	return e1k_hw_filters_stuck(ad->hw, &f);
}

static int commit_request(struct e1k_adapter *ad, struct e1k_pub *np)
{
	bool stuck;

	e1k_pub_commit(ad, np);
	e1k_program_filters(ad, np);
	stuck = !hal_is_gone(ad->hw) && filters_stuck(ad, np);
	if (stuck)
		/* Under the lock: once it is dropped a halt may close the device. */
		e1k_log(E1K_LOG_ERROR, "%s: receive filters did not take effect in the device",
		        ad->hw->name);
	pthread_mutex_unlock(&ad->ctl_lock);
	if (stuck) {
		e1k_request_halt(ad, E1K_HALT_FAILED, "a filter request failed in the device");
		return -EIO;
	}
	return 0;
}

/* The unicast (RAR 1..15) and multicast (MTA) lists differ only in where they
 * live in the published state and which addresses they accept. */
struct addr_list {
	size_t   off_list, off_count;
	unsigned max;
	bool     multicast;
};

static const struct addr_list uc_list = {
	offsetof(struct e1k_pub, uc), offsetof(struct e1k_pub, nuc), E1K_UC_MAX, false,
};
static const struct addr_list mc_list = {
	offsetof(struct e1k_pub, mc), offsetof(struct e1k_pub, nmc), E1K_MC_MAX, true,
};

static uint8_t (*list_of(const struct addr_list *l, struct e1k_pub *p))[6]
{
	return (uint8_t (*)[6])((char *)p + l->off_list);
}

static unsigned *count_of(const struct addr_list *l, struct e1k_pub *p)
{
	return (unsigned *)((char *)p + l->off_count);
}

static int find_mac(uint8_t (*list)[6], unsigned n, const uint8_t mac[6])
{
	for (unsigned i = 0; i < n; i++)
		if (memcmp(list[i], mac, 6) == 0)
			return (int)i;
	return -1;
}

static int list_add(struct e1k_adapter *ad, const struct addr_list *l, const uint8_t mac[6])
{
	struct e1k_pub *cur, *np;
	int rc;

	/* Bit 0 of the first octet: group address (802.3 3.2.3). */
	if (!!(mac[0] & 1) != l->multicast)
		return -EINVAL;
	if ((rc = begin_request(ad)) < 0)
		return rc;
	cur = e1k_pub_locked(ad);
	if ((!l->multicast && memcmp(mac, ad->mac, 6) == 0) ||
	    find_mac(list_of(l, cur), *count_of(l, cur), mac) >= 0)
		rc = -EEXIST;
	else if (*count_of(l, cur) >= l->max)
		rc = -ENOSPC;
	else if (!(np = e1k_pub_copy(ad)))
		rc = -ENOMEM;
	if (rc < 0) {
		pthread_mutex_unlock(&ad->ctl_lock);
		return rc;
	}
	memcpy(list_of(l, np)[(*count_of(l, np))++], mac, 6);
	return commit_request(ad, np);
}

static int list_del(struct e1k_adapter *ad, const struct addr_list *l, const uint8_t mac[6])
{
	struct e1k_pub *cur, *np = NULL;
	unsigned n;
	int rc, i;

	if ((rc = begin_request(ad)) < 0)
		return rc;
	cur = e1k_pub_locked(ad);
	i = find_mac(list_of(l, cur), *count_of(l, cur), mac);
	if (i < 0)
		rc = -ENOENT;
	else if (!(np = e1k_pub_copy(ad)))
		rc = -ENOMEM;
	if (rc < 0) {
		pthread_mutex_unlock(&ad->ctl_lock);
		return rc;
	}
	n = *count_of(l, np);
	memmove(list_of(l, np)[i], list_of(l, np)[i + 1], 6u * (n - (unsigned)i - 1));
	(*count_of(l, np))--;
	return commit_request(ad, np);
}

int e1k_adapter_filter_add(struct e1k_adapter *ad, const uint8_t mac[6])
{
	return list_add(ad, &uc_list, mac);
}

int e1k_adapter_filter_del(struct e1k_adapter *ad, const uint8_t mac[6])
{
	return list_del(ad, &uc_list, mac);
}

int e1k_adapter_mcast_add(struct e1k_adapter *ad, const uint8_t mac[6])
{
	return list_add(ad, &mc_list, mac);
}

int e1k_adapter_mcast_del(struct e1k_adapter *ad, const uint8_t mac[6])
{
	return list_del(ad, &mc_list, mac);
}

int e1k_adapter_filter_list(struct e1k_adapter *ad, uint8_t (*macs)[6], unsigned max)
{
	const struct e1k_pub *p;
	unsigned n;

	pthread_mutex_lock(&ad->ctl_lock);
	p = e1k_pub_locked(ad);
	n = p->nuc;
	for (unsigned i = 0; i < n && i < max; i++)
		memcpy(macs[i], p->uc[i], 6);
	pthread_mutex_unlock(&ad->ctl_lock);
	return (int)n;
}

/* begin_request, then a copy of the published state to modify and commit.
 * NULL (lock not held) with *rc set on failure. */
static struct e1k_pub *begin_update(struct e1k_adapter *ad, int *rc)
{
	struct e1k_pub *np;

	if ((*rc = begin_request(ad)) < 0)
		return NULL;
	if (!(np = e1k_pub_copy(ad))) {
		pthread_mutex_unlock(&ad->ctl_lock);
		*rc = -ENOMEM;
	}
	return np;
}

int e1k_adapter_set_promisc(struct e1k_adapter *ad, bool on)
{
	struct e1k_pub *np;
	int rc;

	if (!(np = begin_update(ad, &rc)))
		return rc;
	np->promisc = on;
	return commit_request(ad, np);
}

int e1k_adapter_set_mtu(struct e1k_adapter *ad, unsigned mtu)
{
	struct e1k_pub *np;
	int rc;

	/* Above 1500 the device chains 2 KiB buffers (RCTL.LPE, written with
	 * the filters when the request commits). */
	if (mtu < E1K_MTU_MIN || mtu > ad->max_mtu)
		return -EINVAL;
	if (!(np = begin_update(ad, &rc)))
		return rc;
	np->mtu = mtu;
	return commit_request(ad, np);
}

int e1k_adapter_get_mtu(struct e1k_adapter *ad)
{
	int mtu;

	pthread_mutex_lock(&ad->ctl_lock);
	mtu = (int)e1k_pub_locked(ad)->mtu;
	pthread_mutex_unlock(&ad->ctl_lock);
	return mtu;
}

unsigned e1k_adapter_max_mtu(struct e1k_adapter *ad)
{
	return ad->max_mtu;
}

unsigned e1k_adapter_offloads(struct e1k_adapter *ad)
{
	return ad->offloads;
}

int e1k_adapter_bind(struct e1k_adapter *ad, const struct e1k_binding_ops *ops, void *ctx)
{
	struct e1k_pub *np;
	int rc;

	if (!ops || !ops->receive)
		return -EINVAL;
	if ((rc = begin_request(ad)) < 0)
		return rc;
	if (e1k_pub_locked(ad)->nbind >= E1K_MAX_BINDINGS) {
		pthread_mutex_unlock(&ad->ctl_lock);
		return -ENOSPC;
	}
	if (!(np = e1k_pub_copy(ad))) {
		pthread_mutex_unlock(&ad->ctl_lock);
		return -ENOMEM;
	}
	np->bind[np->nbind].ops = ops;
	np->bind[np->nbind].ctx = ctx;
	np->nbind++;
	/* Before the publication: a DPC that sees two bindings finds the
	 * return path counting references (release; datapath.c acquires). */
	if (np->nbind > 1)
		atomic_store_explicit(&ad->rx_multi, true, memory_order_release);
	e1k_pub_commit(ad, np);
	pthread_mutex_unlock(&ad->ctl_lock);
	return 0;
}

/* Caller holds ctl_lock. */
static int unbind_locked(struct e1k_adapter *ad, const struct e1k_binding_ops *ops, void *ctx)
{
	struct e1k_pub *np = e1k_pub_copy(ad);
	unsigned j = 0;
	bool found = false;

	if (!np)
		return -ENOMEM;
	for (unsigned i = 0; i < np->nbind; i++) {
		if (!found && np->bind[i].ops == ops && np->bind[i].ctx == ctx) {
			found = true;
			continue;
		}
		np->bind[j++] = np->bind[i];
	}
	if (!found) {
		free(np);
		return -ENOENT;
	}
	np->nbind = j;
	e1k_pub_commit(ad, np);
	/* No DPC is still inside receive() of the removed binding. */
	e1k_rcu_synchronize();
	return 0;
}

static int unbind_common(struct e1k_adapter *ad, const struct e1k_binding_ops *ops, void *ctx,
                         bool wait)
{
	bool last;
	int rc;

	if (wait)
		pthread_mutex_lock(&ad->ctl_lock);
	else if (pthread_mutex_trylock(&ad->ctl_lock) != 0)
		return -EBUSY;
	rc = unbind_locked(ad, ops, ctx);
	last = rc == 0 && e1k_pub_locked(ad)->nbind == 0 &&
	       e1k_pub_locked(ad)->state != E1K_STATE_HALTING;
	pthread_mutex_unlock(&ad->ctl_lock);
	if (last && ad->cfg.halt_when_unbound)
		e1k_request_halt(ad, E1K_HALT_INSTANCE_DEINITIALIZED, "the last upper binding went away");
	return rc;
}

int e1k_adapter_unbind(struct e1k_adapter *ad, const struct e1k_binding_ops *ops, void *ctx)
{
	return unbind_common(ad, ops, ctx, true);
}

int e1k_adapter_unbind_nowait(struct e1k_adapter *ad, const struct e1k_binding_ops *ops, void *ctx)
{
	return unbind_common(ad, ops, ctx, false);
}

/* Read the clear-on-read statistics registers into the accumulators.
 * Context: timer thread or control; takes stats_lock. */
void e1k_stats_accumulate(struct e1k_adapter *ad)
{
	if (hal_is_gone(ad->hw))
		return;
	pthread_mutex_lock(&ad->stats_lock);
	e1k_hw_read_stats(ad->hw, &ad->dev);
	pthread_mutex_unlock(&ad->stats_lock);
}

int e1k_adapter_get_stats(struct e1k_adapter *ad, struct e1k_stats *st)
{
	enum e1k_state s;

	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&ad->ctl_lock);
	s = e1k_pub_locked(ad)->state;
	if (s != E1K_STATE_HALTED && s != E1K_STATE_HALTING)
		e1k_stats_accumulate(ad);
	pthread_mutex_lock(&ad->stats_lock);
	st->dev_gprc = ad->dev.gprc;
	st->dev_gptc = ad->dev.gptc;
	st->dev_gorc = ad->dev.gorc;
	st->dev_gotc = ad->dev.gotc;
	st->dev_mpc = ad->dev.mpc;
	st->dev_rnbc = ad->dev.rnbc;
	st->dev_crcerrs = ad->dev.crcerrs;
	st->dev_ruc = ad->dev.ruc;
	st->dev_roc = ad->dev.roc;
	st->dev_tpr = ad->dev.tpr;
	st->dev_tpt = ad->dev.tpt;
	st->dev_bprc = ad->dev.bprc;
	st->dev_mprc = ad->dev.mprc;
	pthread_mutex_unlock(&ad->stats_lock);
#define LD(x) st->x = atomic_load_explicit(&ad->x, memory_order_relaxed)
	LD(tx_packets); LD(tx_bytes); LD(tx_completed); LD(tx_aborted); LD(tx_busy); LD(tx_hangs);
	LD(tx_waits); LD(tx_wait_timeouts);
	LD(rx_packets); LD(rx_bytes); LD(rx_indicated); LD(rx_returned); LD(rx_no_binding);
	LD(rx_dropped_paused); LD(dpc_runs); LD(link_changes); LD(watchdog_runs); LD(rx_stalls);
#undef LD
	st->rx_outstanding = st->rx_indicated - st->rx_returned;
	st->interrupts = atomic_load(&ad->isr.runs);
	st->itr_ns = atomic_load_explicit(&ad->itr_ns_now, memory_order_relaxed);
	st->itr_changes = atomic_load_explicit(&ad->itr_changes, memory_order_relaxed);
	st->isr_not_ours = atomic_load(&ad->isr.not_ours);
	st->rx_bad_length = atomic_load_explicit(&ad->rx_bad_length, memory_order_relaxed);
	st->rx_bad_status = atomic_load_explicit(&ad->rx_bad_status, memory_order_relaxed);
	st->rx_bad_frag = atomic_load_explicit(&ad->rx_bad_frag, memory_order_relaxed);
	st->tx_tso = atomic_load_explicit(&ad->tx_tso, memory_order_relaxed);
	st->tx_csum = atomic_load_explicit(&ad->tx_csum, memory_order_relaxed);
	st->tx_bad_offload = atomic_load_explicit(&ad->tx_bad_offload, memory_order_relaxed);
	st->tx_zero_copy = atomic_load_explicit(&ad->tx_zero_copy, memory_order_relaxed);
	st->tx_borrowed = atomic_load_explicit(&ad->tx_borrowed, memory_order_relaxed);
	st->rx_csum_ok = atomic_load_explicit(&ad->rx_csum_ok, memory_order_relaxed);
	st->rx_chained = atomic_load_explicit(&ad->rx_chained, memory_order_relaxed);
	if (ad->tx) {
		pthread_mutex_lock(&ad->tx_lock);
		st->tx_in_flight = tx_ring_in_flight(ad->tx);
		st->pool_free = ad->tx_nstash;   /* free, kept for the next send */
		pthread_mutex_unlock(&ad->tx_lock);
	}
	if (ad->pool) {
		st->pool_free += pkt_pool_free_count(ad->pool);
		st->pool_size = pkt_pool_size(ad->pool);
		st->pool_bad_puts = pkt_pool_bad_puts(ad->pool);
	}
	st->link_up = atomic_load(&ad->link_up);
	st->link_mbps = atomic_load(&ad->link_mbps);
	pthread_mutex_unlock(&ad->ctl_lock);
	return 0;
}

int e1k_adapter_ledger_add(struct e1k_adapter *ad, int kind, const char *name,
                           void (*release)(void *arg), void *arg)
{
	int rc;

	if ((rc = e1k_begin_request(ad, false)) < 0)
		return rc;
	rc = ledger_acquired(&ad->ledger, (enum ledger_kind)kind, E1K_HS_UNBIND_UPPER, name, release, arg);
	pthread_mutex_unlock(&ad->ctl_lock);
	return rc;
}
