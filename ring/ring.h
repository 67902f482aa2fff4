/* SPDX-License-Identifier: MIT */
/*
 * ring.h - e1000 transmit and receive descriptor rings (SDM 3.2, 3.3): legacy
 * descriptors, TCP/IP context and data descriptors for checksum offload and
 * TSO, receive frames chained over several buffers.
 *
 * Lifecycle (TX):  tx_ring_create -> tx_ring_hw_setup -> [driver sets TCTL.EN]
 *                  -> submit/reclaim ... -> [driver clears TCTL.EN, flushes]
 *                  -> tx_ring_abort until 0 (or reclaim until in_flight == 0)
 *                  -> tx_ring_destroy
 * Lifecycle (RX):  pkt_pool_create -> rx_ring_create -> rx_ring_hw_setup
 *                  -> rx_ring_refill -> [driver sets RCTL.EN] -> poll/refill ...
 *                  -> [driver clears RCTL.EN, flushes] -> rx_ring_abort
 *                  -> rx_ring_destroy -> (frames given to upper layers returned)
 *                  -> pkt_pool_destroy
 * A restart after a stop is hw_setup (+ refill) again: hw_setup resets the
 * software indexes together with the device's head and tail.
 *
 * Threading: the caller serialises every call on one ring (one ring = one
 * owner at a time: the DPC that services it, or the control thread while the
 * device is stopped).  Different rings may be used concurrently, and the
 * buffer pool is thread-safe, so a TX ring and an RX ring sharing one pool
 * can run on different threads.  The *_get_stats, *_in_flight, *_free_slots
 * and *_posted readers follow the same rule (they read unlocked fields).
 *
 * Memory ordering with the device:
 *  - submit/refill write descriptor fields with relaxed atomic stores (so the
 *    compiler can neither tear nor move them), then a release fence, then the
 *    single tail write.  The fence pairs with the device reading descriptors
 *    only after it observed the new tail.
 *  - reclaim/poll load the status byte with acquire before reading length,
 *    errors or the buffer contents.  This pairs with the device writing the
 *    descriptor and the data first and the status (DD) last, with release.
 * Device-written values are never trusted: RDH/TDH are not used for
 * harvesting (the DD bits are), the buffer of a slot is the one software
 * posted there (the write-back's address is ignored), lengths are range
 * checked, and a DD on a slot software does not consider in flight is counted
 * and ignored.
 *
 * Batching: the tail register is written at most once per submit/refill call,
 * or once per tx_ring_hold/tx_ring_release pair (tail_writes counts them).
 * Nothing here allocates per packet.
 */
#ifndef E1K_RING_H
#define E1K_RING_H

#include <stdbool.h>
#include <stdint.h>

#include "hal.h"
#include "pool.h"

#define RING_NDESC_MIN   64u
#define RING_NDESC_MAX   4096u
/* Largest data length of one legacy TX descriptor (SDM 3.3.3: 16288 bytes). */
#define TX_DESC_LEN_MAX  16288u
/* tx_ring_submit sets RS (report status) on at least every this many
 * descriptors, and on the last one of each call. */
#define TX_RS_INTERVAL   32u

struct pkt_ref {
	uint32_t buf;   /* pool buffer index */
	uint32_t len;   /* bytes of frame data at the start of the buffer */
};

struct tx_ring;
struct rx_ring;

/* submitted, completed and aborted count buffers (= descriptors that carry
 * one): a context descriptor is in none of them (see contexts), a frame of
 * n segments counts n. */
struct tx_ring_stats {
	uint64_t submitted;    /* buffers handed to the device */
	uint64_t completed;    /* returned by reclaim (DD seen) */
	uint64_t aborted;      /* returned by abort (or parked by hw_setup) */
	uint64_t tail_writes;  /* TDT writes by submit/release (hw_setup's TDT = 0 not counted) */
	uint64_t full;         /* submit calls that stopped because the ring was full */
	/* additions */
	uint64_t rejected;     /* submit calls that stopped at a bad length / buffer */
	uint64_t spurious_dd;  /* DD seen on a slot that was not in flight (ignored) */
	uint64_t contexts;     /* context descriptors written by submit_frames */
};

