/* SPDX-License-Identifier: MIT */
/*
 * sim_ring.c - descriptor processing: receive (SDM 3.2) with the 82574L's
 * extended write-back when RFCTL.EXSTEN is set, long frames chained over
 * several buffers (RCTL.LPE) and RXCSUM status; transmit (SDM 3.3) of legacy,
 * TCP/IP context and data descriptors (what the offloads do: sim_offload.c).
 *
 * Transmit gathers a packet's buffers until EOP, then stages it (checksums
 * filled in) or, with DCMD.TSE, gathers it whole (up to 64 KiB + header) and
 * stages its segments; segments that do not fit in this burst's staging go
 * out after the next flush, before any later descriptor is processed.
 *
 * Both directions run on the model thread with reg_lock and the DMA table held
 * for one burst.  Every descriptor and buffer access goes through the DMA
 * checker.  Write-back publishes the status byte last with a release store, so
 * a driver that reads status with an acquire load (e.g. __atomic_load_n(...,
 * __ATOMIC_ACQUIRE)) sees the length and data written before it.
 *
 * Ring checks (made when there is work): RDLEN/TDLEN zero or not a multiple of
 * 128, or a head/tail index >= the ring size, make the ring unusable: counted
 * once in bad_ring_config and ignored until one of its registers is written.
 * A descriptor fetch the checker refuses does the same (and counts a DMA
 * fault).  A refused buffer access drops that frame only.
 *
 * Delay timers (RDTR, RADV, TIDV, TADV, TXD.IDE) are stored but not applied:
 * RXT0/TXDW are raised when the write-back happens; ITR is the only moderation.
 */
#include "sim_internal.h"

#include <pthread.h>
#include <string.h>

#include "mac.h"

/* ---- helpers ---- */

static uint64_t ring_base(const struct sim_dev *d, uint32_t bal, uint32_t bah)
{
	return ((uint64_t)sim_reg(d, bah) << 32) | sim_reg(d, bal);
}

/* Descriptors in the ring, or 0 when the configuration is unusable. */
static uint32_t ring_check(struct sim_dev *d, struct sim_ring_state *rs,
                           uint32_t len_reg, uint32_t h_reg, uint32_t t_reg)
{
	uint32_t len = sim_reg(d, len_reg), n;

	if (rs->bad)
		return 0;
	n = len / (uint32_t)sizeof(struct e1000_rx_desc);
	if (len == 0 || len % E1000_RDLEN_ALIGN != 0 ||
	    sim_reg(d, h_reg) >= n || sim_reg(d, t_reg) >= n) {
		rs->bad = true;
		sim_count(&d->st_bad_ring, 1);
		return 0;
	}
	return n;
}

static void ring_fault(struct sim_dev *d, struct sim_ring_state *rs)
{
	rs->bad = true;
	sim_count(&d->st_bad_ring, 1);
}

static bool is_bcast(const uint8_t *a)
{
	for (unsigned i = 0; i < E1000_ETH_ALEN; i++)
		if (a[i] != 0xff)
			return false;
	return true;
}

/* HOSTILE: now and then skip ahead over descriptors the device owns
 * ([head, tail]); they are never written back.  The head never moves into the
 * driver's part of the ring, so even a hostile model touches only memory the
 * driver handed over (which also keeps TSan runs of hostile tests clean). */
static uint32_t hostile_index(struct sim_dev *d, uint32_t head, uint32_t tail, uint32_t n)
{
	uint32_t owned = (tail + n - head) % n;

	if (d->hostile && owned && sim_rand_locked(d) % SIM_HOSTILE_JUMP_ONE_IN == 0)
		return (uint32_t)((head + sim_rand_locked(d) % (owned + 1u)) % n);
	return head;
}

