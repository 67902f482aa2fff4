/* SPDX-License-Identifier: MIT */
/*
 * clock.h - the project's one monotonic clock.
 *
 * Every timestamp, deadline and bound in e1kd is CLOCK_MONOTONIC nanoseconds
 * from e1k_now_ns(): a wall-clock step never shortens or stretches a wait.
 * Pure functions, no state: Context any, Locks none, May block no (except
 * e1k_sleep_ns, which sleeps).
 */
#ifndef E1K_CLOCK_H
#define E1K_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t e1k_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Sleep about ns (at least, give or take timer slack). */
static inline void e1k_sleep_ns(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull) };

	while (nanosleep(&ts, &ts) != 0)
		;
}

/* A deadline ms from now, and whether it has passed: bounds are time, not
 * loop counts (a count of sleeps stretches with timer slack). */
static inline uint64_t e1k_deadline_ms(unsigned ms)
{
	return e1k_now_ns() + (uint64_t)ms * 1000000ull;
}

static inline uint64_t e1k_deadline_us(unsigned us)
{
	return e1k_now_ns() + (uint64_t)us * 1000ull;
}

static inline int e1k_passed(uint64_t deadline_ns)
{
	return e1k_now_ns() >= deadline_ns;
}

#endif /* E1K_CLOCK_H */
