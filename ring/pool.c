/* SPDX-License-Identifier: MIT */
/*
 * pool.c - packet buffer pool: DMA regions of at most PKT_POOL_CHUNK bytes cut
 * into equal power-of-two buffers, a LIFO free stack (recently used buffers
 * are cache-warm) and a per-buffer "free" flag that makes a double put
 * detectable.
 *
 * Why chunks: a buffer must be contiguous in device address space, and in
 * vfio's no-IOMMU mode the device address is the physical one, which the
 * backend can only promise for one 2 MiB huge page at a time.  With an IOMMU
 * a 2 MiB region is also exactly one huge page.  Buffer b lives in chunk
 * b >> cshift at offset (b & cmask) << shift: two shifts and a mask.
 */
#include "pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

struct pkt_pool {
	struct pkt_pool_geom g;       /* first: pool.h's inline accessors read it */
	uint8_t       **va_tab;       /* [nbufs], g.va */
	uint64_t       *iova_tab;     /* [nbufs], g.iova */
	struct hal_dev *hw;
	struct hal_dma *chunks;       /* nchunks regions, all full but the last (== g.chunks) */
	uint32_t        nchunks;
	uint32_t        nbufs;
	uint32_t        buf_size;
	unsigned        shift;        /* log2(buf_size) */
	unsigned        cshift;       /* log2(buffers per chunk) */

	bool            revoked;      /* pkt_pool_revoke: off the device, host memory only */

	pthread_mutex_t lock;         /* guards stack, top and is_free */
	bool            lock_ready;
	uint32_t       *stack;        /* free buffer indexes, [0, top) */
	uint32_t        top;
	uint8_t        *is_free;      /* 1 while the buffer is on the stack */

	/* Mirrors of state kept under the lock, readable without it. */
	atomic_uint     free_count;
	atomic_ullong   bad_puts;
};