/* Publish a status byte after everything written before it. */
static void status_store(uint8_t *p, uint8_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/* ---- transmit ---- */

static void tx_count(struct sim_dev *d, const uint8_t *frame, uint32_t len)
{
	sim_stat_inc(d, E1000_GPTC, 1);
	sim_stat_inc(d, E1000_TPT, 1);
	sim_stat_add64(d, E1000_GOTCL, (uint64_t)len + E1000_ETH_FCS_LEN);
	sim_stat_add64(d, E1000_TOTL, (uint64_t)len + E1000_ETH_FCS_LEN);
	if (is_bcast(frame))
		sim_stat_inc(d, E1000_BPTC, 1);
	else if (frame[0] & E1000_ETH_MCAST_BIT)
		sim_stat_inc(d, E1000_MPTC, 1);
}

/* A completed frame in stage[cur_slot] of len bytes: pad, count, keep. */
static void tx_stage(struct sim_dev *d, uint32_t len)
{
	struct sim_frame *f = &d->stage[d->cur_slot];

	/* TCTL.PSP pads short frames to the minimum (13.4.33), after any
	 * checksum was computed over what the driver gave. */
	if ((sim_reg(d, E1000_TCTL) & E1000_TCTL_PSP) && len < E1000_ETH_ZLEN &&
	    sim_frame_reserve(f, E1000_ETH_ZLEN)) {
		memset(f->buf + len, 0, E1000_ETH_ZLEN - len);
		len = E1000_ETH_ZLEN;
	}
	f->len = len;
	tx_count(d, f->buf, f->len);
	/* Completed: the next frame is gathered in the next slot. */
	d->nstaged++;
	d->cur_slot = d->nstaged;
}

/* Stage segments of the TSO packet in progress while there is room. */
static void tso_pump(struct sim_dev *d)
{
	while (d->tso.pending && d->nstaged < SIM_TX_BURST_FRAMES) {
		uint32_t len = sim_tso_segment_locked(d, &d->stage[d->cur_slot]);

		if (!len) {
			d->tso.pending = false;   /* out of memory: the rest is lost */
			break;
		}
		d->tx_tso_segs++;
		if (d->tso.popts & (E1000_TXD_POPTS_TXSM | E1000_TXD_POPTS_IXSM))
			d->tx_csum++;
		tx_stage(d, len);
	}
}

/* The frame in progress ended (EOP). */
static void tx_complete(struct sim_dev *d)
{
	struct sim_txcur *cur = &d->txcur;
	struct sim_frame *f = &d->stage[d->cur_slot];

	if (cur->tso) {
		d->tso.ctx = cur->ctx;
		d->tso.popts = cur->popts;
		/* A faulted buffer is counted as a DMA fault only. */
		if (cur->too_long || (!cur->dropped && !sim_tso_start_locked(d, cur->len)))
			d->tx_bad_offload++;
		else if (!cur->dropped)
			tso_pump(d);
		return;
	}
	if (cur->dropped || cur->len < E1000_ETH_HLEN)
		return;
	if (cur->ext && (cur->popts & (E1000_TXD_POPTS_TXSM | E1000_TXD_POPTS_IXSM))) {
		if (!sim_tx_csum(&cur->ctx, cur->popts, f->buf, cur->len)) {
			d->tx_bad_offload++;
			return;
		}
		d->tx_csum++;
	}
	tx_stage(d, cur->len);
}

/* One descriptor of any of the three formats (SDM 3.3.3, 3.3.6, 3.3.7): the
 * command byte (DEXT, EOP, RS) is at the same place in all of them. */
static void tx_desc(struct sim_dev *d, const struct e1000_tx_desc *desc)
{
	struct sim_txcur *cur = &d->txcur;
	struct sim_frame *f;
	uint32_t len, limit;
	uint64_t addr = desc->buffer_addr;

	if (desc->cmd & E1000_TXD_CMD_DEXT) {
		const struct e1000_data_desc *dd = (const struct e1000_data_desc *)desc;
		uint32_t cl = dd->cmd_and_length;

		d->tx_dext++;
		if ((cl & E1000_TXD_DTYP_MASK) == E1000_TXD_DTYP_C) {
			/* A context descriptor carries no data and ends no
			 * packet: the packet in progress keeps its context. */
			sim_tx_context_locked(d, (const struct e1000_context_desc *)desc);
			return;
		}
		if ((cl & E1000_TXD_DTYP_MASK) != E1000_TXD_DTYP_D)
			return;   /* reserved type: consumed, nothing else */
		len = cl & E1000_TXD_LEN_MASK;
		if (!cur->active) {
			bool tse = (cl >> E1000_TXD_CMD_SHIFT) & E1000_TXD_DCMD_TSE;

			cur->ext = true;
			cur->tso = tse;
			cur->popts = dd->popts;
			cur->ctx = *sim_tx_context_for(d, tse);
		}
	} else {
		len = desc->length;
	}
	cur->active = true;
	f = cur->tso ? &d->tso.pkt : &d->stage[d->cur_slot];
	limit = cur->tso ? SIM_TSO_PKT_MAX : SIM_FRAME_MAX;
	if (len && !cur->dropped) {
		uint32_t want = cur->len + len;

		cur->too_long = want > limit;
		if (cur->too_long || !sim_frame_reserve(f, want) ||
		    sim_dma_read(d, addr, f->buf + cur->len, len) != 0)
			cur->dropped = true;
		else
			cur->len = want;
	}
	if (!(desc->cmd & E1000_TXD_CMD_EOP))
		return;
	tx_complete(d);
	*cur = (struct sim_txcur){ 0 };
}

unsigned sim_tx_burst_locked(struct sim_dev *d, struct sim_sig *sig)
{
	uint32_t n, head, tail, causes = 0;
	unsigned done = 0;
	uint64_t base;

	d->flush_link_up = !d->link_down;
	d->flush_loopback = sim_loopback_locked(d);
	d->flush_hold = d->cfg.qemu_rctl_hold_ms && e1k_now_ns() < d->rctl_hold_until;
	d->flush_corrupt = d->corrupt_loopback;
	if (sim_quiet_locked(d) || !(sim_reg(d, E1000_TCTL) & E1000_TCTL_EN))
		return 0;
	/* The frame in progress moves to the first free slot (after a flush). */
	if (d->cur_slot != d->nstaged) {
		struct sim_frame t = d->stage[d->nstaged];

		d->stage[d->nstaged] = d->stage[d->cur_slot];
		d->stage[d->cur_slot] = t;
		d->cur_slot = d->nstaged;
	}
	/* Segments of a TSO packet left from the last burst go first: no
	 * descriptor is looked at before the last of them is staged. */
	tso_pump(d);
	head = sim_reg(d, E1000_TDH);
	tail = sim_reg(d, E1000_TDT);
	if (head == tail)
		return 0;
	n = ring_check(d, &d->tx, E1000_TDLEN, E1000_TDH, E1000_TDT);
	if (!n)
		return 0;
	if (!d->bus_master) {
		sim_count(&d->dma.blocked, 1);
		return 0;
	}
	base = ring_base(d, E1000_TDBAL, E1000_TDBAH);
	while (head != tail && done < SIM_TX_BURST_DESCS && d->nstaged < SIM_TX_BURST_FRAMES &&
	       !d->tso.pending) {
		uint64_t at = base + (uint64_t)head * sizeof(struct e1000_tx_desc);
		struct e1000_tx_desc desc;

		if (sim_dma_read(d, at, &desc, sizeof(desc)) != 0) {
			ring_fault(d, &d->tx);
			break;
		}
		tx_desc(d, &desc);
		if (desc.cmd & E1000_TXD_CMD_RS) {
			uint8_t *st = sim_dma_xlate(d, at + SIM_TX_STATUS_OFF, 1);

			if (st) {
				uint8_t v = E1000_TXD_STAT_DD;

				if (d->hostile)
					v = (uint8_t)sim_rand_locked(d);
				status_store(st, v);
			}
			causes |= E1000_ICR_TXDW;
		}
		head = (head + 1u) % n;
		head = hostile_index(d, head, tail, n);
		done++;
	}
	sim_reg_set(d, E1000_TDH, head);
	if (!done)
		return 0;
	if (head == tail)
		causes |= E1000_ICR_TXQE;
	if (sim_is_82574(d) && (causes & E1000_ICR_TXDW))
		causes |= E1000_ICR_TXQ0;
	if (causes)
		sim_irq_raise_locked(d, causes, sig);
	return done;
}

unsigned sim_tx_flush(struct sim_dev *d)
{
	unsigned n = d->nstaged;

	if (!n)
		return 0;
	if (atomic_load_explicit(&d->removed, memory_order_acquire)) {
		d->nstaged = 0;
		return n;
	}
	if (d->flush_loopback) {
		/* MAC or PHY loopback: back to our own receiver, nothing leaves. */
		for (unsigned i = 0; i < n; i++) {
			struct sim_frame *f = &d->stage[i];

			if (d->flush_corrupt && f->len)
				f->buf[f->len - 1] ^= 0xffu;   /* fault: corrupt-loopback */
			if (d->flush_hold || sim_wire_enqueue(d, f->buf, f->len) != 0)
				sim_count(&d->st_wire_drops, 1);
		}
	} else if (d->flush_link_up) {
		pthread_mutex_lock(&d->hook_lock);
		if (d->hook)
			for (unsigned i = 0; i < n; i++)
				d->hook(d->hook_ctx, d->stage[i].buf, d->stage[i].len);
		pthread_mutex_unlock(&d->hook_lock);
		for (unsigned i = 0; i < n; i++)
			sim_wire_output(d, d->stage[i].buf, d->stage[i].len);
	} else {
		sim_count(&d->st_wire_drops, n);   /* no link: nothing leaves */
	}
	d->nstaged = 0;
	return n;
}

/* ---- receive ---- */

static uint32_t crc_table[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c & 1u) ? SIM_CRC32_POLY ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
}

