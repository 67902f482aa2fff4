/* SPDX-License-Identifier: MIT */
/*
 * control.c - control requests (filters, promiscuous, MTU, statistics),
 * bindings, and the watchdog timer.
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

/* SDM 13.4.22 / 13.5.1: with RCTL.MO = 0 the MTA index is bits 47:36. */
static unsigned mta_hash(const uint8_t mac[6])
{
	return (((unsigned)mac[4] >> 4) | ((unsigned)mac[5] << 4)) & 0xfffu;
}

void e1k_program_filters(struct e1k_adapter *ad, const struct e1k_pub *p)
{
	struct hal_dev *hw = ad->hw;
	uint32_t mta[E1000_MTA_WORDS] = { 0 };
	uint32_t rctl;

	for (unsigned i = 0; i < E1K_UC_MAX; i++) {
		if (i < p->nuc) {
			const uint8_t *m = p->uc[i];

			hal_wr32(hw, E1000_RAL(i + 1), (uint32_t)m[0] | (uint32_t)m[1] << 8 |
			         (uint32_t)m[2] << 16 | (uint32_t)m[3] << 24);
			hal_wr32(hw, E1000_RAH(i + 1), (uint32_t)m[4] | (uint32_t)m[5] << 8 | E1000_RAH_AV);
		} else {
			/* Clear AV first so the filter is never half-written. */
			hal_wr32(hw, E1000_RAH(i + 1), 0);
			hal_wr32(hw, E1000_RAL(i + 1), 0);
		}
	}
	for (unsigned i = 0; i < p->nmc; i++) {
		unsigned h = mta_hash(p->mc[i]);

		mta[h >> 5] |= 1u << (h & 31);
	}
	for (unsigned i = 0; i < E1000_MTA_WORDS; i++)
		hal_wr32(hw, E1000_MTA + 4 * i, mta[i]);

	rctl = hal_rd32(hw, E1000_RCTL);
	rctl &= ~(E1000_RCTL_UPE | E1000_RCTL_MPE | E1000_RCTL_MO_MASK | E1000_RCTL_BSIZE_MASK |
	          E1000_RCTL_BSEX | E1000_RCTL_LPE | E1000_RCTL_LBM_MASK);
	rctl |= E1000_RCTL_BAM | E1000_RCTL_BSIZE_2048 | E1000_RCTL_SECRC;
	if (p->promisc)
		rctl |= E1000_RCTL_UPE | E1000_RCTL_MPE;
	if (p->state == E1K_STATE_RUNNING || p->state == E1K_STATE_RESTARTING)
		rctl |= E1000_RCTL_EN;
	hal_wr32(hw, E1000_RCTL, rctl);
}

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
	struct hal_dev *hw = ad->hw;
	uint32_t mta[E1000_MTA_WORDS] = { 0 };

	for (unsigned i = 0; i < p->nuc; i++) {
		const uint8_t *m = p->uc[i];

		if (hal_rd32(hw, E1000_RAL(i + 1)) != ((uint32_t)m[0] | (uint32_t)m[1] << 8 |
		                                       (uint32_t)m[2] << 16 | (uint32_t)m[3] << 24) ||
		    hal_rd32(hw, E1000_RAH(i + 1)) != ((uint32_t)m[4] | (uint32_t)m[5] << 8 | E1000_RAH_AV))
			return true;
	}
	for (unsigned i = 0; i < p->nmc; i++) {
		unsigned h = mta_hash(p->mc[i]);

		mta[h >> 5] |= 1u << (h & 31);
	}
	for (unsigned i = 0; i < E1000_MTA_WORDS; i++)
		if (hal_rd32(hw, E1000_MTA + 4 * i) != mta[i])
			return true;
	return false;
}

