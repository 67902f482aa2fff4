/* SPDX-License-Identifier: MIT */
#include "offload.h"

#include <errno.h>
#include <stdbool.h>

#include "e1000_regs.h"

#define ETHERTYPE_IPV4  0x0800u
#define ETHERTYPE_IPV6  0x86ddu
#define ETHERTYPE_VLAN  0x8100u
#define VLAN_TAG_LEN    4u
#define IPPROTO_TCP_    6u
#define IPPROTO_UDP_    17u
#define IPV4_HLEN_MIN   20u
#define IPV4_FRAG_MASK  0x3fffu   /* MF + fragment offset */
#define IPV6_HLEN       40u
#define TCP_HLEN_MIN    20u
#define TCP_CSUM_OFF    16u
#define UDP_HLEN        8u
#define DESC_OFF_MAX    255u      /* IPCSS, TUCSS, TUCSO, HDRLEN are 8-bit fields */

/* The headers as the frame has them. */
struct hdrs {
	unsigned l3, l4, end;   /* IP header, L4 header, end of the L4 header */
	unsigned l2_extra;      /* a VLAN tag: it counts against the MTU too */
	bool     ipv4, ipv6, frag;
	unsigned proto;
};

static unsigned be16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* Ethernet (one optional VLAN tag), IPv4 or IPv6 (no extension headers),
 * and, for TCP and UDP, the L4 header: false when any of it is cut short. */
static bool parse(const uint8_t *p, uint32_t len, struct hdrs *h)
{
	unsigned type;

	*h = (struct hdrs){ .l3 = E1000_ETH_HLEN };
	if (len < E1000_ETH_HLEN)
		return false;
	type = be16(p + 12);
	if (type == ETHERTYPE_VLAN) {
		if (len < E1000_ETH_HLEN + VLAN_TAG_LEN)
			return false;
		h->l3 += VLAN_TAG_LEN;
		h->l2_extra = VLAN_TAG_LEN;
		type = be16(p + 16);
	}
	if (type == ETHERTYPE_IPV4) {
		unsigned ihl;

		if (len < h->l3 + IPV4_HLEN_MIN || p[h->l3] >> 4 != 4)
			return false;
		ihl = (p[h->l3] & 0xfu) * 4u;
		if (ihl < IPV4_HLEN_MIN || len < h->l3 + ihl)
			return false;
		h->ipv4 = true;
		h->frag = (be16(p + h->l3 + 6) & IPV4_FRAG_MASK) != 0;
		h->proto = p[h->l3 + 9];
		h->l4 = h->l3 + ihl;
	} else if (type == ETHERTYPE_IPV6) {
		if (len < h->l3 + IPV6_HLEN || p[h->l3] >> 4 != 6)
			return false;
		h->ipv6 = true;
		h->proto = p[h->l3 + 6];
		h->l4 = h->l3 + IPV6_HLEN;
	} else {
		return false;
	}
	if (h->proto == IPPROTO_TCP_) {
		unsigned doff;

		if (len < h->l4 + TCP_HLEN_MIN)
			return false;
		doff = (p[h->l4 + 12] >> 4) * 4u;
		if (doff < TCP_HLEN_MIN || len < h->l4 + doff)
			return false;
		h->end = h->l4 + doff;
	} else if (h->proto == IPPROTO_UDP_) {
		if (len < h->l4 + UDP_HLEN)
			return false;
		h->end = h->l4 + UDP_HLEN;
	} else {
		h->end = h->l4;
	}
	return true;
}

static int refuse(enum e1k_offload_err *why, enum e1k_offload_err e)
{
	*why = e;
	return -EINVAL;
}

static int check_csum(const struct e1k_frame *f, unsigned offered, struct tx_offload *off,
                      enum e1k_offload_err *why)
{
	unsigned at = (unsigned)f->csum_start + f->csum_offset;
	struct hdrs h;

	if (!(offered & E1K_OFFLOAD_TX_CSUM))
		return refuse(why, E1K_OFFLOAD_NOT_OFFERED);
	/* The sum runs from csum_start to the end and lands at csum_start +
	 * csum_offset: both inside the frame and inside the 8-bit fields. */
	if (f->csum_start < E1000_ETH_HLEN || f->csum_start >= f->len ||
	    at > DESC_OFF_MAX || at + 2u > f->len)
		return refuse(why, E1K_OFFLOAD_BAD_OFFSETS);
	off->kind = TX_OFFLOAD_CSUM;
	off->l4_off = (uint8_t)f->csum_start;
	off->csum_off = (uint8_t)at;
	/* TUCMD.TCP clear makes the device send a computed 0 as 0xffff, which
	 * UDP needs (0 means "no checksum" there). */
	off->tcp = !(parse(f->data, f->len, &h) && h.l4 == f->csum_start &&
	             h.proto == IPPROTO_UDP_);
	return 0;
}

