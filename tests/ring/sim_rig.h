/* SPDX-License-Identifier: MIT */
/*
 * sim_rig.h - a pool, a TX ring and an RX ring on the software device model
 * with its wire in loopback, driven by polling (no interrupts): the smallest
 * "driver" the ring integration tests need.  Header-only, test use only.
 *
 * Frames carry a sequence number and a payload derived from it, so the
 * receiver can prove none was lost, duplicated, reordered or corrupted.
 */
#ifndef E1K_SIM_RIG_H
#define E1K_SIM_RIG_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "ring.h"
#include "sim.h"
#include "testlib.h"

#define RIG_BUF_SIZE   2048u             /* matches E1000_RCTL_BSIZE_2048 */
#define RIG_ETHERTYPE  0x88b5u           /* IEEE 802 local experimental */
#define RIG_HDR_LEN    (E1000_ETH_HLEN + 8u)   /* Ethernet header + sequence */
#define RIG_BATCH      64u

static const uint8_t rig_mac[6] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01 };

struct rig {
	struct hal_dev  *hw;
	struct pkt_pool *pool;
	struct tx_ring  *tx;
	struct rx_ring  *rx;
	uint64_t         seq_tx;    /* next sequence number to send */
	uint64_t         seq_rx;    /* next sequence number expected */
	uint64_t         bad;       /* frames that failed verification */
	char             why[160];  /* first failure */
};

/* Frame length for a sequence number: 60..1514, every length visited. */
static inline uint32_t rig_frame_len(uint64_t seq)
{
	return E1000_ETH_ZLEN + (uint32_t)((seq * 7919u) % (E1000_ETH_FRAME_MAX - E1000_ETH_ZLEN + 1));
}

static inline uint64_t rig_word(uint64_t seq, uint32_t j)
{
	return (seq + 1) * 0x9e3779b97f4a7c15ull + j * 0xbf58476d1ce4e5b9ull;
}

static inline void rig_fill(uint8_t *f, uint64_t seq, uint32_t len)
{
	memcpy(f, rig_mac, 6);
	memcpy(f + 6, rig_mac, 6);
	f[12] = (uint8_t)(RIG_ETHERTYPE >> 8);
	f[13] = (uint8_t)RIG_ETHERTYPE;
	memcpy(f + E1000_ETH_HLEN, &seq, 8);
	for (uint32_t off = RIG_HDR_LEN, j = 0; off < len; off += 8, j++) {
		uint64_t w = rig_word(seq, j);

		memcpy(f + off, &w, len - off < 8 ? len - off : 8);
	}
}

static inline bool rig_check(struct rig *g, const uint8_t *f, uint32_t len)
{
	uint64_t seq;

	if (len < RIG_HDR_LEN) {
		snprintf(g->why, sizeof(g->why), "short frame %u at seq %llu", len,
		         (unsigned long long)g->seq_rx);
		return false;
	}
	memcpy(&seq, f + E1000_ETH_HLEN, 8);
	if (seq != g->seq_rx) {
		snprintf(g->why, sizeof(g->why), "seq %llu, expected %llu (lost/dup/reorder)",
		         (unsigned long long)seq, (unsigned long long)g->seq_rx);
		return false;
	}
	if (len != rig_frame_len(seq)) {
		snprintf(g->why, sizeof(g->why), "seq %llu: len %u, expected %u",
		         (unsigned long long)seq, len, rig_frame_len(seq));
		return false;
	}
	if (memcmp(f, rig_mac, 6) || f[12] != (uint8_t)(RIG_ETHERTYPE >> 8)) {
		snprintf(g->why, sizeof(g->why), "seq %llu: header damaged", (unsigned long long)seq);
		return false;
	}
	for (uint32_t off = RIG_HDR_LEN, j = 0; off < len; off += 8, j++) {
		uint64_t w = rig_word(seq, j);

		if (memcmp(f + off, &w, len - off < 8 ? len - off : 8)) {
			snprintf(g->why, sizeof(g->why), "seq %llu: payload damaged at %u",
			         (unsigned long long)seq, off);
			return false;
		}
	}
	return true;
}

