/* SPDX-License-Identifier: MIT */
/*
 * sim_offload.c - the offloads of the model: TCP/IP context descriptors,
 * checksum insertion and TCP segmentation on transmit (SDM 3.3.6, 3.3.7, 3.5;
 * 82574L 7.2), checksum status on receive (RXCSUM; SDM 3.2.3.1, 82574L 7.1.4).
 *
 * Behaviour follows the datasheets and, where they agree with it, QEMU 7.2's
 * hw/net/e1000.c (xmit_seg, putsum, process_tx_desc) and e1000e
 * (e1000e_build_rx_metadata).  Where QEMU's e1000 differs, the model follows
 * the datasheet and the difference is noted at the place:
 *   - IPv6 payload length of a segment: QEMU writes the segment's length from
 *     IPCSS (40 bytes too many); the model writes the payload after the fixed
 *     40-byte header.
 *   - A payload that is a multiple of MSS: QEMU sends one more, header-only
 *     segment at EOP (with FIN/PSH, which it also leaves on the last full
 *     segment); the model sends ceil(PAYLEN / MSS) segments.
 *   - Context that does not fit the packet: QEMU reads/writes what it can
 *     (putsum skips a checksum whose offset is past the end); the model drops
 *     the packet and counts it in tx_bad_offload.
 *   - Receive: QEMU's e1000 never checks a checksum and sets IXSM on every
 *     frame; the model checks what RXCSUM enables.
 *
 * All work is on buffers the model owns (the gathered packet, a staging slot,
 * a wire frame).  Every offset a context brings is checked against the packet
 * before anything is read or written.  Context: the model thread (and reset).
 */
#include "sim_internal.h"

#include <string.h>

/* ---- protocol facts (RFC 791, 793, 768, 8200, IEEE 802.1Q) ---- */
#define ETH_TYPE_OFF      12u
#define ETH_P_IPV4        0x0800u
#define ETH_P_IPV6        0x86ddu
#define ETH_P_VLAN        0x8100u
#define VLAN_TAG_LEN      4u
#define IP_VERSION_SHIFT  4
#define IP4_VERSION       4u
#define IP6_VERSION       6u
#define IP4_IHL_MASK      0x0fu
#define IP4_IHL_UNIT      4u
#define IP4_HLEN_MIN      20u
#define IP4_TOTLEN_OFF    2u
#define IP4_ID_OFF        4u
#define IP4_FRAG_OFF      6u
#define IP4_FRAG_MASK     0x3fffu   /* MF and the fragment offset */
#define IP4_PROTO_OFF     9u
#define IP4_ADDRS_OFF     12u
#define IP4_ADDRS_LEN     8u
#define IP6_HLEN          40u
#define IP6_PLEN_OFF      4u
#define IP6_NEXT_OFF      6u
#define IP6_ADDRS_OFF     8u
#define IP6_ADDRS_LEN     32u
#define IPPROTO_TCP_NUM   6u
#define IPPROTO_UDP_NUM   17u
#define TCP_HLEN_MIN      20u
#define TCP_SEQ_OFF       4u
#define TCP_FLAGS_OFF     13u
#define TCP_FLAG_FIN      0x01u
#define TCP_FLAG_PSH      0x08u
#define UDP_HLEN          8u
#define UDP_LEN_OFF       4u
#define UDP_CSUM_OFF      6u
#define CSUM_GOOD         0xffffu   /* folded sum of data carrying a right checksum */
#define CSUM_ZERO_AS      0xffffu   /* a computed 0 is sent as this */
#define CSUM_BITS         16

/* ---- checksums (RFC 1071) ---- */

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint64_t sum16(uint64_t acc, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1u < len; i += 2u)
		acc += get_be16(p + i);
	if (len & 1u)
		acc += (uint32_t)p[len - 1u] << 8;
	return acc;
}

static uint16_t fold(uint64_t acc)
{
	while (acc >> CSUM_BITS)
		acc = (acc & CSUM_GOOD) + (acc >> CSUM_BITS);
	return (uint16_t)acc;
}

