/* SPDX-License-Identifier: MIT */
/*
 * dpc.h - deferred procedure calls: a pool of worker threads that runs DPC
 * objects queued from any context (the ISR included).
 *
 * Lifecycle:
 *   dpc_init(d)                       once per DPC object, before its first queue
 *   dpc_pool_create()                 starts the workers
 *     dpc_queue() / dpc_wait_idle() / dpc_flush()   any number of times
 *   dpc_pool_stop()                   refuse new queues, run what is queued,
 *                                     STOP/STOPPED handshake with each worker, join
 *   dpc_pool_destroy()                stop if needed, free
 *
 * Guarantees (the NDIS DPC contract the driver relies on):
 *   - A DPC is queued at most once: queueing a queued DPC is a no-op (false).
 *   - A DPC never runs concurrently with itself, whatever the number of
 *     workers.  If it is queued while it runs, it runs exactly once more after
 *     the current run returns (it goes back to the tail of the queue, so a DPC
 *     that keeps requeueing itself cannot starve the others).
 *   - Every dpc_queue() that returned true is followed by a run that starts
 *     after the call.  Whatever dpc_queue() returned (unless the pool
 *     refused it), a run starts after the call, and everything the caller
 *     wrote before the call is visible to that run: the queue and the
 *     worker's pick-up are ordered by the pool mutex.
 *   - Different DPCs run in parallel on different workers.
 *   - After dpc_pool_stop() returns, no DPC of the pool runs or will run.
 *
 * Inline runs (one wake-up from interrupt to DPC): a thread that dispatches
 * interrupts -- the interrupt thread, irq_thread.c -- brackets its handler
 * calls with dpc_inline_begin() and dpc_inline_run().  In between, dpc_queue()
 * called on that thread (the ISR) *claims* an IDLE DPC instead of waking a
 * worker: IDLE -> RUNNING at once, under the pool mutex, counted as running;
 * dpc_inline_run() then runs the claimed DPCs on the calling thread, in the
 * order claimed, after every handler of the round returned.  Only IDLE DPCs
 * are claimed: one running on a worker is requeued as always (its worker
 * runs it again), one already on the FIFO stays there (a worker was woken
 * for it).  The guarantees above hold for inline runs unchanged:
 *   - never concurrent with itself: a claimed DPC is RUNNING from the claim,
 *     so no worker can pick it and a queue from any thread meanwhile only
 *     sets REQUEUED; when the inline run returns, __dpc_finish puts it on the
 *     FIFO (a worker runs it: the interrupt thread goes back to its vectors;
 *     this is also where a DPC requeueing itself out of budget, or a
 *     return_rx refill queued during the run, goes);
 *   - a queue that returned true is followed by a run that starts after it
 *     (the claimed run starts after the handler returned; a second queue of
 *     a claimed DPC on the claiming thread returns false: the claimed run
 *     is still ahead);
 *   - flush / wait_idle / dpc_pool_stop wait for a claimed or inline-running
 *     DPC as for a worker's: it is in `running` from the claim to the finish.
 *     So a halt that stops the interrupt thread (join) and then flushes or
 *     stops the pool has, once both returned, no ISR and no DPC running or
 *     to come, whichever thread would have run it;
 *   - a pool that is draining or stopped refuses the claim as any queue.
 * Inside an inline run the thread counts as a worker of that pool (wait_idle
 * on itself returns, flush/stop/destroy behave as from a worker).  Between
 * begin and run the claimed DPCs cannot start: waiting for them there would
 * wait for ourselves (flush/stop/destroy act as from a worker, wait_idle on a
 * claimed DPC returns at once, its _timeout variant -EDEADLK).
 *
 * State machine of a DPC (d->state: changed by compare-and-swap with the
 * pool mutex held; read without it by dpc_state()):
 *
 *     IDLE --queue--> QUEUED --worker picks--> RUNNING --fn returns--> IDLE
 *       |                                        |  ^
 *       +--queue on an inline thread (claim)---->+  | fn returns: back on the
 *                                          queue |  | queue (FIFO) as QUEUED
 *                                                v  |
 *                                        RUNNING|REQUEUED
 *
 * Threading: workers block on a condition variable when there is nothing to
 * do (no spinning); an inline run happens on the dispatching thread.  Each worker calls hooks->on_start first and
 * hooks->on_stop last.  A DPC function runs with no lock of the pool held and
 * may queue any DPC, itself included.
 *
 * Object lifetime: a struct dpc must stay valid while it is queued or running;
 * dpc_wait_idle() (or dpc_flush / dpc_pool_stop) tells the owner when it may
 * free it.
 */
