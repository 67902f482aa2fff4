/* SPDX-License-Identifier: MIT */
/*
 * adapter_halt.c - the device side of the staged halt: e1k_adapter_halt runs
 * halt/'s framework (e1k_halt_run) with this adapter's ops.  Every rule --
 * stage order, policy, bounds, when the device may be touched -- is the
 * framework's; each op here does one thing to this device or this adapter.
 *
 * The whole halt runs under ctl_lock, binding unbind callbacks included, so
 * no control request interleaves with it.
 */
#include "adapter_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "log.h"


static struct e1k_adapter *A(void *dev) { return dev; }

static const char *op_name(void *dev) { return A(dev)->hw->name; }
static enum e1k_state op_state(void *dev) { return e1k_pub_locked(A(dev))->state; }
static struct ledger *op_ledger(void *dev) { return &A(dev)->ledger; }
static bool op_shutdown_done(void *dev) { return A(dev)->shutdown_done; }
static bool op_is_gone(void *dev) { return A(dev)->hw && hal_is_gone(A(dev)->hw); }

static bool op_probe_gone(void *dev)
{
	struct e1k_adapter *ad = dev;

	if (hal_is_gone(ad->hw))
		return true;
	return e1k_check_removed(ad, hal_rd32(ad->hw, E1000_STATUS));
}

static enum hal_presence op_presence(void *dev) { return hal_probe_presence(A(dev)->hw); }

static int op_quiesce(void *dev, bool *reset)
{
	return e1k_hw_quiesce_unmapped(A(dev)->hw, reset);
}

static bool op_bus_master_on(void *dev)
{
	uint16_t cmd;

	if (hal_raw_cfg_read16(A(dev)->hw, PCI_CFG_COMMAND, &cmd) < 0 || cmd == 0xffff)
		return false;   /* gone: nothing masters the bus */
	return (cmd & PCI_CFG_CMD_MASTER) != 0;
}

static void op_verifier(void *dev, struct e1k_halt_verifier *v)
{
	struct e1k_adapter *ad = dev;

	/* The device's own counters only while its handle is open. */
	if (ad->hw) {
		v->dma_faults = hal_dma_faults(ad->hw);
		v->dma_live_frees = hal_dma_live_frees(ad->hw);
		v->mmio_after_removal = atomic_load(&ad->hw->mmio_after_removal);
	}
	v->isr_after_deregister = atomic_load(&ad->isr.isr_after_deregister);
	v->dpc_after_drain = atomic_load(&ad->dpc_after_drain);
	v->callbacks_after_halted = atomic_load(&ad->callbacks_after_halted);
}

static void op_warn(void *dev, const char *msg)
{
	e1k_log(E1K_LOG_WARN, "%s: %s", A(dev)->hw ? A(dev)->hw->name : "?", msg);
}

static void op_reject_new_work(void *dev)
{
	e1k_set_state(dev, E1K_STATE_HALTING, true);
}

static int op_unbind_upper(void *dev, struct e1k_halt_unbound *was)
{
	struct e1k_adapter *ad = dev;
	struct e1k_pub *p = e1k_pub_locked(ad), *np;
	struct {
		const struct e1k_binding_ops *ops;
		void *ctx;
	} bound[E1K_MAX_BINDINGS];
	unsigned nb = p->nbind;

	*was = (struct e1k_halt_unbound){ nb, p->nuc, p->nmc, p->promisc };
	/* Remove every binding in one publication and wait out any receive in
	 * progress; only then tell each one, so an unbind callback may release
	 * what its receive path uses (the TAP bridge closes its TAP). */
	memcpy(bound, p->bind, sizeof(bound));
	np = e1k_pub_copy(ad);
	if (!np)
		return -ENOMEM;
	np->nbind = 0;
	np->nuc = 0;
	np->nmc = 0;
	np->promisc = false;
	e1k_pub_commit(ad, np);
	e1k_rcu_synchronize();
	e1k_in_callback++;
	for (unsigned i = 0; i < nb; i++)
		if (bound[i].ops->unbind)
			bound[i].ops->unbind(bound[i].ctx);
	e1k_in_callback--;
	return 0;
}

