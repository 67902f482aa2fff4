/* SPDX-License-Identifier: MIT */
/*
 * test_halt_rules.c - the halt framework's rules, against a recording device
 * side: no adapter, no model.  Every op and every ledger release appends a
 * word to a trace, so each test can assert what the framework did, in which
 * order, for a reason and a device in a given condition:
 *
 *   - the golden order of a graceful halt (mask before deregistration,
 *     filters cleared in unbind-upper, stop before reclaim, reset before bus
 *     mastering, bus mastering before the memory goes, ...);
 *   - each reason's policy (powered-down powers down; failed does not wait
 *     for sends, stopped does and times out; surprise-removed of a gone
 *     device touches nothing; of a present one, waits on nothing);
 *   - a removal found mid-halt switches the rest to "touch nothing", and a
 *     function still on the bus is quiesced through config space;
 *   - a timer whose callback already started is waited for;
 *   - buffers still held at free-dma are revoked, never freed;
 *   - after shutdown, nothing shutdown did is done again.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "dpc.h"
#include "halt.h"
#include "testlib.h"
#include "timer.h"

struct fake {
	pthread_mutex_t lock;
	char trace[1024];
	struct ledger ledger;
	/* The device's condition. */
	bool gone;                    /* the mark */
	int gone_at_probe;            /* the n-th probe finds it gone (0: never) */
	int probes;
	enum hal_presence presence;   /* what a gone device turns out to be */
	unsigned in_flight;           /* sends the device never completes */
	uint64_t held;                /* receive buffers a binding keeps */
	bool shutdown_done;
	bool bus_master_stuck;        /* clearing bus mastering does not take */
	int reset_rc, power_rc;
	/* A timer, optionally with its callback running when the halt starts. */
	struct timer_svc *svc;
	struct ktimer tm;
	struct ktimer *tms[1];
	atomic_bool cb_started, cb_release;
	struct e1k_halt_verifier v;
	/* A DPC pool, optionally with a DPC running when the halt starts. */
	struct dpc_pool *dpcs;
	struct dpc dpc;
	atomic_bool dpc_started, dpc_release;
	/* Returns that arrive while await-rx-returns waits: each poll after
	 * the first returns one. */
	bool returns_trickle;
	unsigned rx_polls;
};

static void rec(struct fake *f, const char *w)
{
	pthread_mutex_lock(&f->lock);
	if (f->trace[0])
		strncat(f->trace, " ", sizeof(f->trace) - strlen(f->trace) - 1);
	strncat(f->trace, w, sizeof(f->trace) - strlen(f->trace) - 1);
	pthread_mutex_unlock(&f->lock);
}

#define F(dev) ((struct fake *)(dev))

