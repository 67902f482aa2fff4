/* SPDX-License-Identifier: MIT */
/*
 * robust_daemon: issue 17's daemon-side attacks against the built e1kd on the
 * software model.  Argument: the e1kd binary, then case names (all when none).
 *
 *   test_sig_NAME   every signal whose default action ends a process: the
 *                   halting ones are blocked in every thread (each task's
 *                   SigBlk), then end in a staged halt (stopped): exit 0, the
 *                   report says Halted, the socket is gone; the fatal ones
 *                   run the emergency stop ("fatal signal: stopping the device
 *                   before exit") and kill e1kd with that signal.  Before the
 *                   fix USR1 ... PWR killed e1kd with DMA live (exit 128+n).
 *   test_report_*   --report as root in a place another user could prepare:
 *                   a planted symlink (before the start, or while e1kd runs)
 *                   to a 0600 file is refused with the reason and exit 1, the
 *                   file untouched; an unsafe or symlinked directory on the
 *                   way is refused; a sticky world-writable one is fine.
 *   test_proto_*    strict numbers and arguments on the control socket:
 *                   "MTU 4294967364" once set the MTU to 68.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli_testutil.h"
#include "testlib.h"

static const char *e1kd;
static char tmp[64], sock[160], report[160], err_path[160];
static char *err_text;

/* Start e1kd on the model with extra arguments (NULL-terminated); stderr to
 * err_path.  Every signal disposition back to the default and no core
 * dumps: what the test sends must meet e1kd's own handling only. */
static pid_t start(const char *const *extra)
{
	const char *argv[32] = { e1kd, "--device", "sim:82540em", "--ctl", sock };
	int n = 5;
	pid_t pid;

	for (; extra && *extra && n < 31; extra++)
		argv[n++] = *extra;
	argv[n] = NULL;
	pid = fork();
	if (pid == 0) {
		struct rlimit nocore = { 0, 0 };
		sigset_t none;
		int e = open(err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

		for (int s = 1; s < NSIG; s++)
			signal(s, SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		setrlimit(RLIMIT_CORE, &nocore);
		if (e < 0 || dup2(e, 2) < 0)
			_exit(126);
		execv(e1kd, (char *const *)argv);
		_exit(127);
	}
	return pid;
}

/* Listening, not only bound: the file appears at bind(), before listen(),
 * and a connect in between is refused. */
static bool sock_there(void *ctx)
{
	struct stat st;
	int fd;

	(void)ctx;
	if (stat(sock, &st) != 0 || !S_ISSOCK(st.st_mode))
		return false;
	fd = tu_connect(sock);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* Started e1kd up to its socket, or killed and -1. */
static pid_t start_running(const char *const *extra)
{
	pid_t pid = start(extra);

	if (pid < 0)
		return -1;
	if (!tl_wait_until(sock_there, NULL, 20000)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		free(err_text);
		err_text = tu_slurp(err_path);
		tl_fail(__FILE__, __LINE__, "e1kd did not create %s: %s", sock,
		        err_text ? err_text : "");
		return -1;
	}
	return pid;
}

/* Wait (bounded) for e1kd; its raw wait status, or -1; stderr in err_text. */
static int finish(pid_t pid, unsigned timeout_ms)
{
	int status = -1;

	for (unsigned t = 0; t < timeout_ms; t += 10) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			goto done;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	status = -1;
done:
	free(err_text);
	err_text = tu_slurp(err_path);
	if (!err_text)
		err_text = strdup("");
	return status;
}

/* Every thread of pid blocks sig (SigBlk in /proc/PID/task/TID/status). */
static bool blocked_in_every_thread(pid_t pid, int sig, char *why, size_t whylen)
{
	char dir[64], path[352], line[256];
	struct dirent *de;
	unsigned tasks = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/task", (int)pid);
	d = opendir(dir);
	if (!d) {
		snprintf(why, whylen, "cannot open %s", dir);
		return false;
	}
	while ((de = readdir(d))) {
		unsigned long long blk = 0;
		bool found = false;
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/status", dir, de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;   /* a thread that just ended */
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "SigBlk: %llx", &blk) == 1)
				found = true;
		fclose(f);
		tasks++;
		if (found && !(blk >> (sig - 1) & 1)) {
			snprintf(why, whylen, "thread %.16s does not block signal %d (SigBlk %llx)",
			         de->d_name, sig, blk);
			closedir(d);
			return false;
		}
	}
	closedir(d);
	if (tasks < 2) {
		snprintf(why, whylen, "only %u thread(s) seen", tasks);
		return false;
	}
	return true;
}

static void halting_signal(int sig)
{
	const char *extra[] = { "--report", report, NULL };
	char why[160];
	struct stat st;
	char *rep;
	pid_t pid;
	int status;

	unlink(report);
	pid = start_running(extra);
	REQUIRE(pid > 0);
	if (!blocked_in_every_thread(pid, sig, why, sizeof(why)))
		tl_fail(__FILE__, __LINE__, "signal %d (%s): %s", sig, strsignal(sig), why);
	CHECK_EQ(kill(pid, sig), 0);
	status = finish(pid, 30000);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		tl_fail(__FILE__, __LINE__, "signal %d (%s): wait status %#x, want exit 0: %s",
		        sig, strsignal(sig), status, err_text);
		return;
	}
	CHECK(strstr(err_text, "halting (stopped): signal") != NULL);
	rep = tu_slurp(report);
	CHECK(rep && strstr(rep, "\"reason\":\"stopped\"") && strstr(rep, "\"final_state\":\"Halted\""));
	free(rep);
	if (stat(sock, &st) == 0)
		tl_fail(__FILE__, __LINE__, "signal %d: socket %s left behind", sig, sock);
}

