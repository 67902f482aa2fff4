/* SPDX-License-Identifier: MIT */
/*
 * irq_thread.c - the interrupt thread (see irq_thread.h for the contract).
 *
 * The control mutex only serialises create/add/start/stop against each other;
 * the interrupt thread never takes it, so a stop that joins while holding no
 * lock the thread needs cannot deadlock, and handlers run with no lock held.
 */
#include "irq_thread.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "dpc.h"
#include "irq_priv.h"

/* epoll data tag of the control eventfd; sources use their index. */
#define IRQ_CTL_TAG UINT32_MAX

struct irq_src {
	int efd;
	irq_handler_fn fn;
	void *ctx;
	uint32_t vector;
};

struct irq_thread {
	pthread_mutex_t lock;         /* control operations */
	pthread_cond_t cv;            /* a second stopper waits for the first's join */
	int epfd;
	int ctlfd;
	struct irq_src src[IRQ_THREAD_MAX_SOURCES];  /* fixed once started */
	unsigned nsrc;
	/* Set by stop before it writes the control eventfd; the thread checks it
	 * (acquire) before every handler call.  Pairs with the release store. */
	atomic_bool stopping;
	/* Set after the join: any handler call that saw it would be counted in
	 * after_stop.  It cannot happen; the counter proves it in reports. */
	atomic_bool stopped;
	bool started, joining, joined;  /* lock */
	bool dpc_inline;              /* run claimed DPCs here; fixed once started */
	pthread_t tid;
	struct e1k_thread_hooks hooks;
	char name[32];
	atomic_ulong st_wakeups, st_dispatched, st_spurious, st_signals, st_errors, st_after_stop;
	atomic_ulong st_dpc_runs;
};

/* The irq thread the calling thread is, if any (a handler calling stop). */
static _Thread_local struct irq_thread *tl_irq;

