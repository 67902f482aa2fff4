/* SPDX-License-Identifier: MIT */
/*
 * test_halt_stress.c - many staged halts on the software model, every reason,
 * random timing, against a random mix of what can be going on when a halt
 * arrives:
 *
 *   - traffic in loopback from 1-2 sender threads, paced or an unpaced flood
 *     (missed frames are counted by the device; that is not a failure);
 *   - a binding that holds its receive buffers and gives them back late from
 *     another thread: after a random spin, or once its unbind callback ran,
 *     or from the unbind callback itself;
 *   - the watchdog at its shortest period (10 ms), firing during the halt;
 *   - a device fault: interrupt storm, hang, surprise removal mid-burst (the
 *     halt told so, or the driver's own detection asking for it), or a
 *     removal request;
 *   - a second, concurrent halt trigger.
 *
 * Each iteration checks the whole report (final state, ledger, verifier
 * counters, stage order, reverse release order, per-reason policy), that a
 * halt error is one of the documented ones, and that threads and file
 * descriptors are back to the baseline after destroy.
 *
 * Environment:
 *   E1K_STRESS_SEED=n   PRNG seed (printed on every run; default: from the clock)
 *   E1K_STRESS_ITER=n   halts per reason (default 12 plain, 10 under sanitizers)
 *   E1K_STRESS_VERBOSE=1  one line per iteration
 *
 * Timing is random but nothing depends on it: every pause is a random count
 * of yields or loop iterations before a trigger, and every wait is for a
 * condition with a deadline.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "e1k_rcu.h"
#include "halt.h"
#include "halt_report_json.h"
#include "json.h"
#include "rig.h"
#include "testlib.h"

/* ---- PRNG: splitmix64 to seed, xorshift64* to draw (reproducible) ---- */
struct prng {
	uint64_t s;
};

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void prng_seed(struct prng *p, uint64_t seed)
{
	uint64_t x = seed;

	p->s = splitmix64(&x);
	if (!p->s)
		p->s = 1;
}

static uint64_t prng_next(struct prng *p)
{
	p->s ^= p->s >> 12;
	p->s ^= p->s << 25;
	p->s ^= p->s >> 27;
	return p->s * 0x2545f4914f6cdd1dull;
}

/* Uniform-ish in [0, n). */
static unsigned rnd(struct prng *p, unsigned n)
{
	return n ? (unsigned)((prng_next(p) >> 11) % n) : 0;
}

/* ---- scenario ---- */
enum fault_kind {
	F_NONE,
	F_STORM,
	F_HANG,
	F_SURPRISE,          /* removed mid-burst; halted as surprise-removed at once */
	F_SURPRISE_DETECT,   /* removed; the driver's detection asks for the halt first */
	F_SURPRISE_OTHER,    /* removed, but halted with another reason (the halt probes) */
	F_REMOVE_REQUEST,    /* REQ eventfd: the driver asks for a `disabled` halt */
	F_NKINDS
};

static const char *const fault_names[F_NKINDS] = {
	"none", "storm", "hang", "surprise", "surprise-detect", "surprise-other-reason",
	"remove-request",
};

enum hold_kind {
	H_NONE,
	H_ON_UNBIND,      /* the unbind callback returns them (rig return_on_unbind) */
	H_LATE_SPIN,      /* a returner thread returns them after a random spin */
	H_LATE_UNBIND,    /* a returner thread waits for unbind, spins, returns */
	H_NKINDS
};

static const char *const hold_names[H_NKINDS] = { "none", "on-unbind", "late-spin", "late-unbind" };

struct scenario {
	uint64_t seed;                 /* this iteration's own seed (helper threads) */
	enum sim_model model;
	enum e1k_irq_mode irq;
	unsigned dpc_workers;
	unsigned watchdog_ms;
	unsigned senders;              /* 0..2 */
	bool unpaced;
	enum hold_kind hold;
	enum fault_kind fault;
	bool await_detect;             /* wait for the driver's own halt_needed first */
	bool second_halter;
	enum e1k_halt_reason reason, second_reason;
	unsigned pre_yields, post_yields, wait_frames;
};

