/* SPDX-License-Identifier: MIT */
/*
 * cli_e1kctl: the built e1kctl binary (path in argv[1]) against the test
 * server: exit codes 0/2/3/4, local validation (a bad command never reaches
 * the driver), the request lines it sends, the renderings, and --help.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_testutil.h"
#include "ctl_server.h"
#include "json_read.h"
#include "testlib.h"

extern char **environ;

static const char *e1kctl;
static char tmp[64], sock[160], out_path[192], err_path[192];
static struct th_ctx th;
static struct ctl_server *srv;
static char *out, *err;

/*
 * Run e1kctl with args (NULL-terminated).  env_ctl: the E1KD_CTL value, or
 * NULL to leave it unset.  Output lands in out/err.  Returns the exit status.
 */
static int run(const char *env_ctl, const char *const *args)
{
	char *argv[32], *envp[256], envbuf[256];
	int n = 0, ne = 0, rc;
	pid_t pid;

	free(out);
	free(err);
	out = err = NULL;
	argv[n++] = (char *)e1kctl;
	for (; *args && n < 31; args++)
		argv[n++] = (char *)*args;
	argv[n] = NULL;
	/* Our environment (sanitizer options included) minus any E1KD_CTL. */
	for (char **e = environ; *e && ne < 250; e++)
		if (strncmp(*e, "E1KD_CTL=", 9) != 0)
			envp[ne++] = *e;
	if (env_ctl) {
		snprintf(envbuf, sizeof(envbuf), "E1KD_CTL=%s", env_ctl);
		envp[ne++] = envbuf;
	}
	envp[ne] = NULL;

	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		/* Only async-signal-safe calls until exec. */
		int o = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		int e = open(err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

		if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
			_exit(126);
		execve(e1kctl, argv, envp);
		_exit(127);
	}
	rc = tu_wait_child(pid, 30000);
	out = tu_slurp(out_path);
	err = tu_slurp(err_path);
	if (!out)
		out = strdup("");
	if (!err)
		err = strdup("");
	return rc;
}

#define RUN(env, ...) run(env, (const char *const[]){ __VA_ARGS__, NULL })

static void last_is(const char *want, int line)
{
	char last[256];

	th_last(&th, last, sizeof(last));
	if (strcmp(last, want))
		tl_fail(__FILE__, line, "last request \"%s\", want \"%s\"", last, want);
}

static void test_help_and_version(void)
{
	static const char *const must[] = {
		"status", "stats", "pause", "restart", "shutdown", "halt --reason R", "filter add MAC",
		"filter del MAC", "filter list", "mcast add MAC", "mcast del MAC", "promisc on|off",
		"mtu N", "fault NAME [on|off]", "--ctl PATH", "--json", "--timeout MS", "--help",
		"--version", "E1KD_CTL", "/run/e1kd/e1kd.sock", "  0  ", "  2  ", "  3  ", "  4  ",
		"disabled", "instance-deinitialized", "powered-down", "surprise-removed", "failed",
		"initialization-failed", "stopped", "NdisHaltDeviceDisabled",
		"NdisHaltDeviceInstanceDeInitialized", "NdisHaltDevicePoweredDown",
		"NdisHaltDeviceSurpriseRemoved", "NdisHaltDeviceFailed",
		"NdisHaltDeviceInitializationFailed", "NdisHaltDeviceStopped",
	};

	CHECK_EQ(RUN(NULL, "--help"), 0);
	for (size_t k = 0; k < TL_N(must); k++)
		if (!strstr(out, must[k]))
			tl_fail(__FILE__, __LINE__, "--help does not mention \"%s\"", must[k]);
	CHECK_EQ(err[0], '\0');
	CHECK_EQ(RUN(NULL, "-h"), 0);
	CHECK(strstr(out, "Usage: e1kctl") != NULL);
	/* help wins over everything else on the line */
	CHECK_EQ(RUN(NULL, "halt", "--help"), 0);
	CHECK_EQ(RUN(NULL, "--version"), 0);
	CHECK(!strncmp(out, "e1kctl ", 7));
}

