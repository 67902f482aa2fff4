/* SPDX-License-Identifier: MIT */
/*
 * test_offload.c - a send's offload request checked against the frame's
 * headers (driver/offload.c): what is accepted becomes exactly the context
 * the device needs, every request that lies is refused with its reason, and
 * the TSO header preparation matches a pseudo-header sum computed here.
 */
#include <string.h>

#include "offload.h"
#include "testlib.h"

#define ALL (E1K_OFFLOAD_TX_CSUM | E1K_OFFLOAD_TSO4 | E1K_OFFLOAD_TSO6 | E1K_OFFLOAD_RX_CSUM)

static uint8_t frame[E1K_GSO_FRAME_MAX + 64];

/* Ethernet + IPv4 (ihl words) + TCP (doff words) or UDP, then payload bytes. */
static uint32_t build_v4(unsigned ihl, unsigned proto, unsigned doff, uint32_t payload)
{
	uint8_t *ip = frame + 14, *l4;
	unsigned l4len = proto == 6 ? doff * 4 : 8;

	memset(frame, 0, sizeof(frame));
	frame[12] = 0x08;
	ip[0] = (uint8_t)(0x40 | ihl);
	ip[2] = (uint8_t)((ihl * 4 + l4len + payload) >> 8);
	ip[3] = (uint8_t)(ihl * 4 + l4len + payload);
	ip[6] = 0x40;                       /* DF */
	ip[8] = 64;
	ip[9] = (uint8_t)proto;
	ip[10] = 0xab;                      /* a checksum the device must replace */
	ip[11] = 0xcd;
	memcpy(ip + 12, (uint8_t[]){ 198, 18, 0, 1, 198, 18, 0, 2 }, 8);
	l4 = ip + ihl * 4;
	if (proto == 6)
		l4[12] = (uint8_t)(doff << 4);
	l4[16] = 0x12;                      /* whatever the sender left */
	l4[17] = 0x34;
	return 14 + ihl * 4 + l4len + payload;
}

static uint32_t build_v6(uint32_t payload)
{
	uint8_t *ip = frame + 14;

	memset(frame, 0, sizeof(frame));
	frame[12] = 0x86;
	frame[13] = 0xdd;
	ip[0] = 0x60;
	ip[4] = (uint8_t)((20 + payload) >> 8);
	ip[5] = (uint8_t)(20 + payload);
	ip[6] = 6;
	ip[7] = 64;
	ip[8] = 0x20;                       /* 2001:2::1 -> 2001:2::2 (benchmarking range) */
	ip[9] = 0x01;
	ip[11] = 0x02;
	ip[23] = 0x01;
	ip[24] = 0x20;
	ip[25] = 0x01;
	ip[27] = 0x02;
	ip[39] = 0x02;
	ip[40 + 12] = 5 << 4;
	return 14 + 40 + 20 + payload;
}

static struct e1k_frame tso(uint32_t len, enum e1k_gso g, unsigned l4, uint16_t mss)
{
	return (struct e1k_frame){ .data = frame, .len = len, .gso = (uint8_t)g, .csum = 1,
	                           .csum_start = (uint16_t)l4, .csum_offset = 16,
	                           .hdr_len = (uint16_t)(l4 + 20), .mss = mss };
}

static enum e1k_offload_err check(const struct e1k_frame *f, unsigned offered, struct tx_offload *off)
{
	enum e1k_offload_err why = E1K_OFFLOAD_OK;
	int rc = e1k_offload_check(f, offered, 1500, off, &why);

	CHECK_EQ(rc < 0, why != E1K_OFFLOAD_OK);
	return why;
}

static void test_no_request(void)
{
	struct e1k_frame f = { .data = frame, .len = build_v4(5, 6, 5, 100) };
	struct tx_offload off;

	CHECK_EQ(check(&f, 0, &off), E1K_OFFLOAD_OK);
	CHECK_EQ(off.kind, TX_OFFLOAD_NONE);
}

static void test_tso4_context(void)
{
	struct e1k_frame f = tso(build_v4(5, 6, 8, 9000), E1K_GSO_TCPV4, 34, 1448);
	struct tx_offload off;

	f.hdr_len = 128;   /* tun reports its linear part: a hint, not the header */
	CHECK_EQ(check(&f, ALL, &off), E1K_OFFLOAD_OK);
	CHECK_EQ(off.kind, TX_OFFLOAD_TSO);
	CHECK_EQ(off.ipv4, 1);
	CHECK_EQ(off.tcp, 1);
	CHECK_EQ(off.l3_off, 14);
	CHECK_EQ(off.l4_off, 34);
	CHECK_EQ(off.csum_off, 50);
	CHECK_EQ(off.hdr_len, 34 + 32);    /* TCP with 12 bytes of options */
	CHECK_EQ(off.mss, 1448);
	/* IPv4 options move the TCP header. */
	f = tso(build_v4(7, 6, 5, 3000), E1K_GSO_TCPV4, 42, 1000);
	CHECK_EQ(check(&f, ALL, &off), E1K_OFFLOAD_OK);
	CHECK_EQ(off.l4_off, 42);
	CHECK_EQ(off.hdr_len, 62);
}

