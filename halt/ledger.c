/* SPDX-License-Identifier: MIT */
#include "ledger.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"

void ledger_init(struct ledger *l)
{
	memset(l, 0, sizeof(*l));
}

int ledger_acquired(struct ledger *l, enum ledger_kind kind, unsigned group,
                    const char *name, ledger_release_fn release, void *arg)
{
	struct ledger_entry *e;

	if (l->count >= LEDGER_MAX)
		return -ENOSPC;
	l->stack[l->top++] = l->count;
	e = &l->e[l->count++];
	e->kind = kind;
	e->group = group;
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->release = release;
	e->arg = arg;
	e->acquired_ns = e1k_now_ns();
	e->released_ns = 0;
	l->acquired++;
	return 0;
}

static void release_top(struct ledger *l)
{
	struct ledger_entry *e = &l->e[l->stack[--l->top]];

	if (e->release)
		e->release(e->arg);
	e->released_ns = e1k_now_ns();
	l->released++;
}

unsigned ledger_release_top(struct ledger *l, unsigned group)
{
	unsigned n = 0;

	while (l->top > 0 && l->e[l->stack[l->top - 1]].group == group) {
		release_top(l);
		n++;
	}
	return n;
}

unsigned ledger_release_all(struct ledger *l)
{
	unsigned n = 0;

	while (l->top > 0) {
		release_top(l);
		n++;
	}
	return n;
}

void ledger_forget_top(struct ledger *l)
{
	if (l->top > 0) {
		l->e[l->stack[--l->top]].released_ns = e1k_now_ns();
		l->released++;
	}
}

unsigned ledger_outstanding(const struct ledger *l)
{
	return l->top;
}

unsigned ledger_held_in_group(const struct ledger *l, unsigned group)
{
	unsigned n = 0;

	for (unsigned i = 0; i < l->top; i++)
		if (l->e[l->stack[i]].group == group)
			n++;
	return n;
}

bool ledger_holds(const struct ledger *l, enum ledger_kind kind)
{
	for (unsigned i = 0; i < l->top; i++)
		if (l->e[l->stack[i]].kind == kind)
			return true;
	return false;
}

const char *ledger_kind_name(enum ledger_kind k)
{
	static const char *const names[LEDGER_KIND_COUNT] = {
		[LEDGER_DEVICE] = "device", [LEDGER_CONFIG] = "config",
		[LEDGER_DMA] = "dma",       [LEDGER_POOL] = "pool",
		[LEDGER_RING] = "ring",     [LEDGER_TIMER] = "timer",
		[LEDGER_THREAD] = "thread", [LEDGER_EVENTFD] = "eventfd",
		[LEDGER_IRQ] = "irq",       [LEDGER_TAP] = "tap",
		[LEDGER_SOCKET] = "socket",
	};

	return (unsigned)k < LEDGER_KIND_COUNT ? names[k] : "?";
}

void ledger_fini(struct ledger *l)
{
	ledger_release_all(l);
}
