/* SPDX-License-Identifier: MIT */
/*
 * vnet.h - a virtio-net header from the host kernel (a vnet TAP's read) into
 * the offload request of an e1k_frame.
 *
 * The kernel only hands over the offloads the TAP offered (TUNSETOFFLOAD),
 * but the header is still input: every field is checked against the frame
 * before anything of it reaches the adapter (which checks again, against the
 * headers themselves).  The result says why a frame is dropped, so the
 * bridge can count a lie apart from a request the device cannot do.
 *
 * Pure: Context any, Locks none, May block no.
 */
#ifndef E1K_VNET_H
#define E1K_VNET_H

#include <linux/virtio_net.h>
#include <stddef.h>
#include <stdint.h>

#include "adapter.h"

enum e1k_vnet_result {
	E1K_VNET_OK = 0,
	E1K_VNET_BAD,          /* the header lies about the frame or is malformed */
	E1K_VNET_UNSUPPORTED,  /* an offload not in `offloads` (ECN, UDP, or not offered) */
};

/*
 * Translate vh for the frame (data, len) into *out (zeroed first; data and
 * len set): NEEDS_CSUM -> csum, csum_start, csum_offset; GSO_TCPV4/TCPV6 ->
 * gso, mss (gso_size) and hdr_len.  offloads: E1K_OFFLOAD_* in force.
 *
 * hdr_len is computed, not copied: the kernel writes its skb's linear length
 * there (virtio_net_hdr_from_skb), which may run past the headers into
 * payload; the frame's own TCP header (at csum_start, data offset) gives the
 * real end.  The kernel's value is still checked to lie inside the frame.
 *
 * BAD: flags other than NEEDS_CSUM / DATA_VALID; an unknown gso_type;
 * csum_start inside the Ethernet header or csum_start + csum_offset + 2 past
 * the frame; gso without NEEDS_CSUM, with gso_size 0, with a checksum field
 * that is not TCP's (offset 16), with an EtherType that is not the gso's IP
 * version, with headers (hdr_len or the TCP header) reaching the frame's
 * end, or longer than E1K_GSO_FRAME_MAX; len < 14.
 * UNSUPPORTED: NEEDS_CSUM without E1K_OFFLOAD_TX_CSUM; GSO_TCPV4/TCPV6
 * without TSO4/TSO6; the ECN bit; GSO_UDP and GSO_UDP_L4.
 */
enum e1k_vnet_result e1k_vnet_to_frame(const struct virtio_net_hdr *vh, const uint8_t *data,
                                       size_t len, unsigned offloads, struct e1k_frame *out);

#endif
