/* SPDX-License-Identifier: MIT */
/*
 * fake_hal.h - a tiny hal backend for the ISR tests: a register file with
 * ICR read-to-clear, IMS/IMC set/clear semantics and ICS, an INTx unmask
 * counter, and a log of every access so a test can assert exactly what the
 * ISR touched.  Thread-safe (one mutex), so the irq thread and DPC workers
 * can use it at once.
 */
#ifndef E1K_TESTS_IRQ_FAKE_HAL_H
#define E1K_TESTS_IRQ_FAKE_HAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "hal.h"

enum fake_op { FAKE_RD, FAKE_WR, FAKE_UNMASK };

struct fake_access {
	enum fake_op op;
	uint32_t reg;       /* FAKE_UNMASK: the irq index */
	uint32_t val;       /* read result, written value, or the vector */
};

#define FAKE_LOG_MAX 64u

struct fake_hal {
	struct hal_dev hw;              /* first: the ops get &hw */
	pthread_mutex_t lock;
	uint32_t icr, ims;
	bool reads_all_ones;            /* device vanished: reads 0xffffffff */
	uint32_t storm;                 /* nonzero: ICR always reads these causes */
	unsigned unmasks[HAL_IRQ_NINDEX];
	unsigned long accesses;         /* every access, also past the log's end */
	unsigned nlog;
	struct fake_access log[FAKE_LOG_MAX];
};

void fake_hal_init(struct fake_hal *f, enum e1k_mac_type mac);
void fake_hal_fini(struct fake_hal *f);
/* The device raises causes (as ICS would). */
void fake_hal_raise(struct fake_hal *f, uint32_t causes);
void fake_hal_set_all_ones(struct fake_hal *f, bool on);
void fake_hal_set_storm(struct fake_hal *f, uint32_t causes);
void fake_hal_clear_log(struct fake_hal *f);
/* Snapshot of the state under the lock. */
struct fake_snap {
	uint32_t icr, ims;
	unsigned unmasks[HAL_IRQ_NINDEX];
	unsigned long accesses;
	unsigned nlog;
	struct fake_access log[FAKE_LOG_MAX];
};
void fake_hal_snap(struct fake_hal *f, struct fake_snap *s);

#endif
