/* SPDX-License-Identifier: MIT */
/*
 * vfio_dma.c - DMA addressing for the VFIO backend: the IOVA bump allocator
 * and the IOMMU's usable ranges (IOMMU mode), /proc/self/pagemap translation
 * (no-IOMMU mode), and the device's DMA regions (dma_alloc, dma_free, the
 * leftovers at close).  The region table and the allocator are the device's,
 * under its dma_lock; the pure parts (allocator, caps, pagemap) take none.
 */
#include "vfio_internal.h"

#include <errno.h>
#include <linux/vfio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define VFIO_HUGE_PAGE          (2u << 20)
#define VFIO_MAP_HUGE_2MB       (21 << MAP_HUGE_SHIFT)   /* log2(2 MiB) */
/* IOVAs start at 1 GiB: clear of anything a platform reserves low. */
#define VFIO_IOVA_FLOOR         (1ull << 30)
/* Without the IOVA_RANGE capability (kernels before 5.4): QEMU's intel-iommu
 * has 39 address bits, and x86 reserves the MSI window for interrupts. */
#define VFIO_IOVA_DEFAULT_LAST  ((1ull << 39) - 1)
#define VFIO_MSI_WINDOW_START   0xfee00000ull
#define VFIO_MSI_WINDOW_LAST    0xfeefffffull
/* /proc/pid/pagemap entry (Documentation/admin-guide/mm/pagemap.rst). */
#define PAGEMAP_PRESENT         (1ull << 63)
#define PAGEMAP_PFN_MASK        ((1ull << 55) - 1)
#define PAGEMAP_CHUNK           512u

/* ---- IOVA allocator and the IOMMU's ranges ---------------------------- */

void hal_vfio_iova_init(struct hal_vfio_iova *a, const uint64_t *start, const uint64_t *last,
                        unsigned n, uint64_t floor)
{
	memset(a, 0, sizeof(*a));
	for (unsigned i = 0; i < n && a->n < HAL_VFIO_IOVA_RANGES; i++) {
		unsigned j;

		if (last[i] < start[i])
			continue;
		/* Insertion sort by start. */
		for (j = a->n; j > 0 && a->start[j - 1] > start[i]; j--) {
			a->start[j] = a->start[j - 1];
			a->last[j] = a->last[j - 1];
		}
		a->start[j] = start[i];
		a->last[j] = last[i];
		a->n++;
	}
	a->next = floor;
}

int hal_vfio_iova_alloc(struct hal_vfio_iova *a, uint64_t len, uint64_t align, uint64_t *iova)
{
	if (!a || !iova || len == 0 || align == 0 || (align & (align - 1)))
		return -EINVAL;
	for (unsigned i = 0; i < a->n; i++) {
		uint64_t base = a->next > a->start[i] ? a->next : a->start[i];

		if (a->last[i] < base)
			continue;
		if (base > UINT64_MAX - (align - 1))
			break;
		base = (base + align - 1) & ~(align - 1);
		if (base > a->last[i] || len - 1 > a->last[i] - base)
			continue;
		*iova = base;
		if (base + (len - 1) == UINT64_MAX)
			a->n = 0;       /* the top of the space: nothing is left */
		else
			a->next = base + len;
		return 0;
	}
	return -ENOSPC;
}

int hal_vfio_parse_iova_caps(const void *info, size_t len, uint64_t *start, uint64_t *last,
                             unsigned max)
{
	const uint8_t *buf = info;
	struct vfio_iommu_type1_info hdr;
	unsigned n = 0;
	uint32_t off;

	if (!info || len < sizeof(hdr))
		return 0;
	memcpy(&hdr, buf, sizeof(hdr));
	if (!(hdr.flags & VFIO_IOMMU_INFO_CAPS))
		return 0;
	if (len > hdr.argsz)
		len = hdr.argsz;
	off = hdr.cap_offset;
	/* Bounded walk: each offset must move forward and stay inside.  Every
	 * field is copied out: kernels before 6.6 pack capabilities without
	 * aligning them (a 12-byte DMA_AVAIL cap leaves the IOVA ranges at
	 * 4 mod 8), so the u64s cannot be read in place. */
	for (unsigned guard_n = 0; guard_n < 16 && off >= sizeof(hdr) &&
	     (size_t)off + sizeof(struct vfio_info_cap_header) <= len; guard_n++) {
		struct vfio_info_cap_header h;

		memcpy(&h, buf + off, sizeof(h));
		if (h.id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE &&
		    (size_t)off + sizeof(struct vfio_iommu_type1_info_cap_iova_range) <= len) {
			struct vfio_iommu_type1_info_cap_iova_range c;
			size_t r = off + sizeof(c);

			memcpy(&c, buf + off, sizeof(c));
			for (uint32_t i = 0; i < c.nr_iovas && n < max &&
			     r + sizeof(struct vfio_iova_range) <= len; i++, r += sizeof(struct vfio_iova_range)) {
				struct vfio_iova_range rg;

				memcpy(&rg, buf + r, sizeof(rg));
				start[n] = rg.start;
				last[n] = rg.end;
				n++;
			}
		}
		if (h.next <= off)
			break;
		off = h.next;
	}
	return (int)n;
}

