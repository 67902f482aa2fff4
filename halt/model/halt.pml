/*
 * halt.pml - the staged halt (halt/halt.c, e1k_halt_run) and every thread it
 * stops, as a Promela model for spin.  README.md maps each process and each
 * assertion to the C code; halt/model/check runs it.
 *
 * One interleaving step per shared access that matters.  The halt's stage
 * order and the per-reason policy come from halt_tables.pml, generated from
 * halt/stages.h and halt/policy.c (gen_tables.py --check fails on drift).
 *
 * Sizes: MAXHELD receive buffers a binding may hold at once, NWORKERS DPC
 * workers.  Seeded bugs (each must make spin report a violation):
 *   BUG_SWAP_MASK_DEREG   deregister-interrupts runs before mask-interrupts
 *   BUG_FREE_BEFORE_DRAIN free-dma runs before drain-dpcs
 *   BUG_SKIP_TIMER_WAIT   cancel-timers does not wait for a callback that started
 *   BUG_SKIP_AWAIT_RX     no await-rx-returns, and free-dma frees the pool as if
 *                         nothing were held (the halt before the revoke)
 *   BUG_SKIP_BUS_MASTER   disable-bus-master skipped for a present device
 *   BUG_UNBOUNDED_RX_WAIT await-rx-returns waits without a bound (liveness:
 *                         a binding that never returns its buffers)
 */
#ifndef MAXHELD
#define MAXHELD 2
#endif
#ifndef NWORKERS
#define NWORKERS 2
#endif

#define RUNNING 0
#define HALTING 1
#define HALTED  2

byte state = RUNNING;          /* the published adapter state */
bool halted;                   /* ops->halted(): no callback of any kind after */

/* The device, physically. */
bool present = true;           /* on the bus (config space answers) */
bool decoding = true;          /* its BAR answers; else reads are all ones, writes dropped */
bool bm = true;                /* command register: bus mastering */
bool rings_en = true;          /* RCTL.EN / TCTL.EN */
bool ints_on = true;           /* IMS: some cause unmasked */
bool d3;                       /* powered-down: D3hot */
bool irq_line;                 /* an interrupt signalled, not yet taken */
bool rx_frame;                 /* a frame the device wrote into the RX ring */

/* The driver's view. */
bool gone_mark;                /* hal_is_gone: some read returned all ones (confirmed) */
bool h_gone;                   /* the halt's h->gone: no register or config access from here */
bool h_abort_tx;               /* h->abort_tx */
bool quiesced;                 /* device_lost stopped a gone-but-present function */
byte readers;                  /* RCU read-side sections in progress (DPC, sender) */
bool ctl_lock;                 /* the adapter's control lock (the halt holds it throughout) */

/* Memory. */
bool rings_freed;              /* descriptor rings */
bool pool_mapped = true;       /* the RX pool is mapped for the device (IOMMU) */
bool pool_revoked;             /* free-dma took it off the device, memory kept for holders */
bool pool_freed;
bool pool_closed;              /* late returns are counted, not put */

/* Threads and their stop flags. */
bool triggers_on = true;       /* the irq eventfds are armed */
bool irq_stop, dereg_done;
byte irq_alive = 1;
bool dpc_queued, dpc_running, dpc_stop, dpcs_drained;
byte workers_alive = NWORKERS;
bool t_armed = true, t_running, timers_done;
byte tx_inflight;
bool bound = true;
byte held;                     /* receive buffers indicated, not yet returned */
bool binding_returns;          /* chosen at the start: a binding that returns, or never does */

/* The policy of the chosen reason (halt/policy.c through halt_tables.pml). */
byte reason;
bool pol_probe, pol_drain, pol_tx_bound, pol_rx_bound, pol_power_down;

#include "halt_tables.pml"
byte stage_order[NSTAGES];

