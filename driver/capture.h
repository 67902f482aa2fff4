/* SPDX-License-Identifier: MIT */
/*
 * capture.h - packet capture at the driver's edge (`e1kctl capture`).
 *
 * A capture is a bounded byte ring of records (timestamp, direction, the
 * frame's length, then up to snaplen of its bytes).  The datapath is its
 * producer: the DPC for received frames (as harvested, chains whole), the
 * senders for sent ones (as the upper layer handed them over, every buffer
 * of a frame).  One reader (e1kd's capture thread) takes records out.
 *
 * Contract:
 *   - Off costs one acquire load of ad->capture per RX batch and per send
 *     call (per submission for borrowed sends): no capture, no other work.
 *   - A full ring drops the record and counts it; a producer never waits
 *     for the reader.  Producers serialise among themselves on the ring's
 *     mutex for one batch's copies (never for the reader, which takes no
 *     lock: head and tail are atomics).
 *   - Attach publishes the ring (RCU); detach unpublishes it and waits for a
 *     grace period, after which no producer touches it and it may be freed.
 *
 * Locks: the ring's lock is the innermost lock of the driver (taken under
 * tx_lock by borrowed sends; nothing is taken under it).
 * Context: producers -- datapath threads inside an RCU read-side section;
 * e1k_capture_read -- one thread at a time; attach/detach -- any thread
 * outside a read-side section (detach may block for a grace period).
 */
#ifndef E1K_DRIVER_CAPTURE_H
#define E1K_DRIVER_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

struct e1k_adapter;
struct e1k_capture;

#define E1K_CAPTURE_RX 0x1u   /* frames received from the device */
#define E1K_CAPTURE_TX 0x2u   /* frames sent by the upper layer */
#define E1K_CAPTURE_BOTH (E1K_CAPTURE_RX | E1K_CAPTURE_TX)
#define E1K_CAPTURE_SNAPLEN_MAX 65535u
#define E1K_CAPTURE_RING_MIN 4096u

/* One record's header as the reader gets it. */
struct e1k_capture_rec {
	uint64_t ts_ns;     /* CLOCK_REALTIME, ns */
	uint32_t len;       /* the frame's length on the wire (before snaplen) */
	uint32_t caplen;    /* bytes that follow: min(len, snaplen) */
	uint32_t dir;       /* E1K_CAPTURE_RX or E1K_CAPTURE_TX */
	uint32_t pad;
};

/* A ring of ring_bytes (rounded up to a power of two, at least
 * E1K_CAPTURE_RING_MIN) for the directions in dirs, snaplen 1..SNAPLEN_MAX.
 * NULL with errno set (EINVAL, ENOMEM). */
struct e1k_capture *e1k_capture_new(size_t ring_bytes, unsigned dirs, uint32_t snaplen);
/* Not attached (any more) and no reader left. */
void e1k_capture_free(struct e1k_capture *c);

/* Producer side, as the datapath uses it (also for tests): one frame given
 * as nseg pieces of data (lengths seglen[]) adding up to len. */
void e1k_capture_begin(struct e1k_capture *c);
void e1k_capture_add(struct e1k_capture *c, unsigned dir, uint64_t ts_ns, uint32_t len,
                     unsigned nseg, const void *const *data, const uint32_t *seglen);
void e1k_capture_end(struct e1k_capture *c);
/* True when frames of dir are captured. */
int e1k_capture_wants(const struct e1k_capture *c, unsigned dir);

/* Reader: the oldest record into *rec and min(caplen, buflen) of its bytes
 * into buf.  1: a record; 0: the ring is empty. */
int e1k_capture_read(struct e1k_capture *c, struct e1k_capture_rec *rec, void *buf, size_t buflen);
/* Records put in the ring and records dropped because it was full. */
void e1k_capture_counts(const struct e1k_capture *c, uint64_t *captured, uint64_t *dropped);

/* Publish c as the adapter's capture: -EBUSY when one is attached already. */
int e1k_adapter_capture_attach(struct e1k_adapter *ad, struct e1k_capture *c);
/* Unpublish c (if it is the attached one) and wait for a grace period.
 * May block.  Context: not in a read-side section. */
void e1k_adapter_capture_detach(struct e1k_adapter *ad, struct e1k_capture *c);

#endif
