/* SPDX-License-Identifier: MIT */
/*
 * cli_host_tools: e1kctl dump regs|eeprom, selftest [--offline] and
 * stats --watch through a real e1kd on the software model.  Arguments: the
 * built e1kd and e1kctl.
 *
 * What is checked: the rendered dumps and self-test lines, their JSON, the
 * exit codes (0, 4 naming the failed test for each self-test fault the model
 * injects, 2 for misuse), and --watch: plain lines when stdout is a file,
 * the ANSI home/clear screen on a terminal (a pty), exit 0 on SIGINT and 3
 * when e1kd halts under it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli_testutil.h"
#include "testlib.h"

static const char *e1kd, *e1kctl;
static char tmp[64], sock[160], out_path[192], err_path[192];
static char *out, *err;
static pid_t daemon_pid = -1;

/* Start prog with argv-style words (NULL-terminated); stdout to out_path (or
 * to the pty slave named by tty), stderr to err_path.  The pid, or -1. */
static pid_t start(const char *prog, const char *const *words, const char *tty)
{
	char *argv[32];
	int n = 0;
	pid_t pid;

	argv[n++] = (char *)prog;
	for (; *words && n < 31; words++)
		argv[n++] = (char *)*words;
	argv[n] = NULL;
	pid = fork();
	if (pid != 0)
		return pid;
	{
		int o = tty ? open(tty, O_RDWR | O_NOCTTY) :
		              open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		int e = open(err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

		if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
			_exit(126);
		execv(prog, argv);
		_exit(127);
	}
}

static void slurp(void)
{
	free(out);
	free(err);
	out = tu_slurp(out_path);
	err = tu_slurp(err_path);
	if (!out)
		out = strdup("");
	if (!err)
		err = strdup("");
}

/* e1kctl --ctl SOCK words...; exit status, output in out/err. */
static int ctl(const char *a, const char *b, const char *c)
{
	const char *w[] = { "--ctl", sock, a, b, c, NULL };
	int rc = tu_wait_child(start(e1kctl, w, NULL), 60000);

	slurp();
	return rc;
}

static bool has(const char *hay, const char *needle, const char *what, int line)
{
	if (strstr(hay, needle))
		return true;
	tl_fail(__FILE__, line, "%s lacks '%s':\n%s", what, needle, hay);
	return false;
}
#define HAS_OUT(s) has(out, s, "stdout", __LINE__)
#define HAS_ERR(s) has(err, s, "stderr", __LINE__)

static void daemon_up(void)
{
	const char *w[] = { "--device", "sim:82574l", "--ctl", sock, "--sim-wire", "loopback",
	                    "--log-level", "error", NULL };
	struct stat st;

	unlink(sock);
	daemon_pid = start(e1kd, w, NULL);
	for (int i = 0; i < 500 && stat(sock, &st) != 0; i++)
		usleep(10000);   /* the daemon's own startup: no condition to wait on but the socket */
	if (stat(sock, &st) != 0)
		tl_fail(__FILE__, __LINE__, "e1kd did not create %s", sock);
}

static void daemon_down(void)
{
	if (daemon_pid > 0) {
		kill(daemon_pid, SIGTERM);
		CHECK_EQ(tu_wait_child(daemon_pid, 30000), 0);
	}
	daemon_pid = -1;
}

static void test_dumps(void)
{
	CHECK_EQ(ctl("dump", "regs", NULL), 0);
	HAS_OUT("register   offset   value      decoded\n");
	HAS_OUT("STATUS     0x00008  0x00000083 FD LU SPEED=1000\n");
	HAS_OUT("IVAR       0x000e4");
	HAS_OUT(" RXQ0->0 TXQ0->1 OTHER->2\n");
	HAS_OUT("RCTL       0x00100");
	HAS_OUT("not shown: ICR (reading clears");
	CHECK(!strstr(out, "\nICR "));
	CHECK_EQ(ctl("--json", "dump", "regs"), 0);
	HAS_OUT("{\"name\":\"CTRL\",\"offset\":0,");
	CHECK_EQ(ctl("dump", "eeprom", NULL), 0);
	HAS_OUT("0x00: 5452 1200 5634");
	HAS_OUT("checksum: words 0x00-0x3f sum to 0xbaba, valid (must be 0xbaba)\n");
	CHECK_EQ(ctl("--json", "dump", "eeprom"), 0);
	HAS_OUT("\"sum\":47802,\"expected\":47802,\"valid\":true");
	CHECK_EQ(ctl("fault", "bad-eeprom", NULL), 0);
	CHECK_EQ(ctl("dump", "eeprom", NULL), 0);   /* the dump works; the data is bad */
	HAS_OUT("sum to 0xbabb, INVALID");
	CHECK_EQ(ctl("fault", "bad-eeprom", "off"), 0);
	/* misuse: exit 2, nothing sent */
	CHECK_EQ(ctl("dump", NULL, NULL), 2);
	HAS_ERR("usage: e1kctl dump regs|eeprom");
	CHECK_EQ(ctl("dump", "regs", "extra"), 2);
}

/* A fault fails its test: exit 4, the test named on stderr and in the table. */
static void selftest_fails(const char *fault, const char *test, bool offline)
{
	char line[64];

	CHECK_EQ(ctl("fault", fault, "on"), 0);
	CHECK_EQ(ctl("selftest", offline ? "--offline" : NULL, NULL), 4);
	snprintf(line, sizeof(line), "e1kctl: self-test failed: %s\n", test);
	HAS_ERR(line);
	snprintf(line, sizeof(line), "%-10s fail", test);
	HAS_OUT(line);
	HAS_OUT(offline ? "self-test (offline): FAIL; adapter Running\n" :
	                  "self-test (online): FAIL; adapter Running\n");
	CHECK_EQ(ctl("fault", fault, "off"), 0);
}

static void test_selftest(void)
{
	CHECK_EQ(ctl("selftest", NULL, NULL), 0);
	HAS_OUT("interrupt  skipped");
	HAS_OUT("self-test (online): PASS; adapter Running\n");
	CHECK_EQ(ctl("selftest", "--offline", NULL), 0);
	HAS_OUT("interrupt  pass");
	HAS_OUT("loopback   pass");
	HAS_OUT("self-test (offline): PASS; adapter Running\n");
	CHECK_EQ(ctl("--json", "selftest", "--offline"), 0);
	HAS_OUT("{\"mode\":\"offline\",\"passed\":true,\"failed\":0,\"state\":\"Running\"");
	selftest_fails("stuck-bit", "registers", false);
	selftest_fails("bad-eeprom", "eeprom", false);
	selftest_fails("lost-irq", "interrupt", true);
	selftest_fails("corrupt-loopback", "loopback", true);
	/* --json still says which and still exits 4 */
	CHECK_EQ(ctl("fault", "stuck-bit", NULL), 0);
	CHECK_EQ(ctl("--json", "selftest", NULL), 4);
	HAS_OUT("\"passed\":false");
	HAS_ERR("self-test failed: registers");
	CHECK_EQ(ctl("fault", "stuck-bit", "off"), 0);
	CHECK_EQ(ctl("status", NULL, NULL), 0);
	HAS_OUT("Running");
	CHECK_EQ(ctl("pause", "--offline", NULL), 2);
	HAS_ERR("--offline is only valid with selftest");
}

/* ---- --watch ---- */

static int count_lines(const char *s, const char *prefix)
{
	int n = 0;

	for (const char *p = s; (p = strstr(p, prefix)); p++)
		n++;
	return n;
}

static bool two_lines(void *ctx)
{
	(void)ctx;
	slurp();
	return count_lines(out, "elapsed_s=") >= 2;
}

static void test_watch_lines_and_sigint(void)
{
	const char *w[] = { "--ctl", sock, "stats", "--watch", "0.1", NULL };
	pid_t pid = start(e1kctl, w, NULL);

	REQUIRE(pid > 0);
	CHECK(tl_wait_until(two_lines, NULL, 10000));
	kill(pid, SIGINT);
	CHECK_EQ(tu_wait_child(pid, 10000), 0);
	slurp();
	HAS_OUT(" rx_pps=0 rx_bps=0 tx_pps=0 tx_bps=0 drops_ps=0 irq_ps=");
	CHECK(!strstr(out, "\033["));
	/* misuse */
	CHECK_EQ(ctl("status", "--watch", NULL), 2);
	HAS_ERR("--watch is only valid with stats");
	CHECK_EQ(ctl("stats", "--watch", "0.01"), 2);
	CHECK_EQ(ctl("stats", "--watch=abc", NULL), 2);
	CHECK_EQ(ctl("--json", "stats", "--watch"), 2);
}

static void test_watch_terminal(void)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	char buf[8192];
	size_t got = 0;
	pid_t pid;
	uint64_t end;

	REQUIRE(m >= 0);
	REQUIRE(grantpt(m) == 0 && unlockpt(m) == 0);
	{
		const char *w[] = { "--ctl", sock, "stats", "--watch", "0.1", NULL };

		pid = start(e1kctl, w, ptsname(m));
	}
	REQUIRE(pid > 0);
	/* Read the screen until a full one (header to totals) has been drawn. */
	end = (uint64_t)time(NULL) + 10;
	buf[0] = '\0';
	while ((uint64_t)time(NULL) < end && !(strstr(buf, "\033[H\033[2J") && strstr(buf, "totals:"))) {
		struct pollfd p = { .fd = m, .events = POLLIN };
		ssize_t r;

		if (poll(&p, 1, 200) <= 0)
			continue;
		r = read(m, buf + got, sizeof(buf) - 1 - got);
		if (r <= 0)
			break;
		got += (size_t)r;
		buf[got] = '\0';
		if (got > sizeof(buf) / 2) {   /* keep the tail */
			memmove(buf, buf + got / 2, got - got / 2 + 1);
			got -= got / 2;
		}
	}
	CHECK(strstr(buf, "\033[H\033[2J") != NULL);
	CHECK(strstr(buf, "packets/s") != NULL);
	CHECK(strstr(buf, "interrupts/s") != NULL);
	CHECK(strstr(buf, "totals:") != NULL);
	kill(pid, SIGINT);
	CHECK_EQ(tu_wait_child(pid, 10000), 0);
	close(m);
}

