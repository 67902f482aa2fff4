/* SPDX-License-Identifier: MIT */
/*
 * halt.c - the staged halt.  See stages.h for the order and halt.h for the
 * contract.  Each stage function returns its result and fills the detail;
 * the per-reason policy decides what a stage may touch:
 *
 *   surprise-removed        no register or config access at all (the device
 *                           is marked gone first, so any attempt would be
 *                           counted in mmio_after_removal), no wait on
 *                           hardware progress: sends are aborted.
 *                           Whatever the reason, a removal detected while
 *                           the halt runs (by another thread, or by the
 *                           halt's own probes before the stages that touch
 *                           registers) switches the remaining stages to
 *                           this policy: see halt_check_gone.
 *   failed,
 *   initialization-failed   every hardware wait bounded short; no drain:
 *                           the device is reset with sends aborted.
 *   powered-down            graceful drain, then wake-up armed and D3hot.
 *   disabled, instance-deinitialized, stopped
 *                           graceful drain.
 */
#include "halt.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "adapter_internal.h"
#include "log.h"
#include "sim.h"

struct halt_ctx {
	struct e1k_adapter *ad;
	struct e1k_halt_report *rep;
	struct e1k_halt_bounds b;
	bool gone;      /* policy: no register or config access */
	bool gone_in_halt; /* ... because removal was detected after the halt started */
	bool abort_tx;  /* policy: do not wait for sends to complete */
	bool present_anyway; /* surprise-removed, but the device still answers */
	bool after_shutdown; /* shutdown already stopped, masked and reset it */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void nap_us(unsigned us)
{
	struct timespec ts = { us / 1000000u, (long)(us % 1000000u) * 1000 };

	nanosleep(&ts, NULL);
}

const char *e1k_stage_result_name(enum e1k_stage_result r)
{
	static const char *const n[] = { "ok", "skipped", "timeout", "error" };

	return (unsigned)r < 4 ? n[r] : "?";
}

static void detail(struct e1k_stage_report *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void detail(struct e1k_stage_report *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->detail, sizeof(s->detail), fmt, ap);
	va_end(ap);
}

/* Why a stage touches no register: the removal was known at the start, or
 * detected while the halt ran. */
static const char *gone_why(const struct halt_ctx *h)
{
	return h->gone_in_halt ? "device removed during the halt" : "device removed";
}

/*
 * Removal detected after the halt started (finding F2 in docs/robustness.md):
 * the irq thread (REQ handler, ISR) may mark the device gone at any time
 * until deregister-interrupts joins it, and the halt's own reads (these
 * probes, the reset's poll) until the end.  From then on the remaining stages follow the surprise-removed
 * policy whatever the reason: no register or config access, no wait on
 * hardware progress (sends aborted).  With probe, the device is also asked
 * (one STATUS read, confirmed as in e1k_check_removed) -- only before stages
 * that would touch registers while the function is still in D0: after
 * powered-down's D3hot every memory read returns all ones.  Returns h->gone.
 */
static bool halt_check_gone(struct halt_ctx *h, enum e1k_halt_stage before, bool probe)
{
	struct hal_dev *hw = h->ad->hw;

	if (h->gone)
		return true;
	if (probe && !h->after_shutdown && !hal_is_gone(hw))
		(void)e1k_check_removed(h->ad, hal_rd32(hw, E1000_STATUS));
	if (!hal_is_gone(hw))
		return false;
	h->gone = true;
	h->gone_in_halt = true;
	h->abort_tx = true;
	h->b.tx_drain_ms = 0;
	h->rep->device_gone = true;
	e1k_log(E1K_LOG_WARN, "%s: device removed during the halt (at %s): no more register access",
	        hw->name, e1k_halt_stage_name(before));
	return true;
}

/* Wrap the detail a helper wrote: pre + old detail + post (truncated). */
static void detail_wrap(struct e1k_stage_report *s, const char *pre, const char *post)
{
	char old[sizeof(s->detail)];

	memcpy(old, s->detail, sizeof(old));
	detail(s, "%s%.120s%s", pre, old, post);
}

/* Release a stage's ledger group; an entry of the group left below the top
 * would mean an acquisition order that does not mirror the halt order. */
static enum e1k_stage_result release_group(struct halt_ctx *h, enum e1k_halt_stage st,
                                           struct e1k_stage_report *s)
{
	unsigned n = ledger_release_top(&h->ad->ledger, st);
	unsigned left = ledger_held_in_group(&h->ad->ledger, st);

