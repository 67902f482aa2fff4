/* SPDX-License-Identifier: MIT */
/*
 * halt.h - the staged halt (NDIS MiniportHaltEx) as a small framework, and
 * its report.
 *
 * The framework owns the halt's rules: the stage order (stages.h), the
 * per-reason policy (policy.h), the bounds, the removal rules (a device found
 * gone is never touched again), the ledger discipline (each stage releases
 * only its own entries, from the top: reverse order of acquisition), the
 * verifier counters and the report.  What a stage does to a particular device
 * is behind struct e1k_halt_ops, which the driver fills in (a static const
 * table, driver/adapter_halt.c); the framework never sees the driver's
 * objects, only the generic resources of the layers below it (the ledger,
 * the DPC pool and timers of irq/).
 *
 * Context: e1k_halt_run() runs on the halting thread, which must not be one of
 * the threads it stops (irq, DPC, timer): the stages join them.  The ops run
 * on that same thread, under whatever the driver holds across the halt (the
 * adapter's control lock).  May block: yes (bounded waits, thread joins).
 */
#ifndef E1K_HALT_H
#define E1K_HALT_H

#include <stdbool.h>
#include <stdint.h>

#include "hal.h"
#include "ledger.h"
#include "policy.h"
#include "reasons.h"
#include "stages.h"
#include "states.h"

struct dpc_pool;
struct ktimer;
struct timer_svc;

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
	uint64_t dma_live_frees;       /* memory freed while the device could reach it */
	uint64_t isr_after_deregister;
	uint64_t dpc_after_drain;
	uint64_t callbacks_after_halted;
	uint64_t rx_buffers_outstanding;
	uint64_t mmio_after_removal;
	uint64_t total_ns;
	bool     device_gone;          /* no register access (gone, or its BAR stopped decoding) */
	enum hal_presence device_found; /* what a device that read all ones turned out to be */
	char     device[64];
};

/* Halt bounds (ms), overriding the reason's policy (policy.h) for tests and
 * benchmarks.  A device found gone still waits on nothing. */
struct e1k_halt_bounds {
	unsigned tx_drain_ms;
	unsigned rx_return_ms;
};

/* What the verifier saw: callbacks that ran where the contract forbids, and
 * device accesses after removal.  Filled by the driver's verifier op. */
struct e1k_halt_verifier {
	uint64_t dma_faults;             /* the backend's DMA checker (hal table) */
	uint64_t dma_live_frees;         /* ... and memory it saw freed while reachable */
	uint64_t isr_after_deregister;
	uint64_t dpc_after_drain;
	uint64_t callbacks_after_halted;
	uint64_t mmio_after_removal;     /* cumulative; the framework takes the halt's part */
};

/* The upper edge as unbind-upper found it. */
struct e1k_halt_unbound {
	unsigned bindings, unicast, multicast;
	bool promisc;
};

/* The timers cancel-timers must cancel (and wait for, if they fired). */
struct e1k_halt_timers {
	struct timer_svc *svc;          /* NULL: none */
	struct ktimer *const *timer;
	unsigned n;
};

/*
 * The device side of the halt.  Every op is required; each does one thing to
 * the device or the driver's state and decides nothing: when an op runs (or
 * is skipped) is the framework's call.  `dev` is the driver's object.
 */