/* The frame check sequence as it follows the frame on the wire. */
static uint32_t eth_fcs(const uint8_t *p, size_t len)
{
	uint32_t c = ~0u;

	pthread_once(&crc_once, crc_init);
	for (size_t i = 0; i < len; i++)
		c = crc_table[(c ^ p[i]) & 0xffu] ^ (c >> 8);
	return ~c;
}

static uint32_t rx_bufsize(uint32_t rctl)
{
	uint32_t bs = (rctl & E1000_RCTL_BSIZE_MASK) >> E1000_RCTL_BSIZE_SHIFT;
	uint32_t size = E1000_RXBUF_BASE >> bs;

	/* BSEX with BSIZE 00 is reserved: treated as 2048. */
	if ((rctl & E1000_RCTL_BSEX) && bs != 0)
		size *= E1000_RCTL_BSEX_FACTOR;
	return size;
}

bool sim_rx_filter_locked(const struct sim_dev *d, const uint8_t *dst)
{
	uint32_t rctl = sim_reg(d, E1000_RCTL);
	bool mcast = (dst[0] & E1000_ETH_MCAST_BIT) != 0;
	bool bcast = is_bcast(dst);
	uint32_t mo, hash;

	/* 13.4.22: BAM takes broadcasts, MPE every other multicast, UPE every
	 * unicast; then the exact filters; then the multicast hash. */
	if (bcast && (rctl & E1000_RCTL_BAM))
		return true;
	if (mcast && !bcast && (rctl & E1000_RCTL_MPE))
		return true;
	if (!mcast && (rctl & E1000_RCTL_UPE))
		return true;
	for (unsigned i = 0; i < E1000_RAR_ENTRIES; i++) {
		uint32_t rah = sim_reg(d, E1000_RAH(i)), ral = sim_reg(d, E1000_RAL(i));

		if (!(rah & E1000_RAH_AV))
			continue;
		if (ral == e1k_mac_ral(dst) && (rah & E1000_RAH_ADDR_MASK) == e1k_mac_rah(dst))
			return true;
	}
	if (!mcast)
		return false;
	mo = (rctl & E1000_RCTL_MO_MASK) >> E1000_RCTL_MO_SHIFT;
	hash = (((uint32_t)dst[4] | ((uint32_t)dst[5] << 8)) >> E1000_MTA_MO_SHIFT(mo)) &
	       E1000_MTA_HASH_MASK;
	return (sim_reg(d, E1000_MTA + 4u * (hash >> E1000_MTA_WORD_SHIFT)) >>
	        (hash & E1000_MTA_BIT_MASK)) & 1u;
}

