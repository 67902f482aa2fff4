/* SPDX-License-Identifier: MIT */
/*
 * halt_latency.c - how long the staged halt takes, per reason, on the
 * software model: idle and under load, side by side in the same run.
 *
 *   e1k_bench_halt [--iterations N] [--model 82540em|82574l] [--irq MODE]
 *                  [--senders N] [--json]
 *
 * For every iteration and reason it brings an adapter up twice on the model
 * with a loopback wire: once idle (no traffic), once loaded (N sender threads,
 * default 2, flooding without pacing, so the device transmits and receives at
 * full rate and the RX ring overflows: the device counts missed frames), and
 * halts it.  A surprise-removed halt is preceded by the model's surprise
 * removal, so it measures the path for hardware that is really gone.  Loaded
 * halts start once the binding has received a fixed number of frames (steady
 * state, bounded wait).
 *
 * It reports, per reason and load: median, p99 (nearest rank), min and max of
 * the halt report's total_ns, the stage with the largest median time (the
 * dominant one) and the loaded/idle ratio of the medians.  --json prints the
 * same as one JSON document, with every stage's median.
 *
 * Threads: main (RCU-registered; initializes and halts), the senders
 * (RCU-registered), and the adapter's and model's own threads.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "adapter.h"
#include "bench_bind.h"
#include "clock.h"
#include "e1k_rcu.h"
#include "halt.h"
#include "halt_report_json.h"
#include "json.h"
#include "log.h"
#include "sim.h"

#define BENCH_ETHERTYPE 0x88b5u      /* IEEE local experimental */
#define BENCH_MAX_SENDERS 8
#define BENCH_WARM_FRAMES 5000u      /* received before a loaded halt */
#define BENCH_WARM_MS 5000u

enum { LOAD_IDLE, LOAD_BUSY, LOAD_N };
static const char *const load_names[LOAD_N] = { "idle", "loaded" };

struct opts {
	unsigned iterations;
	unsigned senders;
	enum sim_model model;
	enum e1k_irq_mode irq;
	bool json;
};

/* ---- a binding that gives every buffer straight back ---- */
/* The owner's callback: a halt this run did not ask for (a removal the
 * driver detected) is simply the one the bench performs next. */
static void bench_halt_needed(void *ctx, enum e1k_halt_reason reason, const char *why)
{
	(void)ctx;
	(void)reason;
	(void)why;
}

/* ---- senders ---- */
struct sender {
	struct e1k_adapter *ad;
	uint8_t mac[6];
	unsigned id;
	atomic_bool stop;
	pthread_t t;
};

static void *sender_thread(void *arg)
{
	struct sender *s = arg;
	static _Thread_local uint8_t bufs[32][1514];
	static const uint8_t src[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	struct e1k_frame fr[32];

	e1k_rcu_thread_online();
	for (unsigned i = 0; i < 32; i++) {
		uint32_t len = 60 + (s->id * 32 + i) * 47 % 1455;

		memset(bufs[i], (int)i, sizeof(bufs[i]));
		memcpy(bufs[i], s->mac, 6);
		memcpy(bufs[i] + 6, src, 6);
		bufs[i][12] = BENCH_ETHERTYPE >> 8;
		bufs[i][13] = BENCH_ETHERTYPE & 0xff;
		fr[i].data = bufs[i];
		fr[i].len = len;
	}
	/* Flood until the halt refuses sends (-ENETDOWN) or we are told to stop. */
	while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
		int rc = e1k_adapter_send(s->ad, fr, 32);

		if (rc < 0)
			break;
		if (rc < 32)
			sched_yield();   /* ring or pool full */
	}
	e1k_rcu_thread_offline();
	return NULL;
}

/* ---- one measured halt ---- */
struct sample {
	uint64_t total_ns;
	uint64_t stage_ns[E1K_HS_COUNT];
	int rc;
	bool clean;
};

static int one_halt(const struct opts *o, enum e1k_halt_reason reason, bool loaded,
                    struct sample *out)
{
	struct sim_config sc = { .model = o->model, .wire = SIM_WIRE_LOOPBACK,
	                         .fail_irq_set_index = HAL_IRQ_NINDEX };
	struct e1k_owner_ops owner = { .halt_needed = bench_halt_needed };
	struct e1k_config cfg;
	struct bench_bind bb = { 0 };
	struct sender snd[BENCH_MAX_SENDERS];
	struct e1k_halt_report *rep;
	struct hal_dev *hw;
	struct e1k_adapter *ad;
	unsigned nsend = loaded ? o->senders : 0;
	char err[256];
	int rc;

