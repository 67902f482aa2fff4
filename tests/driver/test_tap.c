/* SPDX-License-Identifier: MIT */
/*
 * test_tap.c - hal/tapdev: name validation, lifetime, frame I/O against the
 * kernel's own ARP and ICMP, in a private network namespace (nettest.h).
 * Addresses: 198.18.0.1 (the TAP, host side) and 198.18.0.2 ("the wire").
 * Vnet TAPs: the same I/O with a virtio-net header, and one TCP connection
 * with the test as the peer: the host's TSO super-frames come out as the
 * bridge's header translation (driver/vnet.h) expects, and a run of
 * segments coalesced by driver/gro.h goes in with one write and reaches the
 * host's socket whole.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "gro.h"
#include "netlink.h"
#include "nettest.h"
#include "tapdev.h"
#include "testlib.h"
#include "vnet.h"

#define ETHERTYPE_IP4  0x0800
#define ETHERTYPE_ARP_ 0x0806
#define ARPOP_REQ 1
#define ARPOP_REP 2
#define IPPROTO_ICMP_ 1
#define ICMP_ECHO_REQ 8
#define ICMP_ECHO_REP 0

#define HOST_IP "198.18.0.1"
#define WIRE_IP "198.18.0.2"
#define DEADLINE_MS 5000

static const uint8_t wire_mac[6] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x02 };
static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* ---- frame helpers ---- */

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

static uint32_t ip4(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return a.s_addr; /* network order */
}

static uint16_t csum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static size_t eth_hdr(uint8_t *f, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	put16(f + 12, type);
	return 14;
}

/* ARP (Ethernet/IPv4) of op from (smac, sip) about (tmac, tip). */
static size_t build_arp(uint8_t *f, const uint8_t *edst, uint16_t op, const uint8_t *smac,
			uint32_t sip, const uint8_t *tmac, uint32_t tip)
{
	static const uint8_t zero[6];
	size_t n = eth_hdr(f, edst, smac, ETHERTYPE_ARP_);
	uint8_t *a = f + n;

	put16(a, 1);              /* htype Ethernet */
	put16(a + 2, ETHERTYPE_IP4);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, op);
	memcpy(a + 8, smac, 6);
	memcpy(a + 14, &sip, 4);
	memcpy(a + 18, tmac ? tmac : zero, 6);
	memcpy(a + 24, &tip, 4);
	return n + 28;
}

static size_t build_echo(uint8_t *f, const uint8_t *dmac, uint16_t id, uint16_t seq,
			 const char *payload)
{
	size_t plen = strlen(payload);
	size_t n = eth_hdr(f, dmac, wire_mac, ETHERTYPE_IP4);
	uint8_t *ip = f + n, *ic = ip + 20;
	uint32_t src = ip4(WIRE_IP), dst = ip4(HOST_IP);

	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + 8 + plen));
	put16(ip + 4, 0x1234);
	ip[8] = 64;
	ip[9] = IPPROTO_ICMP_;
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &dst, 4);
	put16(ip + 10, csum(ip, 20));
	ic[0] = ICMP_ECHO_REQ;
	ic[1] = 0;
	put16(ic + 2, 0);
	put16(ic + 4, id);
	put16(ic + 6, seq);
	memcpy(ic + 8, payload, plen);
	put16(ic + 2, csum(ic, 8 + plen));
	return n + 20 + 8 + plen;
}

/* Wait for a readable frame until deadline_ns; true if one is there. */
static bool wait_readable(int fd, uint64_t deadline_ns)
{
	for (;;) {
		uint64_t now = tl_now_ns();
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int r;

		if (now >= deadline_ns)
			return false;
		r = poll(&p, 1, (int)((deadline_ns - now) / 1000000u) + 1);
		if (r > 0)
			return true;
		if (r < 0 && errno != EINTR)
			return false;
	}
}

static int tap_mac(const char *name, uint8_t mac[6])
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r;

	if (s < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	r = ioctl(s, SIOCGIFHWADDR, &ifr);
	close(s);
	if (r < 0)
		return -errno;
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return 0;
}

static bool gone_name(void *ctx) { return if_nametoindex(ctx) == 0; }

/* ---- cases ---- */

