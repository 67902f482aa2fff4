/* SPDX-License-Identifier: MIT */
/*
 * datapath.c - send, the interrupt DPC (RX indication, TX completion, link),
 * buffer returns, and removal detection.
 *
 * Context rules:
 *   e1k_adapter_send      any RCU-registered thread; takes tx_lock
 *   e1k_adapter_tx_wait   the same, outside a read-side section; sleeps on
 *                         tx_room without tx_lock or a read-side section
 *   e1k_dpc_intr          a DPC worker (never concurrently with itself);
 *                         the only user of the RX ring while Running
 *   e1k_adapter_return_rx any thread
 */
#include "adapter_internal.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include "capture_hook.h"
#include "clock.h"
#include "log.h"
#include "offload.h"

#define RX_BUDGET   256u   /* frames per DPC run before yielding the worker */
#define RX_BATCH    64u    /* frames per ring harvest */
#define RX_SEGS     256u   /* buffers per ring harvest (chained frames take several) */
#define TX_BATCH    64u    /* frames per ring submission (one doorbell per send call) */
#define TX_SEGS     128u   /* buffers per ring submission */

bool e1k_check_removed(struct e1k_adapter *ad, uint32_t val)
{
	if (!e1k_hw_reads_gone(ad->hw, val))
		return false;
	if (hal_mark_gone(ad->hw)) {
		e1k_log(E1K_LOG_ERROR, "%s: device reads all ones: surprise removal", ad->hw->name);
		e1k_request_halt(ad, E1K_HALT_SURPRISE_REMOVED, "register reads returned all ones");
	}
	return true;
}

int e1k_device_reset(struct e1k_adapter *ad, unsigned timeout_us)
{
	int rc = e1k_hw_reset(ad->hw, timeout_us);

	if (rc == -ENODEV)
		(void)e1k_check_removed(ad, 0xffffffffu);
	return rc;
}

void e1k_request_halt(struct e1k_adapter *ad, enum e1k_halt_reason r, const char *why)
{
	if (atomic_exchange_explicit(&ad->halt_requested, true, memory_order_acq_rel))
		return;
	if (ad->owner.halt_needed)
		ad->owner.halt_needed(ad->owner.ctx, r, why);
}

/* How many buffers the TX stash may hold (E1K_TX_STASH, an eighth of the pool). */
static inline unsigned tx_stash_cap(const struct e1k_adapter *ad)
{
	unsigned c = pkt_pool_geom(ad->pool)->nbufs / 8;

	return c < E1K_TX_STASH ? c : E1K_TX_STASH;
}

/* Caller holds tx_lock.  Returns completed frames.  The buffers go to the
 * stash while it has room, the rest to the pool. */
unsigned e1k_tx_reclaim_locked(struct e1k_adapter *ad)
{
	uint32_t bufs[TX_SEGS];
	unsigned n, frames, total = 0, cap = tx_stash_cap(ad);

	for (;;) {
		unsigned room = cap - ad->tx_nstash;

		if (room > 0) {
			n = tx_ring_reclaim_frames(ad->tx, ad->tx_stash + ad->tx_nstash, room, &frames);
			ad->tx_nstash += n;
		} else {
			n = tx_ring_reclaim_frames(ad->tx, bufs, TX_SEGS, &frames);
			pkt_pool_put(ad->pool, bufs, n);
		}
		if (n == 0)
			break;
		total += frames;
	}
	if (total) {
		atomic_fetch_add_explicit(&ad->tx_completed, total, memory_order_relaxed);
		/* Room for senders asleep in e1k_adapter_tx_wait: whoever
		 * reclaims (the DPC, a sender, the halt) wakes them. */
		if (ad->tx_waiters)
			pthread_cond_broadcast(&ad->tx_room);
	}
	return total;
}

/* Caller holds tx_lock and has stopped the transmitter.  Returns aborted frames. */
unsigned e1k_tx_abort_locked(struct e1k_adapter *ad)
{
	uint32_t bufs[TX_SEGS];
	unsigned n, frames, total = 0;

	while ((n = tx_ring_abort_frames(ad->tx, bufs, TX_SEGS, &frames)) > 0) {
		pkt_pool_put(ad->pool, bufs, n);
		total += frames;
	}
	/* The transmitter is stopped: the stash goes back too, so the pool
	 * is whole again once nothing else is held. */
	pkt_pool_put(ad->pool, ad->tx_stash, ad->tx_nstash);
	ad->tx_nstash = 0;
	if (total)
		atomic_fetch_add_explicit(&ad->tx_aborted, total, memory_order_relaxed);
	return total;
}

/* Caller holds tx_lock.  Take up to n free buffers: the stash's first (the
 * most recently reclaimed), then the pool's. */
static unsigned tx_bufs_get(struct e1k_adapter *ad, uint32_t *bufs, unsigned n)
{
	unsigned k = n < ad->tx_nstash ? n : ad->tx_nstash;
	const uint32_t *top = ad->tx_stash + ad->tx_nstash - k;

	for (unsigned i = 0; i < k; i++)
		bufs[i] = top[i];
	ad->tx_nstash -= k;
	return k < n ? k + pkt_pool_get(ad->pool, bufs + k, n - k) : k;
}

/* Caller holds tx_lock.  Give back n free buffers taken by tx_bufs_get and
 * not sent: to the stash while it has room, the rest to the pool.  bufs may
 * lie in the stash above its top (send_plain's): the copy runs upwards,
 * never over an entry it has still to read. */
static void tx_bufs_unget(struct e1k_adapter *ad, const uint32_t *bufs, unsigned n)
{
	unsigned cap = tx_stash_cap(ad), k = 0;

	for (; k < n && ad->tx_nstash < cap; k++)
		ad->tx_stash[ad->tx_nstash++] = bufs[k];
	if (k < n)
		pkt_pool_put(ad->pool, bufs + k, n - k);
}

