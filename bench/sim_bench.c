/* SPDX-License-Identifier: MIT */
/*
 * sim_bench.c - e1k_bench_sim: the model-only figures of docs/benchmarks.md.
 *
 *   e1k_bench_sim irq   [--model M] [--probes N] [--senders N] [--rt PRIO]
 *   e1k_bench_sim tx    [--model M] [--packets N] [--capture off|armed|read]
 *   e1k_bench_sim rx    [--model M] [--packets N]
 *
 * irq: interrupt-to-DPC latency of e1kd's adapter on the software model.  The
 *   adapter runs as always (its irq thread, ISR, DPC pool, RCU hooks); the
 *   bench only wraps the adapter's interrupt DPC function so its entry is
 *   time-stamped, before the adapter is started (race-free: the device's
 *   interrupts are masked until restart, and dpc_queue orders the pointer with
 *   the worker's read through the pool mutex).  A probe writes a cause to ICS
 *   (the model raises the interrupt on the eventfd, as VFIO delivers it) and
 *   records the time just before; the latency is from there to the next entry
 *   of the DPC.  Probes are spaced by at least 4 x the ITR interval so the
 *   throttle never delays one.  Run idle, then (--senders N, default 2) under
 *   a loopback flood, where the DPC is often busy and the interrupt rate is
 *   throttled by ITR: that p99 is what a loaded driver shows.
 *   --rt PRIO (an experiment) first gives the adapter's irq thread and DPC
 *   workers SCHED_FIFO PRIO, as the kernel's threaded interrupt handlers have.
 *   The DPC runs on the interrupt thread when it was idle (one wake-up, the
 *   default of irq_thread.h), else on a DPC worker: dpc_on_irq_thread counts
 *   the answered probes whose DPC ran on the interrupt thread.
 *   Prints {"idle":{"p50_us":..,"p99_us":..,"max_us":..,"n":..,
 *   "dpc_on_irq_thread":..},"loaded":{..}}.
 *
 * tx / rx: fixed workloads for callgrind (scripts/bench counts the
 *   instructions executed inside e1k_adapter_send, isr_handle and
 *   e1k_dpc_intr, the model's own functions subtracted, per packet).
 *   tx sends N 60-byte frames (wire none) and waits for their completion;
 *   rx injects N frames into the model's wire and waits until the binding got
 *   them.  Prints {"packets":..,"completed":..,"received":..,"interrupts":..}.
 *   tx also prints its rate ("pps": from the first send to the last
 *   completion) and, with --capture, what a capture of it kept: armed -- a
 *   capture ring attached (driver/capture.h) that nobody reads, so it fills
 *   and drops; read -- a reader drains it every 10 ms as e1kd's capture
 *   thread does.  off (the default) is the datapath with capture off; a build
 *   with -DE1K_BENCH_NO_CAPTURE_HOOK compiles the hook out, for comparison.
 *
 * Exit status 0, 1 when a workload could not complete, 2 on a usage error.
 * Threads: main (control, probes, the tx sender, the rx injector), the
 * loaded-probe senders, and the adapter's and model's own threads.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <sys/types.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "adapter.h"
#include "bench_bind.h"
#include "capture.h"
#include "clock.h"
#include "e1k_rcu.h"
#include "halt.h"
#include "log.h"
#include "sim.h"

#define SB_ETHERTYPE   0x88b5u
#define SB_BATCH       32u
#define SB_MAX_SENDERS 4u
#define SB_WAIT_MS     30000u

struct sb_opts {
	enum sim_model model;
	unsigned probes;
	unsigned senders;
	unsigned long packets;
	int rt_prio;          /* --rt P: the adapter's irq and DPC threads as SCHED_FIFO P */
	int capture;          /* --capture: 0 off, 1 armed (nobody reads), 2 read */
};

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000ull),
	                       .tv_nsec = (long)(ns % 1000000000ull) };

	nanosleep(&ts, NULL);
}

static void sb_halt_needed(void *ctx, enum e1k_halt_reason reason, const char *why)
{
	(void)ctx;
	(void)reason;
	(void)why;
}

