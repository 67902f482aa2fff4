/* SPDX-License-Identifier: MIT */
/*
 * e1kd - the e1kd driver daemon.  Runs in the foreground.
 *
 * Threads: main (signals, halt triggers, exit), the adapter's irq/DPC/timer
 * threads, the control socket's server thread, and the TAP bridge's thread.
 * Every halt trigger -- a terminating signal (stopped; see "signals" below),
 * a VFIO removal request (disabled), a device found gone (surprise-removed),
 * a transmit hang (failed), `e1kctl halt --reason R` -- ends in one
 * e1k_adapter_halt() call;
 * the halt is idempotent, so racing triggers get the first one's report.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "adapter.h"
#include "capture.h"
#include "capture_srv.h"
#include "clock.h"
#include "ctl_proto.h"
#include "ctl_server.h"
#include "ctl_verbs.h"
#include "diag.h"
#include "e1k_rcu.h"
#include "e1kd_args.h"
#include "halt.h"
#include "halt_report_json.h"
#include "json.h"
#include "log.h"
#include "mac.h"
#include "num.h"
#include "reasons.h"
#include "rt_sched.h"
#include "safe_path.h"
#include "sd_notify.h"
#include "selftest.h"
#include "sim.h"
#include "tap_bridge.h"
#include "vfio.h"

#define E1KD_VERSION "0.1.0"

struct daemon {
	const char *device;
	const char *tap;
	const char *sim_wire;
	const char *ctl_path;
	const char *report_path;
	bool noiommu;
	unsigned rt_prio;             /* --rt-prio, 0: none */
	struct sd_notifier notify;    /* $NOTIFY_SOCKET, or disabled */
	struct e1k_config cfg;

	struct hal_dev *hw;
	struct e1k_adapter *ad;
	struct e1k_tap_bridge *bridge;
	struct ctl_server *ctl;
	struct capture_srv capture;   /* `e1kctl capture`: one at a time */
	uint64_t start_ns;

	/* Halt triggers from other threads: reason + 1 (0 = none), and why. */
	int trigger_efd;
	atomic_int trigger_reason;
	char trigger_why[128];
	pthread_mutex_t trigger_lock;

	/* Set once the halt ran (by whichever thread); protected by halt_lock. */
	pthread_mutex_t halt_lock;
	bool halted;
	int halt_rc;
	struct e1k_halt_report report;
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: e1kd --device DEV [options]\n"
"\n"
"A userspace driver for Intel e1000-class NICs (82540EM, 82545EM, 82574L) with\n"
"a staged NDIS-style halt.  Runs in the foreground until halted.\n"
"\n"
"  --device DEV         the NIC: a PCI address bound to vfio-pci (0000:01:00.0),\n"
"                       or the software model: sim:82540em | sim:82574l\n"
"  --tap NAME           create TAP NAME on this host and bridge it to the NIC\n"
"                       (the kernel's traffic goes out through the driver)\n"
"  --sim-wire W         the model's wire: loopback | tap:NAME | none\n"
"                       (default none; sim devices only)\n"
"  --ctl PATH           control socket (default " E1KD_DEFAULT_CTL ",\n"
"                       or $E1KD_CTL); created 0600 in a 0700 directory\n"
"  --dpc-workers N      DPC worker threads, 1..64 (default 2)\n"
"  --irq-mode M         auto | intx | msi | msix (default auto)\n"
"  --tx-ring N          TX descriptors, power of two 64..4096 (default 256)\n"
"  --rx-ring N          RX descriptors, power of two 64..4096 (default 1024)\n"
"  --itr-ns N           interrupt throttle interval in ns (default 50000; 0 = off)\n"
"  --itr-max-ns N       the longest interval (default 4000000): under load the\n"
"                       interval is the time 64 frames take to arrive, within\n"
"                       --itr-ns..N -- N bounds the latency moderation adds;\n"
"                       0 = fixed at --itr-ns\n"
"  --report PATH        write the halt report (JSON) to PATH, whatever caused the halt;\n"
"                       a new 0600 file renamed over PATH.  Refused (exit 1) when\n"
"                       PATH is a symlink or another user's file, or a directory\n"
"                       on the way is a symlink, not root's or yours, or group/\n"
"                       world-writable without the sticky bit\n"
"  --halt-when-unbound  halt (instance-deinitialized) when the last upper binding\n"
"                       goes away, e.g. when the --tap interface is deleted\n"
"  --noiommu            accept a device in vfio's no-IOMMU mode (/dev/vfio/noiommu-N):\n"
"                       unsafe, the device can DMA anywhere in memory; DMA memory\n"
"                       is then locked and must be physically contiguous (huge pages)\n"
"  --rt-prio N          SCHED_FIFO priority N (1..99) for the interrupt thread and\n"
"                       the DPC workers; refused at startup (exit 1) unless the\n"
"                       kernel allows it: CAP_SYS_NICE or RLIMIT_RTPRIO >= N\n"
"  --offloads LIST      what the NIC may offload: all (default), none, or a comma-\n"
"                       separated list of csum, tso4, tso6, rx-csum (the part's\n"
"                       own limits apply: the 82540EM has no tso6); the TAP asks\n"
"                       the kernel for the same\n"
"  --log-level L        error | warn | info | debug (default info)\n"
"  -h, --help           this text\n"
"  -V, --version        version\n"
"\n"
"Environment: E1KD_CTL (see --ctl); NOTIFY_SOCKET (set by systemd for a\n"
"Type=notify unit): READY=1 once the adapter is Running and the control\n"
"socket listens, STOPPING=1 when a halt starts, STATUS= along the way.\n"
"\n"
"Halt triggers: a VFIO removal request -> disabled; the device reading all\n"
"ones -> surprise-removed; a transmit hang -> failed; `e1kctl halt --reason R`\n"
"-> R; a signal below -> stopped.\n"
"\n"
"Signals: every signal that would end the process either halts or stops DMA.\n"
"  SIGTERM SIGINT SIGHUP SIGQUIT SIGUSR1 SIGUSR2 SIGALRM SIGVTALRM SIGPROF\n"
"  SIGPWR SIGXCPU SIGXFSZ SIGSTKFLT SIGIO and the real-time signals: a staged\n"
"  halt (reason stopped), the report written, the socket removed, exit 0.\n"
"  SIGSEGV SIGABRT SIGBUS SIGILL SIGFPE SIGTRAP SIGSYS (faults the kernel\n"
"  raises in a thread that cannot go on, even when sent with kill): the\n"
"  device's DMA is stopped first (shutdown), then e1kd dies of the signal;\n"
"  no report, the socket stays (the next e1kd takes it over).\n"
"  SIGKILL and SIGSTOP cannot be caught: after SIGKILL the kernel releases\n"
"  the device as the process exits, with no halt and no report.\n"
"\n"
"Exit status: 0 after a clean halt, 1 on an error or a halt with a failed or\n"
"timed-out stage, 2 on a usage error.\n");
}

