/* SPDX-License-Identifier: MIT */
#include "ctl_render.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "reasons.h"

#define KEY_COL_MAX 48

/* A growable string. */
struct str {
	char *s;
	size_t len, cap;
	bool oom;
};

static void str_putn(struct str *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->s, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void str_puts(struct str *b, const char *s)
{
	str_putn(b, s, strlen(s));
}

/* Text of a string for a terminal: control characters (and DEL) become '?'. */
static void str_put_safe(struct str *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		str_putn(b, (c < 0x20 || c == 0x7f) ? "?" : &s[i], 1);
	}
}

static void str_put_scalar(struct str *b, const struct jr_node *n)
{
	switch (n->type) {
	case JR_NULL: str_puts(b, "null"); break;
	case JR_BOOL: str_puts(b, n->b ? "true" : "false"); break;
	case JR_NUM:  str_putn(b, n->str, n->str_len); break;
	case JR_STR:  str_put_safe(b, n->str, n->str_len); break;
	case JR_ARR:  str_puts(b, n->n ? "[...]" : "[]"); break;
	case JR_OBJ:  str_puts(b, n->n ? "{...}" : "{}"); break;
	}
}

struct rows {
	struct row {
		char *k, *v;
	} *r;
	size_t n, cap;
	bool oom;
	bool cut;          /* max_rows reached: later rows dropped */
	bool late;         /* the deadline passed: stop */
	const struct ctl_render_limits *lim;
};

static const struct ctl_render_limits default_limits = {
	.max_rows = CTL_RENDER_MAX_ROWS, .max_key = CTL_RENDER_MAX_KEY,
};

/* Stop walking: out of memory, out of rows or out of time. */
static bool rows_stop(struct rows *t)
{
	if (!t->oom && !t->late && t->lim->deadline_ns && e1k_now_ns() > t->lim->deadline_ns)
		t->late = true;
	return t->oom || t->cut || t->late;
}

static void rows_add(struct rows *t, struct str *k, struct str *v)
{
	if (k->oom || v->oom)
		t->oom = true;
	if (rows_stop(t))
		goto drop;
	if (t->n >= t->lim->max_rows) {
		t->cut = true;
		goto drop;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 32;
		struct row *p = realloc(t->r, cap * sizeof(*p));

		if (!p) {
			t->oom = true;
			goto drop;
		}
		t->r = p;
		t->cap = cap;
	}
	t->r[t->n].k = k->s ? k->s : strdup("");
	t->r[t->n].v = v->s ? v->s : strdup("");
	if (!t->r[t->n].k || !t->r[t->n].v) {
		if (!k->s)
			free(t->r[t->n].k);
		if (!v->s)
			free(t->r[t->n].v);
		t->oom = true;
		goto drop;
	}
	t->n++;
	return;
drop:
	free(k->s);
	free(v->s);
}

static void rows_free(struct rows *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->r[i].k);
		free(t->r[i].v);
	}
	free(t->r);
	memset(t, 0, sizeof(*t));
}

static void rows_print(FILE *f, const struct rows *t, const char *indent)
{
	size_t w = 0;

	for (size_t i = 0; i < t->n; i++) {
		size_t l = strlen(t->r[i].k);

		if (l > w)
			w = l;
	}
	if (w > KEY_COL_MAX)
		w = KEY_COL_MAX;
	for (size_t i = 0; i < t->n; i++) {
		if (t->r[i].v[0])
			fprintf(f, "%s%-*s  %s\n", indent, (int)w, t->r[i].k, t->r[i].v);
		else
			fprintf(f, "%s%s\n", indent, t->r[i].k);
	}
}

static bool all_of(const struct jr_node *arr, bool objects)
{
	for (const struct jr_node *c = arr->child; c; c = c->next) {
		bool is_obj = c->type == JR_OBJ;
		bool scalar = c->type != JR_OBJ && c->type != JR_ARR;

		if (objects ? !is_obj : !scalar)
			return false;
	}
	return true;
}

/* Cut k to max bytes, "..." marking the cut (a path already cut stays as it is). */
static void key_cap(struct str *k, size_t max)
{
	if (k->oom || k->len <= max || max < 4)
		return;
	memcpy(k->s + max - 3, "...", 4);
	k->len = max;
}

/* prefix.key, at most max bytes: each row stores its whole path, so deep
 * keys of a hostile peer once cost gigabytes (issue 17). */
