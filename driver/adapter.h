/* SPDX-License-Identifier: MIT */
/*
 * adapter.h - the e1kd miniport adapter: lifecycle, state machine, datapath,
 * control requests and the upper-edge binding API.
 *
 * Lifecycle (NDIS miniport adapter states):
 *
 *   e1k_adapter_initialize()            Halted -> Initializing -> Paused
 *                                       (Initializing -> Halted on failure,
 *                                        every step undone in reverse)
 *   e1k_adapter_restart()               Paused -> Restarting -> Running
 *   e1k_adapter_pause()                 Running -> Pausing -> Paused
 *   e1k_adapter_shutdown()              Paused|Restarting|Running|Pausing -> Shutdown
 *   e1k_adapter_halt()                  any state after initialize -> Halted
 *   e1k_adapter_destroy()               frees the (Halted) adapter object
 *
 * Threads the adapter owns: one interrupt thread (ISR), a pool of DPC workers,
 * one timer thread (watchdog).  All of them are registered with RCU.
 *
 * Concurrency:
 *   - Control calls (restart, pause, filters, halt ...) may come from any
 *     thread; they are serialised by the adapter's control lock.
 *   - e1k_adapter_send() may be called from any thread at any time; it fails
 *     with -ENETDOWN unless the adapter is Running.
 *   - Receive indications run on DPC workers; a binding owns every indicated
 *     buffer until it calls e1k_adapter_return_rx() (from any thread).
 *   - After e1k_adapter_halt() returns, no callback of any kind runs.
 */
#ifndef E1K_ADAPTER_H
#define E1K_ADAPTER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal.h"
#include "halt.h"
#include "reasons.h"
#include "states.h"

struct e1k_adapter;


enum e1k_irq_mode { E1K_IRQ_AUTO, E1K_IRQ_INTX, E1K_IRQ_MSI, E1K_IRQ_MSIX };
int e1k_irq_mode_parse(const char *s, enum e1k_irq_mode *out);
const char *e1k_irq_mode_name(enum e1k_irq_mode m);

/* Initialization steps, in order; used by failure injection and error text. */
enum e1k_init_step {
	E1K_STEP_IDENTIFY = 1,   /* read ids from config space */
	E1K_STEP_BUS_MASTER,     /* enable memory decoding and bus mastering */
	E1K_STEP_RESET,          /* CTRL.RST, mask interrupts */
	E1K_STEP_MAC,            /* read the MAC address */
	E1K_STEP_LINK,           /* set link up */
	E1K_STEP_POOL,           /* packet buffer pool (DMA) */
	E1K_STEP_TX_RING,        /* TX descriptor ring (DMA) */
	E1K_STEP_RX_RING,        /* RX descriptor ring (DMA) */
	E1K_STEP_PROGRAM,        /* program rings, filters, moderation */
	E1K_STEP_TIMERS,         /* timer service thread + watchdog */
	E1K_STEP_DPC_POOL,       /* DPC worker threads */
	E1K_STEP_EVENTFDS,       /* interrupt eventfds */
	E1K_STEP_IRQ_THREAD,     /* interrupt thread (created, sources added) */
	E1K_STEP_IRQ_REGISTER,   /* VFIO triggers: route vectors to eventfds */
	E1K_STEP_IRQ_START,      /* start the interrupt thread */
	E1K_STEP_COUNT
};
const char *e1k_init_step_name(enum e1k_init_step s);

