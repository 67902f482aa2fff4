/* SPDX-License-Identifier: MIT */
/*
 * pace.c - e1k_bench_pace: wake as a paced sender does, and do nothing else.
 *
 *   e1k_bench_pace --rate PPS [--batch N] [--seconds S]
 *
 * Wakes PPS / N times a second (N default 8) on the deadlines e1k_bench_nic
 * --rate PPS --batch N keeps (pace.h), until --seconds pass (default 0: no
 * limit) or SIGTERM/SIGINT.  scripts/bench runs it next to the drivers in the
 * fixed-load figure: what the guest pays for the wake-ups alone, the floor
 * under any driver that sleeps between bursts of that load.
 *
 * Output (stdout), one JSON object per line:
 *   {"event":"up","period_ns":..}
 *   {"event":"end","wakeups":..,"seconds":..,"cpu_ns":..}   cpu_ns: user + system
 * Exit status: 0, 2 on a usage error.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "clock.h"
#include "num.h"
#include "pace.h"

static volatile sig_atomic_t stop_sig;

static void on_signal(int sig)
{
	stop_sig = sig;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: e1k_bench_pace --rate PPS [--batch N] [--seconds S]\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "rate", required_argument, NULL, 'r' },
		{ "batch", required_argument, NULL, 'b' },
		{ "seconds", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t rate = 0, batch = 8, seconds = 0, v;
	struct sigaction sa;
	struct bench_pace pace;
	struct rusage ru;
	uint64_t t0, end, wakeups = 0;
	int c, li = 0;

	while ((c = getopt_long(argc, argv, "", lo, &li)) != -1) {
		uint64_t *dst = c == 'r' ? &rate : c == 'b' ? &batch : &seconds;
		uint64_t min = c == 'r' || c == 'b' ? 1 : 0;
		uint64_t max = c == 'r' ? 10000000u : c == 'b' ? 1024u : 86400u;

		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		if (c != 'r' && c != 'b' && c != 't') {
			usage(stderr);
			return 2;
		}
		if (e1k_num_parse(optarg, min, max, &v) < 0) {
			fprintf(stderr, "e1k_bench_pace: --%s must be a number in %llu..%llu, not '%s'\n", lo[li].name,
			        (unsigned long long)min, (unsigned long long)max, optarg);
			return 2;
		}
		*dst = v;
	}
	if (!rate || optind != argc) {
		usage(stderr);
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;   /* no SA_RESTART: the sleep returns at once */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	bench_pace_init(&pace, (unsigned long)rate, (unsigned)batch, 1);
	t0 = pace.due_ns;
	end = seconds ? t0 + seconds * 1000000000ull : UINT64_MAX;
	printf("{\"event\":\"up\",\"period_ns\":%llu}\n", (unsigned long long)pace.period_ns);
	fflush(stdout);
	while (!stop_sig && pace.due_ns < end)
		wakeups += (uint64_t)bench_pace_wait(&pace);
	getrusage(RUSAGE_SELF, &ru);
	printf("{\"event\":\"end\",\"wakeups\":%llu,\"seconds\":%.3f,\"cpu_ns\":%llu}\n",
	       (unsigned long long)wakeups, (double)(e1k_now_ns() - t0) / 1e9,
	       ((unsigned long long)ru.ru_utime.tv_sec + (unsigned long long)ru.ru_stime.tv_sec) * 1000000000ull +
	       ((unsigned long long)ru.ru_utime.tv_usec + (unsigned long long)ru.ru_stime.tv_usec) * 1000ull);
	return 0;
}
