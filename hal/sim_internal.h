/* SPDX-License-Identifier: MIT */
/*
 * sim_internal.h - private state of the software device model (hal/sim*.c).
 *
 * Files:
 *   sim.c       open/close, the model thread, sync, faults, stats, the ops table
 *   sim_regs.c  the BAR0 register file, EEPROM/EERD, MDIC/PHY, CTRL.RST
 *   sim_irq.c   interrupt causes, ITR throttling, INTx/MSI/MSI-X delivery, irq ops
 *   sim_cfg.c   PCI configuration space (PM, MSI, PCIe, MSI-X capabilities)
 *   sim_dma.c   the DMA mapping table (IOMMU model) and checked device accesses
 *   sim_ring.c  TX and RX descriptor processing, the receive address filter
 *   sim_offload.c  TX offloads (context, checksum insertion, TSO), RX checksums
 *   sim_wire.c  the wire: bounded receive queue, loopback, TAP
 *
 * Threads: driver threads call rd32/wr32/cfg/irq ops at any time; control calls
 * dma_alloc/dma_free/close; the model thread ("e1k-sim") is the only one that
 * performs DMA, processes rings and consumes the wire queue.
 *
 * Locks, in acquisition order (never take an earlier one while holding a later):
 *   ctl_lock    serialises irq_set/irq_clear (whole call)
 *   reg_lock    register file, config space, ring/interrupt state, fault flags
 *   dma.lock    rwlock: the mapping table.  The model thread holds it for read
 *               across each burst of copies, so dma_free (write) can never
 *               unmap memory the model is copying to or from.
 *   irq_lock    eventfd table and the VFIO INTx mask bit.  Eventfds are written
 *               only under irq_lock, and irq_clear closes them under it, so no
 *               signal can reach a closed fd after irq_clear returns.
 *   wire.lock   the wire queue indices (leaf lock)
 *   sync_lock   the sim_sync generation condvar (leaf lock)
 * Interrupt signals are computed under reg_lock into a struct sim_sig and
 * written after reg_lock is dropped (sim_irq_deliver), so a slow eventfd write
 * never holds up register access.
 *
 * Conventions for the declarations below: "Locks: X" means the caller holds X;
 * functions ending in _locked need reg_lock.  Context is the model thread
 * unless a declaration says otherwise.  Nothing here blocks except on the
 * locks above (sim_sync: bounded by SIM_SYNC_TIMEOUT_NS).
 */
#ifndef E1K_SIM_INTERNAL_H
#define E1K_SIM_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clock.h"
#include "sim.h"

/* ---- model constants (choices of this model, not device facts) ---- */
#define SIM_REG_WORDS        (E1000_BAR0_SIZE / 4u)
#define SIM_FRAME_MAX        16384u   /* longest frame carried (RCTL.LPE limit) */
#define SIM_TSO_PKT_MAX      (65536u + 256u)  /* longest TSO packet gathered: 64 KiB of
                                                 payload + the longest HDRLEN */