struct rx_wb {
	uint16_t length;
	uint8_t  status;
	uint8_t  errors;
};

/* The write-back of the frame's last descriptor under CORRUPT_WB / HOSTILE. */
static void rx_mangle(struct sim_dev *d, struct rx_wb *wb, uint32_t bufsize, bool last)
{
	if (d->hostile) {
		uint64_t r = sim_rand_locked(d);

		wb->length = (uint16_t)r;
		wb->status = (uint8_t)(r >> 16);
		wb->errors = (uint8_t)(r >> 24);
		return;
	}
	if (!d->corrupt_wb || !last)
		return;
	switch (d->corrupt_seq++ % 3u) {
	case 0:
		wb->length = 0;
		break;
	case 1:
		wb->length = (uint16_t)(bufsize < UINT16_MAX ? bufsize + 1u : UINT16_MAX);
		break;
	default:
		wb->status = E1000_RXD_STAT_DD;   /* EOP missing */
		wb->errors = E1000_RXD_ERR_RXE | E1000_RXD_ERR_CE;
		break;
	}
}

static void rx_count(struct sim_dev *d, const uint8_t *frame, uint32_t len)
{
	sim_stat_inc(d, E1000_GPRC, 1);
	sim_stat_inc(d, E1000_TPR, 1);
	sim_stat_add64(d, E1000_GORCL, (uint64_t)len + E1000_ETH_FCS_LEN);
	sim_stat_add64(d, E1000_TORL, (uint64_t)len + E1000_ETH_FCS_LEN);
	if (is_bcast(frame))
		sim_stat_inc(d, E1000_BPRC, 1);
	else if (frame[0] & E1000_ETH_MCAST_BIT)
		sim_stat_inc(d, E1000_MPRC, 1);
	d->rx_frames++;
}