static const char *o_name(void *d) { (void)d; return "fake"; }
static enum e1k_state o_state(void *d) { (void)d; return E1K_STATE_RUNNING; }
static struct ledger *o_ledger(void *d) { return &F(d)->ledger; }
static bool o_shutdown_done(void *d) { return F(d)->shutdown_done; }
static bool o_is_gone(void *d) { return F(d)->gone; }
static bool o_probe_gone(void *d)
{
	struct fake *f = d;

	if (f->gone_at_probe && ++f->probes >= f->gone_at_probe)
		f->gone = true;
	return f->gone;
}
static enum hal_presence o_presence(void *d) { rec(d, "presence"); return F(d)->presence; }
static int o_quiesce(void *d, bool *reset) { rec(d, "quiesce"); *reset = true; return 0; }
static void o_verifier(void *d, struct e1k_halt_verifier *v) { *v = F(d)->v; }
static bool o_bus_master_on(void *d) { return F(d)->bus_master_stuck; }
static void o_warn(void *d, const char *m) { (void)d; (void)m; }
static void o_reject(void *d) { rec(d, "reject"); }
static int o_unbind(void *d, struct e1k_halt_unbound *w)
{
	*w = (struct e1k_halt_unbound){ 1, 2, 3, true };
	rec(d, "unbind");
	return 0;
}
static void o_clear_filters(void *d) { rec(d, "clear-filters"); }
static unsigned o_tx_reclaim(void *d, bool reclaim, unsigned *left)
{
	(void)reclaim;
	*left = F(d)->in_flight;
	return 0;
}
static unsigned o_tx_abort(void *d)
{
	unsigned n = F(d)->in_flight;

	F(d)->in_flight = 0;
	rec(d, "abort");
	return n;
}
static void o_stop(void *d) { rec(d, "stop"); }
static unsigned o_mask(void *d) { rec(d, "mask"); return 0; }
static const char *o_irq_mode(void *d) { (void)d; return "msix"; }
static struct dpc_pool *o_dpcs(void *d) { return F(d)->dpcs; }
static void o_timers(void *d, struct e1k_halt_timers *t)
{
	struct fake *f = d;

	t->svc = f->svc;
	f->tms[0] = &f->tm;
	t->timer = f->tms;
	t->n = f->svc ? 1 : 0;
}
static void o_rx_flush(void *d, unsigned *dropped, unsigned *posted)
{
	*dropped = 0;
	*posted = 0;
	rec(d, "rx-flush");
}
static uint64_t o_rx_outstanding(void *d)
{
	struct fake *f = d;

	if (f->returns_trickle && f->rx_polls++ > 0 && f->held > 0)
		f->held--;
	return f->held;
}
static void o_rx_close(void *d) { rec(d, "rx-close"); }
static int o_rx_revoke(void *d, uint64_t held) { (void)held; rec(d, "revoke"); return 0; }
static int o_reset(void *d, unsigned us) { (void)us; rec(d, "reset"); return F(d)->reset_rc; }
static int o_power_down(void *d) { rec(d, "power-down"); return F(d)->power_rc; }
static void o_rcu(void *d) { rec(d, "rcu"); }
static void o_halted(void *d) { rec(d, "halted"); }

static const struct e1k_halt_ops fake_ops = {
	.name = o_name, .state = o_state, .ledger = o_ledger, .shutdown_done = o_shutdown_done,
	.is_gone = o_is_gone, .probe_gone = o_probe_gone, .presence = o_presence,
	.quiesce = o_quiesce, .bus_master_on = o_bus_master_on, .verifier = o_verifier, .warn = o_warn,
	.reject_new_work = o_reject, .unbind_upper = o_unbind, .clear_filters = o_clear_filters,
	.tx_reclaim = o_tx_reclaim, .tx_abort = o_tx_abort, .stop_rx_tx = o_stop,
	.mask_interrupts = o_mask, .irq_mode = o_irq_mode, .dpcs = o_dpcs, .timers = o_timers,
	.rx_flush = o_rx_flush, .rx_outstanding = o_rx_outstanding, .rx_close_pool = o_rx_close,
	.rx_revoke = o_rx_revoke, .reset = o_reset, .power_down = o_power_down,
	.rcu_barrier = o_rcu, .halted = o_halted,
};

/* Ledger entries, one per releasing stage in acquisition order: each
 * release records "rel:<stage>". */
static struct fake *cur;
static void rel(void *arg) { char w[48]; snprintf(w, sizeof(w), "rel:%s", (const char *)arg); rec(cur, w); }

static void fake_init(struct fake *f)
{
	static const enum e1k_halt_stage acquired[] = {
		E1K_HS_RELEASE_DEVICE, E1K_HS_FREE_DMA, E1K_HS_DISABLE_BUS_MASTER,
		E1K_HS_CANCEL_TIMERS, E1K_HS_DRAIN_DPCS, E1K_HS_DEREGISTER_INTERRUPTS,
		E1K_HS_UNBIND_UPPER,
	};

	memset(f, 0, sizeof(*f));
	pthread_mutex_init(&f->lock, NULL);
	f->presence = HAL_GONE;
	ledger_init(&f->ledger);
	cur = f;
	for (unsigned i = 0; i < TL_N(acquired); i++)
		ledger_acquired(&f->ledger, LEDGER_THREAD, acquired[i], e1k_halt_stage_name(acquired[i]),
		                rel, (void *)e1k_halt_stage_name(acquired[i]));
}

static int run(struct fake *f, enum e1k_halt_reason reason, struct e1k_halt_report *rep)
{
	return e1k_halt_run(&fake_ops, f, reason, NULL, rep);
}

#define GRACEFUL_TRACE \
	"reject unbind rel:unbind-upper clear-filters stop mask rel:deregister-interrupts " \
	"rel:drain-dpcs rel:cancel-timers abort rx-flush rx-close reset rel:disable-bus-master " \
	"rcu rel:free-dma rel:release-device halted"