static void key_join(struct str *k, const char *prefix, const struct jr_node *n, size_t max)
{
	str_puts(k, prefix);
	if (k->len >= max)
		return;
	if (*prefix)
		str_puts(k, ".");
	str_put_safe(k, n->key, n->key_len <= max ? n->key_len : max + 1);
	key_cap(k, max);
}

/* Members of n flattened into "a.b=v" pairs on one line (for array rows). */
static void inline_members(struct rows *t, struct str *v, const char *prefix,
                           const struct jr_node *n)
{
	for (const struct jr_node *c = n->child; c && !rows_stop(t); c = c->next) {
		struct str k = { 0 };

		key_join(&k, prefix, c, t->lim->max_key);
		if (c->type == JR_OBJ && c->n) {
			inline_members(t, v, k.s ? k.s : "", c);
		} else {
			if (v->len)
				str_puts(v, "  ");
			str_puts(v, k.s ? k.s : "");
			str_puts(v, "=");
			if (c->type == JR_ARR && c->n && all_of(c, false)) {
				for (const struct jr_node *e = c->child; e; e = e->next) {
					str_put_scalar(v, e);
					if (e->next)
						str_puts(v, ",");
				}
			} else {
				str_put_scalar(v, c);
			}
		}
		if (k.oom)
			v->oom = true;
		free(k.s);
	}
}

static void flatten(struct rows *t, const char *prefix, const struct jr_node *n);

static void flatten_array(struct rows *t, const char *prefix, const struct jr_node *n)
{
	size_t i = 0;

	if (n->n == 0 || all_of(n, false)) {
		struct str k = { 0 }, v = { 0 };

		str_puts(&k, prefix);
		if (n->n == 0)
			str_puts(&v, "[]");
		for (const struct jr_node *c = n->child; c; c = c->next) {
			str_put_scalar(&v, c);
			if (c->next)
				str_puts(&v, ", ");
		}
		rows_add(t, &k, &v);
		return;
	}
	for (const struct jr_node *c = n->child; c && !rows_stop(t); c = c->next, i++) {
		struct str k = { 0 }, v = { 0 };
		char idx[32];

		snprintf(idx, sizeof(idx), "[%zu]", i);
		if (c->type == JR_OBJ) {
			/* One indented row per element. */
			str_puts(&k, "  ");
			str_puts(&k, prefix);
			str_puts(&k, idx);
			key_cap(&k, t->lim->max_key);
			inline_members(t, &v, "", c);
			rows_add(t, &k, &v);
		} else {
			str_puts(&k, prefix);
			str_puts(&k, idx);
			key_cap(&k, t->lim->max_key);
			if (k.oom) {
				t->oom = true;
				free(k.s);
				continue;
			}
			flatten(t, k.s, c);
			free(k.s);
		}
	}
}

/* Depth is bounded by the parser (JR_MAX_DEPTH), so recursion is too. */
static void flatten(struct rows *t, const char *prefix, const struct jr_node *n)
{
	if (rows_stop(t))
		return;
	if (n->type == JR_OBJ && n->n) {
		for (const struct jr_node *c = n->child; c && !rows_stop(t); c = c->next) {
			struct str k = { 0 };

			key_join(&k, prefix, c, t->lim->max_key);
			if (k.oom) {
				t->oom = true;
				free(k.s);
				continue;
			}
			flatten(t, k.s, c);
			free(k.s);
		}
	} else if (n->type == JR_ARR) {
		flatten_array(t, prefix, n);
	} else {
		struct str k = { 0 }, v = { 0 };

		str_puts(&k, prefix);
		str_put_scalar(&v, n);
		rows_add(t, &k, &v);
	}
}

/* How a walk ended: 0, -ENOMEM or -ETIMEDOUT; a cut is noted on f. */
static int rows_result(FILE *f, const struct rows *t, const char *indent)
{
	if (t->oom)
		return -ENOMEM;
	if (t->late)
		return -ETIMEDOUT;
	if (t->cut)
		fprintf(f, "%s(cut: more than %zu rows)\n", indent, t->lim->max_rows);
	return 0;
}

int ctl_render_table_lim(FILE *f, const struct jr_node *root, const struct ctl_render_limits *lim)
{
	struct rows t = { .lim = lim ? lim : &default_limits };
	int rc;

	if (!root)
		return -EINVAL;
	if (root->type == JR_OBJ && root->n == 0) {
		fprintf(f, "ok\n");
		return 0;
	}
	flatten(&t, "", root);
	rc = t.oom ? -ENOMEM : t.late ? -ETIMEDOUT : 0;
	if (!rc)
		rows_print(f, &t, "");
	if (!rc)
		rc = rows_result(f, &t, "");
	rows_free(&t);
	return rc;
}

