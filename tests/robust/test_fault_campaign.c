/* SPDX-License-Identifier: MIT */
/*
 * robust_campaign: random device faults injected at random times during
 * traffic AND during the halt, every halt reason, on the software model.
 *
 * One iteration: an adapter on the model behind the forwarding shim
 * (robust_lib.h), a two-way flood (the driver sends in loopback; the wire
 * injects frames of every size), and a fault thread that keeps drawing
 * faults -- surprise removal, removal request, hang on/off, interrupt storm
 * on/off, link flap, corrupt write-back on/off, hostile on/off -- with random
 * pauses (counts of sched_yield), from before the first request until the
 * halt's release-device stage closes the model (the shim stops the thread
 * there).  Surprise removal stops at the halt's start unless
 * E1K_CAMPAIGN_REMOVE_IN_HALT is set (see below); every other fault keeps
 * coming through every stage.  The main thread makes a random number of control requests, then
 * halts with a random reason (or, half the time when the driver asked for a
 * halt through halt_needed, with the reason it asked for).
 *
 * Every iteration must end: Halted; ledger empty and acquired == released;
 * dma_faults (the model's DMA checker, read at close), isr_after_deregister,
 * dpc_after_drain, callbacks_after_halted, rx_buffers_outstanding,
 * mmio_after_removal all 0; no stage failed; a stage timed out only where a
 * faulty device can make it (drain-requests: sends a hung or lying device
 * never completes); the binding never got a frame longer than its buffer;
 * threads and fds back to the baseline after destroy.  The first failing
 * iteration prints its scenario and seed and stops the run.
 *
 * Environment (long form, docs/robustness.md):
 *   E1K_CAMPAIGN_SEED=n     PRNG seed (printed; default from the clock)
 *   E1K_CAMPAIGN_ITER=n     iterations (default 40 plain, scaled down under
 *                           sanitizers)
 *   E1K_CAMPAIGN_VERBOSE=1  one line per iteration
 *   E1K_CAMPAIGN_KEEP_GOING=1  do not stop at the first failing iteration
 *   E1K_CAMPAIGN_REMOVE_IN_HALT=1  also inject surprise removal while the
 *                           halt runs (after its removal probe): the stages
 *                           after the detection must follow the
 *                           surprise-removed policy (docs/robustness.md,
 *                           finding F2; ctest robust_campaign_remove_in_halt).
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
#include "rig.h"
#include "robust_lib.h"
#include "testlib.h"

/* ---- PRNG (splitmix64 seeding, xorshift64*) ---- */
static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static unsigned rnd(uint64_t *s, unsigned n)
{
	return n ? (unsigned)((next(s) >> 11) % n) : 0;
}

/* ---- faults ---- */
enum kind { K_REMOVE, K_REQUEST, K_HANG, K_STORM, K_LINK, K_CORRUPT, K_HOSTILE, K_N };
static const char *const kind_names[K_N] = {
	"surprise-remove", "remove-request", "hang", "storm", "link-flap", "corrupt-wb", "hostile",
};
static const enum sim_fault kind_fault[K_N] = {
	SIM_FAULT_SURPRISE_REMOVE, SIM_FAULT_REMOVE_REQUEST, SIM_FAULT_HANG, SIM_FAULT_STORM,
	SIM_FAULT_LINK_DOWN, SIM_FAULT_CORRUPT_WB, SIM_FAULT_HOSTILE,
};

struct scenario {
	uint64_t seed;
	enum sim_model model;
	enum e1k_irq_mode irq;
	unsigned workers, watchdog_ms;
	unsigned kinds;               /* bit per enum kind the fault thread may draw */
	unsigned max_pause;           /* yields between faults: 0..max_pause */
	unsigned pre_rounds;          /* control requests before the halt */
	enum e1k_halt_reason reason;
	bool follow_request;          /* halt with the driver's requested reason */
	bool wire;
};

