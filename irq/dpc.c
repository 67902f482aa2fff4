/* SPDX-License-Identifier: MIT */
/*
 * dpc.c - the DPC worker pool.
 *
 * One mutex per pool protects the FIFO of queued DPCs, the count of running
 * DPCs and the pool phase.  Every change of a DPC's state is a CAS made with
 * that mutex held, so the queue, the state and the waiters' predicates always
 * agree; the mutex is never held while a DPC function runs.
 *
 * Inline runs (dpc_inline_begin/run): the interrupt thread claims the DPCs
 * its handlers queue (IDLE -> RUNNING, counted in `running` like a worker's
 * pick-up) and runs them itself after the handlers returned, so an interrupt
 * costs one thread wake-up instead of two.  A claimed DPC is never on the
 * FIFO, so no worker can pick it; a queue during the claimed run requeues
 * it, and __dpc_finish puts it on the FIFO for a worker as for any run.
 *
 * Two condition variables:
 *   work_cv  workers sleep on it when the queue is empty; signalled on a push
 *            and broadcast on STOP.
 *   idle_cv  flush / wait_idle / stop sleep on it; broadcast when a run
 *            finishes and when a worker reports STOPPED.
 */
#include "dpc.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "irq_priv.h"

enum dpc_pool_phase {
	DPC_POOL_ACCEPTING,  /* dpc_queue accepted */
	DPC_POOL_DRAINING,   /* dpc_pool_stop began: queues refused, queued ones still run */
	DPC_POOL_STOPPED,    /* every worker joined */
};

/* Worker flags (liburcu call_rcu style handshake), pool mutex. */
#define DPC_WORKER_STOP    1u   /* set by the stopper: exit once the queue is empty */
#define DPC_WORKER_STOPPED 2u   /* set by the worker as it leaves its loop */

struct dpc_worker {
	struct dpc_pool *pool;
	pthread_t tid;
	unsigned index;
	bool started;            /* pthread_create succeeded: must be joined */
	bool joined;
	unsigned flags;          /* DPC_WORKER_*; pool mutex */
	struct dpc *current;     /* DPC this worker runs now; pool mutex */
};

struct dpc_pool {
	pthread_mutex_t lock;
	pthread_cond_t work_cv;
	pthread_cond_t idle_cv;
	struct dpc *head, *tail;  /* FIFO of QUEUED DPCs */
	unsigned running;         /* DPCs between pick-up and finish */
	_Atomic int phase;        /* enum dpc_pool_phase; written under lock */
	bool stopping;            /* a dpc_pool_stop is draining/joining (lock) */
	unsigned nworkers;
	struct dpc_worker *workers;
	struct e1k_thread_hooks hooks;
	char name[32];

	atomic_ulong st_queued, st_runs, st_rejected, st_runs_after_stop, st_violations;
	atomic_ulong st_inline_runs;
};

/* The worker the calling thread is, if any: lets wait/flush/stop notice a call
 * from inside a DPC, where waiting for oneself would deadlock. */
static _Thread_local struct dpc_worker *tl_worker;

/* Set between dpc_inline_begin and dpc_inline_run on the thread that will run
 * the claimed DPCs (the interrupt thread): dpc_queue claims IDLE DPCs into it
 * instead of waking a worker. */
static _Thread_local struct dpc_inline *tl_inline;

void dpc_init(struct dpc *d, const char *name, dpc_fn fn)
{
	d->fn = fn;
	d->name = name;
	atomic_init(&d->state, DPC_STATE_IDLE);
	d->next = NULL;
	atomic_init(&d->runs, 0);
	atomic_init(&d->inflight, 0);
	d->pool = NULL;
}

/* Claimed by this thread for an inline run that has not started yet. */
static bool inline_claimed(const struct dpc_pool *p, const struct dpc *d)
{
	if (!tl_inline)
		return false;
	for (unsigned i = 0; i < tl_inline->n; i++)
		if (tl_inline->e[i].pool == p && (!d || tl_inline->e[i].d == d))
			return true;
	return false;
}

/* Waiting for the pool from here would wait for ourselves: inside one of its
 * runs (worker or inline), or with a claimed run still ahead of us. */
static bool called_from_pool(const struct dpc_pool *p)
{
	return (tl_worker != NULL && tl_worker->pool == p) || inline_claimed(p, NULL);
}

