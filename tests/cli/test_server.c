/* SPDX-License-Identifier: MIT */
/*
 * cli_server: the control socket server and client end to end, on a socket
 * in a private temporary directory, with the scripted handler of cli_testutil.
 * test_stop_answers_what_was_sent: a stop answers every request already sent
 * (docs/robustness.md, finding F3).
 * No sleeps: every wait is a poll with a deadline or tl_wait_until.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli_testutil.h"
#include "ctl_client.h"
#include "ctl_proto.h"
#include "ctl_server.h"
#include "json_read.h"
#include "testlib.h"

#define CALL_MS 5000

struct env {
	char tmp[64];
	char dir[128];
	char sock[160];
	struct th_ctx th;
	struct ctl_server *srv;
};

static bool env_init(struct env *e, const struct ctl_server_opts *opts)
{
	char msg[256];
	int rc;

	memset(e, 0, sizeof(*e));
	th_init(&e->th);
	if (tu_mkdtemp(e->tmp, sizeof(e->tmp)) != 0)
		return false;
	snprintf(e->dir, sizeof(e->dir), "%s/run", e->tmp);
	snprintf(e->sock, sizeof(e->sock), "%s/e1kd.sock", e->dir);
	rc = ctl_server_create_opts(e->sock, th_handler, &e->th, NULL, opts, &e->srv, msg,
	                            sizeof(msg));
	if (rc) {
		tl_fail(__FILE__, __LINE__, "ctl_server_create_opts: %d %s", rc, msg);
		return false;
	}
	e->th.server = e->srv;
	return true;
}

static void env_fini(struct env *e)
{
	ctl_server_destroy(e->srv);
	e->srv = NULL;
	if (e->tmp[0])
		tu_rm_rf(e->tmp);
	th_fini(&e->th);
}

/* One call; returns the parsed response in r and the raw line (freed by caller). */
static char *call(const char *path, const char *line, int *rc)
{
	char *resp = NULL;

	*rc = ctl_client_call(path, line, CALL_MS, &resp);
	return resp;
}

static bool starts(const char *s, const char *prefix)
{
	return s && !strncmp(s, prefix, strlen(prefix));
}

static void test_ok_err_and_modes(void)
{
	struct env e;
	struct stat st;
	struct ctl_response r;
	struct jr_node *root = NULL;
	char *resp;
	int rc;

	REQUIRE(env_init(&e, NULL));
	/* the directory was created 0700, the socket is 0600 */
	CHECK_EQ(stat(e.dir, &st), 0);
	CHECK(S_ISDIR(st.st_mode));
	CHECK_EQ(st.st_mode & 07777, 0700);
	CHECK_EQ(lstat(e.sock, &st), 0);
	CHECK(S_ISSOCK(st.st_mode));
	CHECK_EQ(st.st_mode & 07777, 0600);
	CHECK(!strcmp(ctl_server_path(e.srv), e.sock));

	resp = call(e.sock, "STATUS", &rc);
	CHECK_EQ(rc, 0);
	CHECK(starts(resp, "OK {"));
	REQUIRE(resp);
	CHECK_EQ(ctl_parse_response(resp, strlen(resp), &r), 0);
	CHECK(r.ok);
	CHECK_EQ(jr_parse(r.json, r.json_len, &root, NULL), 0);
	{
		const char *nm = jr_get_str(jr_get(root, "device"), "name");

		CHECK(nm && !strcmp(nm, "sim:82540em"));
	}
	jr_free(root);
	free(resp);

	resp = call(e.sock, "pause\n", &rc);
	CHECK_EQ(rc, 0);
	CHECK(resp && !strcmp(resp, "ERR EBUSY \"adapter is busy\""));
	free(resp);

	resp = call(e.sock, "NOPE", &rc);
	CHECK(starts(resp, "ERR ENOTSUP \"unknown verb NOPE\""));
	free(resp);

	/* malformed lines never reach the handler */
	{
		unsigned before = th_calls(&e.th);

		resp = call(e.sock, "", &rc);
		CHECK(starts(resp, "ERR EINVAL "));
		free(resp);
		resp = call(e.sock, "STA\tTUS", &rc);
		CHECK(starts(resp, "ERR EINVAL "));
		free(resp);
		resp = call(e.sock, "ECHO 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17", &rc);
		CHECK(starts(resp, "ERR EINVAL "));
		free(resp);
		CHECK_EQ(th_calls(&e.th), before);
	}

	/* a handler that leaves its JSON unbalanced gets ERR EPROTO, not garbage */
	resp = call(e.sock, "BADJSON", &rc);
	CHECK(starts(resp, "ERR EPROTO "));
	free(resp);

	/* a response beyond CTL_MAX_RESPONSE is replaced by an error */
	{
		char big[64];

		snprintf(big, sizeof(big), "BIG %u", CTL_MAX_RESPONSE);
		resp = call(e.sock, big, &rc);
		CHECK_EQ(rc, 0);
		CHECK(starts(resp, "ERR EMSGSIZE \"response too large\""));
		free(resp);
	}

	/* arguments arrive verbatim */
	resp = call(e.sock, "ECHO a B ~c", &rc);
	CHECK(resp && !strcmp(resp, "OK {\"argc\":3,\"argv\":[\"a\",\"B\",\"~c\"]}"));
	free(resp);
	{
		char last[64];

		th_last(&e.th, last, sizeof(last));
		CHECK(!strcmp(last, "ECHO a B ~c"));
	}

	/* a line with an embedded newline is refused by the client itself */
	CHECK_EQ(ctl_client_call(e.sock, "STATUS\nSTATS", CALL_MS, &resp), -EINVAL);
	CHECK(resp == NULL);
	env_fini(&e);
}

