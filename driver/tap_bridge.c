/* SPDX-License-Identifier: MIT */
#include "tap_bridge.h"

#include <errno.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "e1k_rcu.h"
#include "gro.h"
#include "ledger.h"
#include "log.h"
#include "netlink.h"
#include "tapdev.h"
#include "vnet.h"

#define BRIDGE_BATCH 32u
/* Without TSO the kernel sends at most MTU + Ethernet + a VLAN tag. */
#define FRAME_OVERHEAD 18u
/* NIC -> TAP: frames handed to GRO at once (one receive call may be longer),
 * and the pieces they may have between them. */
#define RX_CHUNK      64u
#define RX_CHUNK_SEGS 512u

_Static_assert(TAPDEV_GSO_MAX_FRAME == E1K_GSO_FRAME_MAX, "vnet TAP and adapter agree on gso frames");
/* Borrowed buffers: one read takes at most a gso frame's worth; the stock
 * holds a read's worth and what the previous read did not fill. */
#define ZC_PER_READ_MAX ((E1K_GSO_FRAME_MAX + E1K_TX_BUF_SIZE - 1) / E1K_TX_BUF_SIZE)
#define ZC_STOCK        (2u * ZC_PER_READ_MAX)
/* Headers deeper than this in a frame are not looked for in its first
 * buffer (the TCP header's end, at the deepest a real sender puts it). */
#define ZC_HDR_MAX      (E1K_TX_BUF_SIZE - 60u)
/* TAP -> NIC with the ring full: how long a batch waits for room after its
 * last progress before the rest of it is dropped (a device that stopped
 * completing: no link, a hang the watchdog has yet to call).  Completions
 * normally come within one throttle interval (tens of microseconds). */
#define TX_WAIT_BOUND_NS    (200u * 1000u * 1000u)
#define POOL_SHORT_PAUSE_NS 50000
_Static_assert(GRO_MAX_IOV <= TAPDEV_MAX_IOV, "a GRO packet fits one tapdev write");

struct e1k_tap_bridge {
	struct e1k_adapter *ad;
	struct e1k_nl      *nl;
	char                name[TAPDEV_NAMESIZ];
	int                 fd;
	int                 stop_efd;
	pthread_t           thread;
	bool                thread_started;
	atomic_bool         unbound;
	unsigned            offloads;     /* E1K_OFFLOAD_* in force (fixed at start) */
	uint8_t            *rxbuf;        /* BRIDGE_BATCH slots of slot_len: TAP -> NIC */
	size_t              slot_len;
	/* TAP -> NIC without a copy (bridge thread only): buffers borrowed from
	 * the adapter, read into straight from the TAP; a read takes per_read
	 * of them (slot_len's worth), the frame keeps what it filled. */
	unsigned            per_read;
	unsigned            nstock;
	uint32_t            stock[ZC_STOCK];
	uint8_t            *stock_va[ZC_STOCK];
	uint32_t            zbufs[BRIDGE_BATCH][ZC_PER_READ_MAX];
	atomic_ulong        to_nic, to_nic_busy_drops, to_nic_bad, to_host, to_host_drops;
	atomic_ulong        to_nic_bad_hdr, to_nic_unsupported, to_nic_gso, to_nic_csum;
	atomic_ulong        to_host_writes, to_host_merged, to_host_sw_csum;
	atomic_ulong        to_nic_zero_copy;
};

#define CNT_ADD(b, field, v) atomic_fetch_add_explicit(&(b)->field, (v), memory_order_relaxed)

static const struct e1k_binding_ops bridge_ops;

/* One packet from GRO: one write. */
static void emit_packet(void *ctx, const struct virtio_net_hdr *vh, const struct iovec *iov,
                        unsigned niov, unsigned first, unsigned n)
{
	struct e1k_tap_bridge *b = ctx;
	int rc = tapdev_writev_vnet(b->fd, vh, iov, niov);

	(void)first;
	if (rc < 0) {
		CNT_ADD(b, to_host_drops, n);
		return;
	}
	CNT_ADD(b, to_host, n);
	CNT_ADD(b, to_host_writes, 1);
	if (n > 1)
		CNT_ADD(b, to_host_merged, n);
}

/* Context: DPC (inside an RCU read-side section).  Write the frames to the
 * kernel (runs of one TCP flow coalesced) and give the buffers straight
 * back.  Chunks of RX_CHUNK frames: GRO never merges across a chunk. */