static void fatal_signal(int sig)
{
	const char *extra[] = { "--report", report, NULL };
	struct stat st;
	pid_t pid;
	int status;

	unlink(report);
	pid = start_running(extra);
	REQUIRE(pid > 0);
	CHECK_EQ(kill(pid, sig), 0);
	status = finish(pid, 30000);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != sig)
		tl_fail(__FILE__, __LINE__, "signal %d (%s): wait status %#x, want death by it: %s",
		        sig, strsignal(sig), status, err_text);
	if (!strstr(err_text, "fatal signal: stopping the device before exit"))
		tl_fail(__FILE__, __LINE__, "signal %d (%s): the emergency stop did not run: %s",
		        sig, strsignal(sig), err_text);
	/* Documented: no halt, so no report; the stale socket is taken over by
	 * the next e1kd. */
	CHECK(stat(report, &st) != 0);
	unlink(sock);
}

#define HALTS(name) static void test_sig_##name(void) { halting_signal(SIG##name); }
#define DIES(name) static void test_sig_##name(void) { fatal_signal(SIG##name); }
HALTS(TERM) HALTS(INT) HALTS(HUP) HALTS(QUIT) HALTS(USR1) HALTS(USR2) HALTS(ALRM)
HALTS(VTALRM) HALTS(PROF) HALTS(PWR) HALTS(XCPU) HALTS(XFSZ) HALTS(STKFLT) HALTS(IO)
static void test_sig_RTMIN(void) { halting_signal(SIGRTMIN); }
static void test_sig_RTMAX(void) { halting_signal(SIGRTMAX); }
DIES(TRAP) DIES(SYS) DIES(SEGV) DIES(ABRT) DIES(BUS) DIES(ILL) DIES(FPE)

/* ---- --report ---- */

static char victim[160];

static void make_victim(void)
{
	FILE *f;

	snprintf(victim, sizeof(victim), "%s/victim", tmp);
	f = fopen(victim, "w");
	if (f) {
		fputs("secret\n", f);
		fclose(f);
	}
	chmod(victim, 0600);
}

static bool victim_intact(void)
{
	char *v = tu_slurp(victim);
	bool ok = v && !strcmp(v, "secret\n");

	free(v);
	return ok;
}

/* e1kd with --report path refuses at once: exit 1, why in stderr, no socket. */
static void refused_at_start(const char *path, const char *why, int line)
{
	const char *extra[] = { "--report", path, NULL };
	struct stat st;
	pid_t pid = start(extra);
	int status = finish(pid, 20000);

	if (!WIFEXITED(status) || WEXITSTATUS(status) != 1 || !strstr(err_text, why))
		tl_fail(__FILE__, line, "--report %s: wait status %#x, want exit 1 and '%s': %s",
		        path, status, why, err_text);
	if (stat(sock, &st) == 0)
		tl_fail(__FILE__, line, "--report %s: e1kd started anyway", path);
}

static void test_report_symlink_planted(void)
{
	char link[192];

	make_victim();
	snprintf(link, sizeof(link), "%s/planted.json", tmp);
	REQUIRE(symlink(victim, link) == 0);
	refused_at_start(link, "is a symbolic link", __LINE__);
	CHECK(victim_intact());
	unlink(link);
}

/* Planted while e1kd runs: the write at the end refuses (exit 1), never
 * follows; the link and the file it points to stay as they were. */