/* The checksum range [css, end) with end = cse + 1, or len when cse is 0,
 * must lie in the packet and hold its own 2-byte field at cso. */
static bool csum_range_ok(uint32_t css, uint32_t cso, uint32_t cse, uint32_t len)
{
	uint32_t end = cse ? cse + 1u : len;

	return end <= len && css < end && cso >= css && cso + 2u <= end;
}

/* Store the complement of the sum over the range at cso.  Whatever the
 * checksum, a computed 0 goes out as 0xffff, as QEMU's putsum does: UDP needs
 * it (0 means "none", RFC 768) and for TCP and IPv4 both verify alike. */
static void csum_put(uint8_t *pkt, uint32_t len, uint32_t css, uint32_t cso, uint32_t cse)
{
	uint32_t end = cse ? cse + 1u : len;
	uint16_t c = (uint16_t)~fold(sum16(0, pkt + css, end - css));

	put_be16(pkt + cso, c ? c : CSUM_ZERO_AS);
}

/* ---- transmit ---- */

void sim_tx_context_locked(struct sim_dev *d, const struct e1000_context_desc *c)
{
	uint8_t tucmd = (uint8_t)(c->cmd_and_length >> E1000_TXD_CMD_SHIFT);
	bool tso = !sim_is_82574(d) && (tucmd & E1000_TXD_TUCMD_TSE);

	d->txctx[tso ? 1 : 0] = (struct sim_txctx){
		.ipcss = c->ipcss, .ipcso = c->ipcso, .ipcse = c->ipcse,
		.tucss = c->tucss, .tucso = c->tucso, .tucse = c->tucse,
		.tucmd = tucmd, .hdr_len = c->hdr_len, .mss = c->mss,
		.paylen = c->cmd_and_length & E1000_TXD_LEN_MASK,
	};
}

const struct sim_txctx *sim_tx_context_for(const struct sim_dev *d, bool tse)
{
	return &d->txctx[!sim_is_82574(d) && tse ? 1 : 0];
}

void sim_tx_offload_reset_locked(struct sim_dev *d)
{
	memset(d->txctx, 0, sizeof(d->txctx));
	d->tso.pending = false;
	d->tso.next = d->tso.nseg = 0;
}

bool sim_tx_csum(const struct sim_txctx *c, uint8_t popts, uint8_t *pkt, uint32_t len)
{
	bool tu = popts & E1000_TXD_POPTS_TXSM, ip = popts & E1000_TXD_POPTS_IXSM;

	if ((tu && !csum_range_ok(c->tucss, c->tucso, c->tucse, len)) ||
	    (ip && !csum_range_ok(c->ipcss, c->ipcso, c->ipcse, len)))
		return false;
	/* TCP/UDP first, then IP, as QEMU: the ranges do not overlap in a
	 * sane packet, and an insane one gets the same bytes as there. */
	if (tu)
		csum_put(pkt, len, c->tucss, c->tucso, c->tucse);
	if (ip)
		csum_put(pkt, len, c->ipcss, c->ipcso, c->ipcse);
	return true;
}

bool sim_tso_start_locked(struct sim_dev *d, uint32_t len)
{
	struct sim_tso *t = &d->tso;
	const struct sim_txctx *c = &t->ctx;
	bool v4 = c->tucmd & E1000_TXD_TUCMD_IP, tcp = c->tucmd & E1000_TXD_TUCMD_TCP;
	uint32_t hl = c->hdr_len, pay, nseg, first, last;

	if (c->mss == 0 || hl == 0 || hl > len)
		return false;
	pay = len - hl;
	if (pay != c->paylen)
		return false;   /* descriptors and context disagree on the size */
	nseg = pay ? (pay + c->mss - 1u) / c->mss : 1u;
	first = hl + (pay < c->mss ? pay : c->mss);
	last = hl + pay - (nseg - 1u) * c->mss;
	if (first > SIM_FRAME_MAX)
		return false;
	/* Every field the device rewrites per segment lies in the header. */
	if (c->ipcss + (v4 ? IP4_HLEN_MIN : IP6_HLEN) > hl ||
	    c->tucss + (tcp ? TCP_HLEN_MIN : UDP_HLEN) > hl)
		return false;
	if ((t->popts & E1000_TXD_POPTS_TXSM) &&
	    (c->tucso + 2u > hl || !csum_range_ok(c->tucss, c->tucso, c->tucse, last)))
		return false;
	if ((t->popts & E1000_TXD_POPTS_IXSM) &&
	    (c->ipcso + 2u > hl || !csum_range_ok(c->ipcss, c->ipcso, c->ipcse, last)))
		return false;
	t->pkt.len = len;
	t->nseg = nseg;
	t->next = 0;
	t->pending = true;
	return true;
}

