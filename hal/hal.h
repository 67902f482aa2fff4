/* SPDX-License-Identifier: MIT */
/*
 * hal.h - hardware access layer: one backend table, two backends (vfio, sim).
 *
 * Lifecycle:  hal_open_*()  ->  [rd32/wr32, cfg, dma, irq ...]  ->  hal_close()
 *
 * Every entry point maps onto one VFIO operation, so the sim backend can be held
 * to exactly the contract the real device has:
 *   rd32/wr32          BAR0 mmap loads/stores
 *   cfg_read/write     pread/pwrite on VFIO_PCI_CONFIG_REGION_INDEX
 *   dma_alloc/free     mmap + VFIO_IOMMU_MAP_DMA / VFIO_IOMMU_UNMAP_DMA + munmap
 *   irq_count          VFIO_DEVICE_GET_IRQ_INFO
 *   irq_set            VFIO_DEVICE_SET_IRQS (DATA_EVENTFD | ACTION_TRIGGER)
 *   irq_clear          VFIO_DEVICE_SET_IRQS (DATA_NONE | ACTION_TRIGGER, count 0)
 *   irq_unmask         VFIO_DEVICE_SET_IRQS (DATA_NONE | ACTION_UNMASK)
 *   reset              VFIO_DEVICE_RESET (-ENOTSUP where the device offers none)
 *
 * Threading: rd32/wr32 and the irq calls may be made from any thread at once.
 * dma_alloc/dma_free and close are called from the control context only.
 * Errors are negative errno; nothing here aborts or exits.
 */
#ifndef E1K_HAL_H
#define E1K_HAL_H

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "e1000_regs.h"

/* Interrupt indexes: numerically equal to VFIO_PCI_*_IRQ_INDEX. */
enum hal_irq_index {
	HAL_IRQ_INTX = 0,
	HAL_IRQ_MSI  = 1,
	HAL_IRQ_MSIX = 2,
	HAL_IRQ_ERR  = 3,
	HAL_IRQ_REQ  = 4,   /* removal request: "device is about to be removed" */
	HAL_IRQ_NINDEX
};

enum e1k_mac_type {
	E1K_MAC_82540EM,
	E1K_MAC_82545EM,
	E1K_MAC_82574L,
};

/* A DMA region: host virtual address, device address, and length. */
struct hal_dma {
	void     *va;
	uint64_t  iova;
	size_t    len;       /* rounded up to the page size */
	uint32_t  handle;    /* backend's cookie; 0 = not allocated */
};

struct hal_dev;

struct hal_ops {
	const char *name;   /* "vfio" or "sim" */

	uint32_t (*rd32)(struct hal_dev *hw, uint32_t reg);
	void     (*wr32)(struct hal_dev *hw, uint32_t reg, uint32_t val);

	int (*cfg_read)(struct hal_dev *hw, uint32_t off, void *buf, size_t len);
	int (*cfg_write)(struct hal_dev *hw, uint32_t off, const void *buf, size_t len);

	/* Allocate len bytes of zeroed, device-visible memory aligned to at least
	 * 4 KiB and map it for DMA.  On failure *out is left zeroed. */
	int  (*dma_alloc)(struct hal_dev *hw, size_t len, struct hal_dma *out);
	/* Unmap from the device first, then free.  Accepts a zeroed region. */
	void (*dma_free)(struct hal_dev *hw, struct hal_dma *dma);
	/* Unmap from the device but keep the host memory: afterwards the device
	 * cannot reach it (IOMMU) while the process still can.  dma->va and
	 * dma->len stay valid, dma->handle becomes 0 and the memory is the
	 * caller's, released with hal_dma_release_host.  For memory an upper
	 * layer still holds when the halt must give it up. */
	int  (*dma_revoke)(struct hal_dev *hw, struct hal_dma *dma);

	/* Number of vectors offered at an index (0 when the index is absent). */
	int (*irq_count)(struct hal_dev *hw, enum hal_irq_index idx, uint32_t *count);
	/* Route vectors [0, n) of idx to the eventfds efds[0..n). */
	int (*irq_set)(struct hal_dev *hw, enum hal_irq_index idx,
	               const int *efds, uint32_t n);
	/* Disable every vector of idx; after it returns no more signals arrive. */
	int (*irq_clear)(struct hal_dev *hw, enum hal_irq_index idx);
	/* INTx is automasked after each signal: unmask it again. */
	int (*irq_unmask)(struct hal_dev *hw, enum hal_irq_index idx, uint32_t vector);