static void test_report_symlink_while_running(void)
{
	const char *extra[] = { "--report", report, NULL };
	char target[256];
	ssize_t n;
	pid_t pid;
	int status;

	make_victim();
	unlink(report);
	pid = start_running(extra);
	REQUIRE(pid > 0);
	REQUIRE(symlink(victim, report) == 0);
	kill(pid, SIGTERM);
	status = finish(pid, 30000);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 1 ||
	    !strstr(err_text, "cannot write the report") || !strstr(err_text, "symbolic link"))
		tl_fail(__FILE__, __LINE__, "wait status %#x, want exit 1 and the reason: %s",
		        status, err_text);
	CHECK(victim_intact());
	n = readlink(report, target, sizeof(target) - 1);
	CHECK(n > 0 && (target[n] = '\0', !strcmp(target, victim)));
	unlink(report);
}

static void test_report_unsafe_dirs(void)
{
	char dir[128], path[192], real[128];

	snprintf(dir, sizeof(dir), "%s/open", tmp);
	REQUIRE(mkdir(dir, 0700) == 0 && chmod(dir, 0777) == 0);
	snprintf(path, sizeof(path), "%s/r.json", dir);
	refused_at_start(path, "writable by group or others", __LINE__);

	snprintf(dir, sizeof(dir), "%s/theirs", tmp);
	REQUIRE(mkdir(dir, 0755) == 0 && chown(dir, 65534, 65534) == 0);
	snprintf(path, sizeof(path), "%s/r.json", dir);
	refused_at_start(path, "owned by uid 65534", __LINE__);

	/* A symlinked directory on the way: another user could point it anywhere. */
	snprintf(real, sizeof(real), "%s/real", tmp);
	snprintf(dir, sizeof(dir), "%s/via", tmp);
	REQUIRE(mkdir(real, 0700) == 0 && symlink(real, dir) == 0);
	snprintf(path, sizeof(path), "%s/r.json", dir);
	refused_at_start(path, "is a symbolic link", __LINE__);

	/* Another user's file at the path (in a sticky directory they can write). */
	snprintf(dir, sizeof(dir), "%s/sticky", tmp);
	REQUIRE(mkdir(dir, 0700) == 0 && chmod(dir, 01777) == 0);
	snprintf(path, sizeof(path), "%s/theirs.json", dir);
	REQUIRE(close(open(path, O_WRONLY | O_CREAT, 0644)) == 0 && chown(path, 65534, 65534) == 0);
	refused_at_start(path, "belongs to uid 65534", __LINE__);
}

/* A sticky world-writable directory (like /tmp) is fine: the report lands
 * there, 0600, replacing the old one, and no temporary file is left. */
static void test_report_sticky_dir_ok(void)
{
	const char *extra[] = { "--report", NULL, NULL };
	char dir[128], path[192];
	struct stat st;
	struct dirent *de;
	unsigned names = 0;
	char *rep;
	DIR *d;
	pid_t pid;
	int status;

	snprintf(dir, sizeof(dir), "%s/pub", tmp);
	REQUIRE(mkdir(dir, 0700) == 0 && chmod(dir, 01777) == 0);
	snprintf(path, sizeof(path), "%s/r.json", dir);
	REQUIRE(close(open(path, O_WRONLY | O_CREAT, 0644)) == 0);
	extra[1] = path;
	pid = start_running(extra);
	REQUIRE(pid > 0);
	kill(pid, SIGTERM);
	status = finish(pid, 30000);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	rep = tu_slurp(path);
	CHECK(rep && strstr(rep, "\"final_state\":\"Halted\""));
	free(rep);
	CHECK(lstat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0600);
	d = opendir(dir);
	REQUIRE(d);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' || strstr(de->d_name, ".tmp"))
			names++;
	closedir(d);
	CHECK_EQ(names, 1);
}

/* ---- the control protocol ---- */

/* Send one request line, read the answer into ans. */
static void ask(int fd, const char *req, char *ans, size_t len)
{
	char line[256];
	int n = snprintf(line, sizeof(line), "%s\n", req);

	ans[0] = '\0';
	if (write(fd, line, (size_t)n) != n || tu_read_line(fd, ans, len, 10000) < 0)
		tl_fail(__FILE__, __LINE__, "'%s': no answer", req);
}

#define EXPECT_ERR(fd, req, code, text) do { \
	char _a[1024]; \
	ask(fd, req, _a, sizeof(_a)); \
	if (strncmp(_a, "ERR " code " ", strlen("ERR " code " ")) || !strstr(_a, text)) \
		tl_fail(__FILE__, __LINE__, "'%s' answered '%s', want ERR %s ... %s", req, _a, code, text); \
} while (0)