static void test_name_validation(void)
{
	char out[TAPDEV_NAMESIZ];
	static const char *const bad[] = {
		"", "abcdefghijklmnop" /* 16 */, "a/b", "../x", "a b", " x", ".", "..",
		"tap\n", "tap:0", "t\xc3\xa4p", "x%d",
	};

	for (size_t i = 0; i < TL_N(bad); i++) {
		CHECK_EQ(tapdev_open(bad[i], out), -EINVAL);
		CHECK(!tapdev_name_valid(bad[i]));
	}
	CHECK_EQ(tapdev_open(NULL, out), -EINVAL);
	CHECK(tapdev_name_valid("abcdefghijklmno")); /* 15: the longest */
	CHECK(tapdev_name_valid("e1k_t.0-a"));
	CHECK(tapdev_name_valid("..."));
	/* Exists, and is not a tap: must not reach TUNSETIFF. */
	CHECK_EQ(tapdev_open("lo", out), -EEXIST);
	CHECK(strstr(tapdev_strerror(-ENOENT), "/dev/net/tun") != NULL);
	CHECK(tapdev_strerror(-EEXIST) != NULL);
	CHECK(tapdev_strerror(-12345) != NULL);
}

static void test_open_close(void)
{
	char out[TAPDEV_NAMESIZ] = "";
	int fd, fd2, fl;

	fd = tapdev_open("abcdefghijklmno", out);
	REQUIRE(fd >= 0);
	CHECK(strcmp(out, "abcdefghijklmno") == 0);
	CHECK(if_nametoindex("abcdefghijklmno") != 0);
	fl = fcntl(fd, F_GETFL);
	CHECK(fl >= 0 && (fl & O_NONBLOCK));
	fl = fcntl(fd, F_GETFD);
	CHECK(fl >= 0 && (fl & FD_CLOEXEC));
	/* A second open of the same name must not attach to the first. */
	fd2 = tapdev_open("abcdefghijklmno", NULL);
	CHECK_EQ(fd2, -EEXIST);
	if (fd2 >= 0)
		tapdev_close(fd2);
	tapdev_close(fd);
	/* Not persistent: the interface goes with the fd. */
	CHECK(tl_wait_until(gone_name, "abcdefghijklmno", DEADLINE_MS));
	/* The name is free again. */
	fd = tapdev_open("abcdefghijklmno", NULL);
	CHECK(fd >= 0);
	tapdev_close(fd);
	CHECK(tl_wait_until(gone_name, "abcdefghijklmno", DEADLINE_MS));
	tapdev_close(-1); /* no-op */
}

static void test_args(void)
{
	uint8_t buf[64] = { 0 };
	int fd = tapdev_open("e1kt-args", NULL);

	REQUIRE(fd >= 0);
	/* Down and silent: nothing to read. */
	CHECK_EQ(tapdev_read(fd, buf, sizeof(buf)), -EAGAIN);
	CHECK_EQ(tapdev_write(fd, buf, TAPDEV_MIN_FRAME - 1), -EINVAL);
	CHECK_EQ(tapdev_write(fd, buf, TAPDEV_MAX_FRAME + 1), -EINVAL);
	CHECK_EQ(tapdev_write(fd, NULL, 60), -EINVAL);
	CHECK_EQ(tapdev_write(-1, buf, 60), -EINVAL);
	CHECK_EQ(tapdev_read(-1, buf, sizeof(buf)), -EINVAL);
	/* Writing while down: refused, reported as -ENETDOWN. */
	memset(buf, 0xff, 6);
	CHECK_EQ(tapdev_write(fd, buf, 60), -ENETDOWN);
	CHECK_EQ(tapdev_set_carrier(-1, true), -EBADF);
	tapdev_close(fd);
}

struct io_env {
	struct e1k_nl *nl;
	int fd;
	uint8_t mac[6];
	bool vnet;                  /* a vnet TAP: the _vnet calls, headers in vh */
	struct virtio_net_hdr vh;   /* the last frame's header */
};

static ssize_t io_read(struct io_env *e, uint8_t *f, size_t cap)
{
	return e->vnet ? tapdev_read_vnet(e->fd, &e->vh, f, cap) : tapdev_read(e->fd, f, cap);
}

/* One frame, with an empty header on a vnet TAP: the frame is finished. */
static int io_write(struct io_env *e, const uint8_t *f, size_t len)
{
	struct virtio_net_hdr vh = { 0 };
	struct iovec iov = { .iov_base = (void *)f, .iov_len = len };

	return e->vnet ? tapdev_writev_vnet(e->fd, &vh, &iov, 1) : tapdev_write(e->fd, f, len);
}