/* A frame send_plain takes: no offload, a valid length, one buffer
 * (maxlen: the MTU's frame length, at most E1K_BUF_SIZE). */
_Static_assert(offsetof(struct e1k_frame, csum) == offsetof(struct e1k_frame, gso) + 1,
               "gso and csum are read as one 16-bit word");

static inline bool frame_plain(const struct e1k_frame *f, uint32_t maxlen)
{
	uint16_t offload;

	/* gso and csum together: one load, one test. */
	memcpy(&offload, &f->gso, sizeof(offload));
	/* len - 14 wraps below 14: one compare for both ends. */
	return !offload && f->len - E1000_ETH_HLEN <= maxlen - E1000_ETH_HLEN;
}

/*
 * Caller holds tx_lock.  Send the leading run of fs[0 .. n) that
 * frame_plain takes, at most slots of them, in one pass: take the buffers
 * (straight from the stash when it holds enough), copy, and hand them to the
 * ring as packets.  Returns frames sent; *other is true when the run ended
 * at a frame of another kind (a bad one too) with every frame before it
 * sent, false when the ring's room, the pool or the ring's checks ended it
 * (or all n went).  *bytes grows by what was sent.
 */
static unsigned send_plain(struct e1k_adapter *ad, const struct pkt_pool_geom *g,
                           const struct e1k_frame *fs, unsigned n, unsigned slots,
                           uint32_t maxlen, uint64_t *bytes, bool *other)
{
	struct pkt_ref refs[TX_BATCH];
	uint32_t local[TX_BATCH];
	const uint32_t *bufs;
	unsigned k = n < slots ? n : slots, i, accepted;
	uint64_t sum = 0;

	if (k > TX_BATCH)
		k = TX_BATCH;
	if (maxlen > E1K_BUF_SIZE)
		maxlen = E1K_BUF_SIZE;
	*other = n > 0 && !frame_plain(&fs[0], maxlen);
	if (k == 0 || *other)
		return 0;
	if (ad->tx_nstash >= k) {
		ad->tx_nstash -= k;
		bufs = ad->tx_stash + ad->tx_nstash;
	} else {
		k = tx_bufs_get(ad, local, k);
		bufs = local;
	}
	for (i = 0; i < k; i++) {
		const struct e1k_frame *f = &fs[i];

		if (!frame_plain(f, maxlen))
			break;
		memcpy(g->va[bufs[i]], f->data, f->len);
		refs[i] = (struct pkt_ref){ .buf = bufs[i], .len = f->len };
		sum += f->len;
	}
	*other = i < k;
	accepted = i ? tx_ring_submit(ad->tx, ad->pool, refs, i) : 0;
	if (accepted < i) {
		*other = false;
		for (unsigned j = accepted; j < i; j++)
			sum -= refs[j].len;
	}
	/* The buffers not sent (the frame that stopped the run and those after
	 * it, or what the ring refused): back whence they came. */
	tx_bufs_unget(ad, bufs + accepted, k - accepted);
	*bytes += sum;
	return accepted;
}

/* Adaptive moderation (itr.h): one sample per run of the interrupt DPC,
 * which owns ad->itr; the interval is written only while Running. */
static void itr_adapt(struct e1k_adapter *ad)
{
	uint64_t frames = atomic_load_explicit(&ad->rx_packets, memory_order_relaxed) +
	                  atomic_load_explicit(&ad->tx_completed, memory_order_relaxed);
	unsigned ns;

	if (!e1k_itr_sample(&ad->itr, e1k_now_ns(), frames, &ns))
		return;
	e1k_hw_set_itr(ad->hw, ns);
	atomic_store_explicit(&ad->itr_ns_now, ns, memory_order_relaxed);
	atomic_fetch_add_explicit(&ad->itr_changes, 1, memory_order_relaxed);
}

/* Buffers a frame of len bytes takes. */
static inline unsigned frame_bufs(uint32_t len)
{
	return (len + E1K_BUF_SIZE - 1) >> E1K_BUF_SHIFT;
}

/* Copy frame f into the buffers of tf (taken from the pool, enough of them)
 * and prepare its headers for the offload it asked for. */
static void frame_copy(struct e1k_adapter *ad, const struct e1k_frame *f, struct tx_frame *tf,
                       struct pkt_ref *refs, const uint32_t *bufs)
{
	const uint8_t *src = f->data;
	uint32_t left = f->len;

	for (unsigned j = 0; j < tf->nseg; j++) {
		uint32_t c = left < E1K_BUF_SIZE ? left : E1K_BUF_SIZE;

		memcpy(pkt_buf_va(ad->pool, bufs[j]), src, c);
		refs[j].buf = bufs[j];
		refs[j].len = c;
		src += c;
		left -= c;
	}
	tf->seg = refs;
	/* The headers (at most 255 bytes: the descriptor's 8-bit offsets) are
	 * all in the first buffer. */
	if (tf->off.kind == TX_OFFLOAD_TSO)
		e1k_offload_prepare(pkt_buf_va(ad->pool, bufs[0]), &tf->off);
}

/* Check frame f for sending: its length, and its offload request against its
 * headers and the device.  0 or -EINVAL (counted when the offload is bad). */
static int frame_check(struct e1k_adapter *ad, const struct e1k_pub *p, const struct e1k_frame *f,
                       struct tx_offload *off)
{
	enum e1k_offload_err why;

	/* A gso frame's length is its offload's to check (and count). */
	if (f->len < E1000_ETH_HLEN || (!f->gso && f->len > p->mtu + E1000_ETH_HLEN))
		return -EINVAL;
	if (!(f->gso | f->csum)) {
		*off = (struct tx_offload){ .kind = TX_OFFLOAD_NONE };
		return 0;
	}
	if (e1k_offload_check(f, ad->offloads, p->mtu, off, &why) < 0) {
		atomic_fetch_add_explicit(&ad->tx_bad_offload, 1, memory_order_relaxed);
		return -EINVAL;
	}
	return 0;
}

