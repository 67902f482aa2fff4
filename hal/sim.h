/* SPDX-License-Identifier: MIT */
/*
 * sim.h - in-process software model of the 82540EM and 82574L behind the hal table.
 *
 * Lifecycle:  sim_open()  ->  hal ops / sim_* test API  ->  hal_close()
 *
 * The model runs its own thread.  It processes TX descriptors after a TDT write,
 * delivers frames from its wire into posted RX buffers, and signals interrupts
 * through the eventfds given to irq_set, exactly as VFIO would (INTx stays
 * masked after a signal until irq_unmask).  With RCTL.LBM = MAC loopback, or
 * the loopback bit of the PHY's control register (BMCR bit 14, written through
 * MDIC), the transmitted frames go back to the receiver inside the device (not
 * to the wire, the TX hook or the link: they are received even with the link
 * down).  Frames from the wire are still received meanwhile, as QEMU does.
 * Every DMA it performs goes through
 * the mappings registered with dma_alloc; an access outside a live mapping is
 * refused and counted as a DMA fault, never performed.
 *
 * Threading: every function here may be called from any thread.
 */
#ifndef E1K_SIM_H
#define E1K_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal.h"

enum sim_model { SIM_82540EM, SIM_82574L };

enum sim_wire {
	SIM_WIRE_NONE,      /* transmitted frames are counted and dropped */
	SIM_WIRE_LOOPBACK,  /* transmitted frames come back on receive */
	SIM_WIRE_TAP,       /* a TAP device on the host, created by name */
};

struct sim_config {
	enum sim_model model;
	enum sim_wire  wire;
	const char    *tap_name;    /* SIM_WIRE_TAP: interface name to create */
	uint8_t        mac[6];      /* EEPROM MAC; all zero picks 52:54:00:12:34:56 */
	/* Allocation failure injection for tests: the Nth dma_alloc (1-based) fails
	 * with -ENOMEM; 0 disables. */
	unsigned       fail_dma_alloc_at;
	/* irq_set at this index fails with -EINVAL (HAL_IRQ_NINDEX disables). */
	int            fail_irq_set_index;
	/* No PCI power-management capability, as QEMU's e1000 (which has
	 * none): the model cannot enter D3hot. */
	bool           no_pm_cap;
	/* CTRL.RST as QEMU 7.2 implements it instead of the datasheet's full
	 * reset: the 82540EM ("e1000", set_ctrl) only clears the bit; the
	 * 82574L ("e1000e", e1000e_set_ctrl) also reloads RAL0/RAH0 with the
	 * EEPROM MAC.  Every other register keeps what the previous driver left
	 * (e.g. RFCTL.EXSTEN from Linux's e1000e).  The hal reset op (FLR) still
	 * resets everything. */
	bool           qemu_ctrl_rst;
	/* Registers QEMU does not read back: the 82540EM ("e1000" emulates
	 * none of them) reads 0 from FCAL, FCAH, FCT, FCTTV, TIPG and TIDV and
	 * drops writes to them; the 82574L ("e1000e" stores TIDV but has no
	 * read for it) reads 0 from TIDV. */
	bool           qemu_unread_regs;
	/* QEMU's e1000 (82540EM) refuses received frames for a second after
	 * each RCTL write (flush_queue_timer) and drops a looped-back frame it
	 * refuses: looped-back frames are dropped for this many ms after an
	 * RCTL write (0: never). */
	unsigned       qemu_rctl_hold_ms;
	/* Frames from the wire wait (up to the wire queue's capacity) while
	 * RCTL.EN is off and come in once it is on, as QEMU queues what its
	 * receiver refuses; without it they are dropped at once. */
	bool           qemu_rx_queue;
};

/* Parse "82540em"/"82574l" (case-insensitive); -EINVAL otherwise. */
int sim_model_parse(const char *s, enum sim_model *out);

/* Create the model and start its thread.  On failure nothing is left behind. */
int sim_open(const struct sim_config *cfg, struct hal_dev **out);

/* True when hw was made by sim_open. */
bool sim_is_sim(const struct hal_dev *hw);

