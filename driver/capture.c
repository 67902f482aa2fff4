/* SPDX-License-Identifier: MIT */
/*
 * capture.c - the capture ring and the datapath's out-of-line capture work
 * (contract: capture.h).
 *
 * The ring is a power-of-two byte array; head (bytes ever written) and tail
 * (bytes ever read) only grow.  Producers hold lock while they reserve and
 * copy, and publish a record by storing head (release); the reader loads
 * head (acquire), copies, and gives the room back by storing tail
 * (release), which a producer loads (acquire) before it reuses the bytes.
 * Records are 8-byte aligned and may wrap around the end of the array.
 */
#include "capture_hook.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct e1k_capture {
	pthread_mutex_t lock;    /* producers only */
	uint8_t *buf;
	size_t size, mask;
	_Atomic uint64_t head;   /* written under lock; read by the reader */
	_Atomic uint64_t tail;   /* written by the reader */
	atomic_ulong captured, dropped;
	unsigned dirs;
	uint32_t snaplen;
};

#define REC_ALIGN 8u

static size_t rec_bytes(uint32_t caplen)
{
	return (sizeof(struct e1k_capture_rec) + caplen + REC_ALIGN - 1) & ~(size_t)(REC_ALIGN - 1);
}

struct e1k_capture *e1k_capture_new(size_t ring_bytes, unsigned dirs, uint32_t snaplen)
{
	struct e1k_capture *c;
	size_t size = E1K_CAPTURE_RING_MIN;

	if (!dirs || (dirs & ~E1K_CAPTURE_BOTH) || snaplen == 0 || snaplen > E1K_CAPTURE_SNAPLEN_MAX ||
	    ring_bytes > ((size_t)1 << 30)) {
		errno = EINVAL;
		return NULL;
	}
	while (size < ring_bytes)
		size <<= 1;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->buf = malloc(size);
	if (!c->buf) {
		free(c);
		return NULL;
	}
	pthread_mutex_init(&c->lock, NULL);
	c->size = size;
	c->mask = size - 1;
	c->dirs = dirs;
	c->snaplen = snaplen;
	return c;
}

void e1k_capture_free(struct e1k_capture *c)
{
	if (!c)
		return;
	pthread_mutex_destroy(&c->lock);
	free(c->buf);
	free(c);
}

int e1k_capture_wants(const struct e1k_capture *c, unsigned dir)
{
	return (c->dirs & dir) != 0;
}

/* Copy n bytes into the ring at position pos, wrapping. */
static void ring_put(struct e1k_capture *c, uint64_t pos, const void *src, size_t n)
{
	size_t off = (size_t)pos & c->mask, first = c->size - off < n ? c->size - off : n;

	memcpy(c->buf + off, src, first);
	if (n > first)
		memcpy(c->buf, (const uint8_t *)src + first, n - first);
}

static void ring_get(const struct e1k_capture *c, uint64_t pos, void *dst, size_t n)
{
	size_t off = (size_t)pos & c->mask, first = c->size - off < n ? c->size - off : n;

	memcpy(dst, c->buf + off, first);
	if (n > first)
		memcpy((uint8_t *)dst + first, c->buf, n - first);
}

void e1k_capture_begin(struct e1k_capture *c)
{
	pthread_mutex_lock(&c->lock);
}

void e1k_capture_end(struct e1k_capture *c)
{
	pthread_mutex_unlock(&c->lock);
}

/* Caller holds c->lock. */
void e1k_capture_add(struct e1k_capture *c, unsigned dir, uint64_t ts_ns, uint32_t len,
                     unsigned nseg, const void *const *data, const uint32_t *seglen)
{
	uint32_t caplen = len < c->snaplen ? len : c->snaplen, left;
	uint64_t head = atomic_load_explicit(&c->head, memory_order_relaxed);
	uint64_t tail = atomic_load_explicit(&c->tail, memory_order_acquire);
	size_t need = rec_bytes(caplen);
	struct e1k_capture_rec h = { .ts_ns = ts_ns, .len = len, .caplen = caplen, .dir = dir };
	uint64_t pos;

	if (!(c->dirs & dir))
		return;
	if (c->size - (size_t)(head - tail) < need) {
		/* Full: the reader is behind.  Never wait for it. */
		atomic_fetch_add_explicit(&c->dropped, 1, memory_order_relaxed);
		return;
	}
	ring_put(c, head, &h, sizeof(h));
	pos = head + sizeof(h);
	left = caplen;
	for (unsigned i = 0; i < nseg && left > 0; i++) {
		uint32_t k = seglen[i] < left ? seglen[i] : left;

		ring_put(c, pos, data[i], k);
		pos += k;
		left -= k;
	}
	if (left) {
		/* The pieces were shorter than len said: record what there was. */
		h.caplen = caplen - left;
		ring_put(c, head, &h, sizeof(h));
	}
	atomic_fetch_add_explicit(&c->captured, 1, memory_order_relaxed);
	atomic_store_explicit(&c->head, head + need, memory_order_release);
}

