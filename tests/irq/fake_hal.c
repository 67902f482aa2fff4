/* SPDX-License-Identifier: MIT */
#include "fake_hal.h"

#include <string.h>

#include "hooks.h"

static struct fake_hal *to_fake(struct hal_dev *hw)
{
	return container_of(hw, struct fake_hal, hw);
}

static void fake_log(struct fake_hal *f, enum fake_op op, uint32_t reg, uint32_t val)
{
	f->accesses++;
	if (f->nlog < FAKE_LOG_MAX)
		f->log[f->nlog++] = (struct fake_access){ op, reg, val };
}

static uint32_t fake_rd32(struct hal_dev *hw, uint32_t reg)
{
	struct fake_hal *f = to_fake(hw);
	uint32_t v = 0;

	pthread_mutex_lock(&f->lock);
	if (f->reads_all_ones) {
		v = E1000_REG_ALL_ONES;
	} else if (reg == E1000_ICR) {
		/* Read-to-clear (SDM 13.4.17); a storming device re-asserts at once. */
		v = f->icr | f->storm;
		f->icr = 0;
	} else if (reg == E1000_IMS) {
		v = f->ims;
	}
	fake_log(f, FAKE_RD, reg, v);
	pthread_mutex_unlock(&f->lock);
	return v;
}

static void fake_wr32(struct hal_dev *hw, uint32_t reg, uint32_t val)
{
	struct fake_hal *f = to_fake(hw);

	pthread_mutex_lock(&f->lock);
	if (!f->reads_all_ones) {
		if (reg == E1000_IMS)
			f->ims |= val;
		else if (reg == E1000_IMC)
			f->ims &= ~val;
		else if (reg == E1000_ICS)
			f->icr |= val;
	}
	fake_log(f, FAKE_WR, reg, val);
	pthread_mutex_unlock(&f->lock);
}

static int fake_cfg_read(struct hal_dev *hw, uint32_t off, void *buf, size_t len)
{
	return -ENOTSUP;
}

static int fake_cfg_write(struct hal_dev *hw, uint32_t off, const void *buf, size_t len)
{
	return -ENOTSUP;
}

static int fake_dma_alloc(struct hal_dev *hw, size_t len, struct hal_dma *out)
{
	memset(out, 0, sizeof(*out));
	return -ENOTSUP;
}

static void fake_dma_free(struct hal_dev *hw, struct hal_dma *dma)
{
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

static void fake_close(struct hal_dev *hw)
{
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
	.close = fake_close,
};

void fake_hal_init(struct fake_hal *f, enum e1k_mac_type mac)
{
	memset(f, 0, sizeof(*f));
	f->hw.ops = &fake_ops;
	f->hw.mac = mac;
	f->hw.vendor_id = E1000_VENDOR_INTEL;
	f->hw.device_id = mac == E1K_MAC_82574L ? E1000_DEV_82574L : E1000_DEV_82540EM;
	strcpy(f->hw.name, "fake");
	atomic_init(&f->hw.gone, false);
	atomic_init(&f->hw.mmio_after_removal, 0);
	pthread_mutex_init(&f->lock, NULL);
}

void fake_hal_fini(struct fake_hal *f)
{
	pthread_mutex_destroy(&f->lock);
}

void fake_hal_raise(struct fake_hal *f, uint32_t causes)
{
	pthread_mutex_lock(&f->lock);
	f->icr |= causes;
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
	s->icr = f->icr;
	s->ims = f->ims;
	memcpy(s->unmasks, f->unmasks, sizeof(s->unmasks));
	s->accesses = f->accesses;
	s->nlog = f->nlog;
	memcpy(s->log, f->log, sizeof(s->log));
	pthread_mutex_unlock(&f->lock);
}
