/* SPDX-License-Identifier: MIT */
/* The model's offloads, through its public API only: TCP/IP context and data
 * descriptors written into its DMA memory, TDT kicked, the frames it puts on
 * the wire collected with the TX hook and compared byte for byte with
 * segments this test builds itself (headers fixed up and every checksum
 * computed here with a plain RFC 1071 sum).  Also: checksum insertion, lying
 * contexts dropped and counted, RX checksum status (legacy and extended
 * write-back), long frames chained over 2048-byte buffers. */
#include "simtest.h"
#include "testlib.h"

#include <stdlib.h>
#include <string.h>

#define NTX        256u
#define COLL_MAX   512u
#define PKT_MAX    (70000u + 64u)
#define OPT_LEN    12u        /* TCP options: NOP NOP timestamp */

/* ---- the wire: frames the model transmits ---- */
struct coll {
	unsigned n;
	uint8_t *f[COLL_MAX];
	size_t   len[COLL_MAX];
};

static void coll_hook(void *ctx, const uint8_t *frame, size_t len)
{
	struct coll *c = ctx;

	if (c->n >= COLL_MAX)
		return;
	c->f[c->n] = malloc(len);
	if (!c->f[c->n])
		return;
	memcpy(c->f[c->n], frame, len);
	c->len[c->n++] = len;
}

static void coll_reset(struct coll *c)
{
	for (unsigned i = 0; i < c->n; i++)
		free(c->f[i]);
	c->n = 0;
}

/* ---- RFC 1071 ---- */
static uint32_t be16(const uint8_t *p) { return (uint32_t)p[0] << 8 | p[1]; }
static void wr16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static uint32_t be32(const uint8_t *p) { return be16(p) << 16 | be16(p + 2); }
static void wr32(uint8_t *p, uint32_t v) { wr16(p, v >> 16); wr16(p + 2, v); }

static uint64_t sum(uint64_t acc, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i += 2)
		acc += (uint32_t)p[i] << 8 | (i + 1 < len ? p[i + 1] : 0u);
	return acc;
}

static uint16_t fold(uint64_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)acc;
}

/* The checksum to send: a computed 0 goes out as 0xffff. */
static uint16_t finish(uint64_t acc)
{
	uint16_t c = (uint16_t)~fold(acc);

	return c ? c : 0xffff;
}

/* ---- packets ---- */
struct lay {
	bool     v6, tcp;
	uint32_t l3, l4, hl;     /* IP header, TCP/UDP header, payload start */
};

static uint64_t pseudo(const uint8_t *p, const struct lay *L, bool with_len, uint32_t l4len)
{
	const uint8_t *ip = p + L->l3;
	uint64_t acc = L->v6 ? sum(0, ip + 8, 32) : sum(0, ip + 12, 8);

	acc += L->tcp ? 6u : 17u;
	return with_len ? acc + l4len : acc;
}

/* Every length and checksum right for a frame of len bytes. */
static void fix(uint8_t *p, uint32_t len, const struct lay *L)
{
	uint8_t *ip = p + L->l3, *l4 = p + L->l4;
	uint32_t l4len = len - L->l4, cso = L->tcp ? 16u : 6u;

	if (L->v6) {
		wr16(ip + 4, len - L->l3 - 40);
	} else {
		wr16(ip + 2, len - L->l3);
		wr16(ip + 10, 0);
		wr16(ip + 10, finish(sum(0, ip, 20)));
	}
	if (!L->tcp)
		wr16(l4 + 4, l4len);
	wr16(l4 + cso, 0);
	wr16(l4 + cso, finish(sum(pseudo(p, L, true, l4len), l4, l4len)));
}

/* A TCP or UDP packet over IPv4 or IPv6 with paylen payload bytes, right in
 * every field; returns its length. */