static int check_tso(const struct e1k_frame *f, unsigned offered, unsigned mtu,
                     struct tx_offload *off, enum e1k_offload_err *why)
{
	bool v4 = f->gso == E1K_GSO_TCPV4;
	struct hdrs h;

	if (f->gso != E1K_GSO_TCPV4 && f->gso != E1K_GSO_TCPV6)
		return refuse(why, E1K_OFFLOAD_NOT_OFFERED);
	if (!(offered & (v4 ? E1K_OFFLOAD_TSO4 : E1K_OFFLOAD_TSO6)))
		return refuse(why, E1K_OFFLOAD_NOT_OFFERED);
	if (!f->csum)
		return refuse(why, E1K_OFFLOAD_NO_CSUM);
	if (f->len > E1K_GSO_FRAME_MAX)
		return refuse(why, E1K_OFFLOAD_BAD_LENGTH);
	if (!parse(f->data, f->len, &h) || h.proto != IPPROTO_TCP_ ||
	    (v4 ? !h.ipv4 || h.frag : !h.ipv6))
		return refuse(why, E1K_OFFLOAD_BAD_HEADERS);
	/* The sender's view must match the headers: the checksum is TCP's, its
	 * header length lies inside the frame. */
	if (f->csum_start != h.l4 || f->csum_offset != TCP_CSUM_OFF || f->hdr_len > f->len ||
	    h.end > DESC_OFF_MAX)
		return refuse(why, E1K_OFFLOAD_BAD_OFFSETS);
	if (f->len <= h.end)
		return refuse(why, E1K_OFFLOAD_BAD_LENGTH);
	if (f->mss == 0 || h.end + f->mss > mtu + E1000_ETH_HLEN + h.l2_extra)
		return refuse(why, E1K_OFFLOAD_BAD_MSS);
	off->kind = TX_OFFLOAD_TSO;
	off->ipv4 = v4;
	off->tcp = 1;
	off->l3_off = (uint8_t)h.l3;
	off->l4_off = (uint8_t)h.l4;
	off->csum_off = (uint8_t)(h.l4 + TCP_CSUM_OFF);
	off->hdr_len = (uint8_t)h.end;
	off->mss = f->mss;
	return 0;
}

int e1k_offload_check(const struct e1k_frame *f, unsigned offered, unsigned mtu,
                      struct tx_offload *off, enum e1k_offload_err *why)
{
	*off = (struct tx_offload){ .kind = TX_OFFLOAD_NONE };
	*why = E1K_OFFLOAD_OK;
	if (f->gso != E1K_GSO_NONE)
		return check_tso(f, offered, mtu, off, why);
	if (f->csum)
		return check_csum(f, offered, off, why);
	return 0;
}

/* Ones' complement sum of 16-bit big-endian words, folded. */
static uint32_t sum16(const uint8_t *p, unsigned n, uint32_t sum)
{
	for (unsigned i = 0; i + 1 < n; i += 2)
		sum += be16(p + i);
	while (sum >> 16)
		sum = (sum & 0xffffu) + (sum >> 16);
	return sum;
}

void e1k_offload_prepare(uint8_t *hdr, const struct tx_offload *off)
{
	uint8_t *ip = hdr + off->l3_off;
	uint32_t sum;

	if (off->kind != TX_OFFLOAD_TSO)
		return;
	if (off->ipv4) {
		ip[2] = ip[3] = 0;          /* total length: per segment */
		ip[10] = ip[11] = 0;        /* header checksum: per segment */
		sum = sum16(ip + 12, 8, IPPROTO_TCP_);
	} else {
		ip[4] = ip[5] = 0;          /* payload length: per segment */
		sum = sum16(ip + 8, 32, IPPROTO_TCP_);
	}
	/* Not complemented: the device adds the segment's TCP length and data,
	 * then complements. */
	hdr[off->csum_off] = (uint8_t)(sum >> 8);
	hdr[off->csum_off + 1] = (uint8_t)sum;
}

const char *e1k_offload_err_name(enum e1k_offload_err e)
{
	switch (e) {
	case E1K_OFFLOAD_OK:          return "ok";
	case E1K_OFFLOAD_NOT_OFFERED: return "offload not offered by the device";
	case E1K_OFFLOAD_NO_CSUM:     return "gso without a checksum request";
	case E1K_OFFLOAD_BAD_HEADERS: return "headers are not what gso says";
	case E1K_OFFLOAD_BAD_OFFSETS: return "checksum offsets outside the frame or headers";
	case E1K_OFFLOAD_BAD_MSS:     return "mss 0 or segments longer than the MTU";
	case E1K_OFFLOAD_BAD_LENGTH:  return "frame too long or nothing to segment";
	}
	return "?";
}