static void expect_trace(const struct fake *f, const char *want)
{
	if (strcmp(f->trace, want) != 0)
		tl_fail(__FILE__, __LINE__, "trace\n    got  %s\n    want %s", f->trace, want);
}

/* The contract order, every stage doing its part, for each graceful reason. */
static void test_graceful_order(void)
{
	static const enum e1k_halt_reason r[] = {
		E1K_HALT_DISABLED, E1K_HALT_INSTANCE_DEINITIALIZED, E1K_HALT_STOPPED,
	};
	struct e1k_halt_report rep;
	struct fake f;

	for (unsigned i = 0; i < TL_N(r); i++) {
		fake_init(&f);
		CHECK_EQ(run(&f, r[i], &rep), 0);
		expect_trace(&f, GRACEFUL_TRACE);
		CHECK_EQ(e1k_halt_report_clean(&rep), 0);
		CHECK_EQ(rep.device_gone, false);
		CHECK(strstr(rep.stages[E1K_HS_UNBIND_UPPER].detail, "cleared 2 unicast, 3 multicast") != NULL);
	}
}

/* powered-down: wake-up and D3hot after the reset; without a PM capability
 * the device stays in D0 and the halt is still clean. */
static void test_powered_down(void)
{
	struct e1k_halt_report rep;
	struct fake f;

	fake_init(&f);
	CHECK_EQ(run(&f, E1K_HALT_POWERED_DOWN, &rep), 0);
	CHECK(strstr(f.trace, "reset power-down rel:disable-bus-master") != NULL);
	fake_init(&f);
	f.power_rc = -ENOENT;
	CHECK_EQ(run(&f, E1K_HALT_POWERED_DOWN, &rep), 0);
	CHECK(strstr(rep.stages[E1K_HS_RESET_DEVICE].detail, "stays in D0") != NULL);
	fake_init(&f);
	f.power_rc = -EIO;
	CHECK_EQ(run(&f, E1K_HALT_POWERED_DOWN, &rep), -EIO);
	CHECK_EQ(rep.stages[E1K_HS_RESET_DEVICE].result, E1K_SR_ERROR);
}

/* Sends the device never completes: a graceful reason waits its bound and
 * says so (timeout); failed and initialization-failed do not wait at all.
 * Either way they are aborted, so none is left in flight. */
static void test_send_policy(void)
{
	static const enum e1k_halt_reason hung[] = { E1K_HALT_FAILED, E1K_HALT_INITIALIZATION_FAILED };
	struct e1k_halt_report rep;
	struct fake f;

	fake_init(&f);
	f.in_flight = 5;
	CHECK_EQ(run(&f, E1K_HALT_STOPPED, &rep), -EIO);
	CHECK_EQ(rep.stages[E1K_HS_DRAIN_REQUESTS].result, E1K_SR_TIMEOUT);
	CHECK(strstr(rep.stages[E1K_HS_DRAIN_REQUESTS].detail, "after 200 ms") != NULL);
	CHECK(strstr(rep.stages[E1K_HS_RECLAIM_TX].detail, "5 aborted") != NULL);
	for (unsigned i = 0; i < TL_N(hung); i++) {
		fake_init(&f);
		f.in_flight = 5;
		CHECK_EQ(run(&f, hung[i], &rep), 0);
		CHECK_EQ(rep.stages[E1K_HS_DRAIN_REQUESTS].result, E1K_SR_OK);
		CHECK(strstr(rep.stages[E1K_HS_DRAIN_REQUESTS].detail, "no drain on failure") != NULL);
		CHECK(strstr(rep.stages[E1K_HS_RECLAIM_TX].detail, "5 aborted") != NULL);
		expect_trace(&f, GRACEFUL_TRACE);
	}
}

/* surprise-removed, and the device is gone: nothing touches it, the stages
 * that would are skipped, sends are aborted. */