struct rx_ring_stats {
	uint64_t received;     /* good frames returned by poll (a chained frame: 1) */
	uint64_t refilled;     /* descriptors posted by refill */
	uint64_t tail_writes;  /* RDT writes by refill (hw_setup's RDT = 0 not counted) */
	uint64_t bad_length;   /* frames with a length 0 or > buffer size, or (chained)
	                        * a buffer before the last not full (dropped) */
	uint64_t bad_status;   /* frames with frame error bits (dropped) */
	uint64_t bad_frag;     /* frames spanning several descriptors (rx_ring_poll),
	                        * chains too long (rx_ring_poll_chained): dropped */
	uint64_t dropped;      /* buffers recycled to the pool by poll, all reasons */
	/* additions */
	uint64_t aborted;      /* buffers returned to the pool by abort */
};

/* ---------------------------------------------------------------- TX ---- */

/*
 * Allocate a TX ring of ndesc legacy descriptors in one DMA region.  ndesc must
 * be a power of two in [64, 4096], else -EINVAL.  On failure nothing is left
 * behind and *out is NULL.  The device is not touched.
 * Context: control.  Locks: none.  May block: yes (allocation).
 */
int  tx_ring_create(struct hal_dev *hw, unsigned ndesc, struct tx_ring **out);

/*
 * Free the descriptor DMA and the ring.  Accepts NULL.
 * Precondition: TCTL.EN is clear (freeing descriptors the device may still
 * fetch is a DMA fault), and every buffer was returned by reclaim or abort
 * (tx_ring_in_flight() + tx_ring_pending_abort() == 0).  The ring does not own
 * a pool, so buffers still in flight at destroy are NOT returned anywhere:
 * they stay "taken" in their pool, where the leak is visible as
 * pkt_pool_free_count() < pkt_pool_size().  Call tx_ring_abort until it
 * returns 0 first.
 * Context: control.  Locks: none.  May block: yes.
 */
void tx_ring_destroy(struct tx_ring *r);

/*
 * Program TDBAL/TDBAH/TDLEN and TDH = TDT = 0; does NOT touch TCTL.
 * Precondition: TCTL.EN clear.  Software indexes restart at 0.  Buffers still
 * in flight (the device never completed them) are parked and returned by the
 * next tx_ring_abort(), counted as aborted.
 * Context: control.  Locks: none.  May block: no.
 */
void tx_ring_hw_setup(struct tx_ring *r);

/*
 * Write up to n legacy descriptors (EOP | IFCS), one per packet, with RS on
 * the last one and on every TX_RS_INTERVAL-th (counted from the first of this
 * call), then ONE TDT write (none when nothing was accepted, nor while the
 * ring is held: tx_ring_hold).  The device writes DD back only where RS is
 * set: one status write per batch.  Returns how many packets were accepted:
 * ownership of those buffers passes to the ring until reclaim or abort
 * returns them.  Stops at the first packet whose length is 0, larger than
 * the pool's buffer size or larger than TX_DESC_LEN_MAX, or whose buffer
 * index is out of range (counted in rejected), or when the ring is full
 * (counted in full); that packet and the rest stay the caller's.
 * Context: the ring's owner.  Locks: none.  May block: no.
 */
unsigned tx_ring_submit(struct tx_ring *r, struct pkt_pool *pool,
                        const struct pkt_ref *pkts, unsigned n);

