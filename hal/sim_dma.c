/* SPDX-License-Identifier: MIT */
/*
 * sim_dma.c - the model's IOMMU: a table of live DMA mappings and the checked
 * accessors through which every device access goes.
 *
 * IOVAs come from a bump allocator that starts at SIM_IOVA_BASE (above any
 * address a test is likely to confuse with a host pointer), never reuses an
 * address and leaves one unmapped guard page after each region, so a stale
 * IOVA always faults instead of landing in a newer mapping.
 *
 * dma_free removes the mapping under the write lock first and munmaps after:
 * the model thread holds the read lock across every copy (sim_dma_begin/end),
 * so an access either completes before the unmap or finds no mapping and is
 * refused, exactly like a type1 IOMMU after VFIO_IOMMU_UNMAP_DMA.
 */
#include "sim_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int sim_dma_init(struct sim_dev *d)
{
	struct sim_dma_table *t = &d->dma;
	long page = sysconf(_SC_PAGESIZE);
	int err;

	t->page = page > 0 ? (size_t)page : 4096u;
	t->next_iova = SIM_IOVA_BASE;
	t->next_handle = 1;
	err = pthread_rwlock_init(&t->lock, NULL);
	return -err;
}

uint64_t sim_dma_fini(struct sim_dev *d)
{
	struct sim_dma_table *t = &d->dma;
	uint64_t leftover = t->n;

	for (size_t i = 0; i < t->n; i++)
		munmap(t->maps[i].va, t->maps[i].len);
	free(t->maps);
	t->maps = NULL;
	t->n = t->cap = 0;
	atomic_store_explicit(&t->live, 0, memory_order_relaxed);
	pthread_rwlock_destroy(&t->lock);
	return leftover;
}