static void test_surprise_removed_gone(void)
{
	struct e1k_halt_report rep;
	struct fake f;

	fake_init(&f);
	f.gone = true;
	f.in_flight = 2;
	CHECK_EQ(run(&f, E1K_HALT_SURPRISE_REMOVED, &rep), 0);
	expect_trace(&f, "presence reject unbind rel:unbind-upper rel:deregister-interrupts "
	                 "rel:drain-dpcs rel:cancel-timers abort rx-flush rx-close "
	                 "rel:disable-bus-master rcu rel:free-dma rel:release-device halted");
	CHECK_EQ(rep.device_gone, true);
	CHECK_EQ(rep.device_found, HAL_GONE);
	for (unsigned s = E1K_HS_STOP_RX_TX; s <= E1K_HS_MASK_INTERRUPTS; s++)
		CHECK_EQ(rep.stages[s].result, E1K_SR_SKIPPED);
	/* Known gone from the start, and the report says so (not "during"). */
	CHECK(strcmp(rep.stages[E1K_HS_STOP_RX_TX].detail,
	             "skipped: device removed, registers not touched") == 0);
	CHECK_EQ(rep.stages[E1K_HS_RESET_DEVICE].result, E1K_SR_SKIPPED);
	CHECK_EQ(rep.stages[E1K_HS_DISABLE_BUS_MASTER].result, E1K_SR_SKIPPED);
}

/* surprise-removed, but the device answers: stopped like any other, without
 * waiting for its sends. */
static void test_surprise_removed_present(void)
{
	struct e1k_halt_report rep;
	struct fake f;

	fake_init(&f);
	f.in_flight = 2;
	CHECK_EQ(run(&f, E1K_HALT_SURPRISE_REMOVED, &rep), 0);
	expect_trace(&f, GRACEFUL_TRACE);
	CHECK(strstr(rep.stages[E1K_HS_DRAIN_REQUESTS].detail, "will be aborted") != NULL);
}

/* Found gone at the probe before stop-rx-tx (the first probe is at the
 * start, the second before unbind-upper's filters, the third before
 * stop-rx-tx): no register stage runs from there, whatever the reason, and
 * a function still on the bus is quiesced through config space at once. */
static void test_removed_mid_halt(void)
{
	struct e1k_halt_report rep;
	struct fake f;

	fake_init(&f);
	f.gone_at_probe = 3;
	f.presence = HAL_NOT_DECODING;
	CHECK_EQ(run(&f, E1K_HALT_STOPPED, &rep), 0);
	expect_trace(&f, "reject unbind rel:unbind-upper clear-filters presence quiesce "
	                 "rel:deregister-interrupts rel:drain-dpcs rel:cancel-timers abort rx-flush "
	                 "rx-close rel:disable-bus-master rcu rel:free-dma rel:release-device halted");
	CHECK_EQ(rep.reason, E1K_HALT_STOPPED);
	CHECK_EQ(rep.device_gone, true);
	CHECK_EQ(rep.device_found, HAL_NOT_DECODING);
	CHECK(strstr(rep.stages[E1K_HS_STOP_RX_TX].detail, "removed during the halt") != NULL);
	CHECK(strstr(rep.stages[E1K_HS_DISABLE_BUS_MASTER].detail, "config space at stop-rx-tx") != NULL);
}

/* After MiniportShutdownEx: stop, mask, reset and bus mastering were done. */
static void test_after_shutdown(void)
{
	struct e1k_halt_report rep;
	struct fake f;

	fake_init(&f);
	f.shutdown_done = true;
	CHECK_EQ(run(&f, E1K_HALT_STOPPED, &rep), 0);
	expect_trace(&f, "reject unbind rel:unbind-upper clear-filters rel:deregister-interrupts "
	                 "rel:drain-dpcs rel:cancel-timers abort rx-flush rx-close "
	                 "rel:disable-bus-master rcu rel:free-dma rel:release-device halted");
	CHECK(strstr(rep.stages[E1K_HS_RESET_DEVICE].detail, "done by shutdown") != NULL);
}

/* Buffers a binding keeps past the bound: await-rx-returns times out and
 * free-dma revokes the pool instead of freeing it under the holder. */
static void test_held_buffers_revoked(void)
{
	struct e1k_halt_report rep;
	struct fake f;

	fake_init(&f);
	f.held = 4;
	CHECK_EQ(run(&f, E1K_HALT_FAILED, &rep), -EIO);
	CHECK(strstr(f.trace, "rcu revoke rel:free-dma") != NULL);
	CHECK_EQ(rep.stages[E1K_HS_AWAIT_RX_RETURNS].result, E1K_SR_TIMEOUT);
	CHECK_EQ(rep.rx_buffers_outstanding, 4);
	CHECK(strstr(rep.stages[E1K_HS_FREE_DMA].detail, "4 held receive buffer(s)") != NULL);
}

