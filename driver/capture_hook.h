/* SPDX-License-Identifier: MIT */
/*
 * capture_hook.h - the datapath's calls into the capture tap (capture.h),
 * for datapath.c only: an inline test of ad->capture, the work out of line.
 *
 * Context: the caller is inside an RCU read-side section (the grace period
 * of e1k_adapter_capture_detach keeps the ring alive); see capture.h.
 */
#ifndef E1K_DRIVER_CAPTURE_HOOK_H
#define E1K_DRIVER_CAPTURE_HOOK_H

#include "adapter_internal.h"
#include "capture.h"

void e1k_capture_rx_frames(struct e1k_adapter *ad, struct e1k_capture *c,
                           const struct rx_frame_ref *r, const uint32_t *segs, unsigned n);
void e1k_capture_tx_frames(struct e1k_capture *c, const struct e1k_frame *f, unsigned n);
void e1k_capture_tx_borrowed(struct e1k_adapter *ad, struct e1k_capture *c,
                             const struct e1k_tx_borrowed *fr, unsigned n);

#ifdef E1K_BENCH_NO_CAPTURE_HOOK
/* The datapath as before the tap existed: the bench's baseline for what
 * capture-off costs (docs/benchmarks.md).  Never in a product build. */
#define e1k_capture_rx_hook(ad, r, segs, n) ((void)0)
#define e1k_capture_tx_hook(ad, f, n) ((void)0)
#define e1k_capture_tx_borrowed_hook(ad, fr, n) ((void)0)
#else
/* Frames harvested from the RX ring, before they are indicated. */
static inline void e1k_capture_rx_hook(struct e1k_adapter *ad, const struct rx_frame_ref *r,
                                       const uint32_t *segs, unsigned n)
{
	struct e1k_capture *c = e1k_rcu_deref(&ad->capture);

	if (__builtin_expect(c != NULL, 0))
		e1k_capture_rx_frames(ad, c, r, segs, n);
}

/* Frames a sender handed over and the ring accepted (the caller's copy). */
static inline void e1k_capture_tx_hook(struct e1k_adapter *ad, const struct e1k_frame *f, unsigned n)
{
	struct e1k_capture *c = e1k_rcu_deref(&ad->capture);

	if (__builtin_expect(c != NULL && n > 0, 0))
		e1k_capture_tx_frames(c, f, n);
}

/* Borrowed frames the ring accepted.  Called under tx_lock: their buffers
 * are only reclaimed under it, so they still hold the frame. */
static inline void e1k_capture_tx_borrowed_hook(struct e1k_adapter *ad,
                                                const struct e1k_tx_borrowed *fr, unsigned n)
{
	struct e1k_capture *c = e1k_rcu_deref(&ad->capture);

	if (__builtin_expect(c != NULL && n > 0, 0))
		e1k_capture_tx_borrowed(ad, c, fr, n);
}
#endif

#endif