struct faulter {
	struct rb_dev *t;
	uint64_t s;
	const struct scenario *sc;
	/* halting is set under lock, and a removal is decided and injected
	 * under it: without remove_in_halt, every removal happens before the
	 * halt starts (and its probe sees it), never during it. */
	pthread_mutex_t lock;
	bool halting;
	bool remove_in_halt;
	unsigned long n[K_N], n_in_halt[K_N];
	bool on[K_N];
	bool removed;
};

static void *fault_thread(void *arg)
{
	struct faulter *f = arg;

	while (!rb_dev_threads_stopping(f->t)) {
		unsigned k = rnd(&f->s, K_N), pause;
		bool on;

		if (!(f->sc->kinds & (1u << k)))
			continue;
		/* A removal ends the device's life: make it rare. */
		if (k == K_REMOVE && (f->removed || rnd(&f->s, 8) != 0))
			continue;
		on = k == K_REMOVE || k == K_REQUEST ? true : !f->on[k];
		pthread_mutex_lock(&f->lock);
		if ((k != K_REMOVE || !f->halting || f->remove_in_halt) &&
		    sim_fault(f->t->sim, kind_fault[k], on) == 0) {
			f->on[k] = on;
			f->n[k]++;
			if (f->halting)
				f->n_in_halt[k]++;
			if (k == K_REMOVE)
				f->removed = true;
		}
		pthread_mutex_unlock(&f->lock);
		pause = rnd(&f->s, f->sc->max_pause + 1);
		for (unsigned i = 0; i < pause && !rb_dev_threads_stopping(f->t); i++)
			sched_yield();
	}
	return NULL;
}

static void draw(uint64_t *s, unsigned it, struct scenario *sc)
{
	static const enum e1k_irq_mode irq574[] = { E1K_IRQ_AUTO, E1K_IRQ_INTX, E1K_IRQ_MSI,
	                                            E1K_IRQ_MSIX };

	memset(sc, 0, sizeof(*sc));
	sc->seed = next(s);
	sc->model = rnd(s, 2) ? SIM_82574L : SIM_82540EM;
	sc->irq = sc->model == SIM_82574L ? irq574[rnd(s, 4)] : (rnd(s, 2) ? E1K_IRQ_INTX : E1K_IRQ_AUTO);
	sc->workers = 1 + rnd(s, 3);
	sc->watchdog_ms = rnd(s, 2) ? 10 : 500;
	/* Every kind in most iterations; a single kind in some, so each one
	 * also meets the halt alone. */
	sc->kinds = rnd(s, 4) ? (1u << K_N) - 1 : 1u << rnd(s, K_N);
	sc->max_pause = (unsigned[]){ 10, 200, 5000 }[rnd(s, 3)];
	sc->pre_rounds = rnd(s, 400);
	sc->reason = (enum e1k_halt_reason)(it % E1K_HALT_NREASONS);
	sc->follow_request = rnd(s, 2);
	sc->wire = rnd(s, 4) != 0;
}

static void scenario_str(const struct scenario *sc, char *buf, size_t n)
{
	char kinds[160] = "";

	for (unsigned k = 0; k < K_N; k++)
		if (sc->kinds & (1u << k)) {
			strncat(kinds, kinds[0] ? "," : "", sizeof(kinds) - strlen(kinds) - 1);
			strncat(kinds, kind_names[k], sizeof(kinds) - strlen(kinds) - 1);
		}
	snprintf(buf, n, "model=%s irq=%s dpc=%u wd=%ums faults=%s pause<=%u pre=%u reason=%s%s%s "
	         "seed=%#" PRIx64, sc->model == SIM_82540EM ? "82540em" : "82574l",
	         e1k_irq_mode_name(sc->irq), sc->workers, sc->watchdog_ms, kinds, sc->max_pause,
	         sc->pre_rounds, e1k_halt_reason_name(sc->reason),
	         sc->follow_request ? "(or the requested one)" : "", sc->wire ? " wire" : "", sc->seed);
}