/* A TAP "e1kt-io", up, 198.18.0.1/24, IPv6 off so the kernel stays quiet.
 * vnet: a vnet TAP with these TUN_F_* offloads. */
static bool io_setup_as(struct io_env *e, bool vnet, unsigned tun_offloads)
{
	memset(e, 0, sizeof(*e));
	e->fd = -1;
	e->vnet = vnet;
	/* Only this namespace's settings: no router solicitations / DAD noise. */
	nt_sysctl("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
	nt_sysctl("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
	if (e1k_nl_open(&e->nl) < 0)
		return false;
	e->fd = vnet ? tapdev_open_vnet("e1kt-io", NULL, tun_offloads) : tapdev_open("e1kt-io", NULL);
	if (e->fd < 0)
		return false;
	if (e1k_nl_addr_add(e->nl, "e1kt-io", HOST_IP "/24") < 0)
		return false;
	if (e1k_nl_link_set(e->nl, "e1kt-io", NULL, 0, 1) < 0)
		return false;
	return tap_mac("e1kt-io", e->mac) == 0;
}

static bool io_setup(struct io_env *e)
{
	return io_setup_as(e, false, 0);
}

static void io_teardown(struct io_env *e)
{
	tapdev_close(e->fd);
	e1k_nl_close(e->nl);
	tl_wait_until(gone_name, "e1kt-io", DEADLINE_MS);
}

/* Read frames until one satisfies match() or the deadline passes.  Frames
 * that do not match are skipped; an ARP request for WIRE_IP is answered, so
 * the kernel can resolve the wire's address whatever its neighbour state. */
typedef bool (*frame_match)(const uint8_t *f, size_t n, void *ctx);

static bool await_frame(struct io_env *e, frame_match match, void *ctx,
			uint8_t *f, size_t cap, size_t *len)
{
	uint64_t deadline = tl_now_ns() + (uint64_t)DEADLINE_MS * 1000000u;

	while (wait_readable(e->fd, deadline)) {
		ssize_t n = io_read(e, f, cap);

		if (n == -EAGAIN || n == -EMSGSIZE)
			continue;
		if (n < 0)
			return false;
		if (match(f, (size_t)n, ctx)) {
			*len = (size_t)n;
			return true;
		}
		if (get16(f + 12) == ETHERTYPE_ARP_ && n >= 42 && get16(f + 20) == ARPOP_REQ) {
			uint32_t tip, want = ip4(WIRE_IP), sip = ip4(HOST_IP);
			uint8_t rep[64];
			size_t rl;

			memcpy(&tip, f + 38, 4);
			if (tip == want) {
				rl = build_arp(rep, e->mac, ARPOP_REP, wire_mac, want, e->mac, sip);
				io_write(e, rep, rl);
			}
		}
	}
	return false;
}

static bool is_arp_reply(const uint8_t *f, size_t n, void *ctx)
{
	const uint8_t *host_mac = ctx;
	uint32_t sip, tip;

	if (n < 42 || get16(f + 12) != ETHERTYPE_ARP_ || get16(f + 20) != ARPOP_REP)
		return false;
	memcpy(&sip, f + 28, 4);
	memcpy(&tip, f + 38, 4);
	return memcmp(f, wire_mac, 6) == 0 && memcmp(f + 22, host_mac, 6) == 0 &&
	       sip == ip4(HOST_IP) && tip == ip4(WIRE_IP) && memcmp(f + 32, wire_mac, 6) == 0;
}

static void test_arp_reply(void)
{
	struct io_env e;
	uint8_t f[2048];
	size_t n, len = 0;

	if (!io_setup(&e)) {
		tl_fail(__FILE__, __LINE__, "io_setup failed");
		io_teardown(&e);
		return;
	}
	n = build_arp(f, bcast, ARPOP_REQ, wire_mac, ip4(WIRE_IP), NULL, ip4(HOST_IP));
	CHECK_EQ(tapdev_write(e.fd, f, n), 0);
	CHECK(await_frame(&e, is_arp_reply, e.mac, f, sizeof(f), &len));
	CHECK(len >= 42);

	/* A frame longer than the buffer: -EMSGSIZE, and it is consumed.  The
	 * reply to this second request is the only frame the kernel sends, so
	 * after the short read nothing further is an ARP reply. */
	n = build_arp(f, bcast, ARPOP_REQ, wire_mac, ip4(WIRE_IP), NULL, ip4(HOST_IP));
	CHECK_EQ(tapdev_write(e.fd, f, n), 0);
	CHECK(wait_readable(e.fd, tl_now_ns() + (uint64_t)DEADLINE_MS * 1000000u));
	CHECK_EQ(tapdev_read(e.fd, f, 20), -EMSGSIZE);
	for (;;) {
		ssize_t r = tapdev_read(e.fd, f, sizeof(f));

		if (r < 0) {
			CHECK_EQ(r, -EAGAIN);
			break;
		}
		CHECK(!is_arp_reply(f, (size_t)r, e.mac));
	}
	io_teardown(&e);
}

struct echo_want {
	const uint8_t *host_mac;
	uint16_t id, seq;
	const char *payload;
	bool any_seq;   /* match any sequence number, recorded in seen */
	uint16_t seen;
};

static bool is_echo_reply(const uint8_t *f, size_t n, void *ctx)
{
	struct echo_want *w = ctx;
	size_t plen = strlen(w->payload);
	const uint8_t *ip = f + 14, *ic = ip + 20;
	uint32_t src, dst;

	if (n < 14 + 20 + 8 + plen || get16(f + 12) != ETHERTYPE_IP4 || ip[0] != 0x45 ||
	    ip[9] != IPPROTO_ICMP_ || ic[0] != ICMP_ECHO_REP)
		return false;
	memcpy(&src, ip + 12, 4);
	memcpy(&dst, ip + 16, 4);
	if (!(memcmp(f, wire_mac, 6) == 0 && memcmp(f + 6, w->host_mac, 6) == 0 &&
	      src == ip4(HOST_IP) && dst == ip4(WIRE_IP) && csum(ip, 20) == 0 &&
	      get16(ic + 4) == w->id && (w->any_seq || get16(ic + 6) == w->seq) &&
	      csum(ic, 8 + plen) == 0 && memcmp(ic + 8, w->payload, plen) == 0))
		return false;
	w->seen = get16(ic + 6);
	return true;
}

static void test_icmp_echo(void)
{
	struct io_env e;
	uint8_t f[2048];
	size_t n, len = 0;
	struct echo_want w = { .id = 0xe1c0, .payload = "e1kd tapdev echo" };

	if (!io_setup(&e)) {
		tl_fail(__FILE__, __LINE__, "io_setup failed");
		io_teardown(&e);
		return;
	}
	w.host_mac = e.mac;
	for (uint16_t seq = 1; seq <= 3; seq++) {
		w.seq = seq;
		n = build_echo(f, e.mac, w.id, seq, w.payload);
		CHECK_EQ(tapdev_write(e.fd, f, n), 0);
		CHECK(await_frame(&e, is_echo_reply, &w, f, sizeof(f), &len));
	}
	/* Addressed to another MAC: the kernel drops it (PACKET_OTHERHOST), so
	 * no reply may come for this sequence number. */
	{
		static const uint8_t other[6] = { 0x02, 0, 0, 0, 0, 0x99 };

		w.seq = 99;
		n = build_echo(f, other, w.id, w.seq, w.payload);
		CHECK_EQ(tapdev_write(e.fd, f, n), 0);
		w.seq = 4;
		n = build_echo(f, e.mac, w.id, w.seq, w.payload);
		CHECK_EQ(tapdev_write(e.fd, f, n), 0);
		/* Replies come in order: the first echo reply seen must be seq 4. */
		w.any_seq = true;
		CHECK(await_frame(&e, is_echo_reply, &w, f, sizeof(f), &len));
		CHECK_EQ(w.seen, 4);
	}
	io_teardown(&e);
}

/* ---- vnet TAPs ---- */

static void test_vnet_args(void)
{
	struct virtio_net_hdr vh = { 0 };
	uint8_t buf[64] = { 0 };
	struct iovec iov[TAPDEV_MAX_IOV + 1];
	int fd;

	/* TSO without checksum offload, and unknown bits: refused up front. */
	CHECK_EQ(tapdev_open_vnet("e1kt-va", NULL, TUN_F_TSO4), -EINVAL);
	CHECK_EQ(tapdev_open_vnet("e1kt-va", NULL, TUN_F_CSUM | 0x8000u), -EINVAL);
	CHECK(if_nametoindex("e1kt-va") == 0);
	CHECK_EQ(tapdev_open_vnet("..", NULL, 0), -EINVAL);
	CHECK_EQ(tapdev_open_vnet("lo", NULL, 0), -EEXIST);
	fd = tapdev_open_vnet("e1kt-va", NULL, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6);
	REQUIRE(fd >= 0);
	CHECK_EQ(tapdev_read_vnet(fd, &vh, buf, sizeof(buf)), -EAGAIN);
	CHECK_EQ(tapdev_read_vnet(fd, NULL, buf, sizeof(buf)), -EINVAL);
	CHECK_EQ(tapdev_read_vnet(-1, &vh, buf, sizeof(buf)), -EINVAL);
	for (unsigned i = 0; i <= TAPDEV_MAX_IOV; i++) {
		iov[i].iov_base = buf;
		iov[i].iov_len = 1;
	}
	CHECK_EQ(tapdev_writev_vnet(fd, &vh, iov, 0), -EINVAL);
	CHECK_EQ(tapdev_writev_vnet(fd, &vh, iov, TAPDEV_MAX_IOV + 1), -EINVAL);
	CHECK_EQ(tapdev_writev_vnet(fd, &vh, iov, TAPDEV_MIN_FRAME - 1), -EINVAL);  /* 13 bytes */
	CHECK_EQ(tapdev_writev_vnet(fd, NULL, iov, 20), -EINVAL);
	iov[0].iov_len = TAPDEV_GSO_MAX_FRAME;   /* + 19 more bytes: too long */
	CHECK_EQ(tapdev_writev_vnet(fd, &vh, iov, 20), -EINVAL);
	iov[0].iov_len = 1;
	memset(buf, 0xff, 6);
	CHECK_EQ(tapdev_writev_vnet(fd, &vh, iov, 60), -ENETDOWN);   /* down */
	tapdev_close(fd);
	CHECK(tl_wait_until(gone_name, "e1kt-va", DEADLINE_MS));
}

/* ICMP echo through a vnet TAP without offloads, the request written in
 * pieces: the reply comes back finished (no NEEDS_CSUM, no GSO). */
static void test_vnet_echo(void)
{
	struct io_env e;
	uint8_t f[2048];
	size_t n, len = 0;
	struct echo_want w = { .id = 0xe1c1, .seq = 1, .payload = "e1kd vnet echo" };
	struct virtio_net_hdr vh = { 0 };
	struct iovec iov[3];

	if (!io_setup_as(&e, true, 0)) {
		tl_fail(__FILE__, __LINE__, "io_setup failed");
		io_teardown(&e);
		return;
	}
	w.host_mac = e.mac;
	n = build_echo(f, e.mac, w.id, w.seq, w.payload);
	iov[0] = (struct iovec){ f, 10 };
	iov[1] = (struct iovec){ f + 10, 25 };
	iov[2] = (struct iovec){ f + 35, n - 35 };
	CHECK_EQ(tapdev_writev_vnet(e.fd, &vh, iov, 3), 0);
	CHECK(await_frame(&e, is_echo_reply, &w, f, sizeof(f), &len));
	CHECK_EQ(e.vh.gso_type, VIRTIO_NET_HDR_GSO_NONE);
	CHECK(!(e.vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM));
	io_teardown(&e);
}

#define PEER_PORT 5001
#define PEER_ISN  0x7000000u
#define TCP_SYN_  0x02
#define TCP_ACK_  0x10
#define TCP_PSH_  0x08

/* An IPv4 TCP segment from the wire to the host, checksums done; mss_opt
 * adds an MSS option (for a SYN-ACK). */
static size_t build_tcp(uint8_t *f, const uint8_t *dmac, uint16_t sport, uint16_t dport,
                        uint32_t seq, uint32_t ack, uint8_t flags, uint16_t mss_opt,
                        uint16_t ip_id, const uint8_t *payload, size_t plen)
{
	size_t n = eth_hdr(f, dmac, wire_mac, ETHERTYPE_IP4);
	uint8_t *ip = f + n, *th = ip + 20, pseudo[12];
	size_t thl = mss_opt ? 24 : 20;
	uint32_t src = ip4(WIRE_IP), dst = ip4(HOST_IP);

	memset(ip, 0, 20 + thl);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + thl + plen));
	put16(ip + 4, ip_id);
	put16(ip + 6, 0x4000);   /* DF */
	ip[8] = 64;
	ip[9] = IPPROTO_TCP;
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &dst, 4);
	put16(ip + 10, csum(ip, 20));
	put16(th, sport);
	put16(th + 2, dport);
	put16(th + 4, (uint16_t)(seq >> 16));
	put16(th + 6, (uint16_t)seq);
	put16(th + 8, (uint16_t)(ack >> 16));
	put16(th + 10, (uint16_t)ack);
	th[12] = (uint8_t)(thl / 4 << 4);
	th[13] = flags;
	put16(th + 14, 65535);
	if (mss_opt) {
		th[20] = 2;
		th[21] = 4;
		put16(th + 22, mss_opt);
	}
	if (plen)
		memcpy(th + thl, payload, plen);
	/* The TCP checksum over a pseudo header placed just before th. */
	memcpy(pseudo, ip + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = IPPROTO_TCP;
	put16(pseudo + 10, (uint16_t)(thl + plen));
	{
		uint8_t *tmp = malloc(12 + thl + plen + 1);
		uint16_t c;

		if (!tmp)
			abort();
		memcpy(tmp, pseudo, 12);
		memcpy(tmp + 12, th, thl + plen);
		c = csum(tmp, 12 + thl + plen);
		free(tmp);
		put16(th + 16, c);
	}
	return n + 20 + thl + plen;
}