/* ---- the DPC probe ---- */
/* One adapter at a time (the probe state is global). */
static _Atomic uint64_t probe_t0;      /* 0: no probe pending */
static _Atomic uint64_t probe_lat;     /* latency of the last answered probe, 0: none yet */
/* Answered probes whose DPC ran on the interrupt thread (the inline path,
 * irq_thread.h) rather than on a DPC worker: says which path was measured. */
static atomic_uint probe_on_irq;

/* Whether the calling thread is the adapter's interrupt thread, looked up
 * once per thread (the name read is a system call: not on every probe). */
static bool on_irq_thread(void)
{
	static _Thread_local int known;   /* 0 unknown, 1 irq, 2 other */
	char comm[16] = "";

	if (!known) {
		pthread_getname_np(pthread_self(), comm, sizeof(comm));
		known = strncmp(comm, "e1k-irq", 7) ? 2 : 1;
	}
	return known == 1;
}

static void probe_dpc(void *ctx)
{
	/* Acquire: pairs with the prober's release store of t0 (written before
	 * the ICS write that raised this interrupt). */
	uint64_t t0 = atomic_exchange_explicit(&probe_t0, 0, memory_order_acquire);

	if (t0) {
		uint64_t t1 = e1k_now_ns();

		if (on_irq_thread())
			atomic_fetch_add_explicit(&probe_on_irq, 1, memory_order_relaxed);
		/* Release: pairs with the prober's acquire load. */
		atomic_store_explicit(&probe_lat, t1 > t0 ? t1 - t0 : 1, memory_order_release);
	}
	(void)ctx;
}

/* ---- an adapter on the model ---- */
struct sb_dev {
	struct hal_dev *hw;
	struct e1k_adapter *ad;
	struct bench_bind bind;
};

static int sb_up(struct sb_dev *s, enum sim_model model, enum sim_wire wire, bool probe)
{
	struct sim_config sc = { .model = model, .wire = wire, .fail_irq_set_index = HAL_IRQ_NINDEX };
	struct e1k_owner_ops owner = { .halt_needed = sb_halt_needed };
	struct e1k_config cfg;
	char err[256];
	int rc;

	memset(s, 0, sizeof(*s));
	e1k_config_defaults(&cfg);
	rc = sim_open(&sc, &s->hw);
	if (rc < 0)
		return rc;
	rc = e1k_adapter_initialize(s->hw, &cfg, &owner, &s->ad, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "e1k_bench_sim: initialize: %s\n", err);
		hal_close(s->hw);
		s->hw = NULL;
		return rc;
	}
	s->bind.ad = s->ad;
	rc = probe ? e1k_adapter_set_dpc_probe(s->ad, probe_dpc, NULL) : 0;
	if (rc == 0)
		rc = e1k_adapter_bind(s->ad, &bench_bind_ops, &s->bind);
	if (rc == 0)
		rc = e1k_adapter_restart(s->ad);
	return rc;
}

static int sb_down(struct sb_dev *s)
{
	struct e1k_halt_report *rep = calloc(1, sizeof(*rep));
	int rc;

	if (!s->ad)
		return 0;
	rc = e1k_adapter_halt(s->ad, E1K_HALT_STOPPED, rep);
	if (rc == 0 && rep && e1k_halt_report_clean(rep) != 0)
		rc = -EIO;
	e1k_adapter_destroy(s->ad);
	s->ad = NULL;
	free(rep);
	return rc;
}

static void fill_frames(uint8_t (*bufs)[64], struct e1k_frame *fr, unsigned n,
                        const uint8_t dst[6], const uint8_t src[6])
{
	for (unsigned i = 0; i < n; i++) {
		memset(bufs[i], 0, 64);
		memcpy(bufs[i], dst, 6);
		memcpy(bufs[i] + 6, src, 6);
		bufs[i][12] = SB_ETHERTYPE >> 8;
		bufs[i][13] = SB_ETHERTYPE & 0xff;
		fr[i].data = bufs[i];
		fr[i].len = 60;
	}
}

/* ---- irq ---- */
struct sb_sender {
	struct e1k_adapter *ad;
	atomic_bool stop;
	pthread_t t;
};