static void stat_inc(atomic_ulong *c, uint64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static bool irq_stopping(struct irq_thread *it)
{
	return atomic_load_explicit(&it->stopping, memory_order_acquire);
}

/* Read a source eventfd; true (and *val) when it had signals pending. */
static bool irq_read_src(struct irq_thread *it, int fd, uint64_t *val)
{
	for (;;) {
		ssize_t r = read(fd, val, sizeof(*val));

		if (r == (ssize_t)sizeof(*val))
			return true;
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			stat_inc(&it->st_spurious, 1);
		else
			stat_inc(&it->st_errors, 1);
		return false;
	}
}

static void *irq_thread_main(void *arg)
{
	struct irq_thread *it = arg;
	struct epoll_event evs[IRQ_THREAD_MAX_SOURCES + 1];
	bool leave = false;

	e1k_irq_hook_start(&it->hooks);
	tl_irq = it;

	/* maxevents covers every registered fd, so each epoll_wait reports all
	 * that are ready: a storming source cannot hide the control eventfd. */
	while (!leave && !irq_stopping(it)) {
		struct dpc_inline il;
		int n = epoll_wait(it->epfd, evs, (int)(it->nsrc + 1), -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* EBADF/EINVAL: the epoll fd is unusable, waiting again
			 * would spin.  Leave; stop still joins us. */
			stat_inc(&it->st_errors, 1);
			break;
		}
		stat_inc(&it->st_wakeups, 1);
		/* DPCs the handlers of this round queue are claimed for us
		 * (dpc.h, inline runs) and run below, after every handler. */
		if (it->dpc_inline)
			dpc_inline_begin(&il);
		for (int i = 0; i < n; i++) {
			uint32_t tag = evs[i].data.u32;
			struct irq_src *s;
			uint64_t v;

			if (tag == IRQ_CTL_TAG || irq_stopping(it)) {
				leave = true;   /* the control eventfd only ever means stop */
				break;
			}
			s = &it->src[tag];
			if (!irq_read_src(it, s->efd, &v))
				continue;
			stat_inc(&it->st_signals, v);
			/* Checked again right before the call: stop may have begun
			 * while we read. */
			if (irq_stopping(it)) {
				leave = true;
				break;
			}
			if (atomic_load_explicit(&it->stopped, memory_order_acquire))
				stat_inc(&it->st_after_stop, 1);
			stat_inc(&it->st_dispatched, 1);
			s->fn(s->ctx, s->vector);
		}
		/* Even when leaving: a claim is a queue that returned true, its
		 * run must come, and the stop's join waits for it. */
		if (it->dpc_inline)
			stat_inc(&it->st_dpc_runs, dpc_inline_run(&il));
	}
	tl_irq = NULL;
	e1k_irq_hook_stop(&it->hooks);
	return NULL;
}

int irq_thread_create(const char *name, const struct e1k_thread_hooks *hooks,
                      struct irq_thread **out)
{
	struct irq_thread *it;
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = IRQ_CTL_TAG };
	int err;

	if (out)
		*out = NULL;
	if (!out)
		return -EINVAL;
	it = calloc(1, sizeof(*it));
	if (!it)
		return -ENOMEM;
	it->epfd = -1;
	it->ctlfd = -1;
	snprintf(it->name, sizeof(it->name), "%s", name ? name : "irq");
	if (hooks)
		it->hooks = *hooks;
	atomic_init(&it->stopping, false);
	atomic_init(&it->stopped, false);
	atomic_init(&it->st_wakeups, 0);
	atomic_init(&it->st_dispatched, 0);
	atomic_init(&it->st_spurious, 0);
	atomic_init(&it->st_signals, 0);
	atomic_init(&it->st_errors, 0);
	atomic_init(&it->st_after_stop, 0);
	atomic_init(&it->st_dpc_runs, 0);
	it->dpc_inline = true;

	err = -pthread_mutex_init(&it->lock, NULL);
	if (err)
		goto err_free;
	err = -pthread_cond_init(&it->cv, NULL);
	if (err)
		goto err_mutex;
	it->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (it->epfd < 0) {
		err = -errno;
		goto err_cv;
	}
	it->ctlfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (it->ctlfd < 0) {
		err = -errno;
		goto err_epoll;
	}
	if (epoll_ctl(it->epfd, EPOLL_CTL_ADD, it->ctlfd, &ev) < 0) {
		err = -errno;
		goto err_ctl;
	}
	*out = it;
	return 0;

err_ctl:
	close(it->ctlfd);
err_epoll:
	close(it->epfd);
err_cv:
	pthread_cond_destroy(&it->cv);
err_mutex:
	pthread_mutex_destroy(&it->lock);
err_free:
	free(it);
	return err;
}

int irq_thread_add(struct irq_thread *it, int efd, irq_handler_fn fn, void *ctx,
                   uint32_t vector)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int fl, err = 0;

	if (!it || efd < 0 || !fn)
		return -EINVAL;
	pthread_mutex_lock(&it->lock);
	if (it->started || atomic_load_explicit(&it->stopped, memory_order_relaxed)) {
		err = -EBUSY;
		goto out;
	}
	if (it->nsrc >= IRQ_THREAD_MAX_SOURCES) {
		err = -ENOSPC;
		goto out;
	}
	for (unsigned i = 0; i < it->nsrc; i++) {
		if (it->src[i].efd == efd) {
			err = -EEXIST;
			goto out;
		}
	}
	/* Non-blocking, so that a readiness with nothing to read (spurious)
	 * cannot block the interrupt thread in read(). */
	fl = fcntl(efd, F_GETFL);
	if (fl < 0 || fcntl(efd, F_SETFL, fl | O_NONBLOCK) < 0) {
		err = -errno;
		goto out;
	}
	ev.data.u32 = it->nsrc;
	if (epoll_ctl(it->epfd, EPOLL_CTL_ADD, efd, &ev) < 0) {
		err = -errno;
		goto out;
	}
	it->src[it->nsrc] = (struct irq_src){ .efd = efd, .fn = fn, .ctx = ctx, .vector = vector };
	it->nsrc++;
