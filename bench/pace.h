/* SPDX-License-Identifier: MIT */
/*
 * pace.h - the pacing of a fixed offered load: one burst due every period,
 * on absolute deadlines (waking late does not lower the rate), and a pacer
 * more than a second off starts afresh rather than bursting to catch up.
 *
 * One copy for the two programs that must wake alike: e1k_bench_nic's paced
 * senders (--rate) and e1k_bench_pace, which wakes on the same deadlines and
 * does nothing else -- the fixed load's floor in scripts/bench.
 * Context: one thread per pacer; no locks; bench_pace_wait sleeps.
 */
#ifndef E1K_BENCH_PACE_H
#define E1K_BENCH_PACE_H

#include <stdint.h>
#include <time.h>

#include "clock.h"

struct bench_pace {
	uint64_t period_ns;   /* 0: no pacing, bench_pace_wait returns at once */
	uint64_t due_ns;
};

/* batch frames per burst, rate frames per second shared by nthreads pacers. */
static inline void bench_pace_init(struct bench_pace *p, unsigned long rate, unsigned batch,
                                   unsigned nthreads)
{
	p->period_ns = rate ? (uint64_t)batch * 1000000000ull * nthreads / rate : 0;
	p->due_ns = e1k_now_ns();
}

/* Sleep until the next burst is due: 1, the burst is due; 0, a signal cut
 * the sleep short (the caller checks why, then calls again or stops). */
static inline int bench_pace_wait(struct bench_pace *p)
{
	uint64_t now;

	if (!p->period_ns)
		return 1;
	now = e1k_now_ns();
	if (now + 1000000000ull < p->due_ns || now > p->due_ns + 1000000000ull)
		p->due_ns = now;
	if (p->due_ns > now) {
		struct timespec ts = { .tv_sec = (time_t)(p->due_ns / 1000000000ull),
		                       .tv_nsec = (long)(p->due_ns % 1000000000ull) };

		if (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0)
			return 0;
	}
	p->due_ns += p->period_ns;
	return 1;
}

#endif
