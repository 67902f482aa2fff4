/* SPDX-License-Identifier: MIT */
/*
 * halt.c - the staged halt framework.  See halt.h for the contract, stages.h
 * for the order and policy.h for what each reason allows.  Each stage
 * function returns its result and writes its detail; the device work is
 * done by the driver's ops, the decisions here:
 *
 *   - which stages touch the device: none once it is known gone (policy
 *     "probed", or a removal detected while the halt runs: halt_check_gone);
 *     none that MiniportShutdownEx already did;
 *   - how long anything waits (policy bounds, time-based);
 *   - that DPCs are flushed before their workers are joined, and that a
 *     timer that already fired is waited for, not just cancelled;
 *   - that each stage gives back exactly its own ledger entries, from the top.
 */
#include "halt.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "dpc.h"
#include "timer.h"

struct halt_ctx {
	const struct e1k_halt_ops *ops;
	void *dev;
	struct e1k_halt_report *rep;
	const struct e1k_halt_policy *pol;
	struct e1k_halt_bounds b;
	bool gone;           /* no register or config access */
	bool gone_in_halt;   /* ... because removal was detected after the halt started */
	bool abort_tx;       /* do not wait for sends to complete */
	bool after_shutdown; /* shutdown already stopped, masked and reset it */
	/* A device that read all ones but is still on the bus: stopped through
	 * config space when found (device_lost), reported by disable-bus-master. */
	bool quiesced;
	int quiesce_rc;
	bool quiesce_reset;
	enum e1k_halt_stage quiesce_at;
};

/* While drain-requests waits on the device, it asks whether the device is
 * still there this often. */
#define DRAIN_PROBE_NS  10000000ull
#define DRAIN_NAP_NS      200000ull
#define RX_RETURN_NAP_NS  500000ull

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

