/* SPDX-License-Identifier: MIT */
/*
 * itr.h - adaptive interrupt moderation: the interval the device waits
 * between interrupts (ITR), chosen from the frame rate the adapter sees.
 *
 * Why: every interrupt costs a wake-up of the interrupt thread, the ISR's
 * register accesses and a DPC run, whatever it carries -- on the QEMU rig
 * some 150 us of the vCPU each (docs/benchmarks.md).  At a moderate load
 * whose frames arrive one by one, a short fixed interval means one interrupt
 * per frame; a long fixed interval costs latency to request/response traffic
 * that comes in twos and threes, and at a high rate a fixed interval either
 * wakes often for little or lets the RX ring fill.  So the interval follows
 * the rate: the configured floor while frames are rare, and once they are
 * not, the interval in which E1K_ITR_BATCH frames arrive -- the CPU spent on
 * interrupts then grows with the load (one interrupt per batch), not with
 * the interrupt rate the floor allows -- up to the ceiling, which bounds the
 * latency moderation adds.  A lone frame after a quiet spell is never
 * delayed: the device's interval counts from the previous interrupt.
 *
 * The rule, with R the frame rate (received + transmitted, frames per
 * second) over a window of at least E1K_ITR_WINDOW_NS, F the floor and T the
 * ceiling:
 *   R * T <  E1K_ITR_DOWN_FRAMES                  -> F (a trickle)
 *   at F, and R * T < E1K_ITR_UP_FRAMES           -> F (hysteresis: a rate
 *                                                    near the threshold does
 *                                                    not flap)
 *   otherwise  clamp(B / R, F, T), kept unchanged while it is
 *              within a quarter of the current interval (no register write
 *              for a rate that wobbles)
 * where B is E1K_ITR_BATCH, or a quarter of the RX ring when that is smaller
 * (a smaller ring must not fill between two interrupts).
 * A window spans the time from its first sample to the sample that closes
 * it, so a quiet spell with no interrupt at all counts as a low rate when
 * traffic resumes.
 *
 * Context: one moderator per adapter, driven by its interrupt DPC only (a
 * DPC never runs twice at once): no locking.  Pure: no clock, no registers;
 * the caller passes the time and the frame count and writes the interval.
 */
#ifndef E1K_ITR_H
#define E1K_ITR_H

#include <stdbool.h>
#include <stdint.h>

#define E1K_ITR_WINDOW_NS    2000000ull   /* 2 ms */
#define E1K_ITR_UP_FRAMES    2u           /* frames per ceiling interval to leave the floor */
#define E1K_ITR_DOWN_FRAMES  1u           /* ... below which to come back to it */
#define E1K_ITR_BATCH        64u          /* frames an interrupt should carry, at most */

struct e1k_itr {
	unsigned floor_ns, ceil_ns;   /* ceil_ns 0: fixed at floor_ns */
	unsigned cur_ns;
	unsigned batch;               /* frames per interrupt aimed at (E1K_ITR_BATCH) */
	uint64_t win_t0;              /* window start (ns) */
	uint64_t win_frames0;         /* the frame count at its start */
	bool     started;
};

/* Start (or restart, after the device was programmed with floor_ns) at the
 * floor; rx_ring is the RX ring's size (0: no limit on the batch). */
void e1k_itr_init(struct e1k_itr *m, unsigned floor_ns, unsigned ceil_ns, unsigned rx_ring);

/* One sample: now (ns, monotonic) and the adapter's running total of frames
 * moved.  True when the interval should change; *ns is the new one. */
bool e1k_itr_sample(struct e1k_itr *m, uint64_t now, uint64_t frames, unsigned *ns);

#endif