/* A timer whose callback is running when the halt starts: cancel-timers
 * cannot cancel it and must wait for the callback before it returns. */
static void slow_cb(struct ktimer *t)
{
	struct fake *f = cur;

	(void)t;
	atomic_store(&f->cb_started, true);
	while (!atomic_load(&f->cb_release))
		sched_yield();
	rec(f, "timer-callback-done");
}

static bool cb_started(void *ctx) { return atomic_load(&((struct fake *)ctx)->cb_started); }

struct halt_arg {
	struct fake *f;
	struct e1k_halt_report rep;
};

static void *halt_thread(void *arg)
{
	struct halt_arg *a = arg;

	run(a->f, E1K_HALT_STOPPED, &a->rep);
	return NULL;
}

static bool reached_timers(void *ctx)
{
	struct fake *f = ctx;
	bool r;

	pthread_mutex_lock(&f->lock);
	r = strstr(f->trace, "rel:drain-dpcs") != NULL;
	pthread_mutex_unlock(&f->lock);
	return r;
}

static void test_fired_timer_waited_for(void)
{
	static struct halt_arg a;
	struct fake f;
	pthread_t t;

	fake_init(&f);
	REQUIRE(timer_svc_create("halt-rules", NULL, &f.svc) == 0);
	ktimer_init(&f.tm, "watchdog", slow_cb);
	REQUIRE(ktimer_arm(f.svc, &f.tm, 0, 0) == 0);
	REQUIRE(tl_wait_until(cb_started, &f, 5000));
	a.f = &f;
	REQUIRE(pthread_create(&t, NULL, halt_thread, &a) == 0);
	/* The halt reaches cancel-timers while the callback still runs. */
	CHECK(tl_wait_until(reached_timers, &f, 5000));
	atomic_store(&f.cb_release, true);
	pthread_join(t, NULL);
	CHECK(strstr(f.trace, "timer-callback-done rel:cancel-timers") != NULL);
	CHECK(strstr(a.rep.stages[E1K_HS_CANCEL_TIMERS].detail, "had fired: waited") != NULL);
	timer_svc_destroy(f.svc);
}

/* An armed timer that has not fired is cancelled. */
static void test_armed_timer_cancelled(void)
{
	struct e1k_halt_report rep;
	struct fake f;

	fake_init(&f);
	REQUIRE(timer_svc_create("halt-rules", NULL, &f.svc) == 0);
	ktimer_init(&f.tm, "watchdog", slow_cb);
	REQUIRE(ktimer_arm(f.svc, &f.tm, 60ull * 1000000000ull, 0) == 0);
	CHECK_EQ(run(&f, E1K_HALT_STOPPED, &rep), 0);
	CHECK(strstr(rep.stages[E1K_HS_CANCEL_TIMERS].detail, "cancelled before firing") != NULL);
	CHECK_EQ(ktimer_fired(&f.tm), 0);
	timer_svc_destroy(f.svc);
}

/* A DPC running when the halt starts: drain-dpcs lets it finish before the
 * workers are released. */
static void slow_dpc(struct dpc *d)
{
	struct fake *f = cur;

	(void)d;
	atomic_store(&f->dpc_started, true);
	while (!atomic_load(&f->dpc_release))
		sched_yield();
	rec(f, "dpc-done");
}

static bool dpc_started(void *ctx) { return atomic_load(&((struct fake *)ctx)->dpc_started); }

static bool reached_dpcs(void *ctx)
{
	struct fake *f = ctx;
	bool r;

	pthread_mutex_lock(&f->lock);
	r = strstr(f->trace, "rel:deregister-interrupts") != NULL;
	pthread_mutex_unlock(&f->lock);
	return r;
}