static void test_usage_errors(void)
{
	const char *const *const cases[] = {
		(const char *const[]){ NULL },
		(const char *const[]){ "bogus", NULL },
		(const char *const[]){ "--frobnicate", "status", NULL },
		(const char *const[]){ "status", "extra", NULL },
		(const char *const[]){ "halt", NULL },
		(const char *const[]){ "halt", "--reason", "nope", NULL },
		(const char *const[]){ "halt", "--reason", NULL },
		(const char *const[]){ "status", "--reason", "stopped", NULL },
		(const char *const[]){ "filter", NULL },
		(const char *const[]){ "filter", "add", NULL },
		(const char *const[]){ "filter", "add", "zz:00:00:00:00:01", NULL },
		(const char *const[]){ "filter", "add", "02:00:00:00:00", NULL },
		(const char *const[]){ "filter", "add", "02:00-00:00:00:01", NULL },
		(const char *const[]){ "filter", "add", "01:00:5e:00:00:01", NULL },
		(const char *const[]){ "filter", "add", "00:00:00:00:00:00", NULL },
		(const char *const[]){ "filter", "list", "x", NULL },
		(const char *const[]){ "mcast", "add", "02:00:00:00:00:01", NULL },
		(const char *const[]){ "mcast", "list", NULL },
		(const char *const[]){ "promisc", "maybe", NULL },
		(const char *const[]){ "promisc", NULL },
		(const char *const[]){ "mtu", "abc", NULL },
		(const char *const[]){ "mtu", "10", NULL },
		(const char *const[]){ "mtu", "99999", NULL },
		(const char *const[]){ "mtu", "-5", NULL },
		(const char *const[]){ "mtu", "+1500", NULL },
		(const char *const[]){ "mtu", "4294967364", NULL },
		(const char *const[]){ "mtu", " 1500", NULL },
		(const char *const[]){ "filter", "add", "-2:-2:-2:-2:-2:-2", NULL },
		(const char *const[]){ "--timeout", "0x10", "status", NULL },
		(const char *const[]){ "--timeout", "+100", "status", NULL },
		(const char *const[]){ "fault", NULL },
		(const char *const[]){ "fault", "bad name", NULL },
		(const char *const[]){ "fault", "hang", "sideways", NULL },
		(const char *const[]){ "--timeout", "0", "status", NULL },
		(const char *const[]){ "--timeout", "x", "status", NULL },
		(const char *const[]){ "--ctl", NULL },
	};
	unsigned before = th_calls(&th);
	char ctl_opt[200];

	snprintf(ctl_opt, sizeof(ctl_opt), "--ctl=%s", sock);
	for (size_t k = 0; k < TL_N(cases); k++) {
		const char *args[16];
		int n = 0, rc;

		args[n++] = ctl_opt;
		for (const char *const *a = cases[k]; *a; a++)
			args[n++] = *a;
		args[n] = NULL;
		rc = run(NULL, args);
		if (rc != 2)
			tl_fail(__FILE__, __LINE__, "case %zu (%s ...): exit %d, want 2; stderr: %s", k,
			        cases[k][0] ? cases[k][0] : "", rc, err);
		if (!strstr(err, "e1kctl: ") || !strstr(err, "Try 'e1kctl --help'"))
			tl_fail(__FILE__, __LINE__, "case %zu: stderr lacks the hint: %s", k, err);
		CHECK_EQ(out[0], '\0');
	}
	/* none of them reached the driver */
	CHECK_EQ(th_calls(&th), before);

	/* the message says the real reason (issue 17, item 7) */
	CHECK_EQ(RUN(NULL, ctl_opt, "mtu", "4294967364"), 2);
	CHECK(strstr(err, "bad MTU '4294967364': out of range (expected a number from 68 to 16110)"));
	CHECK_EQ(RUN(NULL, ctl_opt, "mtu", "+1500"), 2);
	CHECK(strstr(err, "bad MTU '+1500': not a plain decimal number"));
	CHECK_EQ(RUN(NULL, ctl_opt, "--timeout", "0x10", "status"), 2);
	CHECK(strstr(err, "'0x10' is not a plain decimal number"));
	CHECK_EQ(RUN(NULL, ctl_opt, "--timeout", "3600001", "status"), 2);
	CHECK(strstr(err, "'3600001' is out of range"));
	CHECK_EQ(th_calls(&th), before);
}

