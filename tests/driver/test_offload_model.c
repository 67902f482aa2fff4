/* SPDX-License-Identifier: MIT */
/*
 * test_offload_model.c - the adapter's offloads end to end on the software
 * model: TSO over IPv4 and IPv6 and checksum offload checked on the model's
 * wire byte for byte against segments this file computes itself; hostile
 * offload requests refused and counted with the adapter still running;
 * jumbo frames sent as several buffers and received as chains; the receive
 * checksum status reaching the binding.
 */
#include <stdlib.h>
#include <string.h>

#include "e1k_rcu.h"
#include "rig.h"
#include "testlib.h"

#define WIRE_MAX 256

/* Frames the model transmitted (its tx hook, on the model thread). */
static struct {
	pthread_mutex_t lock;
	unsigned        n;
	uint32_t        len[WIRE_MAX];
	uint8_t        *data[WIRE_MAX];
} wire = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void wire_hook(void *ctx, const uint8_t *frame, size_t len)
{
	(void)ctx;
	pthread_mutex_lock(&wire.lock);
	if (wire.n < WIRE_MAX) {
		wire.data[wire.n] = malloc(len);
		memcpy(wire.data[wire.n], frame, len);
		wire.len[wire.n++] = (uint32_t)len;
	}
	pthread_mutex_unlock(&wire.lock);
}

static void wire_reset(void)
{
	pthread_mutex_lock(&wire.lock);
	for (unsigned i = 0; i < wire.n; i++)
		free(wire.data[i]);
	wire.n = 0;
	pthread_mutex_unlock(&wire.lock);
}

static unsigned be16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* RFC 1071 over n bytes, starting from sum; not folded or complemented. */
static uint32_t add_bytes(uint32_t sum, const uint8_t *p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		sum += i & 1 ? p[i] : (uint32_t)p[i] << 8;
	return sum;
}

