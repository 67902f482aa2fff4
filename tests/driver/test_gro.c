/* SPDX-License-Identifier: MIT */
/*
 * test_gro.c - driver/gro: which runs of TCP segments merge, and the merged
 * packet byte for byte.  Frames are built here from scratch with their own
 * checksums; a merged packet, once its checksum is finished the way the host
 * finishes a NEEDS_CSUM packet, must equal the one big segment built from
 * scratch with the whole payload.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gro.h"
#include "testlib.h"

#define ISN      0x10000000u
#define ACKNUM   0x20203030u
#define MSS      1448u
#define FRAME_CAP (14u + 40u + 60u + 9000u)

static const uint8_t mac_d[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t mac_s[6] = { 0x02, 0, 0, 0, 0, 0x02 };

/* ---- frames, built independently of gro.c ---- */

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)); put16(p + 2, (uint16_t)v); }
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

/* RFC 1071 over any length, starting from sum. */
static uint32_t add_bytes(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		sum += (i & 1) ? p[i] : (uint32_t)p[i] << 8;
	return sum;
}

static uint16_t fold16(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

struct seg_spec {
	bool     v6;
	uint32_t seq;           /* absolute */
	uint32_t ack;
	uint32_t len;           /* payload bytes */
	uint8_t  flags;         /* TCP flags byte */
	uint16_t ip_id;
	bool     df;
	uint8_t  ttl;
	uint16_t sport;
	uint32_t tsval;         /* timestamp option value; 0: no options */
	uint16_t window;
	uint8_t  ihl_words;     /* 0: 5 (IPv4 options when > 5) */
	uint16_t frag;          /* IPv4 MF/offset bits */
	uint8_t  v6_next;       /* 0: TCP */
	uint16_t pad;           /* Ethernet padding after the IP packet */
};

#define ACK 0x10
#define PSH 0x08
#define FIN 0x01
#define URG 0x20
#define SYN 0x02

static struct seg_spec spec(uint32_t idx, uint32_t len)
{
	struct seg_spec s = {
		.seq = ISN + idx * MSS, .ack = ACKNUM, .len = len, .flags = ACK,
		.ip_id = (uint16_t)(0x4000 + idx), .df = true, .ttl = 64, .sport = 40000,
		.tsval = 0x01020304, .window = 502,
	};
	return s;
}

/* The byte at stream offset o: the payload is checkable wherever it lands. */
static uint8_t pat(uint32_t o) { return (uint8_t)(o * 7u + 3u + (o >> 8)); }

static size_t build(uint8_t *f, const struct seg_spec *s)
{
	uint8_t *ip = f + 14, *th;
	size_t iphl = s->v6 ? 40 : (s->ihl_words ? s->ihl_words : 5) * 4u;
	size_t thl = s->tsval ? 32 : 20, tcplen = thl + s->len;
	uint32_t sum;

	memcpy(f, mac_d, 6);
	memcpy(f + 6, mac_s, 6);
	put16(f + 12, s->v6 ? 0x86dd : 0x0800);
	memset(ip, 0, iphl);
	if (!s->v6) {
		ip[0] = (uint8_t)(0x40 | iphl / 4);
		ip[1] = 0x10;
		put16(ip + 2, (uint16_t)(iphl + tcplen));
		put16(ip + 4, s->ip_id);
		put16(ip + 6, (uint16_t)((s->df ? 0x4000 : 0) | s->frag));
		ip[8] = s->ttl;
		ip[9] = 6;
		put32(ip + 12, 0xc6120001);   /* 198.18.0.1 */
		put32(ip + 16, 0xc6120002);
		for (size_t i = 20; i < iphl; i++)
			ip[i] = 1;             /* NOP options */
		put16(ip + 10, (uint16_t)~fold16(add_bytes(0, ip, iphl)));
		sum = add_bytes(0, ip + 12, 8) + 6 + (uint32_t)tcplen;
	} else {
		put32(ip, 0x60012345);        /* tc 0, flow label 0x12345 */
		put16(ip + 4, (uint16_t)tcplen);
		ip[6] = s->v6_next ? s->v6_next : 6;
		ip[7] = s->ttl;
		put32(ip + 8, 0x20010db8);   /* 2001:db8::1 -> 2001:db8::2 */
		put32(ip + 20, 1);
		put32(ip + 24, 0x20010db8);
		put32(ip + 36, 2);
		sum = add_bytes(0, ip + 8, 32) + 6 + (uint32_t)tcplen;
	}
	th = ip + iphl;
	memset(th, 0, thl);
	put16(th, s->sport);
	put16(th + 2, 5001);
	put32(th + 4, s->seq);
	put32(th + 8, s->ack);
	th[12] = (uint8_t)(thl / 4 << 4);
	th[13] = s->flags;
	put16(th + 14, s->window);
	if (s->tsval) {
		th[20] = 1;
		th[21] = 1;
		th[22] = 8;
		th[23] = 10;
		put32(th + 24, s->tsval);
		put32(th + 28, 0x0a0b0c0d);
	}
	for (uint32_t i = 0; i < s->len; i++)
		th[thl + i] = pat(s->seq - ISN + i);
	put16(th + 16, (uint16_t)~fold16(add_bytes(sum, th, tcplen)));
	memset(ip + iphl + tcplen, 0, s->pad);
	return 14 + iphl + tcplen + s->pad;
}

/* ---- the batch under test ---- */

struct out_pkt {
	struct virtio_net_hdr vh;
	uint8_t *data;
	size_t len;
	unsigned first, n, niov;
};

struct batch {
	uint8_t *buf[80];
	struct gro_seg seg[80][8];
	struct gro_frame f[80];
	unsigned n;
	struct out_pkt out[80];
	unsigned nout;
};

static struct batch *batch_new(void)
{
	struct batch *b = calloc(1, sizeof(*b));

	if (!b)
		abort();
	return b;
}

static void batch_free(struct batch *b)
{
	for (unsigned i = 0; i < b->n; i++)
		free(b->buf[i]);
	for (unsigned i = 0; i < b->nout; i++)
		free(b->out[i].data);
	free(b);
}

/* Add a frame, cut into pieces of at most piece bytes (0: one piece). */
static void add_frame(struct batch *b, const struct seg_spec *s, bool csum_ok, uint32_t piece)
{
	unsigned i = b->n++;
	uint8_t *f = malloc(FRAME_CAP + 64);
	size_t len, off = 0;
	unsigned ns = 0;

	if (!f)
		abort();
	len = build(f, s);
	b->buf[i] = f;
	while (off < len) {
		size_t l = piece && len - off > piece ? piece : len - off;

		b->seg[i][ns].data = f + off;
		b->seg[i][ns].len = (uint32_t)l;
		ns++;
		off += l;
	}
	b->f[i].seg = b->seg[i];
	b->f[i].nseg = ns;
	b->f[i].len = (uint32_t)len;
	b->f[i].csum_ok = csum_ok;
}

static void capture(void *ctx, const struct virtio_net_hdr *vh, const struct iovec *iov,
                    unsigned niov, unsigned first, unsigned n)
{
	struct batch *b = ctx;
	struct out_pkt *o = &b->out[b->nout++];
	size_t len = 0;

	for (unsigned i = 0; i < niov; i++)
		len += iov[i].iov_len;
	o->vh = *vh;
	o->data = malloc(len ? len : 1);
	if (!o->data)
		abort();
	for (unsigned i = 0; i < niov; i++) {
		memcpy(o->data + o->len, iov[i].iov_base, iov[i].iov_len);
		o->len += iov[i].iov_len;
	}
	o->first = first;
	o->n = n;
	o->niov = niov;
}

static struct gro_result run(struct batch *b)
{
	struct gro_result r;

	gro_batch(b->f, b->n, capture, b, &r);
	return r;
}

/* Packet k is frame i written unchanged (DATA_VALID as csum_ok says). */
static void check_single(struct batch *b, unsigned k, unsigned i)
{
	struct out_pkt *o = &b->out[k];

	REQUIRE(k < b->nout);
	CHECK_EQ(o->first, i);
	CHECK_EQ(o->n, 1u);
	CHECK_EQ(o->vh.flags, b->f[i].csum_ok ? VIRTIO_NET_HDR_F_DATA_VALID : 0);
	CHECK_EQ(o->vh.gso_type, VIRTIO_NET_HDR_GSO_NONE);
	CHECK_EQ(o->vh.gso_size, 0);
	CHECK_EQ(o->vh.hdr_len, 0);
	CHECK_EQ(o->vh.csum_start, 0);
	CHECK_EQ(o->vh.csum_offset, 0);
	CHECK_EQ(o->len, b->f[i].len);
	CHECK(memcmp(o->data, b->buf[i], b->f[i].len) == 0);
}

/*
 * Packet k merges frames [i, i + n): compare with `whole` (one segment built
 * from scratch: the first's seq/id, the total payload, the last's PSH/FIN),
 * after checking the header and finishing the checksum as the host would.
 */
static void check_merged(struct batch *b, unsigned k, unsigned i, unsigned n,
                         const struct seg_spec *whole, uint16_t mss)
{
	struct out_pkt *o = &b->out[k];
	uint8_t *want = malloc(70000), *got;
	size_t wlen, iphl = whole->v6 ? 40 : 20, thl = whole->tsval ? 32 : 20;
	size_t cs = 14 + iphl, tcplen = thl + whole->len;
	uint32_t pseudo;

	REQUIRE(want);
	if (k >= b->nout) {
		tl_fail(__FILE__, __LINE__, "no packet %u (%u emitted)", k, b->nout);
		free(want);
		return;
	}
	wlen = build(want, whole);
	CHECK_EQ(o->first, i);
	CHECK_EQ(o->n, n);
	CHECK_EQ(o->vh.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	CHECK_EQ(o->vh.gso_type, whole->v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4);
	CHECK_EQ(o->vh.gso_size, mss);
	CHECK_EQ(o->vh.hdr_len, cs + thl);
	CHECK_EQ(o->vh.csum_start, cs);
	CHECK_EQ(o->vh.csum_offset, 16);
	CHECK_EQ(o->len, wlen);
	if (o->len != wlen) {
		free(want);
		return;
	}
	got = o->data;
	/* The TCP checksum field: the pseudo-header sum over the merged length. */
	if (whole->v6)
		pseudo = add_bytes(0, want + 14 + 8, 32) + 6 + (uint32_t)tcplen;
	else
		pseudo = add_bytes(0, want + 14 + 12, 8) + 6 + (uint32_t)tcplen;
	CHECK_EQ(get16(got + cs + 16), fold16(pseudo));
	/* IPv4: the header's own checksum is final already. */
	if (!whole->v6)
		CHECK_EQ(fold16(add_bytes(0, got + 14, 20)), 0xffff);
	/* The host's NEEDS_CSUM step: sum from csum_start (the field is the seed). */
	put16(got + cs + 16, (uint16_t)~fold16(add_bytes(0, got + cs, o->len - cs)));
	CHECK(memcmp(got, want, wlen) == 0);
	for (size_t x = 0; x < wlen; x++)
		if (got[x] != want[x]) {
			tl_fail(__FILE__, __LINE__, "packet %u differs first at byte %zu", k, x);
			break;
		}
	free(want);
}

/* ---- cases ---- */

static void test_merge_v4_run(void)
{
	struct batch *b = batch_new();
	struct seg_spec s, whole;
	struct gro_result r;

	for (unsigned i = 0; i < 4; i++) {
		s = spec(i, MSS);
		if (i == 3)
			s.flags |= PSH;        /* the last may carry PSH */
		add_frame(b, &s, true, 0);
	}
	r = run(b);
	CHECK_EQ(b->nout, 1u);
	CHECK_EQ(r.packets, 1u);
	CHECK_EQ(r.merged_packets, 1u);
	CHECK_EQ(r.merged_frames, 4u);
	whole = spec(0, 4 * MSS);
	whole.flags |= PSH;
	check_merged(b, 0, 0, 4, &whole, MSS);
	/* Header + one payload piece per frame. */
	CHECK_EQ(b->out[0].niov, 5u);
	batch_free(b);
}

static void test_merge_v6_short_last(void)
{
	struct batch *b = batch_new();
	struct seg_spec s, whole;

	for (unsigned i = 0; i < 3; i++) {
		s = spec(i, i == 2 ? 100 : MSS);
		s.v6 = true;
		add_frame(b, &s, true, 0);
	}
	/* A fourth after a short one: the short one ended the run. */
	s = spec(0, MSS);
	s.v6 = true;
	s.seq = ISN + 2 * MSS + 100;
	add_frame(b, &s, true, 0);
	run(b);
	CHECK_EQ(b->nout, 2u);
	whole = spec(0, 2 * MSS + 100);
	whole.v6 = true;
	check_merged(b, 0, 0, 3, &whole, MSS);
	check_single(b, 1, 3);
	batch_free(b);
}

/* Jumbo frames in 2048-byte receive buffers: payload pieces span buffers. */
static void test_merge_chained(void)
{
	struct batch *b = batch_new();
	struct seg_spec s, whole;

	for (unsigned i = 0; i < 3; i++) {
		s = spec(0, 8000);
		s.seq = ISN + i * 8000u;
		s.ip_id = (uint16_t)(0x4000 + i);
		add_frame(b, &s, true, 2048);
	}
	CHECK_EQ(b->f[0].nseg, 4u);
	run(b);
	CHECK_EQ(b->nout, 1u);
	whole = spec(0, 24000);
	check_merged(b, 0, 0, 3, &whole, 8000);
	CHECK_EQ(b->out[0].niov, 1u + 3 * 4);
	batch_free(b);
}

/* Frames i..: PSH or FIN on the second ends the first run; the rest merge on. */
static void mid_run_flag(uint8_t flag)
{
	struct batch *b = batch_new();
	struct seg_spec s, whole;

	for (unsigned i = 0; i < 4; i++) {
		s = spec(i, MSS);
		if (i == 1)
			s.flags |= flag;
		add_frame(b, &s, true, 0);
	}
	run(b);
	CHECK_EQ(b->nout, 2u);
	whole = spec(0, 2 * MSS);
	whole.flags |= flag;
	check_merged(b, 0, 0, 2, &whole, MSS);
	whole = spec(2, 2 * MSS);
	check_merged(b, 1, 2, 2, &whole, MSS);
	batch_free(b);
}

static void test_psh_mid_run(void) { mid_run_flag(PSH); }
static void test_fin_mid_run(void) { mid_run_flag(FIN); }

/* A first frame with PSH or FIN takes nobody after it. */
static void test_psh_first(void)
{
	struct batch *b = batch_new();
	struct seg_spec s;

	s = spec(0, MSS);
	s.flags |= PSH;
	add_frame(b, &s, true, 0);
	s = spec(1, MSS);
	add_frame(b, &s, true, 0);
	run(b);
	CHECK_EQ(b->nout, 2u);
	check_single(b, 0, 0);
	check_single(b, 1, 1);
	batch_free(b);
}

/* The frames at the given places get flags/values through tweak; expect all
 * singles (nothing merges). */
static void expect_all_single(unsigned n, void (*tweak)(unsigned i, struct seg_spec *s),
                              bool csum_ok)
{
	struct batch *b = batch_new();
	struct gro_result r;

	for (unsigned i = 0; i < n; i++) {
		struct seg_spec s = spec(i, MSS);

		tweak(i, &s);
		add_frame(b, &s, csum_ok, 0);
	}
	r = run(b);
	CHECK_EQ(b->nout, n);
	CHECK_EQ(r.merged_packets, 0u);
	for (unsigned i = 0; i < n && i < b->nout; i++)
		check_single(b, i, i);
	batch_free(b);
}

static void tw_urg(unsigned i, struct seg_spec *s) { if (i == 1) s->flags |= URG; }
static void tw_syn(unsigned i, struct seg_spec *s) { if (i == 0) s->flags |= SYN; }
static void tw_opt(unsigned i, struct seg_spec *s) { s->tsval += i; }
static void tw_gap(unsigned i, struct seg_spec *s) { s->seq += i * 10u; }
static void tw_ack(unsigned i, struct seg_spec *s) { s->ack += i; }
static void tw_flow(unsigned i, struct seg_spec *s)
{
	/* A, B, A: B is another flow between them, so A's two never touch. */
	if (i == 1)
		s->sport = 40001;
	if (i == 2)
		s->seq = ISN + MSS, s->ip_id = 0x4001;
}
static void tw_ooo(unsigned i, struct seg_spec *s)
{
	/* The second segment, then the first. */
	*s = spec(i == 0 ? 1 : 0, MSS);
}
static void tw_ipopt(unsigned i, struct seg_spec *s) { s->ihl_words = 6; (void)i; }
static void tw_frag(unsigned i, struct seg_spec *s) { if (i == 0) s->frag = 0x2000; }  /* MF */
static void tw_fragoff(unsigned i, struct seg_spec *s) { if (i == 1) s->frag = 0x00b9; }
static void tw_none(unsigned i, struct seg_spec *s) { (void)i, (void)s; }
static void tw_ttl(unsigned i, struct seg_spec *s) { s->ttl = (uint8_t)(64 - i); }
static void tw_df(unsigned i, struct seg_spec *s) { s->df = i == 0; }
static void tw_id(unsigned i, struct seg_spec *s) { s->df = false; s->ip_id = (uint16_t)(7 + 2 * i); }
static void tw_v6ext(unsigned i, struct seg_spec *s) { s->v6 = true; s->v6_next = 60; (void)i; }  /* destination options */
static void tw_pad(unsigned i, struct seg_spec *s) { s->len = 2; s->pad = 4; s->seq = ISN + 2 * i; }
static void tw_pure_ack(unsigned i, struct seg_spec *s) { s->len = 0; s->seq = ISN; (void)i; }
static void tw_bigger(unsigned i, struct seg_spec *s)
{
	/* 100, then 200 bytes: more than the first's mss. */
	s->len = i == 0 ? 100 : 200;
	s->seq = ISN + (i == 0 ? 0 : 100);
}

static void test_urg_not_merged(void) { expect_all_single(2, tw_urg, true); }
static void test_syn_not_merged(void) { expect_all_single(2, tw_syn, true); }
static void test_option_change(void) { expect_all_single(3, tw_opt, true); }
static void test_seq_gap(void) { expect_all_single(3, tw_gap, true); }
static void test_ack_change(void) { expect_all_single(2, tw_ack, true); }
static void test_other_flow_between(void) { expect_all_single(3, tw_flow, true); }
static void test_out_of_order(void) { expect_all_single(2, tw_ooo, true); }
static void test_ip_options(void) { expect_all_single(2, tw_ipopt, true); }
static void test_fragment(void) { expect_all_single(2, tw_frag, true); }
static void test_fragment_offset(void) { expect_all_single(2, tw_fragoff, true); }
static void test_no_csum_ok(void) { expect_all_single(3, tw_none, false); }
static void test_ttl_change(void) { expect_all_single(2, tw_ttl, true); }
static void test_df_change(void) { expect_all_single(2, tw_df, true); }
static void test_ip_id_jump(void) { expect_all_single(2, tw_id, true); }
static void test_v6_ext_header(void) { expect_all_single(2, tw_v6ext, true); }
static void test_padded(void) { expect_all_single(2, tw_pad, true); }
static void test_pure_acks(void) { expect_all_single(3, tw_pure_ack, true); }
static void test_bigger_than_mss(void) { expect_all_single(2, tw_bigger, true); }

/* The software check: good TCP over IPv4 and IPv6 in one piece or cut at odd
 * places; a flipped payload bit, a bad IPv4 header checksum, a fragment, an
 * extension header or padding beyond the length each told apart. */
static void test_sw_csum(void)
{
	static const uint32_t pieces[] = { 0, 2048, 1101, 1333, 1999 };   /* <= 8 pieces of 8086 bytes */
	struct batch *b = batch_new();
	struct seg_spec s;

	for (int v6 = 0; v6 < 2; v6++)
		for (unsigned p = 0; p < sizeof(pieces) / sizeof(pieces[0]); p++) {
			s = spec(0, p ? 8000 : 1448);
			s.v6 = v6;
			add_frame(b, &s, false, pieces[p]);
			CHECK(gro_tcp_csum_valid(&b->f[b->n - 1]));
			/* One payload bit flipped, in the last piece. */
			b->buf[b->n - 1][b->f[b->n - 1].len - 1] ^= 0x04;
			CHECK(!gro_tcp_csum_valid(&b->f[b->n - 1]));
		}
	s = spec(0, 100);
	s.pad = 4;                         /* padding is not summed */
	add_frame(b, &s, false, 0);
	CHECK(gro_tcp_csum_valid(&b->f[b->n - 1]));
	s = spec(0, 100);
	add_frame(b, &s, false, 0);
	b->buf[b->n - 1][14 + 8] ^= 1;     /* TTL: the IP header checksum is off */
	CHECK(!gro_tcp_csum_valid(&b->f[b->n - 1]));
	s = spec(0, 100);
	s.frag = 0x2000;
	add_frame(b, &s, false, 0);
	CHECK(!gro_tcp_csum_valid(&b->f[b->n - 1]));
	s = spec(0, 100);
	s.v6 = true;
	s.v6_next = 60;
	add_frame(b, &s, false, 0);
	CHECK(!gro_tcp_csum_valid(&b->f[b->n - 1]));
	batch_free(b);
}

/* One frame not checked by the device in the middle: the run stops before
 * it and starts again after it. */
static void test_unchecked_mid_run(void)
{
	struct batch *b = batch_new();
	struct seg_spec s, whole;

	for (unsigned i = 0; i < 5; i++) {
		s = spec(i, MSS);
		add_frame(b, &s, i != 2, 0);
	}
	run(b);
	CHECK_EQ(b->nout, 3u);
	whole = spec(0, 2 * MSS);
	check_merged(b, 0, 0, 2, &whole, MSS);
	check_single(b, 1, 2);
	whole = spec(3, 2 * MSS);
	check_merged(b, 2, 3, 2, &whole, MSS);
	batch_free(b);
}

/* 46 full segments: the IP packet may hold 45 (20 + 32 + 45 * 1448 = 65212;
 * one more is 66660 > 65535). */
static void test_size_bound(void)
{
	struct batch *b = batch_new();
	struct seg_spec s, whole;

	for (unsigned i = 0; i < 46; i++) {
		s = spec(i, MSS);
		add_frame(b, &s, true, 0);
	}
	run(b);
	CHECK_EQ(b->nout, 2u);
	whole = spec(0, 45 * MSS);
	check_merged(b, 0, 0, 45, &whole, MSS);
	check_single(b, 1, 45);
	batch_free(b);
}

/* 70 small segments: GRO_MAX_FRAMES (64) per packet, the rest in a second. */
static void test_frame_bound(void)
{
	struct batch *b = batch_new();
	struct seg_spec s, whole;

	for (unsigned i = 0; i < 70; i++) {
		s = spec(0, 100);
		s.seq = ISN + i * 100u;
		s.ip_id = (uint16_t)(0x4000 + i);
		add_frame(b, &s, true, 0);
	}
	run(b);
	CHECK_EQ(b->nout, 2u);
	whole = spec(0, 64 * 100);
	check_merged(b, 0, 0, 64, &whole, 100);
	whole = spec(0, 6 * 100);
	whole.seq = ISN + 6400;
	whole.ip_id = 0x4000 + 64;
	check_merged(b, 1, 64, 6, &whole, 100);
	batch_free(b);
}

/* Two flows, each a run, one after the other: two merged packets in order;
 * IDs that stay put under DF merge too. */
static void test_two_runs(void)
{
	struct batch *b = batch_new();
	struct seg_spec s, whole;

	for (unsigned i = 0; i < 2; i++) {
		s = spec(i, MSS);
		add_frame(b, &s, true, 0);
	}
	for (unsigned i = 0; i < 3; i++) {
		s = spec(i, MSS);
		s.sport = 40001;
		s.ip_id = 0;           /* DF set: a fixed ID is fine */
		add_frame(b, &s, true, 0);
	}
	run(b);
	CHECK_EQ(b->nout, 2u);
	whole = spec(0, 2 * MSS);
	check_merged(b, 0, 0, 2, &whole, MSS);
	whole = spec(0, 3 * MSS);
	whole.sport = 40001;
	whole.ip_id = 0;
	check_merged(b, 1, 2, 3, &whole, MSS);
	batch_free(b);
}

/* Not TCP at all, and an empty batch. */
static void test_other_traffic(void)
{
	struct batch *b = batch_new();
	static uint8_t arp[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 2, 0x08, 0x06 };
	struct gro_seg sg = { arp, sizeof(arp) };
	struct gro_frame f[2] = {
		{ .seg = &sg, .nseg = 1, .len = sizeof(arp), .csum_ok = false },
		{ .seg = &sg, .nseg = 1, .len = sizeof(arp), .csum_ok = true },
	};
	struct gro_result r;

	gro_batch(f, 2, capture, b, &r);
	CHECK_EQ(b->nout, 2u);
	CHECK_EQ(r.packets, 2u);
	CHECK_EQ(b->out[0].vh.flags, 0);
	CHECK_EQ(b->out[1].vh.flags, VIRTIO_NET_HDR_F_DATA_VALID);
	CHECK_EQ(b->out[0].len, sizeof(arp));
	CHECK(memcmp(b->out[0].data, arp, sizeof(arp)) == 0);
	gro_batch(f, 0, capture, b, &r);
	CHECK_EQ(r.packets, 0u);
	CHECK_EQ(b->nout, 2u);
	batch_free(b);
}

int main(int argc, char **argv)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_merge_v4_run),
		TL_CASE(test_merge_v6_short_last),
		TL_CASE(test_merge_chained),
		TL_CASE(test_psh_mid_run),
		TL_CASE(test_fin_mid_run),
		TL_CASE(test_psh_first),
		TL_CASE(test_urg_not_merged),
		TL_CASE(test_syn_not_merged),
		TL_CASE(test_option_change),
		TL_CASE(test_seq_gap),
		TL_CASE(test_ack_change),
		TL_CASE(test_other_flow_between),
		TL_CASE(test_out_of_order),
		TL_CASE(test_ip_options),
		TL_CASE(test_fragment),
		TL_CASE(test_fragment_offset),
		TL_CASE(test_no_csum_ok),
		TL_CASE(test_ttl_change),
		TL_CASE(test_df_change),
		TL_CASE(test_ip_id_jump),
		TL_CASE(test_v6_ext_header),
		TL_CASE(test_padded),
		TL_CASE(test_pure_acks),
		TL_CASE(test_bigger_than_mss),
		TL_CASE(test_unchecked_mid_run),
		TL_CASE(test_sw_csum),
		TL_CASE(test_size_bound),
		TL_CASE(test_frame_bound),
		TL_CASE(test_two_runs),
		TL_CASE(test_other_traffic),
	};

	return tl_main(argc, argv, cases, TL_N(cases));
}