/* ---- signals ----
 *
 * Every signal whose default action ends the process is one of two kinds here
 * (issue 17: any other one used to kill e1kd with DMA live and no halt, and in
 * no-IOMMU mode the kernel frees the locked DMA pages before it closes the
 * device at exit, so the NIC could write into freed memory):
 *
 *  - asynchronous ones, sent by someone (kill, a terminal, a resource limit,
 *    an init system): blocked in every thread and read by the main thread
 *    through a signalfd, they halt with reason stopped -- the staged halt, its
 *    report, the socket removed, exit 0.  Being blocked, they cannot kill
 *    e1kd while it starts either: one pending from then is read by the loop.
 *  - synchronous ones, which the kernel raises in the faulting thread (a bad
 *    access, an abort, a trap, a seccomp SECCOMP_RET_TRAP): they cannot be
 *    blocked (the kernel forces the default action on a blocked one) and the
 *    thread cannot go on, so the fatal handler stops the device's DMA with
 *    the backend's async-signal-safe emergency operation and dies of the same
 *    signal.  SIGTRAP and SIGSYS are here even when sent with kill: the
 *    handler cannot tell a debugger's trap from a sent one cheaply, and a
 *    stop then death is what the fault needs.
 *
 * SIGKILL and SIGSTOP cannot be caught: after SIGKILL the kernel closes the
 * VFIO device as the process exits (a reset with an IOMMU; without one see
 * the no-IOMMU note in --help).  SIGPIPE is ignored (a client gone while it
 * is answered is an EPIPE on that write).
 */
static const int halt_signals[] = {
	SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGVTALRM, SIGPROF,
	SIGPWR, SIGXCPU, SIGXFSZ, SIGSTKFLT, SIGIO,
};
static const int fatal_signals[] = { SIGSEGV, SIGABRT, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS };

static struct e1k_adapter *volatile fatal_adapter;

/* The halt set: halt_signals and every real-time signal (their default is to
 * terminate too; glibc keeps its own below SIGRTMIN). */
static void halt_sigset(sigset_t *set)
{
	sigemptyset(set);
	for (unsigned i = 0; i < sizeof(halt_signals) / sizeof(halt_signals[0]); i++)
		sigaddset(set, halt_signals[i]);
	for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
		sigaddset(set, sig);
}

/* Async-signal-safe: stop the device's DMA through the backend's emergency
 * operation, restore the default action, and die of the same signal. */
static void fatal_handler(int sig)
{
	static const char msg[] = "e1kd: fatal signal: stopping the device before exit\n";
	ssize_t w;

	w = write(STDERR_FILENO, msg, sizeof(msg) - 1);
	(void)w;
	e1k_adapter_emergency_stop(fatal_adapter);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void install_fatal_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fatal_handler;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESETHAND | SA_NODEFER;
	for (unsigned i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++)
		sigaction(fatal_signals[i], &sa, NULL);
}

/* ---- the service manager (sd_notify.h) ---- */

/* A message lost is only logged: the manager's timeout is its own answer. */
static void notify(struct daemon *d, const char *msg)
{
	int rc = sd_notifier_send(&d->notify, msg);

	if (rc < 0)
		e1k_log(E1K_LOG_WARN, "NOTIFY_SOCKET: cannot send '%.*s': %s",
		        (int)strcspn(msg, "\n"), msg, strerror(-rc));
}

/* ---- halt ---- */

static int do_halt(struct daemon *d, enum e1k_halt_reason reason, const char *why)
{
	int rc;

	pthread_mutex_lock(&d->halt_lock);
	if (!d->halted) {
		char msg[256];

		e1k_log(E1K_LOG_INFO, "halting (%s): %s", e1k_halt_reason_name(reason), why);
		snprintf(msg, sizeof(msg), "STOPPING=1\nSTATUS=halting (%s): %s",
		         e1k_halt_reason_name(reason), why);
		notify(d, msg);
		/* After Halted the fatal path must not touch the (closed) device. */
		fatal_adapter = NULL;
		d->halt_rc = e1k_adapter_halt(d->ad, reason, &d->report);
		d->halted = true;
		/* A running capture drains what it has, tells its client
		 * "halted" and ends (its thread takes no e1kd lock). */
		capture_srv_close(&d->capture);
		e1k_log(d->halt_rc ? E1K_LOG_WARN : E1K_LOG_INFO, "halted in %.1f ms%s",
		        (double)d->report.total_ns / 1e6,
		        d->halt_rc ? ": a stage failed or timed out (see the report)" : "");
		snprintf(msg, sizeof(msg), "STATUS=halted (%s) in %.1f ms%s",
		         e1k_halt_reason_name(reason), (double)d->report.total_ns / 1e6,
		         d->halt_rc ? ": a stage failed or timed out" : "");
		notify(d, msg);
	}
	rc = d->halt_rc;
	pthread_mutex_unlock(&d->halt_lock);
	return rc;
}

/* Context: irq or timer thread.  Never halts here (the halt joins those
 * threads): hand the reason to the main thread. */
static void halt_needed(void *ctx, enum e1k_halt_reason reason, const char *why)
{
	struct daemon *d = ctx;
	uint64_t one = 1;
	int expected = 0;

	pthread_mutex_lock(&d->trigger_lock);
	if (atomic_compare_exchange_strong(&d->trigger_reason, &expected, (int)reason + 1))
		snprintf(d->trigger_why, sizeof(d->trigger_why), "%s", why);
	pthread_mutex_unlock(&d->trigger_lock);
	if (write(d->trigger_efd, &one, sizeof(one)) != sizeof(one))
		e1k_log(E1K_LOG_ERROR, "cannot wake the main thread: %s", strerror(errno));
}

static void wake_main(struct daemon *d)
{
	uint64_t one = 1;

	if (write(d->trigger_efd, &one, sizeof(one)) != sizeof(one))
		e1k_log(E1K_LOG_ERROR, "cannot wake the main thread: %s", strerror(errno));
}

/* ---- control requests ---- */