int e1k_adapter_send(struct e1k_adapter *ad, const struct e1k_frame *frames, unsigned n)
{
	struct tx_frame tf[TX_BATCH];
	struct pkt_ref refs[TX_SEGS];
	uint32_t bufs[TX_SEGS];
	struct pkt_pool_geom g;
	const struct e1k_pub *p;
	unsigned done = 0, tso = 0, csum = 0;
	uint32_t maxlen;
	uint64_t bytes = 0;
	bool bad = false, other;
	int rc = 0;

	e1k_rcu_read_lock();
	p = e1k_rcu_deref(&ad->pub);
	if (p->state != E1K_STATE_RUNNING) {
		e1k_rcu_read_unlock();
		return -ENETDOWN;
	}
	maxlen = p->mtu + E1000_ETH_HLEN;
	g = *pkt_pool_geom(ad->pool);
	pthread_mutex_lock(&ad->tx_lock);
	/* Reclaim first: keeps the ring and the pool from filling up when the
	 * TX-completion interrupt is throttled -- when the stash or the ring's
	 * free slots might not cover this call (else the DPC's reclaim will,
	 * in a larger batch). */
	if (ad->tx_nstash < n || tx_ring_free_slots(ad->tx) < n)
		e1k_tx_reclaim_locked(ad);
	/* One doorbell for the whole call, however many submissions it takes
	 * (under TCG a TDT write costs the vCPU microseconds of its own). */
	tx_ring_hold(ad->tx);
	while (done < n && !bad) {
		const struct e1k_frame *fs = frames + done;
		unsigned lim = n - done < TX_BATCH ? n - done : TX_BATCH;
		unsigned nf, nb = 0, got, accepted, slots = tx_ring_free_slots(ad->tx);

		/* The common case first: plain frames of one buffer, in one
		 * pass.  Stopped by another kind of frame: the path below takes
		 * it; by the ring or the pool: so would the path below. */
		accepted = send_plain(ad, &g, fs, lim, slots, maxlen, &bytes, &other);
		if (accepted > 0) {
			done += accepted;
			if (accepted < lim && !other)
				break;
			continue;
		}
		/* Which frames fit in this submission (the ring's slots, one more
		 * for an offload's context descriptor, and TX_SEGS buffers). */
		for (nf = 0; nf < lim; nf++) {
			const struct e1k_frame *f = &fs[nf];
			unsigned need, descs;

			if (__builtin_expect(!(f->gso | f->csum), 1)) {
				/* No offload: the length is all there is to check
				 * (frame_check's first test), and only the kind of
				 * tf's offload is ever read. */
				if (f->len < E1000_ETH_HLEN || f->len > maxlen) {
					bad = true;
					break;
				}
				tf[nf].off.kind = TX_OFFLOAD_NONE;
				need = frame_bufs(f->len);
				descs = need;
			} else {
				if (frame_check(ad, p, f, &tf[nf].off) < 0) {
					bad = true;
					break;
				}
				need = frame_bufs(f->len);
				descs = tf[nf].off.kind == TX_OFFLOAD_NONE ? need : TX_FRAME_DESCS(need);
			}
			if (nb + need > TX_SEGS || descs > slots)
				break;
			slots -= descs;
			tf[nf].nseg = need;
			nb += need;
		}
		if (nf == 0)
			break;
		got = tx_bufs_get(ad, bufs, nb);
		if (got < nb) {
			/* The pool ran short: send the frames it covers. */
			unsigned used = 0, k = 0;

			while (k < nf && used + tf[k].nseg <= got)
				used += tf[k++].nseg;
			if (got > used)
				pkt_pool_put(ad->pool, bufs + used, got - used);
			nf = k;
			nb = used;
			bad = false;   /* the bad frame, if any, was not reached */
			if (nf == 0)
				break;
		}
		/* Copy, and count as if all were accepted (the rare shortfall
		 * is taken back below). */
		for (unsigned i = 0, b = 0; i < nf; b += tf[i].nseg, i++) {
			const struct e1k_frame *f = &fs[i];

			bytes += f->len;
			if (__builtin_expect(tf[i].nseg == 1 && tf[i].off.kind == TX_OFFLOAD_NONE, 1)) {
				memcpy(pkt_geom_va(&g, bufs[b]), f->data, f->len);
				refs[b].buf = bufs[b];
				refs[b].len = f->len;
				tf[i].seg = &refs[b];
				continue;
			}
			frame_copy(ad, f, &tf[i], refs + b, bufs + b);
			tso += tf[i].off.kind == TX_OFFLOAD_TSO;
			csum += tf[i].off.kind == TX_OFFLOAD_CSUM;
		}
		accepted = tx_ring_submit_frames(ad->tx, ad->pool, tf, nf);
		if (accepted < nf) {
			unsigned from = (unsigned)(tf[accepted].seg - refs);

			for (unsigned i = accepted; i < nf; i++) {
				bytes -= fs[i].len;
				tso -= tf[i].off.kind == TX_OFFLOAD_TSO;
				csum -= tf[i].off.kind == TX_OFFLOAD_CSUM;
			}
			pkt_pool_put(ad->pool, bufs + from, nb - from);
		}
		done += accepted;
		if (accepted < nf)
			break;
	}
	tx_ring_release(ad->tx);
	pthread_mutex_unlock(&ad->tx_lock);
	e1k_capture_tx_hook(ad, frames, done);
	e1k_rcu_read_unlock();
	if (bad && done == 0)
		rc = -EINVAL;
	atomic_fetch_add_explicit(&ad->tx_packets, done, memory_order_relaxed);
	atomic_fetch_add_explicit(&ad->tx_bytes, bytes, memory_order_relaxed);
	if (tso)
		atomic_fetch_add_explicit(&ad->tx_tso, tso, memory_order_relaxed);
	if (csum)
		atomic_fetch_add_explicit(&ad->tx_csum, csum, memory_order_relaxed);
	if (done < n && !bad)
		atomic_fetch_add_explicit(&ad->tx_busy, 1, memory_order_relaxed);
	return done ? (int)done : rc;
}