static void scenario_str(const struct scenario *sc, char *buf, size_t n)
{
	snprintf(buf, n, "model=%s irq=%s dpc=%u wd=%ums senders=%u%s hold=%s fault=%s%s "
	         "reason=%s%s%s pre=%u post=%u wait=%u seed=%#" PRIx64,
	         sc->model == SIM_82540EM ? "82540em" : "82574l", e1k_irq_mode_name(sc->irq),
	         sc->dpc_workers, sc->watchdog_ms, sc->senders, sc->unpaced ? "(unpaced)" : "",
	         hold_names[sc->hold], fault_names[sc->fault], sc->await_detect ? "(detected)" : "",
	         e1k_halt_reason_name(sc->reason),
	         sc->second_halter ? " +concurrent " : "",
	         sc->second_halter ? e1k_halt_reason_name(sc->second_reason) : "",
	         sc->pre_yields, sc->post_yields, sc->wait_frames, sc->seed);
}

static void draw_scenario(struct prng *p, enum e1k_halt_reason reason, struct scenario *sc)
{
	static const enum e1k_irq_mode modes_574[] = { E1K_IRQ_AUTO, E1K_IRQ_INTX, E1K_IRQ_MSI,
	                                               E1K_IRQ_MSIX };

	memset(sc, 0, sizeof(*sc));
	sc->seed = prng_next(p);
	sc->reason = reason;
	sc->model = rnd(p, 2) ? SIM_82574L : SIM_82540EM;
	/* The 82540EM has INTx only (no MSI capability in the model). */
	sc->irq = sc->model == SIM_82574L ? modes_574[rnd(p, 4)] : (rnd(p, 2) ? E1K_IRQ_AUTO : E1K_IRQ_INTX);
	sc->dpc_workers = 1 + rnd(p, 3);
	/* 10 ms is the shortest period the config accepts: it fires during halts. */
	sc->watchdog_ms = rnd(p, 2) ? 10 : 500;
	sc->senders = rnd(p, 3);
	sc->unpaced = sc->senders && rnd(p, 2);
	sc->hold = sc->senders ? (enum hold_kind)rnd(p, H_NKINDS) : H_NONE;
	if (reason == E1K_HALT_SURPRISE_REMOVED) {
		/* Removed for real (3 in 4), else the "still answers" path. */
		static const enum fault_kind sr[] = { F_SURPRISE, F_SURPRISE, F_SURPRISE_DETECT, F_NONE };

		sc->fault = sr[rnd(p, 4)];
	} else {
		static const enum fault_kind other[] = { F_NONE, F_NONE, F_STORM, F_STORM, F_HANG,
		                                         F_HANG, F_REMOVE_REQUEST, F_REMOVE_REQUEST,
		                                         F_SURPRISE_OTHER };

		sc->fault = other[rnd(p, sizeof(other) / sizeof(other[0]))];
	}
	/* The driver's own detection: the REQ eventfd (removal, request) or the
	 * watchdog's TX hang check, which needs frames in flight for 3 periods of
	 * 10 ms: an unpaced flood keeps the TX ring full, and no held receive
	 * buffers may have drained the packet pool TX shares with RX. */
	sc->await_detect = sc->fault == F_SURPRISE_DETECT ||
	                   (sc->fault == F_REMOVE_REQUEST && rnd(p, 2)) ||
	                   (sc->fault == F_HANG && sc->unpaced && sc->hold == H_NONE &&
	                    sc->watchdog_ms == 10 && rnd(p, 2));
	sc->second_halter = rnd(p, 4) == 0;
	/* A removal scenario is halted as surprise-removed by either trigger. */
	sc->second_reason = sc->fault == F_SURPRISE || sc->fault == F_SURPRISE_DETECT ?
	                    E1K_HALT_SURPRISE_REMOVED : (enum e1k_halt_reason)rnd(p, E1K_HALT_NREASONS);
	sc->pre_yields = rnd(p, 2000);
	sc->post_yields = rnd(p, 500);
	sc->wait_frames = sc->senders && rnd(p, 2) ? 1 + rnd(p, 400) : 0;
}