struct e1k_config {
	unsigned dpc_workers;        /* 1..64, default 2 */
	unsigned tx_ring_size;       /* power of two 64..4096, default 256 */
	unsigned rx_ring_size;       /* power of two 64..4096, default 1024 */
	unsigned pool_size;          /* packet buffers, default 2048 */
	enum e1k_irq_mode irq_mode;  /* default auto: MSI-X, then MSI, then INTx */
	unsigned itr_ns;             /* interrupt throttle interval, default 50000 (20k/s);
	                              * with itr_max_ns, the interval at low rates */
	unsigned itr_max_ns;         /* adaptive moderation's interval under load (driver/itr.h),
	                              * default 250000 (4k/s); 0 or <= itr_ns: fixed at itr_ns */
	unsigned rx_delay_us;        /* RDTR, default 0 */
	unsigned rx_abs_delay_us;    /* RADV, default 0 */
	unsigned watchdog_ms;        /* default 500 */
	/* e1k_adapter_tx_wait looks at the ring at least this often while it
	 * sleeps: moderation (ITR, up to itr_max_ns) may hold the completion's
	 * interrupt back longer than the device takes to drain the ring.
	 * Default 50000 (the default itr_ns); 0: woken by reclaims only. */
	unsigned tx_poll_ns;
	/* TX completion interrupts only while a sender waits for room (and
	 * tx_poll_ns is set): for senders that reclaim as they send and want
	 * no interrupt for it (e1k_bench_nic's default).  Off by default: the
	 * TAP bridge's TCP sends ran ~8% slower on the rig without them
	 * (docs/benchmarks.md). */
	bool tx_irq_on_demand;
	/* NDIS 5.1: the last upper binding going away halts the adapter with
	 * instance-deinitialized (the owner is asked through halt_needed). */
	bool halt_when_unbound;
	/* E1K_OFFLOAD_* the adapter may use (of those the device can do);
	 * default all. */
	unsigned offloads;
	/* Test only: make initialization fail at this step with this error. */
	enum e1k_init_step fail_at_step;
	int fail_errno;
};
void e1k_config_defaults(struct e1k_config *cfg);
/* -EINVAL with a message in err when a value is out of range. */
int e1k_config_validate(const struct e1k_config *cfg, char *err, size_t errlen);

/* ---- upper-edge binding ---- */
/* One piece of a received frame: a frame longer than one buffer (MTU above
 * E1K_RX_BUF_DATA - 14, RCTL.LPE) arrives in several. */
struct e1k_rx_seg {
	const uint8_t *data;
	uint32_t       len;
};
#define E1K_RX_BUF_DATA 2048u   /* bytes in each receive buffer */

/* e1k_rx_frame.flags */
#define E1K_RX_CSUM_OK  0x1u    /* the device checked the IPv4 header and TCP/UDP
                                 * checksums (what the frame has of them) and found them good */

struct e1k_rx_frame {
	uint32_t       buf;    /* handle (the first buffer): give it back with
	                        * e1k_adapter_return_rx; the frame's other buffers go with it */
	uint32_t       len;    /* the whole frame */
	const uint8_t *data;   /* the first segment: the whole frame when nseg == 1 */
	uint16_t       nseg;   /* >= 1 */
	uint16_t       flags;  /* E1K_RX_* */
	const struct e1k_rx_seg *seg;   /* [nseg], seg[0].data == data; valid during receive only */
};

struct e1k_binding_ops {
	const char *name;
	/* Context: DPC worker, inside an RCU read-side section.  Must not block
	 * for long.  The binding owns every frame's buffer until it returns it. */
	void (*receive)(void *ctx, const struct e1k_rx_frame *frames, unsigned n);
	/* Context: DPC or timer thread.  Link state changed.  May be NULL. */
	void (*link)(void *ctx, bool up, unsigned mbps);
	/* Context: control.  The adapter is going away (halt): stop sending and
	 * return held buffers soon.  May be NULL. */
	void (*unbind)(void *ctx);
};

/* Attach a binding (at most E1K_MAX_BINDINGS).  Context: control. */
#define E1K_MAX_BINDINGS 4
int  e1k_adapter_bind(struct e1k_adapter *ad, const struct e1k_binding_ops *ops, void *ctx);
/* Detach; waits for a grace period so no receive call to it is in progress
 * after it returns.  Its outstanding buffers stay outstanding until returned. */
int  e1k_adapter_unbind(struct e1k_adapter *ad, const struct e1k_binding_ops *ops, void *ctx);

/* Same, but never blocks on the control lock: -EBUSY when it is held.  For a
 * binding's own thread, which a concurrent halt may be about to join. */
int  e1k_adapter_unbind_nowait(struct e1k_adapter *ad, const struct e1k_binding_ops *ops, void *ctx);

/* Record a resource an upper layer acquired for this adapter (its TAP, its
 * thread) in the adapter's ledger: the halt's unbind-upper stage releases it,
 * after the binding's unbind callback, in reverse order.  Context: control. */
int  e1k_adapter_ledger_add(struct e1k_adapter *ad, int kind, const char *name,
                            void (*release)(void *arg), void *arg);