/* ---- totals ---- */
static struct {
	unsigned long iters, by_reason[E1K_HALT_NREASONS], eio, requested, followed, removed;
	unsigned long faults[K_N], faults_in_halt[K_N];
	uint64_t max_ns, sum_ns;
} tot;

static bool one_iteration(unsigned it, const struct scenario *sc, unsigned base_threads,
                          unsigned base_fds)
{
	struct rb_dev t;
	struct rb_flood fl;
	struct faulter *f = calloc(1, sizeof(*f));
	struct e1k_halt_report rep;
	enum e1k_halt_reason reason = sc->reason;
	int failures = tl_failures, rc, asked;
	char desc[400];

	if (!f) {
		tl_fail(__FILE__, __LINE__, "out of memory");
		return false;
	}
	scenario_str(sc, desc, sizeof(desc));
	rc = rb_dev_up(&t, &(struct rb_opts){ .model = sc->model, .irq = sc->irq,
	                                      .dpc_workers = sc->workers,
	                                      .watchdog_ms = sc->watchdog_ms, .shim = true });
	if (rc != 0) {
		tl_fail(__FILE__, __LINE__, "iteration %u: bring-up failed %d (%s)", it, rc, desc);
		free(f);
		return false;
	}
	t.b.quiet = true;
	pthread_mutex_init(&f->lock, NULL);
	f->remove_in_halt = getenv("E1K_CAMPAIGN_REMOVE_IN_HALT") != NULL;
	f->t = &t;
	f->sc = sc;
	f->s = sc->seed | 1;
	rb_flood_start(&fl, &t, sc->wire);
	CHECK_OK(rb_dev_add_device_thread(&t, fault_thread, f));

	/* Requests while the faults land: refusals are expected (a removed
	 * device, a failing filter), a hang of the caller is not. */
	for (unsigned i = 0; i < sc->pre_rounds; i++) {
		uint8_t a[6] = { 0x02, 0x33, 0, 0, 0, (uint8_t)(i & 0x7f) };
		struct e1k_stats st;

		if (i % 4 == 0)
			(void)e1k_adapter_filter_add(t.ad, a);
		else if (i % 4 == 1)
			(void)e1k_adapter_filter_del(t.ad, a);
		else if (i % 4 == 2)
			(void)e1k_adapter_get_stats(t.ad, &st);
		else
			sched_yield();
	}
	asked = atomic_load(&t.b.halt_reason);
	if (asked >= 0) {
		tot.requested++;
		if (sc->follow_request) {
			reason = (enum e1k_halt_reason)asked;
			tot.followed++;
		}
	}
	pthread_mutex_lock(&f->lock);
	f->halting = true;
	pthread_mutex_unlock(&f->lock);
	rc = e1k_adapter_halt(t.ad, reason, &rep);
	rb_flood_stop(&fl);
	rb_check_report(&rep, rc, &t, 1u << E1K_HS_DRAIN_REQUESTS, __LINE__);
	e1k_adapter_destroy(t.ad);
	if (base_threads && rig_count_threads() != base_threads)
		tl_fail(__FILE__, __LINE__, "threads %u, baseline %u", rig_count_threads(), base_threads);
	if (base_fds && rig_count_fds() != base_fds)
		tl_fail(__FILE__, __LINE__, "fds %u, baseline %u", rig_count_fds(), base_fds);

	tot.iters++;
	tot.by_reason[reason]++;
	tot.eio += rc == -EIO;
	tot.removed += f->removed;
	tot.sum_ns += rep.total_ns;
	if (rep.total_ns > tot.max_ns)
		tot.max_ns = rep.total_ns;
	for (unsigned k = 0; k < K_N; k++) {
		tot.faults[k] += f->n[k];
		tot.faults_in_halt[k] += f->n_in_halt[k];
	}
	if (getenv("E1K_CAMPAIGN_VERBOSE") || tl_failures != failures) {
		unsigned long nf = 0, nh = 0;

		for (unsigned k = 0; k < K_N; k++) {
			nf += f->n[k];
			nh += f->n_in_halt[k];
		}
		printf("  %4u %s: halt %s rc %d %.1f ms, %lu faults (%lu during the halt)%s, "
		       "sent %lu, injected %lu, indicated %lu\n", it, desc, e1k_halt_reason_name(reason),
		       rc, (double)rep.total_ns / 1e6, nf, nh, f->removed ? ", removed" : "",
		       atomic_load(&fl.sent), atomic_load(&fl.injected), atomic_load(&t.b.frames));
	}
	if (tl_failures != failures) {
		struct jbuf b;

		jb_init(&b);
		e1k_halt_report_json(&rep, &b);
		if (jb_finish(&b) == 0)
			printf("  report: %.*s\n", (int)b.len, b.data);
		jb_free(&b);
		printf("  reproduce: E1K_CAMPAIGN_SEED=<run seed> and this iteration's seed %#" PRIx64 "\n",
		       sc->seed);
	}
	pthread_mutex_destroy(&f->lock);
	free(f);
	return tl_failures == failures;
}

