/* SPDX-License-Identifier: MIT */
/*
 * robust_ctl_socket: issue 17's control-socket attacks against the built e1kd
 * (on the software model) and e1kctl.  Arguments: the e1kd binary, the e1kctl
 * binary, then case names (all when none).  Root (another uid is played by
 * 65534 through setuid in a forked child); else exit 77.  Each case failed
 * before its fix (docs/robustness.md section 7, "Attacks on the control socket").
 *
 *   test_fake_server_other_uid   a socket served by another user where e1kd's
 *                                was expected (the rename attack's result):
 *                                root's `e1kctl halt` sends nothing, exit 4
 *                                (was: the fake report printed, exit 0)
 *   test_ancestor_of_other_user  e1kd refuses a socket path through a
 *                                directory another user owns (was: started;
 *                                that user could rename the directory away)
 *   test_dir_found_not_ours      a pre-existing socket directory of another
 *                                user, a symlinked one, a 0755 one: refused,
 *                                nothing chmod'ed (was: followed and accepted)
 *   test_ancestor_writable       an ancestor writable by others: refused
 *   test_slots_held              16 clients holding every slot: `e1kctl
 *                                status` still answers, the counters show the
 *                                evictions; 16 clients each mid-line: `e1kctl
 *                                halt` still halts (was: EBUSY, exit 4)
 *   test_hostile_deep_keys       a response whose 20000 rows each carry a
 *                                200 kB key path, under a memory limit: shown
 *                                cut, small RSS, exit 0 (was: out of memory)
 *   test_hostile_wide_array      4M values in one array under a memory limit:
 *                                "too large to show", exit 3, small RSS
 *   test_hostile_trickle         a response that never ends: exit 3 within --timeout
 *   test_takeover_lock           the takeover lock held (by the test, as a
 *                                racing e1kd would): e1kd fails cleanly and
 *                                leaves the stale socket alone; a second e1kd
 *                                on a live one fails and never says "running"
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli_testutil.h"
#include "ctl_server.h"
#include "testlib.h"

#define NOBODY 65534
#define MEM_LIMIT (256ull << 20)   /* RLIMIT_AS of e1kctl facing a hostile server */
#define RSS_MAX_KB (96 * 1024)     /* what it may reach there (was: gigabytes) */

/* ASan and TSan reserve terabytes of address space: under either, e1kctl
 * cannot run inside an RLIMIT_AS (it hangs or dies at start), so the memory
 * limit and the peak check are left out there; the time bounds still hold. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) || defined(E1K_TSAN)
#define UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define UNDER_SANITIZER 1
#endif
#endif
#ifndef UNDER_SANITIZER
#define UNDER_SANITIZER 0
#endif

static const char *e1kd, *e1kctl;
static char tmp[64], sock[160], err_path[160], out_path[160];
static char *out_text, *err_text;

/* ---- running the programs ---- */

struct run {
	int status;          /* exit status 0..255, 128+signal, -1: timed out */
	long maxrss_kb;
	unsigned ms;         /* wall time */
};

/* Run argv (NULL-terminated), stdout/stderr to files read into out_text and
 * err_text; limit_as: RLIMIT_AS in the child (0: none). */