struct syn_want {
	uint16_t port;       /* the host's port, learnt */
	uint32_t isn;
};

static bool is_syn(const uint8_t *f, size_t n, void *ctx)
{
	struct syn_want *w = ctx;
	const uint8_t *ip = f + 14, *th = ip + 20;

	if (n < 54 || get16(f + 12) != ETHERTYPE_IP4 || ip[0] != 0x45 || ip[9] != IPPROTO_TCP ||
	    get16(th + 2) != PEER_PORT || th[13] != TCP_SYN_)
		return false;
	w->port = get16(th);
	w->isn = (uint32_t)get16(th + 4) << 16 | get16(th + 6);
	return true;
}

/* The host's data segment: TCP from the host's port to ours with payload. */
static bool is_host_data(const uint8_t *f, size_t n, void *ctx)
{
	struct syn_want *w = ctx;
	const uint8_t *ip = f + 14, *th = ip + 20;

	return n > 54 + 12 && get16(f + 12) == ETHERTYPE_IP4 && ip[9] == IPPROTO_TCP &&
	       get16(th) == w->port && get16(th + 2) == PEER_PORT &&
	       n > 14u + 20u + (size_t)(th[12] >> 4) * 4u;
}

struct gro_write {
	int fd, rc;
	unsigned packets, frames;
	struct virtio_net_hdr vh;
};

