/* SPDX-License-Identifier: MIT */
/*
 * robust_ctl_peer: the built e1kctl binary (path in argv[1]) against a
 * hostile peer on its control socket -- a raw server that answers with
 * scripted bytes no e1kd would send: escape sequences and C1 controls in the
 * ERR code, in the ERR message, in JSON strings and keys (as \u escapes and as
 * raw UTF-8), a halt report whose final_state carries an escape, raw tabs and
 * carriage returns as JSON whitespace, NUL, malformed and truncated lines.
 *
 * For every answer: e1kctl's exit status is the documented one, and nothing
 * it writes (stdout or stderr) contains a byte outside printable ASCII and
 * '\n' -- the peer cannot drive the terminal.  --json output is still valid
 * JSON after the filtering.  ctl_safe_text() itself is checked byte by byte.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli_testutil.h"
#include "ctl_proto.h"
#include "json_read.h"
#include "testlib.h"

extern char **environ;

static const char *e1kctl;
static char tmp[64], sock[100], out_path[192], err_path[192];

/* ---- the hostile peer: answers every request line with `reply` ---- */
static struct {
	pthread_mutex_t lock;
	char reply[4096];
	size_t reply_len;
	char last[512];         /* the last request line received */
	int lfd, stop_efd;
	pthread_t th;
} peer = { .lock = PTHREAD_MUTEX_INITIALIZER, .lfd = -1, .stop_efd = -1 };

static void peer_set(const char *bytes, size_t len)
{
	pthread_mutex_lock(&peer.lock);
	if (len > sizeof(peer.reply))
		len = sizeof(peer.reply);
	memcpy(peer.reply, bytes, len);
	peer.reply_len = len;
	pthread_mutex_unlock(&peer.lock);
}

#define PEER(lit) peer_set(lit, sizeof(lit) - 1)

/* Whether the last request line received contains s. */
static bool peer_last_has(const char *s)
{
	bool has;

	pthread_mutex_lock(&peer.lock);
	has = strstr(peer.last, s) != NULL;
	pthread_mutex_unlock(&peer.lock);
	return has;
}

/* One connection: read the request line (bounded in time and size), answer
 * with the scripted bytes, close. */
static void peer_serve(int fd)
{
	char line[512];
	size_t n = 0;

	while (n < sizeof(line) - 1) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (poll(&p, 1, 5000) <= 0)
			break;
		r = read(fd, line + n, sizeof(line) - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
		if (memchr(line, '\n', n))
			break;
	}
	line[n] = '\0';
	pthread_mutex_lock(&peer.lock);
	snprintf(peer.last, sizeof(peer.last), "%s", line);
	if (peer.reply_len)
		(void)!send(fd, peer.reply, peer.reply_len, MSG_NOSIGNAL);
	pthread_mutex_unlock(&peer.lock);
	close(fd);
}

static void *peer_thread(void *arg)
{
	(void)arg;
	for (;;) {
		struct pollfd p[2] = {
			{ .fd = peer.lfd, .events = POLLIN },
			{ .fd = peer.stop_efd, .events = POLLIN },
		};
		int fd;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		fd = accept4(peer.lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0)
			peer_serve(fd);
	}
	return NULL;
}

static int peer_start(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	peer.lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	peer.stop_efd = eventfd(0, EFD_CLOEXEC);
	if (peer.lfd < 0 || peer.stop_efd < 0 ||
	    bind(peer.lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(peer.lfd, 8) != 0)
		return -errno;
	return -pthread_create(&peer.th, NULL, peer_thread, NULL);
}

static void peer_stop(void)
{
	uint64_t one = 1;

	if (peer.stop_efd >= 0 && write(peer.stop_efd, &one, sizeof(one)) == sizeof(one))
		pthread_join(peer.th, NULL);
	if (peer.lfd >= 0)
		close(peer.lfd);
	if (peer.stop_efd >= 0)
		close(peer.stop_efd);
	peer.lfd = peer.stop_efd = -1;
}

/* ---- running e1kctl ---- */
static char *out, *err;
static size_t out_len, err_len;

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	*len = 0;
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
	    !(buf = malloc((size_t)n + 1))) {
		fclose(f);
		return NULL;
	}
	*len = fread(buf, 1, (size_t)n, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static int run(const char *const *args)
{
	char *argv[16];
	int n = 0, rc;
	pid_t pid;

	free(out);
	free(err);
	out = err = NULL;
	argv[n++] = (char *)e1kctl;
	argv[n++] = "--ctl";
	argv[n++] = sock;
	argv[n++] = "--timeout";
	argv[n++] = "10000";
	for (; *args && n < 15; args++)
		argv[n++] = (char *)*args;
	argv[n] = NULL;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int o = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		int e = open(err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

		if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
			_exit(126);
		execve(e1kctl, argv, environ);
		_exit(127);
	}
	rc = tu_wait_child(pid, 30000);
	out = slurp(out_path, &out_len);
	err = slurp(err_path, &err_len);
	if (!out)
		out = strdup("");
	if (!err)
		err = strdup("");
	return rc;
}

#define RUN(...) run((const char *const[]){ __VA_ARGS__, NULL })

/* Every byte printable ASCII or '\n'. */
static void all_printable(const char *what, const char *s, size_t len, int line)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c != '\n' && (c < 0x20 || c > 0x7e)) {
			tl_fail(__FILE__, line, "%s: byte %#x at %zu of %zu", what, c, i, len);
			return;
		}
	}
}

