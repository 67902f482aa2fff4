/* SPDX-License-Identifier: MIT */
#include "testlib.h"

#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int tl_failures;
static int case_failures;

void tl_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "  FAIL %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	tl_failures++;
	case_failures++;
}

uint64_t tl_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

bool tl_wait_until(bool (*pred)(void *ctx), void *ctx, unsigned timeout_ms)
{
	uint64_t deadline = tl_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	long nap = 1000;

	for (unsigned spin = 0;; spin++) {
		if (pred(ctx))
			return true;
		if (tl_now_ns() >= deadline)
			return pred(ctx);
		if (spin < 64) {
			sched_yield();
		} else {
			struct timespec ts = { 0, nap };

			nanosleep(&ts, NULL);
			if (nap < 1000000)
				nap *= 2;
		}
	}
}

double tl_scale(void)
{
	const char *s = getenv("E1K_TEST_SCALE");

	if (s && *s) {
		double v = strtod(s, NULL);

		if (v > 0)
			return v;
	}
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
	return 0.1;
#else
	return 1.0;
#endif
}

unsigned long tl_scaled(unsigned long n, unsigned long min)
{
	unsigned long v = (unsigned long)((double)n * tl_scale());

	return v < min ? min : v;
}

int tl_run(const struct tl_case *cases, size_t n)
{
	int failed = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; i < n; i++) {
		uint64_t t0 = tl_now_ns();

		case_failures = 0;
		cases[i].fn();
		printf("%s %s (%.1f ms)\n", case_failures ? "FAIL" : "ok  ", cases[i].name,
		       (double)(tl_now_ns() - t0) / 1e6);
		if (case_failures)
			failed++;
	}
	printf("%zu passed, %d failed\n", n - (size_t)failed, failed);
	return failed ? 1 : 0;
}

int tl_main(int argc, char **argv, const struct tl_case *cases, size_t n)
{
	struct tl_case sel[256];
	size_t k = 0;

	if (argc < 2)
		return tl_run(cases, n);
	for (int a = 1; a < argc; a++) {
		size_t i;

		for (i = 0; i < n; i++)
			if (strcmp(argv[a], cases[i].name) == 0)
				break;
		if (i == n) {
			fprintf(stderr, "no test case named '%s'\n", argv[a]);
			printf("0 passed, 1 failed\n");
			return 1;
		}
		if (k < sizeof(sel) / sizeof(sel[0]))
			sel[k++] = cases[i];
	}
	return tl_run(sel, k);
}
