/*
 * vfio_probe - the smallest VFIO client of an e1000-class NIC, for the QEMU rig.
 *
 *   vfio_probe BDF [--noiommu] [--reset] [--ready FILE] [--wait-req MS]
 *
 * Order (each step undone in reverse by probe_fini):
 *   1. the device's IOMMU group (sysfs), a container (/dev/vfio/vfio), the
 *      group (/dev/vfio/N): viable, attached, type-1 IOMMU set;
 *   2. the device fd; device info (regions, interrupts, reset);
 *   3. BAR0 mapped; STATUS and RAL0/RAH0 read (the MAC QEMU was given);
 *   4. interrupt info for INTx, MSI, MSI-X, ERR and REQ;
 *   5. one page DMA-mapped at IOVA 4 GiB and unmapped (the IOMMU works);
 *   6. --reset: VFIO_DEVICE_RESET when offered, then STATUS/MAC read again;
 *   7. --wait-req MS: a REQ eventfd registered, FILE created (--ready), and the
 *      removal request waited for (bounded); then everything is closed at once,
 *      as a driver that honours the request must.
 *
 * --noiommu: the group is vfio's no-IOMMU group (/dev/vfio/noiommu-N) and the
 * container uses VFIO_NOIOMMU_IOMMU; step 5 then has no map ioctl to try and
 * instead resolves a locked page's physical address through
 * /proc/self/pagemap (what a no-IOMMU driver hands the device).
 *
 * Output: one "key=value" line per fact, for tests/e2e scenarios to check.
 * Exit status: 0 when every step worked, 1 otherwise (the failing step is named
 * on stderr), 2 on a usage error.  Single-threaded.
 */
#include <errno.h>
#include <sys/types.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/vfio.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "e1000_regs.h"

/* The IOVA of the DMA test page: above 4 GiB, as e1kd's mappings are. */
#define PROBE_IOVA (UINT64_C(1) << 32)

struct probe {
	int container;
	int group;
	int device;
	int req_fd;
	volatile uint32_t *bar0;
	size_t bar0_size;
	void *dma_page;
	bool dma_mapped;
	bool req_set;
	bool noiommu;
};

static int fail(const char *step, int err)
{
	fprintf(stderr, "vfio_probe: %s: %s\n", step, strerror(err));
	return -err;
}