static struct run run(const char *const *argv, unsigned long long limit_as, unsigned timeout_ms)
{
	struct run r = { .status = -1 };
	uint64_t t0 = tl_now_ns();
	struct rusage ru;
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		int o = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		int e = open(err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

		if (limit_as) {
			struct rlimit rl = { limit_as, limit_as };

			setrlimit(RLIMIT_AS, &rl);
		}
		if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
			_exit(126);
		signal(SIGPIPE, SIG_DFL);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (pid < 0)
		return r;
	for (;;) {
		pid_t w = wait4(pid, &status, WNOHANG, &ru);

		if (w == pid)
			break;
		if (tl_now_ns() - t0 > (uint64_t)timeout_ms * 1000000u) {
			kill(pid, SIGKILL);
			wait4(pid, &status, 0, &ru);
			status = -1;
			break;
		}
		usleep(5000);
	}
	r.ms = (unsigned)((tl_now_ns() - t0) / 1000000u);
	r.maxrss_kb = ru.ru_maxrss;
	if (status != -1)
		r.status = WIFEXITED(status) ? WEXITSTATUS(status)
		         : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
	free(out_text);
	free(err_text);
	out_text = tu_slurp(out_path);
	err_text = tu_slurp(err_path);
	if (!out_text)
		out_text = strdup("");
	if (!err_text)
		err_text = strdup("");
	return r;
}

/* e1kd on the model at ctl path p, in the background; stderr to err_path. */
static pid_t e1kd_start(const char *p)
{
	const char *argv[] = { e1kd, "--device", "sim:82540em", "--ctl", p, NULL };
	pid_t pid = fork();

	if (pid == 0) {
		int e = open(err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

		if (e < 0 || dup2(e, 2) < 0)
			_exit(126);
		execv(e1kd, (char *const *)argv);
		_exit(127);
	}
	return pid;
}

/* e1kd at p must refuse to start: exit status != 0 within 20 s, stderr read. */
static int e1kd_refused(const char *p)
{
	pid_t pid = e1kd_start(p);
	int st = tu_wait_child(pid, 20000);

	free(err_text);
	err_text = tu_slurp(err_path);
	if (!err_text)
		err_text = strdup("");
	return st;
}

struct e1kctl_status {
	const char *path;
};

/* e1kctl at path answers status. */
static bool answers(void *ctx)
{
	const char *p = ctx;
	const char *argv[] = { e1kctl, "--ctl", p, "--timeout", "2000", "status", NULL };

	return run(argv, 0, 5000).status == 0;
}

/* ---- a fake server ---- */

struct fake {
	pid_t pid;
	int got_rd;          /* the child writes here how many bytes it read */
};

/*
 * A server in a forked child: as uid (bind and listen after setuid, so
 * SO_PEERCRED and the socket file are that user's), one connection, reads
 * until the request's newline or the peer closes, answers with resp[0..len)
 * (trickle: one byte per 50 ms, for ever), reports the byte count.
 */
static bool fake_start(struct fake *f, const char *path, uid_t uid, const char *resp, size_t len,
                       bool trickle)
{
	int ready[2], got[2];
	char c;

	if (pipe(ready) || pipe(got))
		return false;
	f->pid = fork();
	if (f->pid == 0) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		unsigned long n = 0;
		int l, fd;

		close(ready[0]);
		close(got[0]);
		if (uid && (setgid(uid) || setuid(uid)))
			_exit(2);
		l = socket(AF_UNIX, SOCK_STREAM, 0);
		if (strlen(path) >= sizeof(sa.sun_path))
			_exit(5);
		memcpy(sa.sun_path, path, strlen(path) + 1);
		if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) || listen(l, 4))
			_exit(3);
		(void)!write(ready[1], "r", 1);
		fd = accept(l, NULL, NULL);
		if (fd < 0)
			_exit(4);
		for (;;) {
			struct pollfd p = { .fd = fd, .events = POLLIN };
			char buf[256];
			ssize_t k;

			if (poll(&p, 1, 3000) <= 0)
				break;
			k = read(fd, buf, sizeof(buf));
			if (k <= 0)
				break;
			n += (unsigned long)k;
			if (memchr(buf, '\n', (size_t)k))
				break;
		}
		(void)!write(got[1], &n, sizeof(n));
		if (n && trickle) {
			while (send(fd, resp, 1, MSG_NOSIGNAL) == 1)
				usleep(50000);
		} else if (n) {
			for (size_t off = 0; off < len;) {
				ssize_t k = send(fd, resp + off, len - off, MSG_NOSIGNAL);

				if (k <= 0)
					break;
				off += (size_t)k;
			}
		}
		_exit(0);
	}
	close(ready[1]);
	close(got[1]);
	f->got_rd = got[0];
	if (f->pid < 0 || read(ready[0], &c, 1) != 1) {
		close(ready[0]);
		return false;
	}
	close(ready[0]);
	return true;
}