/*
 * One doorbell for several submits.  After tx_ring_hold, tx_ring_submit and
 * tx_ring_submit_frames write descriptors and close their batches as usual
 * but leave TDT alone; tx_ring_release writes it once, when anything was
 * submitted since the last write (tail_writes counts that write only).  For
 * a caller whose one request takes several submits: the device is rung
 * once, for all of it.  Hold and release in one section of the ring's owner,
 * with nothing in between that waits for the device: until release, the
 * device does not see what was submitted (reclaim finds no DD there).
 * tx_ring_hw_setup ends a hold, and release never rings for slots that
 * tx_ring_abort took back.
 * Context: the ring's owner.  Locks: none.  May block: no.
 */
void tx_ring_hold(struct tx_ring *r);
void tx_ring_release(struct tx_ring *r);

/*
 * Harvest completed descriptors in ring order: a slot is complete when the RS
 * descriptor of its batch has DD (the device processes descriptors in order,
 * so everything before it in the batch is done too; a DD anywhere else is not
 * looked at).  Stops at the first batch whose RS descriptor has no DD, or
 * after max (a batch may be harvested over several calls); the buffers go to
 * bufs[] and back to the caller (to put in the pool or to complete to an upper
 * layer).  Returns the count.  A DD on the first slot not in flight is counted
 * in spurious_dd and cleared.
 * Context: the ring's owner.  Locks: none.  May block: no.
 */
unsigned tx_ring_reclaim(struct tx_ring *r, uint32_t *bufs, unsigned max);

/*
 * Device stopped: return up to max in-flight buffers (parked ones first, then
 * in ring order) without waiting for DD, and clear their descriptors (context
 * slots too: they return nothing).  Call until it returns 0: then in_flight
 * is 0.  The ring forgets its cached context (the next offloaded frame writes
 * one), as hw_setup does.  Precondition: TCTL.EN clear (else the device may still
 * read a buffer the caller reuses).  The device's TDH/TDT no longer match the
 * software state afterwards: tx_ring_hw_setup before TCTL.EN is set again.
 * Context: the ring's owner / control.  Locks: none.  May block: no.
 */
unsigned tx_ring_abort(struct tx_ring *r, uint32_t *bufs, unsigned max);
/* abort, reporting whole frames as well: *frames (may be NULL) gets how many
 * frames ended among the buffers returned (parked ones: when the last parked
 * buffer is returned), so calls until 0 add up to every frame aborted. */
unsigned tx_ring_abort_frames(struct tx_ring *r, uint32_t *bufs, unsigned max, unsigned *frames);

/* Descriptors owned by the device (submitted, not yet reclaimed/aborted),
 * context descriptors included. */
unsigned tx_ring_in_flight(const struct tx_ring *r);
/* ndesc - 1 - in_flight (- pending_abort, normally 0): one slot always stays
 * empty, so TDT == TDH means "nothing to send" to the device. */
unsigned tx_ring_free_slots(const struct tx_ring *r);
/* Buffers parked by hw_setup, waiting for tx_ring_abort. */
unsigned tx_ring_pending_abort(const struct tx_ring *r);
unsigned tx_ring_size(const struct tx_ring *r);
/* Reads TDH (one MMIO read), for hang detection only.  Context: any. */
uint32_t tx_ring_hw_head(struct tx_ring *r);
void tx_ring_get_stats(const struct tx_ring *r, struct tx_ring_stats *st);
/* Descriptor array and its device address (tests, diagnostics). */
struct e1000_tx_desc *tx_ring_desc(const struct tx_ring *r);
uint64_t tx_ring_desc_iova(const struct tx_ring *r);

/*
 * Frames that span several buffers, and offloads (SDM 3.3.5-3.3.7).
 *
 * A tx_frame is the concatenation of its segments' buffers, all of one
 * frame; off says what the device must do to it.  TX_OFFLOAD_NONE frames go
 * out as legacy descriptors (one per buffer, EOP on the last); CSUM and TSO
 * frames as a TCP/IP context descriptor (written only when the context
 * differs from the one the device last loaded) followed by data descriptors.
 * The ring writes descriptors only: the frame's headers are the caller's,
 * prepared as the device expects them (for TSO: IPv4 total length and header
 * checksum 0, IPv6 payload length 0, the TCP checksum field holding the
 * pseudo-header sum without the length; for CSUM: the pseudo-header sum in
 * the checksum field), and validated by the caller (offsets inside the frame
 * and the first buffer, mss > 0).
 */
