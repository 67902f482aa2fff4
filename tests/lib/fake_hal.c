/* SPDX-License-Identifier: MIT */
#include "fake_hal.h"

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "e1000_regs.h"

#define FAKE_NREGS (E1000_BAR0_SIZE / 4u)

struct fake_hal {
	struct hal_dev hw;              /* the ops get &hw */
	bool irq_regs;
	pthread_mutex_t lock;
	uint32_t regs[FAKE_NREGS];
	unsigned writes[FAKE_NREGS];
	bool reads_all_ones;
	uint32_t storm;
	unsigned live, allocs, fail_at; /* DMA regions */
	uint32_t next_handle;
	unsigned unmasks[HAL_IRQ_NINDEX];
	unsigned long accesses;
	unsigned nlog;
	struct fake_access log[FAKE_LOG_MAX];
};

static struct fake_hal *to_fake(struct hal_dev *hw)
{
	return (struct fake_hal *)(void *)((char *)hw - offsetof(struct fake_hal, hw));
}

static bool in_bar(uint32_t reg)
{
	return reg / 4 < FAKE_NREGS;
}

/* Under f->lock. */
static void fake_log(struct fake_hal *f, enum fake_op op, uint32_t reg, uint32_t val)
{
	f->accesses++;
	if (f->nlog < FAKE_LOG_MAX)
		f->log[f->nlog++] = (struct fake_access){ op, reg, val };
}

static uint32_t fake_rd32(struct hal_dev *hw, uint32_t reg)
{
	struct fake_hal *f = to_fake(hw);
	uint32_t v;

	pthread_mutex_lock(&f->lock);
	if (f->reads_all_ones || !in_bar(reg)) {
		v = E1000_REG_ALL_ONES;
	} else if (f->irq_regs && reg == E1000_ICR) {
		/* Read-to-clear; a storming device re-asserts at once. */
		v = f->regs[reg / 4] | f->storm;
		f->regs[reg / 4] = 0;
	} else {
		v = f->regs[reg / 4];
	}
	fake_log(f, FAKE_RD, reg, v);
	pthread_mutex_unlock(&f->lock);
	return v;
}

static void fake_wr32(struct hal_dev *hw, uint32_t reg, uint32_t val)
{
	struct fake_hal *f = to_fake(hw);

	pthread_mutex_lock(&f->lock);
	if (in_bar(reg)) {
		f->writes[reg / 4]++;
		if (f->reads_all_ones)
			;               /* a vanished device drops writes */
		else if (!f->irq_regs)
			f->regs[reg / 4] = val;
		else if (reg == E1000_IMS)
			f->regs[E1000_IMS / 4] |= val;
		else if (reg == E1000_IMC)
			f->regs[E1000_IMS / 4] &= ~val;
		else if (reg == E1000_ICS)
			f->regs[E1000_ICR / 4] |= val;
		else if (reg == E1000_ICR)
			f->regs[E1000_ICR / 4] &= ~val;
		else
			f->regs[reg / 4] = val;
	}
	fake_log(f, FAKE_WR, reg, val);
	pthread_mutex_unlock(&f->lock);
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
	struct fake_hal *f = to_fake(hw);
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
	struct fake_hal *f = to_fake(hw);

	free(dma->va);
	pthread_mutex_lock(&f->lock);
	f->live--;
	pthread_mutex_unlock(&f->lock);
	memset(dma, 0, sizeof(*dma));
}

