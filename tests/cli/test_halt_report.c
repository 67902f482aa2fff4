/* SPDX-License-Identifier: MIT */
/*
 * cli_halt_report: the halt report checker (cli/halt_report.h) and
 * `e1kctl report check|get` (the binary's path in argv[1]).
 *
 * Every document is written by the real writer, e1k_halt_report_json, from a
 * filled struct e1k_halt_report (a real ledger, acquired then released), so
 * writer and checker cannot drift apart: a field the writer renames or drops
 * fails the clean case and the round trip.  Each kind of problem is then made
 * in the struct (or, for what the struct cannot express -- a missing,
 * unknown or misplaced stage, a missing field, broken JSON -- in the text)
 * and must be reported by a line naming the field.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "halt.h"
#include "halt_report.h"
#include "halt_report_json.h"
#include "json.h"
#include "json_read.h"
#include "testlib.h"

static const char *e1kctl;
static char tmpdir[64];

static void noop_release(void *arg)
{
	(void)arg;
}

/* A clean report of a stopped halt from Running: stages ok or skipped, in
 * time order, a ledger whose every entry was released. */
static void fill(struct e1k_halt_report *r)
{
	memset(r, 0, sizeof(*r));
	r->reason = E1K_HALT_STOPPED;
	r->from_state = E1K_STATE_RUNNING;
	r->final_state = E1K_STATE_HALTED;
	snprintf(r->device, sizeof(r->device), "sim:82540em");
	for (unsigned i = 0; i < E1K_HS_COUNT; i++) {
		struct e1k_stage_report *s = &r->stages[i];

		s->result = i % 4 == 3 ? E1K_SR_SKIPPED : E1K_SR_OK;
		s->start_ns = 1000000 + i * 1000;
		s->end_ns = s->start_ns + 500;
		snprintf(s->detail, sizeof(s->detail), "%s", s->result == E1K_SR_SKIPPED ?
		         "skipped: nothing to do" : "");
	}
	ledger_init(&r->ledger);
	ledger_acquired(&r->ledger, LEDGER_DEVICE, E1K_HS_RELEASE_DEVICE, "device", noop_release, NULL);
	ledger_acquired(&r->ledger, LEDGER_DMA, E1K_HS_FREE_DMA, "rx ring", noop_release, NULL);
	ledger_acquired(&r->ledger, LEDGER_TIMER, E1K_HS_CANCEL_TIMERS, "watchdog", noop_release, NULL);
	ledger_release_all(&r->ledger);
	r->total_ns = 15000;
}

/* The writer's document for r (caller frees). */
static char *to_json(const struct e1k_halt_report *r)
{
	struct jbuf b;
	char *s;

	jb_init(&b);
	e1k_halt_report_json(r, &b);
	s = jb_finish(&b) ? NULL : strdup(b.data);
	jb_free(&b);
	return s;
}

/* Check text; returns the problem count (-1: not JSON) and keeps p. */
static int check_text(const char *text, int want_reason, struct e1k_report_problems *p)
{
	struct jr_node *root;
	int n;

	memset(p, 0, sizeof(*p));
	if (!text || jr_parse(text, strlen(text), &root, NULL))
		return -1;
	n = (int)e1k_halt_report_check(root, want_reason, p);
	jr_free(root);
	return n;
}

static int check_rep(const struct e1k_halt_report *r, int want_reason,
                     struct e1k_report_problems *p)
{
	char *s = to_json(r);
	int n = check_text(s, want_reason, p);

	free(s);
	return n;
}

static bool has_line(const struct e1k_report_problems *p, const char *want)
{
	for (unsigned i = 0; i < p->n && i < E1K_REPORT_MAX_PROBLEMS; i++)
		if (!strcmp(p->line[i], want))
			return true;
	fprintf(stderr, "  no problem line '%s' among %u:\n", want, p->n);
	for (unsigned i = 0; i < p->n && i < E1K_REPORT_MAX_PROBLEMS; i++)
		fprintf(stderr, "    %s\n", p->line[i]);
	return false;
}

