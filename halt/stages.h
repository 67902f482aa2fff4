/* SPDX-License-Identifier: MIT */
/*
 * stages.h - the halt stages, in contract order (docs/architecture.md, "The
 * staged halt").
 * The report uses these names.  Ledger entries are tagged with the stage that
 * releases them, so the ledger enforces that each stage gives back exactly
 * what is on top of the stack: reverse order of acquisition.
 */
#ifndef E1K_STAGES_H
#define E1K_STAGES_H

enum e1k_halt_stage {
	E1K_HS_REJECT_NEW_WORK = 0,
	E1K_HS_UNBIND_UPPER,
	E1K_HS_DRAIN_REQUESTS,
	E1K_HS_STOP_RX_TX,
	E1K_HS_MASK_INTERRUPTS,
	E1K_HS_DEREGISTER_INTERRUPTS,
	E1K_HS_DRAIN_DPCS,
	E1K_HS_CANCEL_TIMERS,
	E1K_HS_RECLAIM_TX,
	E1K_HS_AWAIT_RX_RETURNS,
	E1K_HS_RESET_DEVICE,
	E1K_HS_DISABLE_BUS_MASTER,
	E1K_HS_RCU_BARRIER,
	E1K_HS_FREE_DMA,
	E1K_HS_RELEASE_DEVICE,
	E1K_HS_COUNT
};

static inline const char *e1k_halt_stage_name(enum e1k_halt_stage s)
{
	static const char *const names[E1K_HS_COUNT] = {
		"reject-new-work", "unbind-upper", "drain-requests", "stop-rx-tx",
		"mask-interrupts", "deregister-interrupts", "drain-dpcs", "cancel-timers",
		"reclaim-tx", "await-rx-returns", "reset-device", "disable-bus-master",
		"rcu-barrier", "free-dma", "release-device",
	};

	return (unsigned)s < E1K_HS_COUNT ? names[s] : "?";
}

#endif /* E1K_STAGES_H */
