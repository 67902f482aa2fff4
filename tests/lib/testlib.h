/* SPDX-License-Identifier: MIT */
/*
 * testlib.h - a tiny test harness: CHECK macros that report file:line and keep
 * going, and a runner that prints one line per case and exits non-zero on any
 * failure.  No sleeps: use tl_wait_until() for conditions with a deadline.
 *
 *   static void test_x(void) { CHECK_EQ(1 + 1, 2); }
 *   int main(void) { static const struct tl_case c[] = { TL_CASE(test_x) };
 *                    return tl_run(c, TL_N(c)); }
 */
#ifndef E1K_TESTLIB_H
#define E1K_TESTLIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct tl_case {
	const char *name;
	void (*fn)(void);
};

#define TL_CASE(f) { #f, f }
#define TL_N(a) (sizeof(a) / sizeof((a)[0]))

extern int tl_failures;

void tl_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define CHECK(cond) do { if (!(cond)) tl_fail(__FILE__, __LINE__, "CHECK(%s)", #cond); } while (0)
#define CHECK_EQ(a, b) do { \
	long long _a = (long long)(a), _b = (long long)(b); \
	if (_a != _b) tl_fail(__FILE__, __LINE__, "%s == %s: %lld != %lld", #a, #b, _a, _b); \
} while (0)
#define CHECK_U64(a, b) do { \
	unsigned long long _a = (unsigned long long)(a), _b = (unsigned long long)(b); \
	if (_a != _b) tl_fail(__FILE__, __LINE__, "%s == %s: %#llx != %#llx", #a, #b, _a, _b); \
} while (0)
#define CHECK_OK(expr) do { \
	long long _r = (long long)(expr); \
	if (_r < 0) tl_fail(__FILE__, __LINE__, "%s failed: %lld", #expr, _r); \
} while (0)
/* Fatal variant: abort the current case (the runner continues with the next). */
#define REQUIRE(cond) do { if (!(cond)) { tl_fail(__FILE__, __LINE__, "REQUIRE(%s)", #cond); return; } } while (0)

/* Monotonic clock in ns. */
uint64_t tl_now_ns(void);

/* Poll pred(ctx) until it is true or timeout_ms passes; yields between polls
 * (sched_yield, then short nanosleeps backing off to 1 ms).  Returns pred's
 * final value.  This is a bounded wait for a condition, not a sleep. */
bool tl_wait_until(bool (*pred)(void *ctx), void *ctx, unsigned timeout_ms);

/* Scale factor for iteration counts: 1 normally, smaller under sanitizers
 * (E1K_TEST_SCALE environment variable overrides, e.g. 0.1). */
double tl_scale(void);
/* n scaled, at least min. */
unsigned long tl_scaled(unsigned long n, unsigned long min);

int tl_run(const struct tl_case *cases, size_t n);
/* Run only the cases named in argv[1..] (all when none is named); an unknown
 * name is a failure.  Use from main: return tl_main(argc, argv, cases, n). */
int tl_main(int argc, char **argv, const struct tl_case *cases, size_t n);

#endif
