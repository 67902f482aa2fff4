/* SPDX-License-Identifier: MIT */
/*
 * cli_verbs: the verb table (cli/ctl_verbs.c) is whole, and both programs
 * implement every row of it.  Arguments: the built e1kd and e1kctl.
 *
 * The table's own rules (every id has a row, rows of one id adjacent, names
 * unique, counts in range, the folded usage lines).  Then a real e1kd on the
 * software model, and for every row e1kctl sending that form with an example
 * argument list from this file: each must succeed -- an e1kctl without a
 * builder for the verb exits 1, an e1kd without a handler answers ENOSYS --
 * and e1kctl --help must list the form.  A row without an example here fails
 * too: a new verb is not done until it has one.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_testutil.h"
#include "ctl_proto.h"
#include "ctl_verbs.h"
#include "testlib.h"

static const char *e1kd, *e1kctl;
static char tmp[64], sock[160], out_path[192], err_path[192];
static char *out, *err;

/* Example e1kctl arguments per form ("" for none); NULL: the form has none here. */
static const char *example(const struct ctl_verb *v)
{
	static const struct {
		const char *cli;
		const char *args;
	} ex[] = {
		{ "status", "" }, { "stats", "" }, { "pause", "" }, { "restart", "" },
		{ "shutdown", "" }, { "halt", "--reason stopped" },
		{ "filter add", "02:00:00:00:00:01" }, { "filter del", "02:00:00:00:00:01" },
		{ "filter list", "" }, { "mcast add", "01:00:5e:00:00:01" },
		{ "mcast del", "01:00:5e:00:00:01" }, { "promisc", "on" }, { "mtu", "1500" },
		{ "fault", "link-down off" }, { "dump regs", "" }, { "dump eeprom", "" },
		{ "selftest", "--offline" },
		/* Runs until SIGINT: send_form stops it once armed. */
		{ "capture", "--tx --snaplen 128 -w " },
	};

	for (size_t i = 0; i < TL_N(ex); i++)
		if (!strcmp(ex[i].cli, v->cli))
			return ex[i].args;
	return NULL;
}

/* Run prog with the words of a and b (space-separated; NULL ok) after fixed
 * leading arguments; output in out/err; the exit status, or -1. */
static int run(const char *prog, const char *const *lead, const char *a, const char *b,
               bool wait)
{
	char *argv[32], words[512];
	int n = 0;
	pid_t pid;

	argv[n++] = (char *)prog;
	for (; lead && *lead; lead++)
		argv[n++] = (char *)*lead;
	snprintf(words, sizeof(words), "%s %s", a ? a : "", b ? b : "");
	for (char *save, *w = strtok_r(words, " ", &save); w && n < 31; w = strtok_r(NULL, " ", &save))
		argv[n++] = w;
	argv[n] = NULL;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int o = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		int e = open(err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

		if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
			_exit(126);
		execv(prog, argv);
		_exit(127);
	}
	if (!wait)
		return pid;
	free(out);
	free(err);
	n = tu_wait_child(pid, 30000);
	out = tu_slurp(out_path);
	err = tu_slurp(err_path);
	if (!out)
		out = strdup("");
	if (!err)
		err = strdup("");
	return n;
}

static void test_table(void)
{
	char buf[256];

	for (int id = 0; id < CTL_VERB_COUNT; id++)
		if (!ctl_verb_first((enum ctl_verb_id)id))
			tl_fail(__FILE__, __LINE__, "verb id %d has no row", id);
	for (size_t i = 0; i < ctl_nverbs; i++) {
		const struct ctl_verb *v = &ctl_verbs[i];
		struct ctl_request r;
		char line[128];

		CHECK(v->id < CTL_VERB_COUNT);
		CHECK(v->wire_min <= v->wire_max && v->wire_max <= CTL_MAX_ARGS);
		CHECK(v->cli_min <= v->cli_max);
		CHECK(v->help && *v->help);
		CHECK(ctl_verb_by_wire(v->wire)->id == v->id);
		/* rows of one id are adjacent (the usage folding relies on it) */
		if (i > 0 && ctl_verbs[i - 1].id != v->id)
			for (size_t k = 0; k + 1 < i; k++)
				if (ctl_verbs[k].id == v->id)
					tl_fail(__FILE__, __LINE__, "rows of %s are not adjacent", v->wire);
		for (size_t k = 0; k < i; k++) {
			if (!strcasecmp(ctl_verbs[k].cli, v->cli))
				tl_fail(__FILE__, __LINE__, "e1kctl spelling '%s' twice", v->cli);
			if (!strcmp(ctl_verbs[k].wire, v->wire) && ctl_verbs[k].id != v->id)
				tl_fail(__FILE__, __LINE__, "wire verb %s under two ids", v->wire);
		}
		/* the smallest request of this form matches this row */
		snprintf(line, sizeof(line), "%s", v->wire);
		for (int a = 0; a < v->wire_min; a++) {
			strcat(line, " ");
			strcat(line, a == 0 && v->sub ? v->sub : "x");
		}
		REQUIRE(ctl_parse_request(line, strlen(line), &r) == 0);
		if (ctl_verb_match(&r) != v)
			tl_fail(__FILE__, __LINE__, "'%s' does not match its own row", line);
		if (!example(v))
			tl_fail(__FILE__, __LINE__, "'%s': no example in test_verbs.c", v->cli);
	}
	ctl_verb_usage(CTL_VERB_FILTER, false, buf, sizeof(buf));
	CHECK(!strcmp(buf, "FILTER ADD|DEL MAC | FILTER LIST"));
	ctl_verb_usage(CTL_VERB_FILTER, true, buf, sizeof(buf));
	CHECK(!strcmp(buf, "filter add|del MAC | filter list"));
	ctl_verb_usage(CTL_VERB_MCAST, true, buf, sizeof(buf));
	CHECK(!strcmp(buf, "mcast add|del MAC"));
	ctl_verb_usage(CTL_VERB_FAULT, false, buf, sizeof(buf));
	CHECK(!strcmp(buf, "FAULT NAME [ON|OFF]"));
	ctl_verb_usage(CTL_VERB_STATUS, true, buf, sizeof(buf));
	CHECK(!strcmp(buf, "status"));
	/* truncation keeps snprintf's contract */
	CHECK_EQ(ctl_verb_usage(CTL_VERB_FILTER, false, buf, 7), 32);
	CHECK(!strcmp(buf, "FILTER"));
}

