/* SPDX-License-Identifier: MIT */
/*
 * datapath.c - send, the interrupt DPC (RX indication, TX completion, link),
 * buffer returns, and removal detection.
 *
 * Context rules:
 *   e1k_adapter_send      any RCU-registered thread; takes tx_lock
 *   e1k_dpc_intr          a DPC worker (never concurrently with itself);
 *                         the only user of the RX ring while Running
 *   e1k_adapter_return_rx any thread
 */
#include "adapter_internal.h"

#include <errno.h>
#include <string.h>

#include "clock.h"
#include "log.h"

#define RX_BUDGET   256u   /* frames per DPC run before yielding the worker */
#define RX_BATCH    64u
#define TX_BATCH    64u

bool e1k_check_removed(struct e1k_adapter *ad, uint32_t val)
{
	if (!e1k_hw_reads_gone(ad->hw, val))
		return false;
	if (hal_mark_gone(ad->hw)) {
		e1k_log(E1K_LOG_ERROR, "%s: device reads all ones: surprise removal", ad->hw->name);
		e1k_request_halt(ad, E1K_HALT_SURPRISE_REMOVED, "register reads returned all ones");
	}
	return true;
}

int e1k_device_reset(struct e1k_adapter *ad, unsigned timeout_us)
{
	int rc = e1k_hw_reset(ad->hw, timeout_us);

	if (rc == -ENODEV)
		(void)e1k_check_removed(ad, 0xffffffffu);
	return rc;
}

void e1k_request_halt(struct e1k_adapter *ad, enum e1k_halt_reason r, const char *why)
{
	if (atomic_exchange_explicit(&ad->halt_requested, true, memory_order_acq_rel))
		return;
	if (ad->owner.halt_needed)
		ad->owner.halt_needed(ad->owner.ctx, r, why);
}

/* Give the ring's buffers that take() hands back to the pool; count them. */
static unsigned tx_give_back(struct e1k_adapter *ad,
                             unsigned (*take)(struct tx_ring *, uint32_t *, unsigned),
                             atomic_ulong *counter)
{
	uint32_t bufs[TX_BATCH];
	unsigned n, total = 0;

	while ((n = take(ad->tx, bufs, TX_BATCH)) > 0) {
		pkt_pool_put(ad->pool, bufs, n);
		total += n;
	}
	if (total)
		atomic_fetch_add_explicit(counter, total, memory_order_relaxed);
	return total;
}

/* Caller holds tx_lock.  Returns completed frames. */
unsigned e1k_tx_reclaim_locked(struct e1k_adapter *ad)
{
	return tx_give_back(ad, tx_ring_reclaim, &ad->tx_completed);
}

/* Caller holds tx_lock and has stopped the transmitter. */
unsigned e1k_tx_abort_locked(struct e1k_adapter *ad)
{
	return tx_give_back(ad, tx_ring_abort, &ad->tx_aborted);
}

int e1k_adapter_send(struct e1k_adapter *ad, const struct e1k_frame *frames, unsigned n)
{
	struct pkt_ref refs[TX_BATCH];
	uint32_t bufs[TX_BATCH];
	const struct e1k_pub *p;
	unsigned done = 0;
	int rc = 0;

	e1k_rcu_read_lock();
	p = e1k_rcu_deref(&ad->pub);
	if (p->state != E1K_STATE_RUNNING) {
		e1k_rcu_read_unlock();
		return -ENETDOWN;
	}
	for (unsigned i = 0; i < n; i++) {
		if (frames[i].len < E1000_ETH_HLEN || frames[i].len > p->mtu + E1000_ETH_HLEN) {
			if (i == 0)
				rc = -EINVAL;
			n = i;
			break;
		}
	}
	pthread_mutex_lock(&ad->tx_lock);
	/* Reclaim first: keeps the ring and the pool from filling up when the
	 * TX-completion interrupt is throttled. */
	e1k_tx_reclaim_locked(ad);
	while (done < n) {
		unsigned want = n - done, got, accepted;

		if (want > TX_BATCH)
			want = TX_BATCH;
		if (want > tx_ring_free_slots(ad->tx))
			want = tx_ring_free_slots(ad->tx);
		if (want == 0)
			break;
		got = pkt_pool_get(ad->pool, bufs, want);
		for (unsigned i = 0; i < got; i++) {
			memcpy(pkt_buf_va(ad->pool, bufs[i]), frames[done + i].data, frames[done + i].len);
			refs[i].buf = bufs[i];
			refs[i].len = frames[done + i].len;
		}
		accepted = got ? tx_ring_submit(ad->tx, ad->pool, refs, got) : 0;
		if (accepted < got)
			pkt_pool_put(ad->pool, bufs + accepted, got - accepted);
		for (unsigned i = 0; i < accepted; i++)
			atomic_fetch_add_explicit(&ad->tx_bytes, refs[i].len, memory_order_relaxed);
		done += accepted;
		if (accepted < want)
			break;
	}
	pthread_mutex_unlock(&ad->tx_lock);
	e1k_rcu_read_unlock();
	atomic_fetch_add_explicit(&ad->tx_packets, done, memory_order_relaxed);
	if (done < n)
		atomic_fetch_add_explicit(&ad->tx_busy, 1, memory_order_relaxed);
	return done ? (int)done : rc;
}