/* ---- fault injection ---- */
enum sim_fault {
	SIM_FAULT_SURPRISE_REMOVE, /* reads 0xffffffff, writes dropped, DMA stops, REQ signalled */
	SIM_FAULT_REMOVE_REQUEST,  /* REQ eventfd signalled; device keeps working */
	SIM_FAULT_HANG,            /* stops processing descriptors and interrupts (on) */
	SIM_FAULT_STORM,           /* raises interrupts continuously (on/off) */
	SIM_FAULT_LINK_DOWN,       /* link down (on) / up (off), LSC raised each change */
	SIM_FAULT_CORRUPT_WB,      /* RX write-back with bad length / status bits (on/off) */
	SIM_FAULT_HOSTILE,         /* random lengths, status bits, indices, causes (on/off) */
	SIM_FAULT_STUCK_FILTERS,   /* writes to RAL/RAH/MTA are lost (on/off): filter
	                            * programming fails in the device */
	/* Faults for the self-test (driver/selftest.c), one per test: */
	SIM_FAULT_STUCK_BIT,       /* bit SIM_STUCK_BIT of FCTTV reads 0 whatever is written (on/off) */
	SIM_FAULT_BAD_EEPROM,      /* EERD returns the checksum word with bit 0 flipped (on/off) */
	SIM_FAULT_LOST_IRQ,        /* causes set through ICS reach ICR but signal no vector (on/off) */
	SIM_FAULT_CORRUPT_LOOPBACK,/* frames looped back (MAC or PHY loopback) get their last
	                            * byte inverted (on/off) */
	SIM_FAULT_COUNT
};

/* Turn a fault on or off.  SURPRISE_REMOVE and REMOVE_REQUEST ignore off. */
int sim_fault(struct hal_dev *hw, enum sim_fault f, bool on);
const char *sim_fault_name(enum sim_fault f);
int sim_fault_parse(const char *s, enum sim_fault *out);

/* ---- wire access for tests ---- */
/* Put a frame on the wire towards the device (as if received).  -ENOSPC when
 * the model's wire queue is full. */
int sim_wire_inject(struct hal_dev *hw, const void *frame, size_t len);
/* Tap transmitted frames: cb runs on the model thread for every frame the
 * device transmits (in addition to the wire).  NULL removes it. */
typedef void (*sim_tx_hook)(void *ctx, const uint8_t *frame, size_t len);
void sim_set_tx_hook(struct hal_dev *hw, sim_tx_hook cb, void *ctx);

/* ---- observation ---- */
struct sim_stats {
	uint64_t dma_faults;         /* accesses refused by the checker */
	uint64_t last_fault_iova;    /* address of the latest refused access */
	uint64_t dma_blocked;        /* DMA attempted with bus mastering off */
	uint64_t live_mappings;      /* DMA regions currently mapped */
	uint64_t mappings_total;     /* dma_alloc successes so far */
	uint64_t tx_frames;          /* frames transmitted to the wire */
	uint64_t rx_frames;          /* frames written into host buffers */
	uint64_t rx_filtered;        /* frames dropped by the address filter */
	uint64_t rx_missed;          /* frames dropped for lack of a descriptor (MPC) */
	uint64_t irq_signals;        /* eventfd writes for interrupts */
	uint64_t resets;             /* CTRL.RST / reset op */
	uint64_t bad_ring_config;    /* ring base/len that could not be used */
	uint32_t power_state;        /* PCI PM D-state */
	bool     removed;
	/* Added by the model (append-only): */
	uint64_t mmio_bad;           /* rd32/wr32 outside BAR0 or unaligned (ignored) */
	uint64_t wire_drops;         /* frames lost on the wire: queue full, TAP busy, link down */
	uint64_t req_signals;        /* REQ eventfd writes */
	uint64_t tx_dext;            /* extended TX descriptors (context and data) consumed */
	uint64_t tx_tso_segments;    /* frames cut from TSO packets */
	uint64_t tx_csum;            /* frames whose checksums the model filled in */
	uint64_t tx_bad_offload;     /* packets dropped: a context that does not fit them
	                              * (MSS 0, HDRLEN/offsets past the packet, PAYLEN
	                              * not the packet's, longer than 64 KiB + header) */
	uint64_t tdt_writes;         /* TDT writes: doorbells, and the ring set-up's TDT = 0 */
};
void sim_get_stats(struct hal_dev *hw, struct sim_stats *st);

/* A register as the model holds it, without the side effects of a read
 * (ICR and the statistics are not cleared): for tests that compare what
 * the driver read with the device.  Write-only registers read 0. */
uint32_t sim_peek_reg(struct hal_dev *hw, uint32_t off);
/* A PHY register (behind MDIC) as the model holds it; 0 for reg >= 32. */
uint16_t sim_peek_phy(struct hal_dev *hw, unsigned reg);

/* Block until the model has processed every TDT write and wire frame made
 * before the call (or the device is hung/removed).  For tests: no sleeps. */
void sim_sync(struct hal_dev *hw);

#endif /* E1K_SIM_H */