static void test_running_dpc_drained(void)
{
	static struct halt_arg a;
	struct fake f;
	pthread_t t;

	fake_init(&f);
	REQUIRE(dpc_pool_create(1, "halt-rules", NULL, &f.dpcs) == 0);
	dpc_init(&f.dpc, "slow", slow_dpc);
	REQUIRE(dpc_queue(f.dpcs, &f.dpc));
	REQUIRE(tl_wait_until(dpc_started, &f, 5000));
	a.f = &f;
	REQUIRE(pthread_create(&t, NULL, halt_thread, &a) == 0);
	CHECK(tl_wait_until(reached_dpcs, &f, 5000));
	atomic_store(&f.dpc_release, true);
	pthread_join(t, NULL);
	CHECK(strstr(f.trace, "dpc-done rel:drain-dpcs") != NULL);
	CHECK(strstr(a.rep.stages[E1K_HS_DRAIN_DPCS].detail, "after 1 DPC runs") != NULL);
	dpc_pool_destroy(f.dpcs);
}

/* Buffers that come back while await-rx-returns waits: it waits for them,
 * and nothing is revoked. */
static void test_returns_awaited(void)
{
	struct e1k_halt_report rep;
	struct fake f;

	fake_init(&f);
	f.held = 3;
	f.returns_trickle = true;
	CHECK_EQ(run(&f, E1K_HALT_STOPPED, &rep), 0);
	CHECK_EQ(rep.stages[E1K_HS_AWAIT_RX_RETURNS].result, E1K_SR_OK);
	CHECK_EQ(rep.rx_buffers_outstanding, 0);
	CHECK(strstr(f.trace, "revoke") == NULL);
}

/* What the device side's verifier saw reaches the report: the DMA checks
 * before the device is released, the callback counters after Halted; the
 * accesses after removal counted from the end of reject-new-work. */
static void test_verifier_reported(void)
{
	struct e1k_halt_report rep;
	struct fake f;

	fake_init(&f);
	f.v = (struct e1k_halt_verifier){ .dma_faults = 3, .dma_live_frees = 2,
	                                  .isr_after_deregister = 4, .dpc_after_drain = 5,
	                                  .callbacks_after_halted = 6 };
	CHECK_EQ(run(&f, E1K_HALT_STOPPED, &rep), 0);
	CHECK_EQ(rep.dma_faults, 3);
	CHECK_EQ(rep.dma_live_frees, 2);
	CHECK_EQ(rep.isr_after_deregister, 4);
	CHECK_EQ(rep.dpc_after_drain, 5);
	CHECK_EQ(rep.callbacks_after_halted, 6);
	CHECK(e1k_halt_report_clean(&rep) != 0);
}

/* Bus mastering still on at free-dma (clearing it did not take): the DMA
 * memory is kept, and the device with it -- never freed under a device that
 * could still write into it. */
static void test_memory_kept_while_bus_master(void)
{
	struct e1k_halt_report rep;
	struct fake f;

	fake_init(&f);
	f.bus_master_stuck = true;
	CHECK_EQ(run(&f, E1K_HALT_STOPPED, &rep), -EIO);
	CHECK_EQ(rep.stages[E1K_HS_FREE_DMA].result, E1K_SR_ERROR);
	CHECK(strstr(f.trace, "rel:free-dma") == NULL);
	CHECK(strstr(f.trace, "rel:release-device") == NULL);
	CHECK_EQ(ledger_outstanding(&rep.ledger), 2);
}

/* A reason out of range does nothing at all. */
static void test_bad_reason(void)
{
	struct e1k_halt_report rep;
	struct fake f;

	fake_init(&f);
	CHECK_EQ(run(&f, (enum e1k_halt_reason)E1K_HALT_NREASONS, &rep), -EINVAL);
	CHECK_EQ(strlen(f.trace), 0);
}

int main(void)
{
	static const struct tl_case c[] = {
		TL_CASE(test_graceful_order), TL_CASE(test_powered_down), TL_CASE(test_send_policy),
		TL_CASE(test_surprise_removed_gone), TL_CASE(test_surprise_removed_present),
		TL_CASE(test_removed_mid_halt), TL_CASE(test_after_shutdown),
		TL_CASE(test_held_buffers_revoked), TL_CASE(test_fired_timer_waited_for),
		TL_CASE(test_armed_timer_cancelled), TL_CASE(test_running_dpc_drained),
		TL_CASE(test_returns_awaited), TL_CASE(test_verifier_reported),
		TL_CASE(test_memory_kept_while_bus_master), TL_CASE(test_bad_reason),
	};

	return tl_run(c, TL_N(c));
}