static void bridge_receive(void *ctx, const struct e1k_rx_frame *f, unsigned n)
{
	struct e1k_tap_bridge *b = ctx;
	struct gro_frame gf[RX_CHUNK];
	struct gro_seg segs[RX_CHUNK_SEGS];
	uint32_t bufs[RX_CHUNK];
	unsigned i = 0;

	while (i < n) {
		unsigned k = 0, ns = 0, nb = 0;

		for (; i < n && nb < RX_CHUNK; i++) {
			const struct e1k_rx_frame *x = &f[i];
			/* A frame of one buffer may come without seg[] (older
			 * datapaths): data and len say it all. */
			unsigned nseg = x->seg && x->nseg > 1 ? x->nseg : 1;

			if (nseg > GRO_MAX_IOV) {
				/* Not writable in one writev: a drop. */
				CNT_ADD(b, to_host_drops, 1);
				bufs[nb++] = x->buf;
				continue;
			}
			if (ns + nseg > RX_CHUNK_SEGS)
				break;
			if (nseg == 1) {
				segs[ns].data = x->data;
				segs[ns].len = x->len;
			} else {
				for (unsigned s = 0; s < nseg; s++) {
					segs[ns + s].data = x->seg[s].data;
					segs[ns + s].len = x->seg[s].len;
				}
			}
			gf[k].seg = &segs[ns];
			gf[k].nseg = nseg;
			gf[k].len = x->len;
			gf[k].csum_ok = x->flags & E1K_RX_CSUM_OK;
			/* A device that does not check (QEMU's e1000): check TCP in
			 * software, as Linux's GRO would, so runs still merge. */
			if (!gf[k].csum_ok && gro_tcp_csum_valid(&gf[k])) {
				gf[k].csum_ok = true;
				CNT_ADD(b, to_host_sw_csum, 1);
			}
			ns += nseg;
			bufs[nb++] = x->buf;
			k++;
		}
		gro_batch(gf, k, emit_packet, b, NULL);
		e1k_adapter_return_rx(b->ad, bufs, nb);
	}
}

static void bridge_link(void *ctx, bool up, unsigned mbps)
{
	struct e1k_tap_bridge *b = ctx;

	(void)mbps;
	(void)e1k_nl_tap_set_carrier(b->nl, b->fd, b->name, up, NULL);
}

static void bridge_unbind(void *ctx)
{
	struct e1k_tap_bridge *b = ctx;

	atomic_store_explicit(&b->unbound, true, memory_order_release);
	/* A send waiting for ring room stops waiting now. */
	e1k_adapter_tx_wake(b->ad);
}

static const struct e1k_binding_ops bridge_ops = {
	.name = "tap-bridge",
	.receive = bridge_receive,
	.link = bridge_link,
	.unbind = bridge_unbind,
};

/* The ring (or the pool) could not take frame f: wait until a TX completion
 * makes room for it.  progress: the send before this took frames, so the
 * bound starts over.  False when the rest of the batch is to be dropped: no
 * room within TX_WAIT_BOUND_NS of the last progress (a stuck device), the
 * adapter not Running, or the bridge stopping. */
static bool wait_room(struct e1k_tap_bridge *b, const struct e1k_frame *f, bool progress,
                      uint64_t *deadline)
{
	uint64_t now = e1k_now_ns();
	int rc;

	if (progress || *deadline == 0)
		*deadline = now + TX_WAIT_BOUND_NS;
	else if (now >= *deadline)
		return false;
	rc = e1k_adapter_tx_wait(b->ad, e1k_frame_tx_slots(f), *deadline - now, &b->unbound);
	if (rc < 0)
		return false;
	if (!progress) {
		/* The ring had room and the send took nothing: the pool is
		 * short (buffers come back with RX returns and reclaims, which
		 * wake nobody), or another sender was first.  A pause, bounded
		 * by the deadline like the rest. */
		struct timespec ts = { 0, POOL_SHORT_PAUSE_NS };

		nanosleep(&ts, NULL);
	}
	return true;
}

/* Send a batch; while the ring is full, wait for TX completions to make room
 * (wait_room).  Frames that cannot be sent in time are dropped and counted,
 * as a NIC queue would; the kernel's TAP queue holds what comes meanwhile. */