int ctl_render_table(FILE *f, const struct jr_node *root)
{
	return ctl_render_table_lim(f, root, NULL);
}

/* ---- halt report ---- */

static const char *const halt_verifier_keys[] = {
	"dma_faults", "dma_live_frees", "isr_after_deregister", "dpc_after_drain",
	"callbacks_after_halted", "rx_buffers_outstanding", "mmio_after_removal",
};

static const char *const halt_known_keys[] = {
	"reason", "from_state", "final_state", "stages", "ledger", "total_ns",
	"dma_faults", "dma_live_frees", "isr_after_deregister", "dpc_after_drain",
	"callbacks_after_halted", "rx_buffers_outstanding", "mmio_after_removal",
};

static bool is_known(const struct jr_node *c)
{
	for (size_t i = 0; i < sizeof(halt_known_keys) / sizeof(halt_known_keys[0]); i++)
		if (c->key_len == strlen(halt_known_keys[i]) &&
		    !memcmp(c->key, halt_known_keys[i], c->key_len))
			return true;
	return false;
}

/* A member rendered as text ("-" when absent). */
static char *field_text(const struct jr_node *obj, const char *key)
{
	const struct jr_node *n = jr_get(obj, key);
	struct str v = { 0 };

	if (n)
		str_put_scalar(&v, n);
	else
		str_puts(&v, "-");
	if (v.oom) {
		free(v.s);
		return NULL;
	}
	return v.s;
}

static void fmt_ms(char *buf, size_t len, uint64_t ns)
{
	snprintf(buf, len, "%" PRIu64 ".%03" PRIu64, ns / 1000000u, (ns / 1000u) % 1000u);
}

int ctl_render_halt(FILE *f, const struct jr_node *r)
{
	return ctl_render_halt_lim(f, r, NULL);
}

