/* SPDX-License-Identifier: MIT */
/*
 * halt_report.c - a halt report document read back into struct
 * e1k_halt_report and checked against the halt contract.
 *
 * Names are turned back into enums by comparing with the functions that
 * wrote them (e1k_halt_stage_name, e1k_stage_result_name, e1k_state_name,
 * e1k_halt_reason_name, ledger_kind_name), so this file holds no copy of any
 * name table and cannot drift from the writer.
 */
#include "halt_report.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger.h"
#include "reasons.h"
#include "stages.h"
#include "states.h"

static void problem(struct e1k_report_problems *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void problem(struct e1k_report_problems *p, const char *fmt, ...)
{
	va_list ap;

	if (p->n < E1K_REPORT_MAX_PROBLEMS) {
		va_start(ap, fmt);
		vsnprintf(p->line[p->n], sizeof(p->line[0]), fmt, ap);
		va_end(ap);
	}
	p->n++;
}

typedef const char *(*name_fn)(int v);

static const char *reason_name(int v) { return e1k_halt_reason_name((enum e1k_halt_reason)v); }
static const char *state_name(int v) { return e1k_state_name((enum e1k_state)v); }
static const char *result_name(int v) { return e1k_stage_result_name((enum e1k_stage_result)v); }
static const char *stage_name(int v) { return e1k_halt_stage_name((enum e1k_halt_stage)v); }
static const char *kind_name(int v) { return ledger_kind_name((enum ledger_kind)v); }

/* The value in [0, count) whose name is s, or -1. */
static int name_index(name_fn fn, int count, const char *s)
{
	for (int v = 0; s && v < count; v++)
		if (!strcmp(fn(v), s))
			return v;
	return -1;
}

/* A string member; a problem (and NULL) when it is missing or not a string. */
static const char *need_str(const struct jr_node *o, const char *where, const char *key,
                            struct e1k_report_problems *p)
{
	const char *s = jr_get_str(o, key);

	if (!s)
		problem(p, "%s%s: missing or not a string", where, key);
	return s;
}

static uint64_t need_u64(const struct jr_node *o, const char *where, const char *key,
                         struct e1k_report_problems *p)
{
	uint64_t v;

	if (jr_get_u64(o, key, &v))
		return v;
	problem(p, "%s%s: missing or not a number", where, key);
	return 0;
}

/* A member naming one of count values (fn's names); -1 (and a problem) otherwise. */
static int need_name(const struct jr_node *o, const char *where, const char *key, name_fn fn,
                     int count, struct e1k_report_problems *p)
{
	const char *s = need_str(o, where, key, p);
	int v = name_index(fn, count, s);

	if (s && v < 0)
		problem(p, "%s%s: unknown value '%s'", where, key, s);
	return v;
}

static void read_stages(const struct jr_node *arr, struct e1k_halt_report *rep,
                        bool present[E1K_HS_COUNT], struct e1k_report_problems *p)
{
	size_t k = 0;

	if (!arr || arr->type != JR_ARR) {
		problem(p, "stages: missing or not an array");
		return;
	}
	for (const struct jr_node *el = arr->child; el; el = el->next, k++) {
		const char *name = jr_get_str(el, "name");
		int i = name_index(stage_name, E1K_HS_COUNT, name);
		struct e1k_stage_report *s;
		char where[64];
		const char *d;
		int r;

		if (i < 0) {
			problem(p, "stages[%zu]: unknown stage '%s'", k, name ? name : "(no name)");
			continue;
		}
		if (present[i]) {
			problem(p, "stage %s: listed twice", name);
			continue;
		}
		present[i] = true;
		s = &rep->stages[i];
		snprintf(where, sizeof(where), "stage %s: ", name);
		r = need_name(el, where, "result", result_name, E1K_SR_ERROR + 1, p);
		s->result = r < 0 ? E1K_SR_OK : (enum e1k_stage_result)r;
		s->start_ns = need_u64(el, where, "start_ns", p);
		s->end_ns = need_u64(el, where, "end_ns", p);
		d = need_str(el, where, "detail", p);
		snprintf(s->detail, sizeof(s->detail), "%s", d ? d : "");
	}
	for (int i = 0; i < E1K_HS_COUNT; i++)
		if (!present[i])
			problem(p, "stage %s: missing", e1k_halt_stage_name(i));
}

static void read_ledger(const struct jr_node *o, struct ledger *l, struct e1k_report_problems *p)
{
	const struct jr_node *arr;
	uint64_t out;
	size_t k = 0;

	if (!o || o->type != JR_OBJ) {
		problem(p, "ledger: missing or not an object");
		return;
	}
	l->acquired = need_u64(o, "ledger.", "acquired", p);
	l->released = need_u64(o, "ledger.", "released", p);
	out = need_u64(o, "ledger.", "outstanding", p);
	/* ledger_outstanding() is the height of the held stack. */
	l->top = out > LEDGER_MAX ? LEDGER_MAX : (unsigned)out;
	arr = jr_get(o, "entries");
	if (!arr || arr->type != JR_ARR) {
		problem(p, "ledger.entries: missing or not an array");
		return;
	}
	if (arr->n > LEDGER_MAX)
		problem(p, "ledger.entries: %zu entries, at most %d", arr->n, LEDGER_MAX);
	for (const struct jr_node *el = arr->child; el && k < LEDGER_MAX; el = el->next, k++) {
		struct ledger_entry *e = &l->e[k];
		char where[48];
		const char *name;
		int v;

		snprintf(where, sizeof(where), "ledger.entries[%zu].", k);
		name = need_str(el, where, "name", p);
		snprintf(e->name, sizeof(e->name), "%s", name ? name : "");
		v = need_name(el, where, "kind", kind_name, LEDGER_KIND_COUNT, p);
		e->kind = v < 0 ? LEDGER_DEVICE : (enum ledger_kind)v;
		v = need_name(el, where, "released_by", stage_name, E1K_HS_COUNT, p);
		e->group = v < 0 ? 0 : (unsigned)v;
		e->acquired_ns = need_u64(el, where, "acquired_ns", p);
		e->released_ns = need_u64(el, where, "released_ns", p);
	}
	l->count = (unsigned)k;
}

static const char *const counter_keys[] = {
	"dma_faults", "dma_live_frees", "isr_after_deregister", "dpc_after_drain",
	"callbacks_after_halted", "rx_buffers_outstanding", "mmio_after_removal",
};

static uint64_t *counter(struct e1k_halt_report *rep, unsigned k)
{
	uint64_t *const c[] = {
		&rep->dma_faults, &rep->dma_live_frees, &rep->isr_after_deregister, &rep->dpc_after_drain,
		&rep->callbacks_after_halted, &rep->rx_buffers_outstanding, &rep->mmio_after_removal,
	};

	return c[k];
}

#define NCOUNTERS (sizeof(counter_keys) / sizeof(counter_keys[0]))

static unsigned report_read(const struct jr_node *doc, struct e1k_halt_report *rep,
                            bool present[E1K_HS_COUNT], struct e1k_report_problems *p)
{
	unsigned n0 = p->n;
	const struct jr_node *gone;
	const char *s;
	int v;

	memset(rep, 0, sizeof(*rep));
	if (!doc || doc->type != JR_OBJ) {
		problem(p, "the document is not a JSON object");
		return p->n - n0;
	}
	v = need_name(doc, "", "reason", reason_name, E1K_HALT_NREASONS, p);
	rep->reason = v < 0 ? E1K_HALT_DISABLED : (enum e1k_halt_reason)v;
	s = need_str(doc, "", "ndis_reason", p);
	if (s && v >= 0 && strcmp(s, e1k_halt_reason_ndis_name(rep->reason)))
		problem(p, "ndis_reason = %s, want %s (for reason %s)", s,
		        e1k_halt_reason_ndis_name(rep->reason), e1k_halt_reason_name(rep->reason));
	s = need_str(doc, "", "device", p);
	snprintf(rep->device, sizeof(rep->device), "%s", s ? s : "");
	/* E1K_STATE_HALTING is the last state. */
	v = need_name(doc, "", "from_state", state_name, E1K_STATE_HALTING + 1, p);
	rep->from_state = v < 0 ? E1K_STATE_HALTED : (enum e1k_state)v;
	v = need_name(doc, "", "final_state", state_name, E1K_STATE_HALTING + 1, p);
	rep->final_state = v < 0 ? E1K_STATE_HALTED : (enum e1k_state)v;
	gone = jr_get(doc, "device_gone");
	if (!gone || gone->type != JR_BOOL)
		problem(p, "device_gone: missing or not a boolean");
	else
		rep->device_gone = gone->b;
	s = need_str(doc, "", "device_found", p);
	if (s) {
		unsigned f;

		for (f = 0; f <= HAL_GONE && strcmp(s, hal_presence_name((enum hal_presence)f)); f++)
			;
		if (f > HAL_GONE)
			problem(p, "device_found = %s: not present, not-decoding or gone", s);
		else
			rep->device_found = (enum hal_presence)f;
	}
	read_stages(jr_get(doc, "stages"), rep, present, p);
	read_ledger(jr_get(doc, "ledger"), &rep->ledger, p);
	for (unsigned k = 0; k < NCOUNTERS; k++)
		*counter(rep, k) = need_u64(doc, "", counter_keys[k], p);
	rep->total_ns = need_u64(doc, "", "total_ns", p);
	return p->n - n0;
}

unsigned e1k_halt_report_read(const struct jr_node *doc, struct e1k_halt_report *rep,
                              struct e1k_report_problems *p)
{
	bool present[E1K_HS_COUNT] = { false };

	return report_read(doc, rep, present, p);
}

/* Known stages must come in contract order (unknown and missing ones are
 * already problems of their own). */
static void check_order(const struct jr_node *arr, struct e1k_report_problems *p)
{
	int last = -1;

	if (!arr || arr->type != JR_ARR)
		return;
	for (const struct jr_node *el = arr->child; el; el = el->next) {
		int i = name_index(stage_name, E1K_HS_COUNT, jr_get_str(el, "name"));

		if (i < 0)
			continue;
		if (i < last)
			problem(p, "stage %s: listed after %s (contract order: %s first)",
			        e1k_halt_stage_name(i), e1k_halt_stage_name(last), e1k_halt_stage_name(i));
		else
			last = i;
	}
}

unsigned e1k_halt_report_check(const struct jr_node *doc, int want_reason,
                               struct e1k_report_problems *p)
{
	struct e1k_halt_report *rep = calloc(1, sizeof(*rep));
	bool present[E1K_HS_COUNT] = { false };
	const struct e1k_stage_report *prev = NULL;
	const char *reason;
	unsigned n0 = p->n;

	if (!rep) {
		problem(p, "out of memory");
		return p->n;
	}
	report_read(doc, rep, present, p);
	if (!doc || doc->type != JR_OBJ)
		goto out;
	reason = jr_get_str(doc, "reason");
	if (want_reason >= 0 && want_reason < E1K_HALT_NREASONS && reason &&
	    strcmp(reason, e1k_halt_reason_name((enum e1k_halt_reason)want_reason)))
		problem(p, "reason = %s, want %s", reason,
		        e1k_halt_reason_name((enum e1k_halt_reason)want_reason));
	check_order(jr_get(doc, "stages"), p);
	for (int i = 0; i < E1K_HS_COUNT; i++) {
		const struct e1k_stage_report *s = &rep->stages[i];

		if (!present[i])
			continue;
		if (s->result == E1K_SR_TIMEOUT || s->result == E1K_SR_ERROR)
			problem(p, "stage %s: %s: %s", e1k_halt_stage_name(i),
			        e1k_stage_result_name(s->result), s->detail);
		if (s->end_ns < s->start_ns)
			problem(p, "stage %s: ends (%llu) before it starts (%llu)", e1k_halt_stage_name(i),
			        (unsigned long long)s->end_ns, (unsigned long long)s->start_ns);
		if (prev && s->start_ns < prev->end_ns)
			problem(p, "stage %s: starts before %s ended", e1k_halt_stage_name(i),
			        e1k_halt_stage_name((int)(prev - rep->stages)));
		prev = s;
	}
	if (rep->final_state != E1K_STATE_HALTED)
		problem(p, "final_state = %s, want Halted", e1k_state_name(rep->final_state));
	if (ledger_outstanding(&rep->ledger))
		problem(p, "ledger.outstanding = %u", ledger_outstanding(&rep->ledger));
	if (rep->ledger.acquired != rep->ledger.released)
		problem(p, "ledger: acquired %llu, released %llu",
		        (unsigned long long)rep->ledger.acquired,
		        (unsigned long long)rep->ledger.released);
	for (unsigned k = 0; k < NCOUNTERS; k++)
		if (*counter(rep, k))
			problem(p, "%s = %llu", counter_keys[k], (unsigned long long)*counter(rep, k));
	/* halt's own definition has the last word: should it grow a criterion
	 * this file does not know yet, the report still fails here. */
	if (e1k_halt_report_clean(rep) != 0 && p->n == n0)
		problem(p, "not clean by e1k_halt_report_clean() (a criterion this checker does not name)");
out:
	free(rep);
	return p->n;
}

/* An array member: by index ("3") or the first object whose "name" is part. */
static const struct jr_node *array_member(const struct jr_node *arr, const char *part)
{
	char *end;
	unsigned long i;

	if (part[0] >= '0' && part[0] <= '9') {
		i = strtoul(part, &end, 10);
		if (!*end)
			return jr_at(arr, i);
	}
	for (const struct jr_node *el = arr->child; el; el = el->next) {
		const char *name = jr_get_str(el, "name");

		if (name && !strcmp(name, part))
			return el;
	}
	return NULL;
}

const struct jr_node *e1k_json_lookup(const struct jr_node *doc, const char *key)
{
	const struct jr_node *n = doc;
	const char *s = key;
	char part[256];

	while (n && s) {
		const char *dot = strchr(s, '.');
		size_t len = dot ? (size_t)(dot - s) : strlen(s);

		if (len == 0 || len >= sizeof(part))
			return NULL;
		memcpy(part, s, len);
		part[len] = '\0';
		if (n->type == JR_OBJ)
			n = jr_get(n, part);
		else if (n->type == JR_ARR)
			n = array_member(n, part);
		else
			return NULL;
		s = dot ? dot + 1 : NULL;
	}
	return n;
}