	if (left) {
		detail(s, "released %u, but %u entries of this stage are not on top of the ledger", n, left);
		return E1K_SR_ERROR;
	}
	detail(s, "released %u ledger entr%s", n, n == 1 ? "y" : "ies");
	return E1K_SR_OK;
}

/* 1. Publish HALTING: sends and requests are refused from now on, receive
 * indications stop.  After the grace period no thread acts on the old state. */
static enum e1k_stage_result st_reject_new_work(struct halt_ctx *h, struct e1k_stage_report *s)
{
	e1k_set_state(h->ad, E1K_STATE_HALTING, true);
	detail(s, "HALTING published%s", h->rep->from_state == E1K_STATE_RUNNING ?
	       "; pausing from Running: sends refused, indications stopped" : "");
	return E1K_SR_OK;
}

/* 2. Unbind upper layers and clear the receive filters. */
static enum e1k_stage_result st_unbind_upper(struct halt_ctx *h, struct e1k_stage_report *s)
{
	struct e1k_adapter *ad = h->ad;
	struct e1k_pub *p = e1k_pub_locked(ad), *np;
	unsigned nb = p->nbind, nuc = p->nuc, nmc = p->nmc;
	bool promisc = p->promisc;

	struct {
		const struct e1k_binding_ops *ops;
		void *ctx;
	} was[E1K_MAX_BINDINGS];
	unsigned released;

	/* Remove every binding in one publication and wait out any receive in
	 * progress; only then tell each one, so an unbind callback may release
	 * what its receive path uses (the TAP bridge closes its TAP). */
	memcpy(was, p->bind, sizeof(was));
	np = e1k_pub_copy(ad);
	if (!np) {
		detail(s, "out of memory publishing the unbound state");
		return E1K_SR_ERROR;
	}
	np->nbind = 0;
	np->nuc = 0;
	np->nmc = 0;
	np->promisc = false;
	e1k_pub_commit(ad, np);
	e1k_rcu_synchronize();
	for (unsigned i = 0; i < nb; i++)
		if (was[i].ops->unbind)
			was[i].ops->unbind(was[i].ctx);
	/* What the bindings recorded (TAP, their threads) is on top of the ledger. */
	released = ledger_release_top(&ad->ledger, E1K_HS_UNBIND_UPPER);
	if (halt_check_gone(h, E1K_HS_UNBIND_UPPER, true)) {
		detail(s, "%u binding(s) unbound, %u resource(s) released; filters cleared in software only (%s)",
		       nb, released, gone_why(h));
		return E1K_SR_OK;
	}
	e1k_program_filters(ad, np);
	detail(s, "%u binding(s) unbound, %u resource(s) released; cleared %u unicast, %u multicast%s",
	       nb, released, nuc, nmc, promisc ? ", promiscuous off" : "");
	return E1K_SR_OK;
}

/* 3. Control requests are serialised by the control lock the halt holds, so
 * none is outstanding; sends are completed by the device (bounded) or left to
 * be aborted once it is stopped. */
static enum e1k_stage_result st_drain_requests(struct halt_ctx *h, struct e1k_stage_report *s)
{
	struct e1k_adapter *ad = h->ad;
	uint64_t deadline = now_ns() + (uint64_t)h->b.tx_drain_ms * 1000000ull;
	unsigned done = 0, left;

