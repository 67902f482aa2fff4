/* SPDX-License-Identifier: MIT */
/* selftest.c - the adapter's self-test.  See selftest.h. */
#include "selftest.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "adapter_internal.h"
#include "clock.h"
#include "container_of.h"
#include "diag.h"

static const char *const test_names[E1K_SELFTEST_COUNT] = {
	[E1K_SELFTEST_REGISTERS] = "registers",
	[E1K_SELFTEST_EEPROM]    = "eeprom",
	[E1K_SELFTEST_INTERRUPT] = "interrupt",
	[E1K_SELFTEST_LOOPBACK]  = "loopback",
};

const char *e1k_selftest_name(enum e1k_selftest_id id)
{
	return (unsigned)id < E1K_SELFTEST_COUNT ? test_names[id] : "unknown";
}

const char *e1k_selftest_result_name(enum e1k_selftest_result r)
{
	switch (r) {
	case E1K_SELFTEST_PASS: return "pass";
	case E1K_SELFTEST_FAIL: return "fail";
	default:                return "skipped";
	}
}

static void result(struct e1k_selftest_report *rep, enum e1k_selftest_id id, bool pass,
                   uint64_t t0, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void result(struct e1k_selftest_report *rep, enum e1k_selftest_id id, bool pass,
                   uint64_t t0, const char *fmt, ...)
{
	va_list ap;

	rep->t[id].result = pass ? E1K_SELFTEST_PASS : E1K_SELFTEST_FAIL;
	rep->t[id].ns = e1k_now_ns() - t0;
	va_start(ap, fmt);
	vsnprintf(rep->t[id].detail, sizeof(rep->t[id].detail), fmt, ap);
	va_end(ap);
	if (!pass)
		rep->failed++;
}

/* ---- register test ---- */

#define ST_MAX_REGS (32u + 2u * E1000_RAR_ENTRIES + E1000_MTA_WORDS)
#define ST_RDLEN_MASK (E1000_RDLEN_FIELD_MASK & ~(E1000_RDLEN_ALIGN - 1u))
#define ST_TIPG_MASK 0x3fffffffu   /* IPGT, IPGR1, IPGR2 (SDM 13.4.34) */

struct st_reg {
	uint32_t off;
	uint32_t mask;    /* writable bits */
	uint32_t saved;
};

static const uint32_t patterns[] = { 0x5a5a5a5au, 0xa5a5a5a5u, 0x00000000u, 0xffffffffu };

/* The registers the test may write.  Online: flow control (never enabled
 * by this driver) and RAL of receive-address entries that are not valid. */
static unsigned reg_set(struct e1k_adapter *ad, bool offline, struct st_reg *r)
{
	static const struct {
		uint32_t off, mask;
	} online[] = {
		{ E1000_FCAL, 0xffffffffu }, { E1000_FCAH, E1000_RAH_ADDR_MASK },
		{ E1000_FCT, 0x0000ffffu }, { E1000_FCTTV, 0x0000ffffu },
	}, paused[] = {
		{ E1000_ITR, E1000_ITR_INTERVAL_MASK },
		{ E1000_RDBAL, ~(E1000_RING_ALIGN - 1u) }, { E1000_RDBAH, 0xffffffffu },
		{ E1000_RDLEN, ST_RDLEN_MASK }, { E1000_RDH, E1000_RING_INDEX_MASK },
		{ E1000_RDT, E1000_RING_INDEX_MASK }, { E1000_RDTR, E1000_DELAY_MASK },
		{ E1000_RADV, E1000_DELAY_MASK }, { E1000_TIPG, ST_TIPG_MASK },
		{ E1000_TDBAL, ~(E1000_RING_ALIGN - 1u) }, { E1000_TDBAH, 0xffffffffu },
		{ E1000_TDLEN, ST_RDLEN_MASK }, { E1000_TDH, E1000_RING_INDEX_MASK },
		{ E1000_TDT, E1000_RING_INDEX_MASK }, { E1000_TIDV, E1000_DELAY_MASK },
		{ E1000_TADV, E1000_DELAY_MASK },
	};
	struct hal_dev *hw = ad->hw;
	unsigned n = 0;

	for (size_t i = 0; i < sizeof(online) / sizeof(online[0]); i++)
		r[n++] = (struct st_reg){ online[i].off, online[i].mask, 0 };
	if (!offline) {
		/* RAR 0 is the station address; entries 1.. hold the filters. */
		for (unsigned e = 1 + e1k_pub_locked(ad)->nuc; e < E1000_RAR_ENTRIES; e++)
			if (!(hal_rd32(hw, E1000_RAH(e)) & E1000_RAH_AV))
				r[n++] = (struct st_reg){ E1000_RAL(e), 0xffffffffu, 0 };
		return n;
	}
	for (size_t i = 0; i < sizeof(paused) / sizeof(paused[0]); i++)
		r[n++] = (struct st_reg){ paused[i].off, paused[i].mask, 0 };
	for (unsigned e = 1; e < E1000_RAR_ENTRIES; e++) {
		r[n++] = (struct st_reg){ E1000_RAL(e), 0xffffffffu, 0 };
		r[n++] = (struct st_reg){ E1000_RAH(e), E1000_RAH_AV | E1000_RAH_ASEL_MASK |
		                                        E1000_RAH_ADDR_MASK, 0 };
	}
	for (unsigned w = 0; w < E1000_MTA_WORDS; w++)
		r[n++] = (struct st_reg){ E1000_MTA + 4u * w, 0xffffffffu, 0 };
	return n;
}

/* A name for a register in a message. */
static void reg_name(uint32_t off, char *buf, size_t len)
{
	if (off >= E1000_MTA && off < E1000_MTA + 4u * E1000_MTA_WORDS) {
		snprintf(buf, len, "MTA[%u]", (unsigned)((off - E1000_MTA) / 4u));
	} else if (off >= E1000_RAL(0) && off < E1000_RAL(E1000_RAR_ENTRIES)) {
		snprintf(buf, len, "%s%u", (off & 4u) ? "RAH" : "RAL",
		         (unsigned)((off - E1000_RAL(0)) / 8u));
	} else {
		snprintf(buf, len, "0x%05x", (unsigned)off);
	}
}

static const struct {
	uint32_t off;
	const char *name;
} named[] = {
	{ E1000_FCAL, "FCAL" }, { E1000_FCAH, "FCAH" }, { E1000_FCT, "FCT" },
	{ E1000_FCTTV, "FCTTV" }, { E1000_ITR, "ITR" }, { E1000_RDBAL, "RDBAL" },
	{ E1000_RDBAH, "RDBAH" }, { E1000_RDLEN, "RDLEN" }, { E1000_RDH, "RDH" },
	{ E1000_RDT, "RDT" }, { E1000_RDTR, "RDTR" }, { E1000_RADV, "RADV" },
	{ E1000_TIPG, "TIPG" }, { E1000_TDBAL, "TDBAL" }, { E1000_TDBAH, "TDBAH" },
	{ E1000_TDLEN, "TDLEN" }, { E1000_TDH, "TDH" }, { E1000_TDT, "TDT" },
	{ E1000_TIDV, "TIDV" }, { E1000_TADV, "TADV" },
};

static void name_of(uint32_t off, char *buf, size_t len)
{
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		if (named[i].off == off) {
			snprintf(buf, len, "%s", named[i].name);
			return;
		}
	reg_name(off, buf, len);
}

/* Registers QEMU does not read back: hw/net/e1000.c (the 82540EM) emulates
 * none of FCAL, FCAH, FCT, FCTTV, TIPG and TIDV (reads return 0, writes are
 * dropped); hw/net/e1000e_core.c (the 82574L) stores TIDV (its delay timer
 * uses it) but has no read for it.  On the parts they are plain RW registers
 * (SDM 13.4, 82574 datasheet 10.2).  Such a register that reads 0 after
 * every pattern is named in the result as not read back, and does not fail
 * the test; a register that keeps any bit written (a stuck bit among
 * working ones) is checked bit for bit as any other. */
static bool qemu_unread(enum e1k_mac_type mac, uint32_t off)
{
	switch (off) {
	case E1000_TIDV:
		return true;
	case E1000_FCAL: case E1000_FCAH: case E1000_FCT: case E1000_FCTTV: case E1000_TIPG:
		return mac == E1K_MAC_82540EM;
	default:
		return false;
	}
}

static void test_registers(struct e1k_adapter *ad, bool offline, struct e1k_selftest_report *rep)
{
	struct st_reg r[ST_MAX_REGS];
	struct hal_dev *hw = ad->hw;
	uint64_t t0 = e1k_now_ns();
	unsigned n = reg_set(ad, offline, r), nunread = 0;
	bool bad = false;
	char name[16], unread[E1K_SELFTEST_DETAIL_LEN / 2] = "";
	size_t at = 0;
	uint32_t bad_off = 0, wrote = 0, got = 0, mask = 0;

	for (unsigned i = 0; i < n; i++)
		r[i].saved = hal_rd32(hw, r[i].off);
	for (unsigned i = 0; i < n && !bad; i++) {
		uint32_t w_bad = 0, g_bad = 0, seen = 0;
		bool wrong = false;

		for (size_t p = 0; p < sizeof(patterns) / sizeof(patterns[0]); p++) {
			uint32_t want = patterns[p] & r[i].mask, v;

			hal_wr32(hw, r[i].off, want);
			v = hal_rd32(hw, r[i].off);
			seen |= v;
			if ((v & r[i].mask) != want && !wrong) {
				wrong = true;
				w_bad = want;
				g_bad = v;
			}
		}
		if (!wrong)
			continue;
		if (!seen && qemu_unread(hw->mac, r[i].off)) {
			name_of(r[i].off, name, sizeof(name));
			if (at < sizeof(unread))
				at += (size_t)snprintf(unread + at, sizeof(unread) - at, "%s%s",
				                       nunread ? " " : "", name);
			nunread++;
			continue;
		}
		bad = true;
		bad_off = r[i].off;
		wrote = w_bad;
		got = g_bad;
		mask = r[i].mask;
	}
	for (unsigned i = 0; i < n; i++)
		hal_wr32(hw, r[i].off, r[i].saved);
	hal_flush(hw);
	if (!bad && !nunread) {
		result(rep, E1K_SELFTEST_REGISTERS, true, t0, "%u registers, %zu patterns each", n,
		       sizeof(patterns) / sizeof(patterns[0]));
		return;
	}
	if (!bad) {
		result(rep, E1K_SELFTEST_REGISTERS, true, t0, "%u registers, %zu patterns each; "
		       "%u read 0 whatever was written, as QEMU emulates them: %s", n - nunread,
		       sizeof(patterns) / sizeof(patterns[0]), nunread, unread);
		return;
	}
	name_of(bad_off, name, sizeof(name));
	result(rep, E1K_SELFTEST_REGISTERS, false, t0,
	       "%s: wrote 0x%08x, read 0x%08x (bits 0x%08x wrong)", name, (unsigned)wrote,
	       (unsigned)got, (unsigned)((got ^ wrote) & mask));
}

/* ---- EEPROM test ---- */

static void test_eeprom(struct e1k_adapter *ad, struct e1k_selftest_report *rep)
{
	uint16_t w[E1000_EEPROM_WORDS];
	uint64_t t0 = e1k_now_ns();
	uint16_t sum;
	int rc = e1k_diag_read_eeprom(ad->hw, w);

	if (rc < 0) {
		result(rep, E1K_SELFTEST_EEPROM, false, t0, "cannot read the EEPROM: %s",
		       strerror(-rc));
		return;
	}
	sum = e1k_diag_eeprom_sum(w);
	if (sum == E1000_EEPROM_SUM)
		result(rep, E1K_SELFTEST_EEPROM, true, t0, "words 0x00-0x3f sum to 0x%04x",
		       (unsigned)sum);
	else
		result(rep, E1K_SELFTEST_EEPROM, false, t0,
		       "words 0x00-0x3f sum to 0x%04x, not 0x%04x (checksum word 0x%04x)",
		       (unsigned)sum, (unsigned)E1000_EEPROM_SUM,
		       (unsigned)w[E1000_EEPROM_CHECKSUM_WORD]);
}

/* ---- interrupt test ---- */

struct st_irq {
	atomic_uint seen;   /* causes the ISR recorded, taken by st_dpc */
};

/* Stands in for the interrupt DPC while the test runs (the adapter is
 * Paused: the real one would only reclaim an empty TX ring). */
static void st_dpc(struct dpc *d)
{
	struct e1k_adapter *ad = container_of(d, struct e1k_adapter, dpc_intr);
	struct st_irq *s = ad->dpc_probe_ctx;

	atomic_fetch_or_explicit(&s->seen, isr_take_causes(&ad->isr), memory_order_acq_rel);
}

static const struct flag_name {
	uint32_t cause;
	uint32_t msix;    /* the queue bit that gives it a vector in MSI-X mode (0: none) */
	const char *name;
} irq_causes[] = {
	{ E1000_ICR_TXDW, E1000_ICR_TXQ0, "TXDW" },
	{ E1000_ICR_LSC, E1000_ICR_OTHER, "LSC" },
	{ E1000_ICR_RXDMT0, 0, "RXDMT0" },
	{ E1000_ICR_RXO, E1000_ICR_OTHER, "RXO" },
	{ E1000_ICR_RXT0, E1000_ICR_RXQ0, "RXT0" },
};

static void test_interrupt(struct e1k_adapter *ad, struct e1k_selftest_report *rep)
{
	struct hal_dev *hw = ad->hw;
	bool msix = ad->irq_mode == E1K_IRQ_MSIX;
	void (*old_probe)(void *) = ad->dpc_probe;
	void *old_ctx = ad->dpc_probe_ctx;
	dpc_fn old_fn = ad->dpc_intr.fn;
	struct st_irq s;
	uint64_t t0 = e1k_now_ns();
	uint64_t still_ns = 2u * (uint64_t)atomic_load(&ad->itr_ns_now) + 1000000u;
	unsigned tested = 0;
	char why[E1K_SELFTEST_DETAIL_LEN] = "";

	if (still_ns < 2000000u)
		still_ns = 2000000u;
	atomic_init(&s.seen, 0);
	/* As e1k_adapter_set_dpc_probe: no DPC queued or running. */
	dpc_wait_idle(ad->dpcs, &ad->dpc_intr);
	ad->dpc_probe_ctx = &s;
	ad->dpc_intr.fn = st_dpc;
	for (size_t i = 0; i < sizeof(irq_causes) / sizeof(irq_causes[0]) && !why[0]; i++) {
		uint32_t c = irq_causes[i].cause, set;
		unsigned long runs;
		uint64_t dl;

		if (!(ad->isr.enabled_mask & c) || (msix && !irq_causes[i].msix))
			continue;
		set = c | (msix ? irq_causes[i].msix : 0u);
		/* Masked: the cause is recorded in ICR and no interrupt comes.
		 * A signal the previous cause left in flight (written before
		 * the mask, not yet taken by the interrupt thread) is let
		 * through first: the count must stand still for a while
		 * (bounded) before the cause is set -- two throttle intervals
		 * and 1 ms, at least 2 ms: QEMU's e1000e sends a vector's
		 * postponed message when its EITR interval ends even if the
		 * cause was masked meanwhile, and moderation may have made
		 * that interval milliseconds long. */
		hal_wr32(hw, E1000_IMC, E1000_IMS_ALL);
		hal_flush(hw);
		dl = e1k_deadline_ms(E1K_SELFTEST_IRQ_WAIT_MS);
		do {
			runs = atomic_load(&ad->isr.runs);
			e1k_sleep_ns(still_ns);
		} while (atomic_load(&ad->isr.runs) != runs && !e1k_passed(dl));
		(void)hal_rd32(hw, E1000_ICR);   /* what it left: masked, nobody else reads it */
		runs = atomic_load(&ad->isr.runs);
		hal_wr32(hw, E1000_ICS, set);
		e1k_sleep_ns((uint64_t)E1K_SELFTEST_IRQ_QUIET_MS * 1000000u);
		if (atomic_load(&ad->isr.runs) != runs) {
			snprintf(why, sizeof(why), "%s: an interrupt came while every cause was masked",
			         irq_causes[i].name);
			break;
		}
		(void)hal_rd32(hw, E1000_ICR);   /* masked: nobody else reads it now */
		/* Enabled: it must reach the ISR. */
		atomic_store(&s.seen, 0);
		runs = atomic_load(&ad->isr.runs);
		hal_wr32(hw, E1000_IMS, set);
		hal_wr32(hw, E1000_ICS, set);
		dl = e1k_deadline_ms(E1K_SELFTEST_IRQ_WAIT_MS);
		while ((atomic_load(&s.seen) & set) != set && !e1k_passed(dl))
			e1k_sleep_ns(50000u);
		hal_wr32(hw, E1000_IMC, E1000_IMS_ALL);
		hal_flush(hw);
		if ((atomic_load(&s.seen) & set) != set)
			snprintf(why, sizeof(why), "%s set through ICS did not reach the ISR within "
			         "%u ms (%lu interrupts, causes seen 0x%08x)", irq_causes[i].name,
			         E1K_SELFTEST_IRQ_WAIT_MS, atomic_load(&ad->isr.runs) - runs,
			         atomic_load(&s.seen));
		tested++;
	}
	hal_wr32(hw, E1000_IMC, E1000_IMS_ALL);
	hal_flush(hw);
	dpc_wait_idle(ad->dpcs, &ad->dpc_intr);
	(void)hal_rd32(hw, E1000_ICR);
	(void)isr_take_causes(&ad->isr);
	ad->dpc_intr.fn = old_fn;
	ad->dpc_probe = old_probe;
	ad->dpc_probe_ctx = old_ctx;
	if (why[0])
		result(rep, E1K_SELFTEST_INTERRUPT, false, t0, "%s", why);
	else
		result(rep, E1K_SELFTEST_INTERRUPT, true, t0, "%u causes (%s), each reached the "
		       "ISR and none while masked", tested, e1k_irq_mode_name(ad->irq_mode));
}

/* ---- loopback test ---- */

#define LB_NDESC   16u
#define LB_BUF     2048u
#define LB_RING_BYTES (LB_NDESC * sizeof(struct e1000_tx_desc))
#define LB_BUF_OFF 4096u   /* buffers after the two rings */
#define LB_ETHERTYPE 0x88b5u   /* IEEE 802 local experimental */
#define LB_STOP_NS 1000000u    /* after RX/TX off, before the memory goes */
#define LB_MDIC_WAIT_US 10000u /* an MDI cycle takes a few microseconds */
/* A frame that has not come back after LB_RESEND_MS is sent again (until
 * E1K_SELFTEST_LB_WAIT_MS) -- the first frame of each mode always, any
 * other only when frames from the wire came in meanwhile.  QEMU drops a
 * looped-back frame its receiver cannot take at that instant instead of
 * queueing it: its e1000 refuses everything for a second after each RCTL
 * write (flush_queue_timer), and either part's ring may be full of frames
 * from the wire that QEMU queued while the adapter was paused and hands
 * over as soon as the receiver is enabled.  The result says how many were
 * sent again; a late copy of a frame sent again is ignored. */
#define LB_RESEND_MS 100u

static const uint16_t lb_sizes[] = { 60, 64, 128, 256, 512, 1024, 1500, 1514 };
#define LB_NFRAMES (sizeof(lb_sizes) / sizeof(lb_sizes[0]))

enum lb_mode { LB_PHY, LB_MAC };
static const char *const lb_mode_names[] = { [LB_PHY] = "PHY", [LB_MAC] = "MAC" };

struct lb {
	struct e1k_adapter *ad;
	struct hal_dma dma;
	struct e1000_tx_desc *txd;
	struct e1000_rx_desc *rxd;
	uint8_t *bufs;          /* LB_NFRAMES TX buffers, then LB_NDESC RX buffers */
	uint64_t rx_iova;
	unsigned txi;           /* descriptors queued on the TX ring so far */
	unsigned foreign;       /* frames received that the test did not send */
	unsigned resent;        /* frames sent again (LB_RESEND_MS) */
	bool again[LB_NFRAMES]; /* ... which ones, in this mode */
	char why[E1K_SELFTEST_DETAIL_LEN];
};

/* One MDI cycle through MDIC (SDM 13.4.7): 0, or -EIO (the PHY answered
 * with ERROR) or -ETIMEDOUT (READY never came). */
static int mdic(struct hal_dev *hw, uint32_t op, unsigned reg, uint16_t *val)
{
	uint64_t dl = e1k_deadline_ms(LB_MDIC_WAIT_US / 1000u);
	uint32_t v;

	hal_wr32(hw, E1000_MDIC, op | (E1000_PHY_ADDR << E1000_MDIC_PHY_SHIFT) |
	         ((uint32_t)reg << E1000_MDIC_REG_SHIFT) | *val);
	while (!((v = hal_rd32(hw, E1000_MDIC)) & E1000_MDIC_READY)) {
		if (e1k_passed(dl) || hal_is_gone(hw))
			return -ETIMEDOUT;
		e1k_sleep_ns(10000u);
	}
	if (v & E1000_MDIC_ERROR)
		return -EIO;
	*val = (uint16_t)(v & E1000_MDIC_DATA_MASK);
	return 0;
}

static int phy_read(struct hal_dev *hw, unsigned reg, uint16_t *val)
{
	*val = 0;
	return mdic(hw, E1000_MDIC_OP_READ, reg, val);
}

static int phy_write(struct hal_dev *hw, unsigned reg, uint16_t val)
{
	return mdic(hw, E1000_MDIC_OP_WRITE, reg, &val);
}

static void lb_frame(const uint8_t mac[6], unsigned i, uint8_t *f, unsigned len)
{
	memcpy(f, mac, 6);
	memcpy(f + 6, mac, 6);
	f[12] = (uint8_t)(LB_ETHERTYPE >> 8);
	f[13] = (uint8_t)LB_ETHERTYPE;
	for (unsigned j = E1000_ETH_HLEN; j < len; j++)
		f[j] = (uint8_t)(i * 31u + j * 7u + 0x5au);
}

/* Queue frame i (its buffer filled) on the next TX descriptor.  -EBUSY
 * (l->why set) when that descriptor was not done yet: the ring is reused. */
static int lb_send(struct lb *l, unsigned i)
{
	unsigned slot = l->txi % LB_NDESC;

	if (l->txi >= LB_NDESC &&
	    !(__atomic_load_n(&l->txd[slot].status, __ATOMIC_ACQUIRE) & E1000_TXD_STAT_DD)) {
		snprintf(l->why, sizeof(l->why), "loopback: TX descriptor %u not done after %u "
		         "frames", slot, l->txi);
		return -EBUSY;
	}
	l->txd[slot] = (struct e1000_tx_desc){
		.buffer_addr = l->dma.iova + LB_BUF_OFF + (uint64_t)i * LB_BUF,
		.length = lb_sizes[i],
		.cmd = E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS | E1000_TXD_CMD_RS,
	};
	/* The descriptor is in memory before the tail moves.  A full barrier:
	 * GCC refuses a lone fence under TSan here, and a self-test frame can
	 * afford it. */
	__sync_synchronize();
	l->txi++;
	hal_wr32(l->ad->hw, E1000_TDT, l->txi % LB_NDESC);
	return 0;
}

/* A frame of the test's own: its addresses and EtherType.  Anything else
 * came from the wire: QEMU keeps delivering what its network backend
 * receives in either loopback mode. */
static bool lb_ours(const struct lb *l, const uint8_t *f, unsigned len, uint8_t st)
{
	return (st & E1000_RXD_STAT_EOP) && len >= E1000_ETH_HLEN && !memcmp(f, l->ad->mac, 6) &&
	       !memcmp(f + 6, l->ad->mac, 6) && f[12] == (uint8_t)(LB_ETHERTYPE >> 8) &&
	       f[13] == (uint8_t)LB_ETHERTYPE;
}

/* A frame of ours that is a late copy of an earlier frame sent again. */
static bool lb_late_copy(const struct lb *l, unsigned i, const uint8_t *f, unsigned len)
{
	for (unsigned j = 0; j < i; j++)
		if (l->again[j] && len == lb_sizes[j] && !memcmp(f, l->bufs + (size_t)j * LB_BUF, len))
			return true;
	return false;
}

/* Frame i came back as f: the same length, no errors, byte for byte. */
static void lb_check(struct lb *l, enum lb_mode mode, unsigned i, const uint8_t *f,
                     unsigned len, uint8_t st, uint8_t errors)
{
	const uint8_t *tx = l->bufs + (size_t)i * LB_BUF;

	if (len != lb_sizes[i] || errors) {
		snprintf(l->why, sizeof(l->why), "%s loopback: frame %u came back with %u bytes "
		         "(sent %u), status 0x%02x, errors 0x%02x", lb_mode_names[mode], i, len,
		         (unsigned)lb_sizes[i], (unsigned)st, (unsigned)errors);
		return;
	}
	for (unsigned j = 0; j < len; j++)
		if (f[j] != tx[j]) {
			snprintf(l->why, sizeof(l->why), "%s loopback: frame %u (%u bytes): byte %u "
			         "came back as 0x%02x, sent 0x%02x", lb_mode_names[mode], i, len, j,
			         (unsigned)f[j], (unsigned)tx[j]);
			return;
		}
}

/* Send the test frames one by one with the device looping them back (mode
 * already set), each checked byte for byte; frames that are not the test's
 * are counted and their descriptors given back.  l->why on failure. */
static unsigned lb_frames(struct lb *l, enum lb_mode mode)
{
	const char *mname = lb_mode_names[mode];
	struct hal_dev *hw = l->ad->hw;
	unsigned ok = 0, rxi = 0, rdt = LB_NDESC - 1u;

	l->txi = 0;
	memset(l->again, 0, sizeof(l->again));
	for (unsigned i = 0; i < LB_NDESC; i++)
		l->rxd[i] = (struct e1000_rx_desc){ .buffer_addr = l->rx_iova + (uint64_t)i * LB_BUF };
	memset(l->txd, 0, LB_RING_BYTES);
	__sync_synchronize();
	hal_wr32(hw, E1000_TDBAL, (uint32_t)l->dma.iova);
	hal_wr32(hw, E1000_TDBAH, (uint32_t)(l->dma.iova >> 32));
	hal_wr32(hw, E1000_TDLEN, (uint32_t)LB_RING_BYTES);
	hal_wr32(hw, E1000_TDH, 0);
	hal_wr32(hw, E1000_TDT, 0);
	hal_wr32(hw, E1000_RDBAL, (uint32_t)(l->dma.iova + LB_RING_BYTES));
	hal_wr32(hw, E1000_RDBAH, (uint32_t)((l->dma.iova + LB_RING_BYTES) >> 32));
	hal_wr32(hw, E1000_RDLEN, (uint32_t)LB_RING_BYTES);
	hal_wr32(hw, E1000_RDH, 0);
	hal_wr32(hw, E1000_RDT, rdt);
	/* No promiscuous modes: the frames go to the station address (RAR 0),
	 * and fewer strangers get in. */
	hal_wr32(hw, E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_SECRC | E1000_RCTL_BSIZE_2048 |
	         (mode == LB_MAC ? E1000_RCTL_LBM_MAC : E1000_RCTL_LBM_NONE));
	hal_wr32(hw, E1000_TCTL, hal_rd32(hw, E1000_TCTL) | E1000_TCTL_EN);

	for (unsigned i = 0; i < LB_NFRAMES && !l->why[0]; i++) {
		uint8_t *tx = l->bufs + (size_t)i * LB_BUF, *rx;
		unsigned len = lb_sizes[i], rlen, seen;
		uint64_t dl, resend;
		uint8_t st;
		bool mine = false;

		lb_frame(l->ad->mac, i, tx, len);
		if (lb_send(l, i) < 0)
			break;
		dl = e1k_deadline_ms(E1K_SELFTEST_LB_WAIT_MS);
		resend = e1k_deadline_ms(LB_RESEND_MS);
		seen = l->foreign;
		for (;;) {
			st = __atomic_load_n(&l->rxd[rxi].status, __ATOMIC_ACQUIRE);
			if (!(st & E1000_RXD_STAT_DD)) {
				if (e1k_passed(dl) || hal_is_gone(hw))
					break;
				if (e1k_passed(resend) && (i == 0 || l->foreign != seen)) {
					if (lb_send(l, i) < 0)
						break;
					l->resent++;
					l->again[i] = true;
					seen = l->foreign;
					resend = e1k_deadline_ms(LB_RESEND_MS);
				}
				e1k_sleep_ns(20000u);
				continue;
			}
			rx = l->bufs + (size_t)(LB_NFRAMES + rxi) * LB_BUF;
			rlen = l->rxd[rxi].length;
			if (!lb_ours(l, rx, rlen, st) || lb_late_copy(l, i, rx, rlen)) {
				l->foreign++;
			} else {
				mine = true;
				lb_check(l, mode, i, rx, rlen, st, l->rxd[rxi].errors);
			}
			/* Give a descriptor back: the one at the tail, done with. */
			l->rxd[rdt] = (struct e1000_rx_desc){
				.buffer_addr = l->rx_iova + (uint64_t)rdt * LB_BUF };
			__sync_synchronize();
			rdt = (rdt + 1u) % LB_NDESC;
			hal_wr32(hw, E1000_RDT, rdt);
			rxi = (rxi + 1u) % LB_NDESC;
			if (mine)
				break;
		}
		if (!mine && !l->why[0]) {
			unsigned last = (l->txi + LB_NDESC - 1u) % LB_NDESC;

			snprintf(l->why, sizeof(l->why), "%s loopback: frame %u (%u bytes) did not "
			         "come back within %u ms (sent %s, TX descriptor %s)", mname, i, len,
			         E1K_SELFTEST_LB_WAIT_MS, l->again[i] ? "again" : "once",
			         (__atomic_load_n(&l->txd[last].status, __ATOMIC_ACQUIRE) &
			          E1000_TXD_STAT_DD) ? "done" : "not done");
			break;
		}
		if (!l->why[0])
			ok++;
	}
	/* Off before the rings are reused or freed. */
	hal_wr32(hw, E1000_RCTL, 0);
	hal_wr32(hw, E1000_TCTL, hal_rd32(hw, E1000_TCTL) & ~E1000_TCTL_EN);
	hal_flush(hw);
	e1k_sleep_ns(LB_STOP_NS);
	return ok;
}

/* PHY loopback (BMCR bit 14 through MDIC, 1000 Mb/s full duplex with
 * autonegotiation off, as Linux's e1000/e1000e ethtool test does on copper)
 * on both parts: QEMU's e1000 emulates only this one.  MAC loopback
 * (RCTL.LBM) too on the 82574L, which QEMU's e1000e emulates; not on the
 * 82540EM, where QEMU's e1000 ignores RCTL.LBM and the frames would leave on
 * the wire.  The PHY's control register is put back as it was (no
 * autonegotiation restart: the link stays as it was). */
static void test_loopback(struct e1k_adapter *ad, struct e1k_selftest_report *rep)
{
	static const uint32_t saved_regs[] = {
		E1000_RCTL, E1000_TCTL, E1000_RDBAL, E1000_RDBAH, E1000_RDLEN, E1000_RDH, E1000_RDT,
		E1000_TDBAL, E1000_TDBAH, E1000_TDLEN, E1000_TDH, E1000_TDT,
	};
	uint32_t saved[sizeof(saved_regs) / sizeof(saved_regs[0])];
	struct hal_dev *hw = ad->hw;
	struct lb l = { .ad = ad };
	uint64_t t0 = e1k_now_ns();
	unsigned phy_ok = 0, mac_ok = 0;
	bool mac = hw->mac == E1K_MAC_82574L;
	uint16_t bmcr = 0;
	int rc;

	rc = hal_dma_alloc(hw, LB_BUF_OFF + (size_t)(LB_NFRAMES + LB_NDESC) * LB_BUF, &l.dma);
	if (rc < 0) {
		result(rep, E1K_SELFTEST_LOOPBACK, false, t0, "no DMA memory for the test rings: %s",
		       strerror(-rc));
		return;
	}
	l.txd = l.dma.va;
	l.rxd = (struct e1000_rx_desc *)((uint8_t *)l.dma.va + LB_RING_BYTES);
	l.bufs = (uint8_t *)l.dma.va + LB_BUF_OFF;
	l.rx_iova = l.dma.iova + LB_BUF_OFF + (uint64_t)LB_NFRAMES * LB_BUF;
	for (unsigned i = 0; i < sizeof(saved_regs) / sizeof(saved_regs[0]); i++)
		saved[i] = hal_rd32(hw, saved_regs[i]);

	if ((rc = phy_read(hw, E1000_PHY_CTRL, &bmcr)) < 0 ||
	    (rc = phy_write(hw, E1000_PHY_CTRL, E1000_PHY_CTRL_LOOPBACK | E1000_PHY_CTRL_FULL_DUPLEX |
	                    E1000_PHY_CTRL_SPEED_1000)) < 0) {
		snprintf(l.why, sizeof(l.why), "PHY loopback: MDIC access to the PHY's control "
		         "register failed: %s", strerror(-rc));
	} else {
		phy_ok = lb_frames(&l, LB_PHY);
		if ((rc = phy_write(hw, E1000_PHY_CTRL, bmcr)) < 0 && !l.why[0])
			snprintf(l.why, sizeof(l.why), "PHY loopback: the PHY's control register "
			         "could not be put back: %s", strerror(-rc));
	}
	if (mac && !l.why[0])
		mac_ok = lb_frames(&l, LB_MAC);

	/* The ring registers back, then (the device stopped) the memory. */
	for (unsigned i = 0; i < sizeof(saved_regs) / sizeof(saved_regs[0]); i++)
		if (saved_regs[i] != E1000_RCTL && saved_regs[i] != E1000_TCTL)
			hal_wr32(hw, saved_regs[i], saved[i]);
	hal_wr32(hw, E1000_TCTL, saved[1]);
	hal_wr32(hw, E1000_RCTL, saved[0]);
	(void)hal_rd32(hw, E1000_ICR);   /* the test's TXDW/RXT0: masked, nobody else's */
	hal_flush(hw);
	hal_dma_free(hw, &l.dma);
	if (l.why[0])
		result(rep, E1K_SELFTEST_LOOPBACK, false, t0, "%s", l.why);
	else if (mac)
		result(rep, E1K_SELFTEST_LOOPBACK, true, t0, "%u frames of 60-1514 bytes through PHY "
		       "loopback and %u through MAC loopback, byte for byte (%u sent again, %u "
		       "others ignored)", phy_ok, mac_ok, l.resent, l.foreign);
	else
		result(rep, E1K_SELFTEST_LOOPBACK, true, t0, "%u frames of 60-1514 bytes through PHY "
		       "loopback, byte for byte (%u sent again, %u others ignored)", phy_ok,
		       l.resent, l.foreign);
}

/* ---- the whole test ---- */

int e1k_adapter_selftest(struct e1k_adapter *ad, bool offline, struct e1k_selftest_report *rep)
{
	enum e1k_state s;
	bool was_running;
	int rc = 0;

	memset(rep, 0, sizeof(*rep));
	rep->offline = offline;
	for (unsigned i = 0; i < E1K_SELFTEST_COUNT; i++)
		snprintf(rep->t[i].detail, sizeof(rep->t[i].detail), "offline only");
	s = e1k_adapter_state(ad);
	if (s != E1K_STATE_RUNNING && s != E1K_STATE_PAUSED)
		return -EPERM;
	was_running = s == E1K_STATE_RUNNING;
	if (offline && was_running && (rc = e1k_adapter_pause(ad)) < 0)
		return rc;

	pthread_mutex_lock(&ad->ctl_lock);
	s = e1k_pub_locked(ad)->state;
	if (!ad->hw || (s != E1K_STATE_PAUSED && (offline || s != E1K_STATE_RUNNING))) {
		rc = -EPERM;   /* a halt or another request got in between */
	} else if (hal_is_gone(ad->hw) || e1k_hw_reads_gone(ad->hw, hal_rd32(ad->hw, E1000_STATUS))) {
		rc = -ENODEV;
	} else {
		test_registers(ad, offline, rep);
		test_eeprom(ad, rep);
		if (offline) {
			test_interrupt(ad, rep);
			test_loopback(ad, rep);
		}
		if (hal_is_gone(ad->hw))
			rc = -ENODEV;
	}
	pthread_mutex_unlock(&ad->ctl_lock);

	if (offline && was_running) {
		int rr = e1k_adapter_restart(ad);

		if (rc == 0 && rr < 0)
			rc = rr;
	}
	rep->state_after = e1k_adapter_state(ad);
	return rc;
}
