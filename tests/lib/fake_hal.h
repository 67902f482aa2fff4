/* SPDX-License-Identifier: MIT */
/*
 * fake_hal.h - the one fake hal backend (hal/hal.h's table) of the unit tests
 * and the rx_writeback fuzz harness.  Nothing runs on its own: the test plays
 * the device by setting registers, raising causes and writing descriptors.
 *
 *   registers  a plain register file over all of BAR0 (reads beyond it are
 *              all ones); every write is counted per register;
 *   DMA        aligned_alloc, iova = va ^ FAKE_IOVA_XOR (so a va passed where
 *              an iova belongs shows up); live regions counted, and the Nth
 *              future dma_alloc can be made to fail;
 *   interrupts INTx and MSI have one vector, MSI-X none; irq_unmask is
 *              counted; irq_set, reset: -ENOTSUP;
 *   config     reads as zeros, writes are dropped;
 *   log        the first FAKE_LOG_MAX register accesses and unmasks, in
 *              order, so a test can assert exactly what the code touched.
 *
 * Options (struct fake_hal_opts; NULL or all zero: a plain 82540EM):
 *   mac        the MAC type (and device id) the handle reports;
 *   irq_regs   ICR, IMS, IMC and ICS act as the hardware's interrupt
 *              registers: ICR is read-to-clear (SDM 13.4.17) and write-1-
 *              to-clear, ICS sets ICR bits, IMS sets and IMC clears mask bits,
 *              IMS reads the mask.  Without it they are plain registers like
 *              the rest, for tests that only look at what was written.
 *
 * Threading: every op and every function here takes the fake's one mutex, so
 * the code under test may use the handle from several threads (irq thread,
 * DPC workers) while the test plays the device from another.
 */
#ifndef E1K_TESTS_FAKE_HAL_H
#define E1K_TESTS_FAKE_HAL_H

#include <stdbool.h>
#include <stdint.h>

#include "hal.h"

#define FAKE_IOVA_XOR 0x00ab000000000000ull
#define FAKE_LOG_MAX  64u

struct fake_hal;

struct fake_hal_opts {
	enum e1k_mac_type mac;
	bool irq_regs;
};

/* NULL opts: all defaults.  NULL on allocation failure. */
struct fake_hal *fake_hal_open(const struct fake_hal_opts *opts);
/* hal_close on the handle; frees the fake.  NULL is a no-op. */
void fake_hal_close(struct fake_hal *f);
/* The handle to give the code under test (NULL for a NULL fake). */
struct hal_dev *fake_hal_dev(struct fake_hal *f);

/* Registers as the test sees them: no side effects, not logged or counted. */
uint32_t fake_hal_reg(struct fake_hal *f, uint32_t reg);
void     fake_hal_set_reg(struct fake_hal *f, uint32_t reg, uint32_t val);
/* Writes the code under test made to reg since open. */
unsigned fake_hal_writes(struct fake_hal *f, uint32_t reg);

/* Live DMA regions; the Nth (1-based) future dma_alloc fails (0: never). */
unsigned fake_hal_live_dma(struct fake_hal *f);
void     fake_hal_fail_dma_alloc_at(struct fake_hal *f, unsigned nth);
void    *fake_hal_iova_to_va(uint64_t iova);

/* The device raises causes in ICR (as ICS would, without the access). */
void fake_hal_raise(struct fake_hal *f, uint32_t causes);
/* Device vanished: every read returns all ones, writes are dropped. */
void fake_hal_set_all_ones(struct fake_hal *f, bool on);
/* Nonzero: every ICR read returns these causes too, clear or not. */
void fake_hal_set_storm(struct fake_hal *f, uint32_t causes);

enum fake_op { FAKE_RD, FAKE_WR, FAKE_UNMASK };

struct fake_access {
	enum fake_op op;
	uint32_t reg;       /* FAKE_UNMASK: the irq index */
	uint32_t val;       /* read result, written value, or the vector */
};

/* Empties the log and zeroes accesses and unmasks (not the write counts). */
void fake_hal_clear_log(struct fake_hal *f);

struct fake_snap {
	uint32_t icr, ims;
	unsigned unmasks[HAL_IRQ_NINDEX];
	unsigned long accesses;         /* every access, also past the log's end */
	unsigned nlog;
	struct fake_access log[FAKE_LOG_MAX];
};
/* A consistent copy of the interrupt state and the log. */
void fake_hal_snap(struct fake_hal *f, struct fake_snap *s);

#endif /* E1K_TESTS_FAKE_HAL_H */