unsigned e1k_adapter_tx_borrow(struct e1k_adapter *ad, uint32_t *bufs, uint8_t **va, unsigned n)
{
	unsigned got = 0;

	/* The read-side section orders this against the halt: it publishes
	 * another state and closes the pool, then waits for a grace period
	 * before it counts what is held -- a borrow either sees that or is
	 * counted. */
	e1k_rcu_read_lock();
	if (e1k_rcu_deref(&ad->pub)->state == E1K_STATE_RUNNING &&
	    !atomic_load_explicit(&ad->pool_closing, memory_order_acquire)) {
		got = pkt_pool_get(ad->pool, bufs, n);
		atomic_fetch_add_explicit(&ad->tx_borrowed, got, memory_order_acq_rel);
		for (unsigned i = 0; i < got; i++)
			va[i] = pkt_buf_va(ad->pool, bufs[i]);
	}
	e1k_rcu_read_unlock();
	return got;
}

static void return_last(struct e1k_adapter *ad, const uint32_t *bufs, unsigned n, bool borrowed);

void e1k_adapter_tx_giveback(struct e1k_adapter *ad, const uint32_t *bufs, unsigned n)
{
	/* Held as received buffers are: the same way back. */
	return_last(ad, bufs, n, true);
}

int e1k_adapter_send_borrowed(struct e1k_adapter *ad, const struct e1k_tx_borrowed *fr, unsigned n)
{
	struct tx_frame tf[TX_BATCH];
	struct pkt_ref refs[TX_SEGS];
	const struct e1k_pub *p;
	unsigned done = 0, tso = 0, csum = 0, nbufs = 0;
	uint64_t bytes = 0;
	bool bad = false;
	int rc = 0;

	e1k_rcu_read_lock();
	p = e1k_rcu_deref(&ad->pub);
	if (p->state != E1K_STATE_RUNNING) {
		e1k_rcu_read_unlock();
		return -ENETDOWN;
	}
	pthread_mutex_lock(&ad->tx_lock);
	e1k_tx_reclaim_locked(ad);
	tx_ring_hold(ad->tx);   /* one doorbell for the call, as in e1k_adapter_send */
	while (done < n && !bad) {
		unsigned nf, nb = 0, accepted, slots = tx_ring_free_slots(ad->tx);

		for (nf = 0; done + nf < n && nf < TX_BATCH; nf++) {
			const struct e1k_tx_borrowed *b = &fr[done + nf];
			uint32_t left = b->f.len;
			unsigned need, descs;

			if (frame_check(ad, p, &b->f, &tf[nf].off) < 0) {
				bad = true;
				break;
			}
			need = frame_bufs(b->f.len);
			descs = tf[nf].off.kind == TX_OFFLOAD_NONE ? need : TX_FRAME_DESCS(need);
			if (nb + need > TX_SEGS || descs > slots)
				break;
			slots -= descs;
			for (unsigned j = 0; j < need; j++) {
				refs[nb + j].buf = b->bufs[j];
				refs[nb + j].len = left < E1K_BUF_SIZE ? left : E1K_BUF_SIZE;
				left -= refs[nb + j].len;
			}
			tf[nf].seg = refs + nb;
			tf[nf].nseg = need;
			if (tf[nf].off.kind == TX_OFFLOAD_TSO)
				e1k_offload_prepare(pkt_buf_va(ad->pool, b->bufs[0]), &tf[nf].off);
			nb += need;
		}
		if (nf == 0)
			break;
		accepted = tx_ring_submit_frames(ad->tx, ad->pool, tf, nf);
		e1k_capture_tx_borrowed_hook(ad, fr + done, accepted);
		for (unsigned i = 0; i < accepted; i++) {
			bytes += fr[done + i].f.len;
			nbufs += tf[i].nseg;
			tso += tf[i].off.kind == TX_OFFLOAD_TSO;
			csum += tf[i].off.kind == TX_OFFLOAD_CSUM;
		}
		done += accepted;
		if (accepted < nf)
			break;
	}
	tx_ring_release(ad->tx);
	pthread_mutex_unlock(&ad->tx_lock);
	/* The accepted frames' buffers are the ring's now, not the borrower's. */
	if (nbufs)
		atomic_fetch_sub_explicit(&ad->tx_borrowed, nbufs, memory_order_acq_rel);
	e1k_rcu_read_unlock();
	if (bad && done == 0)
		rc = -EINVAL;
	atomic_fetch_add_explicit(&ad->tx_packets, done, memory_order_relaxed);
	atomic_fetch_add_explicit(&ad->tx_zero_copy, done, memory_order_relaxed);
	atomic_fetch_add_explicit(&ad->tx_bytes, bytes, memory_order_relaxed);
	if (tso)
		atomic_fetch_add_explicit(&ad->tx_tso, tso, memory_order_relaxed);
	if (csum)
		atomic_fetch_add_explicit(&ad->tx_csum, csum, memory_order_relaxed);
	if (done < n && !bad)
		atomic_fetch_add_explicit(&ad->tx_busy, 1, memory_order_relaxed);
	return done ? (int)done : rc;
}

/* Buffers whose last reference this is (see indicate): every one while a
 * single binding was ever bound; or buffers borrowed to send and not sent. */