/* ---- helper threads ---- */
struct sender {
	struct rig *r;
	bool unpaced;
	unsigned id;
	atomic_bool stop;
	pthread_t t;
};

static void *sender_thread(void *arg)
{
	struct sender *s = arg;
	uint64_t seq = (uint64_t)s->id << 40;

	e1k_rcu_thread_online();
	if (s->unpaced) {
		static _Thread_local uint8_t bufs[32][1514];
		struct e1k_frame fr[32] = { 0 };

		for (unsigned i = 0; i < 32; i++) {
			uint32_t len = 60 + (uint32_t)((seq + i) * 47 % 1455);

			rig_frame(s->r, bufs[i], len, seq + i);
			fr[i].data = bufs[i];
			fr[i].len = len;
		}
		/* Flood until the halt refuses sends (-ENETDOWN) or we are told. */
		while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
			int rc = e1k_adapter_send(s->r->ad, fr, 32);

			if (rc < 0)
				break;
			if (rc < 32)
				sched_yield();   /* ring or pool full */
		}
	} else {
		while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
			long n = rig_send_paced(s->r, seq, 64, 128, 50);

			if (n < 0)
				break;
			if (n == 0)
				sched_yield();   /* a hung device or held buffers: no progress */
			seq += (uint64_t)n;
		}
	}
	e1k_rcu_thread_offline();
	return NULL;
}

struct returner {
	struct rig *r;
	enum hold_kind kind;
	unsigned spins;
	atomic_bool stop;
	pthread_t t;
};

static bool unbound_or_stop(void *ctx)
{
	struct returner *rt = ctx;

	return atomic_load(&rt->r->b.unbound) || atomic_load(&rt->stop);
}

static void *returner_thread(void *arg)
{
	struct returner *rt = arg;
	volatile unsigned sink = 0;

	e1k_rcu_thread_online();
	if (rt->kind == H_LATE_UNBIND)
		/* The halt's unbind-upper stage calls the unbind callback, which
		 * sets `unbound`; the halt then waits in await-rx-returns. */
		(void)tl_wait_until(unbound_or_stop, rt, 30000);
	for (unsigned i = 0; i < rt->spins; i++)
		sink += i;
	rig_release_held(rt->r);
	e1k_rcu_thread_offline();
	(void)sink;
	return NULL;
}

/* The halt's own bounds, except the graceful TX drain: 200 ms assumes the
 * device (here the model's thread) gets the CPU.  On a shared, overloaded
 * machine (load average 11 on 2 CPUs while other jobs ran) the model thread
 * went 200 ms without running and a halt with no fault reported
 * drain-requests timeout.  A hung device still hits the 200 ms bound: that
 * is the documented timeout the checks allow. */
/*
 * The reason's own bounds, with two raised so that a starved machine cannot
 * fail an iteration whose halt is correct (docs/halt-stress.md, "Bounds"):
 *  - the graceful TX drain, unless the device is hung (the model's thread
 *    can go 200 ms without running);
 *  - await-rx-returns for the short-bound reasons (failed,
 *    initialization-failed: 200 ms), to the graceful 2000 ms.  A late holder
 *    returns its buffers from its own thread after at most ~1 ms of spinning,
 *    but iteration 5863 of a 7000-halt run (seed 0xd90628586a9, `failed`,
 *    1793 buffers held by a late-spin returner) hit the 200 ms bound while
 *    two sanitizer builds and the fault campaign shared the 2 CPUs: the
 *    returner thread was not scheduled in time -- the bound working on a
 *    starved scheduler, not a halt bug (docs/robustness.md, F5).  Every
 *    variant returns everything, so the test still insists on
 *    rx_buffers_outstanding 0 and no timeout.
 */
static struct e1k_halt_bounds bounds_for(enum e1k_halt_reason reason, bool hung)
{
	bool short_bound = reason == E1K_HALT_FAILED || reason == E1K_HALT_INITIALIZATION_FAILED;
	struct e1k_halt_bounds b = { .tx_drain_ms = short_bound ? 10 : 200,
	                             .rx_return_ms = 2000 };