static void test_pipelined_and_half_close(void)
{
	struct env e;
	char line[4096];
	int fd;

	REQUIRE(env_init(&e, NULL));
	fd = tu_connect(e.sock);
	REQUIRE(fd >= 0);
	/* three requests in one write, answered in order on one connection */
	CHECK_EQ(write(fd, "ECHO 1\nECHO 2\nPAUSE\n", 20), 20);
	CHECK(tu_read_line(fd, line, sizeof(line), CALL_MS) > 0 &&
	      !strcmp(line, "OK {\"argc\":1,\"argv\":[\"1\"]}"));
	CHECK(tu_read_line(fd, line, sizeof(line), CALL_MS) > 0 &&
	      !strcmp(line, "OK {\"argc\":1,\"argv\":[\"2\"]}"));
	CHECK(tu_read_line(fd, line, sizeof(line), CALL_MS) > 0 && starts(line, "ERR EBUSY"));
	/* then one more after the peer shut its sending side: still answered, then EOF */
	CHECK_EQ(write(fd, "ECHO 3\n", 7), 7);
	CHECK_EQ(shutdown(fd, SHUT_WR), 0);
	CHECK(tu_read_line(fd, line, sizeof(line), CALL_MS) > 0 &&
	      !strcmp(line, "OK {\"argc\":1,\"argv\":[\"3\"]}"));
	CHECK(tu_wait_eof(fd, CALL_MS));
	close(fd);
	env_fini(&e);
}