int e1k_capture_read(struct e1k_capture *c, struct e1k_capture_rec *rec, void *buf, size_t buflen)
{
	uint64_t tail = atomic_load_explicit(&c->tail, memory_order_relaxed);
	uint64_t head = atomic_load_explicit(&c->head, memory_order_acquire);
	size_t k;

	if (head == tail)
		return 0;
	ring_get(c, tail, rec, sizeof(*rec));
	k = rec->caplen < buflen ? rec->caplen : buflen;
	ring_get(c, tail + sizeof(*rec), buf, k);
	atomic_store_explicit(&c->tail, tail + rec_bytes(rec->caplen), memory_order_release);
	return 1;
}

void e1k_capture_counts(const struct e1k_capture *c, uint64_t *captured, uint64_t *dropped)
{
	if (captured)
		*captured = atomic_load_explicit(&c->captured, memory_order_relaxed);
	if (dropped)
		*dropped = atomic_load_explicit(&c->dropped, memory_order_relaxed);
}

static uint64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Pieces per frame kept on the stack: a chained frame has at most this many
 * buffers (a 64 KiB frame in 2 KiB buffers, and then some). */
#define CAP_SEGS 64u

void e1k_capture_rx_frames(struct e1k_adapter *ad, struct e1k_capture *c,
                           const struct rx_frame_ref *r, const uint32_t *segs, unsigned n)
{
	const void *data[CAP_SEGS];
	uint32_t seglen[CAP_SEGS];
	uint64_t ts;

	if (!(c->dirs & E1K_CAPTURE_RX))
		return;
	ts = wall_ns();
	e1k_capture_begin(c);
	for (unsigned i = 0; i < n; i++) {
		uint32_t left = r[i].len;
		unsigned ns = r[i].nseg < CAP_SEGS ? r[i].nseg : CAP_SEGS;

		for (unsigned j = 0; j < ns; j++) {
			data[j] = pkt_buf_va(ad->pool, segs[r[i].seg + j]);
			seglen[j] = left < E1K_BUF_SIZE ? left : E1K_BUF_SIZE;
			left -= seglen[j];
		}
		e1k_capture_add(c, E1K_CAPTURE_RX, ts, r[i].len, ns, data, seglen);
	}
	e1k_capture_end(c);
}

void e1k_capture_tx_frames(struct e1k_capture *c, const struct e1k_frame *f, unsigned n)
{
	uint64_t ts;

	if (!(c->dirs & E1K_CAPTURE_TX))
		return;
	ts = wall_ns();
	e1k_capture_begin(c);
	for (unsigned i = 0; i < n; i++) {
		const void *d = f[i].data;

		e1k_capture_add(c, E1K_CAPTURE_TX, ts, f[i].len, 1, &d, &f[i].len);
	}
	e1k_capture_end(c);
}

void e1k_capture_tx_borrowed(struct e1k_adapter *ad, struct e1k_capture *c,
                             const struct e1k_tx_borrowed *fr, unsigned n)
{
	const void *data[CAP_SEGS];
	uint32_t seglen[CAP_SEGS];
	uint64_t ts;

	if (!(c->dirs & E1K_CAPTURE_TX))
		return;
	ts = wall_ns();
	e1k_capture_begin(c);
	for (unsigned i = 0; i < n; i++) {
		uint32_t left = fr[i].f.len;
		unsigned ns = 0;

		while (left > 0 && ns < CAP_SEGS) {
			data[ns] = pkt_buf_va(ad->pool, fr[i].bufs[ns]);
			seglen[ns] = left < E1K_BUF_SIZE ? left : E1K_BUF_SIZE;
			left -= seglen[ns++];
		}
		e1k_capture_add(c, E1K_CAPTURE_TX, ts, fr[i].f.len, ns, data, seglen);
	}
	e1k_capture_end(c);
}

int e1k_adapter_capture_attach(struct e1k_adapter *ad, struct e1k_capture *c)
{
	struct e1k_capture *none = NULL;

	/* Release: producers that see c see it initialised (e1k_rcu_deref acquires). */
	if (!atomic_compare_exchange_strong_explicit(&ad->capture, &none, c, memory_order_acq_rel,
	                                             memory_order_acquire))
		return -EBUSY;
	return 0;
}

void e1k_adapter_capture_detach(struct e1k_adapter *ad, struct e1k_capture *c)
{
	struct e1k_capture *cur = c;

	if (!atomic_compare_exchange_strong_explicit(&ad->capture, &cur, NULL, memory_order_acq_rel,
	                                             memory_order_acquire))
		return;
	/* Every producer that saw c has left its read-side section. */
	e1k_rcu_synchronize();
}