/* Program the device like a minimal driver: RX then TX, rings first. */
static inline void rig_start(struct rig *g)
{
	struct hal_dev *hw = g->hw;
	uint32_t ral = (uint32_t)rig_mac[0] | (uint32_t)rig_mac[1] << 8 |
	               (uint32_t)rig_mac[2] << 16 | (uint32_t)rig_mac[3] << 24;
	uint32_t rah = (uint32_t)rig_mac[4] | (uint32_t)rig_mac[5] << 8 | E1000_RAH_AV;

	hal_wr32(hw, E1000_IMC, E1000_IMS_ALL);   /* polling: no interrupts */
	hal_wr32(hw, E1000_RAL(0), ral);
	hal_wr32(hw, E1000_RAH(0), rah);
	rx_ring_hw_setup(g->rx);
	rx_ring_refill(g->rx);
	hal_wr32(hw, E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_BAM | E1000_RCTL_UPE |
	                         E1000_RCTL_MPE | E1000_RCTL_SECRC | E1000_RCTL_BSIZE_2048);
	tx_ring_hw_setup(g->tx);
	hal_wr32(hw, E1000_TIPG, E1000_TIPG_DEFAULT);
	hal_wr32(hw, E1000_TCTL, E1000_TCTL_EN | E1000_TCTL_PSP |
	                         (E1000_TCTL_CT_DEFAULT << E1000_TCTL_CT_SHIFT) |
	                         (E1000_TCTL_COLD_FD << E1000_TCTL_COLD_SHIFT));
	hal_flush(hw);
}

/* Stop the device, wait until the model has nothing in progress, then take
 * every buffer back from both rings. */
static inline void rig_stop(struct rig *g)
{
	uint32_t bufs[RING_NDESC_MAX];
	unsigned n;

	hal_wr32(g->hw, E1000_RCTL, 0);
	hal_wr32(g->hw, E1000_TCTL, 0);
	hal_flush(g->hw);
	sim_sync(g->hw);
	while ((n = tx_ring_reclaim(g->tx, bufs, RING_NDESC_MAX)) > 0)
		pkt_pool_put(g->pool, bufs, n);
	while ((n = tx_ring_abort(g->tx, bufs, RING_NDESC_MAX)) > 0)
		pkt_pool_put(g->pool, bufs, n);
	rx_ring_abort(g->rx);
}

static inline int rig_open(struct rig *g, enum sim_model model, unsigned ntx,
                           unsigned nrx, uint32_t nbufs)
{
	struct sim_config cfg = {
		.model = model,
		.wire = SIM_WIRE_LOOPBACK,
		.fail_irq_set_index = HAL_IRQ_NINDEX,
	};
	int err;

	memset(g, 0, sizeof(*g));
	memcpy(cfg.mac, rig_mac, 6);
	err = sim_open(&cfg, &g->hw);
	if (err < 0)
		return err;
	err = hal_set_bus_master(g->hw, true);
	if (err < 0)
		return err;
	hal_wr32(g->hw, E1000_CTRL, hal_rd32(g->hw, E1000_CTRL) | E1000_CTRL_SLU);
	err = pkt_pool_create(g->hw, nbufs, RIG_BUF_SIZE, &g->pool);
	if (err < 0)
		return err;
	err = tx_ring_create(g->hw, ntx, &g->tx);
	if (err < 0)
		return err;
	err = rx_ring_create(g->hw, g->pool, nrx, &g->rx);
	if (err < 0)
		return err;
	rig_start(g);
	return 0;
}

/* Teardown in reverse; safe on a half-opened rig.  Returns the sim's
 * dma_faults as seen just before the device is closed. */
