/* SPDX-License-Identifier: MIT */
/*
 * vfio.c - the VFIO backend's device (see vfio.h for the lifecycle, the IOMMU
 * modes and the SIGBUS guard; vfio_internal.h for the other files): the hal
 * ops table and the open ladder, hal_vfio_open_at (any failure goes to
 * vfio_teardown, which undoes what was built, in reverse).
 */
#include "vfio_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/vfio.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define VFIO_IRQ_MAX_VECTORS    32u
/* QEMU 7.2's e1000e aborts the VM when MSI-X is disabled (our fds closing)
 * while its throttle timer is armed; ~20 ms after masking avoids it
 * (seen on the QEMU rig). */
#define VFIO_E1000E_QUIESCE_NS  20000000l

/* ---- the device ------------------------------------------------------- */

static const struct hal_ops vfio_ops;

static volatile uint32_t *reg_ptr(struct vfio_dev *d, uint32_t reg)
{
	return (volatile uint32_t *)(void *)(d->bar0 + reg);
}

static bool reg_ok(const struct vfio_dev *d, uint32_t reg)
{
	return (reg & 3u) == 0 && (size_t)reg + sizeof(uint32_t) <= d->bar0_len;
}

/*
 * MMIO: exactly one 32-bit access per call, never torn, merged, moved or
 * elided (volatile), issued through the __atomic builtins with relaxed order.
 * That is the same single mov on x86, but ThreadSanitizer then treats it as
 * atomic: two threads touching a register (the DPC writing IMS while the
 * control path writes IMC) are device operations the device serialises, not
 * a data race on memory.  Ordering against DMA memory is the caller's (the
 * rings' release fence before a tail write).  Async-signal-safe.
 */
static uint32_t mmio_rd(struct vfio_dev *d, uint32_t reg)
{
	return __atomic_load_n(reg_ptr(d, reg), __ATOMIC_RELAXED);
}

static void mmio_wr(struct vfio_dev *d, uint32_t reg, uint32_t val)
{
	__atomic_store_n(reg_ptr(d, reg), val, __ATOMIC_RELAXED);
}

/* Context: any.  One 32-bit load from the BAR mapping. */
static uint32_t vfio_rd32(struct hal_dev *hw, uint32_t reg)
{
	struct vfio_dev *d = to_vfio(hw);

	if (!reg_ok(d, reg))
		return E1000_REG_ALL_ONES;
	return mmio_rd(d, reg);
}

/* Context: any.  One 32-bit store. */
static void vfio_wr32(struct hal_dev *hw, uint32_t reg, uint32_t val)
{
	struct vfio_dev *d = to_vfio(hw);

	if (reg_ok(d, reg))
		mmio_wr(d, reg, val);
}