static void *sb_sender_thread(void *arg)
{
	struct sb_sender *s = arg;
	uint8_t bufs[SB_BATCH][64], mac[6];
	struct e1k_frame fr[SB_BATCH] = { 0 };

	e1k_rcu_thread_online();
	e1k_adapter_get_mac(s->ad, mac);
	fill_frames(bufs, fr, SB_BATCH, mac, mac);   /* to itself: comes back on loopback */
	while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
		int rc = e1k_adapter_send(s->ad, fr, SB_BATCH);

		if (rc < 0)
			break;
		if (rc < (int)SB_BATCH)
			sched_yield();
	}
	e1k_rcu_thread_offline();
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Probe n times; lat[] gets the answered ones.  Returns how many. */
static unsigned probe_run(struct sb_dev *s, unsigned n, uint64_t *lat)
{
	uint64_t gap = 4ull * (e1k_adapter_config(s->ad)->itr_ns ? e1k_adapter_config(s->ad)->itr_ns : 25000);
	/* In MSI-X mode only the queue bits pick a vector (82574 IVAR). */
	uint32_t cause = E1000_ICR_RXT0 |
	                 (e1k_adapter_irq_mode(s->ad) == E1K_IRQ_MSIX ? E1000_ICR_RXQ0 : 0);
	unsigned got = 0, lost_in_row = 0;

	atomic_store_explicit(&probe_on_irq, 0, memory_order_relaxed);
	for (unsigned i = 0; i < n; i++) {
		uint64_t t0, end, l = 0;

		atomic_store_explicit(&probe_lat, 0, memory_order_relaxed);
		sleep_ns(gap + (uint64_t)(rand() % 50000));   /* also decorrelates from the flood */
		t0 = e1k_now_ns();
		/* Release: the DPC's acquire exchange sees t0. */
		atomic_store_explicit(&probe_t0, t0, memory_order_release);
		hal_wr32(s->hw, E1000_ICS, cause);
		end = t0 + 100000000ull;
		while ((l = atomic_load_explicit(&probe_lat, memory_order_acquire)) == 0 && e1k_now_ns() < end)
			sched_yield();
		atomic_store_explicit(&probe_t0, 0, memory_order_relaxed);
		if (l) {
			lat[got++] = l;
			lost_in_row = 0;
		} else if (++lost_in_row == 10) {
			fprintf(stderr, "e1k_bench_sim: 10 probes in a row unanswered: giving up\n");
			break;
		}
	}
	return got;
}

static void print_lat(const char *key, uint64_t *lat, unsigned n, unsigned asked, bool comma)
{
	unsigned r99 = n ? (99 * n + 99) / 100 : 0;

	qsort(lat, n, sizeof(*lat), cmp_u64);
	printf("%s\"%s\":{\"n\":%u,\"lost\":%u,\"p50_us\":%.2f,\"p99_us\":%.2f,\"max_us\":%.2f,"
	       "\"min_us\":%.2f,\"dpc_on_irq_thread\":%u}",
	       comma ? "," : "", key, n, asked - n, n ? (double)lat[n / 2] / 1e3 : 0,
	       n ? (double)lat[r99 - 1] / 1e3 : 0, n ? (double)lat[n - 1] / 1e3 : 0,
	       n ? (double)lat[0] / 1e3 : 0, atomic_load_explicit(&probe_on_irq, memory_order_relaxed));
}

/* --rt: an experiment, not what e1kd does today -- give the adapter's
 * interrupt thread and DPC workers (found by name) SCHED_FIFO priority, as
 * the kernel's threaded interrupt handlers have.  Returns how many threads. */
static int set_rt(int prio)
{
	DIR *dir = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (!dir)
		return -errno;
	while ((e = readdir(dir))) {
		char path[300], comm[32] = "";
		struct sched_param sp = { .sched_priority = prio };
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = 0;
		fclose(f);
		if (strncmp(comm, "e1k-irq", 7) && strncmp(comm, "e1k-dpc", 7))
			continue;
		if (sched_setscheduler((pid_t)atoi(e->d_name), SCHED_FIFO, &sp) == 0)
			n++;
		else
			fprintf(stderr, "e1k_bench_sim: SCHED_FIFO for %s: %s\n", comm, strerror(errno));
	}
	closedir(dir);
	return n;
}