#define SIM_WIREQ_SLOTS      1024u    /* frames the wire can hold towards the device */
#define SIM_SLOT_MIN         2048u    /* initial capacity of a wire/stage slot */
#define SIM_TX_BURST_FRAMES  64u      /* frames staged per reg_lock hold */
#define SIM_TX_BURST_DESCS   256u     /* descriptors per reg_lock hold */
#define SIM_RX_BURST         64u      /* frames received per reg_lock hold */
#define SIM_ITER_BUDGET      65536u   /* descriptors+frames per thread iteration */
#define SIM_HOSTILE_BUDGET   4096u    /* the same in hostile mode */
#define SIM_NVEC             5u       /* vectors tracked (MSI-X on the 82574L) */
#define SIM_IOVA_BASE        0x100000000ull  /* first IOVA: never a host address */
#define SIM_STORM_PERIOD_NS  20000ull  /* storm: causes re-raised every 20 us */
#define SIM_HOSTILE_PERIOD_NS 200000ull /* hostile: random causes every 200 us */
#define SIM_HOSTILE_JUMP_ONE_IN 8u     /* hostile: one descriptor in 8 moves the head */
#define SIM_SYNC_TIMEOUT_NS  10000000000ull  /* sim_sync gives up after 10 s */
#define SIM_TAP_READ_BUDGET  256u     /* TAP frames read per iteration */
#define SIM_DEFAULT_MAC      { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 }
#define SIM_EEPROM_INIT_CTRL1 0x6400u  /* SDM 5.6.7: "valid" signature 01b in 15:14 */
#define SIM_CRC32_POLY       0xedb88320u  /* IEEE 802.3 FCS, reflected */
#define SIM_RX_WB_OFF        8u       /* RX descriptor: write-back part starts here */
#define SIM_TX_STATUS_OFF    12u      /* TX descriptor: status byte */
#define SIM_RX_STATUS_OFF    12u      /* RX descriptor: status byte */
#define SIM_STUCK_REG        E1000_FCTTV  /* stuck-bit fault: the register ... */
#define SIM_STUCK_BIT        (1u << 5)    /* ... and its bit that reads 0 */
#define SIM_BAD_EEPROM_XOR   0x0001u  /* bad-eeprom fault: flipped in the checksum word */

/* Config-space layout of the model (capability placement as on the real parts). */
#define SIM_CFG_BAR0         0xfebc0000u
#define SIM_CAP_PM_82540     0xdcu
#define SIM_CAP_PM_82574     0xc8u
#define SIM_CAP_MSI_82574    0xd0u
#define SIM_CAP_EXP_82574    0xe0u
#define SIM_CAP_MSIX_82574   0xa0u
#define SIM_CAP_PM_LEN       8u
#define SIM_CAP_MSI_LEN      14u
#define SIM_CAP_MSIX_LEN     12u

enum sim_irq_mode { SIM_MODE_NONE = 0, SIM_MODE_INTX, SIM_MODE_MSI, SIM_MODE_MSIX };

/* Signals to write once reg_lock is dropped. */
struct sim_sig {
	uint8_t mode;      /* enum sim_irq_mode the vectors belong to */
	uint8_t vecs;      /* bit v: signal vector v */
	bool    kick;      /* the model thread must re-arm its timer / do work */
	bool    req;       /* signal the REQ eventfd */
};

/* A frame buffer that grows to the largest frame it held and is kept. */
struct sim_frame {
	uint8_t  *buf;
	uint32_t  cap;
	uint32_t  len;
};

/* Wire towards the device: bounded queue, many producers (inject, loopback on
 * the model thread), one consumer (the model thread).  Slots [head, head+count)
 * are owned by the consumer until it pops them; producers write only the slot
 * at head+count, then publish it under the lock. */
struct sim_wireq {
	pthread_mutex_t  lock;
	struct sim_frame slot[SIM_WIREQ_SLOTS];
	uint32_t         head;
	uint32_t         count;
};

struct sim_map {
	uint64_t  iova;
	size_t    len;
	uint8_t  *va;
	uint32_t  handle;
};

struct sim_dma_table {
	pthread_rwlock_t lock;
	struct sim_map  *maps;          /* sorted by iova (bump allocation appends) */
	size_t           n, cap;
	uint64_t         next_iova;
	uint32_t         next_handle;
	unsigned         alloc_calls;   /* for cfg.fail_dma_alloc_at */
	size_t           hint;          /* model thread: index of the last hit */
	size_t           page;
	atomic_uint_fast64_t faults;
	atomic_uint_fast64_t last_fault_iova;
	atomic_uint_fast64_t blocked;
	atomic_uint_fast64_t live;
	atomic_uint_fast64_t total;
	atomic_uint_fast64_t live_frees;   /* freed while the device could reach them */
};

struct sim_vec {
	bool     line;        /* INTx: device output asserted */
	bool     postponed;   /* a rise waits for the ITR interval to end */
	uint64_t next_ok_ns;  /* earliest time of the next signal */
};

