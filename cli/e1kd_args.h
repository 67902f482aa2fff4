/* SPDX-License-Identifier: MIT */
/*
 * e1kd_args.h - e1kd's command line: options -> configuration, no side effects.
 *
 * Lifecycle:  e1kd_parse_args() once, before e1kd starts anything; the
 *             result's strings point into argv (or the environment) and live
 *             as long as they do.
 *
 * Split out of e1kd.c so the command line can be tested and fuzzed without
 * starting a daemon: it prints nothing, opens nothing and never exits; e1kd
 * prints "e1kd: <err>" and exits 2 on a usage error.
 *
 * Threading: uses getopt_long(), whose state (optind, optarg, optopt, opterr)
 * is process-global: call it from one thread at a time (e1kd: the main
 * thread, before any other exists).  Each call restarts getopt (optind = 0),
 * so it may be called any number of times in one process.
 * Context: control.  Locks: none.  May block: no.
 */
#ifndef E1K_E1KD_ARGS_H
#define E1K_E1KD_ARGS_H

#include <stdbool.h>
#include <stddef.h>

#include "adapter.h"
#include "log.h"

#define E1KD_DEFAULT_CTL "/run/e1kd/e1kd.sock"

enum e1kd_action {
	E1KD_ACTION_RUN,       /* start the driver with the fields below */
	E1KD_ACTION_HELP,      /* -h/--help came first: print the usage, exit 0 */
	E1KD_ACTION_VERSION,   /* -V/--version came first: print the version, exit 0 */
};

struct e1kd_args {
	enum e1kd_action action;
	const char *device;        /* --device as given (RUN: never NULL) */
	const char *tap;           /* --tap, a valid interface name, or NULL */
	const char *sim_wire;      /* --sim-wire as given (checked when the device opens), or NULL */
	const char *ctl_path;      /* --ctl, else $E1KD_CTL, else E1KD_DEFAULT_CTL */
	const char *report_path;   /* --report, or NULL */
	bool noiommu;              /* --noiommu: accept a vfio no-IOMMU group */
	unsigned rt_prio;          /* --rt-prio: SCHED_FIFO priority 1..99 for the irq
	                            * thread and DPC workers; 0: not asked (SCHED_OTHER) */
	struct e1k_config cfg;     /* defaults + options; pool size derived; validated (RUN) */
	enum e1k_log_level log_level;  /* --log-level, default info */
};

/*
 * Parse argv[1..argc) (getopt_long permutes argv's pointers, never the
 * strings).  Options are handled in order, so --help or --version returns at
 * once, before later options are looked at (as before the split).
 *
 * Returns 0 with out->action set, or -EINVAL for a usage error with err
 * holding the message e1kd prints after "e1kd: " (no trailing newline; may
 * span two lines, the second being "Try 'e1kd --help'.").  A message quotes at
 * most one argument: err needs about 160 bytes plus the longest argument to
 * never truncate.  out is always fully initialised: the defaults, then what
 * the options before an error set.
 */
int e1kd_parse_args(int argc, char **argv, struct e1kd_args *out, char *err, size_t errlen);

#endif /* E1K_E1KD_ARGS_H */