static uint32_t build(uint8_t *p, struct lay *L, bool v6, bool tcp, uint32_t paylen,
                      uint8_t flags, uint32_t seed)
{
	static const uint8_t dst[6] = { 0x02, 0, 0, 0, 0, 0x02 }, src[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	uint32_t x = seed * 2654435761u + 7u, len;
	uint8_t *ip, *l4;

	memset(p, 0, 128);
	L->v6 = v6;
	L->tcp = tcp;
	L->l3 = 14;
	L->l4 = L->l3 + (v6 ? 40u : 20u);
	L->hl = L->l4 + (tcp ? 20u + OPT_LEN : 8u);
	memcpy(p, dst, 6);
	memcpy(p + 6, src, 6);
	wr16(p + 12, v6 ? 0x86dd : 0x0800);
	ip = p + L->l3;
	l4 = p + L->l4;
	if (v6) {
		ip[0] = 0x60;
		ip[6] = tcp ? 6 : 17;
		ip[7] = 64;
		for (unsigned i = 0; i < 32; i++)
			ip[8 + i] = (uint8_t)(0x20 + i * 7 + seed);
	} else {
		ip[0] = 0x45;
		wr16(ip + 4, 0x1234 + seed);
		wr16(ip + 6, 0x4000);     /* DF */
		ip[8] = 64;
		ip[9] = tcp ? 6 : 17;
		wr32(ip + 12, 0x0a000001);
		wr32(ip + 16, 0x0a000002 + seed);
	}
	wr16(l4, 40000 + seed);
	wr16(l4 + 2, 5201);
	if (tcp) {
		wr32(l4 + 4, 0xfffff000u + seed * 977u);   /* wraps within a 64 KiB send */
		wr32(l4 + 8, 0x11223344);
		l4[12] = (uint8_t)((20 + OPT_LEN) / 4) << 4;
		l4[13] = flags;
		wr16(l4 + 14, 512);
		l4[20] = 1;
		l4[21] = 1;
		l4[22] = 8;
		l4[23] = 10;
		wr32(l4 + 24, seed);
	}
	len = L->hl + paylen;
	for (uint32_t i = L->hl; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
	fix(p, len, L);
	return len;
}

/* ---- descriptors ---- */
struct ctx {
	uint8_t  ipcss, ipcso, tucss, tucso, tucmd, hdr_len;
	uint16_t ipcse, tucse, mss;
	uint32_t paylen;
};

static void put_desc(struct st_dev *t, const void *d)
{
	memcpy(st_tx_desc(t, t->tx_tail), d, sizeof(struct e1000_tx_desc));
	t->tx_tail = (t->tx_tail + 1) % t->ntx;
}

static void put_ctx(struct st_dev *t, const struct ctx *c)
{
	struct e1000_context_desc d = {
		.ipcss = c->ipcss, .ipcso = c->ipcso, .ipcse = c->ipcse,
		.tucss = c->tucss, .tucso = c->tucso, .tucse = c->tucse,
		.cmd_and_length = (c->paylen & E1000_TXD_LEN_MASK) | E1000_TXD_DTYP_C |
		                  (uint32_t)(E1000_TXD_CMD_DEXT | E1000_TXD_CMD_RS | c->tucmd)
		                      << E1000_TXD_CMD_SHIFT,
		.hdr_len = c->hdr_len, .mss = c->mss,
	};

	put_desc(t, &d);
}

/* The context a driver gives for a packet of layout L. */
static struct ctx ctx_for(const struct lay *L, bool tso, uint32_t len, uint16_t mss)
{
	return (struct ctx){
		.ipcss = (uint8_t)L->l3, .ipcso = (uint8_t)(L->l3 + 10),
		.ipcse = (uint16_t)(L->l4 - 1),
		.tucss = (uint8_t)L->l4, .tucso = (uint8_t)(L->l4 + (L->tcp ? 16 : 6)), .tucse = 0,
		.tucmd = (uint8_t)((L->tcp ? E1000_TXD_TUCMD_TCP : 0) | (L->v6 ? 0 : E1000_TXD_TUCMD_IP) |
		                   (tso ? E1000_TXD_TUCMD_TSE : 0)),
		.hdr_len = tso ? (uint8_t)L->hl : 0, .mss = tso ? mss : 0,
		.paylen = tso ? len - L->hl : 0,
	};
}

/* The packet in data descriptors cut at cuts[] (ascending), copied into the
 * TX buffer area at its start. */
static void put_data(struct st_dev *t, const uint8_t *p, uint32_t len, const uint32_t *cuts,
                     unsigned ncuts, bool tse, uint8_t popts)
{
	uint32_t from = 0;

	memcpy(t->txbuf.va, p, len);
	for (unsigned i = 0; i <= ncuts; i++) {
		uint32_t to = i < ncuts ? cuts[i] : len;
		bool last = i == ncuts;
		uint8_t dcmd = (uint8_t)(E1000_TXD_CMD_DEXT | E1000_TXD_CMD_IFCS |
		                         (tse ? E1000_TXD_DCMD_TSE : 0) |
		                         (last ? E1000_TXD_CMD_EOP | E1000_TXD_CMD_RS : 0));
		struct e1000_data_desc d = {
			.buffer_addr = t->txbuf.iova + from,
			.cmd_and_length = (to - from) | E1000_TXD_DTYP_D | (uint32_t)dcmd << E1000_TXD_CMD_SHIFT,
			.popts = i == 0 ? popts : 0,
		};

		put_desc(t, &d);
		from = to;
	}
}

/* What the driver puts in the headers: for TSO no IP lengths, the TCP field
 * the pseudo-header sum without the length; for checksums the pseudo-header
 * sum with it; the IPv4 header checksum 0. */
static void prep(uint8_t *p, uint32_t len, const struct lay *L, bool tso)
{
	uint8_t *ip = p + L->l3, *l4 = p + L->l4;
	uint32_t cso = L->tcp ? 16u : 6u;

	if (!L->v6)
		wr16(ip + 10, 0);
	if (tso) {
		if (L->v6)
			wr16(ip + 4, 0);
		else
			wr16(ip + 2, 0);
	}
	wr16(l4 + cso, fold(pseudo(p, L, !tso, len - L->l4)));
}

static bool same_frame(const struct coll *c, unsigned i, const uint8_t *want, uint32_t len)
{
	uint8_t pad[E1000_ETH_ZLEN] = { 0 };

	if (len < E1000_ETH_ZLEN) {   /* TCTL.PSP pads after the checksums */
		memcpy(pad, want, len);
		want = pad;
		len = E1000_ETH_ZLEN;
	}
	if (i >= c->n || c->len[i] != len) {
		tl_fail(__FILE__, __LINE__, "frame %u: have len %zu, want %u", i,
		        i < c->n ? c->len[i] : 0, len);
		return false;
	}
	for (uint32_t k = 0; k < len; k++)
		if (c->f[i][k] != want[k]) {
			tl_fail(__FILE__, __LINE__, "frame %u byte %u: %#x != %#x", i, k,
			        c->f[i][k], want[k]);
			return false;
		}
	return true;
}

struct rig {
	struct st_dev t;
	struct coll   c;
	uint8_t      *pkt, *ref;
};

static bool rig_open(struct rig *r, enum sim_model m)
{
	memset(&r->c, 0, sizeof(r->c));
	r->pkt = malloc(PKT_MAX);
	r->ref = malloc(PKT_MAX);
	if (!r->pkt || !r->ref || st_open(&r->t, m, SIM_WIRE_NONE) != 0)
		return false;
	if (st_setup_tx(&r->t, NTX) != 0)
		return false;
	sim_set_tx_hook(r->t.hw, coll_hook, &r->c);
	return true;
}

static void rig_close(struct rig *r)
{
	sim_set_tx_hook(r->t.hw, NULL, NULL);
	st_close(&r->t);
	coll_reset(&r->c);
	free(r->pkt);
	free(r->ref);
}

static void rig_go(struct rig *r)
{
	st_tx_kick(&r->t);
	sim_sync(r->t.hw);
}

/* ---- TSO ---- */

/* Send one TSO packet and check every segment against the reference. */
static void tso_one(struct rig *r, bool v6, uint32_t paylen, uint16_t mss, uint8_t flags,
                    const uint32_t *cuts, unsigned ncuts, uint32_t seed)
{
	struct lay L;
	uint32_t len = build(r->ref, &L, v6, true, paylen, flags, seed);
	uint32_t nseg = paylen ? (paylen + mss - 1) / mss : 1;
	struct ctx c = ctx_for(&L, true, len, mss);
	struct sim_stats before, after;

	coll_reset(&r->c);
	sim_get_stats(r->t.hw, &before);
	memcpy(r->pkt, r->ref, len);
	prep(r->pkt, len, &L, true);
	put_ctx(&r->t, &c);
	put_data(&r->t, r->pkt, len, cuts, ncuts, true,
	         (uint8_t)(E1000_TXD_POPTS_TXSM | (v6 ? 0 : E1000_TXD_POPTS_IXSM)));
	rig_go(r);
	CHECK_EQ(r->c.n, nseg);
	for (uint32_t k = 0; k < nseg && k < r->c.n; k++) {
		uint32_t off = k * mss, plen = paylen - off < mss ? paylen - off : mss;
		uint8_t *s = r->pkt;   /* reused: the reference segment */
		uint8_t *l4 = s + L.l4;

		memcpy(s, r->ref, L.hl);
		memcpy(s + L.hl, r->ref + L.hl + off, plen);
		if (!v6)
			wr16(s + L.l3 + 4, be16(r->ref + L.l3 + 4) + k);
		wr32(l4 + 4, be32(r->ref + L.l4 + 4) + off);
		if (k + 1 < nseg)
			l4[13] &= (uint8_t)~0x09u;   /* FIN, PSH */
		fix(s, L.hl + plen, &L);
		if (!same_frame(&r->c, k, s, L.hl + plen))
			break;
	}
	sim_get_stats(r->t.hw, &after);
	CHECK_U64(after.tx_tso_segments - before.tx_tso_segments, nseg);
	CHECK_U64(after.tx_bad_offload, before.tx_bad_offload);
}

static void tso_family(enum sim_model m, bool v6)
{
	static const struct { uint32_t paylen; uint16_t mss; uint8_t flags; } cases[] = {
		{ 1, 1448, 0x18 },           /* one short segment: ACK PSH */
		{ 1448, 1448, 0x19 },        /* exactly one: FIN stays */
		{ 3 * 1448, 1448, 0x19 },    /* MSS divides the payload */
		{ 3 * 1448 + 1, 1448, 0x19 },/* last segment of 1 byte */
		{ 5000, 1000, 0x98 },        /* CWR ACK PSH: CWR in every segment */
		{ 4321, 536, 0x11 },
		{ 9000, 8948, 0x18 },        /* jumbo MSS */
		{ 65000, 1448, 0x19 },       /* 45 segments */
		{ 65000, 536, 0x19 },        /* 122 segments: more than one burst */
	};
	static const uint32_t cut_hdr[] = { 20 };          /* header in two descriptors */
	static const uint32_t cut_many[] = { 14, 40, 100, 1500, 3000 };
	struct rig r;

	REQUIRE(rig_open(&r, m));
	for (unsigned i = 0; i < TL_N(cases); i++) {
		uint32_t paylen = cases[i].paylen;

		tso_one(&r, v6, paylen, cases[i].mss, cases[i].flags, NULL, 0, i);
		tso_one(&r, v6, paylen, cases[i].mss, cases[i].flags, cut_hdr, 1, i + 100);
		if (paylen + 100 > cut_many[4])
			tso_one(&r, v6, paylen, cases[i].mss, cases[i].flags, cut_many,
			        TL_N(cut_many), i + 200);
	}
	rig_close(&r);
}

static void test_tso_v4_82574(void) { tso_family(SIM_82574L, false); }
static void test_tso_v6_82574(void) { tso_family(SIM_82574L, true); }
static void test_tso_v4_82540(void) { tso_family(SIM_82540EM, false); }
static void test_tso_v6_82540(void) { tso_family(SIM_82540EM, true); }

/* A TSO packet longer than one burst's staging, then a legacy frame: the
 * frame comes after the last segment, nothing lost. */
static void test_tso_then_legacy_order(void)
{
	struct rig r;
	struct lay L;
	uint8_t f[100];
	uint32_t len;
	struct ctx c;

	REQUIRE(rig_open(&r, SIM_82574L));
	len = build(r.ref, &L, false, true, 60000, 0x18, 3);
	memcpy(r.pkt, r.ref, len);
	prep(r.pkt, len, &L, true);
	c = ctx_for(&L, true, len, 500);
	put_ctx(&r.t, &c);
	put_data(&r.t, r.pkt, len, NULL, 0, true, E1000_TXD_POPTS_TXSM | E1000_TXD_POPTS_IXSM);
	st_frame(f, sizeof(f), r.t.mac, 9);
	{
		/* A legacy frame from the buffer area past the TSO packet. */
		struct e1000_tx_desc d = {
			.buffer_addr = r.t.txbuf.iova + 65536 * 2,
			.length = sizeof(f),
			.cmd = E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS | E1000_TXD_CMD_RS,
		};

		memcpy((uint8_t *)r.t.txbuf.va + 65536 * 2, f, sizeof(f));
		put_desc(&r.t, &d);
	}
	rig_go(&r);
	CHECK_EQ(r.c.n, 121);
	CHECK(same_frame(&r.c, 120, f, sizeof(f)));
	CHECK_EQ(hal_rd32(r.t.hw, E1000_TDH), r.t.tx_tail);
	/* Every descriptor was written back (RS on context and last data). */
	CHECK(st_tx_status(&r.t, 0) & E1000_TXD_STAT_DD);
	CHECK(st_tx_status(&r.t, 1) & E1000_TXD_STAT_DD);
	CHECK(st_tx_status(&r.t, 2) & E1000_TXD_STAT_DD);
	rig_close(&r);
}

/* ---- checksum insertion ---- */

static void csum_one(struct rig *r, bool v6, bool tcp, uint32_t paylen, const uint32_t *cuts,
                     unsigned ncuts, uint32_t seed, bool zero)
{
	struct lay L;
	uint32_t len = build(r->ref, &L, v6, tcp, paylen, 0x18, seed);
	struct ctx c = ctx_for(&L, false, len, 0);
	struct sim_stats before, after;

	if (zero) {
		/* Make the checksum compute to 0: the last payload word makes the
		 * sum 0xffff.  It must go out as 0xffff. */
		uint8_t *w = r->ref + len - 2;
		uint32_t cso = L.l4 + (tcp ? 16u : 6u);

		wr16(w, 0);
		wr16(r->ref + cso, 0);
		wr16(w, 0xffffu - fold(sum(pseudo(r->ref, &L, true, len - L.l4), r->ref + L.l4,
		                           len - L.l4)));
		fix(r->ref, len, &L);
		CHECK_EQ(be16(r->ref + cso), 0xffff);
	}
	coll_reset(&r->c);
	sim_get_stats(r->t.hw, &before);
	memcpy(r->pkt, r->ref, len);
	prep(r->pkt, len, &L, false);
	put_ctx(&r->t, &c);
	put_data(&r->t, r->pkt, len, cuts, ncuts, false,
	         (uint8_t)(E1000_TXD_POPTS_TXSM | (v6 ? 0 : E1000_TXD_POPTS_IXSM)));
	rig_go(r);
	CHECK_EQ(r->c.n, 1);
	CHECK(same_frame(&r->c, 0, r->ref, len));
	sim_get_stats(r->t.hw, &after);
	CHECK_U64(after.tx_csum - before.tx_csum, 1);
	CHECK_U64(after.tx_tso_segments, before.tx_tso_segments);
}

static void csum_family(enum sim_model m)
{
	static const uint32_t cut_hdr[] = { 30 };
	struct rig r;

	REQUIRE(rig_open(&r, m));
	for (unsigned v6 = 0; v6 < 2; v6++)
		for (unsigned tcp = 0; tcp < 2; tcp++) {
			csum_one(&r, v6, tcp, 1000, NULL, 0, 1, false);
			csum_one(&r, v6, tcp, 1000, cut_hdr, 1, 2, false);
			csum_one(&r, v6, tcp, 3, NULL, 0, 3, false);      /* short: padded after */
			csum_one(&r, v6, tcp, 7000, cut_hdr, 1, 4, false);
			csum_one(&r, v6, tcp, 64, NULL, 0, 5, true);      /* computes to 0 */
		}
	rig_close(&r);
}

static void test_csum_82574(void) { csum_family(SIM_82574L); }
static void test_csum_82540(void) { csum_family(SIM_82540EM); }

/* ---- contexts that lie ---- */

enum lie {
	LIE_MSS0, LIE_HDRLEN_PAST, LIE_PAYLEN, LIE_TUCSS_PAST_HDR, LIE_TUCSO_PAST_HDR,
	LIE_IPCSS_PAST_HDR, LIE_SEG_TOO_LONG, LIE_TOO_LONG, LIE_TUCSE_PAST_SEG,
	LIE_CSUM_TUCSO_PAST, LIE_CSUM_TUCSE_PAST, LIE_CSUM_IPCSO_PAST, LIE_CSUM_CSS_PAST,
	LIE_COUNT
};

static void lie_one(struct rig *r, enum lie k)
{
	bool tso = k < LIE_CSUM_TUCSO_PAST;
	uint32_t paylen = k == LIE_TOO_LONG ? 66000 : k == LIE_SEG_TOO_LONG ? 30000 : 2000;
	struct lay L;
	uint32_t len = build(r->ref, &L, false, true, paylen, 0x18, k);
	struct ctx c = ctx_for(&L, tso, len, 1448);
	struct sim_stats before, after;
	uint8_t f[200];

	switch (k) {
	case LIE_MSS0:            c.mss = 0; break;
	case LIE_HDRLEN_PAST:     c.hdr_len = 255; c.paylen = 0; len = 200; break;
	case LIE_PAYLEN:          c.paylen += 1; break;
	case LIE_TUCSS_PAST_HDR:  c.tucss = (uint8_t)(L.hl - 10); break;
	case LIE_TUCSO_PAST_HDR:  c.tucso = (uint8_t)(L.hl - 1); break;
	case LIE_IPCSS_PAST_HDR:  c.ipcss = (uint8_t)(L.hl - 19); break;
	case LIE_SEG_TOO_LONG:    c.mss = 20000; break;
	case LIE_TOO_LONG:        break;
	case LIE_TUCSE_PAST_SEG:  c.tucse = 0xffff; break;
	case LIE_CSUM_TUCSO_PAST: c.tucso = 255; len = 100; break;
	case LIE_CSUM_TUCSE_PAST: c.tucse = (uint16_t)len; break;
	case LIE_CSUM_IPCSO_PAST: c.ipcso = 250; c.ipcse = 0; len = 200; break;
	case LIE_CSUM_CSS_PAST:   c.tucss = 250; c.tucso = 251; len = 200; break;
	default: break;
	}
	coll_reset(&r->c);
	sim_get_stats(r->t.hw, &before);
	memcpy(r->pkt, r->ref, len);
	put_ctx(&r->t, &c);
	/* The header-field lies without checksums: nothing else may catch them. */
	put_data(&r->t, r->pkt, len, NULL, 0, tso,
	         k == LIE_TUCSS_PAST_HDR || k == LIE_IPCSS_PAST_HDR ? 0 :
	         E1000_TXD_POPTS_TXSM | E1000_TXD_POPTS_IXSM);
	/* Then an ordinary frame from elsewhere in the buffer area. */
	st_frame(f, sizeof(f), r->t.mac, k);
	{
		struct e1000_tx_desc d = {
			.buffer_addr = r->t.txbuf.iova + 65536 * 3,
			.length = sizeof(f),
			.cmd = E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS | E1000_TXD_CMD_RS,
		};

		memcpy((uint8_t *)r->t.txbuf.va + 65536 * 3, f, sizeof(f));
		put_desc(&r->t, &d);
	}
	rig_go(r);
	sim_get_stats(r->t.hw, &after);
	if (after.tx_bad_offload - before.tx_bad_offload != 1)
		tl_fail(__FILE__, __LINE__, "lie %d: not counted", (int)k);
	if (r->c.n != 1 || !same_frame(&r->c, 0, f, sizeof(f)))
		tl_fail(__FILE__, __LINE__, "lie %d: %u frames sent", (int)k, r->c.n);
	CHECK_U64(after.dma_faults, before.dma_faults);
	CHECK_EQ(hal_rd32(r->t.hw, E1000_TDH), r->t.tx_tail);
}

static void lies(enum sim_model m)
{
	struct rig r;

	REQUIRE(rig_open(&r, m));
	for (int k = 0; k < LIE_COUNT; k++)
		lie_one(&r, (enum lie)k);
	/* And a good TSO packet afterwards goes out whole. */
	tso_one(&r, false, 3000, 1448, 0x19, NULL, 0, 50);
	rig_close(&r);
}

static void test_lies_82574(void) { lies(SIM_82574L); }
static void test_lies_82540(void) { lies(SIM_82540EM); }

/* The 82540EM keeps a checksum and a TSO context apart (TUCMD.TSE picks
 * which one a context descriptor loads); the 82574L has one. */
static void test_two_contexts_82540(void)
{
	struct rig r;
	struct lay L;
	uint32_t len;
	struct ctx cs, ts;

	REQUIRE(rig_open(&r, SIM_82540EM));
	len = build(r.ref, &L, false, false, 500, 0, 1);   /* UDP */
	cs = ctx_for(&L, false, len, 0);
	ts = ctx_for(&L, true, len, 100);
	ts.tucso = 200;                                     /* would not fit the UDP packet */
	put_ctx(&r.t, &cs);
	put_ctx(&r.t, &ts);
	memcpy(r.pkt, r.ref, len);
	prep(r.pkt, len, &L, false);
	put_data(&r.t, r.pkt, len, NULL, 0, false, E1000_TXD_POPTS_TXSM | E1000_TXD_POPTS_IXSM);
	rig_go(&r);
	CHECK_EQ(r.c.n, 1);
	CHECK(same_frame(&r.c, 0, r.ref, len));
	rig_close(&r);
}

/* ---- receive ---- */

static void rx_frame(struct st_dev *t, const uint8_t *f, uint32_t len, uint8_t *status,
                     uint8_t *errors)
{
	*status = *errors = 0;
	CHECK_OK(sim_wire_inject(t->hw, f, len));
	sim_sync(t->hw);
	if (!st_rx_poll(t, NULL, 0, NULL, status, errors))
		tl_fail(__FILE__, __LINE__, "nothing received");
}

#define CS_BITS (E1000_RXD_STAT_IXSM | E1000_RXD_STAT_UDPCS | E1000_RXD_STAT_TCPCS | \
                 E1000_RXD_STAT_IPCS)
#define CS_ERRS (E1000_RXD_ERR_TCPE | E1000_RXD_ERR_IPE)

struct rx_case {
	bool    v6, tcp;
	int     spoil;            /* 0 none, 1 IP header checksum, 2 TCP/UDP checksum */
	uint8_t status, errors;   /* expected with IPOFL | TUOFL */
};

static void rx_csum(enum sim_model m, bool ext)
{
	const bool e574 = m == SIM_82574L;
	const uint8_t udp = (uint8_t)(E1000_RXD_STAT_TCPCS | (e574 ? E1000_RXD_STAT_UDPCS : 0));
	const struct rx_case cases[] = {
		{ false, true, 0, E1000_RXD_STAT_IPCS | E1000_RXD_STAT_TCPCS, 0 },
		{ false, true, 1, E1000_RXD_STAT_IPCS | E1000_RXD_STAT_TCPCS, E1000_RXD_ERR_IPE },
		{ false, true, 2, E1000_RXD_STAT_IPCS | E1000_RXD_STAT_TCPCS, E1000_RXD_ERR_TCPE },
		{ false, false, 0, (uint8_t)(E1000_RXD_STAT_IPCS | udp), 0 },
		{ false, false, 2, (uint8_t)(E1000_RXD_STAT_IPCS | udp), E1000_RXD_ERR_TCPE },
		{ true, true, 0, E1000_RXD_STAT_TCPCS, 0 },
		{ true, true, 2, E1000_RXD_STAT_TCPCS, E1000_RXD_ERR_TCPE },
		{ true, false, 0, udp, 0 },
		{ true, false, 2, udp, E1000_RXD_ERR_TCPE },
	};
	struct st_dev t;
	uint8_t *f = malloc(PKT_MAX), st, er;
	struct lay L;

	REQUIRE(f);
	REQUIRE(st_open(&t, m, SIM_WIRE_NONE) == 0);
	REQUIRE(st_setup_rx(&t, 32, 2048, E1000_RCTL_BSIZE_2048 | E1000_RCTL_UPE) == 0);
	if (ext)
		hal_wr32(t.hw, E1000_RFCTL, E1000_RFCTL_EXSTEN);
	for (unsigned i = 0; i < TL_N(cases); i++) {
		const struct rx_case *c = &cases[i];
		uint32_t len = build(f, &L, c->v6, c->tcp, 300, 0x18, i);

		if (c->spoil == 1)
			f[L.l3 + 10] ^= 0x01;
		if (c->spoil == 2)
			f[L.hl + 5] ^= 0x40;
		for (unsigned mode = 0; mode < 4; mode++) {
			uint32_t rxcsum = (mode & 1 ? E1000_RXCSUM_IPOFL : 0) |
			                  (mode & 2 ? E1000_RXCSUM_TUOFL : 0);
			uint8_t want_st = 0, want_er = 0;

			hal_wr32(t.hw, E1000_RXCSUM, rxcsum);
			if (ext) {
				uint8_t *d = (uint8_t *)st_rx_desc(&t, t.rx_next);

				CHECK_OK(sim_wire_inject(t.hw, f, len));
				sim_sync(t.hw);
				st = __atomic_load_n(d + E1000_RXD_EXT_STATUS_OFF, __ATOMIC_ACQUIRE);
				er = d[E1000_RXD_EXT_STATUS_OFF + 3];
				CHECK(st & E1000_RXD_STAT_DD);
				/* Give it back as st_rx_poll would. */
				memset(d, 0, sizeof(struct e1000_rx_desc));
				((struct e1000_rx_desc *)d)->buffer_addr =
					t.rxbuf.iova + (uint64_t)t.rx_next * t.rxbufsize;
				hal_wr32(t.hw, E1000_RDT, t.rx_next);
				t.rx_next = (t.rx_next + 1) % t.nrx;
			} else {
				rx_frame(&t, f, len, &st, &er);
			}
			if (mode & 1) {
				want_st |= c->status & E1000_RXD_STAT_IPCS;
				want_er |= c->errors & E1000_RXD_ERR_IPE;
			}
			if (mode & 2) {
				want_st |= c->status & (E1000_RXD_STAT_TCPCS | E1000_RXD_STAT_UDPCS);
				want_er |= c->errors & E1000_RXD_ERR_TCPE;
			}
			if (!mode && !ext)
				want_st = E1000_RXD_STAT_IXSM;
			if ((st & CS_BITS) != want_st || (er & CS_ERRS) != want_er)
				tl_fail(__FILE__, __LINE__, "case %u rxcsum %#x: status %#x errors %#x, "
				        "want %#x %#x", i, rxcsum, st & CS_BITS, er & CS_ERRS, want_st, want_er);
			CHECK_EQ(st & (E1000_RXD_STAT_DD | E1000_RXD_STAT_EOP),
			         E1000_RXD_STAT_DD | E1000_RXD_STAT_EOP);
		}
	}
	/* Not IP: nothing checked, nothing claimed. */
	hal_wr32(t.hw, E1000_RXCSUM, E1000_RXCSUM_IPOFL | E1000_RXCSUM_TUOFL);
	if (!ext) {
		st_frame(f, 100, t.mac, 1);
		rx_frame(&t, f, 100, &st, &er);
		CHECK_EQ(st & CS_BITS, 0);
		CHECK_EQ(er & CS_ERRS, 0);
	}
	st_close(&t);
	free(f);
}

static void test_rx_csum_82574(void) { rx_csum(SIM_82574L, false); }
static void test_rx_csum_82574_ext(void) { rx_csum(SIM_82574L, true); }
static void test_rx_csum_82540(void) { rx_csum(SIM_82540EM, false); }

/* A 9000-byte TCP/IPv4 frame into 2048-byte buffers (LPE): five descriptors,
 * full but the last, EOP and the checksum status only on the last. */
static void test_rx_jumbo_chain(void)
{
	static const uint16_t want[] = { 2048, 2048, 2048, 2048, 808 };
	struct st_dev t;
	uint8_t *f = malloc(PKT_MAX), *got = malloc(PKT_MAX), st, er;
	struct lay L;
	uint32_t len, off = 0;

	REQUIRE(f && got);
	REQUIRE(st_open(&t, SIM_82540EM, SIM_WIRE_NONE) == 0);
	REQUIRE(st_setup_rx(&t, 32, 2048, E1000_RCTL_BSIZE_2048 | E1000_RCTL_UPE |
	                    E1000_RCTL_LPE) == 0);
	hal_wr32(t.hw, E1000_RXCSUM, E1000_RXCSUM_IPOFL | E1000_RXCSUM_TUOFL);
	len = build(f, &L, false, true, 9000 - 66, 0x18, 4);
	REQUIRE(len == 9000);
	CHECK_OK(sim_wire_inject(t.hw, f, len));
	sim_sync(t.hw);
	for (unsigned i = 0; i < TL_N(want); i++) {
		uint16_t l = 0;

		REQUIRE(st_rx_poll(&t, got + off, 2048, &l, &st, &er));
		CHECK_EQ(l, want[i]);
		CHECK_EQ(!!(st & E1000_RXD_STAT_EOP), i + 1 == TL_N(want));
		CHECK_EQ(st & CS_BITS, i + 1 == TL_N(want) ? E1000_RXD_STAT_IPCS | E1000_RXD_STAT_TCPCS : 0);
		CHECK_EQ(er, 0);
		off += l;
	}
	CHECK(!st_rx_poll(&t, NULL, 0, NULL, NULL, NULL));
	CHECK_EQ(off, len);
	CHECK(memcmp(got, f, len) == 0);
	/* Without LPE the same frame is dropped and counted in ROC. */
	hal_wr32(t.hw, E1000_RCTL, hal_rd32(t.hw, E1000_RCTL) & ~E1000_RCTL_LPE);
	CHECK_OK(sim_wire_inject(t.hw, f, len));
	sim_sync(t.hw);
	CHECK(!st_rx_poll(&t, NULL, 0, NULL, NULL, NULL));
	CHECK_EQ(hal_rd32(t.hw, E1000_ROC), 1);
	st_close(&t);
	free(f);
	free(got);
}

/* With LPE: 16128 bytes are taken (8 x 2048 buffers), 16129 are not (ROC). */
static void test_rx_lpe_limit(void)
{
	struct st_dev t;
	uint8_t *f = malloc(E1000_JUMBO_FRAME_MAX + 1), st = 0;
	unsigned n = 0;

	REQUIRE(f);
	REQUIRE(st_open(&t, SIM_82574L, SIM_WIRE_NONE) == 0);
	REQUIRE(st_setup_rx(&t, 32, 2048, E1000_RCTL_BSIZE_2048 | E1000_RCTL_LPE) == 0);
	st_frame(f, E1000_JUMBO_FRAME_MAX + 1, t.mac, 1);
	CHECK_OK(sim_wire_inject(t.hw, f, E1000_JUMBO_FRAME_MAX));
	CHECK_OK(sim_wire_inject(t.hw, f, E1000_JUMBO_FRAME_MAX + 1));
	sim_sync(t.hw);
	while (st_rx_poll(&t, NULL, 0, NULL, &st, NULL))
		n++;
	CHECK_EQ(n, (E1000_JUMBO_FRAME_MAX + 2047) / 2048);
	CHECK(st & E1000_RXD_STAT_EOP);
	CHECK_EQ(hal_rd32(t.hw, E1000_ROC), 1);
	CHECK_EQ(hal_rd32(t.hw, E1000_GPRC), 1);
	st_close(&t);
	free(f);
}

int main(void)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_tso_v4_82574),
		TL_CASE(test_tso_v6_82574),
		TL_CASE(test_tso_v4_82540),
		TL_CASE(test_tso_v6_82540),
		TL_CASE(test_tso_then_legacy_order),
		TL_CASE(test_csum_82574),
		TL_CASE(test_csum_82540),
		TL_CASE(test_lies_82574),
		TL_CASE(test_lies_82540),
		TL_CASE(test_two_contexts_82540),
		TL_CASE(test_rx_csum_82574),
		TL_CASE(test_rx_csum_82574_ext),
		TL_CASE(test_rx_csum_82540),
		TL_CASE(test_rx_jumbo_chain),
		TL_CASE(test_rx_lpe_limit),
	};
	return tl_run(cases, TL_N(cases));
}