static uint32_t rd32(const struct probe *p, uint32_t reg)
{
	/* BAR0 is uncached MMIO: a volatile 32-bit load is one PCI read. */
	return p->bar0[reg / sizeof(uint32_t)];
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Step 1: group number from the device's iommu_group link. */
static int group_of(const char *bdf, int *group)
{
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t n;
	const char *slash;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	slash = strrchr(target, '/');
	*group = atoi(slash ? slash + 1 : target);
	return 0;
}

static int open_container(struct probe *p, const char *bdf)
{
	struct vfio_group_status gs = { .argsz = sizeof(gs) };
	const unsigned long iommu = p->noiommu ? VFIO_NOIOMMU_IOMMU : VFIO_TYPE1v2_IOMMU;
	char path[64];
	int g, rc;

	rc = group_of(bdf, &g);
	if (rc < 0)
		return fail("iommu_group (is the device bound to vfio-pci?)", -rc);
	printf("group=%d\n", g);
	p->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (p->container < 0)
		return fail("open /dev/vfio/vfio", errno);
	if (ioctl(p->container, VFIO_GET_API_VERSION) != VFIO_API_VERSION)
		return fail("VFIO_GET_API_VERSION", EPROTO);
	if (ioctl(p->container, VFIO_CHECK_EXTENSION, iommu) != 1)
		return fail(p->noiommu ? "VFIO_CHECK_EXTENSION(NOIOMMU)" : "VFIO_CHECK_EXTENSION(TYPE1v2)", ENOTSUP);
	snprintf(path, sizeof(path), p->noiommu ? "/dev/vfio/noiommu-%d" : "/dev/vfio/%d", g);
	p->group = open(path, O_RDWR | O_CLOEXEC);
	if (p->group < 0)
		return fail(path, errno);
	if (ioctl(p->group, VFIO_GROUP_GET_STATUS, &gs) < 0)
		return fail("VFIO_GROUP_GET_STATUS", errno);
	printf("viable=%d\n", (gs.flags & VFIO_GROUP_FLAGS_VIABLE) ? 1 : 0);
	if (!(gs.flags & VFIO_GROUP_FLAGS_VIABLE))
		return fail("group not viable", EBUSY);
	if (ioctl(p->group, VFIO_GROUP_SET_CONTAINER, &p->container) < 0)
		return fail("VFIO_GROUP_SET_CONTAINER", errno);
	/* EPERM here means no interrupt remapping (intremap=off). */
	if (ioctl(p->container, VFIO_SET_IOMMU, iommu) < 0)
		return fail("VFIO_SET_IOMMU", errno);
	printf("iommu=%s\n", p->noiommu ? "noiommu" : "type1v2");
	return 0;
}

/* Steps 2-3: device fd, info, BAR0 mapped, identity read. */
static int open_device(struct probe *p, const char *bdf, uint32_t *nirqs, bool *can_reset)
{
	struct vfio_device_info di = { .argsz = sizeof(di) };
	struct vfio_region_info ri = { .argsz = sizeof(ri), .index = VFIO_PCI_BAR0_REGION_INDEX };
	void *m;

	p->device = ioctl(p->group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (p->device < 0)
		return fail("VFIO_GROUP_GET_DEVICE_FD", errno);
	if (ioctl(p->device, VFIO_DEVICE_GET_INFO, &di) < 0)
		return fail("VFIO_DEVICE_GET_INFO", errno);
	*nirqs = di.num_irqs;
	*can_reset = (di.flags & VFIO_DEVICE_FLAGS_RESET) != 0;
	printf("pci=%d\nregions=%u\nirqs=%u\nreset=%d\n", (di.flags & VFIO_DEVICE_FLAGS_PCI) ? 1 : 0,
	       di.num_regions, di.num_irqs, *can_reset ? 1 : 0);
	if (ioctl(p->device, VFIO_DEVICE_GET_REGION_INFO, &ri) < 0)
		return fail("VFIO_DEVICE_GET_REGION_INFO(BAR0)", errno);
	printf("bar0_size=%llu\nbar0_mmap=%d\n", (unsigned long long)ri.size,
	       (ri.flags & VFIO_REGION_INFO_FLAG_MMAP) ? 1 : 0);
	if (!(ri.flags & VFIO_REGION_INFO_FLAG_MMAP) || ri.size == 0)
		return fail("BAR0 not mappable", ENOTSUP);
	m = mmap(NULL, ri.size, PROT_READ | PROT_WRITE, MAP_SHARED, p->device, (off_t)ri.offset);
	if (m == MAP_FAILED)
		return fail("mmap BAR0", errno);
	p->bar0 = m;
	p->bar0_size = ri.size;
	return 0;
}

static void print_identity(const struct probe *p, const char *prefix)
{
	uint32_t status = rd32(p, E1000_STATUS);
	uint32_t ral = rd32(p, E1000_RAL(0));
	uint32_t rah = rd32(p, E1000_RAH(0));

	printf("%sstatus=0x%08" PRIx32 "\n", prefix, status);
	printf("%slink_up=%d\n", prefix, (status & E1000_STATUS_LU) ? 1 : 0);
	printf("%sfull_duplex=%d\n", prefix, (status & E1000_STATUS_FD) ? 1 : 0);
	printf("%smac=%02x:%02x:%02x:%02x:%02x:%02x\n", prefix, ral & 0xffu, (ral >> 8) & 0xffu,
	       (ral >> 16) & 0xffu, ral >> 24, rah & 0xffu, (rah >> 8) & 0xffu);
	printf("%smac_valid=%d\n", prefix, (rah & E1000_RAH_AV) ? 1 : 0);
}

/* Step 4: what each interrupt index offers. ERR is refused (EINVAL) for a
 * conventional-PCI function, which is a fact to report, not a failure. */
static void print_irqs(const struct probe *p, uint32_t nirqs)
{
	static const struct { unsigned index; const char *name; } idx[] = {
		{ VFIO_PCI_INTX_IRQ_INDEX, "intx" }, { VFIO_PCI_MSI_IRQ_INDEX, "msi" },
		{ VFIO_PCI_MSIX_IRQ_INDEX, "msix" }, { VFIO_PCI_ERR_IRQ_INDEX, "err" },
		{ VFIO_PCI_REQ_IRQ_INDEX, "req" },
	};

	for (size_t i = 0; i < sizeof(idx) / sizeof(idx[0]); i++) {
		struct vfio_irq_info ii = { .argsz = sizeof(ii), .index = idx[i].index };

		if (idx[i].index >= nirqs || ioctl(p->device, VFIO_DEVICE_GET_IRQ_INFO, &ii) < 0) {
			printf("%s=refused\n", idx[i].name);
			continue;
		}
		printf("%s=%u\n", idx[i].name, ii.count);
		if (idx[i].index == VFIO_PCI_INTX_IRQ_INDEX && ii.count)
			printf("intx_automasked=%d\n", (ii.flags & VFIO_IRQ_INFO_AUTOMASKED) ? 1 : 0);
	}
}

/* Step 5, no-IOMMU: the physical address of a locked page (pagemap bits 0-54
 * are the PFN, bit 63 "present"; root sees real PFNs). */
static int dma_physaddr(struct probe *p, long pg)
{
	uint64_t ent = 0;
	off_t off = (off_t)((uintptr_t)p->dma_page / (uintptr_t)pg * sizeof(ent));
	int fd;
	ssize_t n;

	if (mlock(p->dma_page, (size_t)pg) < 0)
		return fail("mlock DMA page", errno);
	memset(p->dma_page, 0x5a, (size_t)pg);
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail("open /proc/self/pagemap", errno);
	n = pread(fd, &ent, sizeof(ent), off);
	close(fd);
	if (n != (ssize_t)sizeof(ent))
		return fail("read /proc/self/pagemap", n < 0 ? errno : EIO);
	if (!(ent >> 63) || (ent & ((UINT64_C(1) << 55) - 1)) == 0)
		return fail("pagemap gave no PFN (not root?)", EPERM);
	printf("dma_map=noiommu\ndma_phys=0x%" PRIx64 "\n", (ent & ((UINT64_C(1) << 55) - 1)) * (uint64_t)pg);
	return 0;
}

/* Step 5: one page through the IOMMU and back. */
static int dma_roundtrip(struct probe *p)
{
	long pg = sysconf(_SC_PAGESIZE);
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map) };
	struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof(unmap) };

	p->dma_page = mmap(NULL, (size_t)pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p->dma_page == MAP_FAILED) {
		p->dma_page = NULL;
		return fail("mmap DMA page", errno);
	}
	if (p->noiommu)
		return dma_physaddr(p, pg);
	map.vaddr = (uintptr_t)p->dma_page;
	map.iova = PROBE_IOVA;
	map.size = (uint64_t)pg;
	map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	if (ioctl(p->container, VFIO_IOMMU_MAP_DMA, &map) < 0)
		return fail("VFIO_IOMMU_MAP_DMA", errno);
	p->dma_mapped = true;
	unmap.iova = PROBE_IOVA;
	unmap.size = (uint64_t)pg;
	if (ioctl(p->container, VFIO_IOMMU_UNMAP_DMA, &unmap) < 0)
		return fail("VFIO_IOMMU_UNMAP_DMA", errno);
	p->dma_mapped = false;
	printf("dma_map=ok\n");
	return 0;
}