static void op_clear_filters(void *dev)
{
	e1k_program_filters(dev, e1k_pub_locked(dev));
}

static unsigned op_tx_reclaim(void *dev, bool reclaim, unsigned *in_flight)
{
	struct e1k_adapter *ad = dev;
	unsigned done = 0;

	pthread_mutex_lock(&ad->tx_lock);
	if (reclaim)
		done = e1k_tx_reclaim_locked(ad);
	*in_flight = tx_ring_in_flight(ad->tx);
	pthread_mutex_unlock(&ad->tx_lock);
	return done;
}

static unsigned op_tx_abort(void *dev)
{
	struct e1k_adapter *ad = dev;
	unsigned n;

	pthread_mutex_lock(&ad->tx_lock);
	n = e1k_tx_abort_locked(ad);
	pthread_mutex_unlock(&ad->tx_lock);
	return n;
}

static void op_stop_rx_tx(void *dev) { e1k_hw_stop_rx_tx(A(dev)->hw); }

static unsigned op_mask_interrupts(void *dev)
{
	struct e1k_adapter *ad = dev;
	/* Two throttle intervals, and the MSI-X wait (see above).  The
	 * interval is the one programmed now: moderation writes it only from a
	 * DPC that saw Running inside its read-side section, and reject-new-
	 * work's grace period ended every such section. */
	unsigned now = atomic_load_explicit(&ad->itr_ns_now, memory_order_relaxed);
	unsigned itr = now > ad->cfg.itr_ns ? now : ad->cfg.itr_ns;
	unsigned wait_us = 2 * itr / 1000u;

	e1k_hw_irq_mask(ad->hw);
	if (ad->irq_mode == E1K_IRQ_MSIX && wait_us < E1K_HW_E1000E_THROTTLE_US)
		wait_us = E1K_HW_E1000E_THROTTLE_US;
	if (wait_us)
		e1k_sleep_ns((uint64_t)wait_us * 1000u);
	return wait_us;
}

static const char *op_irq_mode(void *dev) { return e1k_irq_mode_name(A(dev)->irq_mode); }
static struct dpc_pool *op_dpcs(void *dev) { return A(dev)->dpcs; }

static void op_timers(void *dev, struct e1k_halt_timers *t)
{
	struct e1k_adapter *ad = dev;

	t->svc = ad->timers;
	t->n = 1;
	ad->halt_timers[0] = &ad->watchdog;
	t->timer = ad->halt_timers;
}

static void op_rx_flush(void *dev, unsigned *dropped, unsigned *posted)
{
	struct e1k_adapter *ad = dev;

	*dropped = e1k_rx_drop_written(ad);
	*posted = rx_ring_abort(ad->rx);
}

static uint64_t op_rx_outstanding(void *dev)
{
	struct e1k_adapter *ad = dev;

	/* Indicated and not returned, and borrowed for sending and neither
	 * sent nor given back: both are memory an upper layer still writes or
	 * reads. */
	return atomic_load_explicit(&ad->rx_indicated, memory_order_acquire) -
	       atomic_load_explicit(&ad->rx_returned, memory_order_acquire) +
	       atomic_load_explicit(&ad->tx_borrowed, memory_order_acquire);
}

static void op_rx_close_pool(void *dev)
{
	/* Pairs with e1k_adapter_return_rx: a later return is counted, not put. */
	atomic_store_explicit(&A(dev)->pool_closing, true, memory_order_release);
}

static int op_rx_revoke(void *dev, uint64_t held)
{
	struct e1k_adapter *ad = dev;
	struct pkt_pool *p = ad->pool;
	int rc = pkt_pool_revoke(p);

	/* Either way the ledger's release must not free it any more. */
	ad->pool = NULL;
	if (rc < 0)
		return rc;   /* kept, mapped: never freed under a holder */
	ad->rx_revoked_held = held;
	ad->rx_revoked_ns = e1k_now_ns();
	atomic_store_explicit(&ad->rx_revoked_pool, p, memory_order_release);
	e1k_log(E1K_LOG_WARN, "%s: %llu buffer(s) still held by upper layers (received, or borrowed "
	        "to send): the pool is off the "
	        "device, its memory kept until they are returned", ad->hw->name, (unsigned long long)held);
	/* They may all have come back already. */
	e1k_rx_revoked_check(ad);
	return 0;
}