enum tx_offload_kind {
	TX_OFFLOAD_NONE = 0,
	TX_OFFLOAD_CSUM,    /* fill in the TCP/UDP checksum (and the IPv4 one if ipv4) */
	TX_OFFLOAD_TSO,     /* segment into mss-sized TCP frames, every checksum filled in */
};

struct tx_offload {
	uint8_t  kind;      /* enum tx_offload_kind */
	uint8_t  ipv4;      /* IPv4 (TUCMD.IP, IP checksum): else IPv6 */
	uint8_t  tcp;       /* TCP (TUCMD.TCP): else UDP (CSUM only) */
	uint8_t  l3_off;    /* IP header start (IPCSS) */
	uint8_t  l4_off;    /* TCP/UDP header start (TUCSS) */
	uint8_t  csum_off;  /* where the TCP/UDP checksum goes, from the frame's start (TUCSO) */
	uint8_t  hdr_len;   /* TSO: L2 + L3 + L4 header bytes, all in the first segment */
	uint16_t mss;       /* TSO: TCP payload bytes per segment, > 0 */
};

struct tx_frame {
	const struct pkt_ref *seg;   /* the frame's buffers, in order */
	unsigned              nseg;  /* >= 1 */
	struct tx_offload     off;
};

/* Descriptors a frame needs at most: its segments plus one context.  A
 * caller that leaves this many free slots (tx_ring_free_slots) is sure the
 * frame fits; submit checks the exact need (no context for NONE frames or
 * when the ring's cached context matches). */
#define TX_FRAME_DESCS(nseg) ((nseg) + 1u)

/*
 * Write descriptors for up to n whole frames (a frame is never split across
 * calls, nor half written: the tail never covers part of one), then ONE TDT
 * write (none when nothing was accepted, nor while the ring is held).
 * TX_OFFLOAD_NONE: legacy descriptors, IFCS on each, EOP on the last.
 * CSUM/TSO: a context descriptor when the context (offsets, TUCMD, and for
 * TSO hdr_len, mss and PAYLEN = frame length - hdr_len) differs from the
 * last one this ring wrote since hw_setup or abort, then data descriptors
 * (DEXT, IFCS, TSE for TSO; POPTS TXSM, and IXSM when ipv4, on the first;
 * EOP on the last).  For ipv4 the context's IP checksum ends at l4_off - 1;
 * IPv6: 0 and no IXSM.
 * RS goes on a frame's last descriptor only: on the last frame accepted,
 * and on the first frame that brings the descriptors since the previous RS
 * to TX_RS_INTERVAL or more.  Returns frames accepted; their buffers belong
 * to the ring until reclaim or abort returns them.  Stops, that frame and the
 * rest staying the caller's, at a frame
 *  - that can never go (counted in rejected): nseg 0 or seg NULL, more
 *    segments than the ring can hold (ndesc - 1, less one with an offload),
 *    a segment of length 0, over the buffer size or TX_DESC_LEN_MAX, or with
 *    an index out of range, kind unknown, TSO with mss 0, hdr_len 0, a frame
 *    not longer than hdr_len or a payload over 20 bits (PAYLEN);
 *  - that does not fit in the free slots now (counted in full).
 * Context: the ring's owner.  Locks: none.  May block: no.
 */
unsigned tx_ring_submit_frames(struct tx_ring *r, struct pkt_pool *pool,
                               const struct tx_frame *f, unsigned n);

/*
 * reclaim, reporting whole frames as well: *frames (may be NULL) gets how many
 * frames' last descriptors were among the slots harvested.  Context slots
 * are freed along the way and return no buffer; max counts buffers, and a
 * harvest it cuts short inside a frame finishes that frame next call (the
 * frame is counted then).  tx_ring_reclaim is this with frames NULL, and a
 * tx_ring_submit packet is a frame of one segment.
 */