	if (!short_bound && !hung)
		b.tx_drain_ms = 5000;
	return b;
}

struct halter {
	struct e1k_adapter *ad;
	enum e1k_halt_reason reason;
	bool hung;
	unsigned yields;
	struct e1k_halt_report rep;
	int rc;
	pthread_t t;
};

static void *halter_thread(void *arg)
{
	struct halter *h = arg;

	e1k_rcu_thread_online();
	for (unsigned i = 0; i < h->yields; i++)
		sched_yield();
	{
		struct e1k_halt_bounds b = bounds_for(h->reason, h->hung);

		h->rc = e1k_adapter_halt_bounded(h->ad, h->reason, &b, &h->rep);
	}
	e1k_rcu_thread_offline();
	return NULL;
}

/* A thread the iteration cannot do without: unwinding a half-started
 * iteration would need the very halt under test, so give up on the run. */
static void spawn(pthread_t *t, void *(*fn)(void *), void *arg)
{
	int rc = pthread_create(t, NULL, fn, arg);

	if (rc) {
		fprintf(stderr, "pthread_create: %s\n", strerror(rc));
		exit(1);
	}
}

/* ---- checks ---- */
static unsigned g_counts[E1K_HALT_NREASONS];
static unsigned g_eio[E1K_HALT_NREASONS];
static unsigned g_gone, g_present_sr, g_concurrent;
static uint64_t g_total_ns, g_max_ns;

/* A stage that did not end ok or skipped is acceptable only for a documented
 * cause the scenario created.  Returns NULL when allowed, else why not. */
static const char *bad_stage_why(const struct scenario *sc, const struct e1k_halt_report *rep,
                                 unsigned i)
{
	const struct e1k_stage_report *s = &rep->stages[i];

	if (s->result == E1K_SR_OK || s->result == E1K_SR_SKIPPED)
		return NULL;
	/* A hung device completes no send: a graceful halt's bounded TX drain
	 * (200 ms) expires and the frames are aborted after stop-rx-tx. */
	if (i == E1K_HS_DRAIN_REQUESTS && s->result == E1K_SR_TIMEOUT && sc->fault == F_HANG &&
	    strstr(s->detail, "still in flight"))
		return NULL;
	return "stage did not end ok/skipped and the scenario documents no reason for it";
}

static void dump_report(const struct e1k_halt_report *rep)
{
	struct jbuf b;

	jb_init(&b);
	e1k_halt_report_json(rep, &b);
	if (jb_finish(&b) == 0)
		fprintf(stderr, "report: %.*s\n", (int)b.len, b.data);
	jb_free(&b);
}