/* Bytes the fake read, and the child reaped. */
static long fake_finish(struct fake *f)
{
	unsigned long n = 0;
	long r = -1;

	if (read(f->got_rd, &n, sizeof(n)) == (ssize_t)sizeof(n))
		r = (long)n;
	close(f->got_rd);
	kill(f->pid, SIGKILL);
	waitpid(f->pid, NULL, 0);
	return r;
}

static bool mkdir_as(const char *p, mode_t mode, uid_t uid)
{
	return mkdir(p, mode) == 0 && chmod(p, mode) == 0 && chown(p, uid, uid) == 0;
}

static mode_t mode_of(const char *p)
{
	struct stat st;

	return lstat(p, &st) == 0 ? st.st_mode & 07777 : (mode_t)-1;
}

/* ---- 1. who serves the socket, and the path to it ---- */

static void test_fake_server_other_uid(void)
{
	char t[128], u[160], d[192], p[224];
	const char *argv[8];
	struct fake f;
	struct run r;

	/* T (root 0755) / u (nobody's) / d (made by nobody after renaming the
	 * real one away) / ctl.sock served by nobody */
	snprintf(t, sizeof(t), "%s/fake", tmp);
	snprintf(u, sizeof(u), "%s/u", t);
	snprintf(d, sizeof(d), "%s/d", u);
	snprintf(p, sizeof(p), "%s/ctl.sock", d);
	REQUIRE(mkdir_as(t, 0755, 0));
	REQUIRE(mkdir_as(u, 0755, NOBODY));
	REQUIRE(mkdir_as(d, 0700, NOBODY));
	REQUIRE(fake_start(&f, p, NOBODY,
	                   "OK {\"reason\":\"stopped\",\"final_state\":\"Halted\"}\n", 49, false));
	argv[0] = e1kctl; argv[1] = "--ctl"; argv[2] = p; argv[3] = "halt";
	argv[4] = "--reason"; argv[5] = "stopped"; argv[6] = NULL;
	r = run(argv, 0, 10000);
	CHECK_EQ(r.status, 4);
	CHECK(strstr(err_text, "served by uid 65534") != NULL);
	CHECK(strstr(err_text, "nothing was sent") != NULL);
	CHECK(strstr(out_text, "Halted") == NULL);
	CHECK_EQ(fake_finish(&f), 0);   /* not one byte of the request */
	if (r.status != 4)
		fprintf(stderr, "e1kctl: %s%s", out_text, err_text);
}

static void test_ancestor_of_other_user(void)
{
	char t[128], u[160], p[224];
	int st;

	snprintf(t, sizeof(t), "%s/anc", tmp);
	snprintf(u, sizeof(u), "%s/u", t);
	snprintf(p, sizeof(p), "%s/d/e1kd.sock", u);
	REQUIRE(mkdir_as(t, 0755, 0));
	REQUIRE(mkdir_as(u, 0755, NOBODY));
	st = e1kd_refused(p);
	CHECK(st != 0 && st != -1);
	CHECK(strstr(err_text, "owned by uid 65534") != NULL);
	snprintf(p, sizeof(p), "%s/d", u);
	CHECK(access(p, F_OK) != 0);   /* nothing created under it */
}