/* Append d to the FIFO and wake one worker.  Caller holds p->lock. */
static void __dpc_push(struct dpc_pool *p, struct dpc *d)
{
	d->next = NULL;
	d->pool = p;
	if (p->tail)
		p->tail->next = d;
	else
		p->head = d;
	p->tail = d;
	pthread_cond_signal(&p->work_cv);
}

static struct dpc *__dpc_pop(struct dpc_pool *p)
{
	struct dpc *d = p->head;

	if (d) {
		p->head = d->next;
		if (!p->head)
			p->tail = NULL;
		d->next = NULL;
	}
	return d;
}

/* CAS a state transition that the pool mutex makes certain; the CAS checks it.
 * Returns false (and leaves the state alone) if the DPC was not in @from. */
static bool dpc_cas(struct dpc *d, unsigned from, unsigned to)
{
	/* acq_rel: dpc_state() readers see the transition in order with the
	 * run's effects; the mutex already orders it for everyone else. */
	return atomic_compare_exchange_strong_explicit(&d->state, &from, to,
	                                               memory_order_acq_rel,
	                                               memory_order_acquire);
}

/* Run one picked-up DPC: the mutex is NOT held here. */
static void dpc_run_one(struct dpc_pool *p, struct dpc *d)
{
	/* inflight is a check of the non-reentrancy guarantee, independent of
	 * the state machine that provides it. */
	if (atomic_fetch_add_explicit(&d->inflight, 1, memory_order_acq_rel) != 0)
		atomic_fetch_add_explicit(&p->st_violations, 1, memory_order_relaxed);
	d->fn(d);
	atomic_fetch_sub_explicit(&d->inflight, 1, memory_order_acq_rel);
	atomic_fetch_add_explicit(&d->runs, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&p->st_runs, 1, memory_order_relaxed);
}

/* The run of d returned: back to IDLE, or to the queue tail when it was
 * queued during the run.  Caller holds p->lock.  After this, the worker does
 * not touch d again: its owner may free it once it sees IDLE. */
static void __dpc_finish(struct dpc_pool *p, struct dpc *d)
{
	if (dpc_cas(d, DPC_STATE_RUNNING | DPC_STATE_REQUEUED, DPC_STATE_QUEUED))
		__dpc_push(p, d);
	else
		(void)dpc_cas(d, DPC_STATE_RUNNING, DPC_STATE_IDLE);
	p->running--;
	/* Wakes dpc_wait_idle (d went IDLE), dpc_flush and the drain of
	 * dpc_pool_stop (running dropped). */
	pthread_cond_broadcast(&p->idle_cv);
}

static void *dpc_worker_main(void *arg)
{
	struct dpc_worker *w = arg;
	struct dpc_pool *p = w->pool;

	e1k_irq_hook_start(&p->hooks);
	tl_worker = w;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		struct dpc *d;

		while (!p->head && !(w->flags & DPC_WORKER_STOP))
			pthread_cond_wait(&p->work_cv, &p->lock);
		d = __dpc_pop(p);
		if (!d)
			break;          /* STOP, and nothing left to run */
		if (!dpc_cas(d, DPC_STATE_QUEUED, DPC_STATE_RUNNING)) {
			/* Only QUEUED DPCs are on the FIFO; a DPC found here in
			 * another state was re-initialised or queued on two pools
			 * by its owner.  Running it could run it twice at once. */
			atomic_fetch_add_explicit(&p->st_violations, 1, memory_order_relaxed);
			continue;
		}
		p->running++;
		w->current = d;
		if (atomic_load_explicit(&p->phase, memory_order_relaxed) == DPC_POOL_STOPPED)
			atomic_fetch_add_explicit(&p->st_runs_after_stop, 1, memory_order_relaxed);
		pthread_mutex_unlock(&p->lock);

		dpc_run_one(p, d);

		pthread_mutex_lock(&p->lock);
		w->current = NULL;
		__dpc_finish(p, d);
	}
	/* STOPPED: the stopper waits for it before joining. */
	w->flags |= DPC_WORKER_STOPPED;
	pthread_cond_broadcast(&p->idle_cv);
	pthread_mutex_unlock(&p->lock);

	tl_worker = NULL;
	e1k_irq_hook_stop(&p->hooks);
	return NULL;
}