static void send_batch(struct e1k_tap_bridge *b, struct e1k_frame *fr, unsigned n)
{
	unsigned sent = 0;
	uint64_t deadline = 0;

	while (sent < n && !atomic_load_explicit(&b->unbound, memory_order_acquire)) {
		int rc = e1k_adapter_send(b->ad, fr + sent, n - sent);

		if (rc == -EINVAL) {
			/* Longer than the MTU allows, or an offload request
			 * the adapter refused: drop this one, go on. */
			atomic_fetch_add_explicit(&b->to_nic_bad, 1, memory_order_relaxed);
			sent++;
			continue;
		}
		if (rc < 0)
			break;             /* -ENETDOWN: paused or halting */
		for (unsigned i = sent; i < sent + (unsigned)rc; i++) {
			if (fr[i].gso)
				CNT_ADD(b, to_nic_gso, 1);
			if (fr[i].csum)
				CNT_ADD(b, to_nic_csum, 1);
		}
		sent += (unsigned)rc;
		atomic_fetch_add_explicit(&b->to_nic, (unsigned)rc, memory_order_relaxed);
		if (sent < n && !wait_room(b, &fr[sent], rc > 0, &deadline))
			break;
	}
	if (sent < n)
		atomic_fetch_add_explicit(&b->to_nic_busy_drops, n - sent, memory_order_relaxed);
}

/* send_batch for frames in borrowed buffers: what the adapter refuses or
 * cannot take in time goes back to it. */
static void send_batch_borrowed(struct e1k_tap_bridge *b, struct e1k_tx_borrowed *fr, unsigned n)
{
	unsigned sent = 0;
	uint64_t deadline = 0;

	while (sent < n && !atomic_load_explicit(&b->unbound, memory_order_acquire)) {
		int rc = e1k_adapter_send_borrowed(b->ad, fr + sent, n - sent);

		if (rc == -EINVAL) {
			atomic_fetch_add_explicit(&b->to_nic_bad, 1, memory_order_relaxed);
			e1k_adapter_tx_giveback(b->ad, fr[sent].bufs,
			                        (fr[sent].f.len + E1K_TX_BUF_SIZE - 1) / E1K_TX_BUF_SIZE);
			sent++;
			continue;
		}
		if (rc < 0)
			break;
		for (unsigned i = sent; i < sent + (unsigned)rc; i++) {
			if (fr[i].f.gso)
				CNT_ADD(b, to_nic_gso, 1);
			if (fr[i].f.csum)
				CNT_ADD(b, to_nic_csum, 1);
		}
		sent += (unsigned)rc;
		CNT_ADD(b, to_nic, (unsigned)rc);
		CNT_ADD(b, to_nic_zero_copy, (unsigned)rc);
		if (sent < n && !wait_room(b, &fr[sent].f, rc > 0, &deadline))
			break;
	}
	if (sent < n)
		CNT_ADD(b, to_nic_busy_drops, n - sent);
	for (unsigned i = sent; i < n; i++)
		e1k_adapter_tx_giveback(b->ad, fr[i].bufs,
		                        (fr[i].f.len + E1K_TX_BUF_SIZE - 1) / E1K_TX_BUF_SIZE);
}

/* Read up to BRIDGE_BATCH frames straight into borrowed buffers and send
 * them.  False when the stock could not be filled for one read (the pool is
 * short, or the adapter not Running): the caller reads the copying way. */