static int op_reset(void *dev, unsigned timeout_us)
{
	struct e1k_adapter *ad = dev;
	int rc = e1k_device_reset(ad, timeout_us);

	if (rc == 0)
		/* QEMU's e1000 ignores CTRL.RST: leave nothing armed. */
		e1k_hw_disarm(ad->hw);
	return rc;
}

static int op_power_down(void *dev) { return e1k_hw_power_down(A(dev)->hw); }

static void op_rcu_barrier(void *dev)
{
	(void)dev;
	e1k_rcu_synchronize();
	e1k_rcu_barrier();
}

static void op_halted(void *dev)
{
	struct e1k_adapter *ad = dev;

	atomic_store_explicit(&ad->halted, true, memory_order_release);
	e1k_set_state(ad, E1K_STATE_HALTED, true);
}

static const struct e1k_halt_ops adapter_halt_ops = {
	.name = op_name,
	.state = op_state,
	.ledger = op_ledger,
	.shutdown_done = op_shutdown_done,
	.is_gone = op_is_gone,
	.probe_gone = op_probe_gone,
	.presence = op_presence,
	.quiesce = op_quiesce,
	.bus_master_on = op_bus_master_on,
	.verifier = op_verifier,
	.warn = op_warn,
	.reject_new_work = op_reject_new_work,
	.unbind_upper = op_unbind_upper,
	.clear_filters = op_clear_filters,
	.tx_reclaim = op_tx_reclaim,
	.tx_abort = op_tx_abort,
	.stop_rx_tx = op_stop_rx_tx,
	.mask_interrupts = op_mask_interrupts,
	.irq_mode = op_irq_mode,
	.dpcs = op_dpcs,
	.timers = op_timers,
	.rx_flush = op_rx_flush,
	.rx_outstanding = op_rx_outstanding,
	.rx_close_pool = op_rx_close_pool,
	.rx_revoke = op_rx_revoke,
	.reset = op_reset,
	.power_down = op_power_down,
	.rcu_barrier = op_rcu_barrier,
	.halted = op_halted,
};

int e1k_adapter_halt(struct e1k_adapter *ad, enum e1k_halt_reason reason,
                     struct e1k_halt_report *rep)
{
	return e1k_adapter_halt_bounded(ad, reason, NULL, rep);
}

int e1k_adapter_halt_bounded(struct e1k_adapter *ad, enum e1k_halt_reason reason,
                             const struct e1k_halt_bounds *bounds, struct e1k_halt_report *out)
{
	struct e1k_halt_report *rep = &ad->halt_report;
	uint64_t t0 = e1k_now_ns();
	int rc;

	if (!e1k_halt_policy(reason))
		return -EINVAL;
	/* NDIS: halt runs at PASSIVE level.  From an ISR, a DPC, a timer or a
	 * binding callback it would wait for itself (it joins those threads
	 * and holds ctl_lock across the unbind callbacks): refused, never a
	 * deadlock.  Those contexts ask the owner instead (halt_needed). */
	if (e1k_on_adapter_thread || e1k_in_callback)
		return -EDEADLK;
	pthread_mutex_lock(&ad->ctl_lock);
	if (!ad->halt_done) {
		rc = e1k_halt_run(&adapter_halt_ops, ad, reason, bounds, rep);
		/* The wait for the control lock is part of the halt's time. */
		rep->total_ns = e1k_now_ns() - t0;
		ad->halt_done = true;
		ad->halt_rc = rc;
		for (unsigned i = 0; i < E1K_HS_COUNT; i++) {
			const struct e1k_stage_report *s = &rep->stages[i];

			e1k_log(E1K_LOG_DEBUG, "halt %-22s %-7s %.3f ms  %s", e1k_halt_stage_name(i),
			        e1k_stage_result_name(s->result),
			        (double)(s->end_ns - s->start_ns) / 1e6, s->detail);
		}
	}
	/* Idempotent: a second halt gets the first one's report. */
	if (out)
		*out = *rep;
	rc = ad->halt_rc;
	pthread_mutex_unlock(&ad->ctl_lock);
	return rc;
}