unsigned tx_ring_reclaim_frames(struct tx_ring *r, uint32_t *bufs, unsigned max,
                                unsigned *frames);

/* ---------------------------------------------------------------- RX ---- */

/*
 * Allocate an RX ring of ndesc descriptors (power of two in [64, 4096], else
 * -EINVAL) fed from pool (which must outlive the ring).  The pool's buffer
 * size must match what the driver programs in RCTL.BSIZE/BSEX.  On failure
 * nothing is left behind and *out is NULL.  The device is not touched.
 * Context: control.  Locks: none.  May block: yes.
 */
int  rx_ring_create(struct hal_dev *hw, struct pkt_pool *pool, unsigned ndesc,
                    struct rx_ring **out);

/*
 * Return every posted buffer to the pool, free the descriptors and the ring.
 * Accepts NULL.  Precondition: RCTL.EN clear and the pool still alive.
 * Context: control.  Locks: none.  May block: yes.
 */
void rx_ring_destroy(struct rx_ring *r);

/*
 * Program RDBAL/RDBAH/RDLEN and RDH = RDT = 0; does NOT touch RCTL.
 * Precondition: RCTL.EN clear.  Buffers still posted are returned to the pool
 * first (as rx_ring_abort) and software indexes restart at 0; call
 * rx_ring_refill afterwards.
 * Context: control.  Locks: none.  May block: no.
 */
void rx_ring_hw_setup(struct rx_ring *r);

/*
 * Post free pool buffers to empty slots, leaving ONE slot empty so a full ring
 * never has RDT == RDH (which the device reads as "no buffers").  ONE RDT
 * write when anything was posted.  Returns the number posted (0 when the ring
 * is full or the pool is empty).
 * Context: the ring's owner.  Locks: the pool's (internally).  May block: no.
 */
unsigned rx_ring_refill(struct rx_ring *r);

/*
 * Give the ring free buffers (taken from its pool: indexes below its size,
 * which refill posts unchecked) for the next rx_ring_refill
 * to post before it asks the pool for more: a buffer an upper layer gives
 * back while the ring's owner still holds it (a binding returning a frame
 * during its indication) goes round without the pool's lock and flags.
 * Takes at most what that refill can post (the empty slots no recycled
 * buffer already waits for); returns how many it took -- the rest stay the
 * caller's.  They are free buffers the pool does not count until posted and
 * harvested, or until rx_ring_abort (and hw_setup, destroy) puts them back.
 * Context: the ring's owner.  Locks: none.  May block: no.
 */
unsigned rx_ring_recycle(struct rx_ring *r, const uint32_t *bufs, unsigned n);

/*
 * Harvest descriptors with DD in ring order and return up to max good frames
 * in out[] (ownership of those buffers passes to the caller, who puts them
 * back in the pool when done).  Dropped and recycled to the pool, counted:
 * frames spanning several descriptors (a descriptor without EOP, and every
 * descriptor up to and including the one with EOP: bad_frag once per frame),
 * frames with a frame error bit (bad_status), a length of 0 or more than the
 * buffer size (bad_length).  Each harvested descriptor is cleared.  Does not
 * refill: call rx_ring_refill after.
 * Context: the ring's owner.  Locks: the pool's (internally).  May block: no.
 */
unsigned rx_ring_poll(struct rx_ring *r, struct pkt_ref *out, unsigned max);

/*
 * A received frame that may span several descriptors (RCTL.LPE with frames
 * longer than one buffer: SDM 3.2.3, every descriptor but the last without
 * EOP, each holding a full buffer).  Its buffers are segs[seg .. seg + nseg)
 * of the array passed to rx_ring_poll_chained, in order; every one holds
 * buf_size bytes except the last.  status/errors are the last descriptor's
 * (the checksum bits: E1000_RXD_STAT_IXSM/TCPCS/UDPCS/IPCS, _ERR_TCPE/IPE).
 */