static bool is_pow2(uint32_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

static unsigned log2_u32(uint32_t v)
{
	unsigned s = 0;

	while ((1u << s) < v)
		s++;
	return s;
}

int pkt_pool_create(struct hal_dev *hw, uint32_t nbufs, uint32_t buf_size,
                    struct pkt_pool **out)
{
	struct pkt_pool *p;
	int err;

	if (out)
		*out = NULL;
	if (!hw || !out || nbufs < 1 || nbufs > PKT_POOL_NBUFS_MAX ||
	    !is_pow2(buf_size) || buf_size < PKT_POOL_BUF_MIN || buf_size > PKT_POOL_BUF_MAX)
		return -EINVAL;

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->hw = hw;
	p->nbufs = nbufs;
	p->buf_size = buf_size;
	p->shift = log2_u32(buf_size);
	p->stack = calloc(nbufs, sizeof(*p->stack));
	p->is_free = calloc(nbufs, sizeof(*p->is_free));
	if (!p->stack || !p->is_free) {
		err = -ENOMEM;
		goto fail;
	}
	err = pthread_mutex_init(&p->lock, NULL);
	if (err) {
		err = -err;
		goto fail;
	}
	p->lock_ready = true;
	p->cshift = log2_u32(PKT_POOL_CHUNK) - p->shift;
	p->nchunks = ((nbufs - 1) >> p->cshift) + 1;
	p->chunks = calloc(p->nchunks, sizeof(*p->chunks));
	if (!p->chunks) {
		err = -ENOMEM;
		goto fail;
	}
	p->va_tab = calloc(nbufs, sizeof(*p->va_tab));
	p->iova_tab = calloc(nbufs, sizeof(*p->iova_tab));
	if (!p->va_tab || !p->iova_tab) {
		err = -ENOMEM;
		goto fail;
	}
	for (uint32_t c = 0; c < p->nchunks; c++) {
		uint32_t first = c << p->cshift;
		uint32_t n = nbufs - first < (1u << p->cshift) ? nbufs - first : 1u << p->cshift;

		err = hal_dma_alloc(hw, (size_t)n << p->shift, &p->chunks[c]);
		if (err < 0)
			goto fail;
		/* Buffer b lives in chunk b >> cshift at (b & cmask) << shift. */
		for (uint32_t i = 0; i < n; i++) {
			p->va_tab[first + i] = (uint8_t *)p->chunks[c].va + ((size_t)i << p->shift);
			p->iova_tab[first + i] = p->chunks[c].iova + ((uint64_t)i << p->shift);
		}
	}
	p->g = (struct pkt_pool_geom){ .va = p->va_tab, .iova = p->iova_tab, .nbufs = nbufs };

	/* Push in reverse so the first get hands out buffer 0, 1, 2 ... (makes
	 * traces readable; nothing depends on it). */
	for (uint32_t i = 0; i < nbufs; i++) {
		p->stack[i] = nbufs - 1 - i;
		p->is_free[i] = 1;
	}
	p->top = nbufs;
	atomic_store_explicit(&p->free_count, nbufs, memory_order_relaxed);
	*out = p;
	return 0;

fail:
	pkt_pool_destroy(p);
	return err;
}

void pkt_pool_destroy(struct pkt_pool *p)
{
	if (!p)
		return;
	/* Reverse order of allocation; a chunk never allocated is zeroed, which
	 * hal_dma_free accepts.  A revoked chunk is host memory only. */
	for (uint32_t c = p->nchunks; c-- > 0;) {
		if (p->revoked)
			hal_dma_release_host(&p->chunks[c]);
		else
			hal_dma_free(p->hw, &p->chunks[c]);
	}
	free(p->chunks);
	free(p->va_tab);
	free(p->iova_tab);
	if (p->lock_ready)
		pthread_mutex_destroy(&p->lock);
	free(p->is_free);
	free(p->stack);
	free(p);
}

int pkt_pool_revoke(struct pkt_pool *p)
{
	int rc = 0;

	for (uint32_t c = 0; c < p->nchunks; c++) {
		int e = p->chunks[c].handle ? hal_dma_revoke(p->hw, &p->chunks[c]) : 0;

		if (e < 0 && rc == 0)
			rc = e;
	}
	/* Only a pool whose every chunk left the device is host memory. */
	if (rc == 0)
		p->revoked = true;
	return rc;
}

unsigned pkt_pool_get(struct pkt_pool *p, uint32_t *bufs, unsigned n)
{
	uint32_t *stack;
	uint8_t *is_free;
	uint32_t top;

	if (!p || !bufs || n == 0)
		return 0;
	pthread_mutex_lock(&p->lock);
	/* Locals: is_free is a byte array, and a byte store may alias any
	 * field, which would make the compiler reload them per buffer. */
	top = p->top;
	stack = p->stack;
	is_free = p->is_free;
	if (n > top)
		n = top;
	for (unsigned i = 0; i < n; i++) {
		uint32_t b = stack[--top];

		is_free[b] = 0;
		bufs[i] = b;
	}
	p->top = top;
	atomic_store_explicit(&p->free_count, top, memory_order_relaxed);
	pthread_mutex_unlock(&p->lock);
	return n;
}

void pkt_pool_put(struct pkt_pool *p, const uint32_t *bufs, unsigned n)
{
	uint32_t *stack;
	uint8_t *is_free;
	uint32_t top, nbufs;
	unsigned bad = 0;

	if (!p || !bufs || n == 0)
		return;
	nbufs = p->nbufs;
	pthread_mutex_lock(&p->lock);
	top = p->top;
	stack = p->stack;
	is_free = p->is_free;
	for (unsigned i = 0; i < n; i++) {
		uint32_t b = bufs[i];

		/* The flag, not the stack depth, is the proof of ownership: a
		 * buffer already free (double put) or an index that was never
		 * ours must not reach the stack, or two owners would share it. */
		if (__builtin_expect(b >= nbufs || is_free[b], 0)) {
			bad++;
			continue;
		}
		is_free[b] = 1;
		stack[top++] = b;   /* cannot overflow: top counts free flags */
	}
	p->top = top;
	atomic_store_explicit(&p->free_count, top, memory_order_relaxed);
	pthread_mutex_unlock(&p->lock);
	if (bad)
		atomic_fetch_add_explicit(&p->bad_puts, bad, memory_order_relaxed);
}

uint32_t pkt_buf_from_va(const struct pkt_pool *p, const void *va)
{
	uintptr_t a = (uintptr_t)va;

	if (!p)
		return PKT_BUF_NONE;
	for (uint32_t c = 0; c < p->nchunks; c++) {
		uintptr_t base = (uintptr_t)p->chunks[c].va;
		uint32_t first = c << p->cshift;
		uint32_t n = p->nbufs - first < (1u << p->cshift) ? p->nbufs - first : 1u << p->cshift;

		if (a >= base && a - base < (uintptr_t)n << p->shift)
			return first + (uint32_t)((a - base) >> p->shift);
	}
	return PKT_BUF_NONE;
}

uint32_t pkt_pool_buf_size(const struct pkt_pool *p)
{
	return p ? p->buf_size : 0;
}

uint32_t pkt_pool_size(const struct pkt_pool *p)
{
	return p ? p->nbufs : 0;
}

uint32_t pkt_pool_free_count(const struct pkt_pool *p)
{
	return p ? atomic_load_explicit(&p->free_count, memory_order_relaxed) : 0;
}

uint64_t pkt_pool_bad_puts(const struct pkt_pool *p)
{
	return p ? atomic_load_explicit(&p->bad_puts, memory_order_relaxed) : 0;
}