static void return_last(struct e1k_adapter *ad, const uint32_t *bufs, unsigned n, bool borrowed)
{
	if (n == 0)
		return;
	/* The read-side section keeps the pool alive: halt sets pool_closing,
	 * then waits for a grace period before freeing it. */
	e1k_rcu_read_lock();
	if (atomic_load_explicit(&ad->pool_closing, memory_order_acquire)) {
		/* The halt closed the pool: counted, not put.  If it had to
		 * revoke the pool for these holders, the last return frees it. */
		atomic_fetch_add_explicit(&ad->rx_late_returns, n, memory_order_acq_rel);
		e1k_rcu_read_unlock();
		e1k_rx_revoked_check(ad);
		return;
	}
	pkt_pool_put(ad->pool, bufs, n);
	if (borrowed)
		atomic_fetch_sub_explicit(&ad->tx_borrowed, n, memory_order_acq_rel);
	else
		atomic_fetch_add_explicit(&ad->rx_returned, n, memory_order_release);
	/* The RX ring may have run dry while a binding held everything: let the
	 * DPC refill it (a no-op when already queued or when not Running). */
	if (atomic_load_explicit(&ad->rx_starved, memory_order_relaxed) &&
	    e1k_rcu_deref(&ad->pub)->state == E1K_STATE_RUNNING &&
	    atomic_exchange_explicit(&ad->rx_starved, false, memory_order_relaxed))
		dpc_queue(ad->dpcs, &ad->dpc_intr);
	e1k_rcu_read_unlock();
}

unsigned e1k_rx_drop_written(struct e1k_adapter *ad)
{
	struct pkt_ref refs[RX_BATCH];
	unsigned n, total = 0;

	while ((n = rx_ring_poll(ad->rx, refs, RX_BATCH)) > 0) {
		for (unsigned i = 0; i < n; i++)
			pkt_pool_put(ad->pool, &refs[i].buf, 1);
		total += n;
	}
	return total;
}

void e1k_rx_revoked_check(struct e1k_adapter *ad)
{
	/* Acquire: pairs with op_rx_revoke's release store, after which
	 * rx_revoked_held is the number to wait for. */
	struct pkt_pool *p = atomic_load_explicit(&ad->rx_revoked_pool, memory_order_acquire);

	if (!p || atomic_load_explicit(&ad->rx_late_returns, memory_order_acquire) < ad->rx_revoked_held)
		return;
	/* Whoever takes it frees it: the halt and the last returner may both
	 * see the count complete. */
	p = atomic_exchange_explicit(&ad->rx_revoked_pool, NULL, memory_order_acq_rel);
	if (!p)
		return;
	pkt_pool_destroy(p);
	e1k_log(E1K_LOG_INFO, "%llu receive buffer(s) held past the halt returned after %.1f ms: "
	        "their memory is freed", (unsigned long long)ad->rx_revoked_held,
	        (double)(e1k_now_ns() - ad->rx_revoked_ns) / 1e6);
}

/* True when some handle in bufs[] is the first buffer of a chain. */
static bool any_chain(const struct e1k_adapter *ad, const uint32_t *bufs, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (bufs[i] < ad->cfg.pool_size && ad->rx_next[bufs[i]] != PKT_BUF_NONE)
			return true;
	return false;
}

/*
 * The batch indicate() is handing to a single binding on this thread, for
 * return_rx: a frame of it given back during the call goes straight to the
 * RX ring's next refill (rx_ring_recycle), not through the pool.  The DPC
 * owns the ring and is this thread; the frames come back in order in the
 * common case, so matching them is one compare each (next: the first frame
 * not yet given back that way).
 */
struct rx_indication {
	struct e1k_adapter         *ad;   /* NULL outside indicate's call */
	const struct e1k_rx_frame  *f;
	/* The frames' buffers in order, when every frame has one (else NULL):
	 * then bufs[i] == f[i].buf, and a whole run compares as memory. */
	const uint32_t             *bufs;
	unsigned                    n, next;
};
static _Thread_local struct rx_indication rx_ind;

/* Give back the leading run of bufs[0 .. n) that are the indication's next
 * frames of one buffer, to the RX ring's refill; returns how many. */
static unsigned return_recycle(struct e1k_adapter *ad, struct rx_indication *ri,
                               const uint32_t *bufs, unsigned n)
{
	unsigned k = 0, next = ri->next, taken;

	if (ri->bufs) {
		unsigned lim = n < ri->n - next ? n : ri->n - next;

		/* The common case: the rest of the batch, in order. */
		if (lim > 0 && memcmp(bufs, ri->bufs + next, lim * sizeof(*bufs)) == 0)
			k = lim;
		else
			while (k < lim && bufs[k] == ri->bufs[next + k])
				k++;
	} else {
		while (k < n && next < ri->n && bufs[k] == ri->f[next].buf && ri->f[next].nseg == 1) {
			k++;
			next++;
		}
	}
	taken = rx_ring_recycle(ad->rx, bufs, k);
	ri->next += taken;
	if (taken)
		atomic_fetch_add_explicit(&ad->rx_returned, taken, memory_order_release);
	return taken;
}

/* True when b was given back already during this indication (recycled:
 * neither the pool's nor the binding's). */
static bool recycled_already(const struct rx_indication *ri, uint32_t b)
{
	for (unsigned i = 0; i < ri->next; i++)
		if (ri->f[i].buf == b)
			return true;
	return false;
}

