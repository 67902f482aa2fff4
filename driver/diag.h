/* SPDX-License-Identifier: MIT */
/*
 * diag.h - register and EEPROM dumps (ethtool -d / -e): which registers can
 * be read without changing the device, their names, their bits decoded.
 *
 * Only registers whose read has no side effect are dumped: ICR (read clears
 * the causes, which the ISR owns), the statistics block 0x04000..0x040FC
 * (clear on read: the adapter accumulates them, driver/control.c) and the
 * write-only ICS/IMC are left out, and so is the 128-word MTA (its contents
 * are the multicast list: e1kctl filter list).  e1k_diag_omitted says so.
 *
 * The e1k_diag_* readers touch only the device (Context: any thread that may;
 * see hw.h); the e1k_adapter_* ones hold the adapter's control lock, so a
 * halt cannot close the device under them (Context: control; May block: on
 * the control lock, and the EEPROM read polls, bounded by E1K_HW_EEPROM_US
 * per word).
 */
#ifndef E1K_DIAG_H
#define E1K_DIAG_H

#include <stddef.h>
#include <stdint.h>

#include "adapter.h"
#include "hal.h"

/* The most registers a dump holds (the 82574L's table, with RAR 0..15). */
#define E1K_DIAG_MAX_REGS 80u
#define E1K_DIAG_BITS_LEN 160u   /* decoded bits of one register */

struct e1k_diag_reg {
	const char *name;   /* "CTRL", "RAL3": static storage */
	uint32_t    off;
	uint32_t    value;
};

/* What a register dump leaves out, and why (one sentence). */
extern const char e1k_diag_omitted[];

/* Read every dumpable register of hw's part, in offset order; returns the
 * number written to out (at most max). */
unsigned e1k_diag_read_regs(struct hal_dev *hw, struct e1k_diag_reg *out, unsigned max);
/* The set bits and fields of a register value, as words ("EN BAM BSIZE=2048
 * SECRC"); "" for a register that has no bits worth naming. */
void e1k_diag_decode(enum e1k_mac_type mac, uint32_t off, uint32_t val, char *buf, size_t len);

/* Words 0x00..0x3F through EERD; 0, -ETIMEDOUT or -ENODEV (hw.h). */
int e1k_diag_read_eeprom(struct hal_dev *hw, uint16_t words[E1000_EEPROM_WORDS]);
/* Sum of words 0x00..0x3F (valid: E1000_EEPROM_SUM). */
uint16_t e1k_diag_eeprom_sum(const uint16_t words[E1000_EEPROM_WORDS]);

/* The same on an adapter's device.  -EPERM while initializing, halting or
 * halted; -ENODEV when the device is gone. */
int e1k_adapter_dump_regs(struct e1k_adapter *ad, struct e1k_diag_reg *out, unsigned max,
                          unsigned *n);
int e1k_adapter_dump_eeprom(struct e1k_adapter *ad, uint16_t words[E1000_EEPROM_WORDS]);

#endif /* E1K_DIAG_H */
