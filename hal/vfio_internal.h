/* SPDX-License-Identifier: MIT */
/*
 * vfio_internal.h - private state of the VFIO backend (hal/vfio*.c), and the
 * internals its unit tests reach (tests/hal/test_vfio_*.c).  Nothing outside
 * hal/vfio*.c and those tests includes it; the interface is vfio.h.
 *
 * Files:
 *   vfio.c         the device: the hal ops table (MMIO, config space, irqs,
 *                  reset, emergency stop, close), fault injection, and the open
 *                  ladder (hal_vfio_open_at) with its teardown
 *   vfio_sysfs.c   BDF parsing and sysfs discovery: hal_vfio_parse_bdf,
 *                  hal_vfio_sysfs_probe, the group's offenders, libpci names
 *   vfio_dma.c     DMA addressing: the IOVA allocator and the IOMMU's usable
 *                  ranges, /proc/self/pagemap translation (no-IOMMU mode),
 *                  dma_alloc/dma_free and the release of leftovers at close
 *   vfio_sigbus.c  the SIGBUS guard: the process-wide slot table of BAR
 *                  mappings, the handler that swaps in all-ones pages
 *
 * Threads (as hal.h): rd32/wr32, cfg and irq ops from any thread at once;
 * dma_alloc/dma_free and open/close from control; the SIGBUS handler on
 * whichever thread touched a dead BAR.
 *
 * Locks (they never nest):
 *   vfio_dev.dma_lock  per device: the DMA table and the IOVA allocator
 *                      (dma, ndma, dma_cap, next_handle, iova)
 *   guard_lock         process-wide, private to vfio_sigbus.c: slot
 *                      allocation and the one-time handler install
 * The SIGBUS handler takes no lock: it uses only the slots' atomics, mmap,
 * memset and mremap.
 */
#ifndef E1K_VFIO_INTERNAL_H
#define E1K_VFIO_INTERNAL_H

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hal.h"
#include "vfio.h"

/* The page size the backend maps, registers and translates in. */
#define VFIO_PAGE               4096u

/* ---- shared helpers --------------------------------------------------- */

/* One line (no newline) into err, when err is not NULL.  Context: any. */
static inline void __attribute__((format(printf, 3, 4)))
errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* One fprintf per line, so lines from threads do not interleave.  The hal has
 * no logger of its own (e1k_log lives above it in the driver).  Context: any
 * but a signal handler. */
static inline void __attribute__((format(printf, 1, 2)))
vlog(const char *fmt, ...)
{
	char buf[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "e1kd: vfio: %s\n", buf);
}

/* ---- vfio_sysfs.c: BDF and sysfs -------------------------------------- */

/* What sysfs says about a PCI function. */
struct hal_vfio_sysfs {
	uint16_t vendor, device;
	char     driver[64];    /* "" when unbound */
	int      group;         /* IOMMU group number, -1 when none */
	bool     noiommu;       /* the group is a VFIO no-IOMMU group */
};

/* Read vendor, device, driver and IOMMU group of bdf (canonical) under
 * sysfs_root (NULL = "/sys").  Fills *out even when the checks fail, as far as
 * it got.  Returns 0 only for a supported device bound to vfio-pci that has an
 * IOMMU group; otherwise the errors of hal_vfio_open with a message in err.
 * Context: control.  May block (file reads). */
int hal_vfio_sysfs_probe(const char *sysfs_root, const char *bdf, struct hal_vfio_sysfs *out,
                         char *err, size_t errlen);

/* For "group not viable": "X is bound to D, ..." for the members of IOMMU
 * group under root bound to something other than vfio-pci, self excepted;
 * "" when none or unreadable.  Context: control.  May block (file reads). */
void vfio_group_offenders(const char *root, int group, const char *self, char *buf,
                          size_t size);

/* ---- vfio_dma.c: IOVA, pagemap, DMA regions --------------------------- */

/* IOVA bump allocator over a set of usable ranges (inclusive ends).  Never
 * hands out an address twice, never crosses a range boundary.  Not locked:
 * the device's is under its dma_lock. */
#define HAL_VFIO_IOVA_RANGES 8
struct hal_vfio_iova {
	uint64_t start[HAL_VFIO_IOVA_RANGES];
	uint64_t last[HAL_VFIO_IOVA_RANGES];   /* inclusive */
	unsigned n;
	uint64_t next;                          /* first address not handed out */
};
/* ranges in any order; kept sorted, at most HAL_VFIO_IOVA_RANGES (the rest are
 * dropped); next starts at floor (1 GiB in the backend). */
void hal_vfio_iova_init(struct hal_vfio_iova *a, const uint64_t *start, const uint64_t *last,
                        unsigned n, uint64_t floor);
