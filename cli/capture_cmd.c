/* SPDX-License-Identifier: MIT */
#include "capture_cmd.h"

#include <errno.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "capture_proto.h"
#include "clock.h"

/* After SIGINT/SIGTERM: how long e1kd gets to send what is in flight and END. */
#define STOP_GRACE_MS 5000
#define IN_BYTES (512u * 1024)

static volatile sig_atomic_t stop_sig;

static void on_stop(int sig)
{
	stop_sig = sig;
}

struct reader {
	int fd;
	uint8_t *buf;
	size_t len;
	pcap_dumper_t *dump;
	unsigned snaplen;
	uint64_t count, written, dropped;
	bool ended, halted, broken;
};

/* Write the complete records in r->buf; keep a partial one. */
static void take_records(struct reader *r)
{
	size_t off = 0;

	while (!r->ended && !r->broken && r->len - off >= sizeof(struct capture_wire_hdr)) {
		struct capture_wire_hdr h;

		memcpy(&h, r->buf + off, sizeof(h));
		if (h.magic != CAPTURE_MAGIC || (h.kind != CAPTURE_REC_FRAME && h.kind != CAPTURE_REC_END) ||
		    h.caplen > r->snaplen || h.caplen > h.len) {
			r->broken = true;
			break;
		}
		if (r->len - off < sizeof(h) + h.caplen)
			break;
		r->dropped = h.dropped;
		if (h.kind == CAPTURE_REC_END) {
			r->ended = true;
			r->halted = h.len == CAPTURE_END_HALTED;
		} else if (!r->count || r->written < r->count) {
			struct pcap_pkthdr ph = {
				.caplen = h.caplen,
				.len = h.len,
			};

			/* A nanosecond-precision file: tv_usec holds nanoseconds. */
			ph.ts.tv_sec = (time_t)(h.ts_ns / 1000000000u);
			ph.ts.tv_usec = (suseconds_t)(h.ts_ns % 1000000000u);
			pcap_dump((u_char *)r->dump, &ph, r->buf + off + sizeof(h));
			r->written++;
		}
		off += sizeof(h) + h.caplen;
	}
	memmove(r->buf, r->buf + off, r->len - off);
	r->len -= off;
}

int capture_cmd_run(int fd, const char *file, unsigned snaplen, uint64_t count)
{
	struct reader r = { .fd = fd, .snaplen = snaplen, .count = count };
	bool created = strcmp(file, "-") && access(file, F_OK) != 0, shut = false;
	uint64_t stop_deadline = 0;
	struct sigaction sa = { 0 }, old_int, old_term;
	sigset_t block, orig;
	pcap_t *pd;
	FILE *out;
	int ex = 0;

	pd = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, (int)snaplen, PCAP_TSTAMP_PRECISION_NANO);
	r.buf = malloc(IN_BYTES);
	if (!pd || !r.buf) {
		fprintf(stderr, "e1kctl: out of memory\n");
		close(fd);
		if (pd)
			pcap_close(pd);
		free(r.buf);
		return 1;
	}
	r.dump = pcap_dump_open(pd, file);
	if (!r.dump) {
		/* Closing the connection disarms the capture in e1kd. */
		fprintf(stderr, "e1kctl: cannot write %s: %s\n", file, pcap_geterr(pd));
		close(fd);
		pcap_close(pd);
		free(r.buf);
		return 1;
	}
	out = pcap_dump_file(r.dump);

	/* Stopping works from here on: before the header is out, which is what
	 * a reader (or a test) takes as "armed" -- a SIGINT right after it
	 * must end the capture (exit 0), not kill the process. */
	sa.sa_handler = on_stop;   /* no SA_RESTART: ppoll returns */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &orig);

	/* The header now: a reader sees a valid, empty capture. */
	if (pcap_dump_flush(r.dump) != 0)
		ex = 1;

	while (!ex && !r.ended && !r.broken) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		struct timespec ts, *tsp = NULL;
		ssize_t n;

		if (stop_sig && !shut) {
			/* "Stop": e1kd disarms, sends what it has and END. */
			shutdown(fd, SHUT_WR);
			shut = true;
			stop_deadline = e1k_now_ns() + (uint64_t)STOP_GRACE_MS * 1000000u;
		}
		if (shut) {
			uint64_t now = e1k_now_ns();

			if (now >= stop_deadline) {
				fprintf(stderr, "e1kctl: the driver did not end the capture within %d ms\n",
				        STOP_GRACE_MS);
				ex = 3;
				break;
			}
			ts.tv_sec = (time_t)((stop_deadline - now) / 1000000000u);
			ts.tv_nsec = (long)((stop_deadline - now) % 1000000000u);
			tsp = &ts;
		}
		if (ppoll(&p, 1, tsp, &orig) < 0 && errno != EINTR) {
			fprintf(stderr, "e1kctl: poll: %s\n", strerror(errno));
			ex = 1;
			break;
		}
		n = recv(fd, r.buf + r.len, IN_BYTES - r.len, MSG_DONTWAIT);
		if (n > 0) {
			r.len += (size_t)n;
			take_records(&r);
			if (ferror(out)) {
				fprintf(stderr, "e1kctl: cannot write %s: %s\n", file, strerror(errno));
				ex = 1;
			}
			continue;
		}
		if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			fprintf(stderr, "e1kctl: the driver closed the capture without ending it "
			        "(did e1kd exit?)\n");
			ex = 3;
		}
	}
	sigprocmask(SIG_SETMASK, &orig, NULL);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	close(fd);
	if (r.broken) {
		fprintf(stderr, "e1kctl: the driver sent a malformed capture stream\n");
		ex = 3;
	}
	if (pcap_dump_flush(r.dump) != 0 || ferror(out)) {
		if (!ex)
			fprintf(stderr, "e1kctl: cannot write %s: %s\n", file, strerror(errno));
		ex = 1;
	}
	pcap_dump_close(r.dump);
	pcap_close(pd);
	free(r.buf);
	if (ex && r.written == 0 && created && unlink(file) == 0)
		fprintf(stderr, "e1kctl: nothing captured: %s removed\n", file);
	if (!ex && r.halted)
		fprintf(stderr, "e1kctl: the adapter halted: the capture ended with it\n");
	fprintf(stderr, "%" PRIu64 " frames captured, %" PRIu64 " dropped\n", r.written, r.dropped);
	return ex;
}