struct e1k_halt_ops {
	/* ---- what the halt reads ---- */
	const char *(*name)(void *dev);
	enum e1k_state (*state)(void *dev);        /* published state at the start */
	struct ledger *(*ledger)(void *dev);
	bool (*shutdown_done)(void *dev);          /* MiniportShutdownEx already ran */
	/* Removal: is_gone reads the mark only; probe_gone also reads the device
	 * once (all ones, confirmed) and may set the mark.  Both return the mark. */
	bool (*is_gone)(void *dev);
	bool (*probe_gone)(void *dev);
	/* After the mark is set: is the function still on the bus (config
	 * space answers)?  And if so, stop it without its BAR mapping: bus
	 * mastering and memory decoding off through config space, RX/TX off
	 * and a reset through the backend's region access, a function reset
	 * where the backend offers one (*reset says whether it did).  0 or a
	 * negative errno. */
	enum hal_presence (*presence)(void *dev);
	int  (*quiesce)(void *dev, bool *reset);
	/* Could the device still master the bus (read from config space,
	 * whatever the removal mark says)?  false for a function that is gone. */
	bool (*bus_master_on)(void *dev);
	void (*verifier)(void *dev, struct e1k_halt_verifier *v);
	/* A warning the halt wants said (the driver's log). */
	void (*warn)(void *dev, const char *msg);

	/* ---- stage actions, in stage order ---- */
	void (*reject_new_work)(void *dev);        /* publish Halting, grace period */
	/* Remove every binding and every receive filter from the published
	 * state in one publication, wait out receives in progress, then call
	 * each binding's unbind.  Fills what there was. */
	int  (*unbind_upper)(void *dev, struct e1k_halt_unbound *was);
	void (*clear_filters)(void *dev);          /* write the empty filters to the device */
	/* Reclaim sends the device completed (when reclaim) and return how many;
	 * *in_flight gets what is still posted. */
	unsigned (*tx_reclaim)(void *dev, bool reclaim, unsigned *in_flight);
	unsigned (*tx_abort)(void *dev);           /* the transmitter is stopped */
	void (*stop_rx_tx)(void *dev);
	/* Mask every cause; returns the microseconds it waited for the
	 * device's interrupt throttling to expire. */
	unsigned (*mask_interrupts)(void *dev);
	const char *(*irq_mode)(void *dev);        /* "intx", "msi", "msix" */
	struct dpc_pool *(*dpcs)(void *dev);       /* NULL: none */
	void (*timers)(void *dev, struct e1k_halt_timers *t);
	/* Frames the device wrote after indications stopped go back to the
	 * pool (*dropped), then the buffers still posted (*posted). */
	void (*rx_flush)(void *dev, unsigned *dropped, unsigned *posted);
	uint64_t (*rx_outstanding)(void *dev);     /* indicated, not yet returned */
	void (*rx_close_pool)(void *dev);          /* late returns are counted, not put */
	/* Buffers are still held at free-dma: take the pool's memory off the
	 * device but keep it for the holders; it is freed when the last one is
	 * returned (or never, if it never is).  0 or a negative errno (then the
	 * memory stays where it is: never freed under a holder). */
	int  (*rx_revoke)(void *dev, uint64_t held);
	/* Reset within timeout_us and leave nothing armed: 0, -ENODEV (it read
	 * all ones meanwhile), -ETIMEDOUT or another errno. */
	int  (*reset)(void *dev, unsigned timeout_us);
	/* Arm wake-up and enter D3hot: 0; -ENOENT when the function has no
	 * power management (it stays in D0); another errno on failure. */
	int  (*power_down)(void *dev);
	void (*rcu_barrier)(void *dev);            /* grace period + pending callbacks */
	void (*halted)(void *dev);                 /* publish Halted: no callback after */
};

/*
 * Run the fifteen stages for `reason` on `dev`.  rep is filled completely.
 * Returns 0 when every stage ended ok or skipped and the ledger is empty,
 * -EIO otherwise (the device side is Halted either way), -EINVAL for a bad
 * reason (nothing done).
 */
int e1k_halt_run(const struct e1k_halt_ops *ops, void *dev, enum e1k_halt_reason reason,
                 const struct e1k_halt_bounds *bounds, struct e1k_halt_report *rep);

/* 0 when every stage is ok/skipped, every verifier counter is zero, nothing
 * is held and the final state is Halted; -EIO otherwise. */
int e1k_halt_report_clean(const struct e1k_halt_report *rep);

#endif /* E1K_HALT_H */