/* A register access by the halt: never once it knows the device is gone. */
#define HALT_MMIO     assert(!h_gone)
/* A read: all ones from a device that stopped decoding sets the mark. */
#define MMIO_READ     if :: !decoding -> gone_mark = true :: else -> skip fi
/* A config-space access by the halt (presence is the one it may make when gone). */
#define HALT_CONFIG   assert(!h_gone)

/* ---- the device ------------------------------------------------------ */
active proctype device()
{
end:	do
	/* Interrupts while a cause is unmasked.  One after deregistration
	 * has no handler (an interrupt storm on a shared line). */
	:: atomic { present && ints_on && !d3 && !irq_line ->
		assert(!dereg_done); irq_line = true }
	/* DMA while bus mastering and the rings are on: the rings and the
	 * pool must be live and mapped. */
	:: atomic { present && bm && rings_en && !d3 ->
		assert(!rings_freed);
		assert(pool_mapped && !pool_freed);
		rx_frame = true;
		if :: tx_inflight > 0 -> tx_inflight-- :: else -> skip fi }
#ifndef NO_REMOVAL
	/* Surprise removal, at any point. */
	:: atomic { present -> present = false; decoding = false;
		printf("MSG: device surprise-removed\n") }
	/* Stops decoding its BAR but stays on the bus, still mastering it. */
	:: atomic { present && decoding -> decoding = false;
		printf("MSG: device stops decoding its BAR (still on the bus)\n") }
#endif
	od
}

/* ---- the interrupt thread and its ISR (irq/, driver isr) ---------------- */
active proctype irq_thread()
{
end:	do
	:: atomic { triggers_on && irq_line ->
		assert(!dereg_done); assert(!halted);
		irq_line = false }
		/* ICR read; the ISR masks (IMC) and queues the DPC. */
		atomic {
			if
			:: gone_mark -> skip
			:: !gone_mark && !decoding -> gone_mark = true
			:: !gone_mark && decoding -> ints_on = false; dpc_queued = true
			fi }
	:: irq_stop -> break
	od;
	irq_alive = 0
}

/* ---- the DPC workers (irq/dpc.c; the interrupt DPC, driver/datapath.c) ---- */
active [NWORKERS] proctype dpc_worker()
{
	bool running;
end:	do
	/* One DPC object: never runs on two workers at once. */
	:: atomic { dpc_queued && !dpc_running ->
		assert(!dpcs_drained); assert(!halted);
		dpc_queued = false; dpc_running = true;
		readers++; running = (state == RUNNING) }
		/* TX completions, RX harvest: reads the rings (host memory). */
		atomic { assert(!rings_freed && !halted);
			if
			:: running && !gone_mark && rx_frame && bound && held < MAXHELD ->
				assert(!pool_freed); rx_frame = false; held++
			:: else -> skip
			fi;
			/* Interrupts back on only while Running (IMS write). */
			if
			:: running && !gone_mark && decoding -> ints_on = true
			:: else -> skip
			fi;
			readers--; dpc_running = false; running = false }
	:: atomic { dpc_stop && !dpc_queued && !dpc_running -> break }
	od;
	workers_alive--
}

/* ---- the timer service and the watchdog (irq/timer.c, driver/watchdog.c) -- */
active proctype timer_svc()
{
end:	do
	:: atomic { t_armed -> assert(!timers_done && !halted); t_armed = false; t_running = true }
		/* STATUS read: removal detection. */
		atomic { assert(!timers_done && !halted);
			if :: !gone_mark -> MMIO_READ :: else -> skip fi;
			/* Periodic while Running. */
			if :: state == RUNNING -> t_armed = true :: else -> skip fi;
			t_running = false }
	od
}

/* ---- a sender (driver/datapath.c e1k_adapter_send) ----------------------- */
active proctype sender()
{
end:	do
	:: atomic { state == RUNNING && tx_inflight == 0 && !gone_mark ->
		assert(!halted); tx_inflight = 1 }
	od
}