static void write_packet(void *ctx, const struct virtio_net_hdr *vh, const struct iovec *iov,
                         unsigned niov, unsigned first, unsigned n)
{
	struct gro_write *g = ctx;
	int rc = tapdev_writev_vnet(g->fd, vh, iov, niov);

	(void)first;
	if (rc)
		g->rc = rc;
	g->packets++;
	g->frames += n;
	g->vh = *vh;
}

struct recv_want {
	int sock;
	uint8_t *buf;
	size_t want, got;
};

static bool received_all(void *ctx)
{
	struct recv_want *r = ctx;

	for (;;) {
		ssize_t k = recv(r->sock, r->buf + r->got, r->want - r->got + 1, MSG_DONTWAIT);

		if (k <= 0)
			break;
		r->got += (size_t)k;
	}
	return r->got >= r->want;
}

/*
 * One TCP connection, the test as the peer on the wire, the TAP with
 * checksum offload and TSO4 (what the bridge asks when the NIC has them).
 */
static void test_vnet_tcp(void)
{
	static uint8_t f[TAPDEV_GSO_MAX_FRAME], segs[3][2048];
	struct io_env e;
	struct syn_want sw = { 0 };
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(PEER_PORT) };
	uint8_t data[30000], pay[3 * 1000], got[3 * 1000 + 1];
	size_t len = 0, n;
	int s = -1;

	if (!io_setup_as(&e, true, TUN_F_CSUM | TUN_F_TSO4)) {
		tl_fail(__FILE__, __LINE__, "io_setup failed");
		io_teardown(&e);
		return;
	}
	sa.sin_addr.s_addr = ip4(WIRE_IP);
	s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	REQUIRE(s >= 0);
	CHECK(connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno == EINPROGRESS);

	/* Handshake: SYN in, SYN-ACK (MSS 1460) out, then the host's ACK. */
	if (!await_frame(&e, is_syn, &sw, f, sizeof(f), &len)) {
		tl_fail(__FILE__, __LINE__, "no SYN from the host");
		goto out;
	}
	n = build_tcp(f, e.mac, PEER_PORT, sw.port, PEER_ISN, sw.isn + 1, TCP_SYN_ | TCP_ACK_,
	              1460, 1, NULL, 0);
	CHECK_EQ(io_write(&e, f, n), 0);
	{
		struct pollfd p = { .fd = s, .events = POLLOUT };
		int soerr = -1;
		socklen_t sl = sizeof(soerr);

		CHECK(poll(&p, 1, DEADLINE_MS) == 1);
		CHECK(getsockopt(s, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0);
	}

	/* Host -> wire: a send larger than one segment comes out as a TSO
	 * super-frame that the bridge would pass on as one gso frame. */
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13u);
	CHECK(send(s, data, sizeof(data), 0) > 1460);
	if (!await_frame(&e, is_host_data, &sw, f, sizeof(f), &len)) {
		tl_fail(__FILE__, __LINE__, "no data from the host");
		goto out;
	}
	CHECK_EQ(e.vh.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
	CHECK(e.vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM);
	CHECK(len > 14 + 20 + 20 + 1460);
	{
		struct e1k_frame fr;
		unsigned all = E1K_OFFLOAD_TX_CSUM | E1K_OFFLOAD_TSO4 | E1K_OFFLOAD_TSO6;

		CHECK_EQ(e1k_vnet_to_frame(&e.vh, f, len, all, &fr), E1K_VNET_OK);
		CHECK_EQ(fr.gso, E1K_GSO_TCPV4);
		CHECK_EQ(fr.mss, 1460);
		CHECK_EQ(fr.hdr_len, 14 + 20 + 20);   /* no TCP options: none offered */
		CHECK_EQ(fr.csum_start, 14 + 20);
		CHECK_EQ(fr.csum_offset, 16);
		/* Without TSO4 in force the same frame is refused. */
		CHECK_EQ(e1k_vnet_to_frame(&e.vh, f, len, E1K_OFFLOAD_TX_CSUM, &fr),
		         E1K_VNET_UNSUPPORTED);
		CHECK(memcmp(f + 54, data, 1460) == 0);
	}

	/* Wire -> host: three segments coalesced into one write; the socket
	 * gets every byte in order. */
	{
		struct gro_seg gs[3];
		struct gro_frame gf[3];
		struct gro_write gw = { .fd = e.fd };
		struct recv_want rw = { .sock = s, .buf = got, .want = sizeof(pay) };

		for (size_t i = 0; i < sizeof(pay); i++)
			pay[i] = (uint8_t)(i * 7u + 1u);
		for (unsigned i = 0; i < 3; i++) {
			n = build_tcp(segs[i], e.mac, PEER_PORT, sw.port, PEER_ISN + 1 + i * 1000u,
			              sw.isn + 1, (uint8_t)(TCP_ACK_ | (i == 2 ? TCP_PSH_ : 0)), 0,
			              (uint16_t)(2 + i), pay + i * 1000u, 1000);
			gs[i] = (struct gro_seg){ segs[i], (uint32_t)n };
			gf[i] = (struct gro_frame){ &gs[i], 1, (uint32_t)n, true };
		}
		gro_batch(gf, 3, write_packet, &gw, NULL);
		CHECK_EQ(gw.rc, 0);
		CHECK_EQ(gw.packets, 1u);
		CHECK_EQ(gw.frames, 3u);
		CHECK_EQ(gw.vh.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
		CHECK_EQ(gw.vh.gso_size, 1000);
		CHECK(tl_wait_until(received_all, &rw, DEADLINE_MS));
		CHECK_EQ(rw.got, sizeof(pay));
		CHECK(memcmp(got, pay, sizeof(pay)) == 0);
	}
out:
	if (s >= 0)
		close(s);
	io_teardown(&e);
}

int main(void)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_name_validation),
		TL_CASE(test_open_close),
		TL_CASE(test_args),
		TL_CASE(test_arp_reply),
		TL_CASE(test_icmp_echo),
		TL_CASE(test_vnet_args),
		TL_CASE(test_vnet_echo),
		TL_CASE(test_vnet_tcp),
	};
	int rc = nt_sandbox_enter();

	if (rc)
		return rc;
	return tl_run(cases, TL_N(cases));
}
