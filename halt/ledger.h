/* SPDX-License-Identifier: MIT */
/*
 * ledger.h - the resource ledger: every acquisition, with its release.
 *
 * Lifecycle:  ledger_init -> ledger_acquired ... -> ledger_release_* -> ledger_fini
 *
 * Initialize records each resource right after acquiring it, together with the
 * function that gives it back, tagged with the halt stage that releases it.
 * Teardown (an init unwind or the halt) releases strictly from the top of the
 * stack, so the order is the reverse of acquisition by construction: a stage
 * releases the entries of its own group that are on top and stops at the
 * first that is not; an entry of the group left below the top
 * (ledger_held_in_group) is an ordering error the halt reports, never a
 * release out of order.
 *
 * Threading: one control thread at a time (the adapter's control lock);
 * counters may be read from any thread.
 */
#ifndef E1K_LEDGER_H
#define E1K_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ledger_kind {
	LEDGER_DEVICE,     /* device handle: fds, BAR mapping */
	LEDGER_CONFIG,     /* a config-space change (bus master, memory decoding) */
	LEDGER_DMA,        /* a DMA region (mapped in the IOMMU) */
	LEDGER_POOL,       /* the packet buffer pool */
	LEDGER_RING,       /* a descriptor ring */
	LEDGER_TIMER,      /* timer service or a timer */
	LEDGER_THREAD,     /* a worker thread or pool */
	LEDGER_EVENTFD,    /* an interrupt eventfd */
	LEDGER_IRQ,        /* an interrupt registration (VFIO trigger) */
	LEDGER_TAP,        /* a TAP device */
	LEDGER_SOCKET,     /* a socket (control, netlink) */
	LEDGER_KIND_COUNT
};

typedef void (*ledger_release_fn)(void *arg);

struct ledger_entry {
	enum ledger_kind  kind;
	unsigned          group;         /* who releases it: the halt stage id */
	char              name[40];
	ledger_release_fn release;
	void             *arg;
	uint64_t          acquired_ns;
	uint64_t          released_ns;   /* 0 while held */
};

#define LEDGER_MAX 128

struct ledger {
	struct ledger_entry e[LEDGER_MAX];  /* append-only history, for the report */
	unsigned count;                     /* entries recorded */
	unsigned stack[LEDGER_MAX];         /* indexes into e[] of held entries */
	unsigned top;                       /* stack[0, top) are held */
	uint64_t acquired, released;
};

void ledger_init(struct ledger *l);
/* Record an acquisition.  -ENOSPC when the ledger is full: the caller must then
 * release the resource itself (it was not recorded). */
int  ledger_acquired(struct ledger *l, enum ledger_kind kind, unsigned group,
                     const char *name, ledger_release_fn release, void *arg);
/* Release every held entry on top of the stack whose group is `group`,
 * stopping at the first one that is not.  Returns how many were released. */
unsigned ledger_release_top(struct ledger *l, unsigned group);
/* Held entries of `group` that are not on top (an ordering violation). */
unsigned ledger_held_in_group(const struct ledger *l, unsigned group);
/* Release everything, top first. */
unsigned ledger_release_all(struct ledger *l);
/* Drop the top entry without calling its release (the owner released it). */
void ledger_forget_top(struct ledger *l);
unsigned ledger_outstanding(const struct ledger *l);
/* Is an entry of this kind held anywhere below the top? */
bool ledger_holds(const struct ledger *l, enum ledger_kind kind);
const char *ledger_kind_name(enum ledger_kind k);
void ledger_fini(struct ledger *l);


#endif /* E1K_LEDGER_H */