	for (unsigned i = 0;; i++) {
		/* Waiting on the device: stop once it is found gone (probed
		 * every 50 rounds, about 10 ms). */
		(void)halt_check_gone(h, E1K_HS_DRAIN_REQUESTS, i % 50 == 49);
		pthread_mutex_lock(&ad->tx_lock);
		if (!h->gone)
			done += e1k_tx_reclaim_locked(ad);
		left = tx_ring_in_flight(ad->tx);
		pthread_mutex_unlock(&ad->tx_lock);
		if (left == 0 || h->abort_tx || now_ns() >= deadline)
			break;
		nap_us(200);
	}
	if (left == 0) {
		detail(s, "no control request outstanding; %u send(s) completed", done);
		return E1K_SR_OK;
	}
	if (h->abort_tx) {
		detail(s, "%u send(s) completed, %u in flight will be aborted (%s)", done, left,
		       h->gone ? gone_why(h) : "no drain on failure");
		return E1K_SR_OK;
	}
	detail(s, "%u send(s) completed, %u still in flight after %u ms: aborted after stop",
	       done, left, h->b.tx_drain_ms);
	return E1K_SR_TIMEOUT;
}

/* 4. Stop receive and transmit in the device. */
static enum e1k_stage_result st_stop_rx_tx(struct halt_ctx *h, struct e1k_stage_report *s)
{
	if (h->after_shutdown) {
		detail(s, "skipped: done by shutdown");
		return E1K_SR_SKIPPED;
	}
	if (halt_check_gone(h, E1K_HS_STOP_RX_TX, true)) {
		detail(s, "skipped: %s, registers not touched", gone_why(h));
		return E1K_SR_SKIPPED;
	}
	e1k_device_stop_rx_tx(h->ad);
	detail(s, "RCTL.EN and TCTL.EN cleared, flushed");
	return E1K_SR_OK;
}

/* 5. Mask interrupts at the device before deregistering them, then let the
 * throttle timer expire: QEMU 7.2's e1000e aborts if MSI-X goes away while its
 * throttling timer is armed (qemu-vfio-rig notes). */
static enum e1k_stage_result st_mask_interrupts(struct halt_ctx *h, struct e1k_stage_report *s)
{
	struct e1k_adapter *ad = h->ad;
	unsigned wait_us;

	if (h->after_shutdown) {
		detail(s, "skipped: done by shutdown");
		return E1K_SR_SKIPPED;
	}
	if (halt_check_gone(h, E1K_HS_MASK_INTERRUPTS, true)) {
		detail(s, "skipped: %s, registers not touched", gone_why(h));
		return E1K_SR_SKIPPED;
	}
	e1k_interrupts_mask(ad);
	/* Two throttle intervals, and 20 ms for MSI-X (see above). */
	wait_us = 2 * ad->cfg.itr_ns / 1000u;
	if (ad->irq_mode == E1K_IRQ_MSIX && wait_us < 20000)
		wait_us = 20000;
	if (wait_us)
		nap_us(wait_us);
	detail(s, "IMC all ones, flushed; waited %u us for throttle timers", wait_us);
	return E1K_SR_OK;
}

/* 6. VFIO triggers off, interrupt thread stopped and joined, eventfds closed.
 * Until this returns an ISR may run; after it, none does. */
static enum e1k_stage_result st_deregister(struct halt_ctx *h, struct e1k_stage_report *s)
{
	enum e1k_stage_result r = release_group(h, E1K_HS_DEREGISTER_INTERRUPTS, s);

	detail_wrap(s, h->ad->irq_mode == E1K_IRQ_MSIX ? "msix: " :
	               h->ad->irq_mode == E1K_IRQ_MSI ? "msi: " : "intx: ",
	            "; irq thread joined");
	return r;
}

/* 7. Every queued and running DPC completes; workers stop and are joined. */
static enum e1k_stage_result st_drain_dpcs(struct halt_ctx *h, struct e1k_stage_report *s)
{
	struct dpc_pool_stats ps = { 0 };
	enum e1k_stage_result r;

