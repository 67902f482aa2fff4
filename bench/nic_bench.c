/* SPDX-License-Identifier: MIT */
/*
 * nic_bench.c - e1k_bench_nic: e1kd's driver (the adapter library, the same
 * code the e1kd daemon runs, interrupt-driven as always) driven directly by a
 * frame generator and a counting receiver, the way dpdk-testpmd drives a PMD.
 * scripts/bench runs it in the QEMU guest on the VFIO-bound NIC; it also runs
 * on the software model (sim:MODEL) for the smoke test.
 *
 *   e1k_bench_nic --device BDF|sim:82540em|sim:82574l [--mode tx|rx|halt]
 *                 [--seconds S] [--stop-file PATH] [--size N] [--senders N]
 *                 [--dst MAC] [--reason R] [--warm N] [--send-mode wait|backoff]
 *                 [--backoff-us N]
 *                 [--irq-mode M] [--itr-ns N] [--itr-max-ns N] [--tx-ring N] [--rx-ring N]
 *                 [--dpc-workers N] [--sim-wire loopback|none]
 *                 [--rate PPS] [--batch N]
 *
 * Modes:
 *   tx    N sender threads (default 1) send frames of --size bytes (default 60:
 *         64 on the wire) to --dst in batches of --batch (default 64, at
 *         most 256) through e1k_adapter_send(): one call per batch, and
 *         e1kd writes the tail once per call, so a batch is one doorbell;
 *         when the ring is full a sender waits for room: --send-mode wait
 *         (default) sleeps in e1k_adapter_tx_wait until a TX completion
 *         frees slots (as the TAP bridge does); --send-mode backoff sleeps
 *         --backoff-us (default 50; 0: sched_yield) and retries.
 *         --rate PPS paces the senders together at PPS frames per second in
 *         bursts of --batch frames, sleeping between bursts: a
 *         fixed offered load, for the CPU-at-load figure.
 *         --tx-irq on-demand (default) asks for TX completion interrupts
 *         only while a sender waits for room (e1k_config.tx_irq_on_demand:
 *         the senders reclaim as they send); always is e1kd's default.
 *   rx    count what the adapter indicates, return every buffer at once.
 *   halt  tx load (and whatever arrives), then once --warm frames (default
 *         20000) were sent, one halt with --reason R (default stopped) under
 *         that load; surprise-removed first takes the device away (the model's
 *         surprise removal; on VFIO memory decoding is cleared, as
 *         `e1kctl fault surprise-remove` does).
 * tx and rx run until --seconds (default 10; 0 = no limit) pass, the stop file
 * exists, or SIGTERM/SIGINT; then they halt with `stopped`.
 *
 * Output (stdout), one JSON object per line:
 *   {"event":"up",...}           the adapter is Running (after link-up);
 *                                send_mode: how a sender meets a full ring;
 *                                tx_irq: on-demand or always
 *   {"event":"snap",...}         on SIGUSR1: t_ns (CLOCK_MONOTONIC), tx, rx,
 *                                tx_completed, tx_full, tx_waits (sleeps in
 *                                e1k_adapter_tx_wait), interrupts, dpc_runs, cpu_ns
 *                                (this process: user + system)
 *   {"event":"halt",...}         the halt: reason, total_ms, clean, stages (ms)
 *   {"event":"end",...}          the final counters
 * Exit status: 0, 1 when the adapter could not come up or the halt was not
 * clean, 2 on a usage error.
 *
 * Threads: main (control: initialize, signals, halt), the senders
 * (RCU-registered), and the adapter's own irq / DPC / timer threads.  Every
 * signal the tool handles is blocked in all threads and taken synchronously
 * by main with sigtimedwait().
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "adapter.h"
#include "bench_bind.h"
#include "clock.h"
#include "e1k_rcu.h"
#include "halt.h"
#include "log.h"
#include "mac.h"
#include "pace.h"
#include "sim.h"
#include "vfio.h"

#define NB_ETHERTYPE   0x88b5u      /* IEEE local experimental */
#define NB_BATCH       64u    /* frames per send (one doorbell), by default */
#define NB_BATCH_MAX   256u   /* --batch at most */
#define NB_MAX_SENDERS 8u
#define NB_MAX_FRAME   1514u
#define NB_LINK_WAIT_MS 5000u
#define NB_WARM_WAIT_MS 20000u
#define NB_TICK_MS     50u
/* --send-mode wait: one wait's bound; a sender that times out (no
 * completion: link down, a stuck device) just tries again. */
