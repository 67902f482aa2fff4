/* SPDX-License-Identifier: MIT */
/*
 * adapter_internal.h - the adapter object, shared by the files of driver/
 * only (no other folder includes it).  Not a public interface.
 *
 * File map: config.c (names, configuration), pub.c (RCU publication of the
 * state), init.c (initialize and its ledger), adapter.c (restart, pause,
 * shutdown, destroy), control.c (requests, bindings, statistics),
 * datapath.c (send, receive, the interrupt DPC, removal detection),
 * watchdog.c (the timer), adapter_halt.c (the device side of the staged
 * halt), hw.c (the registers).
 *
 * Lock order: ctl_lock, then tx_lock, then stats_lock.  ctl_lock is held by
 * every control request and across the whole halt (binding callbacks
 * included); tx_lock by senders, TX reclaim and the watchdog (trylock);
 * stats_lock only around the accumulators.
 */
#ifndef E1K_ADAPTER_INTERNAL_H
#define E1K_ADAPTER_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "adapter.h"
#include "dpc.h"
#include "e1k_rcu.h"
#include "halt.h"
#include "hw.h"
#include "irq_thread.h"
#include "isr.h"
#include "itr.h"
#include "ledger.h"
#include "pool.h"
#include "ring.h"
#include "stages.h"
#include "timer.h"

#define E1K_UC_MAX  (E1000_RAR_ENTRIES - 1)  /* RAR 0 is the station address */
#define E1K_MC_MAX  64u
#define E1K_MAX_VECTORS 3u                   /* MSI-X: RXQ0, TXQ0, OTHER */
/* The most buffers TX keeps from reclaim for the next send (tx_stash); at
 * most an eighth of the pool, so an idle sender never holds what RX needs. */
#define E1K_TX_STASH 256u

/*
 * What the datapath, the ISR, the DPCs and the timers read.  Published as a
 * whole with e1k_rcu_publish and never modified after publication: an update
 * copies, changes the copy, publishes it and frees the old one with call_rcu.
 * Updaters hold ad->ctl_lock.
 */
struct e1k_pub {
	enum e1k_state state;
	bool     halting;      /* set with HALTING: DPCs must not re-enable interrupts */
	unsigned mtu;
	bool     promisc;
	unsigned nuc, nmc;
	uint8_t  uc[E1K_UC_MAX][6];
	uint8_t  mc[E1K_MC_MAX][6];
	unsigned nbind;
	struct {
		const struct e1k_binding_ops *ops;
		void *ctx;
	} bind[E1K_MAX_BINDINGS];
	struct e1k_rcu_head rcu;
};

struct e1k_adapter {
	struct hal_dev     *hw;
	struct e1k_config   cfg;
	struct e1k_owner_ops owner;
	uint8_t             mac[6];
	enum e1k_irq_mode   irq_mode;

	/* Control path: serialises state changes and publication. */
	pthread_mutex_t     ctl_lock;
	struct e1k_pub *_Atomic pub;

	/* Resources, each recorded in the ledger right after acquisition. */
	struct ledger       ledger;
	struct pkt_pool    *pool;
	struct tx_ring     *tx;
	struct rx_ring     *rx;
	struct timer_svc   *timers;
	struct ktimer       watchdog;
	struct ktimer      *halt_timers[1]; /* what cancel-timers cancels */
	struct dpc_pool    *dpcs;
	struct dpc          dpc_intr;     /* RX + TX completion + link */
	void              (*dpc_probe)(void *ctx);   /* benchmarks only */
	void               *dpc_probe_ctx;
	struct irq_thread  *irqt;
	int                 efd[E1K_MAX_VECTORS];
	unsigned            nvec;
	int                 req_efd;
	struct isr_ctx      isr;
	bool                irq_registered;
	bool                req_registered;