int ctl_render_halt_lim(FILE *f, const struct jr_node *r, const struct ctl_render_limits *lim)
{
	const struct jr_node *stages, *ledger;
	char *reason = NULL, *from = NULL, *final = NULL;
	struct rows other = { .lim = lim ? lim : &default_limits };
	uint64_t total;
	int rc = -ENOMEM, a;
	size_t wname = 5, wres = 6, nst = 0;

	if (!r || r->type != JR_OBJ)
		return ctl_render_table_lim(f, r, lim);
	reason = field_text(r, "reason");
	from = field_text(r, "from_state");
	final = field_text(r, "final_state");
	if (!reason || !from || !final)
		goto out;

	/* Header. */
	{
		int rr = e1k_halt_reason_parse(jr_get_str(r, "reason"));

		if (rr >= 0)
			fprintf(f, "Halt reason:  %s (%s)\n", e1k_halt_reason_name(rr),
			        e1k_halt_reason_ndis_name(rr));
		else
			fprintf(f, "Halt reason:  %s\n", reason);
	}
	fprintf(f, "State:        %s -> %s\n", from, final);
	if (jr_get_u64(r, "total_ns", &total)) {
		char ms[48];

		fmt_ms(ms, sizeof(ms), total);
		fprintf(f, "Total:        %s ms\n", ms);
	}

	/* Stages. */
	stages = jr_get(r, "stages");
	if (stages && stages->type == JR_ARR) {
		for (const struct jr_node *s = stages->child; s; s = s->next) {
			const char *nm = jr_get_str(s, "name"), *res = jr_get_str(s, "result");

			if (nm && strlen(nm) > wname)
				wname = strlen(nm);
			if (res && strlen(res) > wres)
				wres = strlen(res);
		}
		if (wname > KEY_COL_MAX)
			wname = KEY_COL_MAX;
		fprintf(f, "\n%-*s  %-*s  %10s  %s\n", (int)wname, "STAGE", (int)wres, "RESULT",
		        "MS", "DETAIL");
		for (const struct jr_node *s = stages->child; s; s = s->next) {
			char *nm, *res;
			const struct jr_node *det;
			struct str dv = { 0 };
			uint64_t t0, t1;
			char ms[48] = "-";

			if (++nst > other.lim->max_rows || rows_stop(&other)) {
				if (rows_stop(&other)) {
					rc = -ETIMEDOUT;
					goto out;
				}
				fprintf(f, "(cut: more than %zu stages)\n", other.lim->max_rows);
				break;
			}
			nm = field_text(s, "name");
			res = field_text(s, "result");
			det = jr_get(s, "detail");
			if (jr_get_u64(s, "start_ns", &t0) && jr_get_u64(s, "end_ns", &t1) && t1 >= t0)
				fmt_ms(ms, sizeof(ms), t1 - t0);
			if (det && det->type != JR_NULL && !(det->type == JR_STR && det->str_len == 0))
				str_put_scalar(&dv, det);
			if (nm && res && !dv.oom) {
				fprintf(f, "%-*s  %-*s  %10s", (int)wname, nm, (int)wres, res, ms);
				if (dv.s)
					fprintf(f, "  %s", dv.s);
				fputc('\n', f);
			}
			free(dv.s);
			free(nm);
			free(res);
		}
	} else {
		fprintf(f, "\n(no stages reported)\n");
	}

	/* Verifier counters: all of them should be zero after a clean halt. */
	fprintf(f, "\nVerifier:\n");
	for (size_t i = 0; i < sizeof(halt_verifier_keys) / sizeof(halt_verifier_keys[0]); i++) {
		char *v = field_text(r, halt_verifier_keys[i]);

		if (!v)
			goto out;
		fprintf(f, "  %-24s  %s\n", halt_verifier_keys[i], v);
		free(v);
	}

	/* Ledger totals, then whatever else the ledger carries. */
	ledger = jr_get(r, "ledger");
	if (ledger && ledger->type == JR_OBJ) {
		char *acq = field_text(ledger, "acquired"), *rel = field_text(ledger, "released"),
		     *outst = field_text(ledger, "outstanding");
		struct rows lt = { .lim = other.lim };

		if (acq && rel && outst)
			fprintf(f, "\nLedger:       acquired %s, released %s, outstanding %s\n", acq, rel,
			        outst);
		free(acq);
		free(rel);
		free(outst);
		if (!acq || !rel || !outst)
			goto out;
		for (const struct jr_node *c = ledger->child; c; c = c->next) {
			struct str k = { 0 };

			if ((c->key_len == 8 && !memcmp(c->key, "acquired", 8)) ||
			    (c->key_len == 8 && !memcmp(c->key, "released", 8)) ||
			    (c->key_len == 11 && !memcmp(c->key, "outstanding", 11)))
				continue;
			str_puts(&k, "ledger.");
			str_put_safe(&k, c->key, c->key_len);
			if (!k.oom)
				flatten(&lt, k.s, c);
			else
				lt.oom = true;
			free(k.s);
		}
		if (!lt.oom && !lt.late)
			rows_print(f, &lt, "  ");
		a = rows_result(f, &lt, "  ");
		rows_free(&lt);
		if (a) {
			rc = a;
			goto out;
		}
	} else {
		fprintf(f, "\nLedger:       -\n");
	}

	/* Anything else the driver chose to report. */
	for (const struct jr_node *c = r->child; c; c = c->next) {
		struct str k = { 0 };

		if (is_known(c))
			continue;
		str_put_safe(&k, c->key, c->key_len <= other.lim->max_key ? c->key_len
		             : other.lim->max_key + 1);
		key_cap(&k, other.lim->max_key);
		/* An empty name ("") appends nothing, so k.s is still NULL. */
		if (!k.oom)
			flatten(&other, k.s ? k.s : "", c);
		else
			other.oom = true;
		free(k.s);
	}
	if (other.oom || other.late) {
		rc = other.oom ? -ENOMEM : -ETIMEDOUT;
		goto out;
	}
	if (other.n) {
		fprintf(f, "\nOther:\n");
		rows_print(f, &other, "  ");
	}
	rc = rows_result(f, &other, "  ");
out:
	rows_free(&other);
	free(reason);
	free(from);
	free(final);
	return rc;
}

/* ---- dumps and the self-test ---- */

#define FIELD_MAX 200   /* longest string member shown in a dump/self-test line */

/* A member's string for a line: NULL -> "", control characters -> '?',
 * cut at FIELD_MAX. */