static void rx_missed(struct sim_dev *d, uint32_t *causes)
{
	sim_stat_inc(d, E1000_MPC, 1);
	sim_stat_inc(d, E1000_RNBC, 1);
	d->rx_missed++;
	*causes |= E1000_ICR_RXO;
}

/* [82574] RFCTL.EXSTEN: the extended write-back (e1000_regs.h) over the whole
 * descriptor, as QEMU's e1000e_write_ext_rx_descr: MRQ and the RSS / IP id +
 * checksum dword are 0 (no RSS; the IP id and packet checksum, with IPIDV,
 * are not modelled), no VLAN; the checksum status and errors as legacy;
 * extended status last, its low byte (DD) with release.  Packet split
 * (RCTL.DTYP) is not modelled.  False when the checker refuses the access. */
static bool rx_writeback_ext(struct sim_dev *d, uint64_t at, const struct rx_wb *wb)
{
	uint8_t *p = sim_dma_xlate(d, at, sizeof(struct e1000_rx_desc));
	uint32_t se = (uint32_t)wb->status | ((uint32_t)wb->errors << E1000_RXD_EXT_ERR_SHIFT);
	uint8_t se_bytes[4] = { (uint8_t)se, (uint8_t)(se >> 8), (uint8_t)(se >> 16),
	                        (uint8_t)(se >> 24) };
	uint8_t tail[4] = { (uint8_t)wb->length, (uint8_t)(wb->length >> 8), 0, 0 };

	if (!p)
		return false;
	memset(p, 0, E1000_RXD_EXT_STATUS_OFF);
	memcpy(p + E1000_RXD_EXT_STATUS_OFF + 1u, se_bytes + 1, 3);
	memcpy(p + E1000_RXD_EXT_LENGTH_OFF, tail, sizeof(tail));
	status_store(p + E1000_RXD_EXT_STATUS_OFF, se_bytes[0]);
	return true;
}