	int  (*reset)(struct hal_dev *hw);
	/* Optional (may be NULL).  Async-signal-safe: mask interrupts, stop
	 * RX/TX, reset, clear bus mastering -- no lock, no allocation -- so a
	 * dying process leaves no device doing DMA.  The sim needs none: the
	 * model dies with the process. */
	void (*emergency_stop)(struct hal_dev *hw);
	/* Optional (may be NULL).  DMA the backend saw and refused because it
	 * reached no live mapping: the model's IOMMU-style checker counts
	 * them; VFIO cannot see them (the host IOMMU logs them instead).  The
	 * halt report's dma_faults.  Context any. */
	uint64_t (*dma_faults)(struct hal_dev *hw);
	/* Optional (may be NULL).  DMA regions freed while the device could
	 * still reach them (bus mastering on): the rule "bus mastering off
	 * before memory is freed", which only the model can see.  Context any. */
	uint64_t (*dma_live_frees)(struct hal_dev *hw);
	/* Optional (NULL: wr32).  A register write through the backend's
	 * region access rather than the BAR mapping (VFIO: pwrite on the
	 * device fd), which still works once the mapping was replaced after a
	 * fault.  Only for stopping a function that no longer decodes its
	 * BAR (hal_raw_wr32). */
	void (*wr32_region)(struct hal_dev *hw, uint32_t reg, uint32_t val);
	/* Close the device: every mapping and irq must already have been released
	 * (the backend releases leftovers itself and reports them by count). */
	void (*close)(struct hal_dev *hw);
};

struct hal_dev {
	const struct hal_ops *ops;
	enum e1k_mac_type     mac;
	uint16_t              vendor_id;
	uint16_t              device_id;
	char                  name[64];   /* "sim:82540em" or "0000:01:00.0" */
	/* Set once removal is detected (all-ones read on a present device, SIGBUS,
	 * sim fault).  From then on the driver must not touch the device:
	 * hal_rd32/hal_wr32 count every such access in mmio_after_removal and
	 * return all ones / drop the write. */
	atomic_bool           gone;
	atomic_ulong          mmio_after_removal;
};

/* Register access: the handle is always explicit. */
static inline uint32_t hal_rd32(struct hal_dev *hw, uint32_t reg)
{
	if (atomic_load_explicit(&hw->gone, memory_order_acquire)) {
		atomic_fetch_add_explicit(&hw->mmio_after_removal, 1, memory_order_relaxed);
		return 0xffffffffu;
	}
	return hw->ops->rd32(hw, reg);
}

static inline void hal_wr32(struct hal_dev *hw, uint32_t reg, uint32_t val)
{
	if (atomic_load_explicit(&hw->gone, memory_order_acquire)) {
		atomic_fetch_add_explicit(&hw->mmio_after_removal, 1, memory_order_relaxed);
		return;
	}
	hw->ops->wr32(hw, reg, val);
}

/* Posted-write flush: a read of STATUS forces earlier writes to the device. */
static inline void hal_flush(struct hal_dev *hw)
{
	(void)hal_rd32(hw, E1000_STATUS);
}

/* Config space is not touched after removal either (surprise-removed policy). */
static inline int hal_cfg_read(struct hal_dev *hw, uint32_t off, void *buf, size_t len)
{
	if (atomic_load_explicit(&hw->gone, memory_order_acquire)) {
		atomic_fetch_add_explicit(&hw->mmio_after_removal, 1, memory_order_relaxed);
		return -ENODEV;
	}
	return hw->ops->cfg_read(hw, off, buf, len);
}

static inline int hal_cfg_write(struct hal_dev *hw, uint32_t off, const void *buf, size_t len)
{
	if (atomic_load_explicit(&hw->gone, memory_order_acquire)) {
		atomic_fetch_add_explicit(&hw->mmio_after_removal, 1, memory_order_relaxed);
		return -ENODEV;
	}
	return hw->ops->cfg_write(hw, off, buf, len);
}

int  hal_cfg_read16(struct hal_dev *hw, uint32_t off, uint16_t *val);
int  hal_cfg_write16(struct hal_dev *hw, uint32_t off, uint16_t val);
/* Offset of capability id in config space, or a negative errno (-ENOENT). */
int  hal_cfg_find_cap(struct hal_dev *hw, uint8_t cap_id);
/* Set or clear PCI_CFG_CMD_MASTER. */
int  hal_set_bus_master(struct hal_dev *hw, bool on);