static void status_json(struct daemon *d, struct jbuf *o)
{
	uint8_t mac[6];
	char ms[E1K_MAC_STRLEN];
	struct e1k_stats st;

	e1k_adapter_get_mac(d->ad, mac);
	e1k_mac_format(mac, ms);
	e1k_adapter_get_stats(d->ad, &st);
	jb_obj_begin(o, NULL);
	jb_str(o, "device", d->device);
	jb_str(o, "state", e1k_state_name(e1k_adapter_state(d->ad)));
	jb_str(o, "mac", ms);
	jb_str(o, "irq_mode", e1k_irq_mode_name(e1k_adapter_irq_mode(d->ad)));
	jb_bool(o, "link_up", st.link_up);
	jb_u64(o, "link_mbps", st.link_mbps);
	jb_i64(o, "mtu", e1k_adapter_get_mtu(d->ad));
	jb_u64(o, "dpc_workers", d->cfg.dpc_workers);
	jb_str(o, "tap", d->bridge ? e1k_tap_bridge_name(d->bridge) : NULL);
	{
		/* The bridge's offloads in force, as words ("csum tso4 tso6
		 * rx-csum" or "none"); null without a bridge, like "tap". */
		char offs[E1K_TAP_OFFLOADS_STRLEN];
		struct e1k_tap_bridge_stats b;

		if (d->bridge)
			e1k_tap_bridge_get_stats(d->bridge, &b);
		jb_str(o, "offloads", d->bridge ? e1k_tap_offloads_str(b.offloads, offs,
		                                                       sizeof(offs)) : NULL);
	}
	jb_u64(o, "pid", (uint64_t)getpid());
	jb_u64(o, "uptime_ms", (e1k_now_ns() - d->start_ns) / 1000000u);
	{
		/* The control socket's own counters (issue 17): on the server
		 * thread, ctl_server_current() is the server serving us. */
		struct ctl_server_stats cs;

		ctl_server_get_stats(ctl_server_current(), &cs);
		jb_obj_begin(o, "ctl");
		jb_u64(o, "accepted", cs.accepted);
		jb_u64(o, "requests", cs.requests);
		jb_u64(o, "bad_requests", cs.bad_requests);
		jb_u64(o, "refused_busy", cs.refused_busy);
		jb_u64(o, "refused_uid", cs.refused_uid);
		jb_u64(o, "closed_idle", cs.closed_idle);
		jb_u64(o, "closed_lifetime", cs.closed_lifetime);
		jb_u64(o, "evicted_idle", cs.evicted_idle);
		jb_u64(o, "halt_slot_used", cs.halt_slot_used);
		jb_u64(o, "dropped_slow", cs.dropped_slow);
		jb_u64(o, "dropped_oversize", cs.dropped_oversize);
		jb_obj_end(o);
	}
	jb_obj_end(o);
}

/* The control server's log lines (refusals, EBUSY, closes; rate-limited there). */
static void ctl_log(void *ctx, bool warn, const char *msg)
{
	(void)ctx;
	e1k_log(warn ? E1K_LOG_WARN : E1K_LOG_INFO, "ctl: %s", msg);
}

static void stats_json(struct daemon *d, struct jbuf *o)
{
	struct e1k_stats s;

	e1k_adapter_get_stats(d->ad, &s);
	jb_obj_begin(o, NULL);
	jb_obj_begin(o, "tx");
#define U(k, v) jb_u64(o, k, s.v)
	U("packets", tx_packets); U("bytes", tx_bytes); U("completed", tx_completed);
	U("aborted", tx_aborted); U("busy", tx_busy); U("hangs", tx_hangs); U("in_flight", tx_in_flight);
	U("waits", tx_waits); U("wait_timeouts", tx_wait_timeouts);
	U("tso", tx_tso); U("csum", tx_csum); U("bad_offload", tx_bad_offload);
	U("zero_copy", tx_zero_copy); U("borrowed", tx_borrowed);
	jb_obj_end(o);
	jb_obj_begin(o, "rx");
	U("packets", rx_packets); U("bytes", rx_bytes); U("indicated", rx_indicated);
	U("returned", rx_returned); U("outstanding", rx_outstanding); U("no_binding", rx_no_binding);
	U("dropped_paused", rx_dropped_paused); U("bad_length", rx_bad_length);
	U("bad_status", rx_bad_status); U("bad_frag", rx_bad_frag); U("stalls", rx_stalls);
	U("csum_ok", rx_csum_ok); U("chained", rx_chained);
	jb_obj_end(o);
	jb_obj_begin(o, "irq");
	U("interrupts", interrupts); U("not_ours", isr_not_ours); U("dpc_runs", dpc_runs);
	U("link_changes", link_changes); U("watchdog_runs", watchdog_runs);
	U("itr_ns", itr_ns); U("itr_changes", itr_changes);
	jb_obj_end(o);
	jb_obj_begin(o, "pool");
	U("size", pool_size); U("free", pool_free); U("bad_puts", pool_bad_puts);
	jb_obj_end(o);
	jb_obj_begin(o, "device");
	U("gprc", dev_gprc); U("gptc", dev_gptc); U("gorc", dev_gorc); U("gotc", dev_gotc);
	U("mpc", dev_mpc); U("rnbc", dev_rnbc); U("crcerrs", dev_crcerrs); U("ruc", dev_ruc);
	U("roc", dev_roc); U("tpr", dev_tpr); U("tpt", dev_tpt); U("bprc", dev_bprc); U("mprc", dev_mprc);
	jb_obj_end(o);
#undef U
	if (d->bridge) {
		struct e1k_tap_bridge_stats b;

		e1k_tap_bridge_get_stats(d->bridge, &b);
		jb_obj_begin(o, "tap");
		jb_u64(o, "to_nic", b.to_nic);
		jb_u64(o, "to_nic_busy_drops", b.to_nic_busy_drops);
		jb_u64(o, "to_nic_bad", b.to_nic_bad);
		jb_u64(o, "to_nic_bad_hdr", b.to_nic_bad_hdr);
		jb_u64(o, "to_nic_unsupported", b.to_nic_unsupported);
		jb_u64(o, "to_nic_gso", b.to_nic_gso);
		jb_u64(o, "to_nic_csum", b.to_nic_csum);
		jb_u64(o, "to_host", b.to_host);
		jb_u64(o, "to_host_drops", b.to_host_drops);
		jb_u64(o, "to_host_writes", b.to_host_writes);
		jb_u64(o, "to_host_merged", b.to_host_merged);
		jb_u64(o, "to_host_sw_csum", b.to_host_sw_csum);
		jb_u64(o, "to_nic_zero_copy", b.to_nic_zero_copy);
		{
			char offs[E1K_TAP_OFFLOADS_STRLEN];

			jb_str(o, "offloads", e1k_tap_offloads_str(b.offloads, offs, sizeof(offs)));
		}
		jb_obj_end(o);
	}
	jb_obj_end(o);
}

/*
 * One handler per verb (ctl_verbs.h).  The dispatcher has already matched the
 * request to a form (v: verb, keyword, argument count) and, for a verb that is
 * not CTL_VERB_WHILE_HALTED, checked that the adapter is not halted.
 * Context: the control server thread.
 */