static int set_req(struct probe *p, int fd)
{
	char buf[sizeof(struct vfio_irq_set) + sizeof(int32_t)];
	struct vfio_irq_set *s = (struct vfio_irq_set *)buf;
	int32_t v = fd;

	s->argsz = sizeof(buf);
	s->index = VFIO_PCI_REQ_IRQ_INDEX;
	s->start = 0;
	if (fd >= 0) {
		s->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
		s->count = 1;
		memcpy(s->data, &v, sizeof(v));
	} else {
		s->argsz = sizeof(*s);
		s->flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
		s->count = 0;
	}
	return ioctl(p->device, VFIO_DEVICE_SET_IRQS, s) < 0 ? -errno : 0;
}

/* Step 7: wait (bounded) for the removal request. */
static int wait_req(struct probe *p, const char *ready, int ms)
{
	struct pollfd pfd;
	uint64_t cnt;
	double t0;
	int rc;

	p->req_fd = eventfd(0, EFD_CLOEXEC);
	if (p->req_fd < 0)
		return fail("eventfd", errno);
	rc = set_req(p, p->req_fd);
	if (rc < 0)
		return fail("VFIO_DEVICE_SET_IRQS(REQ)", -rc);
	p->req_set = true;
	printf("req_registered=1\n");
	fflush(stdout);
	if (ready) {
		FILE *f = fopen(ready, "w");

		if (!f)
			return fail(ready, errno);
		fclose(f);
	}
	t0 = now_ms();
	pfd.fd = p->req_fd;
	pfd.events = POLLIN;
	do
		rc = poll(&pfd, 1, ms);
	while (rc < 0 && errno == EINTR);
	if (rc <= 0) {
		printf("req_signalled=0\n");
		return fail("removal request", rc == 0 ? ETIMEDOUT : errno);
	}
	if (read(p->req_fd, &cnt, sizeof(cnt)) != (ssize_t)sizeof(cnt))
		return fail("read REQ eventfd", errno);
	printf("req_signalled=1\nreq_after_ms=%.0f\n", now_ms() - t0);
	return 0;
}