static void test_proto_strict(void)
{
	char a[2048];
	pid_t pid;
	int fd;

	pid = start_running(NULL);
	REQUIRE(pid > 0);
	fd = tu_connect(sock);
	if (fd < 0) {
		kill(pid, SIGKILL);
		finish(pid, 5000);
		REQUIRE(fd >= 0);
	}
	ask(fd, "MTU 1400", a, sizeof(a));
	CHECK(!strcmp(a, "OK {\"mtu\":1400}"));
	/* 2^32 + 68 and -(2^32 - 68): both were 68 through (unsigned)strtoul. */
	EXPECT_ERR(fd, "MTU 4294967364", "EINVAL", "MTU must be 68..16110 for this device (got '4294967364')");
	EXPECT_ERR(fd, "MTU -4294967228", "EINVAL", "digits only");
	EXPECT_ERR(fd, "MTU +1500", "EINVAL", "digits only");
	EXPECT_ERR(fd, "MTU 0x5dc", "EINVAL", "digits only");
	EXPECT_ERR(fd, "MTU 18446744073709551684", "EINVAL", "MTU must be 68..16110");
	EXPECT_ERR(fd, "MTU 16111", "EINVAL", "MTU must be 68..16110 for this device (got '16111')");
	ask(fd, "STATUS", a, sizeof(a));
	CHECK(strstr(a, "\"mtu\":1400") != NULL);
	/* sscanf("%2x") once read "-2" as 0xfe. */
	EXPECT_ERR(fd, "FILTER ADD -2:-2:-2:-2:-2:-2", "EINVAL", "bad MAC address");
	EXPECT_ERR(fd, "MCAST ADD +1:00:5e:00:00:01", "EINVAL", "bad MAC address");
	EXPECT_ERR(fd, "FILTER ADD 02:00:00:00:00:001", "EINVAL", "bad MAC address");
	/* Verbs that take no argument refuse one ("PAUSE now" paused). */
	EXPECT_ERR(fd, "PAUSE now", "EINVAL", "usage: PAUSE");
	EXPECT_ERR(fd, "RESTART now", "EINVAL", "usage: RESTART");
	EXPECT_ERR(fd, "STATUS x", "EINVAL", "usage: STATUS");
	EXPECT_ERR(fd, "STATS x", "EINVAL", "usage: STATS");
	EXPECT_ERR(fd, "SHUTDOWN now", "EINVAL", "usage: SHUTDOWN");
	ask(fd, "STATUS", a, sizeof(a));
	CHECK(strstr(a, "\"state\":\"Running\"") != NULL);
	close(fd);
	kill(pid, SIGTERM);
	CHECK_EQ(finish(pid, 30000), 0);
}

int main(int argc, char **argv)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_sig_TERM), TL_CASE(test_sig_INT), TL_CASE(test_sig_HUP),
		TL_CASE(test_sig_QUIT), TL_CASE(test_sig_USR1), TL_CASE(test_sig_USR2),
		TL_CASE(test_sig_ALRM), TL_CASE(test_sig_VTALRM), TL_CASE(test_sig_PROF),
		TL_CASE(test_sig_PWR), TL_CASE(test_sig_XCPU), TL_CASE(test_sig_XFSZ),
		TL_CASE(test_sig_STKFLT), TL_CASE(test_sig_IO), TL_CASE(test_sig_RTMIN),
		TL_CASE(test_sig_RTMAX),
		TL_CASE(test_sig_TRAP), TL_CASE(test_sig_SYS), TL_CASE(test_sig_SEGV),
		TL_CASE(test_sig_ABRT), TL_CASE(test_sig_BUS), TL_CASE(test_sig_ILL),
		TL_CASE(test_sig_FPE),
		TL_CASE(test_report_symlink_planted), TL_CASE(test_report_symlink_while_running),
		TL_CASE(test_report_unsafe_dirs), TL_CASE(test_report_sticky_dir_ok),
		TL_CASE(test_proto_strict),
	};
	int rc;

	if (argc < 2) {
		fprintf(stderr, "usage: %s PATH-TO-e1kd [CASE...]\n", argv[0]);
		return 2;
	}
	if (geteuid() != 0) {
		/* The report cases chown to another uid; e1kd's threads are
		 * checked through /proc either way. */
		printf("skip: needs root\n");
		return 77;
	}
	e1kd = argv[1];
	signal(SIGPIPE, SIG_IGN);
	if (tu_mkdtemp(tmp, sizeof(tmp)) != 0) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(sock, sizeof(sock), "%s/run/e1kd.sock", tmp);
	snprintf(report, sizeof(report), "%s/report.json", tmp);
	snprintf(err_path, sizeof(err_path), "%s/stderr", tmp);
	rc = tl_main(argc - 1, argv + 1, cases, TL_N(cases));
	free(err_text);
	tu_rm_rf(tmp);
	return rc;
}
