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
 * Stop guarantee: irq_thread_stop() sets the `stopping` flag before it writes
 * the control eventfd, the thread checks that flag before every handler call,
 * and stop returns only after the join.  So once stop returned no handler is
 * running or will run, and an interrupt storm on a source cannot delay the
 * stop by more than one handler call.  The stats count handler calls made
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