static int fake_irq_count(struct hal_dev *hw, enum hal_irq_index idx, uint32_t *count)
{
	*count = idx == HAL_IRQ_INTX || idx == HAL_IRQ_MSI ? 1 : 0;
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

static int fake_irq_unmask(struct hal_dev *hw, enum hal_irq_index idx, uint32_t vector)
{
	struct fake_hal *f = to_fake(hw);

	pthread_mutex_lock(&f->lock);
	f->unmasks[idx]++;
	fake_log(f, FAKE_UNMASK, (uint32_t)idx, vector);
	pthread_mutex_unlock(&f->lock);
	return 0;
}

static int fake_reset(struct hal_dev *hw)
{
	return -ENOTSUP;
}

static void fake_op_close(struct hal_dev *hw)
{
	struct fake_hal *f = to_fake(hw);

	pthread_mutex_destroy(&f->lock);
	free(f);
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

static uint16_t device_id_of(enum e1k_mac_type mac)
{
	switch (mac) {
	case E1K_MAC_82545EM:
		return E1000_DEV_82545EM;
	case E1K_MAC_82574L:
		return E1000_DEV_82574L;
	default:
		return E1000_DEV_82540EM;
	}
}

struct fake_hal *fake_hal_open(const struct fake_hal_opts *opts)
{
	static const struct fake_hal_opts defaults;
	struct fake_hal *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	if (!opts)
		opts = &defaults;
	f->irq_regs = opts->irq_regs;
	pthread_mutex_init(&f->lock, NULL);
	f->hw.ops = &fake_ops;
	f->hw.mac = opts->mac;
	f->hw.vendor_id = E1000_VENDOR_INTEL;
	f->hw.device_id = device_id_of(opts->mac);
	strcpy(f->hw.name, "fake");
	atomic_init(&f->hw.gone, false);
	atomic_init(&f->hw.mmio_after_removal, 0);
	return f;
}

void fake_hal_close(struct fake_hal *f)
{
	if (f)
		hal_close(&f->hw);
}

struct hal_dev *fake_hal_dev(struct fake_hal *f)
{
	return f ? &f->hw : NULL;
}

uint32_t fake_hal_reg(struct fake_hal *f, uint32_t reg)
{
	uint32_t v = E1000_REG_ALL_ONES;

	pthread_mutex_lock(&f->lock);
	if (in_bar(reg))
		v = f->regs[reg / 4];
	pthread_mutex_unlock(&f->lock);
	return v;
}

void fake_hal_set_reg(struct fake_hal *f, uint32_t reg, uint32_t val)
{
	pthread_mutex_lock(&f->lock);
	if (in_bar(reg))
		f->regs[reg / 4] = val;
	pthread_mutex_unlock(&f->lock);
}

unsigned fake_hal_writes(struct fake_hal *f, uint32_t reg)
{
	unsigned n = 0;

	pthread_mutex_lock(&f->lock);
	if (in_bar(reg))
		n = f->writes[reg / 4];
	pthread_mutex_unlock(&f->lock);
	return n;
}

unsigned fake_hal_live_dma(struct fake_hal *f)
{
	unsigned n;

	pthread_mutex_lock(&f->lock);
	n = f->live;
	pthread_mutex_unlock(&f->lock);
	return n;
}

void fake_hal_fail_dma_alloc_at(struct fake_hal *f, unsigned nth)
{
	pthread_mutex_lock(&f->lock);
	f->allocs = 0;
	f->fail_at = nth;
	pthread_mutex_unlock(&f->lock);
}

void *fake_hal_iova_to_va(uint64_t iova)
{
	return (void *)(uintptr_t)(iova ^ FAKE_IOVA_XOR);
}

void fake_hal_raise(struct fake_hal *f, uint32_t causes)
{
	pthread_mutex_lock(&f->lock);
	f->regs[E1000_ICR / 4] |= causes;
	pthread_mutex_unlock(&f->lock);
}

void fake_hal_set_all_ones(struct fake_hal *f, bool on)
{
	pthread_mutex_lock(&f->lock);
	f->reads_all_ones = on;
	pthread_mutex_unlock(&f->lock);
}

void fake_hal_set_storm(struct fake_hal *f, uint32_t causes)
{
	pthread_mutex_lock(&f->lock);
	f->storm = causes;
	pthread_mutex_unlock(&f->lock);
}

void fake_hal_clear_log(struct fake_hal *f)
{
	pthread_mutex_lock(&f->lock);
	f->nlog = 0;
	f->accesses = 0;
	memset(f->unmasks, 0, sizeof(f->unmasks));
	pthread_mutex_unlock(&f->lock);
}

void fake_hal_snap(struct fake_hal *f, struct fake_snap *s)
{
	pthread_mutex_lock(&f->lock);
	s->icr = f->regs[E1000_ICR / 4];
	s->ims = f->regs[E1000_IMS / 4];
	memcpy(s->unmasks, f->unmasks, sizeof(s->unmasks));
	s->accesses = f->accesses;
	s->nlog = f->nlog;
	memcpy(s->log, f->log, sizeof(s->log));
	pthread_mutex_unlock(&f->lock);
}