/* ---- a control request (driver/control.c, under the control lock) -------- */
active proctype control()
{
end:	atomic { !ctl_lock -> ctl_lock = true }
	if
	:: state == RUNNING && !gone_mark -> assert(!halted); MMIO_READ
	:: else -> skip            /* refused: halting */
	fi;
	ctl_lock = false
}

/* ---- the upper binding: holds and returns receive buffers -------------- */
active proctype binding()
{
	if :: binding_returns = true :: binding_returns = false fi;
end:	do
	/* e1k_adapter_return_rx.  After a revoke the last return frees the
	 * pool (an atomic exchange decides between it and the halt). */
	:: atomic { binding_returns && held > 0 ->
		held--;
		if
		:: pool_revoked && held == 0 -> assert(!pool_freed); pool_freed = true
		:: else -> skip
		fi }
	od
}

/* ---- the halt (halt/halt.c) -------------------------------------------- */

/* device_lost: one config read decides; a function still on the bus is
 * stopped through config space and the region at once. */
inline device_lost() {
	atomic {
		if
		:: present -> bm = false; rings_en = false; ints_on = false; quiesced = true
		:: else -> skip
		fi }
}

/* halt_check_gone */
inline check_gone(probe) {
	if
	:: h_gone -> skip
	:: else ->
		if :: probe -> HALT_MMIO; MMIO_READ :: else -> skip fi;
		if
		:: gone_mark -> h_gone = true; h_abort_tx = true;
			printf("MSG: halt finds the device gone\n"); device_lost()
		:: else -> skip
		fi
	fi
}