	rep = calloc(1, sizeof(*rep));
	if (!rep)
		return -ENOMEM;
	e1k_config_defaults(&cfg);
	cfg.irq_mode = o->irq;
	rc = sim_open(&sc, &hw);
	if (rc < 0) {
		free(rep);
		return rc;
	}
	rc = e1k_adapter_initialize(hw, &cfg, &owner, &ad, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "initialize: %s\n", err);
		hal_close(hw);
		free(rep);
		return rc;
	}
	bb.ad = ad;
	rc = e1k_adapter_bind(ad, &bench_bind_ops, &bb);
	if (rc == 0)
		rc = e1k_adapter_restart(ad);
	for (unsigned i = 0; rc == 0 && i < nsend; i++) {
		snd[i] = (struct sender){ .ad = ad, .id = i };
		e1k_adapter_get_mac(ad, snd[i].mac);
		rc = -pthread_create(&snd[i].t, NULL, sender_thread, &snd[i]);
		if (rc)
			nsend = i;
	}
	if (rc == 0 && loaded) {
		/* Steady state: the flood has been going round the loop a while. */
		uint64_t deadline = e1k_now_ns() + BENCH_WARM_MS * 1000000ull;

		while (atomic_load_explicit(&bb.rx, memory_order_relaxed) < BENCH_WARM_FRAMES &&
		       e1k_now_ns() < deadline)
			sched_yield();
		if (atomic_load_explicit(&bb.rx, memory_order_relaxed) < BENCH_WARM_FRAMES) {
			fprintf(stderr, "loaded: only %lu frames came back in %u ms\n",
			        atomic_load(&bb.rx), BENCH_WARM_MS);
			rc = -ETIMEDOUT;
		}
	}
	if (getenv("E1K_BENCH_DEBUG")) {
		struct sim_stats ss;

		sim_get_stats(hw, &ss);
		fprintf(stderr, "debug: received %lu tx %llu rx %llu missed %llu\n", atomic_load(&bb.rx),
		        (unsigned long long)ss.tx_frames, (unsigned long long)ss.rx_frames,
		        (unsigned long long)ss.rx_missed);
	}
	if (rc == 0 && reason == E1K_HALT_SURPRISE_REMOVED)
		rc = sim_fault(hw, SIM_FAULT_SURPRISE_REMOVE, true);

	/* The halt runs whatever happened above: it is the only way down. */
	out->rc = e1k_adapter_halt(ad, reason, rep);
	for (unsigned i = 0; i < nsend; i++) {
		atomic_store_explicit(&snd[i].stop, true, memory_order_relaxed);
		pthread_join(snd[i].t, NULL);
	}
	out->total_ns = rep->total_ns;
	for (unsigned i = 0; i < E1K_HS_COUNT; i++)
		out->stage_ns[i] = rep->stages[i].end_ns - rep->stages[i].start_ns;
	out->clean = e1k_halt_report_clean(rep) == 0;
	if (!out->clean) {
		struct jbuf b;

		jb_init(&b);
		e1k_halt_report_json(rep, &b);
		if (jb_finish(&b) == 0)
			fprintf(stderr, "halt (%s, %s) not clean: %.*s\n", e1k_halt_reason_name(reason),
			        load_names[loaded], (int)b.len, b.data);
		jb_free(&b);
	}
	e1k_adapter_destroy(ad);
	free(rep);
	return rc;
}

/* ---- statistics ---- */
static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

struct summary {
	double median, p99, min, max;        /* ms */
	double stage_median[E1K_HS_COUNT];   /* ms */
	unsigned dominant;
	unsigned unclean;
};

/* Median of a sorted array (mean of the middle two for an even count). */
static double median_ms(const uint64_t *v, unsigned n)
{
	return (n % 2 ? (double)v[n / 2] : ((double)v[n / 2 - 1] + (double)v[n / 2]) / 2) / 1e6;
}

static void summarize(const struct sample *s, unsigned n, struct summary *out)
{
	uint64_t *v = calloc(n, sizeof(*v));
	unsigned rank;

	memset(out, 0, sizeof(*out));
	if (!v || !n) {
		free(v);
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		v[i] = s[i].total_ns;
		out->unclean += !s[i].clean;
	}
	qsort(v, n, sizeof(*v), cmp_u64);
	out->median = median_ms(v, n);
	/* Nearest rank: ceil(0.99 n), 1-based. */
	rank = (99 * n + 99) / 100;
	out->p99 = (double)v[rank - 1] / 1e6;
	out->min = (double)v[0] / 1e6;
	out->max = (double)v[n - 1] / 1e6;
	for (unsigned st = 0; st < E1K_HS_COUNT; st++) {
		for (unsigned i = 0; i < n; i++)
			v[i] = s[i].stage_ns[st];
		qsort(v, n, sizeof(*v), cmp_u64);
		out->stage_median[st] = median_ms(v, n);
		if (out->stage_median[st] > out->stage_median[out->dominant])
			out->dominant = st;
	}
	free(v);
}