static void test_dir_checks(void)
{
	char tmp[64], path[160], msg[256], sub[128];
	struct ctl_server *s = NULL;
	struct th_ctx th;
	int fd;

	th_init(&th);
	REQUIRE(tu_mkdtemp(tmp, sizeof(tmp)) == 0);

	/* an existing directory writable by others is refused */
	snprintf(sub, sizeof(sub), "%s/open", tmp);
	REQUIRE(mkdir(sub, 0700) == 0);
	REQUIRE(chmod(sub, 0777) == 0);
	snprintf(path, sizeof(path), "%s/e1kd.sock", sub);
	CHECK_EQ(ctl_server_create_opts(path, th_handler, &th, NULL, NULL, &s, msg, sizeof(msg)),
	         -EPERM);
	CHECK(s == NULL);
	CHECK(strstr(msg, "writable by group or others") != NULL);
	REQUIRE(chmod(sub, 0720) == 0);   /* group-writable: refused too */
	CHECK_EQ(ctl_server_create_opts(path, th_handler, &th, NULL, NULL, &s, msg, sizeof(msg)),
	         -EPERM);
	/* an existing 0755 directory is refused too, and left as it is (issue 17:
	 * the socket's directory is 0700, found or created; never chmod'ed) */
	REQUIRE(chmod(sub, 0755) == 0);
	CHECK_EQ(ctl_server_create_opts(path, th_handler, &th, NULL, NULL, &s, msg, sizeof(msg)),
	         -EPERM);
	CHECK(strstr(msg, "must be 0700") != NULL);
	{
		struct stat dst;

		CHECK(stat(sub, &dst) == 0 && (dst.st_mode & 07777) == 0755);
	}
	REQUIRE(chmod(sub, 0700) == 0);
	CHECK_EQ(ctl_server_create_opts(path, th_handler, &th, NULL, NULL, &s, msg, sizeof(msg)), 0);
	ctl_server_destroy(s);
	s = NULL;
	CHECK(access(path, F_OK) != 0);   /* destroy unlinked the socket */

	/* a directory it creates is 0700 whatever the umask */
	{
		struct stat dst;
		mode_t old = umask(0);

		snprintf(path, sizeof(path), "%s/made/e1kd.sock", tmp);
		CHECK_EQ(ctl_server_create_opts(path, th_handler, &th, NULL, NULL, &s, msg,
		                                sizeof(msg)), 0);
		umask(old);
		snprintf(sub, sizeof(sub), "%s/made", tmp);
		CHECK(stat(sub, &dst) == 0 && (dst.st_mode & 07777) == 0700);
		CHECK(stat(path, &dst) == 0 && (dst.st_mode & 0777) == 0600);
		ctl_server_destroy(s);
		s = NULL;
	}

	/* an ancestor writable by others (not sticky) is refused, the socket's
	 * directory fine or not: whoever writes there can rename it away */
	snprintf(sub, sizeof(sub), "%s/anc", tmp);
	REQUIRE(mkdir(sub, 0700) == 0);
	REQUIRE(chmod(sub, 0777) == 0);
	snprintf(path, sizeof(path), "%s/anc/run/e1kd.sock", tmp);
	CHECK_EQ(ctl_server_create_opts(path, th_handler, &th, NULL, NULL, &s, msg, sizeof(msg)),
	         -EPERM);
	CHECK(strstr(msg, "/anc is writable by group or others") != NULL);
	snprintf(sub, sizeof(sub), "%s/anc/run", tmp);
	CHECK(access(sub, F_OK) != 0);   /* nothing created under it */
	/* sticky (like /tmp): others may add names but not move ours */
	snprintf(sub, sizeof(sub), "%s/anc", tmp);
	REQUIRE(chmod(sub, 01777) == 0);
	CHECK_EQ(ctl_server_create_opts(path, th_handler, &th, NULL, NULL, &s, msg, sizeof(msg)), 0);
	ctl_server_destroy(s);
	s = NULL;

	/* a symlink as the socket's directory, or on the way, is not followed */
	snprintf(sub, sizeof(sub), "%s/link", tmp);
	REQUIRE(symlink("made", sub) == 0);
	snprintf(path, sizeof(path), "%s/link/e1kd.sock", tmp);
	CHECK_EQ(ctl_server_create_opts(path, th_handler, &th, NULL, NULL, &s, msg, sizeof(msg)),
	         -ELOOP);
	CHECK(strstr(msg, "symbolic link") != NULL);
	snprintf(path, sizeof(path), "%s/link/sub/e1kd.sock", tmp);
	CHECK_EQ(ctl_server_create_opts(path, th_handler, &th, NULL, NULL, &s, msg, sizeof(msg)),
	         -ELOOP);
	snprintf(sub, sizeof(sub), "%s/made/sub", tmp);
	CHECK(access(sub, F_OK) != 0);   /* nothing created through the link */

	/* only the last component is created */
	snprintf(path, sizeof(path), "%s/a/b/e1kd.sock", tmp);
	CHECK_EQ(ctl_server_create_opts(path, th_handler, &th, NULL, NULL, &s, msg, sizeof(msg)),
	         -ENOENT);

	/* the parent is a file */
	snprintf(sub, sizeof(sub), "%s/file", tmp);
	fd = open(sub, O_CREAT | O_WRONLY, 0600);
	REQUIRE(fd >= 0);
	close(fd);
	snprintf(path, sizeof(path), "%s/file/e1kd.sock", tmp);
	CHECK_EQ(ctl_server_create_opts(path, th_handler, &th, NULL, NULL, &s, msg, sizeof(msg)),
	         -ENOTDIR);
	/* a regular file where the socket should be is left alone */
	snprintf(path, sizeof(path), "%s/file", tmp);
	CHECK_EQ(ctl_server_create_opts(path, th_handler, &th, NULL, NULL, &s, msg, sizeof(msg)),
	         -EEXIST);
	CHECK_EQ(access(path, F_OK), 0);

	/* too long for sun_path */
	{
		char lp[300];

		memset(lp, 'x', sizeof(lp) - 1);
		lp[0] = '/';
		lp[sizeof(lp) - 1] = '\0';
		CHECK_EQ(ctl_server_create_opts(lp, th_handler, &th, NULL, NULL, &s, msg,
		                                sizeof(msg)), -ENAMETOOLONG);
		CHECK_EQ(ctl_client_call(lp, "STATUS", CALL_MS, &(char *){ NULL }), -ENAMETOOLONG);
	}
	CHECK(s == NULL);
	tu_rm_rf(tmp);
	th_fini(&th);
}