	if (h->ad->dpcs) {
		dpc_flush(h->ad->dpcs);
		dpc_pool_get_stats(h->ad->dpcs, &ps);
	}
	r = release_group(h, E1K_HS_DRAIN_DPCS, s);
	if (r == E1K_SR_OK)
		detail(s, "workers joined after %llu DPC runs", (unsigned long long)ps.runs);
	return r;
}

/* 8. Cancel the watchdog; if it already fired, wait for its callback. */
static enum e1k_stage_result st_cancel_timers(struct halt_ctx *h, struct e1k_stage_report *s)
{
	struct e1k_adapter *ad = h->ad;
	const char *what = "not armed";
	enum e1k_stage_result r;

	if (ad->timers) {
		if (ktimer_cancel(ad->timers, &ad->watchdog)) {
			what = "cancelled before firing";
		} else if (ktimer_fired(&ad->watchdog) > 0) {
			ktimer_wait_callback(ad->timers, &ad->watchdog);
			what = "had fired: waited for its callback";
		}
	}
	r = release_group(h, E1K_HS_CANCEL_TIMERS, s);
	{
		char pre[64];

		snprintf(pre, sizeof(pre), "watchdog %s; ", what);
		detail_wrap(s, pre, "");
	}
	return r;
}

/* 9. TX buffers: completed ones reclaimed, the rest aborted (device stopped). */
static enum e1k_stage_result st_reclaim_tx(struct halt_ctx *h, struct e1k_stage_report *s)
{
	struct e1k_adapter *ad = h->ad;
	unsigned done = 0, aborted;

	pthread_mutex_lock(&ad->tx_lock);
	if (!h->gone)
		done = e1k_tx_reclaim_locked(ad);
	aborted = e1k_tx_abort_locked(ad);
	pthread_mutex_unlock(&ad->tx_lock);
	detail(s, "%u completed, %u aborted", done, aborted);
	return E1K_SR_OK;
}

/* 10. RX: buffers still posted go back to the pool; buffers indicated to
 * upper layers are waited for (bounded). */
static enum e1k_stage_result st_await_rx(struct halt_ctx *h, struct e1k_stage_report *s)
{
	struct e1k_adapter *ad = h->ad;
	uint64_t deadline = now_ns() + (uint64_t)h->b.rx_return_ms * 1000000ull;
	struct pkt_ref refs[64];
	unsigned n, dropped = 0, posted;
	uint64_t out;

	/* Frames the device wrote after indications stopped: dropped. */
	while ((n = rx_ring_poll(ad->rx, refs, 64)) > 0) {
		for (unsigned i = 0; i < n; i++)
			pkt_pool_put(ad->pool, &refs[i].buf, 1);
		dropped += n;
	}
	posted = rx_ring_abort(ad->rx);
	for (;;) {
		out = atomic_load_explicit(&ad->rx_indicated, memory_order_acquire) -
		      atomic_load_explicit(&ad->rx_returned, memory_order_acquire);
		if (out == 0 || now_ns() >= deadline)
			break;
		nap_us(500);
	}
	h->rep->rx_buffers_outstanding = out;
	/* From here a late return is counted, not put: the pool is freed after
	 * the grace period of the rcu-barrier stage (pairs with return_rx). */
	atomic_store_explicit(&ad->pool_closing, true, memory_order_release);
	if (out) {
		detail(s, "%llu buffer(s) still held by upper layers after %u ms; %u posted reclaimed",
		       (unsigned long long)out, h->b.rx_return_ms, posted);
		return E1K_SR_TIMEOUT;
	}
	detail(s, "all indicated buffers returned; %u posted reclaimed, %u late frames dropped",
	       posted, dropped);
	return E1K_SR_OK;
}

/* 11. Reset; for powered-down, arm wake-up and enter D3hot afterwards. */
static enum e1k_stage_result st_reset(struct halt_ctx *h, struct e1k_stage_report *s)
{
	struct e1k_adapter *ad = h->ad;
	struct hal_dev *hw = ad->hw;
	bool short_bound = h->rep->reason == E1K_HALT_FAILED ||
	                   h->rep->reason == E1K_HALT_INITIALIZATION_FAILED;
	int rc, pm;
	uint16_t pmcsr;