static void test_tso6_context(void)
{
	struct e1k_frame f = tso(build_v6(20000), E1K_GSO_TCPV6, 54, 1428);
	struct tx_offload off;

	CHECK_EQ(check(&f, ALL, &off), E1K_OFFLOAD_OK);
	CHECK_EQ(off.kind, TX_OFFLOAD_TSO);
	CHECK_EQ(off.ipv4, 0);
	CHECK_EQ(off.l4_off, 54);
	CHECK_EQ(off.csum_off, 70);
	CHECK_EQ(off.hdr_len, 74);
	/* A part without IPv6 TSO (82540EM) refuses it. */
	CHECK_EQ(check(&f, ALL & ~E1K_OFFLOAD_TSO6, &off), E1K_OFFLOAD_NOT_OFFERED);
}

static void test_csum_context(void)
{
	struct e1k_frame f = { .data = frame, .len = build_v4(5, 17, 0, 100), .csum = 1,
	                       .csum_start = 34, .csum_offset = 6 };
	struct tx_offload off;

	CHECK_EQ(check(&f, ALL, &off), E1K_OFFLOAD_OK);
	CHECK_EQ(off.kind, TX_OFFLOAD_CSUM);
	CHECK_EQ(off.tcp, 0);              /* UDP: a computed 0 goes out as 0xffff */
	CHECK_EQ(off.ipv4, 0);             /* the sender already summed the IP header */
	CHECK_EQ(off.l4_off, 34);
	CHECK_EQ(off.csum_off, 40);
	f.len = build_v4(5, 6, 5, 100);
	f.csum_offset = 16;
	CHECK_EQ(check(&f, ALL, &off), E1K_OFFLOAD_OK);
	CHECK_EQ(off.tcp, 1);
	CHECK_EQ(off.csum_off, 50);
	CHECK_EQ(check(&f, ALL & ~E1K_OFFLOAD_TX_CSUM, &off), E1K_OFFLOAD_NOT_OFFERED);
}

static void test_csum_offsets_that_lie(void)
{
	uint32_t len = build_v4(5, 6, 5, 100);
	struct e1k_frame f = { .data = frame, .len = len, .csum = 1, .csum_start = 34, .csum_offset = 16 };
	struct tx_offload off;

	f.csum_start = 10;                 /* inside the Ethernet header */
	CHECK_EQ(check(&f, ALL, &off), E1K_OFFLOAD_BAD_OFFSETS);
	f.csum_start = (uint16_t)len;      /* at the end */
	f.csum_offset = 0;
	CHECK_EQ(check(&f, ALL, &off), E1K_OFFLOAD_BAD_OFFSETS);
	f.csum_start = 250;                /* past the descriptor's 8-bit TUCSO */
	f.csum_offset = 16;
	CHECK_EQ(check(&f, ALL, &off), E1K_OFFLOAD_BAD_OFFSETS);
	f.len = 60;                        /* the checksum field past the frame */
	f.csum_start = 34;
	f.csum_offset = 25;
	CHECK_EQ(check(&f, ALL, &off), E1K_OFFLOAD_BAD_OFFSETS);
}

