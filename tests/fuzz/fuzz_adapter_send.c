/* SPDX-License-Identifier: MIT */
/*
 * fuzz_adapter_send.c - frames entering from the TAP: the bridge's path
 * tapdev_read -> e1k_adapter_send (driver/tap_bridge.c), with fuzzer-chosen
 * lengths (0, tiny, the MTU edges, oversize, jumbo up to 65535) and contents,
 * on one adapter on the software model (SIM_WIRE_NONE: transmitted frames are
 * counted and dropped), created once and kept across inputs.
 *
 * Operations (one byte each, then their arguments):
 *  - send a batch of 1..8 frames straight to e1k_adapter_send; every frame's
 *    data is its own exact-size allocation (a read past len is an ASan report);
 *  - one frame the bridge's way: written as one record to a SOCK_SEQPACKET
 *    socket pair (which keeps frame boundaries, as a TAP does), read back with
 *    tapdev_read into the bridge's 2048-byte buffer, then sent;
 *  - change the MTU (valid or not); pause (sends must fail with -ENETDOWN) and
 *    restart.
 *
 * Checks: send never crashes; a batch whose first frame is outside
 * 14..MTU+14 returns -EINVAL; otherwise it returns 0..(index of the first bad
 * frame) (fewer when the ring or pool is full), or -ENETDOWN when paused;
 * tapdev_read returns the record or -EMSGSIZE exactly per its contract; the
 * adapter's tx_packets/tx_bytes grow by exactly what send accepted; the model's
 * DMA checker never refuses an access.  Each input ends Running at MTU 1500, so
 * inputs do not depend on the ones before.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "adapter.h"
#include "e1000_regs.h"
#include "e1k_rcu.h"
#include "fuzz.h"
#include "halt.h"
#include "sim.h"
#include "tapdev.h"

#define BRIDGE_FRAME_MAX 2048u   /* tap_bridge.c's FRAME_MAX: its read buffer */
#define MAX_BATCH        8u
#define MAX_OPS          48u

enum op { OP_SEND, OP_TAP, OP_MTU, OP_PAUSE, OP_COUNT };

static struct e1k_adapter *ad;
static int sp[2] = { -1, -1 };   /* [1] plays the kernel writing, [0] the bridge reading */

static void teardown(void)
{
	struct e1k_halt_report rep;

	if (ad) {
		(void)e1k_adapter_halt(ad, E1K_HALT_STOPPED, &rep);
		e1k_adapter_destroy(ad);
		ad = NULL;
	}
	for (int i = 0; i < 2; i++)
		if (sp[i] >= 0)
			close(sp[i]);
	e1k_rcu_thread_offline();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct sim_config sc = { .model = SIM_82540EM, .wire = SIM_WIRE_NONE,
	                         .fail_irq_set_index = HAL_IRQ_NINDEX };
	struct e1k_config cfg;
	struct hal_dev *hw;
	char err[256];
	int rc;

	e1k_rcu_thread_online();
	e1k_config_defaults(&cfg);
	cfg.dpc_workers = 1;   /* the machine running the fuzzer is small */
	rc = sim_open(&sc, &hw);
	FUZZ_CHECK(rc == 0, "sim_open: %d", rc);
	rc = e1k_adapter_initialize(hw, &cfg, NULL, &ad, err, sizeof(err));
	FUZZ_CHECK(rc == 0, "initialize: %s", err);
	rc = e1k_adapter_restart(ad);
	FUZZ_CHECK(rc == 0, "restart: %d", rc);
	rc = socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sp);
	FUZZ_CHECK(rc == 0, "socketpair: %s", strerror(errno));
	atexit(teardown);
	return 0;
}

struct run {
	struct fuzz_in in;
	bool paused;
	uint64_t accepted, bytes;
};

/* A length: raw, or one of the edges (the fuzzer finds these faster so). */
static uint32_t pick_len(struct fuzz_in *in, unsigned mtu)
{
	uint8_t sel = fuzz_u8(in);

	switch (sel & 7u) {
	case 0: return fuzz_u16(in);
	case 1: return 0;
	case 2: return E1000_ETH_HLEN - 1;
	case 3: return E1000_ETH_HLEN;
	case 4: return mtu + E1000_ETH_HLEN;
	case 5: return mtu + E1000_ETH_HLEN + 1;
	case 6: return 65535;
	default: return 60u + fuzz_u8(in) * 6u;
	}
}

static uint8_t *make_frame(struct fuzz_in *in, uint32_t len)
{
	uint8_t *f = malloc(len ? len : 1);
	uint8_t seed = fuzz_u8(in);

	FUZZ_CHECK(f != NULL, "malloc %u", len);
	/* Contents: what is left of the input, then a pattern. */
	for (uint32_t i = 0; i < len; i++)
		f[i] = i < in->left ? in->p[i] : (uint8_t)(seed + i * 7u);
	return f;
}

static bool len_ok(uint32_t len, unsigned mtu)
{
	return len >= E1000_ETH_HLEN && len <= mtu + E1000_ETH_HLEN;
}

/* Send as the bridge does and check the result against the contract. */
static void send_checked(struct run *r, const struct e1k_frame *fr, unsigned n, unsigned mtu)
{
	unsigned first_bad = n;
	int rc;

	for (unsigned i = 0; i < n; i++)
		if (!len_ok(fr[i].len, mtu)) {
			first_bad = i;
			break;
		}
	rc = e1k_adapter_send(ad, fr, n);
	if (r->paused) {
		FUZZ_CHECK(rc == -ENETDOWN, "send while paused: %d", rc);
		return;
	}
	if (first_bad == 0) {
		FUZZ_CHECK(rc == -EINVAL, "first frame of %u bytes (MTU %u): rc %d", fr[0].len, mtu, rc);
		return;
	}
	FUZZ_CHECK(rc >= 0 && (unsigned)rc <= first_bad, "rc %d, %u good frames first", rc, first_bad);
	for (int i = 0; i < rc; i++)
		r->bytes += fr[i].len;
	r->accepted += (unsigned)rc;
}