void e1k_adapter_return_rx(struct e1k_adapter *ad, const uint32_t *bufs, unsigned n)
{
	bool multi = atomic_load_explicit(&ad->rx_multi, memory_order_acquire);
	uint32_t last[RX_BATCH];
	unsigned k = 0;

	if (rx_ind.ad == ad) {
		unsigned done = return_recycle(ad, &rx_ind, bufs, n), bad = 0;

		bufs += done;
		n -= done;
		/* The rest go the pool's way below, but not one recycled
		 * already: the pool would take it (it is not free there) and
		 * two owners would share it. */
		for (unsigned i = 0; i < n; i++) {
			if (!recycled_already(&rx_ind, bufs[i]))
				continue;
			if (i > 0)
				e1k_adapter_return_rx(ad, bufs, i);
			bufs += i + 1;
			n -= i + 1;
			i = (unsigned)-1;
			bad++;
		}
		if (bad)
			atomic_fetch_add_explicit(&ad->rx_bad_returns, bad, memory_order_relaxed);
		if (n == 0)
			return;
	}
	if (!multi && !any_chain(ad, bufs, n)) {
		return_last(ad, bufs, n, false);
		return;
	}
	/* Indicated to several bindings: each gives a frame back once, and only
	 * the last return makes its buffers the pool's (or counts them, after
	 * the halt).  A chained frame's handle brings the rest of its chain. */
	for (unsigned i = 0; i < n; i++) {
		uint32_t b = bufs[i];

		if (multi && b < ad->cfg.pool_size &&
		    atomic_load_explicit(&ad->rx_refs[b], memory_order_acquire) > 1 &&
		    atomic_fetch_sub_explicit(&ad->rx_refs[b], 1, memory_order_acq_rel) > 1)
			continue;
		if (multi && b < ad->cfg.pool_size)
			atomic_store_explicit(&ad->rx_refs[b], 0, memory_order_relaxed);
		for (;;) {
			uint32_t next = b < ad->cfg.pool_size ? ad->rx_next[b] : PKT_BUF_NONE;

			if (next != PKT_BUF_NONE)
				ad->rx_next[b] = PKT_BUF_NONE;
			last[k++] = b;
			if (k == RX_BATCH) {
				return_last(ad, last, k, false);
				k = 0;
			}
			if (next == PKT_BUF_NONE)
				break;
			b = next;
		}
	}
	return_last(ad, last, k, false);
}

/* Did the device check this frame's checksums and find them good?  Only
 * what RXCSUM asked for, IXSM clear, no error, the TCP/UDP checksum checked,
 * and for IPv4 the header checksum too. */
static bool rx_csum_ok(const struct rx_frame_ref *r, const uint8_t *data)
{
	unsigned type;

	if ((r->status & E1000_RXD_STAT_IXSM) || (r->errors & (E1000_RXD_ERR_TCPE | E1000_RXD_ERR_IPE)) ||
	    !(r->status & (E1000_RXD_STAT_TCPCS | E1000_RXD_STAT_UDPCS)))
		return false;
	type = (unsigned)data[12] << 8 | data[13];
	if (type == E1K_ETHERTYPE_VLAN && r->len >= E1000_ETH_HLEN + 4u)
		type = (unsigned)data[16] << 8 | data[17];
	return type != E1K_ETHERTYPE_IPV4 || (r->status & E1000_RXD_STAT_IPCS);
}

/* Indicate frames to every binding, as NDIS does: each frame goes to each
 * bound protocol, all of them see the same buffers (read-only), and they go
 * back to the pool when the last one returned the frame (rx_refs).  A frame
 * of several buffers is indicated by its first; rx_next links the rest. */
static void indicate(struct e1k_adapter *ad, const struct e1k_pub *p,
                     const struct rx_frame_ref *r, const uint32_t *segs, unsigned n)
{
	struct e1k_rx_frame f[RX_BATCH];
	struct e1k_rx_seg seg[RX_SEGS];
	unsigned nbufs = r[n - 1].seg + r[n - 1].nseg - r[0].seg;
	uint64_t bytes = 0, csum_ok = 0, chained = 0;
	struct pkt_pool_geom g;

	e1k_capture_rx_hook(ad, r, segs, n);
	atomic_fetch_add_explicit(&ad->rx_packets, n, memory_order_relaxed);
	if (p->state != E1K_STATE_RUNNING || p->nbind == 0) {
		for (unsigned i = 0; i < n; i++)
			bytes += r[i].len;
		atomic_fetch_add_explicit(&ad->rx_bytes, bytes, memory_order_relaxed);
		pkt_pool_put(ad->pool, segs + r[0].seg, nbufs);
		atomic_fetch_add_explicit(p->state != E1K_STATE_RUNNING ? &ad->rx_dropped_paused
		                                                       : &ad->rx_no_binding,
		                          n, memory_order_relaxed);
		return;
	}
	g = *pkt_pool_geom(ad->pool);
	if (nbufs == n) {
		/* Every frame in one buffer (the common case): frame i is
		 * buffer i, no chain to link, no split to compute. */
		const uint32_t *b = segs + r[0].seg;
		struct e1k_rx_seg *s = seg + r[0].seg;

		/* The ring's buffers are the pool's (it posts no other): no
		 * range check per address. */
		for (unsigned i = 0; i < n; i++) {
			uint32_t len = r[i].len;
			void *va = g.va[b[i]];

			s[i].data = va;
			s[i].len = len;
			f[i] = (struct e1k_rx_frame){ .buf = b[i], .len = len, .data = va, .nseg = 1,
			                              .seg = &s[i] };
			bytes += len;
			/* rx_csum_ok's first test, inline: most frames fail it. */
			if ((r[i].status & (E1000_RXD_STAT_TCPCS | E1000_RXD_STAT_UDPCS)) &&
			    rx_csum_ok(&r[i], va)) {
				f[i].flags = E1K_RX_CSUM_OK;
				csum_ok++;
			}
		}
	}
	/* Frames of several buffers among them: each as it comes. */
	for (unsigned i = 0; nbufs != n && i < n; i++) {
		const uint32_t *b = segs + r[i].seg;
		struct e1k_rx_seg *s = seg + r[i].seg;
		uint32_t left = r[i].len;

		bytes += r[i].len;
		if (__builtin_expect(r[i].nseg == 1, 1)) {
			/* One buffer: no chain to link, no split to compute. */
			void *va = pkt_geom_va(&g, b[0]);

			s[0].data = va;
			s[0].len = left;
			f[i].buf = b[0];
			f[i].len = left;
			f[i].data = va;
			f[i].nseg = 1;
			f[i].seg = s;
			f[i].flags = 0;
			/* rx_csum_ok's first test, inline: most frames fail it. */
			if ((r[i].status & (E1000_RXD_STAT_TCPCS | E1000_RXD_STAT_UDPCS)) &&
			    rx_csum_ok(&r[i], va)) {
				f[i].flags = E1K_RX_CSUM_OK;
				csum_ok++;
			}
			continue;
		}
		for (unsigned j = 0; j < r[i].nseg; j++) {
			s[j].data = pkt_geom_va(&g, b[j]);
			s[j].len = left < E1K_BUF_SIZE ? left : E1K_BUF_SIZE;
			left -= s[j].len;
			if (j + 1 < r[i].nseg)
				ad->rx_next[b[j]] = b[j + 1];
		}
		f[i].buf = b[0];
		f[i].len = r[i].len;
		f[i].data = s[0].data;
		f[i].nseg = r[i].nseg;
		f[i].seg = s;
		f[i].flags = rx_csum_ok(&r[i], s[0].data) ? E1K_RX_CSUM_OK : 0;
		csum_ok += f[i].flags & E1K_RX_CSUM_OK;
		chained += r[i].nseg > 1;
	}
	atomic_fetch_add_explicit(&ad->rx_bytes, bytes, memory_order_relaxed);
	if (csum_ok)
		atomic_fetch_add_explicit(&ad->rx_csum_ok, csum_ok, memory_order_relaxed);
	if (chained)
		atomic_fetch_add_explicit(&ad->rx_chained, chained, memory_order_relaxed);
	/* Count before the call: the binding may return buffers at once, and
	 * rx_indicated - rx_returned (buffers) must never go negative. */
	if (p->nbind > 1)
		for (unsigned i = 0; i < n; i++)
			atomic_store_explicit(&ad->rx_refs[f[i].buf], p->nbind, memory_order_relaxed);
	atomic_fetch_add_explicit(&ad->rx_indicated, nbufs, memory_order_release);
	e1k_in_callback++;
	if (p->nbind == 1)
		rx_ind = (struct rx_indication){ .ad = ad, .f = f, .n = n,
		                                 .bufs = chained ? NULL : segs + r[0].seg };
	for (unsigned b = 0; b < p->nbind; b++)
		p->bind[b].ops->receive(p->bind[b].ctx, f, n);
	rx_ind.ad = NULL;
	e1k_in_callback--;
}