uint32_t sim_tso_segment_locked(struct sim_dev *d, struct sim_frame *out)
{
	struct sim_tso *t = &d->tso;
	const struct sim_txctx *c = &t->ctx;
	uint32_t hl = c->hdr_len, pay = t->pkt.len - hl;
	uint32_t off = t->next * (uint32_t)c->mss;
	uint32_t plen = pay - off < c->mss ? pay - off : c->mss;
	uint32_t seglen = hl + plen;
	bool last = t->next + 1u == t->nseg;
	uint8_t *s, *ip, *l4;

	if (!sim_frame_reserve(out, seglen))
		return 0;
	s = out->buf;
	memcpy(s, t->pkt.buf, hl);
	memcpy(s + hl, t->pkt.buf + hl + off, plen);
	ip = s + c->ipcss;
	l4 = s + c->tucss;
	if (c->tucmd & E1000_TXD_TUCMD_IP) {
		put_be16(ip + IP4_TOTLEN_OFF, seglen - c->ipcss);
		put_be16(ip + IP4_ID_OFF, get_be16(ip + IP4_ID_OFF) + t->next);
	} else {
		/* QEMU's e1000 writes seglen - IPCSS here (the IPv6 header
		 * counted in its own payload length). */
		put_be16(ip + IP6_PLEN_OFF, seglen - c->ipcss - IP6_HLEN);
	}
	if (c->tucmd & E1000_TXD_TUCMD_TCP) {
		put_be32(l4 + TCP_SEQ_OFF, get_be32(l4 + TCP_SEQ_OFF) + off);
		/* SDM 3.5: FIN and PSH only in the last segment; every other
		 * flag (CWR too) as the original in every segment. */
		if (!last)
			l4[TCP_FLAGS_OFF] &= (uint8_t)~(TCP_FLAG_FIN | TCP_FLAG_PSH);
	} else {
		put_be16(l4 + UDP_LEN_OFF, seglen - c->tucss);
	}
	if (t->popts & E1000_TXD_POPTS_TXSM) {
		/* The driver left the pseudo-header sum without the length. */
		uint8_t *f = s + c->tucso;

		put_be16(f, fold((uint64_t)get_be16(f) + (seglen - c->tucss)));
		csum_put(s, seglen, c->tucss, c->tucso, c->tucse);
	}
	if (t->popts & E1000_TXD_POPTS_IXSM)
		csum_put(s, seglen, c->ipcss, c->ipcso, c->ipcse);
	out->len = seglen;
	if (++t->next == t->nseg)
		t->pending = false;
	return seglen;
}

/* ---- receive ---- */

/* TCP or UDP checksum of l4[0..l4len) with the pseudo-header sum ph. */
static void rx_l4(const struct sim_dev *d, uint8_t proto, const uint8_t *l4, uint32_t l4len,
                  uint64_t ph, bool v4, uint8_t *status, uint8_t *errors)
{
	if (proto == IPPROTO_TCP_NUM) {
		if (l4len < TCP_HLEN_MIN)
			return;
	} else if (proto == IPPROTO_UDP_NUM) {
		if (l4len < UDP_HLEN)
			return;
		if (v4 && get_be16(l4 + UDP_CSUM_OFF) == 0)
			return;   /* sent without a checksum: nothing to check */
	} else {
		return;
	}
	/* 82574L: UDPCS as well for UDP (QEMU's e1000e sets both). */
	*status |= E1000_RXD_STAT_TCPCS;
	if (proto == IPPROTO_UDP_NUM && sim_is_82574(d))
		*status |= E1000_RXD_STAT_UDPCS;
	if (fold(sum16(ph, l4, l4len)) != CSUM_GOOD)
		*errors |= E1000_RXD_ERR_TCPE;
}