static int do_irq(const struct sb_opts *o)
{
	struct sb_dev s;
	struct sb_sender snd[SB_MAX_SENDERS];
	uint64_t *lat = calloc(o->probes, sizeof(*lat));
	unsigned n, nsend = 0;
	int rc;

	if (!lat)
		return -ENOMEM;
	rc = sb_up(&s, o->model, SIM_WIRE_LOOPBACK, true);
	if (rc < 0)
		goto out;
	printf("{\"model\":\"%s\",\"irq_mode\":\"%s\",\"itr_ns\":%u,\"senders\":%u,\"rt_prio\":%d,"
	       "\"rt_threads\":%d",
	       o->model == SIM_82540EM ? "82540em" : "82574l",
	       e1k_irq_mode_name(e1k_adapter_irq_mode(s.ad)), e1k_adapter_config(s.ad)->itr_ns, o->senders, o->rt_prio,
	       o->rt_prio ? set_rt(o->rt_prio) : 0);
	n = probe_run(&s, o->probes, lat);
	print_lat("idle", lat, n, o->probes, true);
	for (unsigned i = 0; i < o->senders; i++) {
		snd[i].ad = s.ad;
		atomic_init(&snd[i].stop, false);
		if (pthread_create(&snd[i].t, NULL, sb_sender_thread, &snd[i]) != 0)
			break;
		nsend++;
	}
	if (nsend) {
		n = probe_run(&s, o->probes, lat);
		print_lat("loaded", lat, n, o->probes, true);
	}
	printf(",\"rx_loaded\":%lu}\n", atomic_load(&s.bind.rx));
	for (unsigned i = 0; i < nsend; i++)
		atomic_store_explicit(&snd[i].stop, true, memory_order_relaxed);
	rc = sb_down(&s);     /* the halt refuses the senders' sends: they end */
	for (unsigned i = 0; i < nsend; i++)
		pthread_join(snd[i].t, NULL);
out:
	free(lat);
	return rc;
}

/* ---- tx / rx workloads ---- */
static bool wait_until(bool (*cond)(void *), void *arg, unsigned ms)
{
	uint64_t end = e1k_now_ns() + (uint64_t)ms * 1000000ull;

	while (!cond(arg)) {
		if (e1k_now_ns() >= end)
			return false;
		sched_yield();
	}
	return true;
}

struct tx_wait { struct e1k_adapter *ad; unsigned long want; };

static bool tx_done(void *arg)
{
	struct tx_wait *w = arg;
	struct e1k_stats st;

	e1k_adapter_get_stats(w->ad, &st);
	return st.tx_completed >= w->want;
}

struct cap_reader {
	struct e1k_capture *c;
	atomic_bool stop;
	unsigned long read;
};

/* As e1kd's capture thread: drain, then look again 10 ms later. */
static void *cap_reader(void *arg)
{
	static uint8_t buf[E1K_CAPTURE_SNAPLEN_MAX];
	struct cap_reader *r = arg;
	struct e1k_capture_rec rec;

	while (!atomic_load(&r->stop)) {
		while (e1k_capture_read(r->c, &rec, buf, sizeof(buf)) == 1)
			r->read++;
		sleep_ns(10000000u);
	}
	return NULL;
}