static void op_send(struct run *r, unsigned mtu)
{
	struct e1k_frame fr[MAX_BATCH] = { 0 };
	uint8_t *bufs[MAX_BATCH];
	unsigned n = 1 + fuzz_u8(&r->in) % MAX_BATCH;

	for (unsigned i = 0; i < n; i++) {
		fr[i].len = pick_len(&r->in, mtu);
		bufs[i] = make_frame(&r->in, fr[i].len);
		fr[i].data = bufs[i];
	}
	send_checked(r, fr, n, mtu);
	for (unsigned i = 0; i < n; i++)
		free(bufs[i]);
}

static void op_tap(struct run *r, unsigned mtu)
{
	static uint8_t frame[BRIDGE_FRAME_MAX];
	uint32_t len = pick_len(&r->in, mtu);
	uint8_t *f = make_frame(&r->in, len);
	struct e1k_frame fr = { 0 };
	ssize_t w, n;

	w = send(sp[1], f, len, MSG_DONTWAIT);
	if (w < 0) {
		/* Only a record the socket cannot queue; the TAP would drop it too. */
		FUZZ_CHECK(errno == EMSGSIZE || errno == ENOBUFS || errno == EAGAIN,
		           "socket send %u: %s", len, strerror(errno));
		free(f);
		return;
	}
	FUZZ_CHECK((uint32_t)w == len, "short record %zd of %u", w, len);
	n = tapdev_read(sp[0], frame, sizeof(frame));
	if (len < TAPDEV_MIN_FRAME || len > sizeof(frame)) {
		FUZZ_CHECK(n == -EMSGSIZE, "tapdev_read of a %u-byte frame: %zd", len, n);
	} else {
		FUZZ_CHECK(n == (ssize_t)len && memcmp(frame, f, len) == 0,
		           "tapdev_read of a %u-byte frame: %zd", len, n);
		fr.data = frame;
		fr.len = (uint32_t)n;
		send_checked(r, &fr, 1, mtu);
	}
	/* Whatever happened, nothing is left queued. */
	FUZZ_CHECK(tapdev_read(sp[0], frame, sizeof(frame)) == -EAGAIN, "socket not drained");
	free(f);
}

static void op_mtu(struct run *r)
{
	static const unsigned edges[8] = { 68, 576, 1500, 67, 1501, 0, 9000, 16111 };
	uint8_t sel = fuzz_u8(&r->in);
	unsigned mtu = sel & 8u ? fuzz_u16(&r->in) : edges[sel & 7u];
	int before = e1k_adapter_get_mtu(ad);
	int rc = e1k_adapter_set_mtu(ad, mtu);

	if (mtu >= E1K_MTU_MIN && mtu <= e1k_adapter_max_mtu(ad)) {
		FUZZ_CHECK(rc == 0, "set_mtu(%u): %d", mtu, rc);
		FUZZ_CHECK(e1k_adapter_get_mtu(ad) == (int)mtu, "MTU not applied");
	} else {
		FUZZ_CHECK(rc == -EINVAL, "set_mtu(%u): %d", mtu, rc);
		FUZZ_CHECK(e1k_adapter_get_mtu(ad) == before, "refused MTU changed it");
	}
}

static void op_pause(struct run *r)
{
	int rc = r->paused ? e1k_adapter_restart(ad) : e1k_adapter_pause(ad);

	FUZZ_CHECK(rc == 0, "%s: %d", r->paused ? "restart" : "pause", rc);
	r->paused = !r->paused;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run r = { .in = { data, size } };
	struct e1k_stats before, after;
	struct sim_stats ss;
	unsigned ops = 0;

	e1k_adapter_get_stats(ad, &before);
	while (r.in.left && ops++ < MAX_OPS) {
		unsigned mtu = (unsigned)e1k_adapter_get_mtu(ad);

		switch (fuzz_u8(&r.in) % OP_COUNT) {
		case OP_SEND:  op_send(&r, mtu); break;
		case OP_TAP:   op_tap(&r, mtu); break;
		case OP_MTU:   op_mtu(&r); break;
		case OP_PAUSE: op_pause(&r); break;
		}
	}
	if (r.paused)
		op_pause(&r);
	if (e1k_adapter_get_mtu(ad) != 1500)
		FUZZ_CHECK(e1k_adapter_set_mtu(ad, 1500) == 0, "MTU back to 1500");

	e1k_adapter_get_stats(ad, &after);
	FUZZ_CHECK(after.tx_packets - before.tx_packets == r.accepted &&
	           after.tx_bytes - before.tx_bytes == r.bytes,
	           "tx_packets +%llu (sent %llu), tx_bytes +%llu (sent %llu)",
	           (unsigned long long)(after.tx_packets - before.tx_packets),
	           (unsigned long long)r.accepted,
	           (unsigned long long)(after.tx_bytes - before.tx_bytes),
	           (unsigned long long)r.bytes);
	sim_get_stats(e1k_adapter_hal(ad), &ss);
	FUZZ_CHECK(ss.dma_faults == 0 && ss.dma_blocked == 0, "DMA faults %llu, blocked %llu",
	           (unsigned long long)ss.dma_faults, (unsigned long long)ss.dma_blocked);
	return 0;
}