bool dpc_queue(struct dpc_pool *p, struct dpc *d)
{
	struct dpc_inline *il = tl_inline;
	unsigned s, ns;
	bool claim = false;

	if (!p || !d)
		return false;
	pthread_mutex_lock(&p->lock);
	if (atomic_load_explicit(&p->phase, memory_order_relaxed) != DPC_POOL_ACCEPTING) {
		atomic_fetch_add_explicit(&p->st_rejected, 1, memory_order_relaxed);
		pthread_mutex_unlock(&p->lock);
		return false;
	}
	/* Claimed by us and not started (its state says RUNNING): it is as
	 * good as queued, its run starts after this call on this thread. */
	if (inline_claimed(p, d)) {
		pthread_mutex_unlock(&p->lock);
		return false;
	}
	s = atomic_load_explicit(&d->state, memory_order_acquire);
	for (;;) {
		if (s & (DPC_STATE_QUEUED | DPC_STATE_REQUEUED)) {
			/* At most once: the pending run will see what the caller
			 * wrote, since the worker picks it up under this mutex. */
			pthread_mutex_unlock(&p->lock);
			return false;
		}
		/* Only an IDLE DPC is claimed: one that runs (on a worker, or
		 * inline elsewhere) is requeued below and its runner puts it
		 * back on the FIFO, so no second thread ever enters fn. */
		claim = !(s & DPC_STATE_RUNNING) && il && il->n < DPC_INLINE_MAX;
		if (s & DPC_STATE_RUNNING)
			ns = DPC_STATE_RUNNING | DPC_STATE_REQUEUED;
		else
			ns = claim ? DPC_STATE_RUNNING : DPC_STATE_QUEUED;
		if (atomic_compare_exchange_weak_explicit(&d->state, &s, ns,
		                                          memory_order_acq_rel,
		                                          memory_order_acquire))
			break;
	}
	if (claim) {
		/* Counted as running from now: flush, wait_idle and the drain
		 * of dpc_pool_stop wait for this run as for a worker's. */
		p->running++;
		d->pool = p;
		il->e[il->n].pool = p;
		il->e[il->n].d = d;
		il->n++;
	} else if (!(s & DPC_STATE_RUNNING)) {
		/* A running DPC is not put on the FIFO now: its runner does
		 * that when the current run returns (__dpc_finish), so it
		 * cannot be picked up by a second worker while the first is
		 * still inside fn. */
		__dpc_push(p, d);
	}
	atomic_fetch_add_explicit(&p->st_queued, 1, memory_order_relaxed);
	pthread_mutex_unlock(&p->lock);
	return true;
}

void dpc_inline_begin(struct dpc_inline *il)
{
	il->n = 0;
	tl_inline = il;
}

unsigned dpc_inline_run(struct dpc_inline *il)
{
	unsigned n = il->n;

	/* Claiming ends before the runs: a DPC that queues itself (out of
	 * budget) or another DPC from here goes through the FIFO, so this
	 * thread returns to its vectors after these runs. */
	if (tl_inline == il)
		tl_inline = NULL;
	for (unsigned i = 0; i < n; i++) {
		struct dpc_pool *p = il->e[i].pool;
		struct dpc *d = il->e[i].d;
		/* Makes this thread a worker of p for the run: wait_idle on
		 * itself, flush and stop called from fn behave as on a worker. */
		struct dpc_worker self = { .pool = p, .current = d };
		struct dpc_worker *prev = tl_worker;

		if (atomic_load_explicit(&p->phase, memory_order_relaxed) == DPC_POOL_STOPPED)
			atomic_fetch_add_explicit(&p->st_runs_after_stop, 1, memory_order_relaxed);
		tl_worker = &self;
		dpc_run_one(p, d);
		tl_worker = prev;
		atomic_fetch_add_explicit(&p->st_inline_runs, 1, memory_order_relaxed);

		pthread_mutex_lock(&p->lock);
		__dpc_finish(p, d);
		pthread_mutex_unlock(&p->lock);
	}
	il->n = 0;
	return n;
}

/* Wait on idle_cv until pred holds; deadline 0 = forever.  Caller holds lock. */
static int __dpc_wait(struct dpc_pool *p, bool (*pred)(struct dpc_pool *, struct dpc *),
                      struct dpc *d, uint64_t deadline_ns)
{
	while (!pred(p, d)) {
		if (!deadline_ns) {
			pthread_cond_wait(&p->idle_cv, &p->lock);
		} else {
			struct timespec ts = e1k_irq_ns_to_ts(deadline_ns);

			if (pthread_cond_timedwait(&p->idle_cv, &p->lock, &ts) == ETIMEDOUT &&
			    !pred(p, d))
				return -ETIMEDOUT;
		}
	}
	return 0;
}