struct rx_frame_ref {
	uint32_t len;       /* whole frame, bytes */
	uint16_t seg;       /* first buffer's index in segs[] */
	uint16_t nseg;
	uint8_t  status;
	uint8_t  errors;
};

/*
 * As rx_ring_poll, but a frame of several descriptors is returned whole
 * instead of dropped: up to max frames in out[], their buffers in segs[],
 * which has max_segs entries (>= 1) for the whole call.  A chain is taken
 * only once its EOP descriptor is done; until then it stays on the ring as
 * the device wrote it and the poll stops there.  A chain that does not fit
 * in what is left of segs[] also stays (the poll stops; the next call
 * returns it).  Dropped, counted, buffers back to the pool:
 *  - a chain longer than max_segs, or than the ring can end (no EOP within
 *    ndesc - 1 descriptors): bad_frag, once; the descriptors done so far
 *    are dropped at once and the rest as they complete, up to the EOP;
 *  - frame error bits in the last descriptor: bad_status;
 *  - a descriptor before the last not holding a full buffer, or a last one
 *    of length 0 or over the buffer size: bad_length.
 * received counts frames; len is the sum of the lengths.  rx_ring_poll and
 * this may be mixed on one ring (a chain one started to drop, the other
 * finishes dropping).
 * Context: the ring's owner.  Locks: the pool's (internally).  May block: no.
 */
unsigned rx_ring_poll_chained(struct rx_ring *r, struct rx_frame_ref *out, unsigned max,
                              uint32_t *segs, unsigned max_segs);

/*
 * Device stopped: return every posted buffer (including completed but not yet
 * polled ones) to the pool and clear the descriptors; returns the count.
 * Recycled buffers not yet posted go back to the pool too (not counted).
 * Precondition: RCTL.EN clear.  The device's RDH/RDT no longer match the
 * software state afterwards: rx_ring_hw_setup (then refill) before RCTL.EN is
 * set again.
 * Context: the ring's owner / control.  Locks: the pool's.  May block: no.
 */
unsigned rx_ring_abort(struct rx_ring *r);

/* Buffers posted to the device (including completed, not yet polled). */
unsigned rx_ring_posted(const struct rx_ring *r);

/*
 * Stall detection from another thread (the watchdog).  A device writes a
 * descriptor back (DD) before its head moves past it; poll harvests in ring
 * order, so a device that moves RDH past a descriptor without writing it back
 * stops receive for good.  These readers let a thread that does not own the
 * ring see that: the indexes as the owner published them at the end of its
 * last hw_setup/refill/poll/abort (consumed counts every slot poll or abort
 * moved past: received + dropped + aborted), RDH (one MMIO read), and the DD
 * bit or the whole status byte of one slot (an atomic load).  Poll waits on
 * next_clean, or, when that slot starts a frame of several descriptors (DD
 * without EOP), on the first of the frame's slots not written back yet.
 * Context: any.  Locks: none.  May block: no.
 */
struct rx_ring_progress {
	unsigned next_clean;   /* oldest posted slot: where poll waits for DD */
	unsigned posted;
	uint64_t consumed;
};
void rx_ring_get_progress(struct rx_ring *r, struct rx_ring_progress *p);
bool rx_ring_desc_done(struct rx_ring *r, unsigned slot);
uint8_t rx_ring_desc_status(struct rx_ring *r, unsigned slot);
uint32_t rx_ring_hw_head(struct rx_ring *r);
unsigned rx_ring_size(const struct rx_ring *r);
void rx_ring_get_stats(const struct rx_ring *r, struct rx_ring_stats *st);
struct e1000_rx_desc *rx_ring_desc(const struct rx_ring *r);
uint64_t rx_ring_desc_iova(const struct rx_ring *r);

#endif /* E1K_RING_H */
