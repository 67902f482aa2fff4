/* SPDX-License-Identifier: MIT */
/* isr.c - the device ISR (see isr.h for the contract and the ordering). */
#include "isr.h"

static void count(atomic_ulong *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

void isr_init(struct isr_ctx *c, struct hal_dev *hw, enum hal_irq_index mode,
              struct dpc_pool *pool, struct dpc *dpc, uint32_t enabled_mask)
{
	c->hw = hw;
	c->mode = mode;
	c->pool = pool;
	c->dpc = dpc;
	c->enabled_mask = enabled_mask;
	atomic_init(&c->causes, 0);
	atomic_init(&c->deregistered, false);
	atomic_init(&c->runs, 0);
	atomic_init(&c->not_ours, 0);
	atomic_init(&c->isr_after_deregister, 0);
	atomic_init(&c->all_ones, 0);
	c->on_all_ones = NULL;
	c->on_all_ones_ctx = NULL;
	atomic_init(&c->gone, 0);
	atomic_init(&c->dpc_not_queued, 0);
}

/* VFIO automasks INTx after each signal (hal.h irq_unmask). */
static void isr_intx_unmask(struct isr_ctx *c)
{
	if (c->mode == HAL_IRQ_INTX)
		(void)hal_irq_unmask(c->hw, HAL_IRQ_INTX, 0);
}

void isr_handle(void *ctx, uint32_t vector)
{
	struct isr_ctx *c = ctx;
	uint32_t icr;

	(void)vector;   /* one cause register for every vector of these MACs */
	count(&c->runs);
	/* Acquire: pairs with the driver's release store after deregistration
	 * returned.  An ISR after it must not touch a device being torn down. */
	if (atomic_load_explicit(&c->deregistered, memory_order_acquire)) {
		count(&c->isr_after_deregister);
		return;
	}
	/* Removal already detected: not even ICR is read (surprise-removed
	 * policy: no register access after removal). */
	if (hal_is_gone(c->hw)) {
		count(&c->gone);
		return;
	}

	icr = hal_rd32(c->hw, E1000_ICR);   /* read-to-clear: we own these causes now */
	if (icr == E1000_REG_ALL_ONES) {
		count(&c->all_ones);
		if (c->on_all_ones)
			c->on_all_ones(c->on_all_ones_ctx);
		return;                      /* no unmask: a gone device must stay quiet */
	}
	if (icr == 0) {
		count(&c->not_ours);         /* shared INTx line, or a coalesced signal */
		isr_intx_unmask(c);
		return;
	}

	/* Mask first: the DPC's IMS write must come after this (see isr.h). */
	hal_wr32(c->hw, E1000_IMC, E1000_IMS_ALL);
	/* [82574] MSI-X: the read above cleared nothing while IMS was set
	 * (82574 10.2.4.x): write back what we took, or the DPC's IMS write
	 * raises the same causes again.  Causes that came since stay. */
	if (c->mode == HAL_IRQ_MSIX)
		hal_wr32(c->hw, E1000_ICR, icr & ~E1000_ICR_INT_ASSERTED);
	/* Release: pairs with isr_take_causes' acquire exchange. */
	atomic_fetch_or_explicit(&c->causes, icr, memory_order_release);
	if (!dpc_queue(c->pool, c->dpc))
		count(&c->dpc_not_queued);
	isr_intx_unmask(c);
}

uint32_t isr_take_causes(struct isr_ctx *c)
{
	return atomic_exchange_explicit(&c->causes, 0, memory_order_acquire);
}

bool isr_reenable(struct isr_ctx *c)
{
	if (atomic_load_explicit(&c->deregistered, memory_order_acquire) || hal_is_gone(c->hw))
		return false;
	hal_wr32(c->hw, E1000_IMS, c->enabled_mask);
	return true;
}
