/* SPDX-License-Identifier: MIT */
/*
 * cli_peercred: a peer whose uid differs from the server's euid is refused
 * with "ERR EPERM" (SO_PEERCRED), even when file permissions would let it in.
 * Needs root to switch a child to uid 65534; exits 77 (skip) otherwise.
 */
#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli_testutil.h"
#include "ctl_client.h"
#include "ctl_server.h"
#include "testlib.h"

#define NOBODY 65534

/*
 * The child: only system calls between fork and _exit (the parent is
 * multithreaded).  Exit codes: 0 got "ERR EPERM ", 10+ which step failed.
 */
static void child(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	static const char want[] = "ERR EPERM ";
	char buf[256];
	size_t n = 0;
	int fd;

	if (setgroups(0, NULL) != 0 || setresgid(NOBODY, NOBODY, NOBODY) != 0 ||
	    setresuid(NOBODY, NOBODY, NOBODY) != 0)
		_exit(10);
	if (geteuid() != NOBODY)
		_exit(11);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0)
		_exit(12);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		_exit(13);
	(void)!send(fd, "STATUS\n", 7, MSG_NOSIGNAL);
	while (n < sizeof(buf) - 1) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (poll(&p, 1, 5000) <= 0)
			_exit(14);
		r = read(fd, buf + n, sizeof(buf) - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
		if (memchr(buf, '\n', n))
			break;
	}
	if (n < sizeof(want) - 1 || memcmp(buf, want, sizeof(want) - 1) != 0)
		_exit(15);
	_exit(0);
}

static void test_other_uid_refused(void)
{
	char tmp[64], dir[128], path[160], msg[256], *resp = NULL;
	struct ctl_server_stats st;
	struct ctl_server *s = NULL;
	struct th_ctx th;
	pid_t pid;
	int rc;

	th_init(&th);
	REQUIRE(tu_mkdtemp(tmp, sizeof(tmp)) == 0);
	snprintf(dir, sizeof(dir), "%s/run", tmp);
	snprintf(path, sizeof(path), "%s/e1kd.sock", dir);
	REQUIRE(ctl_server_create_opts(path, th_handler, &th, NULL, NULL, &s, msg,
	                               sizeof(msg)) == 0);
	/* Open the file permissions on purpose: only SO_PEERCRED stands in the way. */
	CHECK_EQ(chmod(tmp, 0711), 0);
	CHECK_EQ(chmod(dir, 0711), 0);
	CHECK_EQ(chmod(path, 0666), 0);

	pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0)
		child(path);
	rc = tu_wait_child(pid, 20000);
	CHECK_EQ(rc, 0);
	ctl_server_get_stats(s, &st);
	CHECK_EQ(st.refused_uid, 1);
	CHECK_EQ(th_calls(&th), 0);   /* the handler never saw the request */

	/* the owner's uid is still served */
	CHECK_EQ(ctl_client_call(path, "STATUS", 5000, &resp), 0);
	CHECK(resp && !strncmp(resp, "OK ", 3));
	free(resp);
	ctl_server_destroy(s);
	tu_rm_rf(tmp);
	th_fini(&th);
}

int main(void)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_other_uid_refused),
	};

	if (geteuid() != 0) {
		printf("skip: cli_peercred needs root (it switches a child to uid %d)\n", NOBODY);
		return 77;
	}
	signal(SIGPIPE, SIG_IGN);
	return tl_run(cases, TL_N(cases));
}