#define NB_WAIT_NS     (100u * 1000u * 1000u)

enum nb_mode { NB_TX, NB_RX, NB_HALT };
enum nb_send_mode { NB_SEND_WAIT, NB_SEND_BACKOFF };
static const char *const nb_send_mode_name[] = { "wait", "backoff" };

struct nb_opts {
	const char *device;
	const char *stop_file;
	enum nb_mode mode;
	enum nb_send_mode send_mode;
	unsigned seconds;
	unsigned size;
	unsigned senders;
	unsigned backoff_us;
	unsigned long rate;      /* frames per second, all senders; 0 = as fast as possible */
	unsigned batch;          /* frames per send */
	unsigned long warm;
	uint8_t dst[6];
	enum e1k_halt_reason reason;
	enum sim_wire wire;
	struct e1k_config cfg;
};

/* ---- the binding: count, give every buffer straight back ---- */
/* A removal the driver detected: main performs the halt it asks for. */
static void nb_halt_needed(void *ctx, enum e1k_halt_reason reason, const char *why)
{
	(void)ctx;
	(void)reason;
	(void)why;
}

/* ---- senders ---- */
struct nb_sender {
	struct e1k_adapter *ad;
	const struct nb_opts *o;
	uint8_t src[6];
	unsigned id;
	atomic_bool *stop;
	atomic_ulong sent;
	atomic_ulong full;     /* sends that found the ring (or pool) full */
	pthread_t t;
};

static void *sender_thread(void *arg)
{
	struct nb_sender *s = arg;
	static _Thread_local uint8_t bufs[NB_BATCH_MAX][NB_MAX_FRAME];
	struct e1k_frame fr[NB_BATCH_MAX] = { 0 };
	struct timespec back = { 0, (long)s->o->backoff_us * 1000 };
	unsigned long seq = 0;

	e1k_rcu_thread_online();
	for (unsigned i = 0; i < NB_BATCH_MAX; i++) {
		memset(bufs[i], 0, sizeof(bufs[i]));
		memcpy(bufs[i], s->o->dst, 6);
		memcpy(bufs[i] + 6, s->src, 6);
		bufs[i][12] = NB_ETHERTYPE >> 8;
		bufs[i][13] = NB_ETHERTYPE & 0xff;
		bufs[i][14] = (uint8_t)s->id;
		fr[i].data = bufs[i];
		fr[i].len = s->o->size;
	}
	/* Paced: this sender's share of the rate, one burst of nb frames due
	 * every period (pace.h). */
	const unsigned nb = s->o->batch;
	struct bench_pace pace;

	bench_pace_init(&pace, s->o->rate, nb, s->o->senders);
	while (!atomic_load_explicit(&s->stop[0], memory_order_relaxed)) {
		unsigned off = 0;

		if (!bench_pace_wait(&pace))
			continue;
		/* A sequence number per frame (frames are copied into DMA buffers
		 * by the send, so rewriting ours afterwards is safe). */
		for (unsigned i = 0; i < nb; i++, seq++)
			memcpy(bufs[i] + 16, &seq, sizeof(seq));
		while (off < nb && !atomic_load_explicit(&s->stop[0], memory_order_relaxed)) {
			int rc = e1k_adapter_send(s->ad, fr + off, nb - off);

			if (rc < 0)
				goto out;    /* -ENETDOWN: the halt began */
			off += (unsigned)rc;
			/* Relaxed: counters read for reports only. */
			atomic_fetch_add_explicit(&s->sent, (unsigned)rc, memory_order_relaxed);
			if (off == nb)
				continue;
			atomic_fetch_add_explicit(&s->full, 1, memory_order_relaxed);
			if (s->o->send_mode == NB_SEND_WAIT) {
				/* Room for the rest of the batch (a frame of
				 * at most 1514 bytes takes one descriptor). */
				rc = e1k_adapter_tx_wait(s->ad, nb - off, NB_WAIT_NS, s->stop);
				if (rc == -ENETDOWN)
					goto out;
			} else if (back.tv_nsec) {
				nanosleep(&back, NULL);
			} else {
				sched_yield();
			}
		}
	}
out:
	e1k_rcu_thread_offline();
	return NULL;
}

/* ---- helpers ---- */
static uint64_t cpu_ns(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) < 0)
		return 0;
	return ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) * 1000000000ull +
	       ((uint64_t)ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_usec) * 1000ull;
}