static inline uint64_t rig_close(struct rig *g)
{
	struct sim_stats st = { 0 };

	if (g->hw)
		rig_stop(g);          /* NULL-safe for a ring already destroyed */
	rx_ring_destroy(g->rx);
	tx_ring_destroy(g->tx);
	if (g->pool)
		CHECK_EQ(pkt_pool_free_count(g->pool), pkt_pool_size(g->pool));
	pkt_pool_destroy(g->pool);
	if (g->hw)
		sim_get_stats(g->hw, &st);
	hal_close(g->hw);
	memset(g, 0, sizeof(*g));
	return st.dma_faults;
}

/* One round of the polling loop: send up to RIG_BATCH new frames while the
 * number of frames in transit stays below what RX has posted (so loopback
 * never finds the RX ring empty), reclaim TX, harvest and verify RX, refill.
 * Returns frames moved (sent + received) in this round. */
static inline unsigned rig_round(struct rig *g, uint64_t total, unsigned batch)
{
	uint32_t bufs[RIG_BATCH > RING_NDESC_MAX ? RIG_BATCH : RING_NDESC_MAX];
	struct pkt_ref refs[RING_NDESC_MAX];
	uint64_t window = rx_ring_size(g->rx) - 1, inflight = g->seq_tx - g->seq_rx;
	unsigned want = batch, n, moved = 0;

	if (want > total - g->seq_tx)
		want = (unsigned)(total - g->seq_tx);
	if (want > window - inflight)
		want = (unsigned)(window - inflight);
	if (want > tx_ring_free_slots(g->tx))
		want = tx_ring_free_slots(g->tx);
	if (want > 0) {
		unsigned got = pkt_pool_get(g->pool, bufs, want), acc;

		for (unsigned i = 0; i < got; i++) {
			uint64_t seq = g->seq_tx + i;

			refs[i].buf = bufs[i];
			refs[i].len = rig_frame_len(seq);
			rig_fill(pkt_buf_va(g->pool, bufs[i]), seq, refs[i].len);
		}
		acc = tx_ring_submit(g->tx, g->pool, refs, got);
		pkt_pool_put(g->pool, bufs + acc, got - acc);   /* none, normally */
		g->seq_tx += acc;
		moved += acc;
	}
	while ((n = tx_ring_reclaim(g->tx, bufs, RING_NDESC_MAX)) > 0)
		pkt_pool_put(g->pool, bufs, n);

	n = rx_ring_poll(g->rx, refs, RING_NDESC_MAX);
	for (unsigned i = 0; i < n; i++) {
		if (g->bad == 0 &&
		    !rig_check(g, pkt_buf_va(g->pool, refs[i].buf), refs[i].len))
			g->bad++;
		else if (g->bad)
			g->bad++;
		g->seq_rx++;
		bufs[i] = refs[i].buf;
	}
	pkt_pool_put(g->pool, bufs, n);
	moved += n;
	rx_ring_refill(g->rx);
	return moved;
}

/* Move total frames through the loop; false (with g->why) on a verification
 * failure or when nothing moved for stall_ms. */
static inline bool rig_run(struct rig *g, uint64_t total, unsigned batch, unsigned stall_ms)
{
	uint64_t last = tl_now_ns();

	total += g->seq_tx;
	while (g->seq_rx < total) {
		if (rig_round(g, total, batch) > 0) {
			last = tl_now_ns();
		} else {
			if (tl_now_ns() - last > (uint64_t)stall_ms * 1000000u) {
				snprintf(g->why, sizeof(g->why),
				         "stalled: sent %llu received %llu",
				         (unsigned long long)g->seq_tx,
				         (unsigned long long)g->seq_rx);
				return false;
			}
			/* Nothing ready: wait for the model to finish what it was
			 * given (a bounded wait on a condition, not a sleep). */
			sim_sync(g->hw);
		}
		if (g->bad)
			return false;
	}
	return true;
}

#endif /* E1K_SIM_RIG_H */