static void test_help_lists_every_form(void)
{
	CHECK_EQ(run(e1kctl, NULL, "--help", NULL, true), 0);
	for (size_t i = 0; i < ctl_nverbs; i++) {
		char form[128];

		snprintf(form, sizeof(form), "  %s%s%s ", ctl_verbs[i].cli,
		         *ctl_verbs[i].cli_args ? " " : "", ctl_verbs[i].cli_args);
		if (!strstr(out, form))
			tl_fail(__FILE__, __LINE__, "--help does not list '%s'", form);
	}
}

static bool pcap_written(void *ctx)
{
	struct stat st;

	return stat(ctx, &st) == 0 && st.st_size > 0;
}

/* A capture ends at SIGINT, once armed (its file has the pcap header). */
static int run_capture(const struct ctl_verb *v, const char *const *lead)
{
	char args[256], file[200];
	int pid;

	snprintf(file, sizeof(file), "%s/verbs.pcap", tmp);
	snprintf(args, sizeof(args), "%s%s", example(v), file);
	pid = run(e1kctl, lead, v->cli, args, false);
	if (pid <= 0)
		return -1;
	if (!tl_wait_until(pcap_written, file, 10000))
		tl_fail(__FILE__, __LINE__, "e1kctl capture wrote no pcap header to %s", file);
	kill(pid, SIGINT);
	free(err);
	pid = tu_wait_child(pid, 30000);
	err = tu_slurp(err_path);
	if (!err)
		err = strdup("");
	if (!strstr(err, "0 frames captured, 0 dropped"))
		tl_fail(__FILE__, __LINE__, "e1kctl capture: '%s'", err);
	return pid;
}

static void send_form(const struct ctl_verb *v)
{
	const char *lead[] = { "--ctl", sock, NULL };
	int rc = v->id == CTL_VERB_CAPTURE ? run_capture(v, lead) : run(e1kctl, lead, v->cli, example(v), true);

	if (rc != 0 || strstr(err, "ENOSYS"))
		tl_fail(__FILE__, __LINE__, "e1kctl %s %s: exit %d: %s", v->cli, example(v), rc, err);
}

static void test_every_form_on_e1kd(void)
{
	const char *lead[] = { "--device", "sim:82540em", "--ctl", sock, "--log-level", "error", NULL };
	const struct ctl_verb *last[] = { ctl_verb_first(CTL_VERB_SHUTDOWN), ctl_verb_first(CTL_VERB_HALT) };
	struct stat st;
	pid_t pid;
	int rc;

	for (size_t i = 0; i < ctl_nverbs; i++)
		REQUIRE(example(&ctl_verbs[i]));
	pid = run(e1kd, lead, NULL, NULL, false);
	REQUIRE(pid > 0);
	for (int i = 0; i < 300 && stat(sock, &st) != 0; i++)
		usleep(10000);
	if (stat(sock, &st) != 0) {
		kill(pid, SIGKILL);
		tu_wait_child(pid, 5000);
		tl_fail(__FILE__, __LINE__, "e1kd did not create %s", sock);
		return;
	}
	/* Shutdown and halt end what the device can do: last. */
	for (size_t i = 0; i < ctl_nverbs; i++)
		if (ctl_verbs[i].id != CTL_VERB_SHUTDOWN && ctl_verbs[i].id != CTL_VERB_HALT)
			send_form(&ctl_verbs[i]);
	for (size_t i = 0; i < TL_N(last); i++)
		send_form(last[i]);
	rc = tu_wait_child(pid, 30000);
	CHECK_EQ(rc, 0);
}

int main(int argc, char **argv)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_table),
		TL_CASE(test_help_lists_every_form),
		TL_CASE(test_every_form_on_e1kd),
	};
	int rc;

	if (argc < 3) {
		fprintf(stderr, "usage: %s PATH-TO-e1kd PATH-TO-e1kctl\n", argv[0]);
		return 2;
	}
	e1kd = argv[1];
	e1kctl = argv[2];
	signal(SIGPIPE, SIG_IGN);
	if (tu_mkdtemp(tmp, sizeof(tmp)) != 0) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(sock, sizeof(sock), "%s/run/e1kd.sock", tmp);
	snprintf(out_path, sizeof(out_path), "%s/stdout", tmp);
	snprintf(err_path, sizeof(err_path), "%s/stderr", tmp);
	rc = tl_run(cases, TL_N(cases));
	free(out);
	free(err);
	tu_rm_rf(tmp);
	return rc;
}