static bool read_borrowed(struct e1k_tap_bridge *b, ssize_t *last)
{
	struct e1k_tx_borrowed fr[BRIDGE_BATCH];
	struct virtio_net_hdr vh;
	unsigned n = 0;
	ssize_t len = 0;

	while (n < BRIDGE_BATCH) {
		struct iovec iov[ZC_PER_READ_MAX];
		unsigned used;

		if (b->nstock < b->per_read)
			b->nstock += e1k_adapter_tx_borrow(b->ad, b->stock + b->nstock,
			                                   b->stock_va + b->nstock, ZC_STOCK - b->nstock);
		if (b->nstock < b->per_read) {
			if (n == 0) {
				*last = 0;
				return false;
			}
			break;
		}
		for (unsigned i = 0; i < b->per_read; i++) {
			iov[i].iov_base = b->stock_va[i];
			iov[i].iov_len = E1K_TX_BUF_SIZE;
		}
		len = tapdev_readv_vnet(b->fd, &vh, iov, b->per_read);
		if (len == -EMSGSIZE) {
			CNT_ADD(b, to_nic_bad, 1);
			continue;
		}
		if (len < 0)
			break;
		/* The headers must be in the first buffer, as the adapter reads
		 * them there: no real sender puts them deeper. */
		if ((vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) && vh.csum_start > ZC_HDR_MAX) {
			CNT_ADD(b, to_nic_bad_hdr, 1);
			continue;
		}
		switch (e1k_vnet_to_frame(&vh, b->stock_va[0], (size_t)len, b->offloads, &fr[n].f)) {
		case E1K_VNET_OK:
			used = (unsigned)(((size_t)len + E1K_TX_BUF_SIZE - 1) / E1K_TX_BUF_SIZE);
			memcpy(b->zbufs[n], b->stock, used * sizeof(b->stock[0]));
			fr[n].bufs = b->zbufs[n];
			b->nstock -= used;
			memmove(b->stock, b->stock + used, b->nstock * sizeof(b->stock[0]));
			memmove(b->stock_va, b->stock_va + used, b->nstock * sizeof(b->stock_va[0]));
			n++;
			break;
		case E1K_VNET_UNSUPPORTED:
			CNT_ADD(b, to_nic_unsupported, 1);
			break;
		default:
			CNT_ADD(b, to_nic_bad_hdr, 1);
			break;
		}
	}
	if (n) {
		if (!atomic_load_explicit(&b->unbound, memory_order_acquire))
			send_batch_borrowed(b, fr, n);
		else
			for (unsigned i = 0; i < n; i++)
				e1k_adapter_tx_giveback(b->ad, fr[i].bufs,
				                        (fr[i].f.len + E1K_TX_BUF_SIZE - 1) / E1K_TX_BUF_SIZE);
	}
	*last = len;
	return true;
}

/* The TAP went away under us (someone deleted the interface): unbind from
 * the adapter -- with --halt-when-unbound that halts it.  Never blocks on the
 * control lock: a halt holding it will join this thread, so retry only until
 * the stop eventfd says so. */
static void tap_lost(struct e1k_tap_bridge *b, const char *why)
{
	e1k_log(E1K_LOG_WARN, "tap bridge: %s is gone (%s): unbinding", b->name, why);
	atomic_store_explicit(&b->unbound, true, memory_order_release);
	for (;;) {
		struct pollfd pfd = { .fd = b->stop_efd, .events = POLLIN };
		int rc = e1k_adapter_unbind_nowait(b->ad, &bridge_ops, b);

		if (rc != -EBUSY)
			return;
		if (poll(&pfd, 1, 10) > 0)
			return;   /* the halt is stopping us: it unbinds everything */
	}
}

static void *bridge_thread(void *arg)
{
	struct e1k_tap_bridge *b = arg;
	struct virtio_net_hdr vh;
	struct e1k_frame fr[BRIDGE_BATCH] = { 0 };

	e1k_rcu_thread_online();
	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = b->fd, .events = POLLIN },
			{ .fd = b->stop_efd, .events = POLLIN },
		};
		unsigned n = 0;

		ssize_t len = 0;

		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents)
			break;
		if (pfd[0].revents & (POLLERR | POLLHUP | POLLNVAL)) {
			tap_lost(b, "poll error");
			break;
		}
		if (read_borrowed(b, &len)) {
			if (len < 0 && len != -EAGAIN && len != -EINTR) {
				tap_lost(b, strerror((int)-len));
				break;
			}
			continue;
		}
		while (n < BRIDGE_BATCH) {
			uint8_t *slot = b->rxbuf + (size_t)n * b->slot_len;

			len = tapdev_read_vnet(b->fd, &vh, slot, b->slot_len);
			if (len == -EMSGSIZE) {
				atomic_fetch_add_explicit(&b->to_nic_bad, 1, memory_order_relaxed);
				continue;
			}
			if (len < 0)
				break;
			switch (e1k_vnet_to_frame(&vh, slot, (size_t)len, b->offloads, &fr[n])) {
			case E1K_VNET_OK:
				n++;
				break;
			case E1K_VNET_UNSUPPORTED:
				CNT_ADD(b, to_nic_unsupported, 1);
				break;
			default:
				CNT_ADD(b, to_nic_bad_hdr, 1);
				break;
			}
		}
		if (n && !atomic_load_explicit(&b->unbound, memory_order_acquire))
			send_batch(b, fr, n);
		if (len < 0 && len != -EAGAIN && len != -EINTR) {
			tap_lost(b, strerror((int)-len));
			break;
		}
	}
	/* Borrowed and not filled: the adapter's again (its halt waits for
	 * them: this thread is joined before it counts). */
	e1k_adapter_tx_giveback(b->ad, b->stock, b->nstock);
	b->nstock = 0;
	e1k_rcu_thread_offline();
	return NULL;
}