typedef int (*verb_fn)(struct daemon *d, const struct ctl_verb *v, const struct ctl_request *r,
                       struct jbuf *o, char *err, size_t errlen);

static int verb_halt(struct daemon *d, const struct ctl_verb *v, const struct ctl_request *r,
                     struct jbuf *o, char *err, size_t errlen)
{
	int reason = e1k_halt_reason_parse(r->argv[0]);

	(void)v;
	if (reason < 0) {
		snprintf(err, errlen, "unknown halt reason '%s'", r->argv[0]);
		return -EINVAL;
	}
	do_halt(d, (enum e1k_halt_reason)reason, "requested through the control socket");
	e1k_halt_report_json(&d->report, o);
	wake_main(d);
	return 0;
}

static int verb_status(struct daemon *d, const struct ctl_verb *v, const struct ctl_request *r,
                       struct jbuf *o, char *err, size_t errlen)
{
	(void)v, (void)r, (void)err, (void)errlen;
	status_json(d, o);
	return 0;
}

static int verb_stats(struct daemon *d, const struct ctl_verb *v, const struct ctl_request *r,
                      struct jbuf *o, char *err, size_t errlen)
{
	(void)v, (void)r, (void)err, (void)errlen;
	stats_json(d, o);
	return 0;
}

/* The state a successful request left the adapter in: not read back, since
 * a halt may already have moved it on (a pause racing a SIGTERM halt used to
 * answer OK with "Halted"). */
static void state_json(struct jbuf *o, enum e1k_state s)
{
	jb_obj_begin(o, NULL);
	jb_str(o, "state", e1k_state_name(s));
	jb_obj_end(o);
}

static int verb_pause_restart(struct daemon *d, const struct ctl_verb *v,
                              const struct ctl_request *r, struct jbuf *o, char *err,
                              size_t errlen)
{
	bool pause = v->id == CTL_VERB_PAUSE;
	int rc = pause ? e1k_adapter_pause(d->ad) : e1k_adapter_restart(d->ad);

	(void)r;
	if (rc < 0) {
		snprintf(err, errlen, "cannot %s in state %s: %s", pause ? "pause" : "restart",
		         e1k_state_name(e1k_adapter_state(d->ad)),
		         rc == -EALREADY ? "already there" : strerror(-rc));
		return rc;
	}
	state_json(o, pause ? E1K_STATE_PAUSED : E1K_STATE_RUNNING);
	return 0;
}

static int verb_shutdown(struct daemon *d, const struct ctl_verb *v, const struct ctl_request *r,
                         struct jbuf *o, char *err, size_t errlen)
{
	int rc = e1k_adapter_shutdown(d->ad);

	(void)v, (void)r;
	if (rc < 0) {
		snprintf(err, errlen, "cannot shut down in state %s: %s",
		         e1k_state_name(e1k_adapter_state(d->ad)),
		         rc == -EALREADY ? "already shut down" : strerror(-rc));
		return rc;
	}
	state_json(o, E1K_STATE_SHUTDOWN);
	return 0;
}

static void filter_list_json(struct daemon *d, struct jbuf *o)
{
	uint8_t macs[16][6], mac[6];
	int n = e1k_adapter_filter_list(d->ad, macs, 16);
	char ms[E1K_MAC_STRLEN];

	jb_obj_begin(o, NULL);
	e1k_adapter_get_mac(d->ad, mac);
	e1k_mac_format(mac, ms);
	jb_str(o, "station", ms);
	jb_arr_begin(o, "unicast");
	for (int i = 0; i < n && i < 16; i++) {
		e1k_mac_format(macs[i], ms);
		jb_str(o, NULL, ms);
	}
	jb_arr_end(o);
	jb_obj_end(o);
}

/* FILTER and MCAST: the same ADD/DEL MAC on the unicast or multicast table. */
static int verb_filter_mcast(struct daemon *d, const struct ctl_verb *v,
                             const struct ctl_request *r, struct jbuf *o, char *err,
                             size_t errlen)
{
	bool mc = v->id == CTL_VERB_MCAST, add = !strcmp(v->sub, "ADD");
	uint8_t mac[6];
	int rc;

	if (!strcmp(v->sub, "LIST")) {
		filter_list_json(d, o);
		return 0;
	}
	if (e1k_mac_parse(r->argv[1], mac) < 0) {
		snprintf(err, errlen, "bad MAC address '%s' (want xx:xx:xx:xx:xx:xx)", r->argv[1]);
		return -EINVAL;
	}
	if (add)
		rc = mc ? e1k_adapter_mcast_add(d->ad, mac) : e1k_adapter_filter_add(d->ad, mac);
	else
		rc = mc ? e1k_adapter_mcast_del(d->ad, mac) : e1k_adapter_filter_del(d->ad, mac);
	if (rc < 0) {
		snprintf(err, errlen, "%s %s %s: %s", r->verb, r->argv[0], r->argv[1],
		         rc == -EINVAL ? (mc ? "not a multicast address" : "not a unicast address") :
		         rc == -ENOSPC ? "table full" : rc == -EEXIST ? "already present" :
		         rc == -ENOENT ? "not present" : strerror(-rc));
		return rc;
	}
	jb_obj_begin(o, NULL);
	jb_str(o, "result", "ok");
	jb_obj_end(o);
	return 0;
}

static int verb_promisc(struct daemon *d, const struct ctl_verb *v, const struct ctl_request *r,
                        struct jbuf *o, char *err, size_t errlen)
{
	bool on = ctl_arg_is(r, 0, "ON");
	int rc;

	(void)v;
	if (!on && !ctl_arg_is(r, 0, "OFF")) {
		snprintf(err, errlen, "usage: PROMISC ON|OFF");
		return -EINVAL;
	}
	rc = e1k_adapter_set_promisc(d->ad, on);
	if (rc < 0) {
		snprintf(err, errlen, "promiscuous mode: %s", strerror(-rc));
		return rc;
	}
	jb_obj_begin(o, NULL);
	jb_bool(o, "promiscuous", on);
	jb_obj_end(o);
	return 0;
}

static int verb_mtu(struct daemon *d, const struct ctl_verb *v, const struct ctl_request *r,
                    struct jbuf *o, char *err, size_t errlen)
{
	unsigned mtu, old, max = e1k_adapter_max_mtu(d->ad);
	int rc;