void vfio_iova_setup(struct vfio_dev *d)
{
	uint64_t st[HAL_VFIO_IOVA_RANGES], la[HAL_VFIO_IOVA_RANGES];
	struct vfio_iommu_type1_info probe = { .argsz = sizeof(probe) };
	int n = 0;

	if (ioctl(d->container_fd, VFIO_IOMMU_GET_INFO, &probe) == 0 &&
	    (probe.flags & VFIO_IOMMU_INFO_CAPS) && probe.argsz > sizeof(probe) &&
	    probe.argsz <= 65536) {
		struct vfio_iommu_type1_info *info = calloc(1, probe.argsz);

		if (info) {
			info->argsz = probe.argsz;
			if (ioctl(d->container_fd, VFIO_IOMMU_GET_INFO, info) == 0)
				n = hal_vfio_parse_iova_caps(info, probe.argsz, st, la, HAL_VFIO_IOVA_RANGES);
			free(info);
		}
	}
	if (n == 0) {
		st[0] = 0;
		la[0] = VFIO_MSI_WINDOW_START - 1;
		st[1] = VFIO_MSI_WINDOW_LAST + 1;
		la[1] = VFIO_IOVA_DEFAULT_LAST;
		n = 2;
	}
	hal_vfio_iova_init(&d->iova, st, la, (unsigned)n, VFIO_IOVA_FLOOR);
}

/* ---- pagemap (no-IOMMU mode) ----------------------------------------- */

int hal_vfio_pagemap_phys(int fd, uintptr_t va, size_t len, uint64_t *pa, char *err, size_t errlen)
{
	uint64_t ent[PAGEMAP_CHUNK], pfn0 = 0;
	uintptr_t first, lastp;

	if (fd < 0 || len == 0 || !pa || va > UINTPTR_MAX - (len - 1)) {
		errf(err, errlen, "bad pagemap query");
		return -EINVAL;
	}
	first = va / VFIO_PAGE;
	lastp = (va + (len - 1)) / VFIO_PAGE;
	for (uintptr_t p = first; p <= lastp;) {
		size_t n = lastp - p + 1 < PAGEMAP_CHUNK ? (size_t)(lastp - p + 1) : PAGEMAP_CHUNK;
		ssize_t r;

		do {
			r = pread(fd, ent, n * sizeof(ent[0]), (off_t)(p * sizeof(ent[0])));
		} while (r < 0 && errno == EINTR);
		if (r < 0) {
			int e = errno;

			errf(err, errlen, "pagemap read at %#lx: %s", (unsigned long)(p * VFIO_PAGE), strerror(e));
			return -e;
		}
		if ((size_t)r != n * sizeof(ent[0])) {
			errf(err, errlen, "pagemap: short read at %#lx", (unsigned long)(p * VFIO_PAGE));
			return -EIO;
		}
		for (size_t i = 0; i < n; i++) {
			uint64_t pfn = ent[i] & PAGEMAP_PFN_MASK;
			uintptr_t page = p + i;

			if (!(ent[i] & PAGEMAP_PRESENT)) {
				errf(err, errlen, "page %#lx is not present (memory not locked?)",
				     (unsigned long)(page * VFIO_PAGE));
				return -EFAULT;
			}
			if (pfn == 0) {
				errf(err, errlen, "pagemap hides physical addresses (no-IOMMU mode needs CAP_SYS_ADMIN)");
				return -EPERM;
			}
			if (page == first)
				pfn0 = pfn;
			else if (pfn != pfn0 + (page - first)) {
				errf(err, errlen, "%zu bytes at %#lx are not physically contiguous (page %lu of %lu)",
				     len, (unsigned long)va, (unsigned long)(page - first),
				     (unsigned long)(lastp - first + 1));
				return -ENOMEM;
			}
		}
		p += n;
	}
	*pa = pfn0 * VFIO_PAGE + (va % VFIO_PAGE);
	return 0;
}

