/* SPDX-License-Identifier: MIT */
/*
 * irq_priv.h - helpers shared by the irq module's thread owners (not API).
 */
#ifndef E1K_IRQ_PRIV_H
#define E1K_IRQ_PRIV_H

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "clock.h"
#include "thread_hooks.h"

/* Linux limits thread names to 15 characters plus the NUL. */
#define E1K_THREAD_NAME_MAX 16

/* Name a started thread "<base><suffix>", truncated: the base is cut first so
 * the distinguishing suffix (worker number) survives. */
static inline void e1k_irq_name_thread(pthread_t tid, const char *base, const char *suffix)
{
	char buf[E1K_THREAD_NAME_MAX];
	size_t sl = 0, bl = 0, room;

	while (suffix[sl])
		sl++;
	while (base[bl])
		bl++;
	if (sl > E1K_THREAD_NAME_MAX - 1)
		sl = E1K_THREAD_NAME_MAX - 1;
	room = E1K_THREAD_NAME_MAX - 1 - sl;
	if (bl > room)
		bl = room;
	snprintf(buf, sizeof(buf), "%.*s%.*s", (int)bl, base, (int)sl, suffix);
	/* Best effort: a name is a debugging aid, failing to set it is not an error. */
	(void)pthread_setname_np(tid, buf);
}

static inline void e1k_irq_hook_start(const struct e1k_thread_hooks *h)
{
	if (h->on_start)
		h->on_start(h->ctx);
}

static inline void e1k_irq_hook_stop(const struct e1k_thread_hooks *h)
{
	if (h->on_stop)
		h->on_stop(h->ctx);
}

static inline struct timespec e1k_irq_ns_to_ts(uint64_t ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(ns / 1000000000ull),
		.tv_nsec = (long)(ns % 1000000000ull),
	};

	return ts;
}

/* A condition variable that times out on CLOCK_MONOTONIC, so a wall-clock
 * step (NTP, settimeofday) can neither stretch nor cut a bounded wait. */
static inline int e1k_irq_cond_init_mono(pthread_cond_t *cv)
{
	pthread_condattr_t a;
	int err = pthread_condattr_init(&a);

	if (err)
		return -err;
	err = pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	if (!err)
		err = pthread_cond_init(cv, &a);
	pthread_condattr_destroy(&a);
	return -err;
}

#endif /* E1K_IRQ_PRIV_H */