	(void)v;
	/* Strict (hal/num.h): "4294967364" and "-4294967228" once wrapped to 68
	 * through (unsigned)strtoul, and "+1500" passed. */
	rc = e1k_num_parse_uint(r->argv[0], E1K_MTU_MIN, max, &mtu);
	if (rc == -ERANGE) {
		snprintf(err, errlen, "MTU must be %u..%u for this device (got '%s')", E1K_MTU_MIN, max,
		         r->argv[0]);
		return -EINVAL;
	}
	if (rc < 0) {
		snprintf(err, errlen, "MTU must be a decimal number %u..%u, digits only (got '%s')",
		         E1K_MTU_MIN, max, r->argv[0]);
		return -EINVAL;
	}
	old = (unsigned)e1k_adapter_get_mtu(d->ad);
	rc = e1k_adapter_set_mtu(d->ad, mtu);
	if (rc < 0) {
		snprintf(err, errlen, "cannot set the MTU in state %s: %s",
		         e1k_state_name(e1k_adapter_state(d->ad)),
		         rc == -EPERM ? "not while halting, halted or initializing" :
		         rc == -ENODEV ? "the device is gone" : strerror(-rc));
		return rc;
	}
	/* The TAP follows, or neither changes: a TAP with a larger MTU than the
	 * NIC's would hand e1kd frames it must refuse. */
	if (d->bridge && (rc = e1k_tap_bridge_set_mtu(d->bridge, mtu, err, errlen)) < 0) {
		(void)e1k_adapter_set_mtu(d->ad, old);
		return rc;
	}
	jb_obj_begin(o, NULL);
	jb_u64(o, "mtu", mtu);
	jb_obj_end(o);
	return 0;
}

/* CTL_VERB_NEEDS_DEVICE: runs under the halt lock (a halt closes the device). */
static int verb_fault(struct daemon *d, const struct ctl_verb *v, const struct ctl_request *r,
                      struct jbuf *o, char *err, size_t errlen)
{
	struct hal_dev *hw;
	enum sim_fault f;
	bool on = true;
	int rc = 0;

	(void)v;
	if (sim_fault_parse(r->argv[0], &f) < 0 ||
	    (r->argc == 2 && !ctl_arg_is(r, 1, "ON") && !ctl_arg_is(r, 1, "OFF"))) {
		snprintf(err, errlen, "usage: FAULT surprise-remove|remove-request|hang|storm|link-down|"
		         "corrupt-wb|hostile|stuck-filters|stuck-bit|bad-eeprom|lost-irq|"
		         "corrupt-loopback [ON|OFF]");
		return -EINVAL;
	}
	if (r->argc == 2)
		on = ctl_arg_is(r, 1, "ON");
	hw = d->halted ? NULL : e1k_adapter_hal(d->ad);
	if (!hw) {
		snprintf(err, errlen, "the driver is halted: no device to inject a fault into");
		rc = -ENODEV;
	} else if (hal_is_vfio(hw)) {
		/* The real path: memory decoding off in the command register,
		 * so the next BAR access faults (SIGBUS, then all ones). */
		if (f != SIM_FAULT_SURPRISE_REMOVE || !on) {
			snprintf(err, errlen, "on a VFIO device only 'fault surprise-remove' can be injected");
			rc = -ENOTSUP;
		} else if ((rc = hal_vfio_fault_disable_memory(hw)) < 0) {
			snprintf(err, errlen, "fault surprise-remove: %s", strerror(-rc));
		}
	} else if (!sim_is_sim(hw)) {
		snprintf(err, errlen, "fault injection needs a sim or VFIO device (this is %s)", d->device);
		rc = -ENOTSUP;
	} else if ((rc = sim_fault(hw, f, on)) < 0) {
		snprintf(err, errlen, "fault %s: %s", r->argv[0], strerror(-rc));
	}
	if (rc < 0)
		return rc;
	jb_obj_begin(o, NULL);
	jb_str(o, "fault", sim_fault_name(f));
	jb_bool(o, "on", on);
	jb_obj_end(o);
	return 0;
}

/* Why a dump or self-test could not run. */
static int device_error(struct daemon *d, int rc, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: %s", what,
	         rc == -EPERM ? "not while the adapter is initializing, halting or halted (state "
	                        "is not Running or Paused)" :
	         rc == -ENODEV ? "the device is gone" : strerror(-rc));
	(void)d;
	return rc;
}

static void regs_json(struct daemon *d, const struct e1k_diag_reg *regs, unsigned n,
                      struct jbuf *o)
{
	enum e1k_mac_type mac = e1k_adapter_hal(d->ad)->mac;

	jb_obj_begin(o, NULL);
	jb_str(o, "device", d->device);
	jb_arr_begin(o, "registers");
	for (unsigned i = 0; i < n; i++) {
		char bits[E1K_DIAG_BITS_LEN], hex[16];

		e1k_diag_decode(mac, regs[i].off, regs[i].value, bits, sizeof(bits));
		snprintf(hex, sizeof(hex), "0x%08x", (unsigned)regs[i].value);
		jb_obj_begin(o, NULL);
		jb_str(o, "name", regs[i].name);
		jb_u64(o, "offset", regs[i].off);
		jb_u64(o, "value", regs[i].value);
		jb_str(o, "hex", hex);
		jb_str(o, "bits", bits);
		jb_obj_end(o);
	}
	jb_arr_end(o);
	jb_str(o, "omitted", e1k_diag_omitted);
	jb_obj_end(o);
}

static void eeprom_json(struct daemon *d, const uint16_t *w, struct jbuf *o)
{
	uint16_t sum = e1k_diag_eeprom_sum(w);

	jb_obj_begin(o, NULL);
	jb_str(o, "device", d->device);
	jb_arr_begin(o, "words");
	for (unsigned i = 0; i < E1000_EEPROM_WORDS; i++)
		jb_u64(o, NULL, w[i]);
	jb_arr_end(o);
	jb_u64(o, "checksum_word", w[E1000_EEPROM_CHECKSUM_WORD]);
	jb_u64(o, "sum", sum);
	jb_u64(o, "expected", E1000_EEPROM_SUM);
	jb_bool(o, "valid", sum == E1000_EEPROM_SUM);
	jb_obj_end(o);
}

/* CTL_VERB_NEEDS_DEVICE: runs under the halt lock (a halt closes the device). */
static int verb_dump(struct daemon *d, const struct ctl_verb *v, const struct ctl_request *r,
                     struct jbuf *o, char *err, size_t errlen)
{
	(void)r;
	if (d->halted)
		return device_error(d, -EPERM, "dump", err, errlen);
	if (!strcmp(v->sub, "REGS")) {
		struct e1k_diag_reg regs[E1K_DIAG_MAX_REGS];
		unsigned n;
		int rc = e1k_adapter_dump_regs(d->ad, regs, E1K_DIAG_MAX_REGS, &n);

		if (rc < 0)
			return device_error(d, rc, "dump regs", err, errlen);
		regs_json(d, regs, n, o);
	} else {
		uint16_t w[E1000_EEPROM_WORDS];
		int rc = e1k_adapter_dump_eeprom(d->ad, w);

		if (rc < 0)
			return device_error(d, rc, "dump eeprom", err, errlen);
		eeprom_json(d, w, o);
	}
	return 0;
}