/* text with the first `from` replaced by `to` (caller frees). */
static char *replace(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	size_t n = strlen(text) - strlen(from) + strlen(to) + 1;
	char *s;

	if (!at || !(s = malloc(n)))
		return NULL;
	snprintf(s, n, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
	return s;
}

static void test_clean(void)
{
	struct e1k_halt_report r;
	struct e1k_report_problems p;

	fill(&r);
	CHECK_EQ(e1k_halt_report_clean(&r), 0);
	CHECK_EQ(check_rep(&r, E1K_HALT_STOPPED, &p), 0);
	CHECK_EQ(check_rep(&r, E1K_REPORT_ANY_REASON, &p), 0);
	/* The reason in the other spelling is the same reason. */
	CHECK_EQ(check_rep(&r, e1k_halt_reason_parse("NdisHaltDeviceStopped"), &p), 0);
}

/* read(json(r)) written again is the same document: every field the writer
 * emits is read back into the struct. */
static void test_round_trip(void)
{
	struct e1k_halt_report r, back;
	struct e1k_report_problems p = { 0 };
	struct jr_node *root;
	char *a, *b;

	fill(&r);
	r.reason = E1K_HALT_SURPRISE_REMOVED;
	r.device_gone = true;
	r.stages[E1K_HS_RESET_DEVICE].result = E1K_SR_ERROR;
	snprintf(r.stages[E1K_HS_RESET_DEVICE].detail, sizeof(r.stages[0].detail), "\"quoted\" \\ é");
	r.dma_faults = 7;
	r.mmio_after_removal = 1;
	a = to_json(&r);
	REQUIRE(a);
	REQUIRE(jr_parse(a, strlen(a), &root, NULL) == 0);
	CHECK_EQ(e1k_halt_report_read(root, &back, &p), 0);
	jr_free(root);
	b = to_json(&back);
	REQUIRE(b);
	if (strcmp(a, b))
		fprintf(stderr, "  wrote %s\n  reread %s\n", a, b);
	CHECK(!strcmp(a, b));
	free(a);
	free(b);
}

static void test_wrong_reason(void)
{
	struct e1k_halt_report r;
	struct e1k_report_problems p;

	fill(&r);
	CHECK_EQ(check_rep(&r, E1K_HALT_DISABLED, &p), 1);
	CHECK(has_line(&p, "reason = stopped, want disabled"));
}

static void test_stage_timeout_and_error(void)
{
	struct e1k_halt_report r;
	struct e1k_report_problems p;

	fill(&r);
	r.stages[E1K_HS_FREE_DMA].result = E1K_SR_TIMEOUT;
	snprintf(r.stages[E1K_HS_FREE_DMA].detail, sizeof(r.stages[0].detail), "3 regions mapped");
	CHECK(e1k_halt_report_clean(&r) != 0);
	CHECK_EQ(check_rep(&r, E1K_HALT_STOPPED, &p), 1);
	CHECK(has_line(&p, "stage free-dma: timeout: 3 regions mapped"));

	fill(&r);
	r.stages[E1K_HS_RESET_DEVICE].result = E1K_SR_ERROR;
	snprintf(r.stages[E1K_HS_RESET_DEVICE].detail, sizeof(r.stages[0].detail), "RST stuck");
	CHECK_EQ(check_rep(&r, E1K_HALT_STOPPED, &p), 1);
	CHECK(has_line(&p, "stage reset-device: error: RST stuck"));
}

static void test_each_counter(void)
{
	static const char *const keys[] = {
		"dma_faults", "dma_live_frees", "isr_after_deregister", "dpc_after_drain",
		"callbacks_after_halted", "rx_buffers_outstanding", "mmio_after_removal",
	};
	struct e1k_halt_report r;
	struct e1k_report_problems p;
	char want[64];

	for (unsigned k = 0; k < TL_N(keys); k++) {
		uint64_t *c[] = {
			&r.dma_faults, &r.dma_live_frees, &r.isr_after_deregister, &r.dpc_after_drain,
			&r.callbacks_after_halted, &r.rx_buffers_outstanding, &r.mmio_after_removal,
		};

		fill(&r);
		*c[k] = 3;
		CHECK(e1k_halt_report_clean(&r) != 0);
		CHECK_EQ(check_rep(&r, E1K_HALT_STOPPED, &p), 1);
		snprintf(want, sizeof(want), "%s = 3", keys[k]);
		CHECK(has_line(&p, want));
	}
}

static void test_ledger_outstanding(void)
{
	struct e1k_halt_report r;
	struct e1k_report_problems p;

	fill(&r);
	ledger_acquired(&r.ledger, LEDGER_IRQ, E1K_HS_DEREGISTER_INTERRUPTS, "msix 0", noop_release,
	                NULL);
	CHECK(e1k_halt_report_clean(&r) != 0);
	CHECK_EQ(check_rep(&r, E1K_HALT_STOPPED, &p), 2);
	CHECK(has_line(&p, "ledger.outstanding = 1"));
	CHECK(has_line(&p, "ledger: acquired 4, released 3"));
}

static void test_final_state(void)
{
	struct e1k_halt_report r;
	struct e1k_report_problems p;

	fill(&r);
	r.final_state = E1K_STATE_RUNNING;
	CHECK_EQ(check_rep(&r, E1K_HALT_STOPPED, &p), 1);
	CHECK(has_line(&p, "final_state = Running, want Halted"));
}

/* Stage problems only the text can have. */
static void test_stage_list(void)
{
	struct e1k_halt_report r;
	struct e1k_report_problems p;
	char *s, *t, *u;
	const char *from, *to;

	fill(&r);
	s = to_json(&r);
	REQUIRE(s);

	/* free-dma's object taken out. */
	from = strstr(s, "{\"name\":\"free-dma\"");
	to = from ? strchr(from, '}') : NULL;
	REQUIRE(to && to[1] == ',');
	t = strdup(s);
	REQUIRE(t);
	memmove(t + (from - s), t + (to - s) + 2, strlen(to + 2) + 1);
	CHECK_EQ(check_text(t, E1K_HALT_STOPPED, &p), 1);
	CHECK(has_line(&p, "stage free-dma: missing"));
	free(t);

	/* A misspelt name: unknown, and the real one missing. */
	t = replace(s, "\"rcu-barrier\"", "\"rcu-barier\"");
	REQUIRE(t);
	CHECK_EQ(check_text(t, E1K_HALT_STOPPED, &p), 2);
	CHECK(has_line(&p, "stages[12]: unknown stage 'rcu-barier'"));
	CHECK(has_line(&p, "stage rcu-barrier: missing"));
	free(t);

	/* Two stages swapped by name: out of contract order. */
	t = replace(s, "\"drain-dpcs\"", "\"X\"");
	u = t ? replace(t, "\"cancel-timers\"", "\"drain-dpcs\"") : NULL;
	free(t);
	t = u ? replace(u, "\"X\"", "\"cancel-timers\"") : NULL;
	free(u);
	REQUIRE(t);
	CHECK(check_text(t, E1K_HALT_STOPPED, &p) >= 1);
	CHECK(has_line(&p, "stage drain-dpcs: listed after cancel-timers "
	                   "(contract order: drain-dpcs first)"));
	free(t);

	/* A stage starting before the previous one ended. */
	fill(&r);
	r.stages[E1K_HS_STOP_RX_TX].start_ns = r.stages[E1K_HS_DRAIN_REQUESTS].end_ns - 1;
	CHECK_EQ(check_rep(&r, E1K_HALT_STOPPED, &p), 1);
	CHECK(has_line(&p, "stage stop-rx-tx: starts before drain-requests ended"));
	free(s);
}

static void test_missing_fields(void)
{
	struct e1k_halt_report r;
	struct e1k_report_problems p;
	char *s, *t;

	fill(&r);
	s = to_json(&r);
	REQUIRE(s);
	t = replace(s, "\"dma_faults\":0,", "");
	CHECK_EQ(check_text(t, E1K_HALT_STOPPED, &p), 1);
	CHECK(has_line(&p, "dma_faults: missing or not a number"));
	free(t);
	t = replace(s, "\"final_state\":\"Halted\"", "\"final_state\":\"Gone\"");
	CHECK_EQ(check_text(t, E1K_HALT_STOPPED, &p), 1);
	CHECK(has_line(&p, "final_state: unknown value 'Gone'"));
	free(t);
	t = replace(s, "\"outstanding\":0", "\"outstanding\":\"0\"");
	CHECK_EQ(check_text(t, E1K_HALT_STOPPED, &p), 1);
	CHECK(has_line(&p, "ledger.outstanding: missing or not a number"));
	free(t);
	CHECK_EQ(check_text("[1,2]", E1K_HALT_STOPPED, &p), 1);
	CHECK(has_line(&p, "the document is not a JSON object"));
	/* Truncated: not JSON at all (the command's exit 2, below). */
	s[strlen(s) / 2] = '\0';
	CHECK_EQ(check_text(s, E1K_HALT_STOPPED, &p), -1);
	free(s);
}

static void test_lookup(void)
{
	static const char doc[] =
		"{\"rx\":{\"packets\":12},\"stages\":[{\"name\":\"a\",\"result\":\"ok\"},"
		"{\"name\":\"free-dma\",\"result\":\"timeout\"}],\"x\":null}";
	struct jr_node *root;
	const struct jr_node *n;
	uint64_t v;

	REQUIRE(jr_parse(doc, strlen(doc), &root, NULL) == 0);
	CHECK(jr_u64(e1k_json_lookup(root, "rx.packets"), &v) && v == 12);
	n = e1k_json_lookup(root, "stages.free-dma.result");
	CHECK(n && !strcmp(jr_string(n), "timeout"));
	n = e1k_json_lookup(root, "stages.0.name");
	CHECK(n && !strcmp(jr_string(n), "a"));
	n = e1k_json_lookup(root, "x");
	CHECK(n && n->type == JR_NULL);
	CHECK(e1k_json_lookup(root, "rx") && e1k_json_lookup(root, "rx")->type == JR_OBJ);
	CHECK(!e1k_json_lookup(root, "rx.bytes"));
	CHECK(!e1k_json_lookup(root, "rx.packets.more"));
	CHECK(!e1k_json_lookup(root, "stages.2"));
	CHECK(!e1k_json_lookup(root, "stages.nope.result"));
	CHECK(!e1k_json_lookup(root, "rx..packets"));
	CHECK(!e1k_json_lookup(root, ""));
	jr_free(root);
}

/* ---- the e1kctl binary ---- */

static char out_buf[4096], err_buf[4096];

static void slurp(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, cap - 1, f) : 0;

	buf[n] = '\0';
	if (f)
		fclose(f);
}

