/* SPDX-License-Identifier: MIT */
/*
 * hw.h - the e1000 hardware layer: what the driver does to the device's
 * registers, with nothing of the adapter's state, threads or policy (the
 * hw/OS split of Linux's e1000).  Register names and bits: hal/e1000_regs.h;
 * section numbers: the 8254x / 82574 SDMs.
 *
 * Removal: these functions never mark a device gone.  One that sees all ones
 * where a register cannot read so (confirmed on STATUS) returns -ENODEV, and
 * the adapter decides what that means (driver/datapath.c, e1k_check_removed).
 *
 * Bounds are time (clock.h), not loop counts.
 * Context: any thread that may touch the device (the adapter serialises
 * writers; see the lock order in docs/architecture.md).  May block: only the
 * functions that say they poll.
 */
#ifndef E1K_HW_H
#define E1K_HW_H

#include <stdbool.h>
#include <stdint.h>

#include "hal.h"

/* Bounds of the device's own operations. */
#define E1K_HW_RESET_US       10000u   /* CTRL.RST self-clears (SDM 14.5: ~1 us) */
#define E1K_HW_EEPROM_US       1000u   /* one EERD word read */
#define E1K_HW_POLL_NS        10000u   /* between polls of a self-clearing bit */
/* QEMU 7.2's e1000e aborts if MSI-X goes away while its interrupt
 * throttling timer is armed: after masking, it is given this long. */
#define E1K_HW_E1000E_THROTTLE_US 20000u

/* All ones on a present device, confirmed on STATUS: the device is gone. */
bool e1k_hw_reads_gone(struct hal_dev *hw, uint32_t val);

/* Mask every cause, stop RX/TX, CTRL.RST and wait for it to self-clear
 * (polls, bounded by timeout_us), mask again and clear ICR.  0, -ETIMEDOUT,
 * -ENODEV. */
int  e1k_hw_reset(struct hal_dev *hw, unsigned timeout_us);
/* After a reset that may have been ignored (QEMU's e1000 ignores CTRL.RST):
 * RX, TX, interrupts and ring lengths off, so nothing is left armed. */
void e1k_hw_disarm(struct hal_dev *hw);
/* One EEPROM word through EERD (polls, bounded).  0, -ETIMEDOUT, -ENODEV. */
int  e1k_hw_read_eeprom(struct hal_dev *hw, unsigned word, uint16_t *out);
/* The station address: EEPROM words 0..2, else what firmware left in RAR0.
 * -EIO when neither holds a valid unicast address. */
int  e1k_hw_read_mac(struct hal_dev *hw, uint8_t mac[6]);
/* Auto-speed, set link up, full duplex (SDM 14.3). */
void e1k_hw_link_up(struct hal_dev *hw);

/* Moderation, legacy receive descriptors, receive checksum offload when
 * asked, TX control, and the station address in RAR0.  Rings and filters are
 * programmed apart. */
struct e1k_hw_setup {
	uint8_t  mac[6];
	unsigned itr_ns;             /* interrupt throttle interval */
	unsigned rx_delay_us;        /* RDTR */
	unsigned rx_abs_delay_us;    /* RADV */
	bool     rx_csum;            /* RXCSUM: IP and TCP/UDP checksums checked */
};

/* E1K_OFFLOAD_* the part can do: 82540EM and 82545EM checksums both ways and
 * IPv4 TSO (as Linux's e1000 offers), 82574L IPv6 TSO too. */
unsigned e1k_hw_offloads(const struct hal_dev *hw);
/* The largest MTU the part takes with RCTL.LPE: 82540EM/82545EM frames of
 * 16128 bytes (SDM 3.2.3), 82574L 9234 (Linux e1000e's limit for it). */
unsigned e1k_hw_max_mtu(const struct hal_dev *hw);
void e1k_hw_setup(struct hal_dev *hw, const struct e1k_hw_setup *s);
/* The interrupt throttle interval (ITR; on the 82574L also every EITR), in ns
 * (256 ns units on the wire).
 * Context: initialize, or the interrupt DPC while Running (itr.h). */
void e1k_hw_set_itr(struct hal_dev *hw, unsigned ns);
/* Interrupt routing: MSI-X vectors RXQ0 -> 0, TXQ0 -> 1, other -> 2
 * (82574 10.2.4.9); without MSI-X, no routing (82574L only). */
void e1k_hw_route_vectors(struct hal_dev *hw, bool msix);

/* Receive filters: RAR 1.., the MTA hash, promiscuous, and RCTL (with EN
 * when rx_enable). */
struct e1k_hw_filters {
	const uint8_t (*uc)[6];
	unsigned nuc;
	const uint8_t (*mc)[6];
	unsigned nmc;
	bool promisc;
	bool rx_enable;
	bool long_frames;   /* RCTL.LPE: frames over 1522 bytes, in chained buffers */
};
/* Writes RAR 1..rar_entries-1 (cleared past nuc, AV first) and the whole MTA. */
void e1k_hw_write_filters(struct hal_dev *hw, const struct e1k_hw_filters *f);
/* Read back: false when the device holds what was written. */
bool e1k_hw_filters_stuck(struct hal_dev *hw, const struct e1k_hw_filters *f);

void e1k_hw_irq_enable(struct hal_dev *hw, uint32_t causes);
void e1k_hw_irq_mask(struct hal_dev *hw);          /* IMC all ones, flushed */
void e1k_hw_stop_rx_tx(struct hal_dev *hw);        /* RCTL.EN, TCTL.EN off, flushed */
void e1k_hw_tx_enable(struct hal_dev *hw);

/* Wake-up on magic packet and link change, PME enabled (SDM 6.x), then
 * D3hot through the PM capability.  -ENOENT: no PM capability (stays D0). */
int  e1k_hw_power_down(struct hal_dev *hw);

/* A function whose BAR stopped decoding (its registers read all ones) but
 * which config space says is still on the bus: bus mastering off first (no
 * more DMA), memory decoding back on, interrupts masked, RX/TX off and the
 * MAC reset through the backend's region access (hal_raw_wr32, not the
 * mapping), a function reset where the backend offers one (*reset), and the
 * command register left with bus mastering and memory decoding off.  Only
 * the hal_raw_* accesses the removal rules allow.  0 or a negative errno. */
int  e1k_hw_quiesce_unmapped(struct hal_dev *hw, bool *reset);

/* The clear-on-read statistics registers, added to acc. */
struct e1k_hw_stats {
	uint64_t gprc, gptc, gorc, gotc, mpc, rnbc, crcerrs, ruc, roc, tpr, tpt, bprc, mprc;
};
void e1k_hw_read_stats(struct hal_dev *hw, struct e1k_hw_stats *acc);

#endif /* E1K_HW_H */
