/* SPDX-License-Identifier: MIT */
/*
 * gro.h - software receive coalescing (GRO) for frames on their way to a
 * vnet TAP: runs of in-order TCP segments of one flow become one TCP
 * super-frame with a virtio-net GSO header, so the host kernel takes a whole
 * run with one write and one trip up its stack.
 *
 * gro_batch() walks the frames in order and calls emit() once per packet to
 * write: either one frame unchanged (its segments as they are, a header with
 * VIRTIO_NET_HDR_F_DATA_VALID when the device checked it), or a run of
 * consecutive frames merged (a rewritten copy of the first frame's headers,
 * then every frame's TCP payload in place).  Packets come out in the order
 * of their frames: nothing is reordered, within a flow or across flows.
 *
 * A run merges only what Linux's tcp_gro_receive() would: frames the device
 * checksummed (csum_ok), Ethernet + IPv4 without options or fragmentation
 * (same TOS, TTL, DF; IDs counting up by one, or all equal with DF) or IPv6
 * without extension headers (same traffic class, flow label, hop limit);
 * TCP with the same addresses, ports, ACK number and option bytes; flags
 * exactly ACK, except that the last frame of a run may add PSH or FIN;
 * consecutive sequence numbers; every payload at most the first one's (the
 * mss), a shorter one ending the run; at most GRO_MAX_IP bytes of IP packet,
 * GRO_MAX_FRAMES frames and GRO_MAX_IOV pieces.  The merged packet carries
 * the first frame's window and IP ID, the run's total lengths, a fresh IPv4
 * header checksum and, in the TCP checksum field, the pseudo-header sum for
 * the merged length: the header says NEEDS_CSUM (csum_start at the TCP
 * header, csum_offset 16), gso_type TCPV4/TCPV6, gso_size the first payload,
 * hdr_len the headers' length.
 *
 * Pure: no state, no allocation, no system calls.  The frames and everything
 * emit() is given are valid only during the call.
 * Context: any.  Locks: none.  May block: only as emit() does.
 */
#ifndef E1K_GRO_H
#define E1K_GRO_H

#include <linux/virtio_net.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#define GRO_MAX_IP     65535u  /* the largest merged IP packet (IPv4's total length) */
#define GRO_MAX_FRAMES 64u     /* frames in one merged packet */
#define GRO_MAX_IOV    256u    /* pieces of one packet given to emit() */
#define GRO_HDR_MAX    (14u + 40u + 60u)   /* Ethernet + IPv6 + TCP with options */

/* One piece of a frame (a receive buffer). */
struct gro_seg {
	const uint8_t *data;
	uint32_t       len;
};

struct gro_frame {
	const struct gro_seg *seg;   /* [nseg]; the lengths add up to len */
	unsigned              nseg;  /* >= 1 */
	uint32_t              len;
	bool                  csum_ok;   /* the device verified its checksums */
};

/*
 * One packet to write: vh, then the frame gathered from iov[0..niov), made of
 * frames [first, first + n).  niov is 0 when a single frame has more than
 * GRO_MAX_IOV pieces (the caller drops it).
 */
typedef void (*gro_emit_fn)(void *ctx, const struct virtio_net_hdr *vh, const struct iovec *iov,
                            unsigned niov, unsigned first, unsigned n);

struct gro_result {
	unsigned packets;          /* emit() calls */
	unsigned merged_packets;   /* of them, with n > 1 */
	unsigned merged_frames;    /* frames inside those */
};

/*
 * What a device that checks receive checksums would say, in software: true
 * when f is Ethernet + IPv4 (header checksum good, not a fragment) or IPv6
 * (no extension header) + TCP, and its TCP checksum over the pseudo header
 * and every segment is good.  For a device that does not check (QEMU's
 * e1000 never does): a frame found good may be merged and go up as
 * DATA_VALID, as Linux's GRO checks in software for such a driver.  Costs
 * one pass over the frame.
 */
bool gro_tcp_csum_valid(const struct gro_frame *f);

/* res may be NULL. */
void gro_batch(const struct gro_frame *f, unsigned n, gro_emit_fn emit, void *ctx,
               struct gro_result *res);

#endif
