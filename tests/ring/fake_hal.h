/* SPDX-License-Identifier: MIT */
/*
 * fake_hal.h - a passive hal backend for ring unit tests: registers are a plain
 * array (every write counted per register), DMA memory comes from
 * aligned_alloc with iova = va ^ FAKE_IOVA_XOR (so a va passed where an iova
 * belongs shows up), and nothing runs on its own: the test plays the device
 * by writing descriptors itself.
 *
 * Threading: registers are for one thread; dma_alloc/free are locked.
 */
#ifndef E1K_FAKE_HAL_H
#define E1K_FAKE_HAL_H

#include <stdint.h>

#include "hal.h"

#define FAKE_IOVA_XOR 0x00ab000000000000ull

struct hal_dev *fake_open(void);
void fake_close(struct hal_dev *hw);

uint32_t fake_reg(struct hal_dev *hw, uint32_t reg);
void     fake_set_reg(struct hal_dev *hw, uint32_t reg, uint32_t val);
/* Number of writes to reg since open. */
unsigned fake_writes(struct hal_dev *hw, uint32_t reg);
/* Live DMA regions, and the Nth (1-based) future dma_alloc fails (0: never). */
unsigned fake_live_dma(struct hal_dev *hw);
void     fake_fail_dma_alloc_at(struct hal_dev *hw, unsigned nth);
void    *fake_iova_to_va(uint64_t iova);

#endif
