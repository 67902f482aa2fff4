/* SPDX-License-Identifier: MIT */
/*
 * tutil.h - small helpers shared by the irq tests: a gate (a latch a callback
 * can block on until the test opens it) and bounded waits on counters.
 * Every wait here is bounded so that a broken module fails the test instead
 * of hanging it.
 */
#ifndef E1K_TESTS_IRQ_TUTIL_H
#define E1K_TESTS_IRQ_TUTIL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "testlib.h"

/* Upper bound of any single wait in these tests: generous for TSan on a
 * loaded 2-core machine, and still far below the ctest timeout. */
#define T_WAIT_MS 10000u

struct gate {
	pthread_mutex_t m;
	pthread_cond_t cv;
	bool open;
	unsigned waiters;     /* threads blocked in gate_wait right now */
};

static inline void gate_init(struct gate *g)
{
	pthread_mutex_init(&g->m, NULL);
	pthread_cond_init(&g->cv, NULL);
	g->open = false;
	g->waiters = 0;
}

static inline void gate_fini(struct gate *g)
{
	pthread_cond_destroy(&g->cv);
	pthread_mutex_destroy(&g->m);
}

static inline void gate_open(struct gate *g)
{
	pthread_mutex_lock(&g->m);
	g->open = true;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->m);
}

static inline void gate_close(struct gate *g)
{
	pthread_mutex_lock(&g->m);
	g->open = false;
	pthread_mutex_unlock(&g->m);
}

/* Block until the gate opens; false if it stayed shut for T_WAIT_MS (the
 * test then fails on its own checks rather than hanging here). */
static inline bool gate_wait(struct gate *g)
{
	struct timespec ts;
	bool ok;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += T_WAIT_MS / 1000;
	pthread_mutex_lock(&g->m);
	g->waiters++;
	while (!g->open)
		if (pthread_cond_timedwait(&g->cv, &g->m, &ts) != 0)
			break;
	ok = g->open;
	g->waiters--;
	pthread_mutex_unlock(&g->m);
	return ok;
}

static inline unsigned gate_waiters(struct gate *g)
{
	unsigned n;

	pthread_mutex_lock(&g->m);
	n = g->waiters;
	pthread_mutex_unlock(&g->m);
	return n;
}

struct t_waitv {
	atomic_ulong *p;
	unsigned long v;
};

static inline bool t_pred_ge(void *c)
{
	struct t_waitv *w = c;

	return atomic_load_explicit(w->p, memory_order_acquire) >= w->v;
}

/* Bounded wait until *p >= v. */
static inline bool wait_ge(atomic_ulong *p, unsigned long v)
{
	struct t_waitv w = { p, v };

	return tl_wait_until(t_pred_ge, &w, T_WAIT_MS);
}

struct t_waitb {
	atomic_bool *p;
};

static inline bool t_pred_true(void *c)
{
	struct t_waitb *w = c;

	return atomic_load_explicit(w->p, memory_order_acquire);
}

static inline bool wait_true(atomic_bool *p)
{
	struct t_waitb w = { p };

	return tl_wait_until(t_pred_true, &w, T_WAIT_MS);
}

struct t_gatew {
	struct gate *g;
	unsigned n;
};

static inline bool t_pred_waiters(void *c)
{
	struct t_gatew *w = c;

	return gate_waiters(w->g) >= w->n;
}

/* Bounded wait until n threads block in gate_wait(g). */
static inline bool wait_gate_waiters(struct gate *g, unsigned n)
{
	struct t_gatew w = { g, n };

	return tl_wait_until(t_pred_waiters, &w, T_WAIT_MS);
}

/* xorshift for test randomness (deterministic per seed, no shared state). */
static inline uint32_t t_rand(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

/* Busy-wait about ns nanoseconds (used to vary race timing, never to sync). */
static inline void t_spin_ns(uint64_t ns)
{
	uint64_t end = tl_now_ns() + ns;

	while (tl_now_ns() < end)
		;
}

#endif /* E1K_TESTS_IRQ_TUTIL_H */