void e1k_link_update(struct e1k_adapter *ad, bool notify)
{
	uint32_t status = hal_rd32(ad->hw, E1000_STATUS);
	bool up;
	unsigned mbps;

	if (e1k_check_removed(ad, status))
		return;
	up = status & E1000_STATUS_LU;
	switch (status & E1000_STATUS_SPEED_MASK) {
	case E1000_STATUS_SPEED_10: mbps = 10; break;
	case E1000_STATUS_SPEED_100: mbps = 100; break;
	default: mbps = 1000; break;
	}
	atomic_store_explicit(&ad->link_mbps, mbps, memory_order_relaxed);
	if (atomic_exchange_explicit(&ad->link_up, up, memory_order_acq_rel) == up)
		return;
	atomic_fetch_add_explicit(&ad->link_changes, 1, memory_order_relaxed);
	e1k_log(E1K_LOG_INFO, "%s: link %s", ad->hw->name, up ? "up" : "down");
	if (notify) {
		const struct e1k_pub *p;

		e1k_rcu_read_lock();
		p = e1k_rcu_deref(&ad->pub);
		e1k_in_callback++;
		for (unsigned i = 0; i < p->nbind; i++)
			if (p->bind[i].ops->link)
				p->bind[i].ops->link(p->bind[i].ctx, up, mbps);
		e1k_in_callback--;
		e1k_rcu_read_unlock();
	}
}

/* Context: the RX ring's owner (the DPC, or the control thread once no DPC
 * touches the ring). */
void e1k_rx_publish_stats(struct e1k_adapter *ad)
{
	struct rx_ring_stats rs;

	rx_ring_get_stats(ad->rx, &rs);
	atomic_store_explicit(&ad->rx_bad_length, rs.bad_length, memory_order_relaxed);
	atomic_store_explicit(&ad->rx_bad_status, rs.bad_status, memory_order_relaxed);
	atomic_store_explicit(&ad->rx_bad_frag, rs.bad_frag, memory_order_relaxed);
}