static bool check_report(const struct scenario *sc, const struct e1k_halt_report *rep, int rc,
                         bool buffers_returned)
{
	int before = tl_failures;
	bool removed = sc->fault == F_SURPRISE || sc->fault == F_SURPRISE_DETECT ||
	               sc->fault == F_SURPRISE_OTHER;
	bool any_bad = false;

	CHECK_EQ(rep->final_state, E1K_STATE_HALTED);
	CHECK_EQ(ledger_outstanding(&rep->ledger), 0);
	CHECK_EQ(rep->ledger.acquired, rep->ledger.released);
	CHECK(rep->ledger.acquired >= 10);
	CHECK_EQ(rep->dma_faults, 0);
	CHECK_EQ(rep->isr_after_deregister, 0);
	CHECK_EQ(rep->dpc_after_drain, 0);
	CHECK_EQ(rep->callbacks_after_halted, 0);
	CHECK_EQ(rep->mmio_after_removal, 0);
	if (buffers_returned)
		CHECK_EQ(rep->rx_buffers_outstanding, 0);
	for (unsigned i = 0; i < E1K_HS_COUNT; i++) {
		const char *why = bad_stage_why(sc, rep, i);

		CHECK(rep->stages[i].end_ns >= rep->stages[i].start_ns);
		if (i)
			CHECK(rep->stages[i].start_ns >= rep->stages[i - 1].end_ns);
		if (why) {
			any_bad = true;
			tl_fail(__FILE__, __LINE__, "stage %s: %s (%s): %s", e1k_halt_stage_name(i),
			        e1k_stage_result_name(rep->stages[i].result), rep->stages[i].detail, why);
		}
	}
	/* -EIO exactly when some stage timed out or failed (all of them allowed above). */
	{
		bool eio = false;

		for (unsigned i = 0; i < E1K_HS_COUNT; i++)
			if (rep->stages[i].result == E1K_SR_TIMEOUT || rep->stages[i].result == E1K_SR_ERROR)
				eio = true;
		CHECK_EQ(rc, eio ? -EIO : 0);
		if (eio && !any_bad)
			g_eio[rep->reason]++;
	}
	for (unsigned i = 0; i + 1 < rep->ledger.count; i++)
		if (rep->ledger.e[i].released_ns < rep->ledger.e[i + 1].released_ns)
			tl_fail(__FILE__, __LINE__, "ledger: '%s' released before '%s'",
			        rep->ledger.e[i].name, rep->ledger.e[i + 1].name);
	/* Policy: a device that is really gone is never touched. */
	if (removed) {
		CHECK(rep->device_gone);
		CHECK_EQ(rep->stages[E1K_HS_STOP_RX_TX].result, E1K_SR_SKIPPED);
		CHECK_EQ(rep->stages[E1K_HS_MASK_INTERRUPTS].result, E1K_SR_SKIPPED);
		CHECK_EQ(rep->stages[E1K_HS_RESET_DEVICE].result, E1K_SR_SKIPPED);
		CHECK_EQ(rep->stages[E1K_HS_DISABLE_BUS_MASTER].result, E1K_SR_SKIPPED);
	} else {
		/* Present: stopped, masked and reset before its memory was freed
		 * (also for surprise-removed: the probe found it answering). */
		CHECK(!rep->device_gone);
		CHECK_EQ(rep->stages[E1K_HS_STOP_RX_TX].result, E1K_SR_OK);
		CHECK_EQ(rep->stages[E1K_HS_RESET_DEVICE].result, E1K_SR_OK);
		CHECK_EQ(rep->stages[E1K_HS_DISABLE_BUS_MASTER].result, E1K_SR_OK);
		if (rep->reason == E1K_HALT_POWERED_DOWN)
			CHECK(strstr(rep->stages[E1K_HS_RESET_DEVICE].detail, "D3hot") != NULL);
	}
	return tl_failures == before;
}

static bool sim_halt_needed(void *ctx)
{
	struct rig *r = ctx;
	bool v;

	pthread_mutex_lock(&r->olock);
	v = r->halt_reason >= 0;
	pthread_mutex_unlock(&r->olock);
	return v;
}

/* One iteration.  Returns false when it failed (the caller stops early on
 * the first failure so the seed and scenario are the last thing printed). */
