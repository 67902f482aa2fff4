/* SPDX-License-Identifier: MIT */
#include "fake_hal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define FAKE_NREGS (E1000_BAR0_SIZE / 4u)

struct fake_hal {
	struct hal_dev  dev;          /* first: hal_dev * <-> fake_hal * */
	uint32_t        regs[FAKE_NREGS];
	unsigned        writes[FAKE_NREGS];
	pthread_mutex_t lock;
	unsigned        live, allocs, fail_at;
	uint32_t        next_handle;
};

static struct fake_hal *F(struct hal_dev *hw)
{
	return (struct fake_hal *)hw;
}

static uint32_t fake_rd32(struct hal_dev *hw, uint32_t reg)
{
	return reg / 4 < FAKE_NREGS ? F(hw)->regs[reg / 4] : 0xffffffffu;
}

static void fake_wr32(struct hal_dev *hw, uint32_t reg, uint32_t val)
{
	if (reg / 4 < FAKE_NREGS) {
		F(hw)->regs[reg / 4] = val;
		F(hw)->writes[reg / 4]++;
	}
}

static int fake_cfg_read(struct hal_dev *hw, uint32_t off, void *buf, size_t len)
{
	memset(buf, 0, len);
	return 0;
}

static int fake_cfg_write(struct hal_dev *hw, uint32_t off, const void *buf, size_t len)
{
	return 0;
}

static int fake_dma_alloc(struct hal_dev *hw, size_t len, struct hal_dma *out)
{
	struct fake_hal *f = F(hw);
	size_t rounded = (len + 4095) & ~(size_t)4095;
	void *va;
	int err = 0;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&f->lock);
	if (f->fail_at && ++f->allocs == f->fail_at)
		err = -ENOMEM;
	pthread_mutex_unlock(&f->lock);
	if (err)
		return err;
	va = aligned_alloc(4096, rounded);
	if (!va)
		return -ENOMEM;
	memset(va, 0, rounded);
	pthread_mutex_lock(&f->lock);
	f->live++;
	out->handle = ++f->next_handle;
	pthread_mutex_unlock(&f->lock);
	out->va = va;
	out->len = rounded;
	out->iova = (uint64_t)(uintptr_t)va ^ FAKE_IOVA_XOR;
	return 0;
}

static void fake_dma_free(struct hal_dev *hw, struct hal_dma *dma)
{
	struct fake_hal *f = F(hw);

	free(dma->va);
	pthread_mutex_lock(&f->lock);
	f->live--;
	pthread_mutex_unlock(&f->lock);
	memset(dma, 0, sizeof(*dma));
}

static int fake_irq_count(struct hal_dev *hw, enum hal_irq_index idx, uint32_t *count)
{
	*count = 0;
	return 0;
}

static int fake_irq_set(struct hal_dev *hw, enum hal_irq_index idx, const int *efds, uint32_t n)
{
	return -ENOTSUP;
}

static int fake_irq_clear(struct hal_dev *hw, enum hal_irq_index idx)
{
	return 0;
}

static int fake_irq_unmask(struct hal_dev *hw, enum hal_irq_index idx, uint32_t v)
{
	return -ENOTSUP;
}

static int fake_reset(struct hal_dev *hw)
{
	return -ENOTSUP;
}

static void fake_op_close(struct hal_dev *hw)
{
	pthread_mutex_destroy(&F(hw)->lock);
	free(F(hw));
}

static const struct hal_ops fake_ops = {
	.name = "fake",
	.rd32 = fake_rd32,
	.wr32 = fake_wr32,
	.cfg_read = fake_cfg_read,
	.cfg_write = fake_cfg_write,
	.dma_alloc = fake_dma_alloc,
	.dma_free = fake_dma_free,
	.irq_count = fake_irq_count,
	.irq_set = fake_irq_set,
	.irq_clear = fake_irq_clear,
	.irq_unmask = fake_irq_unmask,
	.reset = fake_reset,
	.close = fake_op_close,
};

struct hal_dev *fake_open(void)
{
	struct fake_hal *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	pthread_mutex_init(&f->lock, NULL);
	f->dev.ops = &fake_ops;
	f->dev.mac = E1K_MAC_82540EM;
	f->dev.vendor_id = E1000_VENDOR_INTEL;
	f->dev.device_id = E1000_DEV_82540EM;
	strcpy(f->dev.name, "fake");
	return &f->dev;
}

void fake_close(struct hal_dev *hw)
{
	hal_close(hw);
}

uint32_t fake_reg(struct hal_dev *hw, uint32_t reg)
{
	return fake_rd32(hw, reg);
}

void fake_set_reg(struct hal_dev *hw, uint32_t reg, uint32_t val)
{
	if (reg / 4 < FAKE_NREGS)
		F(hw)->regs[reg / 4] = val;
}

unsigned fake_writes(struct hal_dev *hw, uint32_t reg)
{
	return reg / 4 < FAKE_NREGS ? F(hw)->writes[reg / 4] : 0;
}

unsigned fake_live_dma(struct hal_dev *hw)
{
	struct fake_hal *f = F(hw);
	unsigned n;

	pthread_mutex_lock(&f->lock);
	n = f->live;
	pthread_mutex_unlock(&f->lock);
	return n;
}

void fake_fail_dma_alloc_at(struct hal_dev *hw, unsigned nth)
{
	struct fake_hal *f = F(hw);

	pthread_mutex_lock(&f->lock);
	f->allocs = 0;
	f->fail_at = nth;
	pthread_mutex_unlock(&f->lock);
}

void *fake_iova_to_va(uint64_t iova)
{
	return (void *)(uintptr_t)(iova ^ FAKE_IOVA_XOR);
}
