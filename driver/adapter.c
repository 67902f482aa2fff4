/* SPDX-License-Identifier: MIT */
/*
 * adapter.c - the adapter state machine after initialize (init.c): restart,
 * pause, shutdown, the fatal-signal stop, destroy.  The halt is
 * adapter_halt.c's.  Every transition holds ctl_lock and publishes the new
 * state with a grace period (pub.c).
 */
#include "adapter_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"

/* Pause lets the device finish what was posted for this long. */
#define PAUSE_TX_DRAIN_MS 100u
#define PAUSE_NAP_NS      200000ull

/* ---- state machine ---- */

int e1k_adapter_restart(struct e1k_adapter *ad)
{
	struct hal_dev *hw;
	struct e1k_pub *p;
	int rc = 0;

	pthread_mutex_lock(&ad->ctl_lock);
	/* Under the lock: a halt closes the device and clears ad->hw. */
	hw = ad->hw;
	p = e1k_pub_locked(ad);
	if (p->state != E1K_STATE_PAUSED) {
		rc = p->state == E1K_STATE_RUNNING ? -EALREADY : -EPERM;
		goto out;
	}
	e1k_set_state(ad, E1K_STATE_RESTARTING, false);

	/* The rings are empty here (pause drained or aborted them): reset the
	 * device's head/tail together with the software indexes. */
	pthread_mutex_lock(&ad->tx_lock);
	tx_ring_hw_setup(ad->tx);
	pthread_mutex_unlock(&ad->tx_lock);
	rx_ring_hw_setup(ad->rx);
	rx_ring_refill(ad->rx);
	e1k_program_filters(ad, e1k_pub_locked(ad));
	e1k_hw_tx_enable(hw);
	/* Bindings learn the link state now (the TAP bridge sets its carrier). */
	e1k_link_update(ad, true);
	e1k_set_state(ad, E1K_STATE_RUNNING, false);
	/* Interrupts last: a DPC that runs now sees Running.  TX completions
	 * only once a sender waits (tx_irq_on_demand). */
	e1k_hw_irq_enable(hw, ad->isr.enabled_mask & ~ad->tx_irq_on_demand);
	/* The watchdog starts over (pause cancelled it synchronously): no
	 * verdict carries over from before the pause. */
	ad->wd_stuck = 0;
	ad->wd_rx_stuck = 0;
	ad->wd_rx_consumed = UINT64_MAX;
	(void)ktimer_arm(ad->timers, &ad->watchdog, (uint64_t)ad->cfg.watchdog_ms * 1000000ull,
	                 (uint64_t)ad->cfg.watchdog_ms * 1000000ull);
	if (hal_is_gone(hw))
		rc = -ENODEV;
out:
	pthread_mutex_unlock(&ad->ctl_lock);
	return rc;
}

/*
 * Pause (NDIS MiniportPause): stop indicating receives, complete or abort
 * every send in flight, and leave the adapter able to restart.
 * Precondition: Running.  Postcondition: Paused, device RX/TX disabled,
 * interrupts masked, TX ring empty, RX ring emptied back to the pool.
 */
static int pause_locked(struct e1k_adapter *ad)
{
	struct hal_dev *hw = ad->hw;
	uint64_t deadline;
	int rc = 0;

	/* After the grace period in e1k_set_state no sender or DPC still acts
	 * on Running: new sends fail, indications stop. */
	e1k_set_state(ad, E1K_STATE_PAUSING, false);
	(void)ktimer_cancel_sync(ad->timers, &ad->watchdog);

	/* Let the device finish what was posted (bounded). */
	deadline = e1k_deadline_ms(PAUSE_TX_DRAIN_MS);
	while (!hal_is_gone(hw)) {
		unsigned left;

		pthread_mutex_lock(&ad->tx_lock);
		e1k_tx_reclaim_locked(ad);
		left = tx_ring_in_flight(ad->tx);
		pthread_mutex_unlock(&ad->tx_lock);
		if (left == 0 || e1k_passed(deadline))
			break;
		e1k_sleep_ns(PAUSE_NAP_NS);
	}
	e1k_hw_stop_rx_tx(hw);
	e1k_hw_irq_mask(hw);
	/* No DPC may touch the rings while we empty them. */
	dpc_flush(ad->dpcs);
	pthread_mutex_lock(&ad->tx_lock);
	e1k_tx_reclaim_locked(ad);
	if (e1k_tx_abort_locked(ad) > 0)
		rc = 0; /* aborted sends are counted in tx_aborted */
	pthread_mutex_unlock(&ad->tx_lock);
	/* Frames the device already wrote are dropped, buffers back to the pool. */
	atomic_fetch_add_explicit(&ad->rx_dropped_paused, e1k_rx_drop_written(ad),
	                          memory_order_relaxed);
	rx_ring_abort(ad->rx);
	e1k_rx_publish_stats(ad);
	e1k_set_state(ad, E1K_STATE_PAUSED, false);
	return rc;
}