static bool dpc_is_idle(struct dpc_pool *p, struct dpc *d)
{
	return atomic_load_explicit(&d->state, memory_order_acquire) == DPC_STATE_IDLE;
}

static bool pool_is_idle(struct dpc_pool *p, struct dpc *d)
{
	return !p->head && p->running == 0;
}

static uint64_t deadline_after(uint64_t timeout_ns)
{
	uint64_t now = e1k_now_ns();

	/* 0 means "no deadline" to __dpc_wait: never produce it. */
	return now + (timeout_ns ? timeout_ns : 1);
}

int dpc_wait_idle_timeout(struct dpc_pool *p, struct dpc *d, uint64_t timeout_ns)
{
	int err;

	if (!p || !d)
		return -EINVAL;
	/* Our own run: waiting would wait for ourselves. */
	if (tl_worker && tl_worker->pool == p && tl_worker->current == d)
		return 0;
	/* Claimed by this thread: its run starts only after we return. */
	if (inline_claimed(p, d))
		return -EDEADLK;
	pthread_mutex_lock(&p->lock);
	err = __dpc_wait(p, dpc_is_idle, d, deadline_after(timeout_ns));
	pthread_mutex_unlock(&p->lock);
	return err;
}

void dpc_wait_idle(struct dpc_pool *p, struct dpc *d)
{
	if (!p || !d)
		return;
	if ((tl_worker && tl_worker->pool == p && tl_worker->current == d) ||
	    inline_claimed(p, d))
		return;
	pthread_mutex_lock(&p->lock);
	(void)__dpc_wait(p, dpc_is_idle, d, 0);
	pthread_mutex_unlock(&p->lock);
}

int dpc_flush_timeout(struct dpc_pool *p, uint64_t timeout_ns)
{
	int err;

	if (!p)
		return -EINVAL;
	if (called_from_pool(p))
		return -EDEADLK;
	pthread_mutex_lock(&p->lock);
	err = __dpc_wait(p, pool_is_idle, NULL, deadline_after(timeout_ns));
	pthread_mutex_unlock(&p->lock);
	return err;
}

void dpc_flush(struct dpc_pool *p)
{
	if (!p || called_from_pool(p))
		return;
	pthread_mutex_lock(&p->lock);
	(void)__dpc_wait(p, pool_is_idle, NULL, 0);
	pthread_mutex_unlock(&p->lock);
}

/* Stop the workers that were started: drain, STOP, wait STOPPED, join.
 * Caller holds p->lock and has set p->stopping; returns with it held. */