static void rx_ip4(const struct sim_dev *d, const uint8_t *ip, uint32_t avail, bool ipofl,
                   bool tuofl, uint8_t *status, uint8_t *errors)
{
	uint32_t ihl, tot;
	uint64_t ph;

	if (avail < IP4_HLEN_MIN || (ip[0] >> IP_VERSION_SHIFT) != IP4_VERSION)
		return;
	ihl = (ip[0] & IP4_IHL_MASK) * IP4_IHL_UNIT;
	if (ihl < IP4_HLEN_MIN || ihl > avail)
		return;
	if (ipofl) {
		*status |= E1000_RXD_STAT_IPCS;
		if (fold(sum16(0, ip, ihl)) != CSUM_GOOD)
			*errors |= E1000_RXD_ERR_IPE;
	}
	tot = get_be16(ip + IP4_TOTLEN_OFF);
	/* Fragments and lengths that do not fit: no TCP/UDP check. */
	if (!tuofl || tot < ihl || tot > avail || (get_be16(ip + IP4_FRAG_OFF) & IP4_FRAG_MASK))
		return;
	ph = sum16(0, ip + IP4_ADDRS_OFF, IP4_ADDRS_LEN) + ip[IP4_PROTO_OFF] + (tot - ihl);
	rx_l4(d, ip[IP4_PROTO_OFF], ip + ihl, tot - ihl, ph, true, status, errors);
}

static void rx_ip6(const struct sim_dev *d, const uint8_t *ip, uint32_t avail, bool tuofl,
                   uint8_t *status, uint8_t *errors)
{
	uint32_t plen;
	uint64_t ph;

	/* No header checksum in IPv6: IPCS stays clear.  Extension headers
	 * are not walked: only TCP/UDP right after the fixed header is checked. */
	if (!tuofl || avail < IP6_HLEN || (ip[0] >> IP_VERSION_SHIFT) != IP6_VERSION)
		return;
	plen = get_be16(ip + IP6_PLEN_OFF);
	if (plen > avail - IP6_HLEN)
		return;
	ph = sum16(0, ip + IP6_ADDRS_OFF, IP6_ADDRS_LEN) + ip[IP6_NEXT_OFF] + plen;
	rx_l4(d, ip[IP6_NEXT_OFF], ip + IP6_HLEN, plen, ph, false, status, errors);
}

void sim_rx_csum_bits(const struct sim_dev *d, const uint8_t *f, uint32_t len, bool ext,
                      uint8_t *status, uint8_t *errors)
{
	uint32_t rxcsum = sim_reg(d, E1000_RXCSUM), l3 = E1000_ETH_HLEN;
	bool ipofl = rxcsum & E1000_RXCSUM_IPOFL, tuofl = rxcsum & E1000_RXCSUM_TUOFL;
	uint16_t type;

	if (!ipofl && !tuofl) {
		/* Nothing checked: say so (legacy status; the extended status
		 * of the 82574L has no IXSM bit). */
		if (!ext)
			*status |= E1000_RXD_STAT_IXSM;
		return;
	}
	if (len < E1000_ETH_HLEN)
		return;
	type = get_be16(f + ETH_TYPE_OFF);
	if (type == ETH_P_VLAN && len >= E1000_ETH_HLEN + VLAN_TAG_LEN) {
		type = get_be16(f + ETH_TYPE_OFF + VLAN_TAG_LEN);
		l3 += VLAN_TAG_LEN;
	}
	if (type == ETH_P_IPV4)
		rx_ip4(d, f + l3, len - l3, ipofl, tuofl, status, errors);
	else if (type == ETH_P_IPV6)
		rx_ip6(d, f + l3, len - l3, tuofl, status, errors);
}
