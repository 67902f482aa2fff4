/* SPDX-License-Identifier: MIT */
/*
 * fuzz_e1kd_args.c - e1kd_parse_args() (cli/e1kd_args.c), e1kd's command
 * line.  The input is split at NUL bytes into argv[1..] (argv[0] = "e1kd"),
 * each argument its own exact-size heap copy, at most 64 of them.
 *
 * Checks, besides memory safety:
 *  - the result is 0 or -EINVAL, with err empty on success and a message on
 *    error; a buffer of 160 bytes + the longest argument is never truncated
 *    (the contract in e1kd_args.h);
 *  - a second parse of the same command line gives the same result (getopt's
 *    global state is reset per call), and with a tiny err buffer the message
 *    is the same, cut short and still terminated;
 *  - getopt only permutes argv's pointers;
 *  - a successful RUN has a device, a valid TAP name or none, every string
 *    pointing into argv or the environment or the default, and a
 *    configuration e1k_config_validate accepts.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "e1kd_args.h"
#include "fuzz.h"
#include "tapdev.h"

#define MAX_ARGS 64

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(char *const *)a, y = (uintptr_t)*(char *const *)b;

	return x < y ? -1 : x > y;
}

/* p points into one of the arguments (a "--opt=value" value points inside). */
static bool in_args(const char *p, char *const *orig, int argc)
{
	for (int i = 0; i < argc; i++)
		if (p >= orig[i] && p <= orig[i] + strlen(orig[i]))
			return true;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[MAX_ARGS + 2], *orig[MAX_ARGS + 2], *sorted_a[MAX_ARGS + 2], *sorted_b[MAX_ARGS + 2];
	static char argv0[] = "e1kd";
	struct e1kd_args a, b;
	size_t longest = 0, errlen, small;
	char *err, tiny[41];
	int argc = 1, rc, rc2;

	argv[0] = argv0;
	for (size_t i = 0; i < size && argc <= MAX_ARGS;) {
		const uint8_t *nul = memchr(data + i, '\0', size - i);
		size_t n = nul ? (size_t)(nul - (data + i)) : size - i;

		argv[argc] = malloc(n + 1);
		if (!argv[argc])
			break;
		memcpy(argv[argc], data + i, n);
		argv[argc][n] = '\0';
		if (n > longest)
			longest = n;
		argc++;
		i += n + 1;
	}
	argv[argc] = NULL;
	memcpy(orig, argv, sizeof(argv[0]) * (size_t)(argc + 1));

	errlen = 160 + longest;
	err = malloc(errlen);
	FUZZ_CHECK(err != NULL, "malloc");
	rc = e1kd_parse_args(argc, argv, &a, err, errlen);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL, "rc %d", rc);
	FUZZ_CHECK(memchr(err, '\0', errlen) != NULL, "err not terminated");
	FUZZ_CHECK(strlen(err) + 1 < errlen, "message truncated: %zu of %zu", strlen(err), errlen);
	FUZZ_CHECK((rc == 0) == (err[0] == '\0'), "rc %d with message '%s'", rc, err);

	/* Only a permutation of the pointers. */
	memcpy(sorted_a, argv, sizeof(argv[0]) * (size_t)argc);
	memcpy(sorted_b, orig, sizeof(argv[0]) * (size_t)argc);
	qsort(sorted_a, (size_t)argc, sizeof(char *), cmp_ptr);
	qsort(sorted_b, (size_t)argc, sizeof(char *), cmp_ptr);
	FUZZ_CHECK(memcmp(sorted_a, sorted_b, sizeof(char *) * (size_t)argc) == 0, "argv not a permutation");
	FUZZ_CHECK(argv[argc] == NULL, "argv[argc] changed");

	if (rc == 0 && a.action == E1KD_ACTION_RUN) {
		const char *env = getenv("E1KD_CTL");
		char verr[256];

		FUZZ_CHECK(a.device && in_args(a.device, orig, argc), "device");
		FUZZ_CHECK(!a.tap || (in_args(a.tap, orig, argc) && tapdev_name_valid(a.tap)), "tap");
		FUZZ_CHECK(!a.sim_wire || in_args(a.sim_wire, orig, argc), "sim_wire");
		FUZZ_CHECK(!a.report_path || in_args(a.report_path, orig, argc), "report");
		FUZZ_CHECK(a.ctl_path && (in_args(a.ctl_path, orig, argc) || a.ctl_path == env ||
		           strcmp(a.ctl_path, E1KD_DEFAULT_CTL) == 0), "ctl");
		FUZZ_CHECK(e1k_config_validate(&a.cfg, verr, sizeof(verr)) == 0, "config: %s", verr);
		FUZZ_CHECK(a.cfg.pool_size >= 2048 &&
		           a.cfg.pool_size >= 4 * (a.cfg.tx_ring_size + a.cfg.rx_ring_size), "pool");
		FUZZ_CHECK((unsigned)a.log_level <= E1K_LOG_DEBUG, "log level %d", (int)a.log_level);
	}

	/* Again, on the permuted argv (as good as the original: same strings)
	 * with a tiny buffer: same result, the message cut short. */
	small = 1 + size % (sizeof(tiny) - 1);
	memcpy(argv, orig, sizeof(argv[0]) * (size_t)(argc + 1));
	rc2 = e1kd_parse_args(argc, argv, &b, tiny, small);
	FUZZ_CHECK(rc2 == rc && b.action == a.action, "second parse: %d/%d, action %d/%d",
	           rc2, rc, (int)b.action, (int)a.action);
	FUZZ_CHECK(memchr(tiny, '\0', small) != NULL, "tiny err not terminated");
	FUZZ_CHECK(strncmp(tiny, err, small - 1) == 0 && strlen(tiny) == (strlen(err) < small - 1 ?
	           strlen(err) : small - 1), "truncated message differs: '%s' vs '%s'", tiny, err);
	if (rc == 0)
		FUZZ_CHECK(memcmp(&a.cfg, &b.cfg, sizeof(a.cfg)) == 0 && a.device == b.device &&
		           a.tap == b.tap && a.log_level == b.log_level, "second parse differs");

	free(err);
	for (int i = 1; i < argc; i++)
		free(orig[i]);
	return 0;
}