void e1k_dpc_intr(struct dpc *d)
{
	struct e1k_adapter *ad = container_of(d, struct e1k_adapter, dpc_intr);
	const struct e1k_pub *p;
	struct rx_frame_ref refs[RX_BATCH];
	uint32_t segs[RX_SEGS];
	uint32_t causes = isr_take_causes(&ad->isr);
	uint32_t mask;
	unsigned budget = RX_BUDGET, n;
	bool more = false;

	if (atomic_load_explicit(&ad->dpcs_drained, memory_order_acquire))
		atomic_fetch_add_explicit(&ad->dpc_after_drain, 1, memory_order_relaxed);
	if (atomic_load_explicit(&ad->halted, memory_order_acquire))
		atomic_fetch_add_explicit(&ad->callbacks_after_halted, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&ad->dpc_runs, 1, memory_order_relaxed);

	e1k_rcu_read_lock();
	p = e1k_rcu_deref(&ad->pub);

	/* TX completions.  Wait for the lock rather than leave the work to a
	 * sender: a sender reclaims before it submits, so the frames it
	 * submits last are only ever reclaimed here.  Skipping when the lock
	 * was busy lost that completion for good once traffic stopped (the
	 * interrupt for it had been taken, IMS re-enabled, nothing more to
	 * come): the watchdog then saw a "hang" (QEMU e1000e, MSI and INTx).
	 * No holder of tx_lock waits for a grace period or a DPC flush. */
	pthread_mutex_lock(&ad->tx_lock);
	e1k_tx_reclaim_locked(ad);
	/* TX completion interrupts while someone waits for room; a sender that
	 * starts waiting after this polls the ring until the next run. */
	mask = ad->tx_waiters ? ad->isr.enabled_mask : ad->isr.enabled_mask & ~ad->tx_irq_on_demand;
	pthread_mutex_unlock(&ad->tx_lock);

	/* RX: harvest, indicate, refill -- only while Running.  Pause and halt
	 * publish another state and wait for a grace period: after that no DPC
	 * touches the RX ring, and the control thread owns it. */
	if (p->state == E1K_STATE_RUNNING && !hal_is_gone(ad->hw)) {
		while (budget > 0 && (n = rx_ring_poll_chained(ad->rx, refs, budget < RX_BATCH ? budget : RX_BATCH,
		                                               segs, RX_SEGS)) > 0) {
			indicate(ad, p, refs, segs, n);
			budget -= n;
			/* Refill per batch, not per run: the device keeps receiving
			 * while we indicate (one RDT write per batch). */
			rx_ring_refill(ad->rx);
		}
		more = budget == 0;
		rx_ring_refill(ad->rx);
		e1k_rx_publish_stats(ad);
		/* Upper layers hold most buffers: ask return_rx to wake us. */
		if (rx_ring_posted(ad->rx) < ad->cfg.rx_ring_size / 4)
			atomic_store_explicit(&ad->rx_starved, true, memory_order_relaxed);
	}
	/* Link: only while Running -- a halting adapter's device may be gone. */
	if ((causes & (E1000_ICR_LSC | E1000_ICR_OTHER)) && p->state == E1K_STATE_RUNNING &&
	    !hal_is_gone(ad->hw))
		e1k_link_update(ad, true);

	/* Re-enable interrupts only while Running (the ISR masked them).  Out of
	 * budget: run again first, with interrupts still masked (as NAPI does).
	 * In any other state the control thread masks and keeps them masked:
	 * "the DPC re-enables interrupts only when not halting". */
	if (p->state == E1K_STATE_RUNNING && !hal_is_gone(ad->hw)) {
		if (ad->itr.ceil_ns)
			itr_adapt(ad);
		if (more)
			dpc_queue(ad->dpcs, &ad->dpc_intr);
		else
			e1k_hw_irq_enable(ad->hw, mask);
	}
	e1k_rcu_read_unlock();
}

/* ---- waiting for TX room ---- */

void e1k_tx_wake_all(struct e1k_adapter *ad)
{
	/* Under tx_lock: a waiter checks the state (or its cancel flag) and
	 * goes to sleep in one tx_lock section, so it either sees what the
	 * caller changed before this or is asleep when the broadcast comes. */
	pthread_mutex_lock(&ad->tx_lock);
	if (ad->tx_waiters)
		pthread_cond_broadcast(&ad->tx_room);
	pthread_mutex_unlock(&ad->tx_lock);
}

void e1k_adapter_tx_wake(struct e1k_adapter *ad)
{
	e1k_tx_wake_all(ad);
}

int e1k_adapter_tx_wait(struct e1k_adapter *ad, unsigned slots, uint64_t timeout_ns,
                        const atomic_bool *cancel)
{
	uint64_t now = e1k_now_ns();
	uint64_t deadline = timeout_ns < UINT64_MAX - now ? now + timeout_ns : UINT64_MAX;
	bool slept = false;
	int rc;

	if (e1k_on_adapter_thread || e1k_in_callback)
		return -EDEADLK;
	if (slots >= ad->cfg.tx_ring_size)
		return -EINVAL;
	/* The order send uses (read-side section, then tx_lock).  The section
	 * is left before each sleep and entered again, still holding tx_lock,
	 * after it: entering one never blocks, so no lock order is broken, and
	 * the state read under tx_lock is ordered against e1k_set_state's
	 * broadcast (it takes tx_lock after publishing). */
	e1k_rcu_read_lock();
	pthread_mutex_lock(&ad->tx_lock);
	for (;;) {
		struct timespec ts;
		uint64_t until = deadline;

		if (e1k_rcu_deref(&ad->pub)->state != E1K_STATE_RUNNING || hal_is_gone(ad->hw)) {
			rc = -ENETDOWN;
			break;
		}
		if (cancel && atomic_load_explicit(cancel, memory_order_acquire)) {
			rc = -ECANCELED;
			break;
		}
		e1k_tx_reclaim_locked(ad);
		if (tx_ring_free_slots(ad->tx) >= slots) {
			rc = 0;
			break;
		}
		if (slept && e1k_now_ns() >= deadline) {
			rc = -ETIMEDOUT;
			atomic_fetch_add_explicit(&ad->tx_wait_timeouts, 1, memory_order_relaxed);
			break;
		}
		/* The descriptors in flight all end in a batch with RS set (every
		 * submission's last frame has it, TIDV/TADV are 0): the device
		 * raises TXDW when it reaches them, at most one throttle interval
		 * later the DPC reclaims, and that reclaim wakes us.  Moderation
		 * may make that interval longer than the device takes to drain
		 * the ring (adaptive ITR goes up to itr_max_ns): look again every
		 * tx_poll_ns regardless. */
		if (ad->cfg.tx_poll_ns) {
			uint64_t t = e1k_now_ns() + ad->cfg.tx_poll_ns;

			if (t < until)
				until = t;
		}
		atomic_fetch_add_explicit(&ad->tx_waits, 1, memory_order_relaxed);
		ts.tv_sec = (time_t)(until / 1000000000u);
		ts.tv_nsec = (long)(until % 1000000000u);
		ad->tx_waiters++;
		e1k_rcu_read_unlock();
		(void)pthread_cond_timedwait(&ad->tx_room, &ad->tx_lock, &ts);
		e1k_rcu_read_lock();
		ad->tx_waiters--;
		slept = true;
	}
	pthread_mutex_unlock(&ad->tx_lock);
	e1k_rcu_read_unlock();
	return rc;
}