static const char *field(const struct jr_node *obj, const char *key, char *buf, size_t len)
{
	const struct jr_node *n = jr_get(obj, key);
	size_t k = 0;

	buf[0] = '\0';
	if (!n || n->type != JR_STR)
		return buf;
	for (size_t i = 0; i < n->str_len && k + 1 < len; i++) {
		unsigned char c = (unsigned char)n->str[i];

		buf[k++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	buf[k] = '\0';
	return buf;
}

static const struct ctl_render_limits *lim_or_default(const struct ctl_render_limits *lim)
{
	return lim ? lim : &default_limits;
}

static bool is_arr(const struct jr_node *n)
{
	return n && n->type == JR_ARR;
}

int ctl_render_regs(FILE *f, const struct jr_node *root, const struct ctl_render_limits *lim)
{
	const struct jr_node *regs = jr_get(root, "registers");
	char name[FIELD_MAX], bits[FIELD_MAX], note[FIELD_MAX * 2];
	size_t i = 0;

	lim = lim_or_default(lim);
	if (!is_arr(regs))
		return ctl_render_table_lim(f, root, lim);
	fprintf(f, "%-10s %-8s %-10s %s\n", "register", "offset", "value", "decoded");
	for (const struct jr_node *r = regs->child; r; r = r->next, i++) {
		uint64_t off = 0, val = 0;

		if (i >= lim->max_rows) {
			fprintf(f, "(cut: more than %zu rows)\n", lim->max_rows);
			break;
		}
		if (lim->deadline_ns && e1k_now_ns() > lim->deadline_ns)
			return -ETIMEDOUT;
		(void)jr_get_u64(r, "offset", &off);
		(void)jr_get_u64(r, "value", &val);
		fprintf(f, "%-10s 0x%05" PRIx64 "  0x%08" PRIx64 " %s\n", field(r, "name", name, sizeof(name)),
		        off & 0xfffffu, val & 0xffffffffu, field(r, "bits", bits, sizeof(bits)));
	}
	if (*field(root, "omitted", note, sizeof(note)))
		fprintf(f, "not shown: %s\n", note);
	return 0;
}

int ctl_render_eeprom(FILE *f, const struct jr_node *root, const struct ctl_render_limits *lim)
{
	const struct jr_node *w = jr_get(root, "words"), *valid = jr_get(root, "valid");
	uint64_t sum = 0, expected = 0;
	size_t i = 0;

	lim = lim_or_default(lim);
	if (!is_arr(w) || !valid || valid->type != JR_BOOL)
		return ctl_render_table_lim(f, root, lim);
	for (const struct jr_node *n = w->child; n; n = n->next, i++) {
		uint64_t v = 0;

		if (i / 8 >= lim->max_rows) {
			fprintf(f, "\n(cut: more than %zu rows)", lim->max_rows);
			break;
		}
		if (i % 8 == 0)
			fprintf(f, "%s0x%02zx:", i ? "\n" : "", i);
		(void)jr_u64(n, &v);
		fprintf(f, " %04" PRIx64, v & 0xffffu);
	}
	fprintf(f, "\n");
	(void)jr_get_u64(root, "sum", &sum);
	(void)jr_get_u64(root, "expected", &expected);
	fprintf(f, "checksum: words 0x00-0x3f sum to 0x%04" PRIx64 ", %s (must be 0x%04" PRIx64 ")\n",
	        sum & 0xffffu, valid->b ? "valid" : "INVALID", expected & 0xffffu);
	return 0;
}

int ctl_render_selftest(FILE *f, const struct jr_node *root, const struct ctl_render_limits *lim)
{
	const struct jr_node *tests = jr_get(root, "tests"), *passed = jr_get(root, "passed");
	char name[FIELD_MAX], res[FIELD_MAX], detail[FIELD_MAX], mode[FIELD_MAX], state[FIELD_MAX];
	size_t i = 0;

	lim = lim_or_default(lim);
	if (!is_arr(tests) || !passed || passed->type != JR_BOOL)
		return ctl_render_table_lim(f, root, lim);
	for (const struct jr_node *t = tests->child; t; t = t->next, i++) {
		uint64_t us = 0;

		if (i >= lim->max_rows) {
			fprintf(f, "(cut: more than %zu rows)\n", lim->max_rows);
			break;
		}
		(void)jr_get_u64(t, "us", &us);
		field(t, "result", res, sizeof(res));
		fprintf(f, "%-10s %-8s", field(t, "name", name, sizeof(name)), res);
		if (strcmp(res, "skipped"))
			fprintf(f, " %7.1f ms", (double)us / 1000.0);
		else
			fprintf(f, " %10s", "");
		fprintf(f, "  %s\n", field(t, "detail", detail, sizeof(detail)));
	}
	fprintf(f, "self-test (%s): %s; adapter %s\n", field(root, "mode", mode, sizeof(mode)),
	        passed->b ? "PASS" : "FAIL", field(root, "state", state, sizeof(state)));
	return 0;
}
