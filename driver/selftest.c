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

static void test_registers(struct e1k_adapter *ad, bool offline, struct e1k_selftest_report *rep)
{
	struct st_reg r[ST_MAX_REGS];
	struct hal_dev *hw = ad->hw;
	uint64_t t0 = e1k_now_ns();
	unsigned n = reg_set(ad, offline, r);
	bool bad = false;
	char name[16];
	uint32_t bad_off = 0, wrote = 0, got = 0, mask = 0;

	for (unsigned i = 0; i < n; i++)
		r[i].saved = hal_rd32(hw, r[i].off);
	for (unsigned i = 0; i < n && !bad; i++)
		for (size_t p = 0; p < sizeof(patterns) / sizeof(patterns[0]) && !bad; p++) {
			uint32_t want = patterns[p] & r[i].mask, v;

			hal_wr32(hw, r[i].off, want);
			v = hal_rd32(hw, r[i].off);
			if ((v & r[i].mask) != want) {
				bad = true;
				bad_off = r[i].off;
				wrote = want;
				got = v;
				mask = r[i].mask;
			}
		}
	for (unsigned i = 0; i < n; i++)
		hal_wr32(hw, r[i].off, r[i].saved);
	hal_flush(hw);
	if (!bad) {
		result(rep, E1K_SELFTEST_REGISTERS, true, t0, "%u registers, %zu patterns each", n,
		       sizeof(patterns) / sizeof(patterns[0]));
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
	unsigned tested = 0;
	char why[E1K_SELFTEST_DETAIL_LEN] = "";

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
		 * (bounded) before the cause is set. */
		hal_wr32(hw, E1000_IMC, E1000_IMS_ALL);
		hal_flush(hw);
		dl = e1k_deadline_ms(E1K_SELFTEST_IRQ_WAIT_MS);
		do {
			runs = atomic_load(&ad->isr.runs);
			e1k_sleep_ns(2000000u);
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

/* ---- MAC loopback test ---- */

#define LB_NDESC   16u
#define LB_BUF     2048u
#define LB_RING_BYTES (LB_NDESC * sizeof(struct e1000_tx_desc))
#define LB_BUF_OFF 4096u   /* buffers after the two rings */
#define LB_ETHERTYPE 0x88b5u   /* IEEE 802 local experimental */
#define LB_STOP_NS 1000000u    /* after RX/TX off, before the memory goes */

static const uint16_t lb_sizes[] = { 60, 64, 128, 256, 512, 1024, 1500, 1514 };

static void lb_frame(const uint8_t mac[6], unsigned i, uint8_t *f, unsigned len)
{
	memcpy(f, mac, 6);
	memcpy(f + 6, mac, 6);
	f[12] = (uint8_t)(LB_ETHERTYPE >> 8);
	f[13] = (uint8_t)LB_ETHERTYPE;
	for (unsigned j = E1000_ETH_HLEN; j < len; j++)
		f[j] = (uint8_t)(i * 31u + j * 7u + 0x5au);
}

static void test_loopback(struct e1k_adapter *ad, struct e1k_selftest_report *rep)
{
	static const uint32_t saved_regs[] = {
		E1000_RCTL, E1000_TCTL, E1000_RDBAL, E1000_RDBAH, E1000_RDLEN, E1000_RDH, E1000_RDT,
		E1000_TDBAL, E1000_TDBAH, E1000_TDLEN, E1000_TDH, E1000_TDT,
	};
	uint32_t saved[sizeof(saved_regs) / sizeof(saved_regs[0])];
	struct hal_dev *hw = ad->hw;
	struct hal_dma dma;
	struct e1000_tx_desc *txd;
	struct e1000_rx_desc *rxd;
	uint8_t *bufs;
	uint64_t t0 = e1k_now_ns(), rx_iova;
	char why[E1K_SELFTEST_DETAIL_LEN] = "";
	unsigned nframes = sizeof(lb_sizes) / sizeof(lb_sizes[0]), ok = 0;
	int rc;

	rc = hal_dma_alloc(hw, LB_BUF_OFF + (size_t)(nframes + LB_NDESC) * LB_BUF, &dma);
	if (rc < 0) {
		result(rep, E1K_SELFTEST_LOOPBACK, false, t0, "no DMA memory for the test rings: %s",
		       strerror(-rc));
		return;
	}
	txd = dma.va;
	rxd = (struct e1000_rx_desc *)((uint8_t *)dma.va + LB_RING_BYTES);
	bufs = (uint8_t *)dma.va + LB_BUF_OFF;
	rx_iova = dma.iova + LB_BUF_OFF + (uint64_t)nframes * LB_BUF;
	for (unsigned i = 0; i < sizeof(saved_regs) / sizeof(saved_regs[0]); i++)
		saved[i] = hal_rd32(hw, saved_regs[i]);
	for (unsigned i = 0; i < LB_NDESC; i++)
		rxd[i] = (struct e1000_rx_desc){ .buffer_addr = rx_iova + (uint64_t)i * LB_BUF };

	hal_wr32(hw, E1000_TDBAL, (uint32_t)dma.iova);
	hal_wr32(hw, E1000_TDBAH, (uint32_t)(dma.iova >> 32));
	hal_wr32(hw, E1000_TDLEN, (uint32_t)LB_RING_BYTES);
	hal_wr32(hw, E1000_TDH, 0);
	hal_wr32(hw, E1000_TDT, 0);
	hal_wr32(hw, E1000_RDBAL, (uint32_t)(dma.iova + LB_RING_BYTES));
	hal_wr32(hw, E1000_RDBAH, (uint32_t)((dma.iova + LB_RING_BYTES) >> 32));
	hal_wr32(hw, E1000_RDLEN, (uint32_t)LB_RING_BYTES);
	hal_wr32(hw, E1000_RDH, 0);
	hal_wr32(hw, E1000_RDT, LB_NDESC - 1u);
	/* Promiscuous: the test is about the data path, not the filters. */
	hal_wr32(hw, E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_LBM_MAC | E1000_RCTL_UPE |
	         E1000_RCTL_MPE | E1000_RCTL_BAM | E1000_RCTL_SECRC | E1000_RCTL_BSIZE_2048);
	hal_wr32(hw, E1000_TCTL, saved[1] | E1000_TCTL_EN);

	for (unsigned i = 0; i < nframes && !why[0]; i++) {
		uint8_t *tx = bufs + (size_t)i * LB_BUF, *rx = bufs + (size_t)(nframes + i) * LB_BUF;
		unsigned len = lb_sizes[i];
		uint64_t dl;
		uint8_t st;

		lb_frame(ad->mac, i, tx, len);
		txd[i] = (struct e1000_tx_desc){
			.buffer_addr = dma.iova + LB_BUF_OFF + (uint64_t)i * LB_BUF,
			.length = (uint16_t)len,
			.cmd = E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS | E1000_TXD_CMD_RS,
		};
		/* The descriptor is in memory before the tail moves.  A full
		 * barrier: GCC refuses a lone fence under TSan here, and a
		 * self-test frame can afford it. */
		__sync_synchronize();
		hal_wr32(hw, E1000_TDT, i + 1u);
		dl = e1k_deadline_ms(E1K_SELFTEST_LB_WAIT_MS);
		while (!((st = __atomic_load_n(&rxd[i].status, __ATOMIC_ACQUIRE)) & E1000_RXD_STAT_DD) &&
		       !e1k_passed(dl) && !hal_is_gone(hw))
			e1k_sleep_ns(20000u);
		if (!(st & E1000_RXD_STAT_DD)) {
			snprintf(why, sizeof(why), "frame %u (%u bytes) did not come back within %u ms "
			         "(TX descriptor %s)", i, len, E1K_SELFTEST_LB_WAIT_MS,
			         (__atomic_load_n(&txd[i].status, __ATOMIC_ACQUIRE) & E1000_TXD_STAT_DD)
			         ? "done" : "not done");
			break;
		}
		if (!(st & E1000_RXD_STAT_EOP) || rxd[i].length != len || rxd[i].errors) {
			snprintf(why, sizeof(why), "frame %u: came back with %u bytes (sent %u), "
			         "status 0x%02x, errors 0x%02x", i, (unsigned)rxd[i].length, len,
			         (unsigned)st, (unsigned)rxd[i].errors);
			break;
		}
		for (unsigned j = 0; j < len; j++)
			if (rx[j] != tx[j]) {
				snprintf(why, sizeof(why), "frame %u (%u bytes): byte %u came back as "
				         "0x%02x, sent 0x%02x", i, len, j, (unsigned)rx[j], (unsigned)tx[j]);
				break;
			}
		if (!why[0])
			ok++;
	}
	/* Off, then the ring registers back, then (the device stopped) the memory. */
	hal_wr32(hw, E1000_RCTL, saved[0] & ~E1000_RCTL_EN);
	hal_wr32(hw, E1000_TCTL, saved[1] & ~E1000_TCTL_EN);
	hal_flush(hw);
	e1k_sleep_ns(LB_STOP_NS);
	for (unsigned i = 0; i < sizeof(saved_regs) / sizeof(saved_regs[0]); i++)
		hal_wr32(hw, saved_regs[i], saved[i]);
	(void)hal_rd32(hw, E1000_ICR);   /* the test's TXDW/RXT0: masked, nobody else's */
	hal_flush(hw);
	hal_dma_free(hw, &dma);
	if (why[0])
		result(rep, E1K_SELFTEST_LOOPBACK, false, t0, "%s", why);
	else
		result(rep, E1K_SELFTEST_LOOPBACK, true, t0, "%u frames of 60-1514 bytes through "
		       "MAC loopback, byte for byte", ok);
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