/* CTL_VERB_NEEDS_DEVICE: a halt waits for the test (bounded: selftest.h). */
static int verb_selftest(struct daemon *d, const struct ctl_verb *v, const struct ctl_request *r,
                         struct jbuf *o, char *err, size_t errlen)
{
	struct e1k_selftest_report rep;
	bool offline = r->argc == 1;
	int rc;

	(void)v;
	if (offline && !ctl_arg_is(r, 0, "OFFLINE")) {
		snprintf(err, errlen, "usage: SELFTEST [OFFLINE]");
		return -EINVAL;
	}
	if (d->halted)
		return device_error(d, -EPERM, "selftest", err, errlen);
	rc = e1k_adapter_selftest(d->ad, offline, &rep);
	if (rc < 0)
		return device_error(d, rc, "selftest", err, errlen);
	if (rep.failed)
		e1k_log(E1K_LOG_WARN, "selftest (%s): %u test(s) failed", offline ? "offline" : "online",
		        rep.failed);
	jb_obj_begin(o, NULL);
	jb_str(o, "mode", offline ? "offline" : "online");
	jb_bool(o, "passed", rep.failed == 0);
	jb_u64(o, "failed", rep.failed);
	jb_str(o, "state", e1k_state_name(rep.state_after));
	jb_arr_begin(o, "tests");
	for (int i = 0; i < E1K_SELFTEST_COUNT; i++) {
		jb_obj_begin(o, NULL);
		jb_str(o, "name", e1k_selftest_name((enum e1k_selftest_id)i));
		jb_str(o, "result", e1k_selftest_result_name(rep.t[i].result));
		jb_u64(o, "us", rep.t[i].ns / 1000u);
		jb_str(o, "detail", rep.t[i].detail);
		jb_obj_end(o);
	}
	jb_arr_end(o);
	jb_obj_end(o);
	return 0;
}

/* Arms the capture and answers; the connection then carries its records
 * (capture_proto.h) from the capture thread (capture_srv.h). */
static int verb_capture(struct daemon *d, const struct ctl_verb *v, const struct ctl_request *r,
                        struct jbuf *o, char *err, size_t errlen)
{
	unsigned dirs, snaplen;
	uint64_t count;
	int rc;

	(void)v;
	if (ctl_arg_is(r, 0, "RX"))
		dirs = E1K_CAPTURE_RX;
	else if (ctl_arg_is(r, 0, "TX"))
		dirs = E1K_CAPTURE_TX;
	else if (ctl_arg_is(r, 0, "BOTH"))
		dirs = E1K_CAPTURE_BOTH;
	else
		dirs = 0;
	if (!dirs || e1k_num_parse(r->argv[1], 0, UINT32_MAX, &count) < 0 ||
	    e1k_num_parse_uint(r->argv[2], 1, E1K_CAPTURE_SNAPLEN_MAX, &snaplen) < 0) {
		snprintf(err, errlen, "usage: CAPTURE RX|TX|BOTH COUNT SNAPLEN (COUNT 0..%u, 0: "
		         "until stopped; SNAPLEN 1..%u)", UINT32_MAX, E1K_CAPTURE_SNAPLEN_MAX);
		return -EINVAL;
	}
	rc = capture_srv_start(&d->capture, dirs, snaplen, count);
	if (rc == -EBUSY) {
		snprintf(err, errlen, "a capture is already running (one at a time)");
		return rc;
	}
	if (rc == -ESHUTDOWN) {
		snprintf(err, errlen, "the adapter is halted and e1kd is exiting");
		return rc;
	}
	if (rc < 0) {
		snprintf(err, errlen, "cannot start a capture: %s", strerror(-rc));
		return rc;
	}
	if (ctl_server_handoff(capture_srv_handoff, &d->capture) < 0) {
		capture_srv_handoff(&d->capture, -1);
		snprintf(err, errlen, "internal error: the connection cannot be handed over");
		return -EPROTO;
	}
	jb_obj_begin(o, NULL);
	jb_str(o, "direction", dirs == E1K_CAPTURE_BOTH ? "both" : dirs == E1K_CAPTURE_RX ? "rx" : "tx");
	jb_u64(o, "count", count);
	jb_u64(o, "snaplen", snaplen);
	jb_u64(o, "ring_bytes", CAPTURE_SRV_RING_BYTES);
	jb_obj_end(o);
	return 0;
}

static const struct {
	enum ctl_verb_id id;
	verb_fn fn;
} verb_handlers[] = {
	{ CTL_VERB_STATUS, verb_status },
	{ CTL_VERB_STATS, verb_stats },
	{ CTL_VERB_PAUSE, verb_pause_restart },
	{ CTL_VERB_RESTART, verb_pause_restart },
	{ CTL_VERB_SHUTDOWN, verb_shutdown },
	{ CTL_VERB_HALT, verb_halt },
	{ CTL_VERB_FILTER, verb_filter_mcast },
	{ CTL_VERB_MCAST, verb_filter_mcast },
	{ CTL_VERB_PROMISC, verb_promisc },
	{ CTL_VERB_MTU, verb_mtu },
	{ CTL_VERB_FAULT, verb_fault },
	{ CTL_VERB_DUMP, verb_dump },
	{ CTL_VERB_SELFTEST, verb_selftest },
	{ CTL_VERB_CAPTURE, verb_capture },
};

static verb_fn verb_handler(enum ctl_verb_id id)
{
	for (size_t i = 0; i < sizeof(verb_handlers) / sizeof(verb_handlers[0]); i++)
		if (verb_handlers[i].id == id)
			return verb_handlers[i].fn;
	return NULL;
}

static int ctl_handler(void *ctx, const struct ctl_request *r, struct jbuf *o,
                       char *err, size_t errlen)
{
	struct daemon *d = ctx;
	const struct ctl_verb *v = ctl_verb_by_wire(r->verb);
	verb_fn fn;
	int rc;

	/* Once halted only a halt is answered (with the report), even an
	 * unknown verb gets ESHUTDOWN: e1kd is exiting. */
	if (!v || !(v->flags & CTL_VERB_WHILE_HALTED)) {
		pthread_mutex_lock(&d->halt_lock);
		rc = d->halted ? -ESHUTDOWN : 0;
		pthread_mutex_unlock(&d->halt_lock);
		if (rc < 0) {
			snprintf(err, errlen, "the adapter is halted and e1kd is exiting (a halt "
			         "request still gets the halt's report)");
			return rc;
		}
	}
	if (!v) {
		snprintf(err, errlen, "unknown request '%s'", r->verb);
		return -EINVAL;
	}
	fn = verb_handler(v->id);
	if (!fn) {
		/* A verb in ctl_verbs.c that e1kd does not implement (cli_verbs catches it). */
		snprintf(err, errlen, "e1kd does not implement '%s'", v->wire);
		return -ENOSYS;
	}
	v = ctl_verb_match(r);
	if (!v) {
		char usage[256];

		ctl_verb_usage(ctl_verb_by_wire(r->verb)->id, false, usage, sizeof(usage));
		snprintf(err, errlen, "usage: %s", usage);
		return -EINVAL;
	}
	if (!(v->flags & CTL_VERB_NEEDS_DEVICE))
		return fn(d, v, r, o, err, errlen);
	pthread_mutex_lock(&d->halt_lock);
	rc = fn(d, v, r, o, err, errlen);
	pthread_mutex_unlock(&d->halt_lock);
	return rc;
}