	if (h->after_shutdown && h->rep->reason != E1K_HALT_POWERED_DOWN) {
		detail(s, "skipped: done by shutdown");
		return E1K_SR_SKIPPED;
	}
	if (halt_check_gone(h, E1K_HS_RESET_DEVICE, true)) {
		detail(s, "skipped: %s, registers not touched", gone_why(h));
		return E1K_SR_SKIPPED;
	}
	rc = e1k_device_reset(ad, short_bound ? 1000 : 10000);
	if (rc == -ENODEV) {
		/* It read all ones during the reset (e1k_device_reset marked it
		 * gone): nothing more is written, the rest touches nothing. */
		(void)halt_check_gone(h, E1K_HS_RESET_DEVICE, false);
		detail(s, "skipped: device removed during the reset, registers not touched after it");
		return E1K_SR_SKIPPED;
	}
	if (rc < 0) {
		detail(s, "reset did not complete: %s", strerror(-rc));
		return rc == -ETIMEDOUT ? E1K_SR_TIMEOUT : E1K_SR_ERROR;
	}
	/* QEMU's e1000 ignores CTRL.RST (rig notes): leave nothing armed. */
	hal_wr32(hw, E1000_RCTL, 0);
	hal_wr32(hw, E1000_TCTL, 0);
	hal_wr32(hw, E1000_IMC, E1000_IMS_ALL);
	hal_wr32(hw, E1000_RDLEN, 0);
	hal_wr32(hw, E1000_TDLEN, 0);
	if (h->rep->reason != E1K_HALT_POWERED_DOWN) {
		detail(s, "CTRL.RST done; RCTL, TCTL, IMS and ring lengths cleared");
		return E1K_SR_OK;
	}
	/* SDM 6.x wake-up: magic packet and link change, PME enabled. */
	hal_wr32(hw, E1000_WUFC, E1000_WUFC_MAG | E1000_WUFC_LNKC);
	hal_wr32(hw, E1000_WUC, E1000_WUC_PME_EN | E1000_WUC_APME);
	hal_flush(hw);
	pm = hal_cfg_find_cap(hw, PCI_CAP_ID_PM);
	if (pm < 0) {
		/* Not a failure of the halt: a function without the capability
		 * (QEMU's e1000 has none) has no D3hot to enter; it stays in D0,
		 * reset and quiet. */
		detail(s, "reset; wake-up armed; the device has no PM capability, so no D3hot: stays in D0");
		return E1K_SR_OK;
	}
	rc = hal_cfg_read16(hw, (uint32_t)pm + PCI_PM_CTRL, &pmcsr);
	if (rc == 0) {
		pmcsr = (uint16_t)((pmcsr & ~PCI_PM_CTRL_STATE_MASK) | PCI_PM_STATE_D3HOT |
		                   PCI_PM_CTRL_PME_ENABLE);
		rc = hal_cfg_write16(hw, (uint32_t)pm + PCI_PM_CTRL, pmcsr);
	}
	if (rc < 0) {
		detail(s, "reset; wake-up armed; PMCSR write failed: %s", strerror(-rc));
		return E1K_SR_ERROR;
	}
	detail(s, "reset; wake-up armed (magic packet, link change); D3hot entered");
	return E1K_SR_OK;
}

static enum e1k_stage_result st_bus_master(struct halt_ctx *h, struct e1k_stage_report *s)
{
	enum e1k_stage_result r;