static void test_watch_ends_when_e1kd_goes(void)
{
	const char *w[] = { "--ctl", sock, "stats", "--watch", "0.1", NULL };
	pid_t pid = start(e1kctl, w, NULL);
	const char *h[] = { "--ctl", sock, "halt", "--reason", "stopped", NULL };
	char save_err[192];

	REQUIRE(pid > 0);
	CHECK(tl_wait_until(two_lines, NULL, 10000));
	/* The halt's own e1kctl writes elsewhere: keep the watcher's files. */
	snprintf(save_err, sizeof(save_err), "%s", err_path);
	snprintf(out_path, sizeof(out_path), "%s/halt.out", tmp);
	snprintf(err_path, sizeof(err_path), "%s/halt.err", tmp);
	CHECK_EQ(tu_wait_child(start(e1kctl, h, NULL), 30000), 0);
	CHECK_EQ(tu_wait_child(daemon_pid, 30000), 0);
	daemon_pid = -1;
	snprintf(out_path, sizeof(out_path), "%s/stdout", tmp);
	snprintf(err_path, sizeof(err_path), "%s", save_err);
	CHECK_EQ(tu_wait_child(pid, 10000), 3);
	slurp();
	HAS_ERR("e1kctl: e1kd went away");
}

int main(int argc, char **argv)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_dumps),
		TL_CASE(test_selftest),
		TL_CASE(test_watch_lines_and_sigint),
		TL_CASE(test_watch_terminal),
		TL_CASE(test_watch_ends_when_e1kd_goes),
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
	daemon_up();
	rc = tl_run(cases, TL_N(cases));
	daemon_down();
	free(out);
	free(err);
	tu_rm_rf(tmp);
	return rc;
}