	/* TX: e1k_adapter_send and TX reclaim in the DPC serialise on tx_lock. */
	pthread_mutex_t     tx_lock;
	/* Buffers TX reclaim took back, kept (under tx_lock) for the next send
	 * instead of the pool: no pool lock or free flag per buffer either way.
	 * Free buffers all the same: statistics count them as the pool's, and
	 * e1k_tx_abort_locked (pause, halt) puts them back. */
	uint32_t            tx_stash[E1K_TX_STASH];
	unsigned            tx_nstash;
	/* Senders asleep in e1k_adapter_tx_wait (under tx_lock).  A reclaim
	 * that frees descriptors broadcasts tx_room only while tx_waiters is
	 * nonzero; e1k_set_state (leaving Running) and e1k_adapter_tx_wake
	 * broadcast it too.  CLOCK_MONOTONIC. */
	pthread_cond_t      tx_room;
	unsigned            tx_waiters;
	/* TX completion causes enabled only while a sender waits (set at
	 * initialize from e1k_config.tx_irq_on_demand; 0: always enabled).
	 * Nobody else needs the interrupt: a sender reclaims before it
	 * submits, every DPC run reclaims, and the watchdog reclaims each
	 * period; a waiter looks at the ring every tx_poll_ns itself, so this
	 * is only nonzero when tx_poll_ns is.  The interrupt would wake a
	 * thread -- on another CPU, under TCG ~150 us of the vCPU -- to do what
	 * the sender's next call does anyway. */
	uint32_t            tx_irq_on_demand;

	/* Device statistics are clear-on-read: accumulated under stats_lock. */
	pthread_mutex_t     stats_lock;
	struct e1k_hw_stats dev;

	/* Link as last seen (watchdog / LSC). */
	atomic_bool         link_up;
	atomic_uint         link_mbps;

	/* Watchdog TX hang and RX stall detection (timer thread only; reset by
	 * restart while the watchdog is not armed). */
	uint32_t            wd_last_tdh;
	uint64_t            wd_last_completed;
	unsigned            wd_stuck;
	uint64_t            wd_rx_consumed;
	unsigned            wd_rx_stuck;

	/* Adaptive interrupt moderation: the interrupt DPC's own (itr.h);
	 * itr_ns_now mirrors the interval for the statistics. */
	struct e1k_itr      itr;
	atomic_uint         itr_ns_now;
	atomic_ulong        itr_changes;

	/* Driver counters. */
	atomic_ulong tx_packets, tx_bytes, tx_completed, tx_aborted, tx_busy, tx_hangs;
	atomic_ulong tx_waits, tx_wait_timeouts;
	atomic_ulong rx_packets, rx_bytes, rx_indicated, rx_returned, rx_no_binding;
	atomic_ulong rx_dropped_paused, dpc_runs, link_changes, watchdog_runs, rx_stalls;
	/* The RX ring's own counters, published by its owner (the DPC) so other
	 * threads never read the ring's plain fields. */
	atomic_ulong rx_bad_length, rx_bad_status, rx_bad_frag;

	/* Verifier: callbacks that ran when they must not have. */
	atomic_bool  dpcs_drained;
	atomic_bool  halted;
	atomic_bool  rx_starved;     /* DPC: RX ring low, return_rx should queue us */
	atomic_bool  pool_closing;   /* set by halt before the pool is freed */
	atomic_ulong rx_late_returns;
	/* Buffers given back twice during their indication (see return_rx's
	 * recycling in datapath.c): refused, counted here. */
	atomic_ulong rx_bad_returns;
	/* Several bindings were bound once (never cleared): received buffers
	 * carry a reference per binding in rx_refs[buffer] (pool_size). */
	atomic_bool  rx_multi;
	atomic_uint *rx_refs;
	/* A frame received into several buffers is indicated by its first; each
	 * buffer names the next of its frame here (PKT_BUF_NONE: the last, or a
	 * frame of one buffer).  Written by the DPC before the indication, read
	 * and reset by whoever returns the frame (pool_size entries). */
	uint32_t    *rx_next;
	/* E1K_OFFLOAD_* in use: what the device can do and the configuration
	 * allows (fixed at initialize). */
	unsigned     offloads;
	unsigned     max_mtu;      /* the part's (fixed at initialize) */
	atomic_ulong tx_tso, tx_csum, tx_bad_offload, rx_csum_ok, rx_chained;
	/* Buffers borrowed (e1k_adapter_tx_borrow) and neither sent nor given
	 * back: held, for the halt, as indicated ones are. */
	atomic_ulong tx_borrowed;
	atomic_ulong tx_zero_copy;   /* frames sent from borrowed buffers */
	/* The halt revoked the pool while rx_revoked_held buffers were held
	 * (adapter_halt.c): freed by whoever sees the last of them returned. */
	struct pkt_pool *_Atomic rx_revoked_pool;
	uint64_t     rx_revoked_held;
	uint64_t     rx_revoked_ns;
	atomic_ulong dpc_after_drain;
	atomic_ulong callbacks_after_halted;

	/* The attached capture (capture.h), or NULL: RCU-published. */
	struct e1k_capture *_Atomic capture;

	/* Removal / failure notification to the owner, at most once. */
	atomic_bool  halt_requested;