/* ---- DMA regions ------------------------------------------------------ */

static size_t round_up(size_t v, size_t to)
{
	return (v + to - 1) / to * to;
}

/* Unmap from the IOMMU, then free.  If the unmap fails the memory stays
 * mapped in the process on purpose: the device may still write to it.
 * Locks: dma_lock held. */
static int dma_release_locked(struct vfio_dev *d, const struct vfio_dma_rec *r)
{
	if (r->mapped) {
		struct vfio_iommu_type1_dma_unmap um = {
			.argsz = sizeof(um), .iova = r->iova, .size = r->len,
		};

		int e = 0;

		if (ioctl(d->container_fd, VFIO_IOMMU_UNMAP_DMA, &um) < 0)
			e = errno;
		else if (um.size != r->len)
			e = EIO;    /* unmapped only part of it */
		if (e) {
			vlog("%s: VFIO_IOMMU_UNMAP_DMA iova %#llx len %zu: %s; keeping the memory",
			     d->hw.name, (unsigned long long)r->iova, r->len, strerror(e));
			return -e;
		}
	}
	munmap(r->va, r->len);
	return 0;
}

int vfio_dma_alloc(struct hal_dev *hw, size_t len, struct hal_dma *out)
{
	struct vfio_dev *d = to_vfio(hw);
	struct vfio_dma_rec rec = { 0 };
	bool huge = false;
	char msg[256];
	int rc;

	memset(out, 0, sizeof(*out));
	if (len == 0 || len > SIZE_MAX / 4)
		return -EINVAL;
	/* Huge pages: fewer IOMMU entries for big regions; and in no-IOMMU mode
	 * the only way to get more than 4 KiB physically contiguous. */
	if (d->noiommu ? len > VFIO_PAGE : len >= VFIO_HUGE_PAGE) {
		rec.len = round_up(len, VFIO_HUGE_PAGE);
		rec.va = mmap(NULL, rec.len, PROT_READ | PROT_WRITE,
		              MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE | MAP_HUGETLB | VFIO_MAP_HUGE_2MB,
		              -1, 0);
		huge = rec.va != MAP_FAILED;
	}
	if (!huge) {
		rec.len = round_up(len, VFIO_PAGE);
		rec.va = mmap(NULL, rec.len, PROT_READ | PROT_WRITE,
		              MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (rec.va == MAP_FAILED)
			return -errno;
	}
	/* MAP_POPULATE faults the pages in (ASan turns mlock into a no-op, and
	 * the pagemap lookup needs them present); mlock keeps them there.  A
	 * fork must not make them copy-on-write under the device. */
	(void)madvise(rec.va, rec.len, MADV_DONTFORK);
	if (mlock(rec.va, rec.len) < 0) {
		rc = -errno;
		munmap(rec.va, rec.len);
		return rc;
	}

	pthread_mutex_lock(&d->dma_lock);
	if (d->ndma == d->dma_cap) {
		size_t cap = d->dma_cap ? d->dma_cap * 2 : 8;
		struct vfio_dma_rec *n = realloc(d->dma, cap * sizeof(*n));

		if (!n) {
			rc = -ENOMEM;
			goto fail_unlock;
		}
		d->dma = n;
		d->dma_cap = cap;
	}
	if (d->noiommu) {
		rc = hal_vfio_pagemap_phys(d->pagemap_fd, (uintptr_t)rec.va, rec.len, &rec.iova,
		                           msg, sizeof(msg));
		if (rc < 0) {
			vlog("%s: dma_alloc(%zu), no-IOMMU: %s%s", d->hw.name, len, msg,
			     rc != -ENOMEM ? "" : huge
			     ? ": regions above 2 MiB need hugepages that happen to be physically "
			       "adjacent, which the kernel does not promise; use regions of at most 2 MiB"
			     : ": regions above 4 KiB need 2 MiB hugepages (vm.nr_hugepages)");
			goto fail_unlock;
		}
	} else {
		struct vfio_iommu_type1_dma_map m = {
			.argsz = sizeof(m),
			.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
			.vaddr = (uintptr_t)rec.va,
			.size = rec.len,
		};

		rc = hal_vfio_iova_alloc(&d->iova, rec.len, huge ? VFIO_HUGE_PAGE : VFIO_PAGE, &rec.iova);
		if (rc < 0) {
			vlog("%s: dma_alloc(%zu): IOVA space exhausted", d->hw.name, len);
			goto fail_unlock;
		}
		m.iova = rec.iova;
		if (ioctl(d->container_fd, VFIO_IOMMU_MAP_DMA, &m) < 0) {
			rc = -errno;
			vlog("%s: VFIO_IOMMU_MAP_DMA %zu bytes at iova %#llx: %s", d->hw.name, rec.len,
			     (unsigned long long)rec.iova, strerror(-rc));
			goto fail_unlock;
		}
		rec.mapped = true;
	}
	if (++d->next_handle == 0)
		d->next_handle = 1;
	rec.handle = d->next_handle;
	d->dma[d->ndma++] = rec;
	pthread_mutex_unlock(&d->dma_lock);

	out->va = rec.va;
	out->iova = rec.iova;
	out->len = rec.len;
	out->handle = rec.handle;
	return 0;

fail_unlock:
	pthread_mutex_unlock(&d->dma_lock);
	munmap(rec.va, rec.len);
	return rc;
}

void vfio_dma_free(struct hal_dev *hw, struct hal_dma *dma)
{
	struct vfio_dev *d = to_vfio(hw);
	size_t i;

	pthread_mutex_lock(&d->dma_lock);
	for (i = 0; i < d->ndma; i++)
		if (d->dma[i].handle == dma->handle)
			break;
	if (i == d->ndma || d->dma[i].va != dma->va || d->dma[i].iova != dma->iova) {
		pthread_mutex_unlock(&d->dma_lock);
		vlog("%s: dma_free of an unknown region (handle %u, iova %#llx): ignored",
		     hw->name, dma->handle, (unsigned long long)dma->iova);
		return;
	}
	(void)dma_release_locked(d, &d->dma[i]);
	d->dma[i] = d->dma[--d->ndma];
	pthread_mutex_unlock(&d->dma_lock);
	memset(dma, 0, sizeof(*dma));
}

int vfio_dma_revoke(struct hal_dev *hw, struct hal_dma *dma)
{
	struct vfio_dev *d = to_vfio(hw);
	size_t i;

	pthread_mutex_lock(&d->dma_lock);
	for (i = 0; i < d->ndma; i++)
		if (d->dma[i].handle == dma->handle && d->dma[i].va == dma->va)
			break;
	if (i == d->ndma) {
		pthread_mutex_unlock(&d->dma_lock);
		return -ENOENT;
	}
	if (d->dma[i].mapped) {
		struct vfio_iommu_type1_dma_unmap um = {
			.argsz = sizeof(um), .iova = d->dma[i].iova, .size = d->dma[i].len,
		};

		errno = 0;
		if (ioctl(d->container_fd, VFIO_IOMMU_UNMAP_DMA, &um) < 0 || um.size != d->dma[i].len) {
			int e = errno ? errno : EIO;

			pthread_mutex_unlock(&d->dma_lock);
			return -e;
		}
	}
	/* No-IOMMU: nothing to unmap; the halt cleared bus mastering first. */
	d->dma[i] = d->dma[--d->ndma];
	pthread_mutex_unlock(&d->dma_lock);
	dma->handle = 0;
	return 0;
}

void vfio_dma_release_all(struct vfio_dev *d)
{
	size_t leftover = 0, bytes = 0;

	if (d->dma_lock_ready) {
		pthread_mutex_lock(&d->dma_lock);
		for (size_t i = 0; i < d->ndma; i++) {
			leftover++;
			bytes += d->dma[i].len;
			(void)dma_release_locked(d, &d->dma[i]);
		}
		d->ndma = 0;
		pthread_mutex_unlock(&d->dma_lock);
		if (leftover)
			vlog("%s: close released %zu leftover DMA mapping(s), %zu bytes", d->hw.name,
			     leftover, bytes);
	}
	free(d->dma);
	d->dma = NULL;
}