/* Give buffers back.  Context: any RCU-registered thread. */
void e1k_adapter_return_rx(struct e1k_adapter *ad, const uint32_t *bufs, unsigned n);

/* ---- datapath ---- */
/* What a send asks the device to do, as a virtio-net header says it (NDIS:
 * the checksum and large-send information of a net buffer list). */
enum e1k_gso { E1K_GSO_NONE = 0, E1K_GSO_TCPV4, E1K_GSO_TCPV6 };

struct e1k_frame {
	const void *data;
	uint32_t    len;          /* 14 .. MTU + 14; with gso up to E1K_GSO_FRAME_MAX */
	uint8_t     gso;          /* enum e1k_gso: cut into TCP segments of mss payload bytes */
	uint8_t     csum;         /* fill in the checksum over data[csum_start ..] at
	                           * csum_start + csum_offset (required with gso) */
	uint16_t    csum_start;
	uint16_t    csum_offset;
	uint16_t    hdr_len;      /* gso: the sender's header length (checked, not trusted) */
	uint16_t    mss;          /* gso: payload bytes per segment, > 0 */
};
#define E1K_GSO_FRAME_MAX 65550u   /* 14 + the largest IP packet (64 KiB) */

/* Offloads the adapter's device can do (e1k_adapter_offloads). */
#define E1K_OFFLOAD_TX_CSUM  0x1u   /* csum sends (TCP/UDP over IPv4 and IPv6) */
#define E1K_OFFLOAD_TSO4     0x2u   /* E1K_GSO_TCPV4 */
#define E1K_OFFLOAD_TSO6     0x4u   /* E1K_GSO_TCPV6 */
#define E1K_OFFLOAD_RX_CSUM  0x8u   /* E1K_RX_CSUM_OK on received frames */
unsigned e1k_adapter_offloads(struct e1k_adapter *ad);

/* Copy frames into DMA buffers and post them with one tail write.  Returns the
 * number accepted (0..n; fewer when the ring or pool is full: retry later),
 * -ENETDOWN when not Running, -EINVAL for a bad length or a bad offload
 * request (nothing sent from that frame on; counted in tx_bad_offload for
 * the latter: an offset past the frame or its headers, mss 0, a gso kind the
 * device cannot do, headers that are not what gso says).
 * Context: any thread registered with RCU (e1k_rcu.h). */
int e1k_adapter_send(struct e1k_adapter *ad, const struct e1k_frame *frames, unsigned n);

/* ---- sending from borrowed buffers (no copy) ----
 * A sender that can put a frame where the device reads it (readv from a
 * TAP) borrows transmit buffers, fills them and sends them: no copy, where
 * e1k_adapter_send copies.  Borrowed buffers are held by the borrower as
 * indicated ones are by a binding: the halt waits for them (and revokes the
 * pool rather than free it under a borrower that keeps them).  Give back
 * what is not sent.  Context: any thread registered with RCU. */
#define E1K_TX_BUF_SIZE E1K_RX_BUF_DATA   /* bytes in each borrowed buffer */
/* Up to n buffers (0 unless Running, or when the pool is empty); va[i] is
 * where bufs[i] lives. */
unsigned e1k_adapter_tx_borrow(struct e1k_adapter *ad, uint32_t *bufs, uint8_t **va, unsigned n);
void e1k_adapter_tx_giveback(struct e1k_adapter *ad, const uint32_t *bufs, unsigned n);
/* A frame in borrowed buffers: f.data is bufs[0]'s address, and the frame's
 * f.len bytes fill bufs[0 .. ceil(f.len / E1K_TX_BUF_SIZE)) in order; its
 * headers (L2 to L4) lie in the first. */
struct e1k_tx_borrowed {
	struct e1k_frame f;
	const uint32_t  *bufs;
};
/* As e1k_adapter_send, from borrowed buffers: an accepted frame's buffers
 * pass to the adapter; the others stay the caller's (send them again, or
 * give them back). */
int e1k_adapter_send_borrowed(struct e1k_adapter *ad, const struct e1k_tx_borrowed *fr, unsigned n);

/* ---- waiting for room in the TX ring ----
 * A sender that wants throughput sends until the ring is full, then waits
 * here instead of sleeping a fixed back-off: it returns as soon as a TX
 * completion makes room.
 *
 * Descriptors frame f takes: one per buffer, one more for an offload's
 * context descriptor (the most it can take; the context is not always
 * written). */
