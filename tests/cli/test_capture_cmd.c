/* SPDX-License-Identifier: MIT */
/*
 * cli_capture_cmd: e1kctl's capture loop (cli/capture_cmd.c) in process, with
 * this test playing e1kd on the other end of a socketpair.
 *
 * The pcap header on disk is what a reader (a test, a user's script) takes
 * as "armed", so a SIGINT right after it must stop the capture the way
 * SIGINT always does (exit 0, the count on stderr), not kill the process.
 * pcap_dump_flush is wrapped (ld --wrap) to raise SIGINT as the header's
 * flush returns: deterministic, where cli_verbs only hit that window now and
 * then (exit 130 under ASan).  Then frames and END as e1kd sends them, and a
 * malformed stream.
 */
#include <pcap/pcap.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture_cmd.h"
#include "cli_testutil.h"
#include "capture_proto.h"
#include "testlib.h"

#define PCAP_FILE_HDR 24u
#define PCAP_REC_HDR  16u

static volatile sig_atomic_t raise_on_flush;

int __real_pcap_dump_flush(pcap_dumper_t *p);
int __wrap_pcap_dump_flush(pcap_dumper_t *p);

int __wrap_pcap_dump_flush(pcap_dumper_t *p)
{
	int rc = __real_pcap_dump_flush(p);

	if (raise_on_flush) {
		raise_on_flush = 0;
		raise(SIGINT);
	}
	return rc;
}

struct peer {
	int fd;
	bool wait_eof;       /* END only after the client shut down its side */
	unsigned frames;     /* FRAME records of 60 bytes first */
	bool garbage;        /* a record with a bad magic instead */
	bool saw_eof;
};

static void send_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n) {
		ssize_t w = send(fd, b, n, MSG_NOSIGNAL);

		if (w <= 0)
			return;
		b += w;
		n -= (size_t)w;
	}
}

/* e1kd's side: frames, then (after the client's shutdown, if asked) END. */
static void *peer_main(void *arg)
{
	struct peer *pr = arg;
	struct capture_wire_hdr h = { .magic = CAPTURE_MAGIC };
	uint8_t frame[60] = { 0 };
	char c;

	for (unsigned i = 0; i < pr->frames; i++) {
		h.kind = CAPTURE_REC_FRAME;
		h.dir = 2;
		h.len = h.caplen = sizeof(frame);
		h.ts_ns = 1000000000ull + i;
		frame[14] = (uint8_t)i;
		send_all(pr->fd, &h, sizeof(h));
		send_all(pr->fd, frame, sizeof(frame));
	}
	if (pr->garbage) {
		h.magic = 0xdeadbeefu;
		send_all(pr->fd, &h, sizeof(h));
	}
	if (pr->wait_eof)
		pr->saw_eof = recv(pr->fd, &c, 1, 0) == 0;
	h = (struct capture_wire_hdr){ .magic = CAPTURE_MAGIC, .kind = CAPTURE_REC_END,
	                               .len = pr->wait_eof ? CAPTURE_END_CLIENT : CAPTURE_END_COUNT,
	                               .ts_ns = pr->frames };
	send_all(pr->fd, &h, sizeof(h));
	close(pr->fd);
	return NULL;
}

static char dir[64], path[128];

static off_t file_size(void)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : -1;
}

/* One capture against a peer; capture_cmd_run's exit status. */
static int capture(struct peer *pr, uint64_t count)
{
	int sv[2], rc;
	pthread_t t;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return -1;
	pr->fd = sv[1];
	if (pthread_create(&t, NULL, peer_main, pr) != 0) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	rc = capture_cmd_run(sv[0], path, 128, count);   /* closes sv[0] */
	pthread_join(t, NULL);
	return rc;
}

static void test_sigint_right_after_header(void)
{
	struct peer pr = { .wait_eof = true };

	unlink(path);
	raise_on_flush = 1;
	CHECK_EQ(capture(&pr, 0), 0);       /* without the handler by then: killed */
	CHECK_EQ(raise_on_flush, 0);        /* the wrapper did raise it */
	CHECK(pr.saw_eof);                  /* SIGINT became the client's shutdown */
	CHECK_EQ(file_size(), PCAP_FILE_HDR);
	/* The process's own disposition is back. */
	{
		struct sigaction sa;

		CHECK_OK(sigaction(SIGINT, NULL, &sa));
		CHECK(sa.sa_handler == SIG_DFL);
	}
}

static void test_frames_then_end(void)
{
	struct peer pr = { .frames = 3 };

	unlink(path);
	CHECK_EQ(capture(&pr, 3), 0);
	CHECK_EQ(file_size(), PCAP_FILE_HDR + 3 * (PCAP_REC_HDR + 60));
}

static void test_malformed_stream(void)
{
	struct peer pr = { .frames = 1, .garbage = true };

	unlink(path);
	CHECK_EQ(capture(&pr, 0), 3);
	/* What came before the bad record was written; the file stays. */
	CHECK_EQ(file_size(), PCAP_FILE_HDR + PCAP_REC_HDR + 60);
}

int main(void)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_sigint_right_after_header),
		TL_CASE(test_frames_then_end),
		TL_CASE(test_malformed_stream),
	};
	int rc;

	if (tu_mkdtemp(dir, sizeof(dir)) != 0) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/cap.pcap", dir);
	rc = tl_run(cases, TL_N(cases));
	tu_rm_rf(dir);
	return rc;
}