#ifndef E1K_IRQ_DPC_H
#define E1K_IRQ_DPC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "container_of.h"
#include "thread_hooks.h"

/* Values of struct dpc::state (bit flags; REQUEUED only together with RUNNING). */
#define DPC_STATE_IDLE     0u
#define DPC_STATE_QUEUED   1u   /* on the pool's queue, waiting for a worker */
#define DPC_STATE_RUNNING  2u   /* a worker is inside fn */
#define DPC_STATE_REQUEUED 4u   /* RUNNING, and queued again: runs once more */

#define DPC_POOL_MAX_WORKERS 64u

struct dpc;                          /* embed in your object; use container_of in fn */
typedef void (*dpc_fn)(struct dpc *d);

struct dpc {
	dpc_fn fn;
	const char *name;
	_Atomic unsigned state;          /* DPC_STATE_*; written under the pool mutex */
	struct dpc *next;                /* queue link; pool mutex */
	atomic_ulong runs;               /* completed runs (relaxed) */
	/* private */
	atomic_uint inflight;            /* workers inside fn: 0 or 1, else a violation */
	struct dpc_pool *pool;           /* pool it was last queued on (pool mutex) */
};

struct dpc_pool;

struct dpc_pool_stats {
	uint64_t queued;                 /* dpc_queue calls that returned true */
	uint64_t runs;                   /* DPC runs completed */
	uint64_t rejected;               /* dpc_queue refused: pool draining or stopped */
	uint64_t runs_after_stop;        /* runs begun after the pool stopped: 0 by construction */
	uint64_t max_concurrency_violations; /* a DPC found running twice at once: 0 by construction */
	uint64_t inline_runs;            /* of runs, those made inline (dpc_inline_run) */
};

/* At most this many DPCs claimed per round; further queues of the round go
 * to the FIFO as usual. */
#define DPC_INLINE_MAX 4u

/* The claims of one dispatch round (on the stack of the dispatching thread). */
struct dpc_inline {
	unsigned n;
	struct {
		struct dpc_pool *pool;
		struct dpc *d;
	} e[DPC_INLINE_MAX];
};

/*
 * dpc_init - prepare a DPC object (IDLE, no runs).
 * Context: any, while the object is not queued or running.  Locks: none.
 */
void dpc_init(struct dpc *d, const char *name, dpc_fn fn);

/*
 * dpc_pool_create - start @workers worker threads named "<name>-dpcN"
 * (truncated to 15 characters).
 * Returns 0 and *out, or -EINVAL (workers not in 1..64, NULL args), -ENOMEM,
 * or the pthread error negated; on failure nothing is left behind and *out is
 * NULL.
 * Context: control.  May block: while threads start.
 */
int dpc_pool_create(unsigned workers, const char *name,
                    const struct e1k_thread_hooks *hooks, struct dpc_pool **out);

/*
 * dpc_queue - queue @d on @p.
 * Returns true when this call queued it (IDLE -> QUEUED, or RUNNING ->
 * RUNNING|REQUEUED); false when it was already queued, or when the pool is
 * draining or stopped (then counted in stats.rejected).
 * Between dpc_inline_begin and dpc_inline_run an IDLE DPC is claimed for an
 * inline run instead (true); a DPC this thread already claimed: false.
 * Context: any, the ISR and DPCs included.  Locks: takes the pool mutex
 * briefly (never held while a DPC runs).  May block: no.
 */