/* ---- main ---- */

static int open_device(struct daemon *d, char *err, size_t errlen)
{
	if (strncasecmp(d->device, "sim:", 4) == 0) {
		struct sim_config sc = { .fail_irq_set_index = HAL_IRQ_NINDEX };
		const char *w = d->sim_wire ? d->sim_wire : "none";
		int rc;

		if (sim_model_parse(d->device + 4, &sc.model) < 0) {
			snprintf(err, errlen, "unknown sim model '%s' (sim:82540em or sim:82574l)", d->device + 4);
			return -EINVAL;
		}
		if (strcmp(w, "none") == 0) {
			sc.wire = SIM_WIRE_NONE;
		} else if (strcmp(w, "loopback") == 0) {
			sc.wire = SIM_WIRE_LOOPBACK;
		} else if (strncmp(w, "tap:", 4) == 0 && w[4]) {
			sc.wire = SIM_WIRE_TAP;
			sc.tap_name = w + 4;
		} else {
			snprintf(err, errlen, "--sim-wire must be loopback, none or tap:NAME (got '%s')", w);
			return -EINVAL;
		}
		rc = sim_open(&sc, &d->hw);
		if (rc < 0)
			snprintf(err, errlen, "cannot start the device model: %s", strerror(-rc));
		return rc;
	}
	if (d->sim_wire) {
		snprintf(err, errlen, "--sim-wire applies to sim devices only");
		return -EINVAL;
	}
	{
		struct hal_vfio_opts o = { .prefer_noiommu = d->noiommu };
		char bdf[HAL_VFIO_BDF_LEN];

		if (hal_vfio_parse_bdf(d->device, bdf) < 0) {
			snprintf(err, errlen, "'%s' is neither a PCI address (DDDD:BB:DD.F or BB:DD.F) nor sim:MODEL",
			         d->device);
			return -EINVAL;
		}
		return hal_vfio_open(bdf, &o, &d->hw, err, errlen);
	}
}

/* Through safe_path_write(): e1kd is root and PATH may sit in a directory
 * another user can write; a symlink there is refused, never followed. */
static int write_report(struct daemon *d)
{
	struct jbuf b;
	char err[512];
	int rc;

	if (!d->report_path)
		return 0;
	jb_init(&b);
	e1k_halt_report_json(&d->report, &b);
	rc = jb_finish(&b);
	if (rc == 0) {
		jb_append(&b, "\n", 1);
		rc = b.err;
	}
	if (rc < 0)
		e1k_log(E1K_LOG_ERROR, "cannot write the report to %s: %s", d->report_path,
		        strerror(-rc));
	else if ((rc = safe_path_write(d->report_path, b.data, b.len, err, sizeof(err))) < 0)
		e1k_log(E1K_LOG_ERROR, "cannot write the report: %s", err);
	jb_free(&b);
	return rc < 0 ? -EIO : 0;
}