static void test_stale_and_live(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ctl_server *s2 = NULL;
	struct env e;
	char msg[256], *resp;
	int fd, rc;

	/* 1. a stale socket (bound, never listening, closed) is taken over */
	{
		char tmp[64], dir[128], path[160];
		struct th_ctx th;
		struct ctl_server *s = NULL;

		th_init(&th);
		REQUIRE(tu_mkdtemp(tmp, sizeof(tmp)) == 0);
		snprintf(dir, sizeof(dir), "%s/run", tmp);
		REQUIRE(mkdir(dir, 0700) == 0);
		snprintf(path, sizeof(path), "%s/e1kd.sock", dir);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		REQUIRE(fd >= 0);
		REQUIRE(strlen(path) < sizeof(sa.sun_path));
		memcpy(sa.sun_path, path, strlen(path) + 1);
		REQUIRE(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
		close(fd);
		CHECK_EQ(ctl_client_call(path, "STATUS", CALL_MS, &resp), -ECONNREFUSED);
		CHECK_EQ(ctl_server_create_opts(path, th_handler, &th, NULL, NULL, &s, msg,
		                                sizeof(msg)), 0);
		resp = NULL;
		CHECK_EQ(ctl_client_call(path, "STATUS", CALL_MS, &resp), 0);
		CHECK(starts(resp, "OK "));
		free(resp);
		ctl_server_destroy(s);
		tu_rm_rf(tmp);
		th_fini(&th);
	}

	/* 2. a live socket is refused with -EADDRINUSE and keeps working */
	REQUIRE(env_init(&e, NULL));
	rc = ctl_server_create_opts(e.sock, th_handler, &e.th, NULL, NULL, &s2, msg, sizeof(msg));
	CHECK_EQ(rc, -EADDRINUSE);
	CHECK(s2 == NULL);
	CHECK(strstr(msg, "another e1kd is using") != NULL);
	CHECK(strstr(msg, e.sock) != NULL);
	/* the plain create reports the same on stderr */
	CHECK_EQ(ctl_server_create(e.sock, th_handler, &e.th, NULL, &s2), -EADDRINUSE);
	resp = call(e.sock, "STATUS", &rc);
	CHECK_EQ(rc, 0);
	CHECK(starts(resp, "OK "));
	free(resp);

	/* 3. after stop, connects are refused; after destroy, the file is gone */
	ctl_server_stop(e.srv);
	ctl_server_stop(e.srv);   /* idempotent */
	CHECK_EQ(ctl_client_call(e.sock, "STATUS", CALL_MS, &resp), -ECONNREFUSED);
	ctl_server_destroy(e.srv);
	e.srv = NULL;
	CHECK_EQ(ctl_client_call(e.sock, "STATUS", CALL_MS, &resp), -ENOENT);
	ctl_server_destroy(NULL);
	env_fini(&e);
}

static void test_oversize_line(void)
{
	struct ctl_server_stats st;
	struct env e;
	char *line, *resp;
	int rc;

	REQUIRE(env_init(&e, NULL));
	line = malloc(CTL_MAX_LINE + 1000);
	REQUIRE(line);
	/* exactly at the limit: "ECHO " + arg + "\n" = 4096 bytes */
	memcpy(line, "ECHO ", 5);
	memset(line + 5, 'a', CTL_MAX_LINE - 6);
	line[CTL_MAX_LINE - 1] = '\0';
	resp = call(e.sock, line, &rc);
	CHECK_EQ(rc, 0);
	CHECK(starts(resp, "OK {\"argc\":1"));
	free(resp);
	/* one byte more: ERR EMSGSIZE and the connection is closed */
	memset(line + 5, 'a', CTL_MAX_LINE + 500);
	line[CTL_MAX_LINE + 500] = '\0';
	resp = call(e.sock, line, &rc);
	CHECK_EQ(rc, 0);
	CHECK(starts(resp, "ERR EMSGSIZE "));
	free(resp);
	{
		/* raw: 4096 bytes without a newline, then check the close */
		int fd = tu_connect(e.sock);
		char buf[256];

		REQUIRE(fd >= 0);
		memset(line, 'b', CTL_MAX_LINE);
		CHECK_EQ(write(fd, line, CTL_MAX_LINE), CTL_MAX_LINE);
		CHECK(tu_read_line(fd, buf, sizeof(buf), CALL_MS) > 0 && starts(buf, "ERR EMSGSIZE "));
		CHECK(tu_wait_eof(fd, CALL_MS));
		close(fd);
	}
	ctl_server_get_stats(e.srv, &st);
	CHECK_EQ(st.dropped_oversize, 2);
	free(line);
	env_fini(&e);
}

static void test_silent_client_does_not_block(void)
{
	struct env e;
	struct pollfd p[2];
	char *resp;
	int a, b, rc;

	REQUIRE(env_init(&e, NULL));   /* default 5 s idle timeout: far beyond this test */
	a = tu_connect(e.sock);
	b = tu_connect(e.sock);
	REQUIRE(a >= 0 && b >= 0);
	CHECK_EQ(write(b, "STAT", 4), 4);   /* b stalls mid-line, a sends nothing */
	{
		uint64_t t0 = tl_now_ns();

		resp = call(e.sock, "STATUS", &rc);
		CHECK_EQ(rc, 0);
		CHECK(starts(resp, "OK "));
		free(resp);
		/* bounded: far less than the idle timeout the silent clients could hold us */
		CHECK(tl_now_ns() - t0 < 2000000000ull);
	}
	/* both silent clients are still connected and were sent nothing */
	p[0] = (struct pollfd){ .fd = a, .events = POLLIN };
	p[1] = (struct pollfd){ .fd = b, .events = POLLIN };
	CHECK_EQ(poll(p, 2, 0), 0);
	/* and b can still finish its line */
	{
		char line[256];

		CHECK_EQ(write(b, "US\n", 3), 3);
		CHECK(tu_read_line(b, line, sizeof(line), CALL_MS) > 0 && starts(line, "OK "));
	}
	close(a);
	close(b);
	env_fini(&e);
}

static void test_idle_and_stalled_clients_closed(void)
{
	struct ctl_server_opts o = { .idle_ms = 200 };
	struct ctl_server_stats st;
	struct env e;
	bool a_closed = false, b_closed = false;
	uint64_t t0;
	int a, b;

	REQUIRE(env_init(&e, &o));
	a = tu_connect(e.sock);
	b = tu_connect(e.sock);
	REQUIRE(a >= 0 && b >= 0);
	/*
	 * a says nothing.  b trickles one byte of a line every 20 ms (paced by
	 * the poll timeout while watching for the close): bytes arriving do not
	 * extend the deadline of a line, so the server closes both after idle_ms.
	 * Were the deadline pushed back by each byte, b would live for minutes.
	 */
	t0 = tl_now_ns();
	while (!(a_closed && b_closed) && tl_now_ns() - t0 < 5000000000ull) {
		/* A closed fd polls ready for ever: leave it out, or the pacing is lost. */
		struct pollfd p[2] = { { .fd = a_closed ? -1 : a, .events = POLLIN },
		                       { .fd = b_closed ? -1 : b, .events = POLLIN } };
		char c;

		if (poll(p, 2, 20) > 0) {
			if (!a_closed && p[0].revents && read(a, &c, 1) <= 0)
				a_closed = true;
			if (!b_closed && p[1].revents && read(b, &c, 1) <= 0)
				b_closed = true;
		}
		if (!b_closed)
			(void)!send(b, "S", 1, MSG_NOSIGNAL);
	}
	CHECK(a_closed);
	CHECK(b_closed);
	ctl_server_get_stats(e.srv, &st);
	CHECK_EQ(st.closed_idle, 2);
	close(a);
	close(b);
	env_fini(&e);
}

/*
 * Issue 17, item 5: clients that keep their connection and poll used to
 * hold all 16 slots for as long as they liked (every e1kctl got EBUSY).
 * Now a newcomer evicts the client idle the longest, and when no client is
 * idle (each in the middle of a line), one slot is still kept for HALT.
 */
static void test_slots_full(void)
{
	int fds[CTL_SERVER_MAX_CLIENTS], extra;
	struct ctl_server_stats st;
	struct env e;
	char line[256], *resp;
	int rc;

	REQUIRE(env_init(&e, NULL));
	for (int i = 0; i < CTL_SERVER_MAX_CLIENTS; i++) {
		fds[i] = tu_connect(e.sock);
		REQUIRE(fds[i] >= 0);
		/* a round trip proves the server holds a slot for it */
		CHECK_EQ(write(fds[i], "ECHO\n", 5), 5);
		CHECK(tu_read_line(fds[i], line, sizeof(line), CALL_MS) > 0 && starts(line, "OK "));
	}
	/* 1. all idle between requests: the 17th is served, the oldest (fds[0]) goes */
	resp = call(e.sock, "STATUS", &rc);
	CHECK_EQ(rc, 0);
	CHECK(starts(resp, "OK "));
	free(resp);
	CHECK(tu_wait_eof(fds[0], CALL_MS));
	ctl_server_get_stats(e.srv, &st);
	CHECK_EQ(st.refused_busy, 0);
	CHECK_EQ(st.evicted_idle, 1);
	/* the others still work */
	for (int i = 1; i < CTL_SERVER_MAX_CLIENTS; i++) {
		CHECK_EQ(write(fds[i], "ECHO\n", 5), 5);
		CHECK(tu_read_line(fds[i], line, sizeof(line), CALL_MS) > 0 && starts(line, "OK "));
	}
	close(fds[0]);

	/* 2. every slot in the middle of a line: nothing to evict, HALT still passes */
	fds[0] = tu_connect(e.sock);
	REQUIRE(fds[0] >= 0);
	CHECK_EQ(write(fds[0], "ECHO\n", 5), 5);   /* accepted, for sure, before the next */
	CHECK(tu_read_line(fds[0], line, sizeof(line), CALL_MS) > 0 && starts(line, "OK "));
	/* The part-lines are in the server's socket buffers before the next
	 * connect() returns, and the server reads what its clients sent before
	 * it accepts (one loop): none of them looks idle to the newcomer. */
	for (int i = 0; i < CTL_SERVER_MAX_CLIENTS; i++)
		CHECK_EQ(write(fds[i], "EC", 2), 2);
	resp = call(e.sock, "HALT stopped", &rc);
	CHECK_EQ(rc, 0);
	CHECK(starts(resp, "OK "));
	free(resp);
	/* anything but HALT in the kept slot: EBUSY with the reason */
	resp = call(e.sock, "STATUS", &rc);
	CHECK_EQ(rc, 0);
	CHECK(starts(resp, "ERR EBUSY ") && strstr(resp, "only HALT"));
	free(resp);
	/* the kept slot serves one request only */
	extra = tu_connect(e.sock);
	REQUIRE(extra >= 0);
	CHECK_EQ(write(extra, "HALT stopped\nHALT stopped\n", 26), 26);
	CHECK(tu_read_line(extra, line, sizeof(line), CALL_MS) > 0 && starts(line, "OK "));
	CHECK(tu_wait_eof(extra, CALL_MS));
	close(extra);
	ctl_server_get_stats(e.srv, &st);
	CHECK_EQ(st.halt_slot_used, 3);
	CHECK_EQ(st.refused_busy, 1);
	/* the half-lines complete: every holder is served */
	for (int i = 0; i < CTL_SERVER_MAX_CLIENTS; i++) {
		CHECK_EQ(write(fds[i], "HO\n", 3), 3);
		CHECK(tu_read_line(fds[i], line, sizeof(line), CALL_MS) > 0 && starts(line, "OK "));
	}
	/* a freed slot is reusable: the close is seen before the next accept */
	close(fds[1]);
	resp = call(e.sock, "STATUS", &rc);
	CHECK_EQ(rc, 0);
	CHECK(starts(resp, "OK "));
	free(resp);
	for (int i = 0; i < CTL_SERVER_MAX_CLIENTS; i++)
		if (i != 1)
			close(fds[i]);
	env_fini(&e);
}

struct log_rec {
	pthread_mutex_t lock;
	unsigned n, warn;
	char last[256];
};

static void rec_log(void *ctx, bool warn, const char *msg)
{
	struct log_rec *r = ctx;

	pthread_mutex_lock(&r->lock);
	r->n++;
	r->warn += warn;
	snprintf(r->last, sizeof(r->last), "%s", msg);
	pthread_mutex_unlock(&r->lock);
}

/* Item 5: a connection's life is capped (closed between two requests, none
 * lost), however often it polls; item 9: the close is logged. */
static void test_lifetime_capped(void)
{
	struct log_rec lr = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct ctl_server_opts o = { .lifetime_ms = 300, .log = rec_log, .log_ctx = &lr };
	struct ctl_server_stats st;
	struct env e;
	char line[256];
	uint64_t t0;
	unsigned served = 0;
	bool closed = false;
	int fd;

	REQUIRE(env_init(&e, &o));
	fd = tu_connect(e.sock);
	REQUIRE(fd >= 0);
	t0 = tl_now_ns();
	/* poll every ~20 ms (each answer would have restarted an idle timer) */
	while (!closed && tl_now_ns() - t0 < 5000000000ull) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (send(fd, "ECHO\n", 5, MSG_NOSIGNAL) != 5 ||
		    tu_read_line(fd, line, sizeof(line), CALL_MS) <= 0) {
			closed = true;
			break;
		}
		CHECK(starts(line, "OK "));
		served++;
		if (poll(&p, 1, 20) > 0 && tu_wait_eof(fd, 0))
			closed = true;
	}
	CHECK(closed);
	CHECK(tl_now_ns() - t0 >= 300000000ull);
	CHECK(served >= 2);
	ctl_server_get_stats(e.srv, &st);
	CHECK_EQ(st.closed_lifetime, 1);
	CHECK_EQ(st.closed_idle, 0);
	pthread_mutex_lock(&lr.lock);
	CHECK_EQ(lr.n, 1);
	CHECK(strstr(lr.last, "connected for more than 300 ms") != NULL);
	pthread_mutex_unlock(&lr.lock);
	close(fd);
	env_fini(&e);
}