static inline unsigned e1k_frame_tx_slots(const struct e1k_frame *f)
{
	return (f->len + E1K_TX_BUF_SIZE - 1) / E1K_TX_BUF_SIZE + ((f->gso | f->csum) ? 1u : 0u);
}
/*
 * Wait until the TX ring has at least `slots` free descriptors.  Reclaims
 * completed sends first; sleeps (never spins) until a reclaim frees
 * descriptors -- the interrupt DPC's (with tx_irq_on_demand, TX completion
 * interrupts are enabled from the DPC run after the first waiter began), or
 * another sender's, or its own every e1k_config.tx_poll_ns --
 * the adapter leaves Running (pause, shutdown, the halt's first stage:
 * every waiter is woken), `*cancel` is set and e1k_adapter_tx_wake called,
 * or timeout_ns passes.  Returns:
 *   0           room now (another sender may still take it first)
 *   -ENETDOWN   not Running, or the device is gone
 *   -ECANCELED  *cancel is true (cancel may be NULL)
 *   -ETIMEDOUT  no room within timeout_ns
 *   -EINVAL     more slots than the ring can ever have free
 *   -EDEADLK    called from a binding callback or an adapter thread (the
 *               DPC that would wake it)
 * A waiter holds no lock and no RCU read-side section while it sleeps, so
 * nothing the halt or a pause waits for waits for it.
 * Context: any RCU-registered thread, outside a read-side section.
 */
int e1k_adapter_tx_wait(struct e1k_adapter *ad, unsigned slots, uint64_t timeout_ns,
                        const atomic_bool *cancel);
/* Wake every sender sleeping in e1k_adapter_tx_wait so it looks at its cancel
 * flag again: set the flag first.  Context: any thread (takes the TX lock
 * briefly; may be called under the control lock, e.g. from an unbind). */
void e1k_adapter_tx_wake(struct e1k_adapter *ad);

/* ---- lifecycle ---- */
/* Callbacks from the adapter to its owner (the daemon). */
struct e1k_owner_ops {
	/* Context: irq thread or timer thread.  The device asked for removal
	 * (REQ eventfd) or was found gone (reads of all ones): the owner should
	 * halt with the given reason from its own (control) thread. */
	void (*halt_needed)(void *ctx, enum e1k_halt_reason reason, const char *why);
	void *ctx;
};

/* Initialize the adapter on an opened device.  On success the adapter is
 * Paused and owns hw (closed by halt); on failure hw is left open for the
 * caller, nothing else is left behind, and err holds a readable reason. */
int e1k_adapter_initialize(struct hal_dev *hw, const struct e1k_config *cfg,
                           const struct e1k_owner_ops *owner,
                           struct e1k_adapter **out, char *err, size_t errlen);
int e1k_adapter_restart(struct e1k_adapter *ad);   /* Paused -> Running */
int e1k_adapter_pause(struct e1k_adapter *ad);     /* Running -> Paused */
int e1k_adapter_shutdown(struct e1k_adapter *ad);  /* -> Shutdown */
enum e1k_state e1k_adapter_state(struct e1k_adapter *ad);
/* Fatal-signal path (MiniportShutdownEx from a dying process): stop the
 * device's DMA and interrupts through the backend's async-signal-safe
 * emergency operation, free nothing.  Context: a signal handler. */
void e1k_adapter_emergency_stop(struct e1k_adapter *ad);
/*
 * The staged halt (NDIS MiniportHaltEx; the rules are halt/'s, halt.h): from
 * any state after a successful initialize, on a thread that is not one of
 * the adapter's own (irq, DPC, timer) -- it joins them.  When it returns the
 * adapter is Halted: no ISR, DPC, timer or indication runs any more, and
 * every ledger entry has been released in reverse order of acquisition.
 * Idempotent: a second call returns the first call's report and result.
 * Returns 0 when the report is clean of timeouts and errors, -EIO otherwise
 * (Halted either way), -EINVAL for a bad reason.  rep may be NULL.  Frees
 * nothing the caller owns: call e1k_adapter_destroy() afterwards.
 */
int e1k_adapter_halt(struct e1k_adapter *ad, enum e1k_halt_reason reason,
                     struct e1k_halt_report *rep);