static int do_tx(const struct sb_opts *o)
{
	struct cap_reader cr = { 0 };
	pthread_t crt;
	uint64_t t0, t1, captured = 0, dropped = 0;
	static const uint8_t dst[6] = { 0x02, 0, 0, 0, 0xbe, 0x01 };
	uint8_t bufs[SB_BATCH][64], mac[6];
	struct e1k_frame fr[SB_BATCH] = { 0 };
	struct e1k_stats st;
	struct sb_dev s;
	unsigned long sent = 0;
	struct tx_wait w;
	int rc = sb_up(&s, o->model, SIM_WIRE_NONE, false);

	if (rc < 0)
		return rc;
	e1k_adapter_get_mac(s.ad, mac);
	fill_frames(bufs, fr, SB_BATCH, dst, mac);
	if (o->capture) {
		cr.c = e1k_capture_new(4u << 20, E1K_CAPTURE_BOTH, E1K_CAPTURE_SNAPLEN_MAX);
		if (!cr.c || e1k_adapter_capture_attach(s.ad, cr.c) < 0) {
			sb_down(&s);
			return -ENOMEM;
		}
		if (o->capture == 2 && pthread_create(&crt, NULL, cap_reader, &cr) != 0) {
			e1k_adapter_capture_detach(s.ad, cr.c);
			e1k_capture_free(cr.c);
			sb_down(&s);
			return -EAGAIN;
		}
	}
	t0 = e1k_now_ns();
	while (sent < o->packets) {
		unsigned k = o->packets - sent < SB_BATCH ? (unsigned)(o->packets - sent) : SB_BATCH;
		int n = e1k_adapter_send(s.ad, fr, k);

		if (n < 0) {
			rc = n;
			break;
		}
		sent += (unsigned)n;
		if ((unsigned)n < k) {
			/* The ring is full: wait (outside the counted functions) for
			 * half of it to complete instead of retrying the send, so the
			 * count is per packet sent, not per attempt. */
			w = (struct tx_wait){ s.ad, sent > e1k_adapter_config(s.ad)->tx_ring_size / 2 ?
			                             sent - e1k_adapter_config(s.ad)->tx_ring_size / 2 : 0 };
			if (!wait_until(tx_done, &w, SB_WAIT_MS)) {
				rc = -ETIMEDOUT;
				break;
			}
		}
	}
	w = (struct tx_wait){ s.ad, o->packets };
	if (rc == 0 && !wait_until(tx_done, &w, SB_WAIT_MS))
		rc = -ETIMEDOUT;
	t1 = e1k_now_ns();
	if (cr.c) {
		e1k_adapter_capture_detach(s.ad, cr.c);
		if (o->capture == 2) {
			atomic_store(&cr.stop, true);
			pthread_join(crt, NULL);
		}
		e1k_capture_counts(cr.c, &captured, &dropped);
		e1k_capture_free(cr.c);
	}
	e1k_adapter_get_stats(s.ad, &st);
	printf("{\"path\":\"tx\",\"packets\":%lu,\"completed\":%llu,\"interrupts\":%llu,"
	       "\"dpc_runs\":%llu,\"pps\":%.0f,\"capture\":\"%s\",\"captured\":%llu,"
	       "\"dropped\":%llu}\n",
	       sent, (unsigned long long)st.tx_completed, (unsigned long long)st.interrupts,
	       (unsigned long long)st.dpc_runs, (double)sent * 1e9 / (double)(t1 - t0 ? t1 - t0 : 1),
	       o->capture == 0 ? "off" : o->capture == 1 ? "armed" : "read",
	       (unsigned long long)captured, (unsigned long long)dropped);
	if (sb_down(&s) < 0 && rc == 0)
		rc = -EIO;
	return rc;
}

struct rx_wait { struct bench_bind *b; unsigned long want; };

static bool rx_done(void *arg)
{
	struct rx_wait *w = arg;

	return atomic_load_explicit(&w->b->rx, memory_order_acquire) >= w->want;
}