int sim_op_dma_alloc(struct hal_dev *hw, size_t len, struct hal_dma *out)
{
	struct sim_dev *d = sim_of(hw);
	struct sim_dma_table *t = &d->dma;
	size_t rounded;
	unsigned call;
	void *va;
	int err = 0;

	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (len == 0 || len > SIZE_MAX - t->page)
		return -EINVAL;
	rounded = (len + t->page - 1) & ~(t->page - 1);

	pthread_rwlock_wrlock(&t->lock);
	call = ++t->alloc_calls;
	pthread_rwlock_unlock(&t->lock);
	if (d->cfg.fail_dma_alloc_at != 0 && call == d->cfg.fail_dma_alloc_at)
		return -ENOMEM;

	va = mmap(NULL, rounded, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (va == MAP_FAILED)
		return -ENOMEM;

	pthread_rwlock_wrlock(&t->lock);
	if (t->n == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 16;
		struct sim_map *m = realloc(t->maps, ncap * sizeof(*m));

		if (!m) {
			err = -ENOMEM;
			goto out_unlock;
		}
		t->maps = m;
		t->cap = ncap;
	}
	/* Appending keeps the table sorted: IOVAs only grow. */
	t->maps[t->n] = (struct sim_map){
		.iova = t->next_iova, .len = rounded, .va = va, .handle = t->next_handle,
	};
	out->va = va;
	out->iova = t->next_iova;
	out->len = rounded;
	out->handle = t->next_handle;
	t->n++;
	t->next_iova += rounded + t->page;   /* + guard page */
	if (++t->next_handle == 0)
		t->next_handle = 1;
	atomic_fetch_add_explicit(&t->live, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&t->total, 1, memory_order_relaxed);
out_unlock:
	pthread_rwlock_unlock(&t->lock);
	if (err) {
		munmap(va, rounded);
		memset(out, 0, sizeof(*out));
	}
	return err;
}

void sim_op_dma_free(struct hal_dev *hw, struct hal_dma *dma)
{
	struct sim_dev *d = sim_of(hw);
	struct sim_dma_table *t = &d->dma;
	struct sim_map victim = { 0 };
	bool found = false;

	if (!dma || dma->handle == 0)
		return;
	/* The driver must take bus mastering away before it gives memory up:
	 * with it on, the device may still write here, now or when something
	 * re-enables its rings (the halt's "no DMA into freed memory", checked
	 * at the free rather than waiting for a DMA that may never come). */
	pthread_mutex_lock(&d->reg_lock);
	if (!atomic_load_explicit(&d->removed, memory_order_acquire) && d->bus_master)
		atomic_fetch_add_explicit(&t->live_frees, 1, memory_order_relaxed);
	pthread_mutex_unlock(&d->reg_lock);
	pthread_rwlock_wrlock(&t->lock);
	for (size_t i = 0; i < t->n; i++) {
		if (t->maps[i].handle == dma->handle && t->maps[i].iova == dma->iova) {
			victim = t->maps[i];
			memmove(&t->maps[i], &t->maps[i + 1], (t->n - i - 1) * sizeof(t->maps[0]));
			t->n--;
			found = true;
			break;
		}
	}
	pthread_rwlock_unlock(&t->lock);
	/* Unmapped from the "IOMMU" above; only now give the memory back. */
	if (found) {
		munmap(victim.va, victim.len);
		atomic_fetch_sub_explicit(&t->live, 1, memory_order_relaxed);
	}
	memset(dma, 0, sizeof(*dma));
}

int sim_op_dma_revoke(struct hal_dev *hw, struct hal_dma *dma)
{
	struct sim_dev *d = sim_of(hw);
	struct sim_dma_table *t = &d->dma;
	bool found = false;

	pthread_rwlock_wrlock(&t->lock);
	for (size_t i = 0; i < t->n; i++) {
		if (t->maps[i].handle == dma->handle && t->maps[i].iova == dma->iova) {
			memmove(&t->maps[i], &t->maps[i + 1], (t->n - i - 1) * sizeof(t->maps[0]));
			t->n--;
			found = true;
			break;
		}
	}
	pthread_rwlock_unlock(&t->lock);
	if (!found)
		return -ENOENT;
	/* Off the "IOMMU": a device access now faults.  The memory (mmap, like
	 * every region here) is the caller's. */
	atomic_fetch_sub_explicit(&t->live, 1, memory_order_relaxed);
	dma->handle = 0;
	return 0;
}

void sim_dma_begin(struct sim_dev *d)
{
	pthread_rwlock_rdlock(&d->dma.lock);
}

void sim_dma_end(struct sim_dev *d)
{
	pthread_rwlock_unlock(&d->dma.lock);
}

static bool map_holds(const struct sim_map *m, uint64_t iova, size_t len)
{
	return iova >= m->iova && len <= m->len && iova - m->iova <= m->len - len;
}

void *sim_dma_xlate(struct sim_dev *d, uint64_t iova, size_t len)
{
	struct sim_dma_table *t = &d->dma;
	size_t lo = 0, hi = t->n;

	if (len == 0)
		len = 1;
	if (t->hint < t->n && map_holds(&t->maps[t->hint], iova, len))
		return t->maps[t->hint].va + (iova - t->maps[t->hint].iova);
	/* Last mapping whose start is <= iova. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->maps[mid].iova <= iova)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo > 0 && map_holds(&t->maps[lo - 1], iova, len)) {
		t->hint = lo - 1;
		return t->maps[lo - 1].va + (iova - t->maps[lo - 1].iova);
	}
	atomic_fetch_add_explicit(&t->faults, 1, memory_order_relaxed);
	atomic_store_explicit(&t->last_fault_iova, iova, memory_order_relaxed);
	return NULL;
}

int sim_dma_read(struct sim_dev *d, uint64_t iova, void *dst, size_t len)
{
	void *p = sim_dma_xlate(d, iova, len);

	if (!p)
		return -EFAULT;
	memcpy(dst, p, len);
	return 0;
}

int sim_dma_write(struct sim_dev *d, uint64_t iova, const void *src, size_t len)
{
	void *p = sim_dma_xlate(d, iova, len);

	if (!p)
		return -EFAULT;
	memcpy(p, src, len);
	return 0;
}