	/* No probe here: after powered-down's D3hot the device's memory reads
	 * return all ones.  No other thread can mark it gone any more (the irq
	 * thread was joined, the DPCs drained, the watchdog cancelled), and
	 * rel_bus_master itself skips a gone device. */
	(void)halt_check_gone(h, E1K_HS_DISABLE_BUS_MASTER, false);
	r = release_group(h, E1K_HS_DISABLE_BUS_MASTER, s);
	if (h->gone && r == E1K_SR_OK) {
		detail(s, "skipped: %s, config space not touched", gone_why(h));
		return E1K_SR_SKIPPED;
	}
	if (h->after_shutdown && r == E1K_SR_OK) {
		detail(s, "skipped: done by shutdown");
		return E1K_SR_SKIPPED;
	}
	if (r == E1K_SR_OK)
		detail(s, "bus mastering cleared in the command register");
	return r;
}

/* 13. No deferred RCU callback may refer to state freed below. */
static enum e1k_stage_result st_rcu_barrier(struct halt_ctx *h, struct e1k_stage_report *s)
{
	(void)h;
	e1k_rcu_synchronize();
	e1k_rcu_barrier();
	detail(s, "grace period elapsed; pending call_rcu callbacks ran");
	return E1K_SR_OK;
}

static enum e1k_stage_result st_free_dma(struct halt_ctx *h, struct e1k_stage_report *s)
{
	enum e1k_stage_result r = release_group(h, E1K_HS_FREE_DMA, s);

	detail_wrap(s, "rings, then the pool, unmapped and freed; ", "");
	return r;
}

static enum e1k_stage_result st_release_device(struct halt_ctx *h, struct e1k_stage_report *s)
{
	struct e1k_adapter *ad = h->ad;
	struct hal_dev *hw = ad->hw;