static void test_dir_found_not_ours(void)
{
	char t[128], d[160], v[160], p[224];
	int st;

	snprintf(t, sizeof(t), "%s/found", tmp);
	REQUIRE(mkdir_as(t, 0755, 0));
	/* another user's directory where the socket's should be */
	snprintf(d, sizeof(d), "%s/theirs", t);
	REQUIRE(mkdir_as(d, 0700, NOBODY));
	snprintf(p, sizeof(p), "%s/e1kd.sock", d);
	st = e1kd_refused(p);
	CHECK(st != 0 && st != -1);
	CHECK(strstr(err_text, "owned by uid 65534") != NULL);
	CHECK_EQ(mode_of(d), 0700);
	/* a symlink to a root directory (the chmod race's target, /etc say) */
	snprintf(v, sizeof(v), "%s/victim", t);
	REQUIRE(mkdir_as(v, 0755, 0));
	snprintf(d, sizeof(d), "%s/run", t);
	REQUIRE(symlink(v, d) == 0);
	snprintf(p, sizeof(p), "%s/e1kd.sock", d);
	st = e1kd_refused(p);
	CHECK(st != 0 && st != -1);
	CHECK(strstr(err_text, "symbolic link") != NULL);
	CHECK_EQ(mode_of(v), 0755);
	snprintf(p, sizeof(p), "%s/e1kd.sock", v);
	CHECK(access(p, F_OK) != 0);
	/* an existing 0755 directory of root's: refused, left 0755 */
	snprintf(p, sizeof(p), "%s/e1kd.sock", v);
	st = e1kd_refused(p);
	CHECK(st != 0 && st != -1);
	CHECK(strstr(err_text, "must be 0700") != NULL);
	CHECK_EQ(mode_of(v), 0755);
}

static void test_ancestor_writable(void)
{
	char w[128], p[224];
	int st;

	snprintf(w, sizeof(w), "%s/w", tmp);
	REQUIRE(mkdir_as(w, 0777, 0));
	snprintf(p, sizeof(p), "%s/run/e1kd.sock", w);
	st = e1kd_refused(p);
	CHECK(st != 0 && st != -1);
	CHECK(strstr(err_text, "writable by group or others") != NULL);
}

/* ---- 2. slots ---- */

static void test_slots_held(void)
{
	int fds[CTL_SERVER_MAX_CLIENTS];
	const char *argv[10];
	char line[4096];
	struct run r;
	pid_t pid;

	pid = e1kd_start(sock);
	REQUIRE(pid > 0);
	if (!tl_wait_until(answers, sock, 20000)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		tl_fail(__FILE__, __LINE__, "e1kd did not answer on %s", sock);
		return;
	}
	/* every slot held by a client that polls and stays */
	for (int i = 0; i < CTL_SERVER_MAX_CLIENTS; i++) {
		fds[i] = tu_connect(sock);
		REQUIRE(fds[i] >= 0);
		CHECK_EQ(write(fds[i], "STATUS\n", 7), 7);
		CHECK(tu_read_line(fds[i], line, sizeof(line), 5000) > 0 && !strncmp(line, "OK ", 3));
	}
	argv[0] = e1kctl; argv[1] = "--ctl"; argv[2] = sock; argv[3] = "--json";
	argv[4] = "status"; argv[5] = NULL;
	r = run(argv, 0, 10000);
	CHECK_EQ(r.status, 0);
	CHECK(strstr(out_text, "\"evicted_idle\":1") != NULL);
	CHECK(strstr(out_text, "\"refused_busy\":0") != NULL);
	for (int i = 0; i < CTL_SERVER_MAX_CLIENTS; i++)
		close(fds[i]);

	/* every slot in the middle of a request: only the HALT slot is left.
	 * The part-lines reach the server before e1kctl connects, and it reads
	 * its clients before it accepts: none of them is idle then. */
	for (int i = 0; i < CTL_SERVER_MAX_CLIENTS; i++) {
		fds[i] = tu_connect(sock);
		REQUIRE(fds[i] >= 0);
		CHECK_EQ(write(fds[i], "STATUS\n", 7), 7);
		CHECK(tu_read_line(fds[i], line, sizeof(line), 5000) > 0 && !strncmp(line, "OK ", 3));
		CHECK_EQ(write(fds[i], "STA", 3), 3);
	}
	argv[4] = "status";
	r = run(argv, 0, 10000);
	CHECK_EQ(r.status, 4);   /* EBUSY: the kept slot takes only HALT */
	CHECK(strstr(err_text, "only HALT") != NULL);
	argv[3] = "halt"; argv[4] = "--reason"; argv[5] = "stopped"; argv[6] = NULL;
	r = run(argv, 0, 20000);
	CHECK_EQ(r.status, 0);
	CHECK(strstr(out_text, "Halted") != NULL);
	if (r.status != 0)
		fprintf(stderr, "e1kctl halt: %s%s", out_text, err_text);
	for (int i = 0; i < CTL_SERVER_MAX_CLIENTS; i++)
		close(fds[i]);
	CHECK_EQ(tu_wait_child(pid, 20000), 0);
}

