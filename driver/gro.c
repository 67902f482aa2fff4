/* SPDX-License-Identifier: MIT */
#include "gro.h"

#include <string.h>

#define ETH_HLEN_       14u
#define ETHERTYPE_IPV4_ 0x0800u
#define ETHERTYPE_IPV6_ 0x86ddu
#define IPPROTO_TCP_    6u
#define IP4_DF          0x4000u
#define IP4_FRAG_MASK   0x3fffu   /* MF and the fragment offset */

#define TCP_FIN 0x01u
#define TCP_PSH 0x08u
#define TCP_ACK 0x10u
#define TCP_CSUM_OFFSET 16u

/* What a frame is to GRO, when it is a TCP segment it could merge. */
struct seg_info {
	bool     v6;
	uint16_t iphl, thl, hlen;   /* IP header, TCP header, all headers (from 0) */
	uint32_t payload;
	uint32_t seq;
	uint8_t  flags;             /* TCP flags byte */
};

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }

/* One's-complement sum of big-endian 16-bit words (len even), not folded. */
static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += rd16(p + i);
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffffu) + (sum >> 16);
	return (uint16_t)sum;
}

/* Fills *si and returns true when f is a segment GRO may merge (see gro.h):
 * everything the rules look at must sit in the first piece. */
static bool parse(const struct gro_frame *f, struct seg_info *si)
{
	const uint8_t *p = f->seg[0].data, *ip, *th;
	uint32_t have = f->seg[0].len, iplen;

	if (!f->csum_ok || f->nseg == 0 || have < ETH_HLEN_ + 20u + 20u)
		return false;
	ip = p + ETH_HLEN_;
	switch (rd16(p + 12)) {
	case ETHERTYPE_IPV4_:
		/* Options and fragments: not merged (Linux neither). */
		if (ip[0] != 0x45 || ip[9] != IPPROTO_TCP_ || (rd16(ip + 6) & IP4_FRAG_MASK) ||
		    fold(sum16(ip, 20, 0)) != 0xffffu)
			return false;
		si->v6 = false;
		si->iphl = 20;
		iplen = rd16(ip + 2);
		break;
	case ETHERTYPE_IPV6_:
		if (have < ETH_HLEN_ + 40u + 20u || (ip[0] >> 4) != 6 || ip[6] != IPPROTO_TCP_ ||
		    rd16(ip + 4) == 0)
			return false;
		si->v6 = true;
		si->iphl = 40;
		iplen = 40u + rd16(ip + 4);
		break;
	default:
		return false;
	}
	/* No Ethernet padding or trailer: the payload is exactly what follows. */
	if (ETH_HLEN_ + iplen != f->len)
		return false;
	th = ip + si->iphl;
	si->thl = (uint16_t)((th[12] >> 4) * 4u);
	si->hlen = (uint16_t)(ETH_HLEN_ + si->iphl + si->thl);
	if (si->thl < 20 || si->hlen > have || si->hlen >= f->len)
		return false;
	si->flags = th[13];
	/* Pure ACK with data; PSH/FIN only end a run; the reserved/AE bits
	 * clear (byte 12's low nibble). */
	if ((th[12] & 0x0f) || (si->flags & ~(TCP_PSH | TCP_FIN)) != TCP_ACK)
		return false;
	si->payload = f->len - si->hlen;
	si->seq = rd32(th + 4);
	return true;
}

/* Same flow and same everything tcp_gro_receive / inet_gro_receive /
 * ipv6_gro_receive compare; k is b's place in the run (for the IPv4 ID). */
static bool same_flow(const uint8_t *a, const struct seg_info *ai, const uint8_t *b,
                      const struct seg_info *bi, unsigned k)
{
	const uint8_t *ipa = a + ETH_HLEN_, *ipb = b + ETH_HLEN_;
	const uint8_t *ta = ipa + ai->iphl, *tb = ipb + bi->iphl;

	if (ai->v6 != bi->v6 || ai->thl != bi->thl || memcmp(a, b, ETH_HLEN_))
		return false;
	if (!ai->v6) {
		uint16_t ida = rd16(ipa + 4), idb = rd16(ipb + 4);
		bool df = rd16(ipa + 6) & IP4_DF;

		if (ipa[1] != ipb[1] || ipa[8] != ipb[8] ||
		    ((rd16(ipa + 6) ^ rd16(ipb + 6)) & IP4_DF) || memcmp(ipa + 12, ipb + 12, 8))
			return false;
		/* The host's segmentation of the merged packet counts IDs up
		 * from the first: only IDs that already did so (or, with DF,
		 * do not matter and stayed put) survive it unchanged. */
		if (idb != (uint16_t)(ida + k) && !(df && idb == ida))
			return false;
	} else {
		/* Version, traffic class, flow label; hop limit; addresses. */
		if (memcmp(ipa, ipb, 4) || ipa[7] != ipb[7] || memcmp(ipa + 8, ipb + 8, 32))
			return false;
	}
	/* Ports, then the ACK number, then the options byte for byte. */
	return memcmp(ta, tb, 4) == 0 && memcmp(ta + 8, tb + 8, 4) == 0 &&
	       memcmp(ta + 20, tb + 20, ai->thl - 20u) == 0;
}