/* Buffers whose last reference this is (see indicate): every one while a
 * single binding was ever bound. */
static void return_last(struct e1k_adapter *ad, const uint32_t *bufs, unsigned n)
{
	if (n == 0)
		return;
	/* The read-side section keeps the pool alive: halt sets pool_closing,
	 * then waits for a grace period before freeing it. */
	e1k_rcu_read_lock();
	if (atomic_load_explicit(&ad->pool_closing, memory_order_acquire)) {
		/* The halt closed the pool: counted, not put.  If it had to
		 * revoke the pool for these holders, the last return frees it. */
		atomic_fetch_add_explicit(&ad->rx_late_returns, n, memory_order_acq_rel);
		e1k_rcu_read_unlock();
		e1k_rx_revoked_check(ad);
		return;
	}
	pkt_pool_put(ad->pool, bufs, n);
	atomic_fetch_add_explicit(&ad->rx_returned, n, memory_order_release);
	/* The RX ring may have run dry while a binding held everything: let the
	 * DPC refill it (a no-op when already queued or when not Running). */
	if (atomic_load_explicit(&ad->rx_starved, memory_order_relaxed) &&
	    e1k_rcu_deref(&ad->pub)->state == E1K_STATE_RUNNING &&
	    atomic_exchange_explicit(&ad->rx_starved, false, memory_order_relaxed))
		dpc_queue(ad->dpcs, &ad->dpc_intr);
	e1k_rcu_read_unlock();
}

unsigned e1k_rx_drop_written(struct e1k_adapter *ad)
{
	struct pkt_ref refs[RX_BATCH];
	unsigned n, total = 0;

	while ((n = rx_ring_poll(ad->rx, refs, RX_BATCH)) > 0) {
		for (unsigned i = 0; i < n; i++)
			pkt_pool_put(ad->pool, &refs[i].buf, 1);
		total += n;
	}
	return total;
}

void e1k_rx_revoked_check(struct e1k_adapter *ad)
{
	/* Acquire: pairs with op_rx_revoke's release store, after which
	 * rx_revoked_held is the number to wait for. */
	struct pkt_pool *p = atomic_load_explicit(&ad->rx_revoked_pool, memory_order_acquire);

	if (!p || atomic_load_explicit(&ad->rx_late_returns, memory_order_acquire) < ad->rx_revoked_held)
		return;
	/* Whoever takes it frees it: the halt and the last returner may both
	 * see the count complete. */
	p = atomic_exchange_explicit(&ad->rx_revoked_pool, NULL, memory_order_acq_rel);
	if (!p)
		return;
	pkt_pool_destroy(p);
	e1k_log(E1K_LOG_INFO, "%llu receive buffer(s) held past the halt returned after %.1f ms: "
	        "their memory is freed", (unsigned long long)ad->rx_revoked_held,
	        (double)(e1k_now_ns() - ad->rx_revoked_ns) / 1e6);
}

