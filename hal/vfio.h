/* SPDX-License-Identifier: MIT */
/*
 * vfio.h - the VFIO backend of the hal table: a real e1000-class NIC bound to
 * vfio-pci.
 *
 * Lifecycle:  hal_vfio_open()  ->  hal ops (hal.h)  ->  hal_close()
 *
 *   open:  validate the BDF -> sysfs checks (present, supported id, bound to
 *          vfio-pci, IOMMU group) -> /dev/vfio/vfio (container, API version,
 *          IOMMU type) -> /dev/vfio/N (viable?) -> SET_CONTAINER -> SET_IOMMU
 *          -> GET_DEVICE_FD -> region info (BAR0, config) -> mmap BAR0 ->
 *          register BAR0 with the SIGBUS guard.  Any failure undoes every
 *          step taken and says which one failed in err.
 *   close: release leftover DMA mappings (counted in one log line on stderr),
 *          unregister and unmap BAR0, close device, group, container.
 *
 * IOMMU modes.  A normal group (/dev/vfio/N) uses VFIO_TYPE1v2_IOMMU (TYPE1
 * when v2 is missing) and maps every DMA region at an IOVA from a bump
 * allocator: from 1 GiB upwards, inside the IOMMU's usable ranges
 * (VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, which excludes the MSI window), never
 * reused.  A no-IOMMU group (/dev/vfio/noiommu-N, kernel built with
 * CONFIG_VFIO_NOIOMMU and vfio.enable_unsafe_noiommu_mode=1) is refused unless
 * opts->prefer_noiommu is set, as the device can then DMA anywhere; in that
 * mode there is no map ioctl and the IOVA is the physical address read from
 * /proc/self/pagemap (root only).  The device must see each region as one
 * physically contiguous block, so a region is either at most one 4 KiB page
 * or backed by 2 MiB huge pages (MAP_HUGETLB; reserve some with
 * /proc/sys/vm/nr_hugepages).  A region that turns out not to be contiguous
 * fails with -ENOMEM and a line on stderr saying why: above 4 KiB without
 * hugepages always, above 2 MiB unless the hugepages happen to be physically
 * adjacent (in the rig they were not: e1kd's 4 MiB packet pool fails; keep
 * no-IOMMU regions at or below 2 MiB).
 *
 * Surprise removal.  When a device disappears (or Memory Space is cleared in
 * its command register, see hal_vfio_fault_disable_memory) vfio-pci makes
 * every access to the BAR mapping raise SIGBUS.  The backend installs, once per
 * process, a SIGBUS handler (SA_SIGINFO) that looks the fault address up in a
 * fixed table of registered BAR mappings (no allocation, no lock: atomics
 * only).  On a hit it atomically replaces the whole BAR range with anonymous
 * pages filled with 0xff (mmap + memset + mremap MREMAP_FIXED) and returns: the
 * retried load reads 0xffffffff, which the driver's removal detection (all
 * ones in ICR, confirmed on STATUS) turns into a surprise-removed halt.
 * Stores to the replacement pages are harmless: they land in private memory
 * (and read back), so STATUS and ICR, which the driver never writes, keep
 * reading all ones.  Faults elsewhere go to the
 * handler that was installed before ours (e1kd's fatal-signal handler), or to
 * the default action.
 *
 * Threading (as hal.h): rd32/wr32, cfg_read/cfg_write and the irq calls may be
 * made from any thread at once (each is one load/store, pread/pwrite or ioctl,
 * which the kernel serialises).  dma_alloc/dma_free take the backend's DMA
 * table lock; close is control context only, after every other use ended.
 * emergency_stop is async-signal-safe.
 */
#ifndef E1K_HAL_VFIO_H
#define E1K_HAL_VFIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal.h"

struct hal_vfio_opts {
	const char *sysfs_root;   /* NULL = "/sys"; tests point it elsewhere */
	int         prefer_noiommu; /* accept (and use) a no-IOMMU group */
};

/* Open the PCI function bdf ("DDDD:BB:DD.F" or "BB:DD.F", domain 0000) bound
 * to vfio-pci.  o may be NULL (defaults).  On failure returns a negative errno,
 * writes one line (no newline) to err and leaves nothing open or mapped.
 * Errors: -EINVAL bad BDF; -ENODEV no such device, not e1000-class, no IOMMU
 * group; -EBUSY not bound to vfio-pci (another driver or none), or the group
 * is held by another process; -ENOENT vfio not available; -EPERM group not
 * viable, no-IOMMU group refused, SET_IOMMU refused; otherwise the failing
 * syscall's errno.
 * Context: control.  May block (opens, ioctls). */
int  hal_vfio_open(const char *bdf, const struct hal_vfio_opts *o, struct hal_dev **out,
                   char *err, size_t errlen);

/* True when hw was made by hal_vfio_open.  Context: any. */
bool hal_is_vfio(const struct hal_dev *hw);

/* Fault injection: clear Memory Space in the command register through the
 * VFIO config region, so the next BAR access faults (SIGBUS on QEMU 7.2; the
 * guard turns it into all-ones reads).  -EINVAL when hw is not VFIO.
 * Context: control.  May block (pread/pwrite). */
int  hal_vfio_fault_disable_memory(struct hal_dev *hw);

/* ---- Internals exposed for the unit tests (tests/hal/vfio_*.c) ----------- */

#define HAL_VFIO_BDF_LEN 13   /* "dddd:bb:dd.f" + NUL */

/* Validate and canonicalise (lower case, with domain).  -EINVAL when bad. */
int hal_vfio_parse_bdf(const char *s, char out[HAL_VFIO_BDF_LEN]);

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
 * IOMMU group; otherwise the errors of hal_vfio_open with a message in err. */
int hal_vfio_sysfs_probe(const char *sysfs_root, const char *bdf, struct hal_vfio_sysfs *out,
                         char *err, size_t errlen);

/* hal_vfio_open with the device nodes under dev_root instead of "/dev". */
int hal_vfio_open_at(const char *bdf, const struct hal_vfio_opts *o, const char *dev_root,
                     struct hal_dev **out, char *err, size_t errlen);

/* IOVA bump allocator over a set of usable ranges (inclusive ends).  Never
 * hands out an address twice, never crosses a range boundary. */
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

/* The SIGBUS guard: register [base, base+len) (page aligned).  Installs the
 * handler on first use.  Returns a slot (>= 0) or -ENOSPC / -EINVAL / -errno.
 * Context: control.  May block (briefly, a mutex). */
int      hal_vfio_bar_guard_add(void *base, size_t len);
/* Unregister; waits (bounded) for a replacement in progress on another
 * thread.  Accepts -1.  Context: control. */
void     hal_vfio_bar_guard_remove(int slot);
/* SIGBUS faults caught in the slot so far.  Context: any. */
uint64_t hal_vfio_bar_guard_faults(int slot);

#endif /* E1K_HAL_VFIO_H */