struct sim_ring_state {
	bool bad;             /* unusable configuration seen; ignored until reprogrammed */
};

/* An offload context as a TCP/IP context descriptor loads it (SDM 3.3.6). */
struct sim_txctx {
	uint8_t  ipcss, ipcso, tucss, tucso;
	uint16_t ipcse, tucse;     /* inclusive ends; 0: to the end of the frame */
	uint8_t  tucmd;            /* E1000_TXD_TUCMD_* */
	uint8_t  hdr_len;
	uint16_t mss;
	uint32_t paylen;
};

/* The in-progress transmit frame (gathered across descriptors, maybe bursts).
 * Its kind is fixed by its first descriptor: legacy, or a data descriptor
 * whose POPTS, DCMD.TSE and the context then current apply to the packet. */
struct sim_txcur {
	uint32_t len;
	bool     dropped;     /* a buffer faulted or the frame outgrew its limit */
	bool     too_long;    /* ... the latter */
	bool     active;
	bool     ext;         /* first descriptor was a data descriptor */
	bool     tso;         /* ... with DCMD.TSE: gathered into sim_tso.pkt */
	uint8_t  popts;       /* E1000_TXD_POPTS_* of the first data descriptor */
	struct sim_txctx ctx; /* the context the packet uses (copied at its start) */
};

/* A TSO packet being cut into segments.  Segments go into the TX staging as
 * room allows; while some are left, no further descriptor is processed, so
 * the wire order is the ring order however many bursts it takes. */
struct sim_tso {
	struct sim_frame pkt;      /* the gathered packet (kept, grows to SIM_TSO_PKT_MAX) */
	struct sim_txctx ctx;
	uint8_t  popts;
	bool     pending;          /* segments left to stage */
	uint32_t next;             /* index of the next segment */
	uint32_t nseg;
};

struct sim_dev {
	struct hal_dev       hal;            /* first: hal_dev* <-> sim_dev* */
	struct sim_config    cfg;
	char                 tap_name[16];

	/* ---- reg_lock domain ---- */
	pthread_mutex_t      reg_lock;
	uint32_t             regs[SIM_REG_WORDS];
	uint16_t             eeprom[E1000_EEPROM_WORDS];
	uint16_t             phy[E1000_PHY_REGS];
	uint8_t              cfgsp[PCI_CFG_SIZE];
	uint8_t              cfg_wmask[PCI_CFG_SIZE];
	uint8_t              cfg_w1c[PCI_CFG_SIZE];
	uint8_t              pm_cap, msi_cap, msix_cap, exp_cap;
	bool                 bus_master, mem_enabled, d3hot;
	bool                 hang, storm, link_down, corrupt_wb, hostile, stuck_filters;
	bool                 stuck_bit, bad_eeprom, lost_irq, corrupt_loopback;
	unsigned             corrupt_seq;
	uint64_t             next_storm_ns, next_hostile_ns;
	uint64_t             rng;            /* xorshift64 state (hostile mode) */
	enum sim_irq_mode    irq_mode;
	struct sim_vec       vec[SIM_NVEC];
	struct sim_ring_state rx, tx;
	struct sim_txcur     txcur;
	/* Offload contexts: [0] checksum, [1] TSO.  The 82540EM keeps the two
	 * apart (a context descriptor with TUCMD.TSE loads [1], else [0]; QEMU's
	 * e1000 does the same); the 82574L has one ([0] for everything, as
	 * QEMU's e1000e). */
	struct sim_txctx     txctx[2];
	struct sim_tso       tso;
	/* 64-bit internal mirrors of counters whose registers clear on read */
	uint64_t             rx_frames, rx_filtered, rx_missed, tx_dext;
	uint64_t             tx_tso_segs, tx_csum, tx_bad_offload;
	uint64_t             tdt_writes;     /* doorbells (sim_stats) */

