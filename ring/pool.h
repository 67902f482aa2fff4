/* SPDX-License-Identifier: MIT */
/*
 * pool.h - fixed-size packet buffers carved from DMA regions of at most 2 MiB.
 *
 * Lifecycle:  pkt_pool_create()  ->  get/put, buf_va/buf_iova ...  ->  pkt_pool_destroy()
 *
 * A buffer is named by its index (0 .. size-1).  Its host address and device
 * address are fixed for the life of the pool, so a buffer index is all a
 * descriptor ring or an upper layer needs to carry.
 *
 * Ownership: every buffer is either free (in the pool) or taken (owned by
 * whoever took it: a TX ring, an RX ring, an upper layer).  pkt_pool_put()
 * checks that a returned buffer is really taken: a double put or an index out
 * of range is counted in bad_puts and ignored, so a buggy caller can never put
 * one buffer on the free list twice (which would hand it to two owners).
 *
 * Threading: get, put and the accessors may be called from any thread at once
 * (one mutex guards the free list; the accessors read fields fixed at create).
 * create/destroy are control context; destroy must not race with any other
 * call, and the device must no longer DMA into the buffers (rings stopped and
 * destroyed first: the pool is freed after the rings, in reverse order of
 * allocation).
 */
#ifndef E1K_POOL_H
#define E1K_POOL_H

#include <stdint.h>

#include "hal.h"

#define PKT_POOL_BUF_MIN   256u
#define PKT_POOL_BUF_MAX   16384u
#define PKT_POOL_NBUFS_MAX 65536u
/* The largest DMA region the pool asks for: buffers never straddle two
 * (one 2 MiB huge page; what a no-IOMMU backend can make contiguous). */
#define PKT_POOL_CHUNK     (2u << 20)
/* Returned by pkt_pool_get() never; used by callers as "no buffer". */
#define PKT_BUF_NONE       UINT32_MAX

struct pkt_pool;

/*
 * Create a pool of nbufs buffers of buf_size bytes each, in one hal_dma_alloc
 * per PKT_POOL_CHUNK bytes (the last region holds the rest).
 * buf_size must be a power of two in [256, 16384] and nbufs in [1, 65536],
 * else -EINVAL.  -ENOMEM (or the backend's error) when an allocation fails; on
 * failure nothing is left behind and *out is NULL.  All buffers start free.
 * Context: control.  Locks: none.  May block: yes (allocation).
 */
int  pkt_pool_create(struct hal_dev *hw, uint32_t nbufs, uint32_t buf_size,
                     struct pkt_pool **out);

/*
 * Unmap and free the DMA region and the pool.  Accepts NULL.  Buffers still
 * taken are freed with it (the caller's ledger should have checked
 * pkt_pool_free_count() == pkt_pool_size() first).
 * Context: control.  Locks: none.  May block: yes.
 */
void pkt_pool_destroy(struct pkt_pool *p);

/*
 * The halt must give the pool up while an upper layer still holds buffers:
 * unmap every region from the device (hal_dma_revoke: the device can no
 * longer reach them) but keep the host memory, so a holder never reads an
 * unmapped page.  Afterwards pkt_pool_destroy releases the host memory
 * without the device (which may be closed by then): call it once nothing is
 * held.  0, or the first backend error (regions already revoked stay so).
 * Context: control.  Locks: none.  May block: yes.
 */
int  pkt_pool_revoke(struct pkt_pool *p);

/*
 * Take up to n free buffers into bufs[]; returns how many were taken (may be
 * less than n, 0 when the pool is empty).  One lock round trip per call.
 * Context: any.  Locks: the pool mutex (internally).  May block: briefly.
 */
unsigned pkt_pool_get(struct pkt_pool *p, uint32_t *bufs, unsigned n);

/*
 * Return n buffers.  A buffer that is already free or an index >= size is
 * counted in bad_puts and skipped; the rest are returned.
 * Context: any.  Locks: the pool mutex (internally).  May block: briefly.
 */
void pkt_pool_put(struct pkt_pool *p, const uint32_t *bufs, unsigned n);

/*
 * What the address accessors below read, fixed at create: the first member
 * of struct pkt_pool, visible here so the accessors can be inlined (they run
 * once or twice per packet on the datapath), and so a loop over many buffers
 * can copy it into a local (pkt_pool_geom) and use pkt_geom_va/iova: the
 * compiler then need not reload it after every store the loop makes.
 * Each buffer's addresses are in a table (one load, instead of the chunk
 * arithmetic: two shifts by a variable, a mask and a load per address).
 * Read-only: nothing outside pool.c writes it.
 */
struct pkt_pool_geom {
	uint8_t *const       *va;     /* [nbufs] host address of each buffer */
	const uint64_t       *iova;   /* [nbufs] device address of each buffer */
	uint32_t              nbufs;
};

/* p must not be NULL. */
static inline const struct pkt_pool_geom *pkt_pool_geom(const struct pkt_pool *p)
{
	return (const struct pkt_pool_geom *)(const void *)p;
}

/* Host address / device address of buffer buf; NULL / 0 for an index out
 * of range. */
static inline void *pkt_geom_va(const struct pkt_pool_geom *g, uint32_t buf)
{
	return buf < g->nbufs ? g->va[buf] : NULL;
}

static inline uint64_t pkt_geom_iova(const struct pkt_pool_geom *g, uint32_t buf)
{
	return buf < g->nbufs ? g->iova[buf] : 0;
}

/* Host address / device address of a buffer; NULL / 0 for an index out of
 * range.  Context: any.  Locks: none.  May block: no. */
static inline void *pkt_buf_va(const struct pkt_pool *p, uint32_t buf)
{
	return p ? pkt_geom_va(pkt_pool_geom(p), buf) : NULL;
}

static inline uint64_t pkt_buf_iova(const struct pkt_pool *p, uint32_t buf)
{
	return p ? pkt_geom_iova(pkt_pool_geom(p), buf) : 0;
}

/* Context: any.  Locks: none.  May block: no.  free_count is a snapshot. */
uint32_t pkt_pool_buf_size(const struct pkt_pool *p);
uint32_t pkt_pool_size(const struct pkt_pool *p);
uint32_t pkt_pool_free_count(const struct pkt_pool *p);
uint64_t pkt_pool_bad_puts(const struct pkt_pool *p);
/* Index of the buffer containing host address va, or PKT_BUF_NONE. */
uint32_t pkt_buf_from_va(const struct pkt_pool *p, const void *va);

#endif /* E1K_POOL_H */