static bool run_one(unsigned iter, const struct scenario *sc, unsigned base_threads,
                    unsigned base_fds)
{
	struct rig r;
	struct e1k_config c;
	struct sender snd[2];
	struct returner rt = { .r = &r };
	struct halter h2 = { 0 };
	struct e1k_halt_report rep;
	struct prng p;
	char desc[400];
	int rc, before = tl_failures;
	bool ok;

	prng_seed(&p, sc->seed);
	scenario_str(sc, desc, sizeof(desc));
	if (getenv("E1K_STRESS_VERBOSE"))
		printf("  [%u] %s\n", iter, desc);

	e1k_config_defaults(&c);
	c.irq_mode = sc->irq;
	c.dpc_workers = sc->dpc_workers;
	c.watchdog_ms = sc->watchdog_ms;
	rc = rig_up(&r, sc->model, SIM_WIRE_LOOPBACK, &c);
	if (rc < 0) {
		tl_fail(__FILE__, __LINE__, "[%u] rig_up: %d (%s)", iter, rc, desc);
		if (r.ad)
			rig_down(&r, E1K_HALT_INITIALIZATION_FAILED, NULL);
		return false;
	}
	if (sc->hold != H_NONE) {
		pthread_mutex_lock(&r.b.lock);
		r.b.hold = true;
		r.b.return_on_unbind = sc->hold == H_ON_UNBIND;
		pthread_mutex_unlock(&r.b.lock);
	}
	for (unsigned i = 0; i < sc->senders; i++) {
		snd[i] = (struct sender){ .r = &r, .unpaced = sc->unpaced, .id = i };
		spawn(&snd[i].t, sender_thread, &snd[i]);
	}
	if (sc->hold == H_LATE_SPIN || sc->hold == H_LATE_UNBIND) {
		rt.kind = sc->hold;
		/* Up to ~1 ms of loop iterations plain: well inside the
		 * await-rx-returns bound (2000 ms here, see bounds_for), even
		 * under sanitizers on a loaded machine. */
		rt.spins = rnd(&p, 200000);
		spawn(&rt.t, returner_thread, &rt);
	}
	if (sc->wait_frames)
		/* Mid-burst: some frames have come back.  A miss is no failure
		 * (a flood may starve the paced accounting), the bound is short. */
		(void)rig_wait_received(&r, sc->wait_frames, 1000);
	for (unsigned i = 0; i < sc->pre_yields; i++)
		sched_yield();

	switch (sc->fault) {
	case F_STORM:
		CHECK_OK(sim_fault(r.hw, SIM_FAULT_STORM, true));
		break;
	case F_HANG:
		CHECK_OK(sim_fault(r.hw, SIM_FAULT_HANG, true));
		break;
	case F_SURPRISE:
	case F_SURPRISE_DETECT:
	case F_SURPRISE_OTHER:
		CHECK_OK(sim_fault(r.hw, SIM_FAULT_SURPRISE_REMOVE, true));
		break;
	case F_REMOVE_REQUEST:
		CHECK_OK(sim_fault(r.hw, SIM_FAULT_REMOVE_REQUEST, true));
		break;
	default:
		break;
	}
	if (sc->await_detect) {
		/* The driver's own detection (REQ eventfd -> irq thread, the ISR's
		 * all-ones read, the watchdog) asks its owner for the halt. */
		if (!tl_wait_until(sim_halt_needed, &r, 10000))
			tl_fail(__FILE__, __LINE__, "[%u] no halt_needed after %s", iter, fault_names[sc->fault]);
		else if (sc->fault == F_HANG)
			CHECK_EQ(r.halt_reason, E1K_HALT_FAILED);
		else if (r.halt_reason == E1K_HALT_FAILED && sc->watchdog_ms == 10 && sc->senders)
			/* Only the first request is passed on: on an overloaded
			 * machine the model's thread can miss 3 watchdog periods
			 * of 10 ms with frames in flight, which the watchdog
			 * rightly reads as a TX hang. */
			;
		else if (sc->fault == F_SURPRISE_DETECT)
			CHECK_EQ(r.halt_reason, E1K_HALT_SURPRISE_REMOVED);
		else
			CHECK_EQ(r.halt_reason, E1K_HALT_DISABLED);
	}
	for (unsigned i = 0; i < sc->post_yields; i++)
		sched_yield();
	if (sc->second_halter) {
		h2.ad = r.ad;
		h2.reason = sc->second_reason;
		h2.hung = sc->fault == F_HANG;
		h2.yields = rnd(&p, 200);
		spawn(&h2.t, halter_thread, &h2);
	}

	{
		struct e1k_halt_bounds b = bounds_for(sc->reason, sc->fault == F_HANG);

		rc = e1k_adapter_halt_bounded(r.ad, sc->reason, &b, &rep);
	}
	if (sc->second_halter) {
		pthread_join(h2.t, NULL);
		CHECK_EQ(h2.rc, rc);
		CHECK_EQ(h2.rep.total_ns, rep.total_ns);    /* one halt ran; both got its report */
		CHECK_EQ(h2.rep.reason, rep.reason);
		g_concurrent++;
	} else {
		CHECK_EQ(rep.reason, sc->reason);
	}
	for (unsigned i = 0; i < sc->senders; i++) {
		atomic_store(&snd[i].stop, true);
		pthread_join(snd[i].t, NULL);
	}
	if (rt.kind != H_NONE) {
		atomic_store(&rt.stop, true);
		pthread_join(rt.t, NULL);
	}
	/* Every variant gives its buffers back while the halt waits for them. */
	ok = check_report(sc, &rep, rc, true);
	g_counts[rep.reason]++;
	g_total_ns += rep.total_ns;
	if (rep.total_ns > g_max_ns)
		g_max_ns = rep.total_ns;
	if (rep.device_gone)
		g_gone++;
	else if (rep.reason == E1K_HALT_SURPRISE_REMOVED)
		g_present_sr++;
	/* Idempotent after the fact. */
	{
		struct e1k_halt_report rep2;

		CHECK_EQ(e1k_adapter_halt(r.ad, E1K_HALT_STOPPED, &rep2), rc);
		CHECK_EQ(rep2.total_ns, rep.total_ns);
	}
	e1k_adapter_destroy(r.ad);
	r.ad = NULL;
	CHECK_EQ(rig_count_threads(), base_threads);
	CHECK_EQ(rig_count_fds(), base_fds);
	if (!ok || tl_failures != before) {
		fprintf(stderr, "FAILED iteration %u: %s (rc %d)\n", iter, desc, rc);
		dump_report(&rep);
		return false;
	}
	return true;
}