/*
 * ---- after removal was detected ----
 * Once hw->gone is set no register or config access is made, with one
 * exception: telling a function that vanished from one that only stopped
 * decoding its BAR (memory space off, a link error, a hung function), and
 * stopping the latter before its DMA memory is freed -- a function still on
 * the bus with bus mastering on would write into freed pages.  These go to
 * the backend directly and are not counted in mmio_after_removal.
 * Context: the halting thread.
 */
enum hal_presence {
	HAL_PRESENT,        /* config answers, memory decoding on */
	HAL_NOT_DECODING,   /* config answers, memory decoding off */
	HAL_GONE,           /* config reads all ones: nothing is there */
};
const char *hal_presence_name(enum hal_presence p);   /* "present", "not-decoding", "gone" */
enum hal_presence hal_probe_presence(struct hal_dev *hw);
int  hal_raw_cfg_read16(struct hal_dev *hw, uint32_t off, uint16_t *val);
int  hal_raw_cfg_write16(struct hal_dev *hw, uint32_t off, uint16_t val);
void hal_raw_wr32(struct hal_dev *hw, uint32_t reg, uint32_t val);
/* The backend's function reset (VFIO_DEVICE_RESET): -ENOTSUP where none. */
int  hal_raw_reset(struct hal_dev *hw);

/* DMA refused by the backend's checker (0 where the backend has none). */
static inline uint64_t hal_dma_faults(struct hal_dev *hw)
{
	return hw->ops->dma_faults ? hw->ops->dma_faults(hw) : 0;
}

/* DMA regions freed while the device could reach them (0: backend cannot see). */
static inline uint64_t hal_dma_live_frees(struct hal_dev *hw)
{
	return hw->ops->dma_live_frees ? hw->ops->dma_live_frees(hw) : 0;
}

static inline int hal_dma_alloc(struct hal_dev *hw, size_t len, struct hal_dma *out)
{
	return hw->ops->dma_alloc(hw, len, out);
}

/* Safe on a zeroed region and safe to call twice: clears *dma. */
static inline void hal_dma_free(struct hal_dev *hw, struct hal_dma *dma)
{
	if (dma->handle != 0)
		hw->ops->dma_free(hw, dma);
}

/* See hal_ops.dma_revoke.  -EINVAL for a zeroed region. */
static inline int hal_dma_revoke(struct hal_dev *hw, struct hal_dma *dma)
{
	return dma->handle != 0 ? hw->ops->dma_revoke(hw, dma) : -EINVAL;
}

/* Give back the host memory of a revoked region (no device, no handle:
 * callable after the device is closed).  Both backends map regions with mmap. */
void hal_dma_release_host(struct hal_dma *dma);

static inline int hal_irq_count(struct hal_dev *hw, enum hal_irq_index idx, uint32_t *n)
{
	return hw->ops->irq_count(hw, idx, n);
}
static inline int hal_irq_set(struct hal_dev *hw, enum hal_irq_index idx,
                              const int *efds, uint32_t n)
{
	return hw->ops->irq_set(hw, idx, efds, n);
}
static inline int hal_irq_clear(struct hal_dev *hw, enum hal_irq_index idx)
{
	return hw->ops->irq_clear(hw, idx);
}
static inline int hal_irq_unmask(struct hal_dev *hw, enum hal_irq_index idx, uint32_t v)
{
	return hw->ops->irq_unmask(hw, idx, v);
}

/* Mark the device gone (idempotent). Returns true for the call that marked it. */
static inline bool hal_mark_gone(struct hal_dev *hw)
{
	return !atomic_exchange_explicit(&hw->gone, true, memory_order_acq_rel);
}
static inline bool hal_is_gone(struct hal_dev *hw)
{
	return atomic_load_explicit(&hw->gone, memory_order_acquire);
}

/* Close and free the handle.  Accepts NULL. */
void hal_close(struct hal_dev *hw);

/* Human name of a supported device id, or NULL when the id is not e1000-class. */
const char *hal_device_name(uint16_t vendor, uint16_t device);
/* MAC type of a supported device id; -ENODEV when unsupported. */
int hal_mac_type(uint16_t vendor, uint16_t device, enum e1k_mac_type *out);

#endif /* E1K_HAL_H */