static int commit_request(struct e1k_adapter *ad, struct e1k_pub *np)
{
	bool stuck;

	e1k_pub_commit(ad, np);
	e1k_program_filters(ad, np);
	stuck = !hal_is_gone(ad->hw) && filters_stuck(ad, np);
	pthread_mutex_unlock(&ad->ctl_lock);
	if (stuck) {
		e1k_log(E1K_LOG_ERROR, "%s: receive filters did not take effect in the device",
		        ad->hw->name);
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

int e1k_adapter_set_promisc(struct e1k_adapter *ad, bool on)
{
	struct e1k_pub *np;
	int rc;

	if ((rc = begin_request(ad)) < 0)
		return rc;
	if (!(np = e1k_pub_copy(ad))) {
		pthread_mutex_unlock(&ad->ctl_lock);
		return -ENOMEM;
	}
	np->promisc = on;
	return commit_request(ad, np);
}

int e1k_adapter_set_mtu(struct e1k_adapter *ad, unsigned mtu)
{
	struct e1k_pub *np;
	int rc;

	/* 2 KiB receive buffers hold 1500 + header + VLAN tag; jumbo frames
	 * would need multi-descriptor receive, which the ring refuses. */
	if (mtu < 68 || mtu > 1500)
		return -EINVAL;
	if ((rc = begin_request(ad)) < 0)
		return rc;
	if (!(np = e1k_pub_copy(ad))) {
		pthread_mutex_unlock(&ad->ctl_lock);
		return -ENOMEM;
	}
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
	e1k_pub_commit(ad, np);
	pthread_mutex_unlock(&ad->ctl_lock);
	return 0;
}

/* Caller holds ctl_lock. */
int e1k_unbind_locked(struct e1k_adapter *ad, const struct e1k_binding_ops *ops, void *ctx)
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
	rc = e1k_unbind_locked(ad, ops, ctx);
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
	struct hal_dev *hw = ad->hw;
	struct e1k_stats *d = &ad->dev;

	if (hal_is_gone(hw))
		return;
	pthread_mutex_lock(&ad->stats_lock);
	d->dev_gprc += hal_rd32(hw, E1000_GPRC);
	d->dev_gptc += hal_rd32(hw, E1000_GPTC);
	/* 64-bit octet counters: read low first (SDM 13.7). */
	d->dev_gorc += hal_rd32(hw, E1000_GORCL);
	d->dev_gorc += (uint64_t)hal_rd32(hw, E1000_GORCH) << 32;
	d->dev_gotc += hal_rd32(hw, E1000_GOTCL);
	d->dev_gotc += (uint64_t)hal_rd32(hw, E1000_GOTCH) << 32;
	d->dev_mpc += hal_rd32(hw, E1000_MPC);
	d->dev_rnbc += hal_rd32(hw, E1000_RNBC);
	d->dev_crcerrs += hal_rd32(hw, E1000_CRCERRS);
	d->dev_ruc += hal_rd32(hw, E1000_RUC);
	d->dev_roc += hal_rd32(hw, E1000_ROC);
	d->dev_tpr += hal_rd32(hw, E1000_TPR);
	d->dev_tpt += hal_rd32(hw, E1000_TPT);
	d->dev_bprc += hal_rd32(hw, E1000_BPRC);
	d->dev_mprc += hal_rd32(hw, E1000_MPRC);
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
	*st = ad->dev;
	pthread_mutex_unlock(&ad->stats_lock);
#define LD(x) st->x = atomic_load_explicit(&ad->x, memory_order_relaxed)
	LD(tx_packets); LD(tx_bytes); LD(tx_completed); LD(tx_aborted); LD(tx_busy); LD(tx_hangs);
	LD(rx_packets); LD(rx_bytes); LD(rx_indicated); LD(rx_returned); LD(rx_no_binding);
	LD(rx_dropped_paused); LD(dpc_runs); LD(link_changes); LD(watchdog_runs); LD(rx_stalls);
#undef LD
	st->rx_outstanding = st->rx_indicated - st->rx_returned;
	st->interrupts = atomic_load(&ad->isr.runs);
	st->isr_not_ours = atomic_load(&ad->isr.not_ours);
	st->rx_bad_length = atomic_load_explicit(&ad->rx_bad_length, memory_order_relaxed);
	st->rx_bad_status = atomic_load_explicit(&ad->rx_bad_status, memory_order_relaxed);
	st->rx_bad_frag = atomic_load_explicit(&ad->rx_bad_frag, memory_order_relaxed);
	if (ad->tx) {
		pthread_mutex_lock(&ad->tx_lock);
		st->tx_in_flight = tx_ring_in_flight(ad->tx);
		pthread_mutex_unlock(&ad->tx_lock);
	}
	if (ad->pool) {
		st->pool_free = pkt_pool_free_count(ad->pool);
		st->pool_size = pkt_pool_size(ad->pool);
		st->pool_bad_puts = pkt_pool_bad_puts(ad->pool);
	}
	st->link_up = atomic_load(&ad->link_up);
	st->link_mbps = atomic_load(&ad->link_mbps);
	pthread_mutex_unlock(&ad->ctl_lock);
	return 0;
}

/* An RX stall must last this long (and at least 3 periods) before it is
 * reported: a verdict that halts the adapter must not come from one DPC run
 * preempted between harvesting and publishing its progress. */
#define RX_STALL_MIN_MS 500u

/*
 * RX stall (docs/robustness.md, F1).  The ring is harvested in order, so a
 * device that moves RDH past a descriptor without writing it back (the
 * model's HOSTILE fault; a real e1000 writes DD before its head moves on)
 * leaves poll waiting on that slot for good: nothing is indicated again and
 * only the device's RNBC/MPC move.  Stalled means, on every tick for
 * max(3, RX_STALL_MIN_MS / period) ticks in a row: buffers are posted,
 * nothing was harvested since the previous tick, RDH is not at the slot poll
 * waits on (the device has gone past it), and that slot has no DD (so this
 * is not a late DPC or a lost interrupt: those leave DD set).  Then the
 * stall is counted and the owner asked for a `failed` halt, as for a TX hang.
 * Cost per tick: one RDH read and one status byte load.
 */
static void rx_stall_check(struct e1k_adapter *ad)
{
	struct rx_ring_progress pr;
	unsigned need = RX_STALL_MIN_MS / ad->cfg.watchdog_ms;
	bool stuck;
	uint32_t rdh;

	rx_ring_get_progress(ad->rx, &pr);
	rdh = rx_ring_hw_head(ad->rx);
	if (e1k_check_removed(ad, rdh))
		return;
	/* DD read after RDH: a write-back the device made before moving its
	 * head is visible here. */
	stuck = pr.posted > 0 && pr.consumed == ad->wd_rx_consumed && rdh != pr.next_clean &&
	        !rx_ring_desc_done(ad->rx, pr.next_clean);
	ad->wd_rx_consumed = pr.consumed;
	if (!stuck) {
		ad->wd_rx_stuck = 0;
		return;
	}
	if (need < 3)
		need = 3;
	if (++ad->wd_rx_stuck != need)
		return;
	atomic_fetch_add_explicit(&ad->rx_stalls, 1, memory_order_relaxed);
	e1k_log(E1K_LOG_ERROR, "%s: receive stalled: the device moved RDH to %u past descriptor %u "
	        "without writing it back (%u buffers posted, nothing received for %u periods)",
	        ad->hw->name, rdh, pr.next_clean, pr.posted, need);
	e1k_request_halt(ad, E1K_HALT_FAILED, "receive stall detected by the watchdog: "
	                 "the device skipped receive descriptors");
}

/*
 * Watchdog (timer thread, periodic while Running): link state, statistics,
 * removal detection, TX hang and RX stall detection.  A TX ring with frames
 * in flight whose head has not moved and that completed nothing for three
 * periods is hung: the owner is asked to halt with reason `failed`; the same
 * for a receive ring the device went past without writing it back
 * (rx_stall_check).
 */
void e1k_watchdog(struct ktimer *t)
{
	struct e1k_adapter *ad = container_of(t, struct e1k_adapter, watchdog);
	const struct e1k_pub *p;
	uint32_t status;

	if (atomic_load_explicit(&ad->halted, memory_order_acquire))
		atomic_fetch_add_explicit(&ad->callbacks_after_halted, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&ad->watchdog_runs, 1, memory_order_relaxed);
	if (hal_is_gone(ad->hw))
		return;

	e1k_rcu_read_lock();
	p = e1k_rcu_deref(&ad->pub);
	if (p->state == E1K_STATE_RUNNING) {
		status = hal_rd32(ad->hw, E1000_STATUS);
		if (e1k_check_removed(ad, status)) {
			e1k_rcu_read_unlock();
			return;
		}
		e1k_link_update(ad, true);
		e1k_stats_accumulate(ad);
		if (pthread_mutex_trylock(&ad->tx_lock) == 0) {
			/* Completed descriptors are not a hang, whoever should
			 * have reclaimed them: judge only what the device has
			 * not finished. */
			e1k_tx_reclaim_locked(ad);
			unsigned inflight = tx_ring_in_flight(ad->tx);
			uint32_t tdh = tx_ring_hw_head(ad->tx);
			uint64_t done = atomic_load_explicit(&ad->tx_completed, memory_order_relaxed);

			if (inflight && tdh == ad->wd_last_tdh && done == ad->wd_last_completed) {
				if (++ad->wd_stuck == 3) {
					atomic_fetch_add_explicit(&ad->tx_hangs, 1, memory_order_relaxed);
					e1k_log(E1K_LOG_ERROR, "%s: transmit unit hang (%u frames in flight, TDH %u)",
					        ad->hw->name, inflight, tdh);
					e1k_request_halt(ad, E1K_HALT_FAILED, "transmit hang detected by the watchdog");
				}
			} else {
				ad->wd_stuck = 0;
			}
			ad->wd_last_tdh = tdh;
			ad->wd_last_completed = done;
			pthread_mutex_unlock(&ad->tx_lock);
		}
		rx_stall_check(ad);
	}
	e1k_rcu_read_unlock();
}