	/* ---- model thread only (no lock) ---- */
	struct sim_frame     stage[SIM_TX_BURST_FRAMES + 1];
	unsigned             nstaged;        /* completed frames in stage[0..n) */
	unsigned             cur_slot;       /* stage slot of the frame being gathered */
	bool                 flush_link_up;  /* link state seen by the last TX burst */
	bool                 flush_loopback; /* MAC or PHY loopback seen by the last TX burst */
	bool                 flush_hold;     /* ... within cfg.qemu_rctl_hold_ms of an RCTL write */
	uint64_t             rctl_hold_until;/* e1k_now_ns() of that; reg_lock */
	bool                 flush_corrupt;  /* ... and the corrupt-loopback fault */
	uint8_t             *tap_buf;        /* SIM_FRAME_MAX bytes */

	/* ---- DMA ---- */
	struct sim_dma_table dma;

	/* ---- irq_lock domain ---- */
	pthread_mutex_t      ctl_lock;
	pthread_mutex_t      irq_lock;
	int                 *irq_fds[HAL_IRQ_NINDEX];  /* dup'ed eventfds */
	uint32_t             irq_n[HAL_IRQ_NINDEX];
	int                  irq_active;     /* HAL_IRQ_INTX/MSI/MSIX or -1 */
	bool                 intx_masked;    /* VFIO automask bit */
	atomic_bool          intx_line;      /* INTx level, written under reg_lock */

	/* ---- wire ---- */
	struct sim_wireq     wire;
	int                  tap_fd;
	pthread_mutex_t      hook_lock;      /* held while the hook runs: after
	                                        sim_set_tx_hook returns, the old hook
	                                        is neither running nor called again */
	sim_tx_hook          hook;           /* under hook_lock */
	void                *hook_ctx;

	/* ---- model thread control ---- */
	pthread_t            thread;
	bool                 thread_started;
	int                  kick_fd;
	atomic_bool          kick_pending;   /* an eventfd write is outstanding */
	atomic_bool          stop;
	atomic_bool          removed;
	atomic_uint_fast64_t req_gen;        /* sim_sync requests */
	pthread_mutex_t      sync_lock;
	pthread_cond_t       sync_cond;
	uint64_t             done_gen;       /* under sync_lock */

	/* ---- counters read by sim_get_stats ---- */
	atomic_uint_fast64_t st_tx_frames, st_irq_signals, st_resets, st_bad_ring;
	atomic_uint_fast64_t st_mmio_bad, st_wire_drops, st_req_signals;
};

static inline struct sim_dev *sim_of(struct hal_dev *hw)
{
	return (struct sim_dev *)hw;
}

static inline bool sim_is_82574(const struct sim_dev *d)
{
	return d->cfg.model == SIM_82574L;
}

static inline uint32_t sim_reg(const struct sim_dev *d, uint32_t off)
{
	return d->regs[off >> 2];
}

static inline void sim_reg_set(struct sim_dev *d, uint32_t off, uint32_t v)
{
	d->regs[off >> 2] = v;
}

