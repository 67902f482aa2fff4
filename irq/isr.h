/* SPDX-License-Identifier: MIT */
/*
 * isr.h - the device ISR, driven by the interrupt thread (irq_handler_fn).
 *
 * Lifecycle:
 *   isr_init(c, ...)                    before the vectors are registered
 *   irq_thread_add(it, efd, isr_handle, c, vector)
 *     ISR: read ICR, mask (IMC), MSI-X: clear what was read (W1C), record
 *          causes, queue the DPC, INTx unmask
 *     DPC: isr_take_causes(c), handle them, isr_reenable(c)
 *   driver deregisters the vectors and stops the irq thread, then sets
 *   c->deregistered: any ISR after that is counted (isr_after_deregister).
 *
 * The ISR does the minimum (style rule 7): everything else is the DPC's.
 * It masks the device (IMC all ones) BEFORE queueing the DPC: the DPC
 * re-enables with IMS, and that write must come after our mask, or an
 * interrupt enabled by the DPC could be masked forever by a late IMC.
 *
 * INTx: VFIO automasks INTx after each signal; the ISR unmasks it once the
 * device is masked (so the line, shared or not, cannot scream) and also when
 * the interrupt was not ours (ICR read 0: another device on the line).
 * After an all-ones read (device may be gone) nothing is touched, INTx stays
 * masked, and on_all_ones tells the driver, which decides (config space
 * check, surprise-removal halt).
 *
 * Threading: isr_handle runs on the interrupt thread only (one at a time);
 * isr_take_causes / isr_reenable in the DPC -- a pool worker, or the
 * interrupt thread itself once the ISR and the other handlers of its round
 * returned (irq_thread.h, "DPCs inline"): never inside the ISR, so the mask
 * above still precedes the DPC's IMS write; counters are atomics readable
 * from any thread.
 */
#ifndef E1K_IRQ_ISR_H
#define E1K_IRQ_ISR_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "dpc.h"
#include "hal.h"

struct isr_ctx {
	struct hal_dev *hw;
	enum hal_irq_index mode;       /* HAL_IRQ_INTX, HAL_IRQ_MSI or HAL_IRQ_MSIX */
	struct dpc_pool *pool;
	struct dpc *dpc;               /* queued when causes were recorded */
	uint32_t enabled_mask;         /* what IMS is normally set to (the DPC re-enables with it) */
	atomic_uint causes;            /* ICR bits accumulated for the DPC */
	atomic_bool deregistered;      /* set by the driver once deregistration returned: any ISR after it is counted */
	atomic_ulong runs, not_ours, isr_after_deregister, all_ones;
	void (*on_all_ones)(void *ctx); void *on_all_ones_ctx;  /* ICR read 0xffffffff: device may be gone; called, no register touched after */
	/* Added: ISR calls after the device was marked gone (hal_is_gone): ICR
	 * is not even read, nothing is touched, INTx stays masked. */
	atomic_ulong gone;
	/* Added: DPC queues that returned false (already queued, or pool
	 * draining): the causes are still recorded for the pending run. */
	atomic_ulong dpc_not_queued;
};

/*
 * isr_init - fill @c; counters and causes zero, not deregistered, no
 * on_all_ones callback (set c->on_all_ones / on_all_ones_ctx after).
 * Context: control, before the ISR can run.
 */
void isr_init(struct isr_ctx *c, struct hal_dev *hw, enum hal_irq_index mode,
              struct dpc_pool *pool, struct dpc *dpc, uint32_t enabled_mask);

/*
 * isr_handle - the irq_handler_fn (ctx is the struct isr_ctx).  Every call
 * counts in runs, then:
 *   deregistered            -> count isr_after_deregister, touch nothing
 *   device gone             -> count gone, touch nothing
 *   ICR == 0                -> not ours (INTx: unmask), return
 *   ICR == all ones         -> all_ones, on_all_ones(ctx), return: no unmask,
 *                              no register
 *   else                    -> IMC all ones, causes |= ICR, dpc_queue (on
 *                              the interrupt thread an IDLE DPC is claimed:
 *                              it runs there after this call), then for
 *                              INTx hal_irq_unmask(hw, HAL_IRQ_INTX, 0)
 * Context: interrupt thread.  Locks: the DPC pool mutex, briefly.
 * May block: no.
 */
void isr_handle(void *ctx, uint32_t vector);

/*
 * isr_take_causes - the causes recorded since the last call, and reset them.
 * Context: DPC.  Locks: none (atomic exchange, acquire: pairs with the ISR's
 * release fetch_or, though the DPC queue already orders the two).
 */
uint32_t isr_take_causes(struct isr_ctx *c);

/*
 * isr_reenable - write enabled_mask to IMS, unless the vectors were
 * deregistered or the device is gone (the DPC re-enables only when not
 * halting: style rule 7).  Returns true when it wrote IMS.
 * Context: DPC.
 */
bool isr_reenable(struct isr_ctx *c);

#endif /* E1K_IRQ_ISR_H */