bool dpc_queue(struct dpc_pool *p, struct dpc *d);

/*
 * dpc_wait_idle - wait until @d is neither queued nor running on @p; then its
 * owner may free it (unless something queues it again).
 * Called from @d's own run it returns at once (it cannot wait for itself).
 * From another DPC of @p prefer the _timeout variant: if every worker waited
 * for a DPC still on the queue, none would be left to run it.
 * Context: control, or DPC (see above).  May block: until the DPC's current
 * and queued runs return.
 */
void dpc_wait_idle(struct dpc_pool *p, struct dpc *d);
/* Bounded variant: 0, or -ETIMEDOUT after timeout_ns; -EDEADLK when this
 * thread claimed @d and its inline run is still ahead. */
int dpc_wait_idle_timeout(struct dpc_pool *p, struct dpc *d, uint64_t timeout_ns);

/*
 * dpc_flush - wait until no DPC is queued or running on @p (new queues made
 * meanwhile are waited for too; inline runs, claimed or running, are waited
 * for as a worker's).  Called from a DPC of @p, or from a thread holding an
 * inline claim on @p, it returns at once: it would wait for itself.
 * Context: control.  May block: yes.
 */
void dpc_flush(struct dpc_pool *p);
/* Bounded variant: 0, -ETIMEDOUT after timeout_ns, -EDEADLK from a DPC of @p
 * (or with an inline claim on @p). */
int dpc_flush_timeout(struct dpc_pool *p, uint64_t timeout_ns);

/*
 * dpc_pool_stop - refuse new queues (they count as rejected), run every DPC
 * already queued (a requeue made before the stop counts as queued), then tell
 * each worker STOP, wait for its STOPPED and join it.  Idempotent; safe on
 * NULL.  After it returns no DPC of the pool runs or will run.
 * Called from a DPC of @p it only starts the drain (it cannot join itself);
 * the owner's dpc_pool_stop/destroy from the control context finishes it.
 * Context: control.  May block: until the queued DPCs ran.
 */
void dpc_pool_stop(struct dpc_pool *p);

/*
 * dpc_pool_destroy - stop if needed, then free.  Accepts NULL.
 * Context: control.  Called from a DPC of @p it does nothing (the pool cannot
 * be freed under its own worker).  May block: as dpc_pool_stop.
 */
void dpc_pool_destroy(struct dpc_pool *p);

/*
 * dpc_inline_begin - from now on, dpc_queue() called on this thread claims
 * IDLE DPCs into @il (see "Inline runs" above).  One @il per thread at a time.
 * Context: the thread that will call dpc_inline_run (the interrupt thread),
 * outside any DPC run.  Locks: none.  May block: no.
 */
void dpc_inline_begin(struct dpc_inline *il);

/*
 * dpc_inline_run - stop claiming, then run each DPC claimed into @il on the
 * calling thread and finish it (IDLE, or onto the FIFO when it was queued
 * during the run).  Every claimed DPC runs, also when its pool began to stop
 * after the claim (the stop waits for it).  Returns how many ran.
 * Context: the thread that called dpc_inline_begin(@il).  Locks: the pool
 * mutex briefly after each run, never during one.  May block: as the DPCs do.
 */
unsigned dpc_inline_run(struct dpc_inline *il);

/* Context: any.  Locks: none (relaxed counters: a snapshot, not a cut). */
void dpc_pool_get_stats(struct dpc_pool *p, struct dpc_pool_stats *st);

/* True once dpc_pool_stop() began: queues are refused.  Context: any. */
bool dpc_pool_is_stopping(struct dpc_pool *p);

/* Current state of @d (DPC_STATE_* bits); a snapshot.  Context: any. */
static inline unsigned dpc_state(const struct dpc *d)
{
	return atomic_load_explicit(&d->state, memory_order_acquire);
}

#endif /* E1K_IRQ_DPC_H */