/* align: a power of two.  -EINVAL bad arguments, -ENOSPC exhausted. */
int  hal_vfio_iova_alloc(struct hal_vfio_iova *a, uint64_t len, uint64_t align, uint64_t *iova);

/* The usable IOVA ranges in a VFIO_IOMMU_GET_INFO reply of len bytes (the
 * VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE capability; inclusive ends), at most
 * max of them.  Returns how many (0: none reported).  Any alignment. */
int hal_vfio_parse_iova_caps(const void *info, size_t len, uint64_t *start, uint64_t *last,
                             unsigned max);

/* Physical address of [va, va+len) from a /proc/self/pagemap fd (or a file
 * laid out like one), checking every 4 KiB page is present and the run is
 * physically contiguous.  -EFAULT not present, -EPERM PFNs hidden (not
 * CAP_SYS_ADMIN), -ENOMEM not contiguous, -EIO short read; message in err. */
int hal_vfio_pagemap_phys(int pagemap_fd, uintptr_t va, size_t len, uint64_t *pa,
                          char *err, size_t errlen);

/* ---- vfio_sigbus.c: the SIGBUS guard ---------------------------------- */

/* Register [base, base+len) (page aligned).  Installs the handler on first
 * use.  Returns a slot (>= 0) or -ENOSPC / -EINVAL / -errno.
 * Context: control.  May block (briefly, guard_lock). */
int      hal_vfio_bar_guard_add(void *base, size_t len);
/* Unregister; waits (bounded) for a replacement in progress on another
 * thread.  Accepts -1.  Context: control. */
void     hal_vfio_bar_guard_remove(int slot);
/* SIGBUS faults caught in the slot so far.  Context: any. */
uint64_t hal_vfio_bar_guard_faults(int slot);
/* True once the slot's range was swapped for all-ones pages.  Context: any,
 * async-signal-safe (one atomic load). */
bool     vfio_guard_replaced(int slot);

/* ---- vfio.c: the device ----------------------------------------------- */

struct vfio_dma_rec {
	uint32_t handle;
	void    *va;
	uint64_t iova;
	size_t   len;
	bool     mapped;    /* VFIO_IOMMU_MAP_DMA done (IOMMU mode) */
};

struct vfio_dev {
	struct hal_dev       hw;          /* first: hal handle <-> backend */
	int                  container_fd;
	int                  group_fd;
	int                  device_fd;
	int                  pagemap_fd;  /* no-IOMMU mode only */
	bool                 noiommu;
	uint32_t             device_flags;
	uint32_t             num_irqs;
	uint8_t             *bar0;
	size_t               bar0_len;
	uint64_t             bar0_off;    /* BAR0's region offset in device_fd */
	int                  guard_slot;
	/* Set (release) after hal_vfio_fault_disable_memory's config write;
	 * close reads it (acquire).  The removal that write causes is seen by
	 * other threads through the device, which no tool can follow: this
	 * orders the injection's fd use before close's for TSan. */
	atomic_bool          mem_fault_injected;
	uint64_t             cfg_off;
	uint64_t             cfg_size;

	pthread_mutex_t      dma_lock;    /* dma, ndma, dma_cap, next_handle, iova */
	bool                 dma_lock_ready;
	struct vfio_dma_rec *dma;
	size_t               ndma, dma_cap;
	uint32_t             next_handle;
	struct hal_vfio_iova iova;
};

static inline struct vfio_dev *to_vfio(struct hal_dev *hw)
{
	return (struct vfio_dev *)hw;
}

/* hal_vfio_open with the device nodes under dev_root instead of "/dev". */
int hal_vfio_open_at(const char *bdf, const struct hal_vfio_opts *o, const char *dev_root,
                     struct hal_dev **out, char *err, size_t errlen);

/* ---- vfio_dma.c: the device's DMA ops --------------------------------- */

/* The hal ops.  Context: control.  Locks: take dma_lock.  May block (mmap,
 * mlock, ioctl, munmap). */
int  vfio_dma_alloc(struct hal_dev *hw, size_t len, struct hal_dma *out);
void vfio_dma_free(struct hal_dev *hw, struct hal_dma *dma);
int  vfio_dma_revoke(struct hal_dev *hw, struct hal_dma *dma);

/* Fill d->iova with the container's usable IOVA ranges (VFIO_IOMMU_GET_INFO;
 * a default of 39 bits minus the MSI window when the kernel reports none).
 * Context: control, during open (IOMMU mode). */
void vfio_iova_setup(struct vfio_dev *d);

/* Close: unmap and free every region still allocated (one log line counts
 * them), then the table.  Accepts a half-built d (dma_lock_ready false).
 * Context: control, after every other use of d ended. */
void vfio_dma_release_all(struct vfio_dev *d);

#endif /* E1K_VFIO_INTERNAL_H */