int main(int argc, char **argv)
{
	struct daemon d = { .trigger_efd = -1, .notify = { .fd = -1 } };
	struct e1kd_args args;
	char err[512], *arg_err;
	size_t arg_errlen = 160;
	struct e1k_owner_ops owner = { .halt_needed = halt_needed, .ctx = &d };
	sigset_t sigs;
	int sfd = -1, rc, exit_code = 1;
	bool startup_failed = false;

	/* Room for the longest argument: a usage message quotes one whole. */
	for (int i = 1; i < argc; i++)
		if (strlen(argv[i]) + 160 > arg_errlen)
			arg_errlen = strlen(argv[i]) + 160;
	arg_err = malloc(arg_errlen);
	if (!arg_err) {
		fprintf(stderr, "e1kd: out of memory\n");
		return 1;
	}
	rc = e1kd_parse_args(argc, argv, &args, arg_err, arg_errlen);
	if (rc < 0) {
		fprintf(stderr, "e1kd: %s\n", arg_err);
		free(arg_err);
		return 2;
	}
	free(arg_err);
	if (args.action == E1KD_ACTION_HELP) {
		usage(stdout);
		return 0;
	}
	if (args.action == E1KD_ACTION_VERSION) {
		printf("e1kd %s\n", E1KD_VERSION);
		return 0;
	}
	d.device = args.device;
	d.tap = args.tap;
	d.sim_wire = args.sim_wire;
	d.ctl_path = args.ctl_path;
	d.report_path = args.report_path;
	d.noiommu = args.noiommu;
	d.rt_prio = args.rt_prio;
	d.cfg = args.cfg;
	e1k_log_set_level(args.log_level);
	/* Refused before anything starts, with the reason; applied to the
	 * adapter's threads once they exist (after initialize). */
	if (d.rt_prio && rt_sched_check(d.rt_prio, err, sizeof(err)) < 0) {
		fprintf(stderr, "e1kd: --rt-prio %u: %s\n", d.rt_prio, err);
		return 1;
	}
	/* Before any thread: it reads and unsets the environment. */
	if (sd_notifier_open(&d.notify, err, sizeof(err)) < 0)
		e1k_log(E1K_LOG_WARN, "%s; not notifying the service manager", err);
	/* Checked now so a path another user could redirect is refused before
	 * the device is touched; write_report() checks again at the end. */
	if (d.report_path && safe_path_check_target(d.report_path, err, sizeof(err)) < 0) {
		fprintf(stderr, "e1kd: --report: %s\n", err);
		return 1;
	}

	/* The halting signals go to the main thread only, through a signalfd.
	 * No other thread exists yet: every thread e1kd starts (device model,
	 * adapter, control server, TAP bridge) inherits this mask, so a
	 * process-directed signal always stays pending for the signalfd
	 * (robust_signal_* check every thread's SigBlk). */
	halt_sigset(&sigs);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	d.trigger_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (sfd < 0 || d.trigger_efd < 0) {
		fprintf(stderr, "e1kd: signalfd/eventfd: %s\n", strerror(errno));
		goto out;
	}
	pthread_mutex_init(&d.trigger_lock, NULL);
	pthread_mutex_init(&d.halt_lock, NULL);
	if (capture_srv_init(&d.capture, NULL) < 0) {
		fprintf(stderr, "e1kd: eventfd: %s\n", strerror(errno));
		goto out;
	}
	e1k_rcu_thread_online();
	d.start_ns = e1k_now_ns();

	/* Before the device is opened, so a backend's own SIGBUS handler (VFIO
	 * BAR faults on removal) chains to this one for other faults. */
	install_fatal_handlers();
	rc = open_device(&d, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "e1kd: %s\n", err);
		exit_code = rc == -EINVAL ? 2 : 1;
		goto out_rcu;
	}
	rc = e1k_adapter_initialize(d.hw, &d.cfg, &owner, &d.ad, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "e1kd: %s: %s\n", d.device, err);
		hal_close(d.hw);
		goto out_rcu;
	}
	/* From here every exit path goes through the halt. */
	fatal_adapter = d.ad;
	d.capture.ad = d.ad;
	if (d.rt_prio) {
		/* The adapter's own threads, by the names irq/ gives them. */
		static const char *const rt_threads[] = { "e1k-irq", "e1k-dpc", NULL };
		unsigned want = 1 + d.cfg.dpc_workers;

		rc = rt_sched_apply(d.rt_prio, rt_threads, err, sizeof(err));
		if (rc >= 0 && (unsigned)rc != want)
			snprintf(err, sizeof(err), "found %d interrupt and DPC threads, expected %u",
			         rc, want);
		if (rc < 0 || (unsigned)rc != want) {
			fprintf(stderr, "e1kd: --rt-prio %u: %s\n", d.rt_prio, err);
			startup_failed = true;
			do_halt(&d, E1K_HALT_INITIALIZATION_FAILED, "--rt-prio could not be applied");
			goto out_halted;
		}
		e1k_log(E1K_LOG_INFO, "SCHED_FIFO priority %u: the interrupt thread and %u DPC workers",
		        d.rt_prio, d.cfg.dpc_workers);
	}
	if (d.tap) {
		rc = e1k_tap_bridge_start(d.ad, d.tap, &d.bridge, err, sizeof(err));
		if (rc < 0) {
			fprintf(stderr, "e1kd: --tap %s: %s\n", d.tap, err);
			startup_failed = true;
			do_halt(&d, E1K_HALT_INITIALIZATION_FAILED, "TAP bridge could not start");
			goto out_halted;
		}
	}
	rc = e1k_adapter_restart(d.ad);
	if (rc < 0) {
		fprintf(stderr, "e1kd: cannot start the adapter: %s\n", strerror(-rc));
		startup_failed = true;
		do_halt(&d, E1K_HALT_INITIALIZATION_FAILED, "restart after initialize failed");
		goto out_halted;
	}
	rc = ctl_server_create_opts(d.ctl_path, ctl_handler, &d, &e1k_rcu_hooks,
	                            &(struct ctl_server_opts){ .log = ctl_log }, &d.ctl,
	                            err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "e1kd: control socket %s: %s\n", d.ctl_path, err);
		startup_failed = true;
		do_halt(&d, E1K_HALT_INITIALIZATION_FAILED, "control socket could not be created");
		goto out_halted;
	}
	e1k_log(E1K_LOG_INFO, "%s running; control socket %s%s%s", d.device, d.ctl_path,
	        d.bridge ? "; tap " : "", d.bridge ? e1k_tap_bridge_name(d.bridge) : "");
	/* Ready means Running with the control socket listening (so a unit's
	 * ExecStop can halt); a halt that already began (a fault) is left to
	 * the loop, which reports STOPPING instead. */
	if (e1k_adapter_state(d.ad) == E1K_STATE_RUNNING) {
		char msg[512];

		snprintf(msg, sizeof(msg), "READY=1\nSTATUS=running: %s, control socket %s%s%s",
		         d.device, d.ctl_path, d.bridge ? ", tap " : "",
		         d.bridge ? e1k_tap_bridge_name(d.bridge) : "");
		notify(&d, msg);
	}

	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = sfd, .events = POLLIN },
			{ .fd = d.trigger_efd, .events = POLLIN },
		};
		bool halted;

		if (poll(pfd, 2, -1) < 0 && errno != EINTR) {
			e1k_log(E1K_LOG_ERROR, "poll: %s", strerror(errno));
			do_halt(&d, E1K_HALT_FAILED, "main loop failed");
			break;
		}
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				char why[64];

				snprintf(why, sizeof(why), "signal %s", strsignal((int)si.ssi_signo));
				do_halt(&d, E1K_HALT_STOPPED, why);
				break;
			}
		}
		if (pfd[1].revents & POLLIN) {
			uint64_t v;
			int r;

			if (read(d.trigger_efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
				e1k_log(E1K_LOG_ERROR, "eventfd read: %s", strerror(errno));
			r = atomic_load(&d.trigger_reason);
			if (r > 0) {
				char why[128];

				pthread_mutex_lock(&d.trigger_lock);
				snprintf(why, sizeof(why), "%s", d.trigger_why);
				pthread_mutex_unlock(&d.trigger_lock);
				do_halt(&d, (enum e1k_halt_reason)(r - 1), why);
				break;
			}
			pthread_mutex_lock(&d.halt_lock);
			halted = d.halted;
			pthread_mutex_unlock(&d.halt_lock);
			if (halted)
				break;   /* halted through the control socket */
		}
	}

out_halted:
	/* The control server stays up until here so `e1kctl halt` gets its
	 * report; its pending response gets a last write on stop. */
	ctl_server_destroy(d.ctl);
	d.ctl = NULL;
	exit_code = d.halt_rc == 0 && d.halted && !startup_failed ? 0 : 1;
	if (write_report(&d) < 0)
		exit_code = 1;
	if (d.report.final_state == E1K_STATE_HALTED) {
		struct jbuf b;

		jb_init(&b);
		e1k_halt_report_json(&d.report, &b);
		if (e1k_log_get_level() >= E1K_LOG_DEBUG && jb_finish(&b) == 0)
			e1k_log(E1K_LOG_DEBUG, "report: %.*s", (int)b.len, b.data);
		jb_free(&b);
	}
	e1k_adapter_destroy(d.ad);
	e1k_tap_bridge_free(d.bridge);
out_rcu:
	e1k_rcu_thread_offline();
out:
	sd_notifier_close(&d.notify);
	if (sfd >= 0)
		close(sfd);
	if (d.trigger_efd >= 0)
		close(d.trigger_efd);
	capture_srv_destroy(&d.capture);
	return exit_code;
}