/* Pieces of frame f from byte off to its end, appended to iov; false when
 * they do not fit in max. */
static bool add_tail(const struct gro_frame *f, uint32_t off, struct iovec *iov, unsigned *niov,
                     unsigned max)
{
	for (unsigned s = 0; s < f->nseg; s++) {
		uint32_t l = f->seg[s].len;

		if (off >= l) {
			off -= l;
			continue;
		}
		if (*niov >= max)
			return false;
		iov[*niov].iov_base = (void *)(f->seg[s].data + off);
		iov[*niov].iov_len = l - off;
		(*niov)++;
		off = 0;
	}
	return true;
}

static void emit_single(const struct gro_frame *f, unsigned i, gro_emit_fn emit, void *ctx,
                        struct iovec *iov)
{
	struct virtio_net_hdr vh = { 0 };
	unsigned niov = 0;

	if (f[i].csum_ok)
		vh.flags = VIRTIO_NET_HDR_F_DATA_VALID;
	if (!add_tail(&f[i], 0, iov, &niov, GRO_MAX_IOV))
		niov = 0;
	emit(ctx, &vh, iov, niov, i, 1);
}

/* Rewrite the first frame's headers (in hdr) for a run of total payload
 * bytes ending with flags last_flags, and fill in vh. */
static void finish_headers(uint8_t *hdr, const struct seg_info *si, uint32_t total,
                           uint8_t last_flags, struct virtio_net_hdr *vh)
{
	uint8_t *ip = hdr + ETH_HLEN_, *th = ip + si->iphl;
	uint32_t tcplen = si->thl + total, sum;

	th[13] |= last_flags & (TCP_PSH | TCP_FIN);
	if (!si->v6) {
		wr16(ip + 2, (uint16_t)(20u + tcplen));
		wr16(ip + 10, 0);
		wr16(ip + 10, (uint16_t)~fold(sum16(ip, 20, 0)));
		sum = sum16(ip + 12, 8, 0) + IPPROTO_TCP_ + tcplen;
	} else {
		wr16(ip + 4, (uint16_t)tcplen);
		sum = sum16(ip + 8, 32, 0) + (tcplen >> 16) + (tcplen & 0xffffu) + IPPROTO_TCP_;
	}
	/* CHECKSUM_PARTIAL's convention: the field holds the pseudo-header sum,
	 * the host adds the TCP header and payload. */
	wr16(th + TCP_CSUM_OFFSET, fold(sum));

	memset(vh, 0, sizeof(*vh));
	vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh->gso_type = si->v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4;
	vh->hdr_len = si->hlen;
	vh->csum_start = (uint16_t)(ETH_HLEN_ + si->iphl);
	vh->csum_offset = TCP_CSUM_OFFSET;
}

/* The sum of bytes [off, off + len) of f's segments as 16-bit big-endian
 * words, counted from off (even); segments may have odd lengths. */
static uint32_t sum_segs(const struct gro_frame *f, uint32_t off, uint32_t len, uint32_t sum)
{
	bool odd = false;

	for (unsigned s = 0; s < f->nseg && len > 0; s++) {
		const uint8_t *p = f->seg[s].data;
		uint32_t n = f->seg[s].len;

		if (off >= n) {
			off -= n;
			continue;
		}
		p += off;
		n -= off;
		off = 0;
		if (n > len)
			n = len;
		len -= n;
		if (odd && n > 0) {
			sum += *p++;
			n--;
			odd = false;
		}
		for (; n >= 2; n -= 2, p += 2)
			sum += rd16(p);
		if (n) {
			sum += (uint32_t)*p << 8;
			odd = true;
		}
		/* Keep the carries from overflowing on 64 KiB frames. */
		sum = (sum & 0xffffu) + (sum >> 16);
	}
	return sum;
}

