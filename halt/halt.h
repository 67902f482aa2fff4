/* SPDX-License-Identifier: MIT */
/*
 * halt.h - the staged halt (NDIS MiniportHaltEx) and its report.
 *
 * e1k_adapter_halt() may be called from any state after a successful
 * initialize, from any thread that is not one of the adapter's own (irq, DPC,
 * timer) threads: it joins them.  It runs the stages of stages.h in order,
 * each either done, skipped by the reason's policy (with why), cut short by
 * a bound (timeout), or failed (error); a failed stage never stops the later
 * ones, because everything must still be given back.  When it returns the
 * adapter is Halted: no ISR, DPC, timer or indication runs any more, and
 * every ledger entry has been released in reverse order of acquisition.
 *
 * Idempotent: a second call returns the first call's report.
 */
#ifndef E1K_HALT_H
#define E1K_HALT_H

#include <stdint.h>

#include "adapter.h"
#include "json.h"
#include "ledger.h"
#include "reasons.h"
#include "stages.h"

enum e1k_stage_result { E1K_SR_OK, E1K_SR_SKIPPED, E1K_SR_TIMEOUT, E1K_SR_ERROR };
const char *e1k_stage_result_name(enum e1k_stage_result r);

struct e1k_stage_report {
	enum e1k_stage_result result;
	uint64_t start_ns, end_ns;    /* CLOCK_MONOTONIC */
	char detail[200];
};

struct e1k_halt_report {
	enum e1k_halt_reason reason;
	enum e1k_state from_state, final_state;
	struct e1k_stage_report stages[E1K_HS_COUNT];
	struct ledger ledger;          /* copy, after the last release */
	uint64_t dma_faults;
	uint64_t isr_after_deregister;
	uint64_t dpc_after_drain;
	uint64_t callbacks_after_halted;
	uint64_t rx_buffers_outstanding;
	uint64_t mmio_after_removal;
	uint64_t total_ns;
	bool     device_gone;
	char     device[64];
};

/* Halt bounds (ms).  Graceful reasons use the long ones; failed and
 * initialization-failed the short ones; surprise-removed waits on no hardware. */
struct e1k_halt_bounds {
	unsigned tx_drain_ms;       /* default 200 (short: 10) */
	unsigned rx_return_ms;      /* default 2000 (short: 200) */
};

/* Returns 0 when every stage ended ok or skipped, -EIO when one timed out or
 * failed (the adapter is Halted either way), -EINVAL for a bad reason.
 * rep may be NULL.  Frees nothing the caller owns: call
 * e1k_adapter_destroy() afterwards. */
int e1k_adapter_halt(struct e1k_adapter *ad, enum e1k_halt_reason reason,
                     struct e1k_halt_report *rep);
/* Same, with explicit bounds (NULL: defaults). */
int e1k_adapter_halt_bounded(struct e1k_adapter *ad, enum e1k_halt_reason reason,
                             const struct e1k_halt_bounds *b, struct e1k_halt_report *rep);

/* The report as the JSON document of the brief (an object). */
void e1k_halt_report_json(const struct e1k_halt_report *rep, struct jbuf *out);
/* 0 when every stage is ok/skipped and every verifier counter is zero. */
int e1k_halt_report_clean(const struct e1k_halt_report *rep);

#endif /* E1K_HALT_H */