static int parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: e1k_bench_nic --device BDF|sim:82540em|sim:82574l [--mode tx|rx|halt]\n"
"       [--seconds S] [--stop-file PATH] [--size N] [--senders N] [--dst MAC]\n"
"       [--reason R] [--warm N] [--send-mode wait|backoff] [--backoff-us N]\n"
"       [--irq-mode M] [--itr-ns N] [--itr-max-ns N]\n"
"       [--tx-ring N] [--rx-ring N] [--dpc-workers N] [--sim-wire loopback|none]\n"
"       [--rate PPS] [--batch N] [--tx-irq on-demand|always]\n");
}

static int parse_args(int argc, char **argv, struct nb_opts *o)
{
	static const struct option lo[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "mode", required_argument, NULL, 'm' },
		{ "seconds", required_argument, NULL, 't' },
		{ "stop-file", required_argument, NULL, 'f' },
		{ "size", required_argument, NULL, 'z' },
		{ "senders", required_argument, NULL, 's' },
		{ "dst", required_argument, NULL, 'D' },
		{ "reason", required_argument, NULL, 'r' },
		{ "warm", required_argument, NULL, 'w' },
		{ "send-mode", required_argument, NULL, 'M' },
		{ "backoff-us", required_argument, NULL, 'b' },
		{ "irq-mode", required_argument, NULL, 'i' },
		{ "itr-ns", required_argument, NULL, 'I' },
		{ "itr-max-ns", required_argument, NULL, 'X' },
		{ "tx-ring", required_argument, NULL, 'T' },
		{ "rx-ring", required_argument, NULL, 'R' },
		{ "dpc-workers", required_argument, NULL, 'W' },
		{ "sim-wire", required_argument, NULL, 'S' },
		{ "rate", required_argument, NULL, 'p' },
		{ "batch", required_argument, NULL, 'B' },
		{ "tx-irq", required_argument, NULL, 'Q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const uint8_t def_dst[6] = { 0x02, 0, 0, 0, 0xbe, 0x01 };
	char err[256];
	unsigned long v;
	int c, r;

	memset(o, 0, sizeof(*o));
	o->mode = NB_TX;
	o->seconds = 10;
	o->size = 60;
	o->senders = 1;
	o->backoff_us = 50;
	o->batch = NB_BATCH;
	o->warm = 20000;
	o->reason = E1K_HALT_STOPPED;
	o->wire = SIM_WIRE_LOOPBACK;
	memcpy(o->dst, def_dst, 6);
	e1k_config_defaults(&o->cfg);
	o->cfg.tx_irq_on_demand = true;   /* the senders reclaim as they send */
	while ((c = getopt_long(argc, argv, "d:m:t:f:z:s:D:r:w:M:b:i:I:X:T:R:W:S:p:B:Q:h", lo, NULL)) != -1) {
		switch (c) {
		case 'd': o->device = optarg; break;
		case 'f': o->stop_file = optarg; break;
		case 'm':
			if (!strcmp(optarg, "tx"))
				o->mode = NB_TX;
			else if (!strcmp(optarg, "rx"))
				o->mode = NB_RX;
			else if (!strcmp(optarg, "halt"))
				o->mode = NB_HALT;
			else
				goto bad;
			break;
		case 'M':
			if (!strcmp(optarg, "wait"))
				o->send_mode = NB_SEND_WAIT;
			else if (!strcmp(optarg, "backoff"))
				o->send_mode = NB_SEND_BACKOFF;
			else
				goto bad;
			break;
		case 'D':
			if (e1k_mac_parse(optarg, o->dst) < 0)
				goto bad;
			break;
		case 'r':
			r = e1k_halt_reason_parse(optarg);
			if (r < 0)
				goto bad;
			o->reason = (enum e1k_halt_reason)r;
			break;
		case 'i':
			if (e1k_irq_mode_parse(optarg, &o->cfg.irq_mode) < 0)
				goto bad;
			break;
		case 'Q':
			if (!strcmp(optarg, "on-demand"))
				o->cfg.tx_irq_on_demand = true;
			else if (!strcmp(optarg, "always"))
				o->cfg.tx_irq_on_demand = false;
			else
				goto bad;
			break;
		case 'S':
			if (!strcmp(optarg, "loopback"))
				o->wire = SIM_WIRE_LOOPBACK;
			else if (!strcmp(optarg, "none"))
				o->wire = SIM_WIRE_NONE;
			else
				goto bad;
			break;
		case 't': case 'z': case 's': case 'w': case 'b': case 'I': case 'X': case 'T': case 'R': case 'W':
		case 'p': case 'B': {
			unsigned long lo_v = 0, hi_v = 1000000000ul;

			switch (c) {
			case 't': hi_v = 86400; break;
			case 'z': lo_v = 60; hi_v = NB_MAX_FRAME; break;
			case 's': lo_v = 1; hi_v = NB_MAX_SENDERS; break;
			case 'b': hi_v = 999999; break;
			case 'I': case 'X': hi_v = 65535u * 256u; break;
			case 'T': case 'R': lo_v = 64; hi_v = 4096; break;
			case 'W': lo_v = 1; hi_v = 64; break;
			case 'p': lo_v = 1; hi_v = 100000000; break;
			case 'B': lo_v = 1; hi_v = NB_BATCH_MAX; break;
			default: break;
			}
			if (parse_uint(optarg, lo_v, hi_v, &v) < 0)
				goto bad;
			switch (c) {
			case 't': o->seconds = (unsigned)v; break;
			case 'z': o->size = (unsigned)v; break;
			case 's': o->senders = (unsigned)v; break;
			case 'w': o->warm = v; break;
			case 'b': o->backoff_us = (unsigned)v; break;
			case 'I': o->cfg.itr_ns = (unsigned)v; break;
			case 'X': o->cfg.itr_max_ns = (unsigned)v; break;
			case 'T': o->cfg.tx_ring_size = (unsigned)v; break;
			case 'R': o->cfg.rx_ring_size = (unsigned)v; break;
			case 'p': o->rate = v; break;
			case 'B': o->batch = (unsigned)v; break;
			default: o->cfg.dpc_workers = (unsigned)v; break;
			}
			break;
		}
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (!o->device || optind != argc) {
		usage(stderr);
		return -EINVAL;
	}
	/* As e1kd derives it (e1kd_args.c). */
	o->cfg.pool_size = 4 * (o->cfg.tx_ring_size + o->cfg.rx_ring_size);
	if (o->cfg.pool_size < 2048)
		o->cfg.pool_size = 2048;
	if (e1k_config_validate(&o->cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "e1k_bench_nic: %s\n", err);
		return -EINVAL;
	}
	return 0;
bad:
	/* "--opt VALUE" leaves the option two words back, "--opt=VALUE" one. */
	fprintf(stderr, "e1k_bench_nic: bad value '%s' for %s\n", optarg,
	        optind >= 2 && argv[optind - 1] == optarg ? argv[optind - 2] : argv[optind - 1]);
	usage(stderr);
	return -EINVAL;
}

static int open_device(const struct nb_opts *o, struct hal_dev **hw, char *err, size_t errlen)
{
	if (!strncasecmp(o->device, "sim:", 4)) {
		struct sim_config sc = { .wire = o->wire, .fail_irq_set_index = HAL_IRQ_NINDEX };
		int rc;

		if (sim_model_parse(o->device + 4, &sc.model) < 0) {
			snprintf(err, errlen, "unknown model '%s'", o->device + 4);
			return -EINVAL;
		}
		rc = sim_open(&sc, hw);
		if (rc < 0)
			snprintf(err, errlen, "sim_open: %s", strerror(-rc));
		return rc;
	}
	return hal_vfio_open(o->device, NULL, hw, err, errlen);
}

/* ---- the run ---- */
struct nb_run {
	const struct nb_opts *o;
	struct hal_dev *hw;
	struct e1k_adapter *ad;
	struct bench_bind bind;
	struct nb_sender snd[NB_MAX_SENDERS];
	unsigned nsend;
	atomic_bool stop;
	uint64_t t0;
};

static uint64_t run_sent(struct nb_run *r)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < r->nsend; i++)
		n += atomic_load_explicit(&r->snd[i].sent, memory_order_relaxed);
	return n;
}

static void print_counters(struct nb_run *r, const char *event)
{
	struct e1k_stats st;
	uint64_t full = 0;

	memset(&st, 0, sizeof(st));
	if (e1k_adapter_state(r->ad) != E1K_STATE_HALTED)
		e1k_adapter_get_stats(r->ad, &st);
	for (unsigned i = 0; i < r->nsend; i++)
		full += atomic_load_explicit(&r->snd[i].full, memory_order_relaxed);
	printf("{\"event\":\"%s\",\"t_ns\":%llu,\"tx\":%llu,\"rx\":%lu,\"tx_completed\":%llu,"
	       "\"tx_full\":%llu,\"tx_waits\":%llu,\"interrupts\":%llu,\"dpc_runs\":%llu,\"rx_missed\":%llu,"
	       "\"cpu_ns\":%llu,\"itr_ns\":%llu}\n",
	       event, (unsigned long long)e1k_now_ns(), (unsigned long long)run_sent(r),
	       atomic_load_explicit(&r->bind.rx, memory_order_relaxed),
	       (unsigned long long)st.tx_completed, (unsigned long long)full,
	       (unsigned long long)st.tx_waits,
	       (unsigned long long)st.interrupts, (unsigned long long)st.dpc_runs,
	       (unsigned long long)st.dev_mpc, (unsigned long long)cpu_ns(),
	       (unsigned long long)st.itr_ns);
	fflush(stdout);
}

static void print_halt(const struct e1k_halt_report *rep, int rc)
{
	printf("{\"event\":\"halt\",\"reason\":\"%s\",\"rc\":%d,\"total_ms\":%.3f,\"clean\":%s,"
	       "\"stages\":{",
	       e1k_halt_reason_name(rep->reason), rc, (double)rep->total_ns / 1e6,
	       e1k_halt_report_clean(rep) == 0 ? "true" : "false");
	for (unsigned i = 0; i < E1K_HS_COUNT; i++)
		printf("%s\"%s\":%.3f", i ? "," : "", e1k_halt_stage_name(i),
		       (double)(rep->stages[i].end_ns - rep->stages[i].start_ns) / 1e6);
	printf("}}\n");
	fflush(stdout);
}

/* Wait (bounded) for cond; signals still pending are handled later. */
static bool wait_for(struct nb_run *r, bool (*cond)(struct nb_run *r), unsigned ms)
{
	uint64_t end = e1k_now_ns() + (uint64_t)ms * 1000000ull;

	while (!cond(r)) {
		struct timespec ts = { 0, 1000000 };

		if (e1k_now_ns() >= end)
			return false;
		nanosleep(&ts, NULL);
	}
	return true;
}

static bool link_is_up(struct nb_run *r)
{
	struct e1k_stats st;

	return e1k_adapter_get_stats(r->ad, &st) == 0 && st.link_up;
}

static bool warm_enough(struct nb_run *r)
{
	return run_sent(r) >= r->o->warm;
}

static int start_senders(struct nb_run *r)
{
	uint8_t mac[6];

	e1k_adapter_get_mac(r->ad, mac);
	for (unsigned i = 0; i < r->o->senders; i++) {
		struct nb_sender *s = &r->snd[i];
		int rc;

		s->ad = r->ad;
		s->o = r->o;
		s->id = i;
		s->stop = &r->stop;
		memcpy(s->src, mac, 6);
		rc = -pthread_create(&s->t, NULL, sender_thread, s);
		if (rc < 0)
			return rc;
		r->nsend = i + 1;
	}
	return 0;
}

static void stop_senders(struct nb_run *r)
{
	atomic_store_explicit(&r->stop, true, memory_order_release);
	/* A sender asleep waiting for ring room sees stop now. */
	e1k_adapter_tx_wake(r->ad);
	for (unsigned i = 0; i < r->nsend; i++)
		pthread_join(r->snd[i].t, NULL);
}

/* tx/rx: serve SIGUSR1 snapshots until the end condition. */
static void serve(struct nb_run *r, const sigset_t *set)
{
	uint64_t end = r->o->seconds ? r->t0 + (uint64_t)r->o->seconds * 1000000000ull : UINT64_MAX;

	for (;;) {
		struct timespec ts = { 0, NB_TICK_MS * 1000000l };
		int sig = sigtimedwait(set, NULL, &ts);

		if (sig == SIGUSR1)
			print_counters(r, "snap");
		else if (sig == SIGTERM || sig == SIGINT)
			return;
		if (e1k_now_ns() >= end)
			return;
		if (r->o->stop_file && access(r->o->stop_file, F_OK) == 0)
			return;
		if (e1k_adapter_state(r->ad) != E1K_STATE_RUNNING)
			return;    /* the device went away: halt */
	}
}

int main(int argc, char **argv)
{
	static struct nb_run run;   /* zeroed; big enough to keep off the stack */
	struct nb_opts o;
	struct e1k_owner_ops owner = { .halt_needed = nb_halt_needed };
	struct e1k_halt_report *rep;
	sigset_t set;
	char err[512];
	int rc = parse_args(argc, argv, &o), hrc, status = 0;

	if (rc)
		return rc < 0 ? 2 : 0;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	/* Before any thread exists: every thread inherits the mask. */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	e1k_log_set_level(E1K_LOG_WARN);
	e1k_rcu_thread_online();
	rep = calloc(1, sizeof(*rep));
	if (!rep)
		return 1;

	run.o = &o;
	rc = open_device(&o, &run.hw, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "e1k_bench_nic: cannot open %s: %s\n", o.device, err);
		free(rep);
		return 1;
	}
	rc = e1k_adapter_initialize(run.hw, &o.cfg, &owner, &run.ad, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "e1k_bench_nic: initialize: %s\n", err);
		hal_close(run.hw);
		free(rep);
		return 1;
	}
	run.bind.ad = run.ad;
	rc = e1k_adapter_bind(run.ad, &bench_bind_ops, &run.bind);
	if (rc == 0)
		rc = e1k_adapter_restart(run.ad);
	if (rc == 0 && !wait_for(&run, link_is_up, NB_LINK_WAIT_MS))
		fprintf(stderr, "e1k_bench_nic: no link after %u ms (going on)\n", NB_LINK_WAIT_MS);
	if (rc < 0) {
		fprintf(stderr, "e1k_bench_nic: bring-up: %s\n", strerror(-rc));
		status = 1;
		goto halt;
	}
	run.t0 = e1k_now_ns();
	{
		struct e1k_stats st;

		e1k_adapter_get_stats(run.ad, &st);
		printf("{\"event\":\"up\",\"device\":\"%s\",\"irq_mode\":\"%s\",\"tx_ring\":%u,"
		       "\"rx_ring\":%u,\"itr_ns\":%u,\"senders\":%u,\"size\":%u,\"link_mbps\":%u,"
		       "\"rate\":%lu,\"batch\":%u,\"itr_max_ns\":%u,\"send_mode\":\"%s\","
		       "\"tx_irq\":\"%s\"}\n",
		       run.hw->name, e1k_irq_mode_name(e1k_adapter_irq_mode(run.ad)),
		       o.cfg.tx_ring_size, o.cfg.rx_ring_size, o.cfg.itr_ns,
		       o.mode == NB_RX ? 0 : o.senders, o.size, st.link_mbps, o.rate, o.batch, o.cfg.itr_max_ns,
		       nb_send_mode_name[o.send_mode], o.cfg.tx_irq_on_demand ? "on-demand" : "always");
		fflush(stdout);
	}
	if (o.mode != NB_RX) {
		rc = start_senders(&run);
		if (rc < 0) {
			fprintf(stderr, "e1k_bench_nic: cannot start a sender: %s\n", strerror(-rc));
			status = 1;
			goto halt;
		}
	}
	if (o.mode == NB_HALT) {
		if (!wait_for(&run, warm_enough, NB_WARM_WAIT_MS)) {
			fprintf(stderr, "e1k_bench_nic: only %llu frames sent in %u ms\n",
			        (unsigned long long)run_sent(&run), NB_WARM_WAIT_MS);
			status = 1;
		}
		print_counters(&run, "snap");
		if (o.reason == E1K_HALT_SURPRISE_REMOVED) {
			/* The hardware really goes away first, as in the model bench. */
			if (sim_is_sim(run.hw))
				rc = sim_fault(run.hw, SIM_FAULT_SURPRISE_REMOVE, true);
			else
				rc = hal_vfio_fault_disable_memory(run.hw);
			if (rc < 0)
				fprintf(stderr, "e1k_bench_nic: cannot remove the device: %s\n", strerror(-rc));
		}
	} else {
		serve(&run, &set);
	}
halt:
	if (o.mode != NB_HALT)
		print_counters(&run, "end");
	/* The halt runs whatever happened above: it is the only way down.  The
	 * senders keep going until the halt refuses their sends. */
	hrc = e1k_adapter_halt(run.ad, o.mode == NB_HALT ? o.reason : E1K_HALT_STOPPED, rep);
	stop_senders(&run);
	print_halt(rep, hrc);
	if (o.mode == NB_HALT)
		print_counters(&run, "end");
	if (hrc < 0 || e1k_halt_report_clean(rep) != 0)
		status = 1;
	e1k_adapter_destroy(run.ad);
	free(rep);
	e1k_rcu_thread_offline();
	return status;
}