/* ---- 3. hostile responses ---- */

static char *mkresp(size_t cap)
{
	char *b = malloc(cap);

	if (b)
		memcpy(b, "OK ", 3);
	return b;
}

static void hostile(const char *resp, size_t len, bool trickle, unsigned timeout_ms,
                    struct run *r)
{
	char ms[16];
	const char *argv[] = { e1kctl, "--ctl", sock, "--timeout", ms, "status", NULL };
	struct fake f;

	snprintf(ms, sizeof(ms), "%u", timeout_ms);
	unlink(sock);
	if (!fake_start(&f, sock, 0, resp, len, trickle)) {
		tl_fail(__FILE__, __LINE__, "fake server did not start");
		return;
	}
	*r = run(argv, UNDER_SANITIZER ? 0 : MEM_LIMIT, timeout_ms + 10000);
	fake_finish(&f);
	unlink(sock);
}

static void test_hostile_deep_keys(void)
{
	/* {"k...200k":{"a":{"a":...60 levels...{"m00000":0,...20000 members}}}} */
	size_t cap = 220000 + 60 * 8 + 20000 * 16 + 128, n = 3;
	char *b = mkresp(cap);
	struct run r;

	REQUIRE(b);
	b[n++] = '{';
	b[n++] = '"';
	memset(b + n, 'k', 200000);
	n += 200000;
	n += (size_t)sprintf(b + n, "\":");
	for (int i = 0; i < 60; i++)
		n += (size_t)sprintf(b + n, "{\"a\":");
	b[n++] = '{';
	for (int i = 0; i < 20000; i++)
		n += (size_t)sprintf(b + n, "%s\"m%05d\":0", i ? "," : "", i);
	for (int i = 0; i < 62; i++)
		b[n++] = '}';
	b[n++] = '\n';
	REQUIRE(n <= cap);
	hostile(b, n, false, 5000, &r);
	CHECK_EQ(r.status, 0);
	CHECK(r.ms < 5000);
	CHECK(strstr(out_text, "(cut: more than 10000 rows)") != NULL);
	CHECK(strstr(out_text, "...") != NULL);
	CHECK(strlen(out_text) < 10000u * 400);
	if (!UNDER_SANITIZER)
		CHECK(r.maxrss_kb < RSS_MAX_KB);
	if (r.status != 0)
		fprintf(stderr, "e1kctl: status %d, %s\n", r.status, err_text);
	free(b);
}

static void test_hostile_wide_array(void)
{
	/* {"x":[0,0,0,... 4M values]} : 8 MB of text */
	size_t count = 4u << 20, cap = 2 * count + 64, n = 3;
	char *b = mkresp(cap);
	struct run r;

	REQUIRE(b);
	n += (size_t)sprintf(b + n, "{\"x\":[");
	for (size_t i = 0; i < count; i++) {
		b[n++] = '0';
		b[n++] = i + 1 < count ? ',' : ']';
	}
	b[n++] = '}';
	b[n++] = '\n';
	REQUIRE(n <= cap);
	hostile(b, n, false, 5000, &r);
	CHECK_EQ(r.status, 3);
	CHECK(r.ms < 5000);
	CHECK(strstr(err_text, "too large to show") != NULL);
	if (!UNDER_SANITIZER)
		CHECK(r.maxrss_kb < RSS_MAX_KB);
	if (r.status != 3)
		fprintf(stderr, "e1kctl: status %d, %s\n", r.status, err_text);
	free(b);
}

static void test_hostile_trickle(void)
{
	struct run r;

	hostile("OK {\"a\":\"", 1, true, 1000, &r);
	CHECK_EQ(r.status, 3);
	CHECK(r.ms < 3000);
	CHECK(strstr(err_text, "within 1000 ms") != NULL);
}