static unsigned finish(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

/* The checksum of an L4 header + payload at l4 (len bytes) with its pseudo
 * header, the checksum field (at l4 + field) counted as zero. */
static unsigned l4_csum(const uint8_t *f, bool v4, unsigned l3, unsigned l4, uint32_t len,
                        unsigned proto, unsigned field)
{
	uint32_t sum = proto + len;

	sum = v4 ? add_bytes(sum, f + l3 + 12, 8) : add_bytes(sum, f + l3 + 8, 32);
	sum = add_bytes(sum, f + l4, field);
	return finish(add_bytes(sum, f + l4 + field + 2, len - field - 2));
}

/* The pseudo-header sum, folded, not complemented: what a sender that asks
 * for checksum offload leaves in the checksum field. */
static unsigned pseudo_sum(const uint8_t *f, bool v4, uint32_t len, unsigned proto)
{
	uint32_t sum = v4 ? add_bytes(proto + len, f + 14 + 12, 8) : add_bytes(proto + len, f + 14 + 8, 32);

	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

static uint8_t big[E1K_GSO_FRAME_MAX];

/* Ethernet to the rig's MAC, IPv4 or IPv6, TCP with 12 bytes of options,
 * payload bytes of a pattern; checksum fields hold junk the device replaces. */
static uint32_t build_tcp(const struct rig *r, bool v4, uint32_t payload, uint8_t flags)
{
	unsigned l3 = 14, l4 = v4 ? 34 : 54;
	uint8_t *ip = big + l3, *th = big + l4;

	memset(big, 0, l4 + 32);
	memcpy(big, r->mac, 6);
	memcpy(big + 6, (uint8_t[]){ 0x02, 0, 0, 0, 0, 0x09 }, 6);
	if (v4) {
		put16(big + 12, 0x0800);
		ip[0] = 0x45;
		put16(ip + 4, 0x1234);         /* IP id */
		ip[6] = 0x40;
		ip[8] = 64;
		ip[9] = 6;
		put16(ip + 10, 0xbeef);
		memcpy(ip + 12, (uint8_t[]){ 198, 18, 0, 2, 198, 18, 0, 1 }, 8);
	} else {
		put16(big + 12, 0x86dd);
		ip[0] = 0x60;
		ip[6] = 6;
		ip[7] = 64;
		ip[8] = 0x20, ip[9] = 0x01, ip[11] = 0x02, ip[23] = 0x02;
		ip[24] = 0x20, ip[25] = 0x01, ip[27] = 0x02, ip[39] = 0x01;
	}
	put16(th, 40000);
	put16(th + 2, 5201);
	memcpy(th + 4, (uint8_t[]){ 0x11, 0x22, 0x33, 0x44 }, 4);   /* seq */
	memcpy(th + 8, (uint8_t[]){ 0, 0, 0x10, 0 }, 4);             /* ack */
	th[12] = 8 << 4;
	th[13] = flags;
	put16(th + 14, 502);
	put16(th + 16, 0xdead);
	memcpy(th + 20, (uint8_t[]){ 1, 1, 8, 10, 0, 0, 0, 7, 0, 0, 0, 9 }, 12);   /* NOP NOP TS */
	for (uint32_t k = 0; k < payload; k++)
		big[l4 + 32 + k] = (uint8_t)(k * 7 + (k >> 8));
	return l4 + 32 + payload;
}

/* Segment i of TSO as the device must put it on the wire, built from the
 * original frame: header, the payload slice, per-segment fields, checksums. */
static uint32_t expect_segment(uint8_t *out, uint32_t len, bool v4, unsigned mss, unsigned i)
{
	unsigned l3 = 14, l4 = v4 ? 34 : 54, hdr = l4 + 32;
	uint32_t off = hdr + i * mss, plen = len - off < mss ? len - off : mss;
	bool last = off + plen == len;
	uint8_t *ip = out + l3, *th = out + l4;
	uint32_t seq;

	memcpy(out, big, hdr);
	memcpy(out + hdr, big + off, plen);
	if (v4) {
		put16(ip + 2, hdr - l3 + plen);
		put16(ip + 4, 0x1234 + i);
		put16(ip + 10, 0);
		put16(ip + 10, finish(add_bytes(0, ip, 20)));
	} else {
		put16(ip + 4, hdr - l4 + plen);
	}
	seq = (uint32_t)be16(big + l4 + 4) << 16 | be16(big + l4 + 6);
	seq += i * mss;
	put16(th + 4, seq >> 16);
	put16(th + 6, seq & 0xffff);
	if (!last)
		th[13] &= (uint8_t)~0x09;      /* FIN and PSH: the last segment's only */
	put16(th + 16, l4_csum(out, v4, l3, l4, hdr - l4 + plen, 6, 16));
	return hdr + plen;
}

static bool up(struct rig *r, enum sim_model m, enum sim_wire w)
{
	struct e1k_config cfg;

	e1k_config_defaults(&cfg);
	memset(r, 0, sizeof(*r));
	if (rig_up(r, m, w, &cfg) < 0)
		return false;
	wire_reset();
	sim_set_tx_hook(r->hw, wire_hook, NULL);
	return true;
}

static void down(struct rig *r)
{
	sim_set_tx_hook(r->hw, NULL, NULL);
	rig_down(r, E1K_HALT_STOPPED, NULL);
	wire_reset();
}

static struct e1k_stats stats(struct rig *r)
{
	struct e1k_stats st;

	e1k_adapter_get_stats(r->ad, &st);
	return st;
}

/* Send one frame; wait until the model has put it on the wire. */
static int send1(struct rig *r, const struct e1k_frame *f)
{
	int rc = e1k_adapter_send(r->ad, f, 1);

	sim_sync(r->hw);
	return rc;
}

/* Send f from borrowed buffers (the frame written into them, as a readv
 * from a TAP would): 1, or what send_borrowed said. */
static int send1_borrowed(struct rig *r, const struct e1k_frame *f)
{
	uint32_t bufs[40];
	uint8_t *va[40];
	unsigned need = (f->len + E1K_TX_BUF_SIZE - 1) / E1K_TX_BUF_SIZE;
	struct e1k_tx_borrowed b;
	int rc;

	if (e1k_adapter_tx_borrow(r->ad, bufs, va, need) != need)
		return -ENOBUFS;
	for (unsigned i = 0; i < need; i++) {
		uint32_t off = i * E1K_TX_BUF_SIZE;

		memcpy(va[i], (const uint8_t *)f->data + off,
		       f->len - off < E1K_TX_BUF_SIZE ? f->len - off : E1K_TX_BUF_SIZE);
	}
	b.f = *f;
	b.f.data = va[0];
	b.bufs = bufs;
	rc = e1k_adapter_send_borrowed(r->ad, &b, 1);
	if (rc != 1)
		e1k_adapter_tx_giveback(r->ad, bufs, need);
	sim_sync(r->hw);
	return rc;
}

static bool borrowed_path;   /* tso_case sends through send1_borrowed */

static void tso_case(enum sim_model m, bool v4, uint32_t payload, unsigned mss, uint8_t flags)
{
	static uint8_t want[16384];
	struct rig r;
	unsigned l4 = v4 ? 34 : 54, nseg = (payload + mss - 1) / mss;
	uint32_t len;
	struct e1k_frame f;

	REQUIRE(up(&r, m, SIM_WIRE_NONE));
	len = build_tcp(&r, v4, payload, flags);
	f = (struct e1k_frame){ .data = big, .len = len, .gso = v4 ? E1K_GSO_TCPV4 : E1K_GSO_TCPV6,
	                        .csum = 1, .csum_start = (uint16_t)l4, .csum_offset = 16,
	                        .hdr_len = (uint16_t)(l4 + 32), .mss = (uint16_t)mss };
	CHECK_EQ(borrowed_path ? send1_borrowed(&r, &f) : send1(&r, &f), 1);
	pthread_mutex_lock(&wire.lock);
	CHECK_EQ(wire.n, nseg);
	for (unsigned i = 0; i < wire.n && i < nseg; i++) {
		uint32_t wl = expect_segment(want, len, v4, mss, i);

		CHECK_EQ(wire.len[i], wl < 60 ? 60 : wl);
		if (wire.len[i] >= wl && memcmp(wire.data[i], want, wl) != 0) {
			for (uint32_t k = 0; k < wl; k++)
				if (wire.data[i][k] != want[k]) {
					tl_fail(__FILE__, __LINE__, "segment %u of %u differs at byte %u: %#x, want %#x",
					        i, nseg, k, wire.data[i][k], want[k]);
					break;
				}
		}
	}
	pthread_mutex_unlock(&wire.lock);
	CHECK_EQ(stats(&r).tx_tso, 1);
	CHECK_EQ(stats(&r).tx_bad_offload, 0);
	CHECK_EQ(stats(&r).tx_zero_copy, borrowed_path ? 1 : 0);
	CHECK_EQ(stats(&r).tx_borrowed, 0);
	down(&r);
}

/* The same segments on the wire from borrowed buffers (no copy): the frame
 * read straight into the adapter's buffers, its headers prepared in place. */
static void test_tso_from_borrowed_buffers(void)
{
	borrowed_path = true;
	tso_case(SIM_82540EM, true, 20000, 1448, 0x18);
	tso_case(SIM_82574L, false, 30000, 1428, 0x19);
	tso_case(SIM_82574L, true, 1448 * 2, 1448, 0x10);
	borrowed_path = false;
}

/* Borrowed buffers are held for the halt as indicated ones are: a borrower
 * that keeps them makes the halt wait (bounded), report them, and take the
 * pool off the device rather than free it under the borrower; their return
 * after the halt frees it.  Nothing borrowed while not Running. */
static void test_borrowed_held_by_halt(void)
{
	struct rig r;
	struct e1k_config cfg;
	struct e1k_halt_report rep;
	struct e1k_halt_bounds hb = { .tx_drain_ms = 50, .rx_return_ms = 50 };
	uint32_t bufs[8];
	uint8_t *va[8];

	e1k_config_defaults(&cfg);
	memset(&r, 0, sizeof(r));
	REQUIRE(rig_up(&r, SIM_82574L, SIM_WIRE_NONE, &cfg) == 0);
	REQUIRE(e1k_adapter_tx_borrow(r.ad, bufs, va, 8) == 8);
	e1k_adapter_tx_giveback(r.ad, bufs + 5, 3);
	CHECK_EQ(stats(&r).tx_borrowed, 5);
	memset(va[0], 0x5a, E1K_TX_BUF_SIZE);
	CHECK_EQ(e1k_adapter_halt_bounded(r.ad, E1K_HALT_STOPPED, &hb, &rep), -EIO);
	CHECK_EQ(rep.stages[E1K_HS_AWAIT_RX_RETURNS].result, E1K_SR_TIMEOUT);
	CHECK_EQ(rep.rx_buffers_outstanding, 5);
	CHECK_EQ(rep.stages[E1K_HS_FREE_DMA].result, E1K_SR_OK);
	CHECK_EQ(rep.dma_live_frees, 0);
	/* The borrower still owns memory it can write. */
	CHECK_EQ(va[0][E1K_TX_BUF_SIZE - 1], 0x5a);
	va[4][0] = 1;
	CHECK_EQ(e1k_adapter_tx_borrow(r.ad, bufs + 5, va + 5, 1), 0);
	e1k_adapter_tx_giveback(r.ad, bufs, 5);   /* the last return frees the pool */
	e1k_adapter_destroy(r.ad);
}

static void test_tso4_82540em(void)
{
	tso_case(SIM_82540EM, true, 20000, 1448, 0x18);      /* ACK PSH */
	tso_case(SIM_82540EM, true, 1448 * 3, 1448, 0x19);   /* FIN too, an exact multiple */
	tso_case(SIM_82540EM, true, 65000, 1448, 0x10);
}

static void test_tso6_82574l(void)
{
	tso_case(SIM_82574L, false, 30000, 1428, 0x18);
	tso_case(SIM_82574L, false, 5000, 536, 0x10);
	tso_case(SIM_82574L, true, 9000, 1000, 0x18);
}

/* Checksum offload: the TCP/UDP checksum filled in, IPv4 and IPv6; a UDP
 * checksum that computes to 0 goes out as 0xffff. */
static void test_csum_offload(void)
{
	struct rig r;
	uint32_t len;
	struct e1k_frame f;

	REQUIRE(up(&r, SIM_82574L, SIM_WIRE_NONE));
	for (int v4 = 0; v4 < 2; v4++) {
		unsigned l4 = v4 ? 34 : 54;

		wire_reset();
		len = build_tcp(&r, v4, 700, 0x18);
		/* As a sender asking for checksum offload leaves it: the
		 * pseudo-header sum (with the length) in the field. */
		put16(big + l4 + 16, pseudo_sum(big, v4, len - l4, 6));
		f = (struct e1k_frame){ .data = big, .len = len, .csum = 1, .csum_start = (uint16_t)l4,
		                        .csum_offset = 16 };
		CHECK_EQ(send1(&r, &f), 1);
		/* UDP: the same frame with protocol 17 and an 8-byte header. */
		big[v4 ? 14 + 9 : 14 + 6] = 17;
		put16(big + l4 + 4, len - l4);
		put16(big + l4 + 6, pseudo_sum(big, v4, len - l4, 17));
		CHECK_EQ(send1(&r, &(struct e1k_frame){ .data = big, .len = len, .csum = 1,
		                                       .csum_start = (uint16_t)l4, .csum_offset = 6 }), 1);
		pthread_mutex_lock(&wire.lock);
		REQUIRE(wire.n == 2);
		CHECK_EQ(be16(wire.data[0] + l4 + 16), l4_csum(wire.data[0], v4, 14, l4, len - l4, 6, 16));
		CHECK_EQ(be16(wire.data[1] + l4 + 6), l4_csum(wire.data[1], v4, 14, l4, len - l4, 17, 6));
		CHECK(memcmp(wire.data[0] + l4 + 18, big + l4 + 18, len - l4 - 18) == 0);
		pthread_mutex_unlock(&wire.lock);
	}
	CHECK_EQ(stats(&r).tx_csum, 4);
	down(&r);
}

/* Requests that lie are refused and counted; the adapter keeps sending. */
static void test_hostile_offload_requests(void)
{
	struct rig r;
	uint32_t len;
	struct e1k_frame good, bad[6];
	unsigned nbad = sizeof(bad) / sizeof(bad[0]);

	REQUIRE(up(&r, SIM_82540EM, SIM_WIRE_NONE));
	len = build_tcp(&r, true, 20000, 0x10);
	good = (struct e1k_frame){ .data = big, .len = len, .gso = E1K_GSO_TCPV4, .csum = 1,
	                           .csum_start = 34, .csum_offset = 16, .hdr_len = 66, .mss = 1448 };
	for (unsigned i = 0; i < nbad; i++)
		bad[i] = good;
	bad[0].mss = 0;
	bad[1].hdr_len = (uint16_t)(len + 100);
	bad[2].gso = E1K_GSO_TCPV6;                  /* and the 82540EM has no IPv6 TSO */
	bad[3].len = E1K_GSO_FRAME_MAX + 1;
	bad[4].csum_start = 200;
	bad[5].mss = 9000;                           /* segments longer than the MTU */
	for (unsigned i = 0; i < nbad; i++)
		CHECK_EQ(e1k_adapter_send(r.ad, &bad[i], 1), -EINVAL);
	CHECK_EQ(stats(&r).tx_bad_offload, nbad);
	/* A bad one behind good ones: the good ones go, the call says how many. */
	{
		struct e1k_frame two[2] = { good, bad[0] };

		CHECK_EQ(e1k_adapter_send(r.ad, two, 2), 1);
	}
	CHECK_EQ(send1(&r, &good), 1);
	CHECK_EQ(e1k_adapter_state(r.ad), E1K_STATE_RUNNING);
	pthread_mutex_lock(&wire.lock);
	CHECK_EQ(wire.n, 2 * ((20000 + 1447) / 1448));
	pthread_mutex_unlock(&wire.lock);
	down(&r);
}

static bool nothing_outstanding(void *ctx)
{
	return stats(ctx).rx_outstanding == 0;
}

/* MTU 9000: frames up to 9014 bytes go out as several buffers and come back
 * (loopback) as chains, intact, in order; every buffer returns. */
static void test_jumbo_loopback(void)
{
	struct rig r;
	struct e1k_config cfg;
	struct e1k_stats st;
	long sent;

	e1k_config_defaults(&cfg);
	memset(&r, 0, sizeof(r));
	REQUIRE(rig_up(&r, SIM_82574L, SIM_WIRE_LOOPBACK, &cfg) == 0);
	CHECK(e1k_adapter_max_mtu(r.ad) >= 9000);
	CHECK_EQ(e1k_adapter_set_mtu(r.ad, e1k_adapter_max_mtu(r.ad) + 1), -EINVAL);
	CHECK_EQ(e1k_adapter_set_mtu(r.ad, 9000), 0);
	sent = rig_send_paced_max(&r, 0, 2000, 64, 20000, 9014);
	CHECK_EQ(sent, 2000);
	CHECK(rig_wait_received(&r, 2000, 20000));
	pthread_mutex_lock(&r.b.lock);
	CHECK_EQ(r.b.corrupt, 0);
	CHECK_EQ(r.b.lost, 0);
	CHECK_EQ(r.b.dup_or_reordered, 0);
	CHECK(r.b.chained > 1000);          /* 2048 .. 9014 bytes: most frames */
	pthread_mutex_unlock(&r.b.lock);
	/* The binding returns each batch after counting it. */
	CHECK(tl_wait_until(nothing_outstanding, &r, 5000));
	st = stats(&r);
	CHECK_EQ(st.rx_chained, r.b.chained);
	CHECK_EQ(st.rx_bad_frag, 0);
	CHECK_EQ(st.rx_outstanding, 0);
	/* A frame over the MTU is still refused. */
	{
		static uint8_t f[9015];

		rig_frame(&r, f, sizeof(f), 0);
		CHECK_EQ(e1k_adapter_send(r.ad, &(struct e1k_frame){ .data = f, .len = sizeof(f) }, 1), -EINVAL);
	}
	/* Back to 1500: a long frame from the wire is no longer taken. */
	CHECK_EQ(e1k_adapter_set_mtu(r.ad, 1500), 0);
	rig_down(&r, E1K_HALT_STOPPED, NULL);
}

/* Inject a frame and wait until the binding has it (the adapter's counters
 * are updated before the indication). */
static void inject(struct rig *r, const uint8_t *f, uint32_t len)
{
	uint64_t n;

	pthread_mutex_lock(&r->b.lock);
	n = r->b.received;
	pthread_mutex_unlock(&r->b.lock);
	CHECK_OK(sim_wire_inject(r->hw, f, len));
	CHECK(rig_wait_received(r, n + 1, 5000));
}

/* The device's checksum verdict reaches the binding: good TCP/IPv4 and
 * TCP/IPv6 frames flagged; a bad TCP checksum, a bad IP header checksum and
 * a non-IP frame not. */
static void test_rx_csum_flag(void)
{
	struct rig r;
	uint32_t len;

	REQUIRE(up(&r, SIM_82574L, SIM_WIRE_NONE));
	CHECK(e1k_adapter_offloads(r.ad) & E1K_OFFLOAD_RX_CSUM);
	for (int v4 = 0; v4 < 2; v4++) {
		unsigned l4 = v4 ? 34 : 54;
		uint64_t base = stats(&r).rx_csum_ok;

		len = build_tcp(&r, v4, 300, 0x18);
		if (v4) {
			put16(big + 16, len - 14);
			put16(big + 24, 0);
			put16(big + 24, finish(add_bytes(0, big + 14, 20)));
		} else {
			put16(big + 18, len - 54);
		}
		put16(big + l4 + 16, l4_csum(big, v4, 14, l4, len - l4, 6, 16));
		inject(&r, big, len);
		CHECK_EQ(stats(&r).rx_csum_ok, base + 1);
		big[len - 1] ^= 0x55;          /* the TCP checksum no longer matches */
		inject(&r, big, len);
		big[len - 1] ^= 0x55;
		if (v4) {
			big[14 + 8] ^= 1;          /* TTL: the IP header checksum no longer matches */
			inject(&r, big, len);
			big[14 + 8] ^= 1;
		}
		CHECK_EQ(stats(&r).rx_csum_ok, base + 1);
	}
	/* A device that checked TCP but not the IPv4 header: not flagged. */
	hal_wr32(r.hw, E1000_RXCSUM, E1000_RXCSUM_TUOFL);
	inject(&r, big, len);               /* the good IPv4 frame again */
	CHECK_EQ(stats(&r).rx_csum_ok, 2);
	big[12] = 0x88;                     /* not IP */
	inject(&r, big, 200);
	CHECK_EQ(stats(&r).rx_csum_ok, 2);
	pthread_mutex_lock(&r.b.lock);
	CHECK_EQ(r.b.csum_ok, 2);           /* the flag, as the binding saw it */
	pthread_mutex_unlock(&r.b.lock);
	down(&r);
}

int main(void)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_tso4_82540em), TL_CASE(test_tso6_82574l), TL_CASE(test_csum_offload),
		TL_CASE(test_hostile_offload_requests), TL_CASE(test_jumbo_loopback),
		TL_CASE(test_rx_csum_flag), TL_CASE(test_tso_from_borrowed_buffers),
		TL_CASE(test_borrowed_held_by_halt),
	};

	return tl_run(cases, TL_N(cases));
}