	/* Shutdown ran: the device is reset with bus mastering off. */
	bool         shutdown_done;

	/* The first halt's report; a second halt returns it.  In the object,
	 * so a halt needs no allocation. */
	bool         halt_done;
	int          halt_rc;
	struct e1k_halt_report halt_report;
};

/* Publication (pub.c).  Updaters hold ctl_lock. */
struct e1k_pub *e1k_pub_copy(struct e1k_adapter *ad);
void e1k_pub_commit(struct e1k_adapter *ad, struct e1k_pub *np);
/* Current state, read by the control thread (holding ctl_lock). */
struct e1k_pub *e1k_pub_locked(struct e1k_adapter *ad);
/* Publish a state change and wait for a grace period. */
void e1k_set_state(struct e1k_adapter *ad, enum e1k_state s, bool halting);
/* Free the object and its published state; no thread of it may be left. */
void e1k_adapter_free(struct e1k_adapter *ad);

/* Datapath and removal (datapath.c). */
void e1k_dpc_intr(struct dpc *d);
void e1k_rx_publish_stats(struct e1k_adapter *ad);
unsigned e1k_tx_reclaim_locked(struct e1k_adapter *ad);
unsigned e1k_tx_abort_locked(struct e1k_adapter *ad);
/* Wake every e1k_adapter_tx_wait sleeper (they look at the state, their
 * cancel flag and the ring again).  Caller: not holding tx_lock. */
void e1k_tx_wake_all(struct e1k_adapter *ad);
void e1k_link_update(struct e1k_adapter *ad, bool notify);
/* Frames the device wrote that will not be indicated: harvested and their
 * buffers put back.  Returns how many.  Caller: the RX ring's owner with no
 * DPC touching the ring (pause, the halt). */
unsigned e1k_rx_drop_written(struct e1k_adapter *ad);
/* Free the revoked pool if every buffer held at the revoke is back. */
void e1k_rx_revoked_check(struct e1k_adapter *ad);
/* Ask the owner for a halt, at most once.  Context: any adapter thread. */
void e1k_request_halt(struct e1k_adapter *ad, enum e1k_halt_reason r, const char *why);
/* val was read from the device: true when the device is gone (confirmed on
 * STATUS); the first thread to find out marks it and asks for the halt. */
bool e1k_check_removed(struct e1k_adapter *ad, uint32_t val);
/* e1k_hw_reset, with a removal found during it handled as above. */
int  e1k_device_reset(struct e1k_adapter *ad, unsigned timeout_us);

/* Requests, bindings, statistics (control.c). */
int  e1k_begin_request(struct e1k_adapter *ad, bool need_device);
void e1k_stats_accumulate(struct e1k_adapter *ad);

/* True on the adapter's own threads (irq, DPC workers, timer): init.c.
 * e1k_in_callback counts the binding callbacks running on this thread,
 * whichever thread it is (restart's link indication runs on the caller's).
 * A halt from either would wait for itself: adapter_halt.c refuses it. */
extern _Thread_local bool e1k_on_adapter_thread;
extern _Thread_local unsigned e1k_in_callback;

/* The watchdog timer's callback (watchdog.c). */
void e1k_watchdog(struct ktimer *t);

/* Packet buffers: RCTL.BSIZE 2048 (hw.c); a frame longer than one is carried
 * in several (chained receive, multi-descriptor transmit). */
#define E1K_BUF_SHIFT 11u
#define E1K_BUF_SIZE  (1u << E1K_BUF_SHIFT)
#define E1K_ETHERTYPE_IPV4 0x0800u
#define E1K_ETHERTYPE_VLAN 0x8100u
_Static_assert(E1K_BUF_SIZE == E1K_RX_BUF_DATA, "the receive buffer size is part of the upper edge");

/* The receive filters of a published state, written to the device. */
static inline void e1k_program_filters(struct e1k_adapter *ad, const struct e1k_pub *p)
{
	struct e1k_hw_filters f = {
		.uc = (const uint8_t (*)[6])p->uc, .nuc = p->nuc,
		.mc = (const uint8_t (*)[6])p->mc, .nmc = p->nmc,
		.promisc = p->promisc,
		.rx_enable = p->state == E1K_STATE_RUNNING || p->state == E1K_STATE_RESTARTING,
		.long_frames = p->mtu > E1K_MTU_STANDARD,
	};

	e1k_hw_write_filters(ad->hw, &f);
}

#endif /* E1K_ADAPTER_INTERNAL_H */