static inline void sim_count(atomic_uint_fast64_t *c, uint64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

/* Monotonic time in ns. */
/* Wake the model thread (coalesced: at most one outstanding eventfd write). */
void sim_kick(struct sim_dev *d);
/* True while the device may neither DMA nor interrupt (removed, hung, D3hot).
 * Locks: reg_lock held. */
bool sim_quiet_locked(const struct sim_dev *d);
/* xorshift64 step.  Locks: reg_lock held. */
uint64_t sim_rand_locked(struct sim_dev *d);

/* ---- sim_regs.c ---- */
uint32_t sim_op_rd32(struct hal_dev *hw, uint32_t reg);
void     sim_op_wr32(struct hal_dev *hw, uint32_t reg, uint32_t val);
/* A register's value as a read would return it, without the read's side
 * effects (sim_peek_reg).  Locks: reg_lock. */
uint32_t sim_peek_locked(const struct sim_dev *d, uint32_t off);
/* Build the EEPROM image (MAC, ids, checksum).  Context: sim_open. */
void     sim_eeprom_init(struct sim_dev *d);
/* Power-on register state; keeps config space and the wire.  Locks: reg_lock. */
void     sim_regs_reset_locked(struct sim_dev *d, struct sim_sig *sig);
/* Statistics: 32-bit saturating counter / 64-bit low+high pair.  Locks: reg_lock. */
void     sim_stat_inc(struct sim_dev *d, uint32_t reg, uint32_t n);
void     sim_stat_add64(struct sim_dev *d, uint32_t reg_lo, uint64_t n);
/* Link changed (fault): STATUS, PHY and LSC.  Locks: reg_lock. */
void     sim_link_changed_locked(struct sim_dev *d, struct sim_sig *sig);

/* ---- sim_irq.c ---- */
/* ICR |= causes (82574: OTHER in MSI-X mode) and evaluate.  Locks: reg_lock. */
void     sim_irq_raise_locked(struct sim_dev *d, uint32_t causes, struct sim_sig *sig);
/* Re-evaluate after ICR/IMS/mode/quiet changed; old_pend is ICR&IMS before the
 * change (0 to treat every pending cause as new).  Locks: reg_lock. */
void     sim_irq_update_locked(struct sim_dev *d, uint32_t old_pend, struct sim_sig *sig);
/* Fire throttled rises whose interval ended.  Locks: reg_lock. */
void     sim_irq_timer_locked(struct sim_dev *d, uint64_t now, struct sim_sig *sig);
/* Earliest ITR deadline, or UINT64_MAX.  Locks: reg_lock. */
uint64_t sim_irq_deadline_locked(const struct sim_dev *d);
/* Forget throttling state (reset / mode change).  Locks: reg_lock. */
void     sim_irq_reset_vectors_locked(struct sim_dev *d);
/* Write the eventfds in sig.  Locks: none held (takes irq_lock). */
void     sim_irq_deliver(struct sim_dev *d, const struct sim_sig *sig);
void     sim_irq_release_all(struct sim_dev *d);
int      sim_op_irq_count(struct hal_dev *hw, enum hal_irq_index idx, uint32_t *count);
int      sim_op_irq_set(struct hal_dev *hw, enum hal_irq_index idx, const int *efds, uint32_t n);
int      sim_op_irq_clear(struct hal_dev *hw, enum hal_irq_index idx);
int      sim_op_irq_unmask(struct hal_dev *hw, enum hal_irq_index idx, uint32_t vector);

/* ---- sim_cfg.c ---- */
void     sim_cfg_init(struct sim_dev *d);
int      sim_op_cfg_read(struct hal_dev *hw, uint32_t off, void *buf, size_t len);
int      sim_op_cfg_write(struct hal_dev *hw, uint32_t off, const void *buf, size_t len);
/* Mirror the MSI / MSI-X enable bits as VFIO does.  Locks: reg_lock. */
void     sim_cfg_set_irq_enable_locked(struct sim_dev *d, enum sim_irq_mode mode);

/* ---- sim_dma.c ---- */
int      sim_dma_init(struct sim_dev *d);
/* Unmap and free every leftover mapping; returns how many there were. */
uint64_t sim_dma_fini(struct sim_dev *d);
int      sim_op_dma_alloc(struct hal_dev *hw, size_t len, struct hal_dma *out);
void     sim_op_dma_free(struct hal_dev *hw, struct hal_dma *dma);
int      sim_op_dma_revoke(struct hal_dev *hw, struct hal_dma *dma);
/* Hold the mapping table for a burst of device accesses (model thread). */
void     sim_dma_begin(struct sim_dev *d);
void     sim_dma_end(struct sim_dev *d);
/* Host address of [iova, iova+len) if it lies inside one live mapping, else
 * NULL with the fault counted.  Locks: sim_dma_begin held. */
void    *sim_dma_xlate(struct sim_dev *d, uint64_t iova, size_t len);
int      sim_dma_read(struct sim_dev *d, uint64_t iova, void *dst, size_t len);
int      sim_dma_write(struct sim_dev *d, uint64_t iova, const void *src, size_t len);

/* ---- sim_ring.c ---- */
/* One transmit burst; returns descriptors consumed.  Locks: reg_lock + dma. */
unsigned sim_tx_burst_locked(struct sim_dev *d, struct sim_sig *sig);
/* Hand staged frames to the hook and the wire.  Model thread, no locks. */
unsigned sim_tx_flush(struct sim_dev *d);
/* One receive burst from the wire queue; returns frames consumed.
 * Locks: reg_lock + dma. */
unsigned sim_rx_burst_locked(struct sim_dev *d, struct sim_sig *sig);
/* RCTL asks for MAC loopback or the PHY's BMCR for PHY loopback.
 * Locks: reg_lock. */
bool     sim_loopback_locked(const struct sim_dev *d);
/* Address filter (13.4.22).  Locks: reg_lock. */
bool     sim_rx_filter_locked(const struct sim_dev *d, const uint8_t *frame);

/* ---- sim_offload.c ---- */
/* Load a TCP/IP context descriptor.  Locks: reg_lock. */
void     sim_tx_context_locked(struct sim_dev *d, const struct e1000_context_desc *c);
/* The context a data descriptor with (tse) uses.  Locks: reg_lock. */
const struct sim_txctx *sim_tx_context_for(const struct sim_dev *d, bool tse);
/* Forget contexts and a TSO packet in progress (reset).  Locks: reg_lock. */
void     sim_tx_offload_reset_locked(struct sim_dev *d);
/* Fill in the checksums POPTS asks for in a packet of len bytes, in place.
 * False when the context's offsets do not fit the packet (nothing written). */
bool     sim_tx_csum(const struct sim_txctx *c, uint8_t popts, uint8_t *pkt, uint32_t len);
/* A TSO packet of len bytes in d->tso.pkt: true and d->tso.nseg set when the
 * context describes it (else it must be dropped).  Locks: reg_lock. */
bool     sim_tso_start_locked(struct sim_dev *d, uint32_t len);
/* Build segment d->tso.next into out; returns its length (0: no memory).
 * Locks: reg_lock. */
uint32_t sim_tso_segment_locked(struct sim_dev *d, struct sim_frame *out);
/* RXCSUM status/error bits for a received frame (SDM 3.2.3.1, 82574L 7.1.4);
 * ext: the 82574L's extended write-back, which has no IXSM. */
void     sim_rx_csum_bits(const struct sim_dev *d, const uint8_t *frame, uint32_t len,
                          bool ext, uint8_t *status, uint8_t *errors);

/* ---- sim_wire.c ---- */
int      sim_wire_init(struct sim_dev *d);
void     sim_wire_fini(struct sim_dev *d);
/* Copy a frame into the queue; -ENOSPC when full, -ENOMEM.  Any thread. */
int      sim_wire_enqueue(struct sim_dev *d, const void *frame, size_t len);
/* Frames queued (consumer's view).  Model thread. */
uint32_t sim_wire_peek(struct sim_dev *d, uint32_t max);
struct sim_frame *sim_wire_slot(struct sim_dev *d, uint32_t i);
void     sim_wire_pop(struct sim_dev *d, uint32_t n);
/* Drop every queued frame (removal). */
void     sim_wire_flush(struct sim_dev *d);
bool     sim_wire_full(struct sim_dev *d);
/* Transmit one frame onto the configured wire.  Model thread. */
void     sim_wire_output(struct sim_dev *d, const uint8_t *frame, size_t len);
/* Read frames the TAP has for us into the queue.  Model thread. */
void     sim_wire_tap_poll(struct sim_dev *d);
/* Grow a frame buffer to hold len bytes; false on allocation failure. */
bool     sim_frame_reserve(struct sim_frame *f, size_t len);

#endif /* E1K_SIM_INTERNAL_H */