static int cfg_io(struct vfio_dev *d, uint32_t off, void *buf, size_t len, bool wr)
{
	ssize_t r;

	if (len == 0 || (uint64_t)off + len > d->cfg_size)
		return -EINVAL;
	do {
		r = wr ? pwrite(d->device_fd, buf, len, (off_t)(d->cfg_off + off))
		       : pread(d->device_fd, buf, len, (off_t)(d->cfg_off + off));
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	return (size_t)r == len ? 0 : -EIO;
}

/* Context: any.  May block (pread on the config region). */
static int vfio_cfg_read(struct hal_dev *hw, uint32_t off, void *buf, size_t len)
{
	return cfg_io(to_vfio(hw), off, buf, len, false);
}

/* Context: any.  May block (pwrite on the config region). */
static int vfio_cfg_write(struct hal_dev *hw, uint32_t off, const void *buf, size_t len)
{
	return cfg_io(to_vfio(hw), off, (void *)buf, len, true);
}

/* Context: any.  May block (ioctl). */
static int vfio_irq_count(struct hal_dev *hw, enum hal_irq_index idx, uint32_t *count)
{
	struct vfio_dev *d = to_vfio(hw);
	struct vfio_irq_info info = { .argsz = sizeof(info), .index = (uint32_t)idx };

	*count = 0;
	if ((unsigned)idx >= HAL_IRQ_NINDEX)
		return -EINVAL;
	if ((uint32_t)idx >= d->num_irqs)
		return 0;
	if (ioctl(d->device_fd, VFIO_DEVICE_GET_IRQ_INFO, &info) < 0)
		/* vfio-pci refuses ERR on conventional PCI with EINVAL: absent. */
		return errno == EINVAL ? 0 : -errno;
	*count = info.count;
	return 0;
}

static int irq_ioctl(struct vfio_dev *d, uint32_t flags, enum hal_irq_index idx, uint32_t start,
                     uint32_t count, const int *efds)
{
	_Alignas(struct vfio_irq_set) uint8_t buf[sizeof(struct vfio_irq_set) +
	                                          VFIO_IRQ_MAX_VECTORS * sizeof(int32_t)];
	struct vfio_irq_set *s = (struct vfio_irq_set *)(void *)buf;
	size_t data = efds ? count * sizeof(int32_t) : 0;

	if ((unsigned)idx >= HAL_IRQ_NINDEX || count > VFIO_IRQ_MAX_VECTORS)
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	s->argsz = (uint32_t)(sizeof(*s) + data);
	s->flags = flags;
	s->index = (uint32_t)idx;
	s->start = start;
	s->count = count;
	for (uint32_t i = 0; efds && i < count; i++) {
		int32_t fd = efds[i];

		memcpy(s->data + i * sizeof(fd), &fd, sizeof(fd));
	}
	return ioctl(d->device_fd, VFIO_DEVICE_SET_IRQS, s) < 0 ? -errno : 0;
}

/* Context: any.  May block (ioctl). */
static int vfio_irq_set(struct hal_dev *hw, enum hal_irq_index idx, const int *efds, uint32_t n)
{
	if (!efds || n == 0)
		return -EINVAL;
	return irq_ioctl(to_vfio(hw), VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
	                 idx, 0, n, efds);
}

/* Context: any.  May block (ioctl). */
static int vfio_irq_clear(struct hal_dev *hw, enum hal_irq_index idx)
{
	return irq_ioctl(to_vfio(hw), VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
	                 idx, 0, 0, NULL);
}

/* Context: any (the irq thread after each INTx).  May block (ioctl). */
static int vfio_irq_unmask(struct hal_dev *hw, enum hal_irq_index idx, uint32_t vector)
{
	return irq_ioctl(to_vfio(hw), VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK,
	                 idx, vector, 1, NULL);
}

/* Context: control.  May block (function-level reset in the kernel). */
/* Through vfio-pci's region access, not the mapping: works after the SIGBUS
 * guard replaced the mapping, once memory decoding is back on. */
static void vfio_wr32_region(struct hal_dev *hw, uint32_t reg, uint32_t val)
{
	struct vfio_dev *d = to_vfio(hw);

	(void)!pwrite(d->device_fd, &val, sizeof(val), (off_t)(d->bar0_off + reg));
}

static int vfio_reset(struct hal_dev *hw)
{
	struct vfio_dev *d = to_vfio(hw);

	if (!(d->device_flags & VFIO_DEVICE_FLAGS_RESET))
		return -ENOTSUP;
	return ioctl(d->device_fd, VFIO_DEVICE_RESET) < 0 ? -errno : 0;
}

/* Context: a fatal signal handler.  Async-signal-safe: MMIO stores to the
 * BAR (skipped once the guard replaced it), pread/pwrite on the config region,
 * nanosleep.  Masks interrupts, stops RX/TX, resets, clears bus mastering. */
static void vfio_emergency_stop(struct hal_dev *hw)
{
	struct vfio_dev *d = to_vfio(hw);
	uint16_t cmd;

	if (d->bar0 && !vfio_guard_replaced(d->guard_slot)) {
		mmio_wr(d, E1000_IMC, E1000_IMS_ALL);
		mmio_wr(d, E1000_RCTL, 0);
		mmio_wr(d, E1000_TCTL, 0);
		mmio_wr(d, E1000_CTRL, mmio_rd(d, E1000_CTRL) | E1000_CTRL_RST);
		if (d->hw.mac == E1K_MAC_82574L)
			nanosleep(&(struct timespec){ .tv_nsec = VFIO_E1000E_QUIESCE_NS }, NULL);
	}
	if (pread(d->device_fd, &cmd, sizeof(cmd), (off_t)(d->cfg_off + PCI_CFG_COMMAND)) ==
	    (ssize_t)sizeof(cmd)) {
		cmd = (uint16_t)(cmd & ~PCI_CFG_CMD_MASTER);
		(void)!pwrite(d->device_fd, &cmd, sizeof(cmd), (off_t)(d->cfg_off + PCI_CFG_COMMAND));
	}
}

/* Undo whatever hal_vfio_open_at built, in reverse.  Accepts a half-built d. */
static void vfio_teardown(struct vfio_dev *d)
{
	if (!d)
		return;
	(void)atomic_load_explicit(&d->mem_fault_injected, memory_order_acquire);
	vfio_dma_release_all(d);
	if (hal_vfio_bar_guard_faults(d->guard_slot))
		vlog("%s: BAR0 faulted (%llu SIGBUS caught; it read all ones since)", d->hw.name,
		     (unsigned long long)hal_vfio_bar_guard_faults(d->guard_slot));
	hal_vfio_bar_guard_remove(d->guard_slot);
	d->guard_slot = -1;
	if (d->bar0)
		munmap(d->bar0, d->bar0_len);
	d->bar0 = NULL;
	if (d->pagemap_fd >= 0)
		close(d->pagemap_fd);
	/* Device before group before container: each holds the next. */
	if (d->device_fd >= 0)
		close(d->device_fd);
	if (d->group_fd >= 0)
		close(d->group_fd);
	if (d->container_fd >= 0)
		close(d->container_fd);
	if (d->dma_lock_ready)
		pthread_mutex_destroy(&d->dma_lock);
	free(d);
}

/* Context: control, after every other use of hw ended. */
static void vfio_close(struct hal_dev *hw)
{
	vfio_teardown(to_vfio(hw));
}

static const struct hal_ops vfio_ops = {
	.name           = "vfio",
	.rd32           = vfio_rd32,
	.wr32           = vfio_wr32,
	.cfg_read       = vfio_cfg_read,
	.cfg_write      = vfio_cfg_write,
	.dma_alloc      = vfio_dma_alloc,
	.dma_free       = vfio_dma_free,
	.dma_revoke     = vfio_dma_revoke,
	.irq_count      = vfio_irq_count,
	.irq_set        = vfio_irq_set,
	.irq_clear      = vfio_irq_clear,
	.irq_unmask     = vfio_irq_unmask,
	.reset          = vfio_reset,
	.emergency_stop = vfio_emergency_stop,
	.wr32_region    = vfio_wr32_region,
	.close          = vfio_close,
};

bool hal_is_vfio(const struct hal_dev *hw)
{
	return hw && hw->ops == &vfio_ops;
}

int hal_vfio_fault_disable_memory(struct hal_dev *hw)
{
	struct vfio_dev *d;
	uint16_t cmd;
	int rc;

	if (!hal_is_vfio(hw))
		return -EINVAL;
	d = to_vfio(hw);
	rc = cfg_io(d, PCI_CFG_COMMAND, &cmd, sizeof(cmd), false);
	if (rc < 0)
		return rc;
	cmd = (uint16_t)(cmd & ~PCI_CFG_CMD_MEMORY);
	rc = cfg_io(d, PCI_CFG_COMMAND, &cmd, sizeof(cmd), true);
	/* Release: pairs with the acquire load in vfio_teardown. */
	atomic_store_explicit(&d->mem_fault_injected, true, memory_order_release);
	return rc;
}

/* ---- open ------------------------------------------------------------- */

static int region_info(struct vfio_dev *d, uint32_t index, struct vfio_region_info *ri)
{
	memset(ri, 0, sizeof(*ri));
	ri->argsz = sizeof(*ri);
	ri->index = index;
	return ioctl(d->device_fd, VFIO_DEVICE_GET_REGION_INFO, ri) < 0 ? -errno : 0;
}

int hal_vfio_open_at(const char *bdf_in, const struct hal_vfio_opts *o, const char *dev_root,
                     struct hal_dev **out, char *err, size_t errlen)
{
	static const struct hal_vfio_opts defaults = { 0 };
	struct vfio_group_status gs = { .argsz = sizeof(gs) };
	struct vfio_device_info di = { .argsz = sizeof(di) };
	struct vfio_region_info bar, cfg;
	struct hal_vfio_sysfs sy;
	char bdf[HAL_VFIO_BDF_LEN], vfio_path[PATH_MAX], group_path[PATH_MAX], extra[256];
	enum e1k_mac_type mac;
	struct vfio_dev *d;
	uint16_t ids[2];
	int rc, iommu_type;
	void *map;

	if (out)
		*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	if (!bdf_in || !out || !dev_root) {
		errf(err, errlen, "hal_vfio_open: missing argument");
		return -EINVAL;
	}
	if (!o)
		o = &defaults;
	if (hal_vfio_parse_bdf(bdf_in, bdf) < 0) {
		errf(err, errlen, "'%s' is not a PCI address (DDDD:BB:DD.F or BB:DD.F)", bdf_in);
		return -EINVAL;
	}
	rc = hal_vfio_sysfs_probe(o->sysfs_root, bdf, &sy, err, errlen);
	if (rc < 0)
		return rc;
	if (hal_mac_type(sy.vendor, sy.device, &mac) < 0) {
		errf(err, errlen, "%s: %04x:%04x is not supported", bdf, sy.vendor, sy.device);
		return -ENODEV;
	}

	/* The group's node says which kind it is when sysfs did not. */
	snprintf(group_path, sizeof(group_path), "%s/vfio/%s%d", dev_root,
	         sy.noiommu ? "noiommu-" : "", sy.group);
	if (!sy.noiommu && access(group_path, F_OK) < 0) {
		char alt[PATH_MAX];

		snprintf(alt, sizeof(alt), "%s/vfio/noiommu-%d", dev_root, sy.group);
		if (access(alt, F_OK) == 0) {
			sy.noiommu = true;
			memcpy(group_path, alt, sizeof(alt));
		}
	}
	if (sy.noiommu && !o->prefer_noiommu) {
		errf(err, errlen, "%s: IOMMU group %d is a no-IOMMU group (%s): the device could DMA "
		     "anywhere in memory; refused (e1kd --noiommu accepts it)", bdf, sy.group, group_path);
		return -EPERM;
	}

	snprintf(vfio_path, sizeof(vfio_path), "%s/vfio/vfio", dev_root);
	if (access(vfio_path, F_OK) < 0) {
		rc = -errno;
		errf(err, errlen, "vfio is not available: load vfio-pci (%s: %s)", vfio_path, strerror(-rc));
		return -ENOENT;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		errf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	d->container_fd = d->group_fd = d->device_fd = d->pagemap_fd = -1;
	d->guard_slot = -1;
	d->noiommu = sy.noiommu;
	snprintf(d->hw.name, sizeof(d->hw.name), "%s", bdf);
	if ((rc = -pthread_mutex_init(&d->dma_lock, NULL)) < 0) {
		errf(err, errlen, "pthread_mutex_init: %s", strerror(-rc));
		goto fail;
	}
	d->dma_lock_ready = true;

	/* 1. The container: API version and an IOMMU model it supports. */
	d->container_fd = open(vfio_path, O_RDWR | O_CLOEXEC);
	if (d->container_fd < 0) {
		rc = -errno;
		errf(err, errlen, "cannot open %s: %s", vfio_path, strerror(-rc));
		goto fail;
	}
	rc = ioctl(d->container_fd, VFIO_GET_API_VERSION);
	if (rc != VFIO_API_VERSION) {
		if (rc < 0) {
			rc = -errno;
			errf(err, errlen, "%s is not a VFIO container (VFIO_GET_API_VERSION: %s)",
			     vfio_path, strerror(-rc));
		} else {
			errf(err, errlen, "%s: VFIO API version %d, expected %d", vfio_path, rc,
			     VFIO_API_VERSION);
			rc = -EPROTO;
		}
		goto fail;
	}
	if (d->noiommu)
		iommu_type = ioctl(d->container_fd, VFIO_CHECK_EXTENSION, VFIO_NOIOMMU_IOMMU) > 0
		             ? VFIO_NOIOMMU_IOMMU : -1;
	else if (ioctl(d->container_fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) > 0)
		iommu_type = VFIO_TYPE1v2_IOMMU;
	else if (ioctl(d->container_fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU) > 0)
		iommu_type = VFIO_TYPE1_IOMMU;
	else
		iommu_type = -1;
	if (iommu_type < 0) {
		errf(err, errlen, "%s offers no %s", vfio_path,
		     d->noiommu ? "no-IOMMU model (vfio.enable_unsafe_noiommu_mode=1?)"
		                : "type1 IOMMU model (vfio_iommu_type1 not loaded?)");
		rc = -ENOTSUP;
		goto fail;
	}

	/* 2. The group: viable means every device in it is ours or unbound. */
	d->group_fd = open(group_path, O_RDWR | O_CLOEXEC);
	if (d->group_fd < 0) {
		rc = -errno;
		if (rc == -ENOENT)
			errf(err, errlen, "%s: %s does not exist (is vfio-pci bound to it?)", bdf, group_path);
		else if (rc == -EBUSY)
			errf(err, errlen, "%s: %s is busy: another process holds IOMMU group %d", bdf,
			     group_path, sy.group);
		else
			errf(err, errlen, "%s: cannot open %s: %s", bdf, group_path, strerror(-rc));
		goto fail;
	}
	if (ioctl(d->group_fd, VFIO_GROUP_GET_STATUS, &gs) < 0) {
		rc = -errno;
		errf(err, errlen, "%s: VFIO_GROUP_GET_STATUS on %s: %s", bdf, group_path, strerror(-rc));
		goto fail;
	}
	if (!(gs.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		vfio_group_offenders(o->sysfs_root ? o->sysfs_root : "/sys", sy.group, bdf, extra, sizeof(extra));
		errf(err, errlen, "%s: IOMMU group %d is not viable: every device in it must be bound to "
		     "vfio-pci or unbound%s%s%s", bdf, sy.group, extra[0] ? " (" : "", extra,
		     extra[0] ? ")" : "");
		rc = -EPERM;
		goto fail;
	}
	if (ioctl(d->group_fd, VFIO_GROUP_SET_CONTAINER, &d->container_fd) < 0) {
		rc = -errno;
		errf(err, errlen, "%s: VFIO_GROUP_SET_CONTAINER: %s", bdf, strerror(-rc));
		goto fail;
	}
	if (ioctl(d->container_fd, VFIO_SET_IOMMU, iommu_type) < 0) {
		rc = -errno;
		errf(err, errlen, "%s: VFIO_SET_IOMMU(%s): %s%s", bdf,
		     iommu_type == VFIO_NOIOMMU_IOMMU ? "noiommu" :
		     iommu_type == VFIO_TYPE1v2_IOMMU ? "type1v2" : "type1", strerror(-rc),
		     rc == -EPERM && iommu_type != VFIO_NOIOMMU_IOMMU
		     ? " (no interrupt remapping? intremap=on, or vfio_iommu_type1.allow_unsafe_interrupts=1)"
		     : "");
		goto fail;
	}

	/* 3. The device and its regions. */
	d->device_fd = ioctl(d->group_fd, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (d->device_fd < 0) {
		rc = -errno;
		errf(err, errlen, "%s: VFIO_GROUP_GET_DEVICE_FD: %s", bdf, strerror(-rc));
		goto fail;
	}
	if (ioctl(d->device_fd, VFIO_DEVICE_GET_INFO, &di) < 0) {
		rc = -errno;
		errf(err, errlen, "%s: VFIO_DEVICE_GET_INFO: %s", bdf, strerror(-rc));
		goto fail;
	}
	if (!(di.flags & VFIO_DEVICE_FLAGS_PCI) || di.num_regions <= VFIO_PCI_CONFIG_REGION_INDEX) {
		errf(err, errlen, "%s: not a VFIO PCI device (flags %#x, %u regions)", bdf, di.flags,
		     di.num_regions);
		rc = -ENODEV;
		goto fail;
	}
	d->device_flags = di.flags;
	d->num_irqs = di.num_irqs;

	rc = region_info(d, VFIO_PCI_CONFIG_REGION_INDEX, &cfg);
	if (rc < 0) {
		errf(err, errlen, "%s: config region info: %s", bdf, strerror(-rc));
		goto fail;
	}
	d->cfg_off = cfg.offset;
	d->cfg_size = cfg.size;
	rc = cfg_io(d, PCI_CFG_VENDOR_ID, ids, sizeof(ids), false);
	if (rc < 0 || ids[0] != sy.vendor || ids[1] != sy.device) {
		errf(err, errlen, "%s: config space reads %04x:%04x, sysfs said %04x:%04x%s%s", bdf,
		     rc < 0 ? 0 : ids[0], rc < 0 ? 0 : ids[1], sy.vendor, sy.device,
		     rc < 0 ? ": " : "", rc < 0 ? strerror(-rc) : "");
		rc = rc < 0 ? rc : -ENODEV;
		goto fail;
	}

	rc = region_info(d, VFIO_PCI_BAR0_REGION_INDEX, &bar);
	if (rc < 0) {
		errf(err, errlen, "%s: BAR0 region info: %s", bdf, strerror(-rc));
		goto fail;
	}
	if (bar.size < E1000_BAR0_SIZE || !(bar.flags & VFIO_REGION_INFO_FLAG_MMAP) ||
	    (bar.flags & (VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE)) !=
	    (VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE)) {
		errf(err, errlen, "%s: BAR0 is %llu bytes (flags %#x): need a read/write, mmap-able "
		     "BAR of at least %u bytes", bdf, (unsigned long long)bar.size, bar.flags,
		     E1000_BAR0_SIZE);
		rc = -ENODEV;
		goto fail;
	}
	map = mmap(NULL, (size_t)bar.size, PROT_READ | PROT_WRITE, MAP_SHARED, d->device_fd,
	           (off_t)bar.offset);
	if (map == MAP_FAILED) {
		rc = -errno;
		errf(err, errlen, "%s: mmap BAR0 (%llu bytes): %s", bdf, (unsigned long long)bar.size,
		     strerror(-rc));
		goto fail;
	}
	d->bar0 = map;
	d->bar0_len = (size_t)bar.size;
	d->bar0_off = bar.offset;
	rc = hal_vfio_bar_guard_add(d->bar0, d->bar0_len);
	if (rc < 0) {
		errf(err, errlen, "%s: cannot register BAR0 with the SIGBUS guard: %s", bdf, strerror(-rc));
		goto fail;
	}
	d->guard_slot = rc;

	/* 4. DMA addressing. */
	if (d->noiommu) {
		d->pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
		if (d->pagemap_fd < 0) {
			rc = -errno;
			errf(err, errlen, "%s: no-IOMMU mode needs /proc/self/pagemap: %s", bdf, strerror(-rc));
			goto fail;
		}
	} else {
		vfio_iova_setup(d);
	}

	d->hw.ops = &vfio_ops;
	d->hw.mac = mac;
	d->hw.vendor_id = sy.vendor;
	d->hw.device_id = sy.device;
	atomic_init(&d->hw.gone, false);
	atomic_init(&d->hw.mmio_after_removal, 0);
	*out = &d->hw;
	return 0;

fail:
	vfio_teardown(d);
	return rc < 0 ? rc : -EIO;
}

int hal_vfio_open(const char *bdf, const struct hal_vfio_opts *o, struct hal_dev **out,
                  char *err, size_t errlen)
{
	return hal_vfio_open_at(bdf, o, "/dev", out, err, errlen);
}