bool gro_tcp_csum_valid(const struct gro_frame *f)
{
	const uint8_t *p = f->seg[0].data, *ip = p + ETH_HLEN_;
	uint32_t have = f->seg[0].len, l4, tcplen, sum;

	if (f->nseg == 0 || have < ETH_HLEN_ + 40u + 20u)
		return false;
	switch (rd16(p + 12)) {
	case ETHERTYPE_IPV4_: {
		unsigned ihl = (ip[0] & 0x0fu) * 4u;

		if ((ip[0] >> 4) != 4 || ihl < 20 || ip[9] != IPPROTO_TCP_ ||
		    (rd16(ip + 6) & IP4_FRAG_MASK) || fold(sum16(ip, ihl, 0)) != 0xffffu ||
		    rd16(ip + 2) < ihl + 20u || ETH_HLEN_ + rd16(ip + 2) > f->len)
			return false;
		l4 = ETH_HLEN_ + ihl;
		tcplen = rd16(ip + 2) - ihl;
		sum = sum16(ip + 12, 8, IPPROTO_TCP_ + tcplen);
		break;
	}
	case ETHERTYPE_IPV6_:
		if ((ip[0] >> 4) != 6 || ip[6] != IPPROTO_TCP_ || rd16(ip + 4) < 20u ||
		    ETH_HLEN_ + 40u + rd16(ip + 4) > f->len)
			return false;
		l4 = ETH_HLEN_ + 40u;
		tcplen = rd16(ip + 4);
		sum = sum16(ip + 8, 32, IPPROTO_TCP_ + tcplen);
		break;
	default:
		return false;
	}
	return fold(sum_segs(f, l4, tcplen, sum)) == 0xffffu;
}

void gro_batch(const struct gro_frame *f, unsigned n, gro_emit_fn emit, void *ctx,
               struct gro_result *res)
{
	struct gro_result r = { 0 };
	struct iovec iov[GRO_MAX_IOV];
	unsigned i = 0;

	while (i < n) {
		struct seg_info first, si;
		uint8_t hdr[GRO_HDR_MAX];
		struct virtio_net_hdr vh;
		uint32_t total, next_seq, mss;
		uint8_t last_flags = 0;   /* the last merged frame's, when PSH/FIN ended the run */
		unsigned j, niov;

		r.packets++;
		if (!parse(&f[i], &first) || (first.flags & (TCP_PSH | TCP_FIN))) {
			emit_single(f, i, emit, ctx, iov);
			i++;
			continue;
		}
		total = mss = first.payload;
		next_seq = first.seq + first.payload;
		niov = 1;
		if (!add_tail(&f[i], first.hlen, iov, &niov, GRO_MAX_IOV)) {
			emit_single(f, i, emit, ctx, iov);
			i++;
			continue;
		}
		for (j = i + 1; j < n && j - i < GRO_MAX_FRAMES; j++) {
			unsigned before = niov;

			if (!parse(&f[j], &si) ||
			    !same_flow(f[i].seg[0].data, &first, f[j].seg[0].data, &si, j - i) ||
			    si.seq != next_seq || si.payload > mss ||
			    (uint32_t)first.iphl + first.thl + total + si.payload > GRO_MAX_IP)
				break;
			if (!add_tail(&f[j], si.hlen, iov, &niov, GRO_MAX_IOV)) {
				niov = before;
				break;
			}
			total += si.payload;
			next_seq += si.payload;
			/* A short segment, PSH or FIN: this one is the last. */
			if (si.payload < mss || (si.flags & (TCP_PSH | TCP_FIN))) {
				last_flags = si.flags;
				j++;
				break;
			}
		}
		if (j == i + 1) {
			emit_single(f, i, emit, ctx, iov);
			i++;
			continue;
		}
		memcpy(hdr, f[i].seg[0].data, first.hlen);
		finish_headers(hdr, &first, total, last_flags, &vh);
		vh.gso_size = (uint16_t)mss;
		iov[0].iov_base = hdr;
		iov[0].iov_len = first.hlen;
		emit(ctx, &vh, iov, niov, i, j - i);
		r.merged_packets++;
		r.merged_frames += j - i;
		i = j;
	}
	if (res)
		*res = r;
}