static void test_gso_that_lies(void)
{
	uint32_t len = build_v4(5, 6, 5, 4000);
	struct e1k_frame f;
	struct tx_offload off;

	f = tso(len, E1K_GSO_TCPV4, 34, 0);
	CHECK_EQ(check(&f, ALL, &off), E1K_OFFLOAD_BAD_MSS);
	f = tso(len, E1K_GSO_TCPV4, 34, 1500);   /* 54 + 1500 > 1514 */
	CHECK_EQ(check(&f, ALL, &off), E1K_OFFLOAD_BAD_MSS);
	f = tso(len, E1K_GSO_TCPV4, 34, 1460);
	CHECK_EQ(check(&f, ALL, &off), E1K_OFFLOAD_OK);
	f.hdr_len = (uint16_t)(len + 1);          /* header length past the frame */
	CHECK_EQ(check(&f, ALL, &off), E1K_OFFLOAD_BAD_OFFSETS);
	f = tso(len, E1K_GSO_TCPV4, 38, 1460);   /* csum_start is not the TCP header */
	CHECK_EQ(check(&f, ALL, &off), E1K_OFFLOAD_BAD_OFFSETS);
	f = tso(len, E1K_GSO_TCPV4, 34, 1460);
	f.csum_offset = 6;
	CHECK_EQ(check(&f, ALL, &off), E1K_OFFLOAD_BAD_OFFSETS);
	f = tso(len, E1K_GSO_TCPV4, 34, 1460);
	f.csum = 0;
	CHECK_EQ(check(&f, ALL, &off), E1K_OFFLOAD_NO_CSUM);
	f = tso(len, E1K_GSO_TCPV6, 34, 1460);   /* says v6, the frame is v4 */
	CHECK_EQ(check(&f, ALL, &off), E1K_OFFLOAD_BAD_HEADERS);
	f = tso(len, 7, 34, 1460);               /* a kind nobody knows */
	CHECK_EQ(check(&f, ALL, &off), E1K_OFFLOAD_NOT_OFFERED);
	f = tso(len, E1K_GSO_TCPV4, 34, 1460);
	CHECK_EQ(check(&f, ALL & ~E1K_OFFLOAD_TSO4, &off), E1K_OFFLOAD_NOT_OFFERED);
	f = tso(len, E1K_GSO_TCPV4, 34, 1460);
	f.len = E1K_GSO_FRAME_MAX + 1;
	CHECK_EQ(check(&f, ALL, &off), E1K_OFFLOAD_BAD_LENGTH);
	f = tso(build_v4(5, 6, 5, 0), E1K_GSO_TCPV4, 34, 1460);   /* nothing to segment */
	CHECK_EQ(check(&f, ALL, &off), E1K_OFFLOAD_BAD_LENGTH);
	f = tso(build_v4(5, 17, 0, 4000), E1K_GSO_TCPV4, 34, 1460);   /* UDP */
	CHECK_EQ(check(&f, ALL, &off), E1K_OFFLOAD_BAD_HEADERS);
	len = build_v4(5, 6, 5, 4000);
	frame[14 + 6] = 0x20;                    /* MF: a fragment */
	f = tso(len, E1K_GSO_TCPV4, 34, 1460);
	CHECK_EQ(check(&f, ALL, &off), E1K_OFFLOAD_BAD_HEADERS);
	len = build_v4(5, 6, 5, 4000);
	frame[34 + 12] = 4 << 4;                 /* TCP data offset below 5 words */
	CHECK_EQ(check(&f, ALL, &off), E1K_OFFLOAD_BAD_HEADERS);
	f = tso(40, E1K_GSO_TCPV4, 34, 1460);    /* TCP header cut short */
	build_v4(5, 6, 5, 0);
	CHECK_EQ(check(&f, ALL, &off), E1K_OFFLOAD_BAD_HEADERS);
}

/* The pseudo-header sum without the length, computed from the bytes. */
static unsigned pseudo(const uint8_t *addrs, unsigned n)
{
	uint32_t s = 6;

	for (unsigned i = 0; i < n; i += 2)
		s += (uint32_t)addrs[i] << 8 | addrs[i + 1];
	while (s > 0xffff)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

static void test_prepare_tso(void)
{
	struct e1k_frame f = tso(build_v4(5, 6, 5, 3000), E1K_GSO_TCPV4, 34, 1460);
	struct tx_offload off;

	REQUIRE(check(&f, ALL, &off) == E1K_OFFLOAD_OK);
	e1k_offload_prepare(frame, &off);
	CHECK_EQ(frame[16] | frame[17], 0);      /* total length */
	CHECK_EQ(frame[24] | frame[25], 0);      /* header checksum */
	CHECK_EQ((unsigned)frame[50] << 8 | frame[51], pseudo(frame + 26, 8));
	CHECK_EQ(frame[22], 64);                 /* nothing else touched */

	f = tso(build_v6(3000), E1K_GSO_TCPV6, 54, 1440);
	REQUIRE(check(&f, ALL, &off) == E1K_OFFLOAD_OK);
	e1k_offload_prepare(frame, &off);
	CHECK_EQ(frame[18] | frame[19], 0);      /* payload length */
	CHECK_EQ((unsigned)frame[70] << 8 | frame[71], pseudo(frame + 22, 32));

	/* Checksum-only requests leave the frame as the sender made it. */
	build_v4(5, 6, 5, 100);
	f = (struct e1k_frame){ .data = frame, .len = 154, .csum = 1, .csum_start = 34, .csum_offset = 16 };
	REQUIRE(check(&f, ALL, &off) == E1K_OFFLOAD_OK);
	e1k_offload_prepare(frame, &off);
	CHECK_EQ(frame[50], 0x12);
	CHECK_EQ(frame[17], 154 - 14);
}

int main(void)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_no_request), TL_CASE(test_tso4_context), TL_CASE(test_tso6_context),
		TL_CASE(test_csum_context), TL_CASE(test_csum_offsets_that_lie),
		TL_CASE(test_gso_that_lies), TL_CASE(test_prepare_tso),
	};

	return tl_run(cases, TL_N(cases));
}
