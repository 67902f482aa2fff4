/* SPDX-License-Identifier: MIT */
/*
 * vfio_sigbus.c - the SIGBUS guard of the VFIO backend (vfio.h, "Surprise
 * removal"): a fixed process-wide table of registered BAR mappings and the
 * SA_SIGINFO handler that, on a fault inside one, swaps the whole range for
 * all-ones pages so the retried load reads 0xffffffff.
 *
 * Locks: guard_lock (process) guards slot allocation and the handler install.
 * The handler takes no lock and allocates nothing: it uses only the slots'
 * atomics, mmap, memset and mremap.
 */
#include "vfio_internal.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>

#include "clock.h"

/*
 * Slot states.  FREE -> BUSY (add, under guard_lock) -> LIVE; a fault moves
 * LIVE -> REPLACING (the faulting thread owns the slot) -> REPLACED; remove
 * moves LIVE/REPLACED -> BUSY -> FREE and waits while REPLACING, so the
 * range is never unmapped (or reused by another mmap) under a handler that is
 * about to mremap over it.
 */
enum { SLOT_FREE, SLOT_BUSY, SLOT_LIVE, SLOT_REPLACING, SLOT_REPLACED };
#define GUARD_SLOTS             16
/* A range still faulting after it was replaced is not ours to fix: after
 * this many, hand the fault on rather than loop forever. */
#define GUARD_MAX_REFAULTS      1024u

struct guard_slot {
	atomic_uintptr_t base;
	atomic_size_t    len;
	atomic_int       state;
	atomic_ulong     faults;
	atomic_uint      refaults;
};

_Static_assert(ATOMIC_POINTER_LOCK_FREE == 2 && ATOMIC_INT_LOCK_FREE == 2 &&
               ATOMIC_LONG_LOCK_FREE == 2, "the SIGBUS handler needs lock-free atomics");

static struct guard_slot guard[GUARD_SLOTS];
static pthread_mutex_t guard_lock = PTHREAD_MUTEX_INITIALIZER;
static bool guard_installed;            /* under guard_lock */
/* Written once under guard_lock before sigaction installs the handler (the
 * syscall orders it before any delivery); read only by the handler. */
static struct sigaction guard_prev;

/* Hand a fault that is not ours to whoever had SIGBUS before us. */
static void guard_chain(int sig, siginfo_t *si, void *uc)
{
	struct sigaction dfl;

	if (guard_prev.sa_flags & SA_SIGINFO) {
		if (guard_prev.sa_sigaction) {
			guard_prev.sa_sigaction(sig, si, uc);
			return;
		}
	} else if (guard_prev.sa_handler != SIG_DFL && guard_prev.sa_handler != SIG_IGN) {
		guard_prev.sa_handler(sig);
		return;
	}
	/* Default action (SIG_IGN cannot hold for a fault either): restore it and
	 * re-raise; we run with SA_NODEFER, so it is delivered at once. */
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	sigaction(sig, &dfl, NULL);
	raise(sig);
}

/* Replace [base, base+len) by private anonymous pages of all ones, in one
 * step: build them elsewhere, then mremap over the range, so no other thread
 * ever sees a page that is neither the BAR nor all ones. */
static bool guard_replace(uintptr_t base, size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return false;
	memset(p, 0xff, len);
	if (mremap(p, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)base) == MAP_FAILED) {
		munmap(p, len);
		return false;
	}
	return true;
}

static void guard_handler(int sig, siginfo_t *si, void *uc)
{
	int saved_errno = errno;
	uintptr_t a = (uintptr_t)si->si_addr;

	/* si_code <= 0: sent by kill/raise/sigqueue; si_addr means nothing. */
	if (si->si_code > 0) {
		for (unsigned i = 0; i < GUARD_SLOTS; i++) {
			struct guard_slot *s = &guard[i];
			/* Acquire: pairs with the release store of LIVE in add, so
			 * base and len read below are the slot's. */
			int st = atomic_load_explicit(&s->state, memory_order_acquire);
			uintptr_t base;
			size_t len;

			if (st < SLOT_LIVE)
				continue;
			base = atomic_load_explicit(&s->base, memory_order_relaxed);
			len = atomic_load_explicit(&s->len, memory_order_relaxed);
			if (a < base || a - base >= len)
				continue;
			atomic_fetch_add_explicit(&s->faults, 1, memory_order_relaxed);
			if (st == SLOT_LIVE) {
				int exp = SLOT_LIVE;

				if (!atomic_compare_exchange_strong_explicit(&s->state, &exp, SLOT_REPLACING,
				                                             memory_order_acq_rel,
				                                             memory_order_acquire)) {
					/* Another thread got there first (or remove did):
					 * retry the access; it faults again until done. */
					errno = saved_errno;
					return;
				}
				if (!guard_replace(base, len)) {
					atomic_store_explicit(&s->state, SLOT_LIVE, memory_order_release);
					break;  /* cannot recover: let the process die */
				}
				/* Release: pairs with remove's acquire wait. */
				atomic_store_explicit(&s->state, SLOT_REPLACED, memory_order_release);
			} else if (st == SLOT_REPLACED &&
			           atomic_fetch_add_explicit(&s->refaults, 1, memory_order_relaxed) >=
			           GUARD_MAX_REFAULTS) {
				break;
			}
			/* REPLACING (another thread is at it) or REPLACED (a fault
			 * raised before the swap): return and retry the access. */
			errno = saved_errno;
			return;
		}
	}
	errno = saved_errno;
	guard_chain(sig, si, uc);
}