#define SAFE() do { \
	all_printable("stdout", out, out_len, __LINE__); \
	all_printable("stderr", err, err_len, __LINE__); \
} while (0)

/* ---- cases ---- */

static void test_safe_text(void)
{
	char s[] = "a\x1b[31mb\tc\rd\ne\x7f" "f\xc2\x9bg\x00h~ ";
	const char want_nl[] = "a?[31mb c d\ne?f??g?h~ ";
	const char want_sp[] = "a?[31mb c d e?f??g?h~ ";
	char t[sizeof(s)];
	size_t n = sizeof(s) - 1;

	memcpy(t, s, sizeof(s));
	CHECK_EQ(ctl_safe_text(t, n, true), 7);
	CHECK(memcmp(t, want_nl, n) == 0);
	memcpy(t, s, sizeof(s));
	CHECK_EQ(ctl_safe_text(t, n, false), 8);
	CHECK(memcmp(t, want_sp, n) == 0);
	/* Every byte value: the result is always printable (or a kept '\n'). */
	for (unsigned c = 0; c < 256; c++) {
		char b = (char)c;

		ctl_safe_text(&b, 1, true);
		CHECK(b == '\n' || ((unsigned char)b >= 0x20 && (unsigned char)b <= 0x7e));
		CHECK(c < 0x20 || c > 0x7e || b == (char)c);
	}
	CHECK_EQ(ctl_safe_text(NULL, 5, false), 0);
	CHECK_EQ(ctl_safe_text(t, 0, false), 0);
}

static void test_err_code_and_message(void)
{
	/* An escape sequence in the code (what e1kctl used to print verbatim). */
	PEER("ERR \x1b[31;1mEPERM \"refused\"\n");
	CHECK_EQ(RUN("status"), 4);
	SAFE();
	CHECK(strstr(err, "the driver refused: refused (?[31;1mEPERM)") != NULL);
	/* C1 CSI raw (0x9b), DEL and BEL in the code. */
	PEER("ERR \x9b" "2J\x7f\x07 \"x\"\n");
	CHECK_EQ(RUN("status"), 4);
	SAFE();
	/* The message: escapes as \u, a raw UTF-8 C1, a title-setting OSC, NUL. */
	PEER("ERR EIO \"\\u001b]0;owned\\u0007 \\u009b2J \xc2\x9b" "31m \\u00e9\\t\\r\\nend\"\n");
	CHECK_EQ(RUN("stats"), 4);
	SAFE();
	CHECK(strstr(err, "end (EIO)") != NULL);
	PEER("ERR EIO \"cut\\u0000 after NUL\"\n");
	CHECK_EQ(RUN("stats"), 4);
	SAFE();
	CHECK(strstr(err, "the driver refused: cut (EIO)") != NULL);
	/* A code that is nothing but an escape: still a refusal, shown safely. */
	PEER("ERR \x1b \"x\"\n");
	CHECK_EQ(RUN("stats"), 4);
	SAFE();
	CHECK(strstr(err, "the driver refused: x (?)") != NULL);
	/* An unknown code of printable text is still shown. */
	PEER("ERR EWHATEVER \"odd\"\n");
	CHECK_EQ(RUN("stats"), 4);
	SAFE();
	CHECK(strstr(err, "odd (EWHATEVER)") != NULL);
}

static void test_ok_table(void)
{
	PEER("OK {\"state\":\"\\u001b[2JRunning\",\"k\\u009bey\":\"\\u009b31m\","
	     "\"raw\":\"\xc2\x9b" "1m\",\"nested\":{\"a\\u001b\":[\"\\u0007\",1]},"
	     "\"list\":[{\"x\":\"\\u001b\"}],\"n\":12}\n");
	CHECK_EQ(RUN("status"), 0);
	SAFE();
	CHECK(strstr(out, "?[2JRunning") != NULL);
	CHECK(strstr(out, "12") != NULL);
	CHECK_EQ(err_len, 0);
}

