/* SPDX-License-Identifier: MIT */
/*
 * flood.c - e1k_bench_flood: a paced flood of minimum-size Ethernet frames
 * into one interface, for scripts/bench (the host side of the RX figures).
 *
 *   e1k_bench_flood --ifname IF --dst MAC [--src MAC] [--size N] [--rate PPS]
 *                   [--seconds S] [--stop-file PATH] [--batch N]
 *
 * Sends frames of N bytes (default 60, i.e. 64 on the wire with the FCS) with
 * an IEEE local-experimental EtherType (0x88b5) through an AF_PACKET socket
 * bound to IF, in sendmmsg() batches, paced to PPS frames per second (0 = as
 * fast as the socket takes them), until S seconds passed (0 = no limit), the
 * stop file exists, or SIGTERM/SIGINT.  Prints one JSON line at the end:
 * {"sent":..,"errors":..,"seconds":..,"pps":..}.
 *
 * A TAP's transmit path never pushes back (the kernel drops what its reader
 * does not take), so an unpaced flood only burns a CPU the QEMU guest needs:
 * pace it a little above what the emulated NIC can take.
 *
 * Threads: one (main).  Exit status 0, 1 on a socket error, 2 on a usage error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "mac.h"

#define FLOOD_ETHERTYPE 0x88b5u
#define FLOOD_MAX_BATCH 256u
#define FLOOD_MAX_FRAME 1514u
#define FLOOD_STOP_CHECK_NS 50000000ull   /* look for the stop file every 50 ms */

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	(void)sig;
	stop_signal = 1;
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || end == s || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: e1k_bench_flood --ifname IF --dst MAC [--src MAC] [--size N] "
	           "[--rate PPS] [--seconds S] [--stop-file PATH] [--batch N]\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "ifname", required_argument, NULL, 'i' },
		{ "dst", required_argument, NULL, 'd' },
		{ "src", required_argument, NULL, 's' },
		{ "size", required_argument, NULL, 'z' },
		{ "rate", required_argument, NULL, 'r' },
		{ "seconds", required_argument, NULL, 't' },
		{ "stop-file", required_argument, NULL, 'f' },
		{ "batch", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static uint8_t frame[FLOOD_MAX_BATCH][FLOOD_MAX_FRAME];
	struct mmsghdr msgs[FLOOD_MAX_BATCH];
	struct iovec iov[FLOOD_MAX_BATCH];
	const char *ifname = NULL, *stop_file = NULL;
	uint8_t dst[6], src[6] = { 0x02, 0, 0, 0, 0xbe, 0x01 };
	uint64_t size = 60, rate = 0, seconds = 0, batch = 32, sent = 0, errors = 0, v;
	uint64_t t0, t_end, next_check, t_last;
	struct sockaddr_ll sll;
	struct sigaction sa;
	bool have_dst = false;
	int c, fd;

	while ((c = getopt_long(argc, argv, "i:d:s:z:r:t:f:b:h", lo, NULL)) != -1) {
		switch (c) {
		case 'i': ifname = optarg; break;
		case 'f': stop_file = optarg; break;
		case 'd':
		case 's':
			if (e1k_mac_parse(optarg, c == 'd' ? dst : src) < 0) {
				fprintf(stderr, "flood: bad MAC '%s'\n", optarg);
				return 2;
			}
			have_dst |= c == 'd';
			break;
		case 'z':
			if (parse_u64(optarg, FLOOD_MAX_FRAME, &size) < 0 || size < 60) {
				fprintf(stderr, "flood: --size must be 60..%u\n", FLOOD_MAX_FRAME);
				return 2;
			}
			break;
		case 'r':
		case 't':
		case 'b':
			if (parse_u64(optarg, c == 'b' ? FLOOD_MAX_BATCH : 100000000ull, &v) < 0 ||
			    (c == 'b' && v == 0)) {
				fprintf(stderr, "flood: bad number '%s'\n", optarg);
				return 2;
			}
			*(c == 'r' ? &rate : c == 't' ? &seconds : &batch) = v;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!ifname || !have_dst || optind != argc) {
		usage(stderr);
		return 2;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);   /* protocol 0: send only */
	if (fd < 0) {
		fprintf(stderr, "flood: socket(AF_PACKET): %s\n", strerror(errno));
		return 1;
	}
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	if (sll.sll_ifindex == 0 || bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		fprintf(stderr, "flood: cannot bind to %s: %s\n", ifname, strerror(errno));
		close(fd);
		return 1;
	}
	for (unsigned i = 0; i < batch; i++) {
		memset(frame[i], 0, size);
		memcpy(frame[i], dst, 6);
		memcpy(frame[i] + 6, src, 6);
		frame[i][12] = FLOOD_ETHERTYPE >> 8;
		frame[i][13] = FLOOD_ETHERTYPE & 0xff;
		iov[i] = (struct iovec){ .iov_base = frame[i], .iov_len = size };
		memset(&msgs[i], 0, sizeof(msgs[i]));
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}

	t0 = e1k_now_ns();
	t_end = seconds ? t0 + seconds * 1000000000ull : UINT64_MAX;
	next_check = t0;
	t_last = t0;
	while (!stop_signal) {
		uint64_t t = e1k_now_ns();
		int n;

		if (t >= t_end)
			break;
		if (stop_file && t >= next_check) {
			if (access(stop_file, F_OK) == 0)
				break;
			next_check = t + FLOOD_STOP_CHECK_NS;
		}
		if (rate) {
			/* Pace: the batch about to go out is due at t0 + sent / rate. */
			uint64_t due = t0 + (uint64_t)((double)sent * 1e9 / (double)rate);

			if (due > t) {
				struct timespec ts = { .tv_sec = (time_t)((due - t) / 1000000000ull),
				                       .tv_nsec = (long)((due - t) % 1000000000ull) };

				nanosleep(&ts, NULL);
				continue;
			}
		}
		/* The sequence number in every frame makes drops visible in a capture. */
		for (unsigned i = 0; i < batch; i++) {
			uint64_t seq = sent + i;

			memcpy(frame[i] + 14, &seq, sizeof(seq));
		}
		n = sendmmsg(fd, msgs, (unsigned)batch, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS || errno == EAGAIN) {
				errors++;
				sched_yield();
				continue;
			}
			fprintf(stderr, "flood: sendmmsg: %s\n", strerror(errno));
			close(fd);
			return 1;
		}
		sent += (uint64_t)n;
		t_last = e1k_now_ns();
	}
	close(fd);
	{
		double s = (double)(t_last - t0) / 1e9;

		printf("{\"sent\":%llu,\"errors\":%llu,\"seconds\":%.3f,\"pps\":%.0f}\n",
		       (unsigned long long)sent, (unsigned long long)errors, s,
		       s > 0 ? (double)sent / s : 0.0);
	}
	return 0;
}