/* Ledger release: stop and join the thread. */
static void rel_thread(void *arg)
{
	struct e1k_tap_bridge *b = arg;
	uint64_t one = 1;

	if (!b->thread_started)
		return;
	/* Stop sending first: a send waiting for ring room returns at once. */
	atomic_store_explicit(&b->unbound, true, memory_order_release);
	e1k_adapter_tx_wake(b->ad);
	if (write(b->stop_efd, &one, sizeof(one)) != sizeof(one))
		e1k_log(E1K_LOG_ERROR, "tap bridge: cannot signal the thread: %s", strerror(errno));
	pthread_join(b->thread, NULL);
	b->thread_started = false;
}

/* Ledger release: close the TAP (the kernel removes the interface). */
static void rel_tap(void *arg)
{
	struct e1k_tap_bridge *b = arg;

	tapdev_close(b->fd);
	b->fd = -1;
	e1k_nl_close(b->nl);
	b->nl = NULL;
}

int e1k_tap_bridge_start(struct e1k_adapter *ad, const char *name,
                         struct e1k_tap_bridge **out, char *err, size_t errlen)
{
	struct e1k_tap_bridge *b;
	uint8_t mac[6];
	unsigned tun = 0;
	int rc;

	*out = NULL;
	b = calloc(1, sizeof(*b));
	if (!b) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	b->ad = ad;
	b->fd = -1;
	b->stop_efd = -1;

	/* The TAP asks the kernel for exactly what the device can finish:
	 * checksums first, TSO only on top of them (tun's rule too). */
	{
		unsigned dev = e1k_adapter_offloads(ad);

		if (dev & E1K_OFFLOAD_TX_CSUM) {
			b->offloads |= E1K_OFFLOAD_TX_CSUM;
			tun |= TUN_F_CSUM;
			if (dev & E1K_OFFLOAD_TSO4) {
				b->offloads |= E1K_OFFLOAD_TSO4;
				tun |= TUN_F_TSO4;
			}
			if (dev & E1K_OFFLOAD_TSO6) {
				b->offloads |= E1K_OFFLOAD_TSO6;
				tun |= TUN_F_TSO6;
			}
		}
		b->offloads |= dev & E1K_OFFLOAD_RX_CSUM;
	}
	if (b->offloads & (E1K_OFFLOAD_TSO4 | E1K_OFFLOAD_TSO6))
		b->slot_len = TAPDEV_GSO_MAX_FRAME;
	else
		b->slot_len = e1k_adapter_max_mtu(ad) + FRAME_OVERHEAD;
	b->per_read = (unsigned)((b->slot_len + E1K_TX_BUF_SIZE - 1) / E1K_TX_BUF_SIZE);
	b->rxbuf = malloc(BRIDGE_BATCH * b->slot_len);
	if (!b->rxbuf) {
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto fail;
	}

