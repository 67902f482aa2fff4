/* SPDX-License-Identifier: MIT */
/*
 * irq_thread.h - the interrupt thread: epoll over the interrupt eventfds (one
 * per VFIO vector, plus the REQ eventfd) and a control eventfd.
 *
 * Lifecycle:
 *   irq_thread_create()     epoll instance + control eventfd; not started
 *   irq_thread_add() * n    register sources (at most IRQ_THREAD_MAX_SOURCES)
 *   irq_thread_start()      start the thread; sources are fixed from now on
 *   irq_thread_stop()       write the control eventfd, join
 *   irq_thread_destroy()    stop if needed, close epoll + control eventfd
 *
 * Dispatch: when a source eventfd is readable the thread reads it (8 bytes,
 * which resets the counter: several signals since the last read coalesce into
 * one handler call, as on real hardware where the ISR reads ICR once) and
 * calls its handler with no lock held.  Handlers run one at a time, on the
 * interrupt thread only.  The control eventfd means stop.
 *
 * DPCs inline (default; irq_thread_set_dpc_inline): each round of handler
 * calls (one epoll_wait's worth) is bracketed by dpc_inline_begin and
 * dpc_inline_run (dpc.h), so a DPC a handler queues while it is IDLE is run
 * by this thread right after the round's handlers returned, instead of by a
 * pool worker woken for it: one wake-up from the interrupt to the DPC, not
 * two.  ISR first, DPC after: the run starts once every handler of the round
 * returned.  A DPC already running on a worker is requeued there; one queued
 * again during the inline run (by the DPC itself out of budget, or from
 * another thread) goes to the pool's FIFO when the run returns, and a worker
 * runs it while this thread goes back to epoll_wait.  While an inline DPC
 * runs, signals on the sources accumulate in their eventfds and are
 * dispatched when it returns (nothing is lost, the handler and then the DPC
 * run again); this thread does not service its vectors meanwhile.  That is
 * what the ISR contract allows: it masks the device (IMC) before queueing the
 * DPC, and only the DPC's IMS write lets the device interrupt again, so the
 * device's vectors are quiet while its DPC runs.  What waits: the REQ
 * (removal request) handler and stop, by one DPC run.  A DPC that never
 * returns therefore also stops this thread (and a stop's join) -- as it
 * stopped the halt's DPC flush before.  Handlers must not wait for a DPC
 * they queued (its inline run comes after them): dpc_wait_idle on it returns
 * at once (-EDEADLK bounded), dpc_flush from a handler returns at once.
 *
 * Stop guarantee: irq_thread_stop() sets the `stopping` flag before it writes
 * the control eventfd, the thread checks that flag before every handler call,
 * and stop returns only after the join.  So once stop returned no handler is
 * running or will run, nor any inline DPC run of this thread (the DPCs the
 * last round claimed run before the thread leaves: the join waits for them;
 * later queues of those DPCs are the pool's, which its flush/stop cover), and
 * an interrupt storm on a source cannot delay the stop by more than one round
 * of handler calls and its DPC runs.  The stats count handler calls made
 * while stopping/stopped (after_stop): 0 by construction.
 *
 * The thread calls hooks->on_start first and hooks->on_stop last.
 * Ownership: the source eventfds belong to the caller (irq_thread_add sets
 * O_NONBLOCK on them; destroy does not close them).
 */
#ifndef E1K_IRQ_THREAD_H
#define E1K_IRQ_THREAD_H

#include <stdbool.h>
#include <stdint.h>

#include "thread_hooks.h"

#define IRQ_THREAD_MAX_SOURCES 16u

typedef void (*irq_handler_fn)(void *ctx, uint32_t vector);
struct irq_thread;

struct irq_thread_stats {
	uint64_t wakeups;      /* epoll_wait returns with events */
	uint64_t dispatched;   /* handler calls */
	uint64_t spurious;     /* readable but the read found nothing (EAGAIN) */
	uint64_t signals;      /* sum of the eventfd counters read (>= dispatched) */
	uint64_t errors;       /* failed reads / epoll_wait other than EINTR/EAGAIN */
	uint64_t after_stop;   /* handler calls after stop began: 0 by construction */
	uint64_t dpc_runs;     /* DPCs run inline on this thread */
};

/*
 * irq_thread_create - epoll instance and control eventfd; the thread is not
 * started.  Returns 0, -EINVAL, -ENOMEM or -errno of epoll/eventfd; *out is
 * NULL on failure with nothing left open.
 * Context: control.
 */
int irq_thread_create(const char *name, const struct e1k_thread_hooks *hooks,
                      struct irq_thread **out);

/*
 * irq_thread_add - register eventfd @efd: when it signals, fn(ctx, vector)
 * runs on the interrupt thread.  Sets O_NONBLOCK on @efd.
 * Returns 0, -EINVAL (bad fd, NULL fn), -EBUSY (already started or stopped),
 * -ENOSPC (16 sources already), -EEXIST (efd already added) or -errno.
 * Context: control, before irq_thread_start.
 */
int irq_thread_add(struct irq_thread *it, int efd, irq_handler_fn fn, void *ctx,
                   uint32_t vector);

/*
 * irq_thread_set_dpc_inline - whether DPCs queued by the handlers run on this
 * thread (true, the default) or are all left to the pool's workers (false:
 * two wake-ups per interrupt, kept for comparison and tests).
 * Returns 0, -EINVAL, or -EBUSY once started or stopped.
 * Context: control, before irq_thread_start.
 */
int irq_thread_set_dpc_inline(struct irq_thread *it, bool on);

/*
 * irq_thread_start - start the thread, named "<name>-irq".
 * Returns 0, -ESHUTDOWN once stop began, -EBUSY if already started, or a
 * negated pthread error.  Context: control.
 */
int irq_thread_start(struct irq_thread *it);

/*
 * irq_thread_stop - stop the thread and join it.  After it returns no handler
 * is running or will run.  Idempotent; accepts NULL and an unstarted thread
 * (which then cannot be started).  Called from a handler it cannot join its
 * own thread: it only requests the stop (no handler runs after the calling
 * one returns); the owner's stop/destroy joins.
 * Context: control.  May block: until the running handler returns.
 */
void irq_thread_stop(struct irq_thread *it);

/*
 * irq_thread_destroy - stop if needed, close the epoll fd and the control
 * eventfd (not the source fds), free.  Accepts NULL.
 * Context: control (from a handler it does nothing).
 */
void irq_thread_destroy(struct irq_thread *it);

/* True once irq_thread_stop() began (no handler call starts after that).
 * Context: any. */
bool irq_thread_is_stopping(struct irq_thread *it);

/* Context: any (relaxed counters: a snapshot). */
void irq_thread_get_stats(struct irq_thread *it, struct irq_thread_stats *st);

#endif /* E1K_IRQ_THREAD_H */