static void test_no_driver(void)
{
	char none[200], ctl_opt[220];

	snprintf(none, sizeof(none), "%s/nobody.sock", tmp);
	snprintf(ctl_opt, sizeof(ctl_opt), "--ctl=%s", none);
	CHECK_EQ(RUN(NULL, ctl_opt, "status"), 3);
	CHECK(strstr(err, "e1kctl: no driver is listening on ") != NULL);
	CHECK(strstr(err, none) != NULL);
	CHECK(strstr(err, "(is e1kd running?)") != NULL);
	/* the same through the environment */
	CHECK_EQ(RUN(none, "halt", "--reason", "stopped"), 3);
	CHECK(strstr(err, none) != NULL);
}

static void test_refused_and_timeout(void)
{
	CHECK_EQ(RUN(sock, "pause"), 4);
	last_is("PAUSE", __LINE__);
	CHECK(strstr(err, "the driver refused: adapter is busy (EBUSY)") != NULL);
	CHECK_EQ(out[0], '\0');

	/* a driver that does not answer in time: exit 3 */
	th_set_block_stats(&th, true);
	CHECK_EQ(RUN(sock, "--timeout", "200", "stats"), 3);
	th_set_block_stats(&th, false);
	CHECK(strstr(err, "no answer from the driver") != NULL);
}

static void test_status_and_requests(void)
{
	/* E1KD_CTL is used when --ctl is absent; status renders as a table */
	CHECK_EQ(RUN(sock, "status"), 0);
	last_is("STATUS", __LINE__);
	CHECK(strstr(out, "state") && strstr(out, "Running"));
	CHECK(strstr(out, "device.name") && strstr(out, "sim:82540em"));
	CHECK(strstr(out, "  queues[1]") && strstr(out, "id=1  rx=2"));
	CHECK(strstr(out, "a, b") != NULL);

	/* --json prints the document as received */
	CHECK_EQ(RUN(sock, "--json", "status"), 0);
	CHECK(!strncmp(out, "{\"state\":\"Running\",\"device\":{", 29));
	CHECK_EQ(jr_validate(out, strlen(out)), 0);

	/* --ctl wins over the environment */
	{
		char ctl_opt[200];

		snprintf(ctl_opt, sizeof(ctl_opt), "--ctl=%s", sock);
		CHECK_EQ(RUN("/nonexistent/x.sock", ctl_opt, "stats"), 0);
		last_is("STATS", __LINE__);
		CHECK(strstr(out, "rx_packets") != NULL);
	}

	/* the request lines sent */
	RUN(sock, "filter", "add", "02:AA:bb:CC:dd:EE");
	last_is("FILTER ADD 02:aa:bb:cc:dd:ee", __LINE__);
	RUN(sock, "FILTER", "Del", "02-00-00-00-00-01");
	last_is("FILTER DEL 02:00:00:00:00:01", __LINE__);
	RUN(sock, "filter", "list");
	last_is("FILTER LIST", __LINE__);
	RUN(sock, "mcast", "add", "01:00:5E:00:00:FB");
	last_is("MCAST ADD 01:00:5e:00:00:fb", __LINE__);
	RUN(sock, "mcast", "del", "33:33:00:00:00:01");
	last_is("MCAST DEL 33:33:00:00:00:01", __LINE__);
	RUN(sock, "promisc", "ON");
	last_is("PROMISC ON", __LINE__);
	RUN(sock, "promisc", "off");
	last_is("PROMISC OFF", __LINE__);
	RUN(sock, "mtu", "1400");
	last_is("MTU 1400", __LINE__);
	RUN(sock, "shutdown");
	last_is("SHUTDOWN", __LINE__);
	RUN(sock, "fault", "surprise-removal");
	last_is("FAULT surprise-removal on", __LINE__);
	RUN(sock, "fault", "hang", "OFF");
	last_is("FAULT hang off", __LINE__);
	RUN(sock, "restart");
	last_is("RESTART", __LINE__);
	/* options after the command work too */
	CHECK_EQ(RUN(sock, "status", "--json"), 0);
	CHECK(out[0] == '{');
}