out:
	pthread_mutex_unlock(&it->lock);
	return err;
}

int irq_thread_set_dpc_inline(struct irq_thread *it, bool on)
{
	int err = 0;

	if (!it)
		return -EINVAL;
	pthread_mutex_lock(&it->lock);
	if (it->started || atomic_load_explicit(&it->stopped, memory_order_relaxed))
		err = -EBUSY;
	else
		it->dpc_inline = on;
	pthread_mutex_unlock(&it->lock);
	return err;
}

int irq_thread_start(struct irq_thread *it)
{
	int err;

	if (!it)
		return -EINVAL;
	pthread_mutex_lock(&it->lock);
	if (atomic_load_explicit(&it->stopped, memory_order_relaxed) ||
	    atomic_load_explicit(&it->stopping, memory_order_relaxed)) {
		err = -ESHUTDOWN;
	} else if (it->started) {
		err = -EBUSY;
	} else {
		/* pthread_create orders the source table before the thread. */
		err = -pthread_create(&it->tid, NULL, irq_thread_main, it);
		if (!err) {
			it->started = true;
			e1k_irq_name_thread(it->tid, it->name, "-irq");
		}
	}
	pthread_mutex_unlock(&it->lock);
	return err;
}

/* Wake the thread out of epoll_wait.  The counter cannot overflow (at most a
 * few writes ever), so the only failure to retry is EINTR. */
static void irq_kick(struct irq_thread *it)
{
	uint64_t one = 1;

	while (write(it->ctlfd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

void irq_thread_stop(struct irq_thread *it)
{
	if (!it)
		return;
	pthread_mutex_lock(&it->lock);
	/* Release: pairs with the thread's acquire load before each handler. */
	atomic_store_explicit(&it->stopping, true, memory_order_release);
	if (tl_irq == it) {
		/* From a handler: the thread leaves once it returns. */
		irq_kick(it);
		pthread_mutex_unlock(&it->lock);
		return;
	}
	if (!it->started || it->joined) {
		atomic_store_explicit(&it->stopped, true, memory_order_release);
		pthread_mutex_unlock(&it->lock);
		return;
	}
	if (it->joining) {
		while (!it->joined)
			pthread_cond_wait(&it->cv, &it->lock);
		pthread_mutex_unlock(&it->lock);
		return;
	}
	it->joining = true;
	irq_kick(it);
	pthread_mutex_unlock(&it->lock);

	pthread_join(it->tid, NULL);

	pthread_mutex_lock(&it->lock);
	atomic_store_explicit(&it->stopped, true, memory_order_release);
	it->joined = true;
	it->joining = false;
	pthread_cond_broadcast(&it->cv);
	pthread_mutex_unlock(&it->lock);
}

void irq_thread_destroy(struct irq_thread *it)
{
	if (!it || tl_irq == it)
		return;
	irq_thread_stop(it);
	if (it->ctlfd >= 0)
		close(it->ctlfd);
	if (it->epfd >= 0)
		close(it->epfd);
	pthread_cond_destroy(&it->cv);
	pthread_mutex_destroy(&it->lock);
	free(it);
}

bool irq_thread_is_stopping(struct irq_thread *it)
{
	return it && irq_stopping(it);
}

void irq_thread_get_stats(struct irq_thread *it, struct irq_thread_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!it)
		return;
	st->wakeups = atomic_load_explicit(&it->st_wakeups, memory_order_relaxed);
	st->dispatched = atomic_load_explicit(&it->st_dispatched, memory_order_relaxed);
	st->spurious = atomic_load_explicit(&it->st_spurious, memory_order_relaxed);
	st->signals = atomic_load_explicit(&it->st_signals, memory_order_relaxed);
	st->errors = atomic_load_explicit(&it->st_errors, memory_order_relaxed);
	st->after_stop = atomic_load_explicit(&it->st_after_stop, memory_order_relaxed);
	st->dpc_runs = atomic_load_explicit(&it->st_dpc_runs, memory_order_relaxed);
}