/* Run `e1kctl report ARGS` (a shell word list of our own making). */
static int run(const char *args)
{
	char cmd[1024], o[128], e[128];
	int st;

	snprintf(o, sizeof(o), "%s/out", tmpdir);
	snprintf(e, sizeof(e), "%s/err", tmpdir);
	snprintf(cmd, sizeof(cmd), "'%s' report %s >%s 2>%s", e1kctl, args, o, e);
	st = system(cmd);
	slurp(o, out_buf, sizeof(out_buf));
	slurp(e, err_buf, sizeof(err_buf));
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void write_file(const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void test_command(void)
{
	struct e1k_halt_report r;
	char args[512], *s;

	if (!e1kctl) {
		fprintf(stderr, "  (no e1kctl path given: command not tested)\n");
		return;
	}
	fill(&r);
	s = to_json(&r);
	REQUIRE(s);
	write_file("clean.json", s);
	s[strlen(s) - 5] = '\0';
	write_file("cut.json", s);
	free(s);
	r.dpc_after_drain = 2;
	r.stages[E1K_HS_AWAIT_RX_RETURNS].result = E1K_SR_TIMEOUT;
	snprintf(r.stages[E1K_HS_AWAIT_RX_RETURNS].detail, sizeof(r.stages[0].detail), "5 held");
	s = to_json(&r);
	REQUIRE(s);
	write_file("dirty.json", s);
	free(s);

	snprintf(args, sizeof(args), "check %s/clean.json --reason stopped", tmpdir);
	CHECK_EQ(run(args), 0);
	CHECK(!strncmp(out_buf, "clean: stopped from Running", 27));
	snprintf(args, sizeof(args), "check - --reason=NdisHaltDeviceStopped <%s/clean.json", tmpdir);
	CHECK_EQ(run(args), 0);
	snprintf(args, sizeof(args), "check %s/clean.json --reason disabled", tmpdir);
	CHECK_EQ(run(args), 4);
	CHECK(!strcmp(err_buf, "reason = stopped, want disabled\n"));
	snprintf(args, sizeof(args), "check %s/dirty.json", tmpdir);
	CHECK_EQ(run(args), 4);
	CHECK(!strcmp(err_buf, "stage await-rx-returns: timeout: 5 held\ndpc_after_drain = 2\n"));
	snprintf(args, sizeof(args), "check %s/cut.json", tmpdir);
	CHECK_EQ(run(args), 2);
	CHECK(strstr(err_buf, "not a JSON document"));
	snprintf(args, sizeof(args), "check %s/nonexistent.json", tmpdir);
	CHECK_EQ(run(args), 2);
	snprintf(args, sizeof(args), "check %s/clean.json --reason sleepy", tmpdir);
	CHECK_EQ(run(args), 2);
	CHECK_EQ(run("check"), 2);
	CHECK_EQ(run("frob x"), 2);

	snprintf(args, sizeof(args), "get %s/clean.json ledger.outstanding stages.free-dma.result "
	         "device_gone device", tmpdir);
	CHECK_EQ(run(args), 0);
	CHECK(!strcmp(out_buf, "0\nok\nfalse\nsim:82540em\n"));
	snprintf(args, sizeof(args), "get - reason nope total_ns <%s/clean.json", tmpdir);
	CHECK_EQ(run(args), 4);
	CHECK(!strcmp(out_buf, "stopped\nnull\n15000\n"));
	CHECK(strstr(err_buf, "nope: no such key"));
	write_file("ctl.json", "{\"tx\":{\"packets\":5,\"x\":[1,\"a\\u001b\"]}}");
	snprintf(args, sizeof(args), "get %s/ctl.json tx.packets tx.x tx", tmpdir);
	CHECK_EQ(run(args), 0);
	CHECK(!strcmp(out_buf, "5\n[1,\"a\\u001b\"]\n{\"packets\":5,\"x\":[1,\"a\\u001b\"]}\n"));
	snprintf(args, sizeof(args), "get %s/ctl.json tx.x.1", tmpdir);
	CHECK_EQ(run(args), 0);
	CHECK(!strcmp(out_buf, "a?\n"));   /* ESC never reaches the terminal */
	snprintf(args, sizeof(args), "get %s/ctl.json", tmpdir);
	CHECK_EQ(run(args), 2);
}

int main(int argc, char **argv)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_clean), TL_CASE(test_round_trip), TL_CASE(test_wrong_reason),
		TL_CASE(test_stage_timeout_and_error), TL_CASE(test_each_counter),
		TL_CASE(test_ledger_outstanding), TL_CASE(test_final_state),
		TL_CASE(test_stage_list), TL_CASE(test_missing_fields), TL_CASE(test_lookup),
		TL_CASE(test_command),
	};
	char tmpl[] = "/tmp/e1k-report-test.XXXXXX";
	char cmd[128];
	int rc;

	if (argc > 1)
		e1kctl = argv[1];
	if (!mkdtemp(tmpl)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(tmpdir, sizeof(tmpdir), "%s", tmpl);
	rc = tl_run(cases, TL_N(cases));
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return rc;
}