void e1k_adapter_return_rx(struct e1k_adapter *ad, const uint32_t *bufs, unsigned n)
{
	uint32_t last[RX_BATCH];
	unsigned k = 0;

	if (!atomic_load_explicit(&ad->rx_multi, memory_order_acquire)) {
		return_last(ad, bufs, n);
		return;
	}
	/* Indicated to several bindings: each gives a buffer back once, and only
	 * the last return makes it the pool's (or counts it, after the halt). */
	for (unsigned i = 0; i < n; i++) {
		uint32_t b = bufs[i];

		if (b < ad->cfg.pool_size && atomic_load_explicit(&ad->rx_refs[b], memory_order_acquire) > 1 &&
		    atomic_fetch_sub_explicit(&ad->rx_refs[b], 1, memory_order_acq_rel) > 1)
			continue;
		if (b < ad->cfg.pool_size)
			atomic_store_explicit(&ad->rx_refs[b], 0, memory_order_relaxed);
		last[k++] = b;
		if (k == RX_BATCH) {
			return_last(ad, last, k);
			k = 0;
		}
	}
	return_last(ad, last, k);
}

/* Indicate frames to every binding, as NDIS does: each frame goes to each
 * bound protocol, all of them see the same buffer (read-only), and it goes
 * back to the pool when the last one returned it (rx_refs). */
static void indicate(struct e1k_adapter *ad, const struct e1k_pub *p,
                     const struct pkt_ref *refs, unsigned n)
{
	struct e1k_rx_frame f[RX_BATCH];
	struct e1k_rx_seg seg[RX_BATCH];
	uint64_t bytes = 0;

	atomic_fetch_add_explicit(&ad->rx_packets, n, memory_order_relaxed);
	for (unsigned i = 0; i < n; i++)
		bytes += refs[i].len;
	atomic_fetch_add_explicit(&ad->rx_bytes, bytes, memory_order_relaxed);

	if (p->state != E1K_STATE_RUNNING || p->nbind == 0) {
		for (unsigned i = 0; i < n; i++)
			pkt_pool_put(ad->pool, &refs[i].buf, 1);
		atomic_fetch_add_explicit(p->state != E1K_STATE_RUNNING ? &ad->rx_dropped_paused
		                                                       : &ad->rx_no_binding,
		                          n, memory_order_relaxed);
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		f[i].buf = refs[i].buf;
		f[i].len = refs[i].len;
		f[i].data = pkt_buf_va(ad->pool, refs[i].buf);
		f[i].nseg = 1;
		f[i].flags = 0;
		seg[i].data = f[i].data;
		seg[i].len = f[i].len;
		f[i].seg = &seg[i];
	}
	/* Count before the call: the binding may return buffers at once, and
	 * rx_indicated - rx_returned must never go negative. */
	if (p->nbind > 1)
		for (unsigned i = 0; i < n; i++)
			atomic_store_explicit(&ad->rx_refs[refs[i].buf], p->nbind, memory_order_relaxed);
	atomic_fetch_add_explicit(&ad->rx_indicated, n, memory_order_release);
	e1k_in_callback++;
	for (unsigned b = 0; b < p->nbind; b++)
		p->bind[b].ops->receive(p->bind[b].ctx, f, n);
	e1k_in_callback--;
}

void e1k_link_update(struct e1k_adapter *ad, bool notify)
{
	uint32_t status = hal_rd32(ad->hw, E1000_STATUS);
	bool up;
	unsigned mbps;

	if (e1k_check_removed(ad, status))
		return;
	up = status & E1000_STATUS_LU;
	switch (status & E1000_STATUS_SPEED_MASK) {
	case E1000_STATUS_SPEED_10: mbps = 10; break;
	case E1000_STATUS_SPEED_100: mbps = 100; break;
	default: mbps = 1000; break;
	}
	atomic_store_explicit(&ad->link_mbps, mbps, memory_order_relaxed);
	if (atomic_exchange_explicit(&ad->link_up, up, memory_order_acq_rel) == up)
		return;
	atomic_fetch_add_explicit(&ad->link_changes, 1, memory_order_relaxed);
	e1k_log(E1K_LOG_INFO, "%s: link %s", ad->hw->name, up ? "up" : "down");
	if (notify) {
		const struct e1k_pub *p;

		e1k_rcu_read_lock();
		p = e1k_rcu_deref(&ad->pub);
		e1k_in_callback++;
		for (unsigned i = 0; i < p->nbind; i++)
			if (p->bind[i].ops->link)
				p->bind[i].ops->link(p->bind[i].ctx, up, mbps);
		e1k_in_callback--;
		e1k_rcu_read_unlock();
	}
}