/* ---- 4. takeover ---- */

static void test_takeover_lock(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char d[80], p[100], lk[176];
	const char *argv[10];
	struct stat st0, st1;
	int fd, lfd, st;
	pid_t first;

	snprintf(d, sizeof(d), "%s/lk", tmp);
	snprintf(p, sizeof(p), "%s/e1kd.sock", d);
	snprintf(lk, sizeof(lk), "%s.lock", p);
	REQUIRE(mkdir_as(d, 0700, 0));
	/* a stale socket: bound, never listening, closed (a dead e1kd's) */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	REQUIRE(fd >= 0);
	memcpy(sa.sun_path, p, strlen(p) + 1);
	REQUIRE(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	close(fd);
	REQUIRE(lstat(p, &st0) == 0);
	/* the lock held, as an e1kd taking the same socket over holds it */
	lfd = open(lk, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	REQUIRE(lfd >= 0);
	REQUIRE(flock(lfd, LOCK_EX | LOCK_NB) == 0);
	st = e1kd_refused(p);
	CHECK(st != 0 && st != -1);
	CHECK(strstr(err_text, "another e1kd is using") != NULL);
	CHECK(strstr(err_text, "running") == NULL);
	CHECK(lstat(p, &st1) == 0 && st1.st_ino == st0.st_ino);   /* left alone */
	close(lfd);

	/* lock free: the stale socket is taken over */
	first = e1kd_start(p);
	REQUIRE(first > 0);
	if (!tl_wait_until(answers, p, 20000)) {
		kill(first, SIGKILL);
		waitpid(first, NULL, 0);
		tl_fail(__FILE__, __LINE__, "e1kd did not take over %s", p);
		return;
	}
	/* a second e1kd on the live one: refused, the first untouched */
	st = e1kd_refused(p);
	CHECK(st != 0 && st != -1);
	CHECK(strstr(err_text, "another e1kd is using") != NULL);
	CHECK(strstr(err_text, "running") == NULL);
	CHECK(answers(p));
	argv[0] = e1kctl; argv[1] = "--ctl"; argv[2] = p; argv[3] = "halt";
	argv[4] = "--reason"; argv[5] = "stopped"; argv[6] = NULL;
	CHECK_EQ(run(argv, 0, 20000).status, 0);
	CHECK_EQ(tu_wait_child(first, 20000), 0);
	CHECK(access(p, F_OK) != 0);
}

int main(int argc, char **argv)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_fake_server_other_uid), TL_CASE(test_ancestor_of_other_user),
		TL_CASE(test_dir_found_not_ours), TL_CASE(test_ancestor_writable),
		TL_CASE(test_slots_held), TL_CASE(test_hostile_deep_keys),
		TL_CASE(test_hostile_wide_array), TL_CASE(test_hostile_trickle),
		TL_CASE(test_takeover_lock),
	};
	int rc;

	if (argc < 3) {
		fprintf(stderr, "usage: %s PATH-TO-e1kd PATH-TO-e1kctl [CASE...]\n", argv[0]);
		return 2;
	}
	if (geteuid() != 0) {
		printf("skip: needs root (another uid is played through setuid)\n");
		return 77;
	}
	e1kd = argv[1];
	e1kctl = argv[2];
	signal(SIGPIPE, SIG_IGN);
	if (tu_mkdtemp(tmp, sizeof(tmp)) != 0) {
		perror("mkdtemp");
		return 1;
	}
	/* others must reach what "nobody" serves below it */
	chmod(tmp, 0755);
	snprintf(sock, sizeof(sock), "%s/run", tmp);
	mkdir(sock, 0700);
	snprintf(sock, sizeof(sock), "%s/run/e1kd.sock", tmp);
	snprintf(err_path, sizeof(err_path), "%s/stderr", tmp);
	snprintf(out_path, sizeof(out_path), "%s/stdout", tmp);
	rc = tl_main(argc - 2, argv + 2, cases, TL_N(cases));
	free(out_text);
	free(err_text);
	tu_rm_rf(tmp);
	return rc;
}
