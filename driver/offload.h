/* SPDX-License-Identifier: MIT */
/*
 * offload.h - a send's offload request checked against the frame's own
 * headers, and the headers prepared the way the device's TCP segmentation
 * and checksum offload want them (8254x SDM 3.3.5-3.3.7; what Linux's e1000
 * does in e1000_tso and e1000_tx_csum).
 *
 * The request (struct e1k_frame's gso/csum fields, from a virtio-net header)
 * is the sender's word: nothing in it is trusted.  The headers are parsed
 * from the frame, the request must agree with them, and every offset the
 * device will use must lie inside the frame and inside the descriptor's
 * 8-bit fields.
 *
 * Pure functions: no adapter state, no locks.  Context: any.
 */
#ifndef E1K_OFFLOAD_H
#define E1K_OFFLOAD_H

#include <stdint.h>

#include "adapter.h"
#include "ring.h"

/* Why a request was refused (e1k_offload_check's negative returns are
 * -EINVAL; *why gets one of these for the log and the tests). */
enum e1k_offload_err {
	E1K_OFFLOAD_OK = 0,
	E1K_OFFLOAD_NOT_OFFERED,     /* the device cannot do it */
	E1K_OFFLOAD_NO_CSUM,         /* gso without a checksum request */
	E1K_OFFLOAD_BAD_HEADERS,     /* not Ethernet + IPv4/IPv6 + TCP as gso says */
	E1K_OFFLOAD_BAD_OFFSETS,     /* csum_start/offset past the frame or the headers */
	E1K_OFFLOAD_BAD_MSS,         /* mss 0, or a segment longer than the MTU */
	E1K_OFFLOAD_BAD_LENGTH,      /* too long, or no payload to segment */
};

/*
 * Check frame f's offload request against its headers and what the device
 * offers (E1K_OFFLOAD_* bits) and the MTU; fill *off for tx_ring_submit_frames.
 * A frame without a request gets TX_OFFLOAD_NONE and is always accepted here
 * (its length is the caller's to check).  Returns 0, or -EINVAL with *why set.
 */
int e1k_offload_check(const struct e1k_frame *f, unsigned offered, unsigned mtu,
                      struct tx_offload *off, enum e1k_offload_err *why);

/*
 * For TSO: rewrite the headers in hdr (the frame's first off->hdr_len bytes,
 * in the DMA buffer the device reads) as the device wants them: IPv4 total
 * length and header checksum 0, IPv6 payload length 0, and the TCP checksum
 * field the pseudo-header sum without the length (the device adds each
 * segment's length).  Nothing to do for other kinds.
 */
void e1k_offload_prepare(uint8_t *hdr, const struct tx_offload *off);

const char *e1k_offload_err_name(enum e1k_offload_err e);

#endif /* E1K_OFFLOAD_H */
