/* SPDX-License-Identifier: MIT */
/*
 * e1kd_args.c - e1kd's option parsing (moved out of e1kd.c; since issue 17
 * numbers are strict: digits only, the whole range checked).
 */
#include "e1kd_args.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "num.h"
#include "rt_sched.h"
#include "tapdev.h"

/* Strict (hal/num.h): "+4", " 4", "4 " and wrap-arounds such as
 * "4294967298" are refused, not read as 4 or 2. */
static int parse_uint(const char *opt, const char *s, unsigned lo, unsigned hi, unsigned *out,
                      char *err, size_t errlen)
{
	int rc = e1k_num_parse_uint(s, lo, hi, out);

	if (rc == -ERANGE)
		snprintf(err, errlen, "%s must be a number in %u..%u (got '%s')", opt, lo, hi, s);
	else if (rc < 0)
		snprintf(err, errlen, "%s must be a number in %u..%u, digits only: no sign, space "
		         "or prefix (got '%s')", opt, lo, hi, s);
	return rc < 0 ? -EINVAL : 0;
}

/* "all", "none", or names from the list below separated by commas (each
 * once, none empty): the offloads the adapter may use. */
static int parse_offloads(const char *s, unsigned *out)
{
	static const struct { const char *name; unsigned bit; } names[] = {
		{ "csum", E1K_OFFLOAD_TX_CSUM }, { "tso4", E1K_OFFLOAD_TSO4 },
		{ "tso6", E1K_OFFLOAD_TSO6 }, { "rx-csum", E1K_OFFLOAD_RX_CSUM },
	};
	unsigned v = 0;

	if (strcmp(s, "all") == 0) {
		*out = ~0u;
		return 0;
	}
	if (strcmp(s, "none") == 0) {
		*out = 0;
		return 0;
	}
	for (;;) {
		size_t n = strcspn(s, ",");
		unsigned bit = 0;

		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strlen(names[i].name) == n && strncmp(s, names[i].name, n) == 0)
				bit = names[i].bit;
		if (!bit || (v & bit))
			return -EINVAL;
		v |= bit;
		if (s[n] == '\0')
			break;
		s += n + 1;
	}
	*out = v;
	return 0;
}

int e1kd_parse_args(int argc, char **argv, struct e1kd_args *out, char *err, size_t errlen)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "tap", required_argument, NULL, 't' },
		{ "sim-wire", required_argument, NULL, 'w' },
		{ "ctl", required_argument, NULL, 'c' },
		{ "dpc-workers", required_argument, NULL, 'p' },
		{ "irq-mode", required_argument, NULL, 'i' },
		{ "tx-ring", required_argument, NULL, 'T' },
		{ "rx-ring", required_argument, NULL, 'R' },
		{ "itr-ns", required_argument, NULL, 'I' },
		{ "itr-max-ns", required_argument, NULL, 'M' },
		{ "report", required_argument, NULL, 'r' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "halt-when-unbound", no_argument, NULL, 'u' },
		{ "noiommu", no_argument, NULL, 'n' },
		{ "rt-prio", required_argument, NULL, 'P' },
		{ "offloads", required_argument, NULL, 'O' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0, 0, 0, 0 },
	};
	struct e1k_config *cfg = &out->cfg;
	int c;

	memset(out, 0, sizeof(*out));
	out->action = E1KD_ACTION_RUN;
	out->log_level = E1K_LOG_INFO;
	e1k_config_defaults(cfg);
	out->ctl_path = getenv("E1KD_CTL") ? getenv("E1KD_CTL") : E1KD_DEFAULT_CTL;
	if (errlen)
		err[0] = '\0';

	/* getopt keeps its position in globals: optind = 0 makes glibc start
	 * over (a fresh process starts the same way), so repeated calls --
	 * tests, the fuzzer -- each see a whole command line. */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
		switch (c) {
		case 'd': out->device = optarg; break;
		case 't': out->tap = optarg; break;
		case 'w': out->sim_wire = optarg; break;
		case 'c': out->ctl_path = optarg; break;
		case 'r': out->report_path = optarg; break;
		case 'u': cfg->halt_when_unbound = true; break;
		case 'n': out->noiommu = true; break;
		case 'p':
			if (parse_uint("--dpc-workers", optarg, 1, 64, &cfg->dpc_workers, err, errlen) < 0)
				return -EINVAL;
			break;
		case 'T':
			if (parse_uint("--tx-ring", optarg, 0, 1u << 20, &cfg->tx_ring_size, err, errlen) < 0)
				return -EINVAL;
			break;
		case 'R':
			if (parse_uint("--rx-ring", optarg, 0, 1u << 20, &cfg->rx_ring_size, err, errlen) < 0)
				return -EINVAL;
			break;
		case 'P':
			/* Whether the kernel allows it is e1kd's check (rt_sched.h):
			 * parsing has no side effects. */
			if (parse_uint("--rt-prio", optarg, RT_SCHED_PRIO_MIN, RT_SCHED_PRIO_MAX,
			               &out->rt_prio, err, errlen) < 0)
				return -EINVAL;
			break;
		case 'O':
			if (parse_offloads(optarg, &cfg->offloads) < 0) {
				snprintf(err, errlen, "--offloads must be all, none or a comma-separated list of "
				         "csum, tso4, tso6, rx-csum (got '%s')", optarg);
				return -EINVAL;
			}
			break;
		case 'I':
			if (parse_uint("--itr-ns", optarg, 0, 65535u * 256u, &cfg->itr_ns, err, errlen) < 0)
				return -EINVAL;
			break;
		case 'M':
			if (parse_uint("--itr-max-ns", optarg, 0, 65535u * 256u, &cfg->itr_max_ns, err, errlen) < 0)
				return -EINVAL;
			break;
		case 'i':
			if (e1k_irq_mode_parse(optarg, &cfg->irq_mode) < 0) {
				snprintf(err, errlen, "--irq-mode must be auto, intx, msi or msix (got '%s')", optarg);
				return -EINVAL;
			}
			break;
		case 'l':
			if (e1k_log_level_parse(optarg, &out->log_level) < 0) {
				snprintf(err, errlen, "--log-level must be error, warn, info or debug (got '%s')", optarg);
				return -EINVAL;
			}
			break;
		case 'h':
			out->action = E1KD_ACTION_HELP;
			return 0;
		case 'V':
			out->action = E1KD_ACTION_VERSION;
			return 0;
		default:
			/* optopt names a short option (or the long option's value
			 * when its argument is missing); 0 for an unknown long one. */
			if (optopt)
				snprintf(err, errlen, "option '-%c' is unknown or needs an argument\n"
				         "Try 'e1kd --help'.", optopt);
			else
				snprintf(err, errlen, "unknown option or missing argument: '%s'\n"
				         "Try 'e1kd --help'.", argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s'\nTry 'e1kd --help'.", argv[optind]);
		return -EINVAL;
	}
	if (out->tap && !tapdev_name_valid(out->tap)) {
		snprintf(err, errlen, "--tap '%s' is not a valid interface name (1-15 of A-Z a-z 0-9 _ . -)",
		         out->tap);
		return -EINVAL;
	}
	if (!out->device) {
		snprintf(err, errlen, "--device is required\nTry 'e1kd --help'.");
		return -EINVAL;
	}
	/* Four buffers per descriptor of both rings, at least 2048. */
	cfg->pool_size = 4 * (cfg->tx_ring_size + cfg->rx_ring_size);
	if (cfg->pool_size < 2048)
		cfg->pool_size = 2048;
	if (e1k_config_validate(cfg, err, errlen) < 0)
		return -EINVAL;
	return 0;
}