/* ---- machine ---- */
static void cpu_model(char *buf, size_t n)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];

	snprintf(buf, n, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *c = strchr(line, ':');

		if (!strncmp(line, "model name", 10) && c) {
			c++;
			while (*c == ' ' || *c == '\t')
				c++;
			c[strcspn(c, "\n")] = 0;
			snprintf(buf, n, "%s", c);
			break;
		}
	}
	fclose(f);
}

static void jb_ms(struct jbuf *b, const char *key, double ms)
{
	char num[48];

	snprintf(num, sizeof(num), "%.3f", ms);
	jb_raw(b, key, num);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: e1k_bench_halt [--iterations N] [--model 82540em|82574l] "
	           "[--irq auto|intx|msi|msix] [--senders N] [--json]\n");
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "iterations", required_argument, NULL, 'n' },
		{ "model", required_argument, NULL, 'm' },
		{ "irq", required_argument, NULL, 'i' },
		{ "senders", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct opts){ .iterations = 30, .senders = 2, .model = SIM_82574L,
	                    .irq = E1K_IRQ_AUTO };
	while ((c = getopt_long(argc, argv, "n:m:i:s:jh", lo, NULL)) != -1) {
		char *end;
		unsigned long v;

		switch (c) {
		case 'n':
		case 's':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || *end || v == 0 || (c == 'n' && v > 100000) ||
			    (c == 's' && v > BENCH_MAX_SENDERS)) {
				fprintf(stderr, "bad --%s '%s'\n", c == 'n' ? "iterations" : "senders", optarg);
				return -EINVAL;
			}
			if (c == 'n')
				o->iterations = (unsigned)v;
			else
				o->senders = (unsigned)v;
			break;
		case 'm':
			if (sim_model_parse(optarg, &o->model) < 0) {
				fprintf(stderr, "bad --model '%s'\n", optarg);
				return -EINVAL;
			}
			break;
		case 'i':
			if (e1k_irq_mode_parse(optarg, &o->irq) < 0) {
				fprintf(stderr, "bad --irq '%s'\n", optarg);
				return -EINVAL;
			}
			break;
		case 'j':
			o->json = true;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o;
	struct sample *samples[E1K_HALT_NREASONS][LOAD_N];
	struct summary sum[E1K_HALT_NREASONS][LOAD_N];
	char cpu[256];
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned failures = 0, unclean = 0;
	uint64_t t0;
	int rc = parse_args(argc, argv, &o);

	if (rc)
		return rc < 0 ? 2 : 0;
	e1k_log_set_level(E1K_LOG_ERROR);   /* removal warnings are expected here */
	e1k_rcu_thread_online();
	cpu_model(cpu, sizeof(cpu));
	for (unsigned r = 0; r < E1K_HALT_NREASONS; r++)
		for (unsigned l = 0; l < LOAD_N; l++) {
			samples[r][l] = calloc(o.iterations, sizeof(struct sample));
			if (!samples[r][l]) {
				fprintf(stderr, "out of memory\n");
				return 1;
			}
		}

	/* Interleaved (iteration, reason, idle then loaded), so slow drifts in
	 * the machine's state affect every column alike. */
	t0 = e1k_now_ns();
	for (unsigned it = 0; it < o.iterations; it++)
		for (unsigned r = 0; r < E1K_HALT_NREASONS; r++)
			for (unsigned l = 0; l < LOAD_N; l++) {
				struct sample *s = &samples[r][l][it];

				rc = one_halt(&o, (enum e1k_halt_reason)r, l == LOAD_BUSY, s);
				if (rc < 0) {
					fprintf(stderr, "%s %s iteration %u: %s\n",
					        e1k_halt_reason_name((enum e1k_halt_reason)r), load_names[l],
					        it, strerror(-rc));
					failures++;
				}
			}

	for (unsigned r = 0; r < E1K_HALT_NREASONS; r++)
		for (unsigned l = 0; l < LOAD_N; l++) {
			summarize(samples[r][l], o.iterations, &sum[r][l]);
			unclean += sum[r][l].unclean;
		}

	if (o.json) {
		struct jbuf b;

		jb_init(&b);
		jb_obj_begin(&b, NULL);
		jb_obj_begin(&b, "machine");
		jb_u64(&b, "nproc", (uint64_t)(ncpu > 0 ? ncpu : 0));
		jb_str(&b, "cpu", cpu);
		jb_obj_end(&b);
		jb_obj_begin(&b, "config");
		jb_str(&b, "model", o.model == SIM_82540EM ? "82540em" : "82574l");
		jb_str(&b, "irq", e1k_irq_mode_name(o.irq));
		jb_u64(&b, "iterations", o.iterations);
		jb_u64(&b, "senders", o.senders);
		jb_str(&b, "wire", "loopback");
		jb_obj_end(&b);
		jb_arr_begin(&b, "reasons");
		for (unsigned r = 0; r < E1K_HALT_NREASONS; r++) {
			jb_obj_begin(&b, NULL);
			jb_str(&b, "reason", e1k_halt_reason_name((enum e1k_halt_reason)r));
			for (unsigned l = 0; l < LOAD_N; l++) {
				const struct summary *m = &sum[r][l];

				jb_obj_begin(&b, load_names[l]);
				jb_ms(&b, "median_ms", m->median);
				jb_ms(&b, "p99_ms", m->p99);
				jb_ms(&b, "min_ms", m->min);
				jb_ms(&b, "max_ms", m->max);
				jb_str(&b, "dominant_stage", e1k_halt_stage_name(m->dominant));
				jb_u64(&b, "unclean", m->unclean);
				jb_obj_begin(&b, "stage_median_ms");
				for (unsigned st = 0; st < E1K_HS_COUNT; st++)
					jb_ms(&b, e1k_halt_stage_name(st), m->stage_median[st]);
				jb_obj_end(&b);
				jb_obj_end(&b);
			}
			jb_ms(&b, "loaded_idle_ratio", sum[r][LOAD_IDLE].median > 0 ?
			      sum[r][LOAD_BUSY].median / sum[r][LOAD_IDLE].median : 0);
			jb_obj_end(&b);
		}
		jb_arr_end(&b);
		jb_u64(&b, "failures", failures);
		jb_u64(&b, "unclean_halts", unclean);
		jb_u64(&b, "wall_ms", (e1k_now_ns() - t0) / 1000000u);
		jb_obj_end(&b);
		if (jb_finish(&b) == 0)
			printf("%.*s\n", (int)b.len, b.data);
		jb_free(&b);
	} else {
		printf("halt latency: model %s, irq %s, loopback, %u sender(s) when loaded, "
		       "%u halts per reason and load; %ld CPUs (%s); %.1f s\n",
		       o.model == SIM_82540EM ? "82540em" : "82574l", e1k_irq_mode_name(o.irq),
		       o.senders, o.iterations, ncpu, cpu, (double)(e1k_now_ns() - t0) / 1e9);
		printf("%-23s %-6s %8s %8s %8s %8s  %-38s %6s\n", "reason", "load", "median", "p99",
		       "min", "max", "dominant stage (median ms)", "ld/idl");
		for (unsigned r = 0; r < E1K_HALT_NREASONS; r++)
			for (unsigned l = 0; l < LOAD_N; l++) {
				const struct summary *m = &sum[r][l];
				char dom[64], ratio[16] = "";

				snprintf(dom, sizeof(dom), "%s (%.3f)", e1k_halt_stage_name(m->dominant),
				         m->stage_median[m->dominant]);
				if (l == LOAD_BUSY && sum[r][LOAD_IDLE].median > 0)
					snprintf(ratio, sizeof(ratio), "%.2f",
					         m->median / sum[r][LOAD_IDLE].median);
				printf("%-23s %-6s %8.3f %8.3f %8.3f %8.3f  %-38s %6s\n",
				       l ? "" : e1k_halt_reason_name((enum e1k_halt_reason)r), load_names[l],
				       m->median, m->p99, m->min, m->max, dom, ratio);
			}
		printf("(ms; p99 is the nearest rank; %u halt(s) not clean, %u setup failure(s))\n",
		       unclean, failures);
	}
	for (unsigned r = 0; r < E1K_HALT_NREASONS; r++)
		for (unsigned l = 0; l < LOAD_N; l++)
			free(samples[r][l]);
	e1k_rcu_thread_offline();
	return failures || unclean ? 1 : 0;
}
