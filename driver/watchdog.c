/* SPDX-License-Identifier: MIT */
/*
 * watchdog.c - the watchdog timer (timer thread, periodic while Running):
 * link state, statistics, removal detection, and the two verdicts that halt
 * the adapter with reason `failed` -- a transmit hang and a receive stall.
 * Its detection state (wd_*) is the timer thread's alone; restart resets it
 * while the watchdog is not armed.
 */
#include "adapter_internal.h"

#include <stdint.h>

#include "log.h"

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
 * is not a late DPC or a lost interrupt: those leave DD set).  The slot poll
 * waits on is next_clean, or, when a frame of several descriptors starts
 * there (DD without EOP), the first of its slots not written back: a device
 * that wrote a frame's first buffer and skipped the next leaves DD on
 * next_clean and poll waiting one slot further, for good.  Then the stall is
 * counted and the owner asked for a `failed` halt, as for a TX hang.
 * Cost per tick: one RDH read and one status byte load (one per written
 * descriptor of an unfinished frame at next_clean).
 */
static void rx_stall_check(struct e1k_adapter *ad)
{
	struct rx_ring_progress pr;
	unsigned need = RX_STALL_MIN_MS / ad->cfg.watchdog_ms, wait, k;
	unsigned mask = rx_ring_size(ad->rx) - 1;
	uint8_t status = 0;
	bool stuck;
	uint32_t rdh;

	rx_ring_get_progress(ad->rx, &pr);
	rdh = rx_ring_hw_head(ad->rx);
	if (e1k_check_removed(ad, rdh))
		return;
	/* DD read after RDH: a write-back the device made before moving its
	 * head is visible here.  Past an unfinished frame's written slots to
	 * the one poll waits on (a whole ring of them: not called a stall). */
	wait = pr.next_clean;
	for (k = 0; k < pr.posted; k++, wait = (wait + 1) & mask) {
		status = rx_ring_desc_status(ad->rx, wait);
		if ((status & (E1000_RXD_STAT_DD | E1000_RXD_STAT_EOP)) != E1000_RXD_STAT_DD)
			break;
	}
	stuck = pr.posted > 0 && k < pr.posted && pr.consumed == ad->wd_rx_consumed &&
	        rdh != wait && !(status & E1000_RXD_STAT_DD);
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
	        ad->hw->name, rdh, wait, pr.posted, need);
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
