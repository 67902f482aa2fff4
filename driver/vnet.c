/* SPDX-License-Identifier: MIT */
#include "vnet.h"

#include <string.h>

#define ETH_HLEN_        14u
#define ETHERTYPE_IPV4_  0x0800u
#define ETHERTYPE_IPV6_  0x86ddu
#define TCP_CSUM_OFFSET  16u
#define TCP_HDR_MIN      20u
#define GSO_UDP_L4_      5u     /* VIRTIO_NET_HDR_GSO_UDP_L4: newer headers only */

enum e1k_vnet_result e1k_vnet_to_frame(const struct virtio_net_hdr *vh, const uint8_t *data,
                                       size_t len, unsigned offloads, struct e1k_frame *out)
{
	unsigned gso = vh->gso_type & (unsigned)~VIRTIO_NET_HDR_GSO_ECN;
	uint32_t cstart = vh->csum_start, coff = vh->csum_offset;

	memset(out, 0, sizeof(*out));
	if (!data || len < ETH_HLEN_ || len > E1K_GSO_FRAME_MAX)
		return E1K_VNET_BAD;
	if (vh->flags & ~(VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID))
		return E1K_VNET_BAD;
	if (gso != VIRTIO_NET_HDR_GSO_NONE && gso != VIRTIO_NET_HDR_GSO_TCPV4 &&
	    gso != VIRTIO_NET_HDR_GSO_TCPV6 && gso != VIRTIO_NET_HDR_GSO_UDP && gso != GSO_UDP_L4_)
		return E1K_VNET_BAD;
	if (vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		if (cstart < ETH_HLEN_ || cstart + coff + 2u > len)
			return E1K_VNET_BAD;
	}
	if (gso != VIRTIO_NET_HDR_GSO_NONE && !(vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
		return E1K_VNET_BAD;
	/* Well-formed: now whether we offered it.  ECN on TCP (TSO_ECN) and
	 * UDP segmentation were never offered. */
	if (vh->gso_type & VIRTIO_NET_HDR_GSO_ECN)
		return E1K_VNET_UNSUPPORTED;
	if (gso == VIRTIO_NET_HDR_GSO_UDP || gso == GSO_UDP_L4_)
		return E1K_VNET_UNSUPPORTED;
	if ((vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) && !(offloads & E1K_OFFLOAD_TX_CSUM))
		return E1K_VNET_UNSUPPORTED;
	if ((gso == VIRTIO_NET_HDR_GSO_TCPV4 && !(offloads & E1K_OFFLOAD_TSO4)) ||
	    (gso == VIRTIO_NET_HDR_GSO_TCPV6 && !(offloads & E1K_OFFLOAD_TSO6)))
		return E1K_VNET_UNSUPPORTED;

	out->data = data;
	out->len = (uint32_t)len;
	if (vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		out->csum = 1;
		out->csum_start = (uint16_t)cstart;
		out->csum_offset = (uint16_t)coff;
	}
	if (gso != VIRTIO_NET_HDR_GSO_NONE) {
		uint16_t type = (uint16_t)(data[12] << 8 | data[13]);
		uint32_t thl;

		if (coff != TCP_CSUM_OFFSET || vh->gso_size == 0 ||
		    type != (gso == VIRTIO_NET_HDR_GSO_TCPV4 ? ETHERTYPE_IPV4_ : ETHERTYPE_IPV6_) ||
		    vh->hdr_len >= len || cstart + TCP_HDR_MIN > len)
			goto bad;
		thl = (uint32_t)(data[cstart + 12] >> 4) * 4u;
		/* The TCP header whole, and at least one byte of payload. */
		if (thl < TCP_HDR_MIN || cstart + thl >= len)
			goto bad;
		out->gso = gso == VIRTIO_NET_HDR_GSO_TCPV4 ? E1K_GSO_TCPV4 : E1K_GSO_TCPV6;
		out->mss = vh->gso_size;
		out->hdr_len = (uint16_t)(cstart + thl);
	}
	return E1K_VNET_OK;
bad:
	memset(out, 0, sizeof(*out));
	return E1K_VNET_BAD;
}