	/* Read what only the device handle knows, before it goes. */
	if (sim_is_sim(hw)) {
		struct sim_stats ss;

		sim_get_stats(hw, &ss);
		h->rep->dma_faults = ss.dma_faults;
	}
	h->rep->mmio_after_removal = atomic_load(&hw->mmio_after_removal);
	return release_group(h, E1K_HS_RELEASE_DEVICE, s);
}

typedef enum e1k_stage_result (*stage_fn)(struct halt_ctx *h, struct e1k_stage_report *s);

static const stage_fn stage_fns[E1K_HS_COUNT] = {
	[E1K_HS_REJECT_NEW_WORK] = st_reject_new_work,
	[E1K_HS_UNBIND_UPPER] = st_unbind_upper,
	[E1K_HS_DRAIN_REQUESTS] = st_drain_requests,
	[E1K_HS_STOP_RX_TX] = st_stop_rx_tx,
	[E1K_HS_MASK_INTERRUPTS] = st_mask_interrupts,
	[E1K_HS_DEREGISTER_INTERRUPTS] = st_deregister,
	[E1K_HS_DRAIN_DPCS] = st_drain_dpcs,
	[E1K_HS_CANCEL_TIMERS] = st_cancel_timers,
	[E1K_HS_RECLAIM_TX] = st_reclaim_tx,
	[E1K_HS_AWAIT_RX_RETURNS] = st_await_rx,
	[E1K_HS_RESET_DEVICE] = st_reset,
	[E1K_HS_DISABLE_BUS_MASTER] = st_bus_master,
	[E1K_HS_RCU_BARRIER] = st_rcu_barrier,
	[E1K_HS_FREE_DMA] = st_free_dma,
	[E1K_HS_RELEASE_DEVICE] = st_release_device,
};

int e1k_adapter_halt(struct e1k_adapter *ad, enum e1k_halt_reason reason,
                     struct e1k_halt_report *rep)
{
	return e1k_adapter_halt_bounded(ad, reason, NULL, rep);
}

int e1k_adapter_halt_bounded(struct e1k_adapter *ad, enum e1k_halt_reason reason,
                             const struct e1k_halt_bounds *bounds, struct e1k_halt_report *out)
{
	struct halt_ctx h = { .ad = ad };
	struct e1k_halt_report *rep;
	uint64_t t0, mmio_before;
	bool heap;
	int rc = 0;

	if ((unsigned)reason >= E1K_HALT_NREASONS)
		return -EINVAL;
	pthread_mutex_lock(&ad->ctl_lock);
	if (ad->halt_report) {
		/* Idempotent: the first halt's report. */
		if (out)
			*out = *ad->halt_report;
		rc = ad->halt_rc;
		pthread_mutex_unlock(&ad->ctl_lock);
		return rc;
	}
	rep = calloc(1, sizeof(*rep));
	heap = rep != NULL;
	if (!rep) {
		/* Out of memory: the halt still has to happen. */
		static struct e1k_halt_report fallback;

		rep = out ? out : &fallback;
	}
	memset(rep, 0, sizeof(*rep));
	t0 = now_ns();
	rep->reason = reason;
	rep->from_state = e1k_pub_locked(ad)->state;
	snprintf(rep->device, sizeof(rep->device), "%s", ad->hw->name);

	h.rep = rep;
	h.b.tx_drain_ms = 200;
	h.b.rx_return_ms = 2000;
	if (reason == E1K_HALT_FAILED || reason == E1K_HALT_INITIALIZATION_FAILED) {
		h.b.tx_drain_ms = 10;
		h.b.rx_return_ms = 200;
		h.abort_tx = true;
	}
	if (bounds)
		h.b = *bounds;
	if (reason != E1K_HALT_SURPRISE_REMOVED && !hal_is_gone(ad->hw))
		/* Whatever the reason, a device that vanished is not touched. */
		(void)e1k_check_removed(ad, hal_rd32(ad->hw, E1000_STATUS));
	if (reason == E1K_HALT_SURPRISE_REMOVED && !hal_is_gone(ad->hw)) {
		/* One probe decides.  A device that reads all ones is gone: from
		 * here on any register or config access is a policy violation and
		 * hal_rd32/hal_wr32 count it.  A device that still answers must be
		 * stopped before its memory is freed, or it would DMA into freed
		 * pages: the halt then touches registers but waits on nothing. */
		if (!e1k_check_removed(ad, hal_rd32(ad->hw, E1000_STATUS))) {
			h.present_anyway = true;
			e1k_log(E1K_LOG_WARN, "%s: halt reason surprise-removed, but the device still answers: "
			        "stopping it before freeing memory", ad->hw->name);
		}
	}
	h.gone = hal_is_gone(ad->hw);
	h.after_shutdown = ad->shutdown_done;
	if (h.gone || h.present_anyway) {
		h.abort_tx = true;
		h.b.tx_drain_ms = 0;
	}
	rep->device_gone = h.gone;
	if (h.gone && reason != E1K_HALT_SURPRISE_REMOVED)
		e1k_log(E1K_LOG_WARN, "%s: halt (%s) of a device that is gone: no register access",
		        ad->hw->name, e1k_halt_reason_name(reason));
	mmio_before = 0;

	for (unsigned i = 0; i < E1K_HS_COUNT; i++) {
		struct e1k_stage_report *s = &rep->stages[i];

		/* A removal another thread detected since the last stage: the
		 * rest of the halt follows the surprise-removed policy (the
		 * stages that touch registers also probe, halt_check_gone). */
		(void)halt_check_gone(&h, (enum e1k_halt_stage)i, false);
		s->start_ns = now_ns();
		s->result = stage_fns[i](&h, s);
		s->end_ns = now_ns();
		/* The counter so far belongs to whatever ran before the halt fenced
		 * off new work (a DPC can be past its checks when a device vanishes);
		 * the report counts accesses from the end of reject-new-work, whose
		 * grace period leaves no other thread acting on the Running state. */
		if (i == E1K_HS_REJECT_NEW_WORK)
			mmio_before = atomic_load(&ad->hw->mmio_after_removal);
		if (s->result == E1K_SR_TIMEOUT || s->result == E1K_SR_ERROR)
			rc = -EIO;
		e1k_log(E1K_LOG_DEBUG, "halt %-22s %-7s %.3f ms  %s", e1k_halt_stage_name(i),
		        e1k_stage_result_name(s->result), (double)(s->end_ns - s->start_ns) / 1e6,
		        s->detail);
	}
	rep->mmio_after_removal -= mmio_before;
	ad->hw = NULL;   /* closed by release-device */

	/* Halted: from here any callback is a contract violation (counted). */
	atomic_store_explicit(&ad->halted, true, memory_order_release);
	e1k_set_state(ad, E1K_STATE_HALTED, true);
	rep->final_state = E1K_STATE_HALTED;
	rep->isr_after_deregister = atomic_load(&ad->isr.isr_after_deregister);
	rep->dpc_after_drain = atomic_load(&ad->dpc_after_drain);
	rep->callbacks_after_halted = atomic_load(&ad->callbacks_after_halted);
	rep->ledger = ad->ledger;
	rep->total_ns = now_ns() - t0;
	if (ledger_outstanding(&ad->ledger))
		rc = -EIO;
	if (out && out != rep)
		*out = *rep;
	ad->halt_report = heap ? rep : NULL;
	ad->halt_rc = rc;
	pthread_mutex_unlock(&ad->ctl_lock);
	return rc;
}

int e1k_halt_report_clean(const struct e1k_halt_report *r)
{
	for (unsigned i = 0; i < E1K_HS_COUNT; i++)
		if (r->stages[i].result == E1K_SR_TIMEOUT || r->stages[i].result == E1K_SR_ERROR)
			return -EIO;
	if (r->dma_faults || r->isr_after_deregister || r->dpc_after_drain ||
	    r->callbacks_after_halted || r->rx_buffers_outstanding || r->mmio_after_removal ||
	    ledger_outstanding(&r->ledger) || r->final_state != E1K_STATE_HALTED)
		return -EIO;
	return 0;
}

void e1k_halt_report_json(const struct e1k_halt_report *r, struct jbuf *b)
{
	jb_obj_begin(b, NULL);
	jb_str(b, "reason", e1k_halt_reason_name(r->reason));
	jb_str(b, "ndis_reason", e1k_halt_reason_ndis_name(r->reason));
	jb_str(b, "device", r->device);
	jb_str(b, "from_state", e1k_state_name(r->from_state));
	jb_str(b, "final_state", e1k_state_name(r->final_state));
	jb_bool(b, "device_gone", r->device_gone);
	jb_arr_begin(b, "stages");
	for (unsigned i = 0; i < E1K_HS_COUNT; i++) {
		const struct e1k_stage_report *s = &r->stages[i];

		jb_obj_begin(b, NULL);
		jb_str(b, "name", e1k_halt_stage_name(i));
		jb_str(b, "result", e1k_stage_result_name(s->result));
		jb_u64(b, "start_ns", s->start_ns);
		jb_u64(b, "end_ns", s->end_ns);
		jb_str(b, "detail", s->detail);
		jb_obj_end(b);
	}
	jb_arr_end(b);
	jb_obj_begin(b, "ledger");
	jb_u64(b, "acquired", r->ledger.acquired);
	jb_u64(b, "released", r->ledger.released);
	jb_u64(b, "outstanding", ledger_outstanding(&r->ledger));
	jb_arr_begin(b, "entries");
	for (unsigned i = 0; i < r->ledger.count; i++) {
		const struct ledger_entry *e = &r->ledger.e[i];

		jb_obj_begin(b, NULL);
		jb_str(b, "name", e->name);
		jb_str(b, "kind", ledger_kind_name(e->kind));
		jb_str(b, "released_by", e1k_halt_stage_name(e->group));
		jb_u64(b, "acquired_ns", e->acquired_ns);
		jb_u64(b, "released_ns", e->released_ns);
		jb_obj_end(b);
	}
	jb_arr_end(b);
	jb_obj_end(b);
	jb_u64(b, "dma_faults", r->dma_faults);
	jb_u64(b, "isr_after_deregister", r->isr_after_deregister);
	jb_u64(b, "dpc_after_drain", r->dpc_after_drain);
	jb_u64(b, "callbacks_after_halted", r->callbacks_after_halted);
	jb_u64(b, "rx_buffers_outstanding", r->rx_buffers_outstanding);
	jb_u64(b, "mmio_after_removal", r->mmio_after_removal);
	jb_u64(b, "total_ns", r->total_ns);
	jb_obj_end(b);
}