/* Item 9: refusals are logged, rate-limited (one line per kind per second,
 * the next one counts what was left out); the counters count all. */
static void test_refusals_logged_rate_limited(void)
{
	struct log_rec lr = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct ctl_server_opts o = { .max_clients = 1, .log = rec_log, .log_ctx = &lr };
	struct ctl_server_stats st;
	struct env e;
	char line[256];
	int a, h;

	REQUIRE(env_init(&e, &o));
	/* a holds the only slot mid-line, h the HALT slot: the rest is EBUSY */
	a = tu_connect(e.sock);
	REQUIRE(a >= 0);
	CHECK_EQ(write(a, "ECHO\n", 5), 5);
	CHECK(tu_read_line(a, line, sizeof(line), CALL_MS) > 0 && starts(line, "OK "));
	CHECK_EQ(write(a, "EC", 2), 2);
	h = tu_connect(e.sock);
	REQUIRE(h >= 0);
	CHECK_EQ(write(h, "HA", 2), 2);
	for (int i = 0; i < 5; i++) {
		char *resp = NULL;
		int rc;

		resp = call(e.sock, "STATUS", &rc);
		CHECK_EQ(rc, 0);
		CHECK(starts(resp, "ERR EBUSY "));
		free(resp);
	}
	ctl_server_get_stats(e.srv, &st);
	CHECK_EQ(st.refused_busy, 5);
	pthread_mutex_lock(&lr.lock);
	CHECK_EQ(lr.n, 1);   /* the first; four left out within the second */
	CHECK_EQ(lr.warn, 1);
	CHECK(strstr(lr.last, "busy") != NULL);
	pthread_mutex_unlock(&lr.lock);
	close(a);
	close(h);
	env_fini(&e);
}