/* Undo everything in reverse; safe on a half-built probe and twice. */
static void probe_fini(struct probe *p)
{
	if (p->req_set) {
		(void)set_req(p, -1);
		p->req_set = false;
	}
	if (p->req_fd >= 0) {
		close(p->req_fd);
		p->req_fd = -1;
	}
	if (p->dma_mapped) {
		struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof(unmap), .iova = PROBE_IOVA,
		                                            .size = (uint64_t)sysconf(_SC_PAGESIZE) };

		(void)ioctl(p->container, VFIO_IOMMU_UNMAP_DMA, &unmap);
		p->dma_mapped = false;
	}
	if (p->dma_page) {
		munmap(p->dma_page, (size_t)sysconf(_SC_PAGESIZE));
		p->dma_page = NULL;
	}
	if (p->bar0) {
		munmap((void *)p->bar0, p->bar0_size);
		p->bar0 = NULL;
	}
	if (p->device >= 0) {
		close(p->device);
		p->device = -1;
	}
	if (p->group >= 0) {
		close(p->group);
		p->group = -1;
	}
	if (p->container >= 0) {
		close(p->container);
		p->container = -1;
	}
}

static int usage(void)
{
	fprintf(stderr, "usage: vfio_probe BDF [--noiommu] [--reset] [--ready FILE] [--wait-req MS]\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct probe p = { .container = -1, .group = -1, .device = -1, .req_fd = -1 };
	const char *bdf, *ready = NULL;
	bool do_reset = false, can_reset = false;
	int wait_ms = -1, rc;
	uint32_t nirqs = 0;

	if (argc < 2 || argv[1][0] == '-')
		return usage();
	bdf = argv[1];
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--reset") == 0)
			do_reset = true;
		else if (strcmp(argv[i], "--noiommu") == 0)
			p.noiommu = true;
		else if (strcmp(argv[i], "--ready") == 0 && i + 1 < argc)
			ready = argv[++i];
		else if (strcmp(argv[i], "--wait-req") == 0 && i + 1 < argc)
			wait_ms = atoi(argv[++i]);
		else
			return usage();
	}
	printf("bdf=%s\n", bdf);
	rc = open_container(&p, bdf);
	if (rc == 0)
		rc = open_device(&p, bdf, &nirqs, &can_reset);
	if (rc == 0) {
		print_identity(&p, "");
		print_irqs(&p, nirqs);
		rc = dma_roundtrip(&p);
	}
	if (rc == 0 && do_reset && can_reset) {
		if (ioctl(p.device, VFIO_DEVICE_RESET) < 0) {
			rc = fail("VFIO_DEVICE_RESET", errno);
		} else {
			printf("reset_done=1\n");
			print_identity(&p, "after_reset_");
		}
	}
	if (rc == 0 && wait_ms >= 0)
		rc = wait_req(&p, ready, wait_ms);
	probe_fini(&p);
	probe_fini(&p);
	printf("result=%s\n", rc == 0 ? "ok" : "fail");
	return rc == 0 ? 0 : 1;
}