/* Receive one frame from the wire; causes collects interrupt causes. */
static void rx_one(struct sim_dev *d, const uint8_t *frame, uint32_t len, uint32_t *causes)
{
	uint32_t rctl = sim_reg(d, E1000_RCTL);
	uint32_t n, head, tail, avail, bufsize, total, need, off = 0;
	uint8_t fcs[E1000_ETH_FCS_LEN], cs_status = 0, cs_errors = 0;
	uint64_t base;
	bool ext = sim_is_82574(d) && (sim_reg(d, E1000_RFCTL) & E1000_RFCTL_EXSTEN);

	if (!(rctl & E1000_RCTL_EN))
		return;   /* receiver off: the frame is not taken in */
	if (d->link_down && !sim_loopback_locked(d)) {
		sim_count(&d->st_wire_drops, 1);
		return;
	}
	if (len < E1000_ETH_HLEN) {
		sim_stat_inc(d, E1000_RUC, 1);
		return;
	}
	/* 13.4.22 LPE: without it frames over 1522 bytes are dropped, with it
	 * those over 16128 (SDM 3.2.3); both counted in ROC.  Lengths without
	 * the FCS, as QEMU's e1000x_is_oversized (which allows 16384 with LPE). */
	if (len > E1000_JUMBO_FRAME_MAX ||
	    (len > E1000_ETH_VLAN_FRAME_MAX && !(rctl & E1000_RCTL_LPE))) {
		sim_stat_inc(d, E1000_ROC, 1);
		return;
	}
	if (!sim_rx_filter_locked(d, frame)) {
		d->rx_filtered++;
		return;
	}
	n = ring_check(d, &d->rx, E1000_RDLEN, E1000_RDH, E1000_RDT);
	bufsize = rx_bufsize(rctl);
	total = len + ((rctl & E1000_RCTL_SECRC) ? 0u : E1000_ETH_FCS_LEN);
	need = (total + bufsize - 1u) / bufsize;
	head = sim_reg(d, E1000_RDH);
	tail = sim_reg(d, E1000_RDT);
	avail = n ? (tail + n - head) % n : 0;
	if (avail < need) {
		rx_missed(d, causes);
		return;
	}
	if (!d->bus_master) {
		sim_count(&d->dma.blocked, 1);
		return;
	}
	if (total > len) {
		uint32_t c = eth_fcs(frame, len);

		for (unsigned i = 0; i < E1000_ETH_FCS_LEN; i++)
			fcs[i] = (uint8_t)(c >> (8 * i));
	}
	/* Checksum status goes in the last descriptor only (with EOP). */
	sim_rx_csum_bits(d, frame, len, ext, &cs_status, &cs_errors);
	base = ring_base(d, E1000_RDBAL, E1000_RDBAH);
	for (uint32_t j = 0; j < need; j++) {
		uint64_t at = base + (uint64_t)head * sizeof(struct e1000_rx_desc);
		uint32_t chunk = total - off < bufsize ? total - off : bufsize;
		bool last = j + 1 == need;
		struct e1000_rx_desc desc;
		struct rx_wb wb;
		uint8_t *buf, *wbp;

		if (head == tail)
			break;   /* a hostile skip used up the descriptors: truncated */
		if (sim_dma_read(d, at, &desc, sizeof(desc)) != 0) {
			ring_fault(d, &d->rx);
			return;
		}
		buf = sim_dma_xlate(d, desc.buffer_addr, chunk);
		if (!buf)
			return;   /* refused: the frame is dropped, the descriptor kept */
		if (off < len) {
			uint32_t data = len - off < chunk ? len - off : chunk;

			memcpy(buf, frame + off, data);
			if (data < chunk)
				memcpy(buf + data, fcs, chunk - data);
		} else {
			memcpy(buf, fcs + (off - len), chunk);
		}
		wb = (struct rx_wb){
			.length = (uint16_t)chunk,
			.status = (uint8_t)(E1000_RXD_STAT_DD |
			                    (last ? E1000_RXD_STAT_EOP | cs_status : 0u)),
			.errors = last ? cs_errors : 0u,
		};
		rx_mangle(d, &wb, bufsize, last);
		if (ext) {
			if (!rx_writeback_ext(d, at, &wb))
				return;
		} else {
			wbp = sim_dma_xlate(d, at + SIM_RX_WB_OFF, sizeof(desc) - SIM_RX_WB_OFF);
			if (!wbp)
				return;
			/* length, csum, errors, special first; status last (release). */
			desc.length = wb.length;
			desc.csum = 0;
			desc.errors = wb.errors;
			desc.special = 0;
			memcpy(wbp, &desc.length, sizeof(desc.length) + sizeof(desc.csum));
			memcpy(wbp + (SIM_RX_STATUS_OFF - SIM_RX_WB_OFF) + 1u, &desc.errors,
			       sizeof(desc.errors) + sizeof(desc.special));
			status_store(wbp + (SIM_RX_STATUS_OFF - SIM_RX_WB_OFF), wb.status);
		}
		head = (head + 1u) % n;
		head = hostile_index(d, head, tail, n);
		off += chunk;
	}
	sim_reg_set(d, E1000_RDH, head);
	rx_count(d, frame, len);
	*causes |= E1000_ICR_RXT0;
	if (sim_is_82574(d))
		*causes |= E1000_ICR_RXQ0;
	/* RXDMT0: free descriptors fell to RDLEN / 2, 4 or 8 (RCTL.RDMTS). */
	{
		uint32_t shift = ((rctl & E1000_RCTL_RDMTS_MASK) >> E1000_RCTL_RDMTS_SHIFT) + 1u;
		uint32_t free_now = (tail + n - head) % n;

		if (free_now * (uint32_t)sizeof(struct e1000_rx_desc) <= (sim_reg(d, E1000_RDLEN) >> shift))
			*causes |= E1000_ICR_RXDMT0;
	}
}

bool sim_loopback_locked(const struct sim_dev *d)
{
	return (sim_reg(d, E1000_RCTL) & E1000_RCTL_LBM_MASK) == E1000_RCTL_LBM_MAC ||
	       (d->phy[E1000_PHY_CTRL] & E1000_PHY_CTRL_LOOPBACK);
}

unsigned sim_rx_burst_locked(struct sim_dev *d, struct sim_sig *sig)
{
	uint32_t k, causes = 0;

	if (sim_quiet_locked(d))
		return 0;   /* frames wait on the wire (up to its capacity) */
	if (d->cfg.qemu_rx_queue && !(sim_reg(d, E1000_RCTL) & E1000_RCTL_EN))
		return 0;   /* sim.h qemu_rx_queue: they wait too */
	k = sim_wire_peek(d, SIM_RX_BURST);
	for (uint32_t i = 0; i < k; i++) {
		struct sim_frame *f = sim_wire_slot(d, i);

		rx_one(d, f->buf, f->len, &causes);
	}
	if (k)
		sim_wire_pop(d, k);
	if (causes)
		sim_irq_raise_locked(d, causes, sig);
	return k;
}