struct stats_wait {
	struct ctl_server *s;
	uint64_t want_slow;
};

static bool slow_dropped(void *arg)
{
	struct stats_wait *w = arg;
	struct ctl_server_stats st;

	ctl_server_get_stats(w->s, &st);
	return st.dropped_slow >= w->want_slow;
}

static void test_non_reading_client_dropped(void)
{
	struct ctl_server_opts o = { .write_ms = 200 };
	struct stats_wait w;
	struct env e;
	char req[64], *resp;
	int fd, rc, rcvbuf = 4096;
	size_t big = 2u << 20;   /* far more than a socket buffer holds */

	REQUIRE(env_init(&e, &o));
	fd = tu_connect(e.sock);
	REQUIRE(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	snprintf(req, sizeof(req), "BIG %zu\n", big);
	CHECK_EQ(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	/* the server is not stuck writing to fd: others are served meanwhile */
	resp = call(e.sock, "STATUS", &rc);
	CHECK_EQ(rc, 0);
	CHECK(starts(resp, "OK "));
	free(resp);
	/* and the client that does not read is dropped after write_ms */
	w.s = e.srv;
	w.want_slow = 1;
	CHECK(tl_wait_until(slow_dropped, &w, 10000));
	CHECK(tu_wait_eof(fd, 10000));
	close(fd);
	env_fini(&e);
}

static atomic_int hook_start, hook_stop;

static void on_start(void *ctx)
{
	(void)ctx;
	atomic_fetch_add_explicit(&hook_start, 1, memory_order_relaxed);
}

static void on_stop(void *ctx)
{
	(void)ctx;
	atomic_fetch_add_explicit(&hook_stop, 1, memory_order_relaxed);
}

static void test_hooks_and_stop_from_handler(void)
{
	struct e1k_thread_hooks hooks = { .on_start = on_start, .on_stop = on_stop };
	char tmp[64], path[160], msg[256], *resp = NULL;
	struct ctl_server *s = NULL;
	struct th_ctx th;
	int rc;

	th_init(&th);
	REQUIRE(tu_mkdtemp(tmp, sizeof(tmp)) == 0);
	snprintf(path, sizeof(path), "%s/e1kd.sock", tmp);
	REQUIRE(ctl_server_create_opts(path, th_handler, &th, &hooks, NULL, &s, msg,
	                               sizeof(msg)) == 0);
	th.server = s;
	rc = ctl_client_call(path, "STATUS", CALL_MS, &resp);
	CHECK_EQ(rc, 0);
	free(resp);
	CHECK_EQ(atomic_load(&hook_start), 1);
	/* the handler stops its own server: the answer still goes out */
	resp = NULL;
	rc = ctl_client_call(path, "STOPME", CALL_MS, &resp);
	CHECK_EQ(rc, 0);
	CHECK(resp && !strcmp(resp, "OK {}"));
	free(resp);
	/* a later stop from this thread joins; the thread ran on_stop exactly once */
	ctl_server_stop(s);
	CHECK_EQ(atomic_load(&hook_stop), 1);
	CHECK_EQ(ctl_client_call(path, "STATUS", CALL_MS, &resp), -ECONNREFUSED);
	ctl_server_destroy(s);
	CHECK_EQ(atomic_load(&hook_start), 1);
	CHECK_EQ(atomic_load(&hook_stop), 1);
	tu_rm_rf(tmp);
	th_fini(&th);
}

static void test_handler_blocking_timeout(void)
{
	struct env e;
	char *resp = NULL;
	int rc;

	REQUIRE(env_init(&e, NULL));
	th_set_block_stats(&e.th, true);
	/* the client gives up after its timeout while the handler is still busy */
	rc = ctl_client_call(e.sock, "STATS", 100, &resp);
	CHECK_EQ(rc, -ETIMEDOUT);
	CHECK(resp == NULL);
	th_set_block_stats(&e.th, false);
	/* the server then carries on */
	rc = ctl_client_call(e.sock, "STATS", CALL_MS, &resp);
	CHECK_EQ(rc, 0);
	CHECK(starts(resp, "OK {\"rx_packets\":10"));
	free(resp);
	env_fini(&e);
}

static bool accepted_two(void *arg)
{
	struct ctl_server_stats st;

	ctl_server_get_stats(((struct env *)arg)->srv, &st);
	return st.accepted >= 2;
}

static bool handler_entered(void *arg)
{
	return th_calls(&((struct env *)arg)->th) >= 1;
}

static void send_str(int fd, const char *s)
{
	CHECK_EQ(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

/* One line within CALL_MS that starts with want. */
static void expect_line(int fd, const char *want, const char *who)
{
	char line[CTL_MAX_LINE];
	int n = tu_read_line(fd, line, sizeof(line), CALL_MS);

	if (n < 0)
		tl_fail(__FILE__, __LINE__, "%s: no answer (%d), wanted '%s'", who, n, want);
	else if (!starts(line, want))
		tl_fail(__FILE__, __LINE__, "%s: '%s', wanted '%s'", who, line, want);
}

/*
 * Finding F3 (docs/robustness.md): requests that reached the server while the
 * handler ran (the first halt) are answered when the server stops, not
 * dropped: on a client already accepted, and on connections still queued.
 * The handler stops its own server and blocks, as e1kd's HALT keeps the
 * server thread while the main thread then stops the server.
 */
static void test_stop_answers_what_was_sent(void)
{
	struct env e;
	int old, idle, a, q, part, x;

	REQUIRE(env_init(&e, NULL));
	th_set_block_stats(&e.th, true);
	old = tu_connect(e.sock);
	idle = tu_connect(e.sock);
	REQUIRE(old >= 0 && idle >= 0);
	REQUIRE(tl_wait_until(accepted_two, &e, CALL_MS));
	a = tu_connect(e.sock);
	REQUIRE(a >= 0);
	send_str(a, "STOPWAIT\n");
	REQUIRE(tl_wait_until(handler_entered, &e, CALL_MS));
	/* The server thread is in the handler, and stopping: these wait. */
	send_str(old, "ECHO old\n");
	q = tu_connect(e.sock);             /* queued, not accepted yet */
	part = tu_connect(e.sock);
	REQUIRE(q >= 0 && part >= 0);
	send_str(q, "ECHO q1\nSTATUS\n");   /* two requests, pipelined */
	send_str(part, "ECHO par");         /* never completed */
	th_set_block_stats(&e.th, false);

	expect_line(a, "OK {\"stopped\":true}", "the stopping request");
	expect_line(old, "OK {\"argc\":1,\"argv\":[\"old\"]}", "accepted client");
	expect_line(q, "OK {\"argc\":1,\"argv\":[\"q1\"]}", "queued client, first");
	expect_line(q, "OK {\"state\":\"Running\"", "queued client, second");
	/* Then each one is closed; an idle one and a half line get no answer. */
	CHECK(tu_wait_eof(a, CALL_MS));
	CHECK(tu_wait_eof(old, CALL_MS));
	CHECK(tu_wait_eof(q, CALL_MS));
	{
		char line[64];

		CHECK_EQ(tu_read_line(part, line, sizeof(line), CALL_MS), -ECONNRESET);
		CHECK_EQ(tu_read_line(idle, line, sizeof(line), CALL_MS), -ECONNRESET);
	}
	/* New connections were refused from the start of the stop. */
	x = tu_connect(e.sock);
	CHECK_EQ(x, -ECONNREFUSED);
	if (x >= 0)
		close(x);
	CHECK_EQ(th_calls(&e.th), 4);
	close(a);
	close(old);
	close(idle);
	close(q);
	close(part);
	env_fini(&e);
}

struct stopper {
	struct ctl_server *s;
};

static void *stop_thread(void *arg)
{
	ctl_server_stop(((struct stopper *)arg)->s);
	return NULL;
}

static void test_concurrent_stop_under_load(void)
{
	unsigned long rounds = tl_scaled(20, 4);

	for (unsigned long k = 0; k < rounds; k++) {
		struct env e;
		struct stopper st;
		pthread_t t[3];
		char *resp = NULL;
		int fds[4];

		REQUIRE(env_init(&e, NULL));
		for (int i = 0; i < 4; i++) {
			fds[i] = tu_connect(e.sock);
			if (fds[i] >= 0)
				(void)!write(fds[i], "ECHO x\nSTATUS\n", 14);
		}
		CHECK_EQ(ctl_client_call(e.sock, "STATUS", CALL_MS, &resp), 0);
		free(resp);
		st.s = e.srv;
		for (int i = 0; i < 3; i++)
			REQUIRE(pthread_create(&t[i], NULL, stop_thread, &st) == 0);
		for (int i = 0; i < 3; i++)
			pthread_join(t[i], NULL);
		/* every client sees the close */
		for (int i = 0; i < 4; i++) {
			if (fds[i] >= 0) {
				CHECK(tu_wait_eof(fds[i], CALL_MS));
				close(fds[i]);
			}
		}
		env_fini(&e);
	}
}

int main(void)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_ok_err_and_modes),
		TL_CASE(test_pipelined_and_half_close),
		TL_CASE(test_dir_checks),
		TL_CASE(test_stale_and_live),
		TL_CASE(test_oversize_line),
		TL_CASE(test_silent_client_does_not_block),
		TL_CASE(test_idle_and_stalled_clients_closed),
		TL_CASE(test_slots_full),
		TL_CASE(test_lifetime_capped),
		TL_CASE(test_refusals_logged_rate_limited),
		TL_CASE(test_non_reading_client_dropped),
		TL_CASE(test_hooks_and_stop_from_handler),
		TL_CASE(test_handler_blocking_timeout),
		TL_CASE(test_concurrent_stop_under_load),
		TL_CASE(test_stop_answers_what_was_sent),
	};

	signal(SIGPIPE, SIG_IGN);   /* a write to a socket the server closed must not kill us */
	return tl_run(cases, TL_N(cases));
}
