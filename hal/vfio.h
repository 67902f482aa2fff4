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

#define HAL_VFIO_BDF_LEN 13   /* "dddd:bb:dd.f" + NUL */

/* Validate and canonicalise a BDF (lower case, with domain), as hal_vfio_open
 * does.  -EINVAL when bad.  Context: any. */
int hal_vfio_parse_bdf(const char *s, char out[HAL_VFIO_BDF_LEN]);

/* The backend's internals (sysfs probe, IOVA allocator, pagemap, SIGBUS guard)
 * are declared in vfio_internal.h, for hal/vfio*.c and their unit tests. */

#endif /* E1K_HAL_VFIO_H */