static void test_ok_json(void)
{
	struct jr_node *root = NULL;

	/* Raw tab and CR as JSON whitespace, raw UTF-8 C1 and an accented
	 * letter inside strings. */
	PEER("OK {\t\"a\":\"\xc2\x9b" "2J\",\r\"b\":\"caf\xc3\xa9\",\"c\":\"\\u001b\"}\n");
	CHECK_EQ(RUN("--json", "status"), 0);
	SAFE();
	/* Still one valid JSON value per line after the filtering. */
	REQUIRE(out_len > 1 && out[out_len - 1] == '\n');
	CHECK_EQ(jr_parse(out, out_len - 1, &root, NULL), 0);
	CHECK(root && jr_get_str(root, "a") && strcmp(jr_get_str(root, "a"), "??2J") == 0);
	CHECK(root && jr_get_str(root, "b") && strcmp(jr_get_str(root, "b"), "caf??") == 0);
	/* \u escapes are printable text in the JSON: kept as written. */
	CHECK(strstr(out, "\"\\u001b\"") != NULL);
	jr_free(root);
}

static void test_halt_report(void)
{
	/* A report whose final_state and stage detail carry escapes: rendered
	 * safely, and a final state other than Halted is exit 4. */
	PEER("OK {\"reason\":\"stopped\",\"from_state\":\"Running\",\"final_state\":\"\\u001b[2JHalted\","
	     "\"stages\":[{\"name\":\"reject-new-work\",\"result\":\"ok\",\"start_ns\":1,\"end_ns\":2,"
	     "\"detail\":\"\\u009b31m\xc2\x9b\"}],\"ledger\":{\"acquired\":1,\"released\":1,"
	     "\"outstanding\":0,\"\\u001bx\":1},\"dma_faults\":0,\"isr_after_deregister\":0,"
	     "\"dpc_after_drain\":0,\"callbacks_after_halted\":0,\"rx_buffers_outstanding\":0,"
	     "\"mmio_after_removal\":0,\"total_ns\":5,\"\\u001b\":\"\\u009b\"}\n");
	CHECK_EQ(RUN("halt", "--reason", "stopped"), 4);
	SAFE();
	CHECK(strstr(err, "final state is ?[2JHalted") != NULL);
	CHECK(strstr(out, "reject-new-work") != NULL);
	CHECK(peer_last_has("HALT stopped"));
	/* The same in --json. */
	CHECK_EQ(RUN("--json", "halt", "--reason", "stopped"), 4);
	SAFE();
}

static void test_malformed_answers(void)
{
	static const struct {
		const char *bytes;
		size_t len;
	} bad[] = {
#define B(lit) { lit, sizeof(lit) - 1 }
		B("OK\n"),
		B("OK {\"a\":\x1b}\n"),
		B("OK {\"a\":\"\x1b\"}\n"),          /* raw ESC in a string: not JSON */
		B("ERR \x1b\n"),                       /* no message after the code */
		B("ERR EPERM \x1b[2J\n"),
		B("\x1b[2J\x1b]0;x\x07\n"),
		B("OK {\"a\":1"),                      /* no newline, then EOF */
		B(""),                                 /* closed without a word */
		B("OK {\"a\":\"\xff\xfe\"}\n"),        /* invalid UTF-8 */
#undef B
	};

	for (size_t i = 0; i < TL_N(bad); i++) {
		int rc;

		peer_set(bad[i].bytes, bad[i].len);
		rc = RUN("status");
		if (rc != 3)
			tl_fail(__FILE__, __LINE__, "answer %zu: exit %d, want 3 (%s)", i, rc, err);
		SAFE();
		CHECK_EQ(out_len, 0);
	}
	/* A NUL inside the line: the client takes the line as a C string, so
	 * what follows the NUL is never looked at, let alone printed. */
	peer_set("OK {\"a\":1}\x00\x1b[2J\n", 16);
	CHECK_EQ(RUN("status"), 0);
	SAFE();
	CHECK(strstr(out, "a") != NULL);
}

int main(int argc, char **argv)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_safe_text),
		TL_CASE(test_err_code_and_message),
		TL_CASE(test_ok_table),
		TL_CASE(test_ok_json),
		TL_CASE(test_halt_report),
		TL_CASE(test_malformed_answers),
	};
	int rc;

	if (argc < 2) {
		fprintf(stderr, "usage: %s PATH-TO-E1KCTL [CASE...]\n", argv[0]);
		return 2;
	}
	e1kctl = argv[1];
	signal(SIGPIPE, SIG_IGN);
	if (tu_mkdtemp(tmp, sizeof(tmp)) != 0) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(sock, sizeof(sock), "%s/peer.sock", tmp);
	snprintf(out_path, sizeof(out_path), "%s/out", tmp);
	snprintf(err_path, sizeof(err_path), "%s/err", tmp);
	if (peer_start() != 0) {
		fprintf(stderr, "cannot start the peer\n");
		tu_rm_rf(tmp);
		return 1;
	}
	rc = tl_main(argc - 1, argv + 1, cases, TL_N(cases));
	peer_stop();
	free(out);
	free(err);
	tu_rm_rf(tmp);
	return rc;
}