static unsigned env_uint(const char *name, unsigned dflt)
{
	const char *s = getenv(name);

	return s && *s ? (unsigned)strtoul(s, NULL, 0) : dflt;
}

static void test_halt_stress(void)
{
	const char *seed_env = getenv("E1K_STRESS_SEED");
	uint64_t seed = seed_env && *seed_env ? strtoull(seed_env, NULL, 0) : tl_now_ns() ^ (uint64_t)time(NULL);
	unsigned per_reason = env_uint("E1K_STRESS_ITER", (unsigned)tl_scaled(12, 10));
	unsigned total = per_reason * E1K_HALT_NREASONS;
	unsigned base_threads, base_fds;
	struct prng p;
	struct rig r;
	uint64_t t0 = tl_now_ns();

	printf("halt stress: E1K_STRESS_SEED=%#" PRIx64 " E1K_STRESS_ITER=%u (%u halts)\n",
	       seed, per_reason, total);
	prng_seed(&p, seed);
	/* Warm up: liburcu's call_rcu thread and the log are created once per
	 * process; the baseline is taken after them. */
	REQUIRE(rig_up(&r, SIM_82540EM, SIM_WIRE_LOOPBACK, NULL) == 0);
	rig_down(&r, E1K_HALT_STOPPED, NULL);
	base_threads = rig_count_threads();
	base_fds = rig_count_fds();

	for (unsigned i = 0; i < total; i++) {
		struct scenario sc;

		/* Round-robin over the reasons: each gets per_reason halts. */
		draw_scenario(&p, (enum e1k_halt_reason)(i % E1K_HALT_NREASONS), &sc);
		if (!run_one(i, &sc, base_threads, base_fds)) {
			fprintf(stderr, "reproduce with E1K_STRESS_SEED=%#" PRIx64 " E1K_STRESS_ITER=%u\n",
			        seed, per_reason);
			return;
		}
	}
	printf("halt stress: %u halts in %.1f s; mean halt %.2f ms, max %.2f ms; "
	       "%u device-gone, %u surprise-removed-but-present, %u with a concurrent trigger\n",
	       total, (double)(tl_now_ns() - t0) / 1e9, (double)g_total_ns / total / 1e6,
	       (double)g_max_ns / 1e6, g_gone, g_present_sr, g_concurrent);
	for (unsigned i = 0; i < E1K_HALT_NREASONS; i++) {
		printf("  %-24s %4u halts, %3u returned -EIO for a documented cause\n",
		       e1k_halt_reason_name((enum e1k_halt_reason)i), g_counts[i], g_eio[i]);
		/* Concurrent triggers move a few halts between reasons. */
		CHECK(g_counts[i] >= per_reason / 2);
	}
}

int main(int argc, char **argv)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_halt_stress),
	};

	e1k_rcu_thread_online();
	return tl_main(argc, argv, cases, TL_N(cases));
}