	rc = tapdev_open_vnet(name, b->name, tun);
	if (rc < 0) {
		snprintf(err, errlen, "cannot create TAP '%s': %s", name, tapdev_strerror(rc));
		goto fail;
	}
	b->fd = rc;
	rc = e1k_nl_open(&b->nl);
	if (rc < 0) {
		snprintf(err, errlen, "netlink: %s", e1k_nl_strerror(rc));
		goto fail;
	}
	e1k_adapter_get_mac(ad, mac);
	rc = e1k_nl_link_set(b->nl, b->name, mac, e1k_adapter_get_mtu(ad), 1);
	if (rc < 0) {
		snprintf(err, errlen, "cannot configure TAP '%s': %s", b->name, e1k_nl_strerror(rc));
		goto fail;
	}
	b->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (b->stop_efd < 0) {
		rc = -errno;
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		goto fail;
	}
	/* The TAP first: released after the thread that reads it. */
	rc = e1k_adapter_ledger_add(ad, LEDGER_TAP, "tap", rel_tap, b);
	if (rc < 0) {
		snprintf(err, errlen, "adapter refused the TAP: %s", strerror(-rc));
		goto fail;
	}
	rc = -pthread_create(&b->thread, NULL, bridge_thread, b);
	if (rc < 0) {
		snprintf(err, errlen, "cannot start the TAP thread: %s", strerror(-rc));
		goto fail_ledger;
	}
	b->thread_started = true;
	pthread_setname_np(b->thread, "e1k-tap");
	rc = e1k_adapter_ledger_add(ad, LEDGER_THREAD, "tap thread", rel_thread, b);
	if (rc < 0) {
		rel_thread(b);
		snprintf(err, errlen, "adapter refused the TAP thread: %s", strerror(-rc));
		goto fail_ledger;
	}
	rc = e1k_adapter_bind(ad, &bridge_ops, b);
	if (rc < 0) {
		snprintf(err, errlen, "cannot bind to the adapter: %s", strerror(-rc));
		goto fail_ledger;
	}
	/* Carrier follows the NIC's link from here on. */
	{
		struct e1k_stats st;

		e1k_adapter_get_stats(ad, &st);
		(void)e1k_nl_tap_set_carrier(b->nl, b->fd, b->name, st.link_up, NULL);
	}
	{
		char offs[E1K_TAP_OFFLOADS_STRLEN];

		e1k_log(E1K_LOG_INFO, "tap bridge: %s up, offloads: %s", b->name,
		        e1k_tap_offloads_str(b->offloads, offs, sizeof(offs)));
	}
	*out = b;
	return 0;

fail_ledger:
	/* The entries are on the ledger; the halt that follows a failed start
	 * releases them.  Mark so the receive path is never entered. */
	atomic_store(&b->unbound, true);
	*out = b;   /* the caller frees it after the halt */
	return rc;
fail:
	if (b->stop_efd >= 0)
		close(b->stop_efd);
	e1k_nl_close(b->nl);
	tapdev_close(b->fd);
	free(b->rxbuf);
	free(b);
	return rc;
}

int e1k_tap_bridge_set_mtu(struct e1k_tap_bridge *b, unsigned mtu, char *err, size_t errlen)
{
	int rc = e1k_nl_link_set(b->nl, b->name, NULL, (int)mtu, -1);

	if (rc < 0)
		snprintf(err, errlen, "cannot set the MTU of TAP '%s' to %u: %s", b->name, mtu,
		         e1k_nl_strerror(rc));
	return rc;
}

void e1k_tap_bridge_get_stats(struct e1k_tap_bridge *b, struct e1k_tap_bridge_stats *st)
{
	st->to_nic = atomic_load(&b->to_nic);
	st->to_nic_busy_drops = atomic_load(&b->to_nic_busy_drops);
	st->to_nic_bad = atomic_load(&b->to_nic_bad);
	st->to_host = atomic_load(&b->to_host);
	st->to_host_drops = atomic_load(&b->to_host_drops);
	st->to_nic_bad_hdr = atomic_load(&b->to_nic_bad_hdr);
	st->to_nic_unsupported = atomic_load(&b->to_nic_unsupported);
	st->to_nic_gso = atomic_load(&b->to_nic_gso);
	st->to_nic_csum = atomic_load(&b->to_nic_csum);
	st->to_host_writes = atomic_load(&b->to_host_writes);
	st->to_host_merged = atomic_load(&b->to_host_merged);
	st->to_host_sw_csum = atomic_load(&b->to_host_sw_csum);
	st->to_nic_zero_copy = atomic_load(&b->to_nic_zero_copy);
	st->offloads = b->offloads;
}

const char *e1k_tap_offloads_str(unsigned offloads, char *buf, size_t len)
{
	static const struct {
		unsigned bit;
		const char *word;
	} words[] = {
		{ E1K_OFFLOAD_TX_CSUM, "csum" }, { E1K_OFFLOAD_TSO4, "tso4" },
		{ E1K_OFFLOAD_TSO6, "tso6" }, { E1K_OFFLOAD_RX_CSUM, "rx-csum" },
	};
	size_t o = 0;

	if (!len)
		return buf;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		int w;

		if (!(offloads & words[i].bit))
			continue;
		w = snprintf(buf + o, len - o, "%s%s", o ? " " : "", words[i].word);
		if (w < 0 || (size_t)w >= len - o)
			break;
		o += (size_t)w;
	}
	if (!o)
		snprintf(buf, len, "none");
	return buf;
}

const char *e1k_tap_bridge_name(const struct e1k_tap_bridge *b)
{
	return b->name;
}

void e1k_tap_bridge_free(struct e1k_tap_bridge *b)
{
	if (!b)
		return;
	/* Normally the halt released both; be safe if it did not run. */
	rel_thread(b);
	if (b->fd >= 0)
		rel_tap(b);
	if (b->stop_efd >= 0)
		close(b->stop_efd);
	free(b->rxbuf);
	free(b);
}