static int guard_install_locked(void)
{
	struct sigaction sa;

	if (guard_installed)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = guard_handler;
	sigemptyset(&sa.sa_mask);
	/* SA_NODEFER: the handler we chain to (e1kd's fatal handler) runs the
	 * backend's emergency stop, which may touch a dead BAR: that nested
	 * fault must reach us too, not kill the process half-way. */
	sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK | SA_RESTART;
	if (sigaction(SIGBUS, NULL, &guard_prev) < 0 || sigaction(SIGBUS, &sa, NULL) < 0)
		return -errno;
	guard_installed = true;
	return 0;
}

int hal_vfio_bar_guard_add(void *base, size_t len)
{
	int rc, slot = -ENOSPC;

	if (!base || len == 0 || ((uintptr_t)base % VFIO_PAGE) || (len % VFIO_PAGE))
		return -EINVAL;
	pthread_mutex_lock(&guard_lock);
	rc = guard_install_locked();
	for (int i = 0; rc == 0 && i < GUARD_SLOTS; i++) {
		int exp = SLOT_FREE;

		if (atomic_compare_exchange_strong_explicit(&guard[i].state, &exp, SLOT_BUSY,
		                                            memory_order_acquire, memory_order_relaxed)) {
			atomic_store_explicit(&guard[i].base, (uintptr_t)base, memory_order_relaxed);
			atomic_store_explicit(&guard[i].len, len, memory_order_relaxed);
			atomic_store_explicit(&guard[i].faults, 0, memory_order_relaxed);
			atomic_store_explicit(&guard[i].refaults, 0, memory_order_relaxed);
			/* Release: publishes base/len to the handler's acquire load. */
			atomic_store_explicit(&guard[i].state, SLOT_LIVE, memory_order_release);
			slot = i;
			break;
		}
	}
	pthread_mutex_unlock(&guard_lock);
	return rc < 0 ? rc : slot;
}

void hal_vfio_bar_guard_remove(int slot)
{
	struct guard_slot *s;
	uint64_t deadline;

	if (slot < 0 || slot >= GUARD_SLOTS)
		return;
	s = &guard[slot];
	/* A replacement in progress belongs to a thread inside the handler; it
	 * finishes in a few syscalls.  Bounded: 1 s, then take the slot anyway
	 * (the caller is closing a device other threads still use: a bug). */
	deadline = e1k_deadline_ms(1000);
	for (;;) {
		int st = atomic_load_explicit(&s->state, memory_order_acquire);

		if (st == SLOT_FREE || st == SLOT_BUSY)
			return;
		if (st != SLOT_REPLACING || e1k_passed(deadline)) {
			if (atomic_compare_exchange_strong_explicit(&s->state, &st, SLOT_BUSY,
			                                            memory_order_acq_rel,
			                                            memory_order_relaxed))
				break;
			continue;
		}
		e1k_sleep_ns(1000000);
	}
	atomic_store_explicit(&s->state, SLOT_FREE, memory_order_release);
}

uint64_t hal_vfio_bar_guard_faults(int slot)
{
	if (slot < 0 || slot >= GUARD_SLOTS)
		return 0;
	return atomic_load_explicit(&guard[slot].faults, memory_order_relaxed);
}

bool vfio_guard_replaced(int slot)
{
	return slot >= 0 && slot < GUARD_SLOTS &&
	       atomic_load_explicit(&guard[slot].state, memory_order_acquire) == SLOT_REPLACED;
}