/* Same, with explicit bounds (NULL: the reason's policy). */
int e1k_adapter_halt_bounded(struct e1k_adapter *ad, enum e1k_halt_reason reason,
                             const struct e1k_halt_bounds *b, struct e1k_halt_report *rep);

/* Frees the adapter object.  It must be Halted (or never initialized). */
void e1k_adapter_destroy(struct e1k_adapter *ad);

/* ---- control requests ---- */
int e1k_adapter_get_mac(struct e1k_adapter *ad, uint8_t mac[6]);
int e1k_adapter_filter_add(struct e1k_adapter *ad, const uint8_t mac[6]);   /* RAL/RAH 1..15 */
int e1k_adapter_filter_del(struct e1k_adapter *ad, const uint8_t mac[6]);
/* Copies up to max addresses; returns how many are set. */
int e1k_adapter_filter_list(struct e1k_adapter *ad, uint8_t (*macs)[6], unsigned max);
int e1k_adapter_mcast_add(struct e1k_adapter *ad, const uint8_t mac[6]);
int e1k_adapter_mcast_del(struct e1k_adapter *ad, const uint8_t mac[6]);
int e1k_adapter_set_promisc(struct e1k_adapter *ad, bool on);
/* 68 .. e1k_adapter_max_mtu; above E1K_MTU_STANDARD the device takes long
 * frames (RCTL.LPE) into chained buffers. */
#define E1K_MTU_MIN      68u
#define E1K_MTU_STANDARD 1500u
int e1k_adapter_set_mtu(struct e1k_adapter *ad, unsigned mtu);
int e1k_adapter_get_mtu(struct e1k_adapter *ad);
unsigned e1k_adapter_max_mtu(struct e1k_adapter *ad);   /* 9000 or more */

struct e1k_stats {
	/* driver counters */
	uint64_t tx_packets, tx_bytes, tx_completed, tx_aborted, tx_busy, tx_hangs;
	uint64_t tx_waits, tx_wait_timeouts;   /* e1k_adapter_tx_wait: sleeps, -ETIMEDOUT returns */
	uint64_t rx_packets, rx_bytes, rx_indicated, rx_returned, rx_no_binding, rx_dropped_paused;
	uint64_t rx_bad_length, rx_bad_status, rx_bad_frag;
	uint64_t tx_tso, tx_csum, tx_bad_offload;   /* sends with TSO, with checksum offload, refused */
	uint64_t tx_zero_copy;                      /* frames sent from borrowed buffers */
	uint64_t tx_borrowed;                       /* buffers borrowed, not yet sent or given back */
	uint64_t rx_csum_ok, rx_chained;            /* frames with E1K_RX_CSUM_OK, of several buffers */
	uint64_t rx_stalls;        /* watchdog: the device skipped descriptors (docs/robustness.md F1) */
	uint64_t interrupts, isr_not_ours, dpc_runs, link_changes, watchdog_runs;
	uint64_t itr_ns, itr_changes;   /* the interval in force; adaptive moderation's changes */
	uint64_t rx_outstanding;   /* indicated and not yet returned */
	uint64_t tx_in_flight;
	uint64_t pool_free, pool_size, pool_bad_puts;
	/* device statistics registers, accumulated (they clear on read) */
	uint64_t dev_gprc, dev_gptc, dev_gorc, dev_gotc, dev_mpc, dev_rnbc, dev_crcerrs,
	         dev_ruc, dev_roc, dev_tpr, dev_tpt, dev_bprc, dev_mprc;
	bool     link_up;
	unsigned link_mbps;
};
int e1k_adapter_get_stats(struct e1k_adapter *ad, struct e1k_stats *st);

struct hal_dev *e1k_adapter_hal(struct e1k_adapter *ad);
const struct e1k_config *e1k_adapter_config(struct e1k_adapter *ad);

/* For benchmarks: probe(ctx) runs on the DPC worker at the start of every
 * run of the interrupt DPC, before its work (NULL removes it).  Only while
 * Paused: -EPERM otherwise.  Context: control. */
int e1k_adapter_set_dpc_probe(struct e1k_adapter *ad, void (*probe)(void *ctx), void *ctx);
enum e1k_irq_mode e1k_adapter_irq_mode(struct e1k_adapter *ad);

#endif /* E1K_ADAPTER_H */