active proctype halt()
{
	byte i, s;

	d_step {
	load_stage_order();
#ifdef BUG_SWAP_MASK_DEREG
	stage_order[4] = S_DEREGISTER_INTERRUPTS; stage_order[5] = S_MASK_INTERRUPTS;
#endif
#ifdef BUG_FREE_BEFORE_DRAIN
	stage_order[6] = S_FREE_DMA; stage_order[7] = S_DRAIN_DPCS; stage_order[8] = S_CANCEL_TIMERS;
	stage_order[9] = S_RECLAIM_TX; stage_order[10] = S_AWAIT_RX_RETURNS;
	stage_order[11] = S_RESET_DEVICE; stage_order[12] = S_DISABLE_BUS_MASTER;
	stage_order[13] = S_RCU_BARRIER;
#endif
	}
	/* The reason, the lock and halt_begin: one step (nothing in it waits). */
	atomic {
#ifdef REASON
	reason = REASON;
#else
	select(reason : 0 .. NREASONS - 1);
#endif
	load_policy(reason);
	printf("MSG: halt reason %d\n", reason);
	!ctl_lock -> ctl_lock = true;
	/* halt_begin: one probe decides. */
	h_abort_tx = !pol_drain;
	if :: !gone_mark -> HALT_MMIO; MMIO_READ :: else -> skip fi;
	h_gone = gone_mark;
	if :: h_gone || pol_probe -> h_abort_tx = true :: else -> skip fi;
	if :: h_gone -> device_lost() :: else -> skip fi }

	i = 0;
	do
	:: i < NSTAGES ->
		/* A stage is one atomic step up to its first wait (where other
		 * threads run) and, for the stages that write registers, a second
		 * step with the writes: the device may vanish between the probe
		 * and the write, as it may in C. */
		atomic {
		s = stage_order[i];
		printf("MSG: halt stage %d\n", s);
		check_gone(false);
		if
		:: s == S_REJECT_NEW_WORK ->
			state = HALTING;
			readers == 0                    /* grace period */
		:: s == S_UNBIND_UPPER ->
			bound = false;
			readers == 0;
			assert(!halted);                /* the binding's unbind callback */
			check_gone(true);
			if :: !h_gone -> HALT_MMIO /* filters cleared */ :: else -> skip fi
		:: s == S_DRAIN_REQUESTS ->
			check_gone(true);
			if
			:: tx_inflight == 0 || h_abort_tx
			:: pol_tx_bound -> skip         /* the bound passed */
			fi
		:: s == S_STOP_RX_TX ->
			check_gone(true)                /* may_touch; the writes below */
		:: s == S_MASK_INTERRUPTS ->
			check_gone(true)                /* may_touch; the writes below */
		:: s == S_DEREGISTER_INTERRUPTS ->
			triggers_on = false; irq_stop = true;
			irq_alive == 0;                 /* join */
			dereg_done = true
		:: s == S_DRAIN_DPCS ->
			!dpc_queued && !dpc_running;    /* dpc_flush */
			dpc_stop = true;
			workers_alive == 0;             /* join */
			dpcs_drained = true
		:: s == S_CANCEL_TIMERS ->
			if :: t_armed -> t_armed = false :: else -> skip fi;
#ifndef BUG_SKIP_TIMER_WAIT
			!t_running;                     /* fired: wait for the callback */
#endif
			timers_done = true
		:: s == S_RECLAIM_TX ->
			tx_inflight = 0                 /* the rest aborted */
		:: s == S_AWAIT_RX_RETURNS ->
#ifndef BUG_SKIP_AWAIT_RX
			rx_frame = false;               /* posted buffers back to the pool */
#ifndef BUG_UNBOUNDED_RX_WAIT
			if
			:: held == 0
			:: pol_rx_bound -> skip         /* the bound passed: revoked at free-dma */
			fi;
#else
			held == 0;                      /* no bound */
#endif
			pool_closed = true
#else
			skip
#endif
		:: s == S_RESET_DEVICE ->
			check_gone(true)                /* the reset below */
		:: s == S_DISABLE_BUS_MASTER ->
			check_gone(false);
#ifndef BUG_SKIP_BUS_MASTER
			if :: !h_gone -> HALT_CONFIG; bm = false :: else -> skip fi
#else
			skip
#endif
		:: s == S_RCU_BARRIER ->
			readers == 0
		:: s == S_FREE_DMA ->
			if
			:: present && bm -> skip        /* bus mastering on: memory kept */
			:: else ->
				rings_freed = true;
#ifndef BUG_SKIP_AWAIT_RX
				if
				:: held > 0 -> pool_mapped = false; pool_revoked = true
				:: else -> pool_freed = true
				fi
#else
				assert(held == 0);      /* never freed under a holder */
				pool_freed = true
#endif
			fi
		:: s == S_RELEASE_DEVICE ->
			skip
		fi }
		/* The register writes of stop-rx-tx, mask-interrupts, reset-device. */
		atomic {
		if
		:: !h_gone && s == S_STOP_RX_TX -> HALT_MMIO;
			if :: decoding -> rings_en = false :: else -> skip fi;
			MMIO_READ                        /* flush */
		:: !h_gone && s == S_MASK_INTERRUPTS -> HALT_MMIO;
			if :: decoding -> ints_on = false :: else -> skip fi;
			MMIO_READ                        /* flush */
		:: !h_gone && s == S_RESET_DEVICE -> HALT_MMIO;
			if :: decoding -> rings_en = false; ints_on = false :: else -> skip fi;
			MMIO_READ;                       /* the poll: -ENODEV when all ones */
			check_gone(false);
			if
			:: !h_gone && pol_power_down -> HALT_CONFIG; d3 = true; decoding = false
			:: else -> skip
			fi
		:: else -> skip
		fi;
		i++ }
	:: else -> break
	od;

	/* Halted.  A function still on the bus is left unable to master it. */
	atomic { halted = true; state = HALTED; assert(!(present && bm)) };
	ctl_lock = false
}

/* The halt finishes, for every reason, with or without removal (checked
 * under weak fairness: pan -a -f). */
ltl halts { <> halted }