static void test_halt(void)
{
	/* NDIS spelling, any case; sent as the CLI spelling */
	CHECK_EQ(RUN(sock, "halt", "--reason", "ndisHALTdeviceSurpriseRemoved"), 0);
	last_is("HALT surprise-removed", __LINE__);
	CHECK(strstr(out, "Halt reason:  surprise-removed (NdisHaltDeviceSurpriseRemoved)") != NULL);
	CHECK(strstr(out, "State:        Running -> Halted") != NULL);
	CHECK(strstr(out, "STAGE") != NULL);
	CHECK(strstr(out, "reject-new-work") && strstr(out, "release-device"));
	CHECK(strstr(out, "2 buffers not returned") != NULL);
	CHECK(strstr(out, "isr_after_deregister") != NULL);
	CHECK(strstr(out, "Ledger:       acquired 42, released 42, outstanding 0") != NULL);
	CHECK_EQ(err[0], '\0');

	CHECK_EQ(RUN(sock, "--json", "halt", "--reason=stopped"), 0);
	last_is("HALT stopped", __LINE__);
	{
		struct jr_node *root = NULL;

		CHECK_EQ(jr_parse(out, strlen(out), &root, NULL), 0);
		CHECK(root && !strcmp(jr_get_str(root, "final_state"), "Halted"));
		jr_free(root);
	}

	/* a halt that does not reach Halted: exit 4, report still printed */
	CHECK_EQ(RUN(sock, "halt", "--reason", "FAILED"), 4);
	last_is("HALT failed", __LINE__);
	CHECK(strstr(out, "Running -> Paused") != NULL);
	CHECK(strstr(err, "the halt did not complete: final state is Paused") != NULL);
	CHECK_EQ(RUN(sock, "--json", "halt", "--reason", "failed"), 4);
}

int main(int argc, char **argv)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_help_and_version),
		TL_CASE(test_usage_errors),
		TL_CASE(test_no_driver),
		TL_CASE(test_refused_and_timeout),
		TL_CASE(test_status_and_requests),
		TL_CASE(test_halt),
	};
	char msg[256];
	int rc;

	if (argc < 2) {
		fprintf(stderr, "usage: %s PATH-TO-e1kctl\n", argv[0]);
		return 2;
	}
	e1kctl = argv[1];
	signal(SIGPIPE, SIG_IGN);
	th_init(&th);
	if (tu_mkdtemp(tmp, sizeof(tmp)) != 0) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(sock, sizeof(sock), "%s/run/e1kd.sock", tmp);
	snprintf(out_path, sizeof(out_path), "%s/stdout", tmp);
	snprintf(err_path, sizeof(err_path), "%s/stderr", tmp);
	if (ctl_server_create_opts(sock, th_handler, &th, NULL, NULL, &srv, msg, sizeof(msg))) {
		fprintf(stderr, "server: %s\n", msg);
		tu_rm_rf(tmp);
		return 1;
	}
	th.server = srv;
	rc = tl_run(cases, TL_N(cases));
	ctl_server_destroy(srv);
	free(out);
	free(err);
	tu_rm_rf(tmp);
	th_fini(&th);
	return rc;
}