/* Context: the RX ring's owner (the DPC, or the control thread once no DPC
 * touches the ring). */
void e1k_rx_publish_stats(struct e1k_adapter *ad)
{
	struct rx_ring_stats rs;

	rx_ring_get_stats(ad->rx, &rs);
	atomic_store_explicit(&ad->rx_bad_length, rs.bad_length, memory_order_relaxed);
	atomic_store_explicit(&ad->rx_bad_status, rs.bad_status, memory_order_relaxed);
	atomic_store_explicit(&ad->rx_bad_frag, rs.bad_frag, memory_order_relaxed);
}

void e1k_dpc_intr(struct dpc *d)
{
	struct e1k_adapter *ad = container_of(d, struct e1k_adapter, dpc_intr);
	const struct e1k_pub *p;
	struct pkt_ref refs[RX_BATCH];
	uint32_t causes = isr_take_causes(&ad->isr);
	unsigned budget = RX_BUDGET, n;
	bool more = false;

	if (atomic_load_explicit(&ad->dpcs_drained, memory_order_acquire))
		atomic_fetch_add_explicit(&ad->dpc_after_drain, 1, memory_order_relaxed);
	if (atomic_load_explicit(&ad->halted, memory_order_acquire))
		atomic_fetch_add_explicit(&ad->callbacks_after_halted, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&ad->dpc_runs, 1, memory_order_relaxed);

	e1k_rcu_read_lock();
	p = e1k_rcu_deref(&ad->pub);

	/* TX completions.  Wait for the lock rather than leave the work to a
	 * sender: a sender reclaims before it submits, so the frames it
	 * submits last are only ever reclaimed here.  Skipping when the lock
	 * was busy lost that completion for good once traffic stopped (the
	 * interrupt for it had been taken, IMS re-enabled, nothing more to
	 * come): the watchdog then saw a "hang" (QEMU e1000e, MSI and INTx).
	 * No holder of tx_lock waits for a grace period or a DPC flush. */
	pthread_mutex_lock(&ad->tx_lock);
	e1k_tx_reclaim_locked(ad);
	pthread_mutex_unlock(&ad->tx_lock);

	/* RX: harvest, indicate, refill -- only while Running.  Pause and halt
	 * publish another state and wait for a grace period: after that no DPC
	 * touches the RX ring, and the control thread owns it. */
	if (p->state == E1K_STATE_RUNNING && !hal_is_gone(ad->hw)) {
		while (budget > 0 && (n = rx_ring_poll(ad->rx, refs, budget < RX_BATCH ? budget : RX_BATCH)) > 0) {
			indicate(ad, p, refs, n);
			budget -= n;
			/* Refill per batch, not per run: the device keeps receiving
			 * while we indicate (one RDT write per batch). */
			rx_ring_refill(ad->rx);
		}
		more = budget == 0;
		rx_ring_refill(ad->rx);
		e1k_rx_publish_stats(ad);
		/* Upper layers hold most buffers: ask return_rx to wake us. */
		if (rx_ring_posted(ad->rx) < ad->cfg.rx_ring_size / 4)
			atomic_store_explicit(&ad->rx_starved, true, memory_order_relaxed);
	}
	/* Link: only while Running -- a halting adapter's device may be gone. */
	if ((causes & (E1000_ICR_LSC | E1000_ICR_OTHER)) && p->state == E1K_STATE_RUNNING &&
	    !hal_is_gone(ad->hw))
		e1k_link_update(ad, true);

	/* Re-enable interrupts only while Running (the ISR masked them).  Out of
	 * budget: run again first, with interrupts still masked (as NAPI does).
	 * In any other state the control thread masks and keeps them masked:
	 * "the DPC re-enables interrupts only when not halting". */
	if (p->state == E1K_STATE_RUNNING && !hal_is_gone(ad->hw)) {
		if (more)
			dpc_queue(ad->dpcs, &ad->dpc_intr);
		else
			e1k_hw_irq_enable(ad->hw, ad->isr.enabled_mask);
	}
	e1k_rcu_read_unlock();
}