static void __dpc_stop_workers(struct dpc_pool *p)
{
	unsigned i;

	/* Drain: run everything queued (a requeue made before the stop is
	 * queued too; it comes back on the FIFO when its run returns). */
	(void)__dpc_wait(p, pool_is_idle, NULL, 0);

	for (i = 0; i < p->nworkers; i++)
		p->workers[i].flags |= DPC_WORKER_STOP;
	pthread_cond_broadcast(&p->work_cv);
	for (i = 0; i < p->nworkers; i++) {
		struct dpc_worker *w = &p->workers[i];

		while (w->started && !(w->flags & DPC_WORKER_STOPPED))
			pthread_cond_wait(&p->idle_cv, &p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	for (i = 0; i < p->nworkers; i++) {
		struct dpc_worker *w = &p->workers[i];

		if (w->started && !w->joined) {
			pthread_join(w->tid, NULL);
			w->joined = true;
		}
	}
	pthread_mutex_lock(&p->lock);
}

void dpc_pool_stop(struct dpc_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	if (atomic_load_explicit(&p->phase, memory_order_relaxed) == DPC_POOL_ACCEPTING)
		atomic_store_explicit(&p->phase, DPC_POOL_DRAINING, memory_order_release);
	if (called_from_pool(p)) {
		/* A worker cannot join itself: queues are refused from now on,
		 * the owner's stop from the control context does the rest. */
		pthread_mutex_unlock(&p->lock);
		return;
	}
	if (p->stopping) {
		/* Another thread is stopping the pool: wait for it to finish so
		 * that our caller gets the same guarantee. */
		while (atomic_load_explicit(&p->phase, memory_order_relaxed) != DPC_POOL_STOPPED)
			pthread_cond_wait(&p->idle_cv, &p->lock);
		pthread_mutex_unlock(&p->lock);
		return;
	}
	if (atomic_load_explicit(&p->phase, memory_order_relaxed) == DPC_POOL_STOPPED) {
		pthread_mutex_unlock(&p->lock);
		return;
	}
	p->stopping = true;
	__dpc_stop_workers(p);
	atomic_store_explicit(&p->phase, DPC_POOL_STOPPED, memory_order_release);
	p->stopping = false;
	pthread_cond_broadcast(&p->idle_cv);
	pthread_mutex_unlock(&p->lock);
}

static void dpc_pool_free(struct dpc_pool *p)
{
	pthread_cond_destroy(&p->idle_cv);
	pthread_cond_destroy(&p->work_cv);
	pthread_mutex_destroy(&p->lock);
	free(p->workers);
	free(p);
}

int dpc_pool_create(unsigned workers, const char *name,
                    const struct e1k_thread_hooks *hooks, struct dpc_pool **out)
{
	struct dpc_pool *p;
	unsigned i;
	int err;

	if (out)
		*out = NULL;
	if (!out || workers < 1 || workers > DPC_POOL_MAX_WORKERS)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->workers = calloc(workers, sizeof(*p->workers));
	if (!p->workers) {
		free(p);
		return -ENOMEM;
	}
	snprintf(p->name, sizeof(p->name), "%s", name ? name : "dpc");
	if (hooks)
		p->hooks = *hooks;
	p->nworkers = workers;
	atomic_init(&p->phase, DPC_POOL_ACCEPTING);
	atomic_init(&p->st_queued, 0);
	atomic_init(&p->st_runs, 0);
	atomic_init(&p->st_rejected, 0);
	atomic_init(&p->st_runs_after_stop, 0);
	atomic_init(&p->st_violations, 0);
	atomic_init(&p->st_inline_runs, 0);

	err = -pthread_mutex_init(&p->lock, NULL);
	if (err) {
		free(p->workers);
		free(p);
		return err;
	}
	/* Both condvars time out on CLOCK_MONOTONIC (the _timeout variants). */
	err = e1k_irq_cond_init_mono(&p->work_cv);
	if (err) {
		pthread_mutex_destroy(&p->lock);
		free(p->workers);
		free(p);
		return err;
	}
	err = e1k_irq_cond_init_mono(&p->idle_cv);
	if (err) {
		pthread_cond_destroy(&p->work_cv);
		pthread_mutex_destroy(&p->lock);
		free(p->workers);
		free(p);
		return err;
	}

	for (i = 0; i < workers; i++) {
		struct dpc_worker *w = &p->workers[i];
		char suffix[12];

		w->pool = p;
		w->index = i;
		err = -pthread_create(&w->tid, NULL, dpc_worker_main, w);
		if (err)
			break;
		w->started = true;
		snprintf(suffix, sizeof(suffix), "-dpc%u", i);
		e1k_irq_name_thread(w->tid, p->name, suffix);
	}
	if (err) {
		/* Unwind the workers that did start: same drain/STOP/join path. */
		pthread_mutex_lock(&p->lock);
		atomic_store_explicit(&p->phase, DPC_POOL_DRAINING, memory_order_relaxed);
		p->stopping = true;
		__dpc_stop_workers(p);
		pthread_mutex_unlock(&p->lock);
		dpc_pool_free(p);
		return err;
	}
	*out = p;
	return 0;
}

void dpc_pool_destroy(struct dpc_pool *p)
{
	if (!p)
		return;
	if (called_from_pool(p))
		return;     /* cannot free the pool under our own feet; see dpc.h */
	dpc_pool_stop(p);
	dpc_pool_free(p);
}

void dpc_pool_get_stats(struct dpc_pool *p, struct dpc_pool_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!p)
		return;
	st->queued = atomic_load_explicit(&p->st_queued, memory_order_relaxed);
	st->runs = atomic_load_explicit(&p->st_runs, memory_order_relaxed);
	st->rejected = atomic_load_explicit(&p->st_rejected, memory_order_relaxed);
	st->runs_after_stop = atomic_load_explicit(&p->st_runs_after_stop, memory_order_relaxed);
	st->max_concurrency_violations = atomic_load_explicit(&p->st_violations,
	                                                      memory_order_relaxed);
	st->inline_runs = atomic_load_explicit(&p->st_inline_runs, memory_order_relaxed);
}

bool dpc_pool_is_stopping(struct dpc_pool *p)
{
	return p && atomic_load_explicit(&p->phase, memory_order_acquire) != DPC_POOL_ACCEPTING;
}