static void warn(struct halt_ctx *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(struct halt_ctx *h, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	h->ops->warn(h->dev, msg);
}

/* Why a stage touches no register: the removal was known at the start, or
 * detected while the halt ran. */
static const char *gone_why(const struct halt_ctx *h)
{
	return h->gone_in_halt ? "device removed during the halt" : "device removed";
}

/*
 * The device read all ones (at the start, or while the halt ran).  Gone for
 * good, or only no longer decoding its BAR?  A function still on the bus
 * still masters the bus: it is stopped at once through config space, or it
 * would write into the memory the halt is about to free (and into whatever
 * reuses it; in no-IOMMU mode nothing would stop it).
 */
static void device_lost(struct halt_ctx *h, enum e1k_halt_stage at)
{
	h->rep->device_found = h->ops->presence(h->dev);
	if (h->rep->device_found == HAL_GONE)
		return;
	h->quiesced = true;
	h->quiesce_at = at;
	h->quiesce_rc = h->ops->quiesce(h->dev, &h->quiesce_reset);
	warn(h, "the device reads all ones but is still on the bus (%s): %s at %s",
	     hal_presence_name(h->rep->device_found),
	     h->quiesce_rc < 0 ? "could not stop it through config space" :
	     "bus mastering and memory decoding cleared through config space",
	     e1k_halt_stage_name(at));
}

/*
 * Removal detected after the halt started (finding F2 in docs/robustness.md):
 * the irq thread (REQ handler, ISR) may mark the device gone at any time
 * until deregister-interrupts joins it, and the halt's own reads (these
 * probes, the reset's poll) until the end.  From then on the remaining
 * stages follow the surprise-removed policy whatever the reason: no register
 * or config access, no wait on hardware progress (sends aborted).  With
 * probe, the device is also asked (one read, confirmed) -- only before stages
 * that would touch registers while the function is still in D0: after
 * powered-down's D3hot every memory read returns all ones.  Returns h->gone.
 */
static bool halt_check_gone(struct halt_ctx *h, enum e1k_halt_stage before, bool probe)
{
	if (h->gone)
		return true;
	if (probe && !h->after_shutdown)
		(void)h->ops->probe_gone(h->dev);
	if (!h->ops->is_gone(h->dev))
		return false;
	h->gone = true;
	h->gone_in_halt = true;
	h->abort_tx = true;
	h->b.tx_drain_ms = 0;
	h->rep->device_gone = true;
	warn(h, "device removed during the halt (at %s): no more register access",
	     e1k_halt_stage_name(before));
	device_lost(h, before);
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
	struct ledger *l = h->ops->ledger(h->dev);
	unsigned n = ledger_release_top(l, st);
	unsigned left = ledger_held_in_group(l, st);

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
	h->ops->reject_new_work(h->dev);
	detail(s, "HALTING published%s", h->rep->from_state == E1K_STATE_RUNNING ?
	       "; pausing from Running: sends refused, indications stopped" : "");
	return E1K_SR_OK;
}

/* 2. Unbind upper layers, release what they recorded, clear the receive
 * filters (in the device only while it is there). */
static enum e1k_stage_result st_unbind_upper(struct halt_ctx *h, struct e1k_stage_report *s)
{
	struct e1k_halt_unbound was = { 0 };
	unsigned released;

	if (h->ops->unbind_upper(h->dev, &was) < 0) {
		detail(s, "out of memory publishing the unbound state");
		return E1K_SR_ERROR;
	}
	/* What the bindings recorded (TAP, their threads) is on top of the ledger. */
	released = ledger_release_top(h->ops->ledger(h->dev), E1K_HS_UNBIND_UPPER);
	if (halt_check_gone(h, E1K_HS_UNBIND_UPPER, true)) {
		detail(s, "%u binding(s) unbound, %u resource(s) released; filters cleared in software only (%s)",
		       was.bindings, released, gone_why(h));
		return E1K_SR_OK;
	}
	h->ops->clear_filters(h->dev);
	detail(s, "%u binding(s) unbound, %u resource(s) released; cleared %u unicast, %u multicast%s",
	       was.bindings, released, was.unicast, was.multicast, was.promisc ? ", promiscuous off" : "");
	return E1K_SR_OK;
}

/* 3. Control requests are serialised by the lock the halt holds, so none is
 * outstanding; sends are completed by the device (bounded) or left to be
 * aborted once it is stopped. */
static enum e1k_stage_result st_drain_requests(struct halt_ctx *h, struct e1k_stage_report *s)
{
	uint64_t deadline = e1k_deadline_ms(h->b.tx_drain_ms);
	uint64_t next_probe = e1k_now_ns() + DRAIN_PROBE_NS;
	unsigned done = 0, left;

	for (;;) {
		bool probe = e1k_now_ns() >= next_probe;

		/* Waiting on the device: stop once it is found gone. */
		if (probe)
			next_probe = e1k_now_ns() + DRAIN_PROBE_NS;
		(void)halt_check_gone(h, E1K_HS_DRAIN_REQUESTS, probe);
		done += h->ops->tx_reclaim(h->dev, !h->gone, &left);
		if (left == 0 || h->abort_tx || e1k_passed(deadline))
			break;
		e1k_sleep_ns(DRAIN_NAP_NS);
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

/* The guards of every stage that writes registers. */
static bool may_touch(struct halt_ctx *h, enum e1k_halt_stage st, struct e1k_stage_report *s)
{
	if (h->after_shutdown) {
		detail(s, "skipped: done by shutdown");
		return false;
	}
	if (halt_check_gone(h, st, true)) {
		detail(s, "skipped: %s, registers not touched", gone_why(h));
		return false;
	}
	return true;
}

/* 4. Stop receive and transmit in the device. */
static enum e1k_stage_result st_stop_rx_tx(struct halt_ctx *h, struct e1k_stage_report *s)
{
	if (!may_touch(h, E1K_HS_STOP_RX_TX, s))
		return E1K_SR_SKIPPED;
	h->ops->stop_rx_tx(h->dev);
	detail(s, "RCTL.EN and TCTL.EN cleared, flushed");
	return E1K_SR_OK;
}

/* 5. Mask interrupts at the device before deregistering them. */
static enum e1k_stage_result st_mask_interrupts(struct halt_ctx *h, struct e1k_stage_report *s)
{
	unsigned waited;

	if (!may_touch(h, E1K_HS_MASK_INTERRUPTS, s))
		return E1K_SR_SKIPPED;
	waited = h->ops->mask_interrupts(h->dev);
	detail(s, "IMC all ones, flushed; waited %u us for throttle timers", waited);
	return E1K_SR_OK;
}

/* 6. Triggers off, interrupt thread stopped and joined, eventfds closed
 * (the ledger entries of this stage).  Until this returns an ISR may run;
 * after it, none does. */
static enum e1k_stage_result st_deregister(struct halt_ctx *h, struct e1k_stage_report *s)
{
	enum e1k_stage_result r = release_group(h, E1K_HS_DEREGISTER_INTERRUPTS, s);
	char pre[16];

	snprintf(pre, sizeof(pre), "%s: ", h->ops->irq_mode(h->dev));
	detail_wrap(s, pre, "; irq thread joined");
	return r;
}

/* 7. Every queued and running DPC completes, then the workers are joined. */
static enum e1k_stage_result st_drain_dpcs(struct halt_ctx *h, struct e1k_stage_report *s)
{
	struct dpc_pool *pool = h->ops->dpcs(h->dev);
	struct dpc_pool_stats ps = { 0 };
	enum e1k_stage_result r;

	if (pool) {
		dpc_flush(pool);
		dpc_pool_get_stats(pool, &ps);
	}
	r = release_group(h, E1K_HS_DRAIN_DPCS, s);
	if (r == E1K_SR_OK)
		detail(s, "workers joined after %llu DPC runs", (unsigned long long)ps.runs);
	return r;
}

/* 8. Cancel every timer; one that already fired is waited for, so no
 * callback runs once the stage is done. */
static enum e1k_stage_result st_cancel_timers(struct halt_ctx *h, struct e1k_stage_report *s)
{
	struct e1k_halt_timers t = { 0 };
	unsigned cancelled = 0, waited = 0;
	enum e1k_stage_result r;
	char pre[96];

	h->ops->timers(h->dev, &t);
	for (unsigned i = 0; t.svc && i < t.n; i++) {
		if (ktimer_cancel(t.svc, t.timer[i])) {
			cancelled++;
		} else if (ktimer_fired(t.timer[i]) > 0) {
			ktimer_wait_callback(t.svc, t.timer[i]);
			waited++;
		}
	}
	r = release_group(h, E1K_HS_CANCEL_TIMERS, s);
	if (t.n == 1)
		snprintf(pre, sizeof(pre), "%s %s; ", t.timer[0]->name, cancelled ? "cancelled before firing" :
		         waited ? "had fired: waited for its callback" : "not armed");
	else
		snprintf(pre, sizeof(pre), "%u timer(s) cancelled before firing, %u had fired: waited; ",
		         cancelled, waited);
	detail_wrap(s, pre, "");
	return r;
}

/* 9. TX buffers: completed ones reclaimed, the rest aborted (device stopped). */
static enum e1k_stage_result st_reclaim_tx(struct halt_ctx *h, struct e1k_stage_report *s)
{
	unsigned left, done = h->ops->tx_reclaim(h->dev, !h->gone, &left);
	unsigned aborted = h->ops->tx_abort(h->dev);

	detail(s, "%u completed, %u aborted", done, aborted);
	return E1K_SR_OK;
}

/* 10. RX: buffers still posted go back to the pool; buffers indicated to
 * upper layers are waited for (bounded). */
static enum e1k_stage_result st_await_rx(struct halt_ctx *h, struct e1k_stage_report *s)
{
	uint64_t deadline = e1k_deadline_ms(h->b.rx_return_ms);
	unsigned dropped = 0, posted = 0;
	uint64_t out;

	h->ops->rx_flush(h->dev, &dropped, &posted);
	while ((out = h->ops->rx_outstanding(h->dev)) != 0 && !e1k_passed(deadline))
		e1k_sleep_ns(RX_RETURN_NAP_NS);
	h->rep->rx_buffers_outstanding = out;
	/* From here a late return is counted, not put: the pool is freed
	 * after the grace period of the rcu-barrier stage. */
	h->ops->rx_close_pool(h->dev);
	if (out) {
		detail(s, "%llu buffer(s) still held by upper layers after %u ms (revoked at free-dma); "
		       "%u posted reclaimed",
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
	int rc;

	if (h->after_shutdown && !h->pol->power_down) {
		detail(s, "skipped: done by shutdown");
		return E1K_SR_SKIPPED;
	}
	if (halt_check_gone(h, E1K_HS_RESET_DEVICE, true)) {
		detail(s, "skipped: %s, registers not touched", gone_why(h));
		return E1K_SR_SKIPPED;
	}
	rc = h->ops->reset(h->dev, h->pol->reset_us);
	if (rc == -ENODEV) {
		/* It read all ones during the reset: nothing more is written. */
		(void)halt_check_gone(h, E1K_HS_RESET_DEVICE, false);
		detail(s, "skipped: device removed during the reset, registers not touched after it");
		return E1K_SR_SKIPPED;
	}
	if (rc < 0) {
		detail(s, "reset did not complete: %s", strerror(-rc));
		return rc == -ETIMEDOUT ? E1K_SR_TIMEOUT : E1K_SR_ERROR;
	}
	if (!h->pol->power_down) {
		detail(s, "CTRL.RST done; RCTL, TCTL, IMS and ring lengths cleared");
		return E1K_SR_OK;
	}
	rc = h->ops->power_down(h->dev);
	if (rc == -ENOENT) {
		/* Not a failure of the halt: a function without the capability
		 * (QEMU's e1000 has none) has no D3hot to enter; it stays in D0,
		 * reset and quiet. */
		detail(s, "reset; wake-up armed; the device has no PM capability, so no D3hot: stays in D0");
		return E1K_SR_OK;
	}
	if (rc < 0) {
		detail(s, "reset; wake-up armed; PMCSR write failed: %s", strerror(-rc));
		return E1K_SR_ERROR;
	}
	detail(s, "reset; wake-up armed (magic packet, link change); D3hot entered");
	return E1K_SR_OK;
}

/* 12. Bus mastering off (the ledger entry's release, which touches no gone
 * device and nothing shutdown already did). */
static enum e1k_stage_result st_bus_master(struct halt_ctx *h, struct e1k_stage_report *s)
{
	enum e1k_stage_result r;

	/* No probe here: after powered-down's D3hot the device's memory reads
	 * return all ones.  No other thread can mark it gone any more (the irq
	 * thread was joined, the DPCs drained, the timers cancelled). */
	(void)halt_check_gone(h, E1K_HS_DISABLE_BUS_MASTER, false);
	r = release_group(h, E1K_HS_DISABLE_BUS_MASTER, s);
	if (h->quiesced && r == E1K_SR_OK) {
		if (h->quiesce_rc < 0) {
			detail(s, "device %s: clearing bus mastering through config space at %s failed: %s",
			       hal_presence_name(h->rep->device_found), e1k_halt_stage_name(h->quiesce_at),
			       strerror(-h->quiesce_rc));
			return E1K_SR_ERROR;
		}
		detail(s, "device %s: bus mastering and memory decoding cleared through config space at %s; "
		       "RX/TX stopped and MAC reset through the region%s",
		       hal_presence_name(h->rep->device_found), e1k_halt_stage_name(h->quiesce_at),
		       h->quiesce_reset ? "; function reset" : "; no function reset offered");
		return E1K_SR_OK;
	}
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
	h->ops->rcu_barrier(h->dev);
	detail(s, "grace period elapsed; pending call_rcu callbacks ran");
	return E1K_SR_OK;
}

/* 14. Rings and the pool: unmapped from the device, then freed. */
static enum e1k_stage_result st_free_dma(struct halt_ctx *h, struct e1k_stage_report *s)
{
	/* After the grace period of rcu-barrier no return is in flight: the
	 * count is exact.  Memory a holder can still read is never freed. */
	uint64_t held = h->ops->rx_outstanding(h->dev);
	enum e1k_stage_result r;
	char pre[160];
	int rc;

	/* A function that can still master the bus could write into the memory
	 * (and, without an IOMMU, into whatever reuses it): kept, and the
	 * device with it (release-device then finds this stage's entries on
	 * top and leaves it open).  Only when clearing bus mastering failed. */
	if (h->ops->bus_master_on(h->dev)) {
		detail(s, "the device still has bus mastering on: DMA memory kept, not freed");
		return E1K_SR_ERROR;
	}
	h->rep->rx_buffers_outstanding = held;
	if (held && (rc = h->ops->rx_revoke(h->dev, held)) < 0) {
		(void)release_group(h, E1K_HS_FREE_DMA, s);
		detail(s, "%llu receive buffer(s) still held and the pool could not be taken off the "
		       "device (%s): its memory is kept, not freed", (unsigned long long)held,
		       strerror(-rc));
		return E1K_SR_ERROR;
	}
	r = release_group(h, E1K_HS_FREE_DMA, s);
	if (held)
		snprintf(pre, sizeof(pre), "%llu held receive buffer(s): the pool unmapped from the device, "
		         "its memory kept until they are returned; rings freed; ", (unsigned long long)held);
	else
		snprintf(pre, sizeof(pre), "rings, then the pool, unmapped and freed; ");
	detail_wrap(s, pre, "");
	return r;
}

/* 15. The device handle.  What only the handle knows is read first. */
static enum e1k_stage_result st_release_device(struct halt_ctx *h, struct e1k_stage_report *s)
{
	struct e1k_halt_verifier v = { 0 };

	h->ops->verifier(h->dev, &v);
	h->rep->dma_faults = v.dma_faults;
	h->rep->dma_live_frees = v.dma_live_frees;
	h->rep->mmio_after_removal = v.mmio_after_removal;
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

/* The reason's policy at the start: what is known of the device decides
 * whether it may be touched at all. */
static void halt_begin(struct halt_ctx *h, enum e1k_halt_reason reason,
                       const struct e1k_halt_bounds *bounds)
{
	const struct e1k_halt_ops *ops = h->ops;
	bool present_anyway = false;

	h->b.tx_drain_ms = h->pol->tx_drain_ms;
	h->b.rx_return_ms = h->pol->rx_return_ms;
	h->abort_tx = !h->pol->drain_tx;
	if (bounds)
		h->b = *bounds;
	/* One probe decides.  A device that reads all ones is gone: from here on
	 * any register or config access is a policy violation, and the hal
	 * counts it.  Under the surprise-removed policy, a device that still
	 * answers must be stopped before its memory is freed, or it would DMA
	 * into freed pages: the halt then touches registers but waits on nothing. */
	if (!ops->is_gone(h->dev) && !ops->probe_gone(h->dev) && h->pol->probe_removed) {
		present_anyway = true;
		warn(h, "halt reason %s, but the device still answers: stopping it before freeing memory",
		     e1k_halt_reason_name(reason));
	}
	h->gone = ops->is_gone(h->dev);
	h->after_shutdown = ops->shutdown_done(h->dev);
	if (h->gone || present_anyway) {
		h->abort_tx = true;
		h->b.tx_drain_ms = 0;
	}
	h->rep->device_gone = h->gone;
	if (h->gone && !h->pol->probe_removed)
		warn(h, "halt (%s) of a device that is gone: no register access",
		     e1k_halt_reason_name(reason));
	if (h->gone)
		device_lost(h, E1K_HS_REJECT_NEW_WORK);
}

int e1k_halt_run(const struct e1k_halt_ops *ops, void *dev, enum e1k_halt_reason reason,
                 const struct e1k_halt_bounds *bounds, struct e1k_halt_report *rep)
{
	struct halt_ctx h = { .ops = ops, .dev = dev, .rep = rep, .pol = e1k_halt_policy(reason) };
	struct e1k_halt_verifier v = { 0 };
	uint64_t t0 = e1k_now_ns(), mmio_before = 0;
	int rc = 0;

	if (!h.pol)
		return -EINVAL;
	memset(rep, 0, sizeof(*rep));
	rep->reason = reason;
	rep->device_found = HAL_PRESENT;
	rep->from_state = ops->state(dev);
	snprintf(rep->device, sizeof(rep->device), "%s", ops->name(dev));
	halt_begin(&h, reason, bounds);

	for (unsigned i = 0; i < E1K_HS_COUNT; i++) {
		struct e1k_stage_report *s = &rep->stages[i];

		/* A removal another thread detected since the last stage: the
		 * rest of the halt follows the surprise-removed policy (the
		 * stages that touch registers also probe). */
		(void)halt_check_gone(&h, (enum e1k_halt_stage)i, false);
		s->start_ns = e1k_now_ns();
		s->result = stage_fns[i](&h, s);
		s->end_ns = e1k_now_ns();
		/* The counter so far belongs to whatever ran before the halt fenced
		 * off new work (a DPC can be past its checks when a device vanishes);
		 * the report counts accesses from the end of reject-new-work, whose
		 * grace period leaves no other thread acting on the Running state. */
		if (i == E1K_HS_REJECT_NEW_WORK) {
			ops->verifier(dev, &v);
			mmio_before = v.mmio_after_removal;
		}
		if (s->result == E1K_SR_TIMEOUT || s->result == E1K_SR_ERROR)
			rc = -EIO;
	}
	rep->mmio_after_removal -= mmio_before;

	/* Halted: from here any callback is a contract violation (counted). */
	ops->halted(dev);
	rep->final_state = E1K_STATE_HALTED;
	memset(&v, 0, sizeof(v));
	ops->verifier(dev, &v);
	rep->isr_after_deregister = v.isr_after_deregister;
	rep->dpc_after_drain = v.dpc_after_drain;
	rep->callbacks_after_halted = v.callbacks_after_halted;
	rep->ledger = *ops->ledger(dev);
	rep->total_ns = e1k_now_ns() - t0;
	if (ledger_outstanding(&rep->ledger))
		rc = -EIO;
	return rc;
}

int e1k_halt_report_clean(const struct e1k_halt_report *r)
{
	for (unsigned i = 0; i < E1K_HS_COUNT; i++)
		if (r->stages[i].result == E1K_SR_TIMEOUT || r->stages[i].result == E1K_SR_ERROR)
			return -EIO;
	if (r->dma_faults || r->dma_live_frees || r->isr_after_deregister || r->dpc_after_drain ||
	    r->callbacks_after_halted || r->rx_buffers_outstanding || r->mmio_after_removal ||
	    ledger_outstanding(&r->ledger) || r->final_state != E1K_STATE_HALTED)
		return -EIO;
	return 0;
}