static void test_fault_campaign(void)
{
	const char *es = getenv("E1K_CAMPAIGN_SEED"), *ei = getenv("E1K_CAMPAIGN_ITER");
	uint64_t seed, s;
	unsigned long iters = ei ? strtoul(ei, NULL, 0) : tl_scaled(40, 14);
	unsigned base_threads = 0, base_fds = 0;
	uint64_t t0 = tl_now_ns();

	if (es) {
		seed = strtoull(es, NULL, 0);
	} else {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		seed = (uint64_t)ts.tv_sec * 1000003u ^ (uint64_t)ts.tv_nsec;
	}
	printf("fault campaign: E1K_CAMPAIGN_SEED=%#" PRIx64 " E1K_CAMPAIGN_ITER=%lu\n", seed, iters);
	s = seed;
	(void)splitmix64(&s);
	s = splitmix64(&s) | 1;
	for (unsigned long it = 0; it < iters; it++) {
		struct scenario sc;

		draw(&s, (unsigned)it, &sc);
		if (!one_iteration((unsigned)it, &sc, base_threads, base_fds) &&
		    !getenv("E1K_CAMPAIGN_KEEP_GOING"))
			break;
		/* Baseline after the first iteration: liburcu's call_rcu thread
		 * lives for the process. */
		if (it == 0) {
			base_threads = rig_count_threads();
			base_fds = rig_count_fds();
		}
	}
	printf("fault campaign: %lu halts in %.1f s; mean halt %.2f ms, max %.2f ms; %lu returned "
	       "-EIO (drain-requests timeout); the driver asked to halt in %lu (followed %lu); "
	       "%lu removed\n", tot.iters, (double)(tl_now_ns() - t0) / 1e9,
	       tot.iters ? (double)tot.sum_ns / (double)tot.iters / 1e6 : 0.0,
	       (double)tot.max_ns / 1e6, tot.eio, tot.requested, tot.followed, tot.removed);
	for (int r = 0; r < E1K_HALT_NREASONS; r++)
		printf("  %-24s %lu halts\n", e1k_halt_reason_name((enum e1k_halt_reason)r),
		       tot.by_reason[r]);
	for (unsigned k = 0; k < K_N; k++)
		printf("  fault %-16s %7lu injected, %6lu of them during a halt\n", kind_names[k],
		       tot.faults[k], tot.faults_in_halt[k]);
	CHECK_EQ(tot.iters, iters);
	/* The campaign must have hit the halt itself, not only the traffic. */
	{
		unsigned long in_halt = 0;

		for (unsigned k = 0; k < K_N; k++)
			in_halt += tot.faults_in_halt[k];
		CHECK(tot.iters < 7 || in_halt > 0);
	}
}

int main(int argc, char **argv)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_fault_campaign),
	};

	e1k_rcu_thread_online();
	return tl_main(argc, argv, cases, TL_N(cases));
}