static int do_rx(const struct sb_opts *o)
{
	static const uint8_t src[6] = { 0x02, 0, 0, 0, 0xbe, 0x01 };
	uint8_t frame[SB_BATCH][64], mac[6];
	struct e1k_frame fr[SB_BATCH] = { 0 };
	struct e1k_stats st;
	struct sb_dev s;
	unsigned long injected = 0;
	struct rx_wait w;
	int rc = sb_up(&s, o->model, SIM_WIRE_NONE, false);

	if (rc < 0)
		return rc;
	e1k_adapter_get_mac(s.ad, mac);
	fill_frames(frame, fr, 1, mac, src);
	w.b = &s.bind;
	while (injected < o->packets) {
		/* Keep at most half a ring in flight: no frame is missed, so
		 * every injected frame is one the driver handles. */
		w.want = injected > e1k_adapter_config(s.ad)->rx_ring_size / 2 ? injected - e1k_adapter_config(s.ad)->rx_ring_size / 2 : 0;
		if (!wait_until(rx_done, &w, SB_WAIT_MS)) {
			rc = -ETIMEDOUT;
			break;
		}
		rc = sim_wire_inject(s.hw, frame[0], 60);
		if (rc < 0) {
			sched_yield();   /* the model's wire queue is full */
			rc = 0;
			continue;
		}
		injected++;
	}
	w.want = injected;
	if (rc == 0 && !wait_until(rx_done, &w, SB_WAIT_MS))
		rc = -ETIMEDOUT;
	e1k_adapter_get_stats(s.ad, &st);
	printf("{\"path\":\"rx\",\"packets\":%lu,\"received\":%lu,\"interrupts\":%llu,"
	       "\"dpc_runs\":%llu,\"missed\":%llu}\n",
	       injected, atomic_load(&s.bind.rx), (unsigned long long)st.interrupts,
	       (unsigned long long)st.dpc_runs, (unsigned long long)st.dev_mpc);
	if (sb_down(&s) < 0 && rc == 0)
		rc = -EIO;
	return rc;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: e1k_bench_sim irq|tx|rx [--model 82540em|82574l] [--probes N] "
	           "[--senders N] [--packets N] [--rt PRIO] [--capture off|armed|read]\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "model", required_argument, NULL, 'm' },
		{ "probes", required_argument, NULL, 'p' },
		{ "senders", required_argument, NULL, 's' },
		{ "packets", required_argument, NULL, 'n' },
		{ "rt", required_argument, NULL, 'r' },
		{ "capture", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sb_opts o = { .model = SIM_82540EM, .probes = 2000, .senders = 2, .packets = 100000 };
	const char *cmd;
	int c, rc;

	while ((c = getopt_long(argc, argv, "m:p:s:n:r:c:h", lo, NULL)) != -1) {
		char *end;
		unsigned long v;

		switch (c) {
		case 'm':
			if (sim_model_parse(optarg, &o.model) < 0) {
				fprintf(stderr, "e1k_bench_sim: bad --model '%s'\n", optarg);
				return 2;
			}
			break;
		case 'c':
			o.capture = !strcmp(optarg, "off") ? 0 : !strcmp(optarg, "armed") ? 1 :
			            !strcmp(optarg, "read") ? 2 : -1;
			if (o.capture < 0) {
				fprintf(stderr, "e1k_bench_sim: --capture is off, armed or read\n");
				return 2;
			}
			break;
		case 'r':
			o.rt_prio = atoi(optarg);
			if (o.rt_prio < 1 || o.rt_prio > 99) {
				fprintf(stderr, "e1k_bench_sim: --rt must be 1..99\n");
				return 2;
			}
			break;
		case 'p':
		case 's':
		case 'n':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || *end || end == optarg || (c != 's' && v == 0) ||
			    (c == 's' && v > SB_MAX_SENDERS) || v > 100000000ul) {
				fprintf(stderr, "e1k_bench_sim: bad number '%s'\n", optarg);
				return 2;
			}
			if (c == 'p')
				o.probes = (unsigned)v;
			else if (c == 's')
				o.senders = (unsigned)v;
			else
				o.packets = v;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	cmd = argv[optind];
	e1k_log_set_level(E1K_LOG_ERROR);
	e1k_rcu_thread_online();
	if (!strcmp(cmd, "irq")) {
		rc = do_irq(&o);
	} else if (!strcmp(cmd, "tx")) {
		rc = do_tx(&o);
	} else if (!strcmp(cmd, "rx")) {
		rc = do_rx(&o);
	} else {
		usage(stderr);
		e1k_rcu_thread_offline();
		return 2;
	}
	e1k_rcu_thread_offline();
	if (rc < 0)
		fprintf(stderr, "e1k_bench_sim %s: %s\n", cmd, strerror(-rc));
	return rc < 0 ? 1 : 0;
}