int e1k_adapter_pause(struct e1k_adapter *ad)
{
	int rc;

	pthread_mutex_lock(&ad->ctl_lock);
	switch (e1k_pub_locked(ad)->state) {
	case E1K_STATE_RUNNING:
		rc = pause_locked(ad);
		break;
	case E1K_STATE_PAUSED:
		rc = -EALREADY;
		break;
	default:
		rc = -EPERM;
		break;
	}
	pthread_mutex_unlock(&ad->ctl_lock);
	return rc;
}

/*
 * Shutdown (NDIS MiniportShutdownEx): put the device in a quiet, known state
 * without releasing resources: a later halt still gives everything back.
 */
int e1k_adapter_shutdown(struct e1k_adapter *ad)
{
	enum e1k_state s;
	int rc = 0;

	pthread_mutex_lock(&ad->ctl_lock);
	s = e1k_pub_locked(ad)->state;
	if (s != E1K_STATE_PAUSED && s != E1K_STATE_RESTARTING && s != E1K_STATE_RUNNING &&
	    s != E1K_STATE_PAUSING) {
		rc = s == E1K_STATE_SHUTDOWN ? -EALREADY : -EPERM;
		goto out;
	}
	e1k_set_state(ad, E1K_STATE_SHUTDOWN, true);
	(void)ktimer_cancel_sync(ad->timers, &ad->watchdog);
	if (!hal_is_gone(ad->hw)) {
		e1k_hw_irq_mask(ad->hw);
		e1k_hw_stop_rx_tx(ad->hw);
		(void)e1k_device_reset(ad, E1K_HW_RESET_US);
		(void)hal_set_bus_master(ad->hw, false);
	}
	ad->shutdown_done = true;
out:
	pthread_mutex_unlock(&ad->ctl_lock);
	return rc;
}

void e1k_adapter_emergency_stop(struct e1k_adapter *ad)
{
	/* Async-signal-safe: no lock, no allocation, only the backend's own
	 * emergency operation (plain stores and pwrite for VFIO). */
	if (ad && ad->hw && ad->hw->ops->emergency_stop && !hal_is_gone(ad->hw))
		ad->hw->ops->emergency_stop(ad->hw);
}

void e1k_adapter_destroy(struct e1k_adapter *ad)
{
	if (!ad)
		return;
	/* Halt released everything but memory a binding may still hold. */
	if (atomic_load_explicit(&ad->rx_revoked_pool, memory_order_acquire))
		e1k_log(E1K_LOG_ERROR, "destroy: receive buffers held past the halt were never returned: "
		        "their memory stays allocated (a holder may still read it)");
	e1k_adapter_free(ad);
}

struct hal_dev *e1k_adapter_hal(struct e1k_adapter *ad)
{
	return ad->hw;
}

enum e1k_irq_mode e1k_adapter_irq_mode(struct e1k_adapter *ad)
{
	return ad->irq_mode;
}

const struct e1k_config *e1k_adapter_config(struct e1k_adapter *ad)
{
	return &ad->cfg;
}

static void dpc_intr_probed(struct dpc *d)
{
	struct e1k_adapter *ad = container_of(d, struct e1k_adapter, dpc_intr);

	ad->dpc_probe(ad->dpc_probe_ctx);
	e1k_dpc_intr(d);
}

int e1k_adapter_set_dpc_probe(struct e1k_adapter *ad, void (*probe)(void *ctx), void *ctx)
{
	int rc = 0;

	pthread_mutex_lock(&ad->ctl_lock);
	if (e1k_pub_locked(ad)->state != E1K_STATE_PAUSED) {
		rc = -EPERM;
	} else {
		/* Paused: the device's interrupts are masked, no DPC is queued
		 * or running once wait_idle returns, and the next queue of the
		 * DPC happens after these stores, under the pool's mutex. */
		dpc_wait_idle(ad->dpcs, &ad->dpc_intr);
		ad->dpc_probe = probe;
		ad->dpc_probe_ctx = ctx;
		ad->dpc_intr.fn = probe ? dpc_intr_probed : e1k_dpc_intr;
	}
	pthread_mutex_unlock(&ad->ctl_lock);
	return rc;
}

int e1k_adapter_get_mac(struct e1k_adapter *ad, uint8_t mac[6])
{
	memcpy(mac, ad->mac, 6);
	return 0;
}
