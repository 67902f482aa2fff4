/* SPDX-License-Identifier: MIT */
/* diag.c - register and EEPROM dumps.  See diag.h. */
#include "diag.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "adapter_internal.h"
#include "hw.h"

const char e1k_diag_omitted[] =
	"ICR (reading clears the interrupt causes the ISR owns), the statistics "
	"0x04000-0x040fc (clear on read; see e1kctl stats), ICS and IMC (write-only) "
	"and the 128-word MTA (see e1kctl filter list) are not read";

/* Part-specific rows. */
#define ANY  0u
#define ONLY_82574 1u

static const struct {
	const char *name;
	uint32_t off;
	unsigned only;
} regs[] = {
	{ "CTRL", E1000_CTRL, ANY },     { "STATUS", E1000_STATUS, ANY },
	{ "EECD", E1000_EECD, ANY },     { "EERD", E1000_EERD, ANY },
	{ "CTRL_EXT", E1000_CTRL_EXT, ANY }, { "MDIC", E1000_MDIC, ANY },
	{ "FCAL", E1000_FCAL, ANY },     { "FCAH", E1000_FCAH, ANY },
	{ "FCT", E1000_FCT, ANY },       { "ITR", E1000_ITR, ANY },
	{ "IMS", E1000_IMS, ANY },       { "EIAC", E1000_EIAC, ONLY_82574 },
	{ "IAM", E1000_IAM, ONLY_82574 }, { "IVAR", E1000_IVAR, ONLY_82574 },
	{ "RCTL", E1000_RCTL, ANY },     { "FCTTV", E1000_FCTTV, ANY },
	{ "TCTL", E1000_TCTL, ANY },     { "TIPG", E1000_TIPG, ANY },
	{ "RDBAL", E1000_RDBAL, ANY },   { "RDBAH", E1000_RDBAH, ANY },
	{ "RDLEN", E1000_RDLEN, ANY },   { "RDH", E1000_RDH, ANY },
	{ "RDT", E1000_RDT, ANY },       { "RDTR", E1000_RDTR, ANY },
	{ "RXDCTL", E1000_RXDCTL, ANY }, { "RADV", E1000_RADV, ANY },
	{ "RSRPD", E1000_RSRPD, ANY },   { "TDBAL", E1000_TDBAL, ANY },
	{ "TDBAH", E1000_TDBAH, ANY },   { "TDLEN", E1000_TDLEN, ANY },
	{ "TDH", E1000_TDH, ANY },       { "TDT", E1000_TDT, ANY },
	{ "TIDV", E1000_TIDV, ANY },     { "TXDCTL", E1000_TXDCTL, ANY },
	{ "TADV", E1000_TADV, ANY },     { "RXCSUM", E1000_RXCSUM, ANY },
	{ "RFCTL", E1000_RFCTL, ONLY_82574 },
	/* RAL0..RAH15 follow (built below) */
	{ "WUC", E1000_WUC, ANY },       { "WUFC", E1000_WUFC, ANY },
	{ "WUS", E1000_WUS, ANY },
};

static const char *const ral_names[E1000_RAR_ENTRIES] = {
	"RAL0", "RAL1", "RAL2", "RAL3", "RAL4", "RAL5", "RAL6", "RAL7",
	"RAL8", "RAL9", "RAL10", "RAL11", "RAL12", "RAL13", "RAL14", "RAL15",
};
static const char *const rah_names[E1000_RAR_ENTRIES] = {
	"RAH0", "RAH1", "RAH2", "RAH3", "RAH4", "RAH5", "RAH6", "RAH7",
	"RAH8", "RAH9", "RAH10", "RAH11", "RAH12", "RAH13", "RAH14", "RAH15",
};

static void put(struct e1k_diag_reg *out, unsigned max, unsigned *n, const char *name,
                uint32_t off, struct hal_dev *hw)
{
	if (*n >= max)
		return;
	out[*n] = (struct e1k_diag_reg){ .name = name, .off = off, .value = hal_rd32(hw, off) };
	(*n)++;
}

unsigned e1k_diag_read_regs(struct hal_dev *hw, struct e1k_diag_reg *out, unsigned max)
{
	bool is82574 = hw->mac == E1K_MAC_82574L;
	unsigned n = 0;

	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
		if (regs[i].only == ONLY_82574 && !is82574)
			continue;
		/* The receive addresses sit between RXCSUM/RFCTL and WUC. */
		if (regs[i].off == E1000_WUC)
			for (unsigned r = 0; r < E1000_RAR_ENTRIES; r++) {
				put(out, max, &n, ral_names[r], E1000_RAL(r), hw);
				put(out, max, &n, rah_names[r], E1000_RAH(r), hw);
			}
		put(out, max, &n, regs[i].name, regs[i].off, hw);
	}
	return n;
}

/* ---- decoding ---- */

struct bits {
	char *buf;
	size_t len, at;
};

static void word(struct bits *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void word(struct bits *b, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (b->at >= b->len)
		return;
	if (b->at > 0 && b->at + 1 < b->len)
		b->buf[b->at++] = ' ';
	va_start(ap, fmt);
	k = vsnprintf(b->buf + b->at, b->len - b->at, fmt, ap);
	va_end(ap);
	if (k > 0)
		b->at = b->at + (size_t)k < b->len ? b->at + (size_t)k : b->len;
}

struct flag {
	uint32_t bit;
	const char *name;
};

static void flags(struct bits *b, uint32_t v, const struct flag *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v & f[i].bit)
			word(b, "%s", f[i].name);
}

#define FLAGS(b, v, tab) flags(b, v, tab, sizeof(tab) / sizeof(tab[0]))

static const struct flag causes[] = {
	{ E1000_ICR_TXDW, "TXDW" }, { E1000_ICR_TXQE, "TXQE" }, { E1000_ICR_LSC, "LSC" },
	{ E1000_ICR_RXSEQ, "RXSEQ" }, { E1000_ICR_RXDMT0, "RXDMT0" }, { E1000_ICR_RXO, "RXO" },
	{ E1000_ICR_RXT0, "RXT0" }, { E1000_ICR_MDAC, "MDAC" }, { E1000_ICR_TXD_LOW, "TXD_LOW" },
	{ E1000_ICR_SRPD, "SRPD" }, { E1000_ICR_RXQ0, "RXQ0" }, { E1000_ICR_RXQ1, "RXQ1" },
	{ E1000_ICR_TXQ0, "TXQ0" }, { E1000_ICR_TXQ1, "TXQ1" }, { E1000_ICR_OTHER, "OTHER" },
};

static void decode_ivar(struct bits *b, uint32_t v)
{
	static const struct {
		const char *name;
		unsigned shift;
	} e[] = {
		{ "RXQ0", E1000_IVAR_RXQ0_SHIFT }, { "RXQ1", E1000_IVAR_RXQ1_SHIFT },
		{ "TXQ0", E1000_IVAR_TXQ0_SHIFT }, { "TXQ1", E1000_IVAR_TXQ1_SHIFT },
		{ "OTHER", E1000_IVAR_OTHER_SHIFT },
	};

	for (size_t i = 0; i < sizeof(e) / sizeof(e[0]); i++) {
		uint32_t x = (v >> e[i].shift) & E1000_IVAR_ENTRY_MASK;

		if (x & E1000_IVAR_VALID)
			word(b, "%s->%u", e[i].name, (unsigned)(x & E1000_IVAR_VECTOR_MASK));
	}
	if (v & E1000_IVAR_INT_ON_ALL_WB)
		word(b, "INT_ON_ALL_WB");
}

static unsigned rx_bufsize(uint32_t rctl)
{
	unsigned sz = E1000_RXBUF_BASE >> ((rctl & E1000_RCTL_BSIZE_MASK) >> E1000_RCTL_BSIZE_SHIFT);

	return (rctl & E1000_RCTL_BSEX) ? sz * E1000_RCTL_BSEX_FACTOR : sz;
}

void e1k_diag_decode(enum e1k_mac_type mac, uint32_t off, uint32_t val, char *buf, size_t len)
{
	static const struct flag ctrl[] = {
		{ E1000_CTRL_FD, "FD" }, { E1000_CTRL_LRST, "LRST" }, { E1000_CTRL_ASDE, "ASDE" },
		{ E1000_CTRL_SLU, "SLU" }, { E1000_CTRL_ILOS, "ILOS" }, { E1000_CTRL_RST, "RST" },
		{ E1000_CTRL_VME, "VME" }, { E1000_CTRL_PHY_RST, "PHY_RST" },
	};
	static const struct flag status[] = {
		{ E1000_STATUS_FD, "FD" }, { E1000_STATUS_LU, "LU" }, { E1000_STATUS_TXOFF, "TXOFF" },
	};
	static const struct flag rctl[] = {
		{ E1000_RCTL_EN, "EN" }, { E1000_RCTL_SBP, "SBP" }, { E1000_RCTL_UPE, "UPE" },
		{ E1000_RCTL_MPE, "MPE" }, { E1000_RCTL_LPE, "LPE" }, { E1000_RCTL_BAM, "BAM" },
		{ E1000_RCTL_VFE, "VFE" }, { E1000_RCTL_SECRC, "SECRC" },
	};
	static const struct flag tctl[] = {
		{ E1000_TCTL_EN, "EN" }, { E1000_TCTL_PSP, "PSP" }, { E1000_TCTL_RTLC, "RTLC" },
	};
	static const struct flag rxcsum[] = {
		{ E1000_RXCSUM_IPOFL, "IPOFL" }, { E1000_RXCSUM_TUOFL, "TUOFL" },
	};
	static const struct flag eecd[] = {
		{ E1000_EECD_REQ, "REQ" }, { E1000_EECD_GNT, "GNT" }, { E1000_EECD_PRES, "PRES" },
	};
	static const struct flag mdic[] = {
		{ E1000_MDIC_READY, "READY" }, { E1000_MDIC_INT_EN, "INT_EN" },
		{ E1000_MDIC_ERROR, "ERROR" },
	};
	static const struct flag wuc[] = {
		{ E1000_WUC_APME, "APME" }, { E1000_WUC_PME_EN, "PME_EN" },
		{ E1000_WUC_PME_STATUS, "PME_STATUS" },
	};
	static const struct flag wufc[] = {
		{ E1000_WUFC_LNKC, "LNKC" }, { E1000_WUFC_MAG, "MAG" }, { E1000_WUFC_EX, "EX" },
		{ E1000_WUFC_MC, "MC" }, { E1000_WUFC_BC, "BC" },
	};
	static const char *const speed[] = { "10", "100", "1000", "1000" };
	struct bits b = { .buf = buf, .len = len };

	if (!len)
		return;
	buf[0] = '\0';
	if (off >= E1000_RAL(0) && off < E1000_RAL(E1000_RAR_ENTRIES)) {
		if ((off & 4u) && (val & E1000_RAH_AV))
			word(&b, "AV");
		return;
	}
	switch (off) {
	case E1000_CTRL:
		FLAGS(&b, val, ctrl);
		break;
	case E1000_STATUS:
		FLAGS(&b, val, status);
		word(&b, "SPEED=%s", speed[(val & E1000_STATUS_SPEED_MASK) >> E1000_STATUS_SPEED_SHIFT]);
		break;
	case E1000_EECD:
		FLAGS(&b, val, eecd);
		break;
	case E1000_CTRL_EXT:
		if (val & E1000_CTRL_EXT_IAME)
			word(&b, "IAME");
		break;
	case E1000_MDIC:
		FLAGS(&b, val, mdic);
		break;
	case E1000_ITR: {
		uint32_t ns = (val & E1000_ITR_INTERVAL_MASK) * E1000_ITR_UNIT_NS;

		if (ns)
			word(&b, "interval=%uns max=%u/s", (unsigned)ns, (unsigned)(1000000000u / ns));
		else
			word(&b, "off");
		break;
	}
	case E1000_IMS:
	case E1000_EIAC:
	case E1000_IAM:
		FLAGS(&b, val, causes);
		break;
	case E1000_IVAR:
		if (mac == E1K_MAC_82574L)
			decode_ivar(&b, val);
		break;
	case E1000_RCTL: {
		static const char *const lbm[] = { "none", "mac", "2", "3" };

		FLAGS(&b, val, rctl);
		if (val & E1000_RCTL_LBM_MASK)
			word(&b, "LBM=%s", lbm[(val & E1000_RCTL_LBM_MASK) >> 6]);
		word(&b, "BSIZE=%u", rx_bufsize(val));
		if (val & E1000_RCTL_MO_MASK)
			word(&b, "MO=%u", (unsigned)((val & E1000_RCTL_MO_MASK) >> E1000_RCTL_MO_SHIFT));
		break;
	}
	case E1000_TCTL:
		FLAGS(&b, val, tctl);
		word(&b, "CT=%u", (unsigned)((val >> E1000_TCTL_CT_SHIFT) & 0xffu));
		word(&b, "COLD=%u", (unsigned)((val >> E1000_TCTL_COLD_SHIFT) & 0x3ffu));
		break;
	case E1000_RDLEN:
	case E1000_TDLEN:
		word(&b, "%u descriptors", (unsigned)(val / sizeof(struct e1000_rx_desc)));
		break;
	case E1000_RXCSUM:
		FLAGS(&b, val, rxcsum);
		break;
	case E1000_RFCTL:
		if (val & E1000_RFCTL_EXSTEN)
			word(&b, "EXSTEN");
		break;
	case E1000_WUC:
		FLAGS(&b, val, wuc);
		break;
	case E1000_WUFC:
		FLAGS(&b, val, wufc);
		break;
	case E1000_RDTR:
	case E1000_RADV:
	case E1000_TIDV:
	case E1000_TADV:
		if (val & E1000_DELAY_MASK)
			word(&b, "%uus", (unsigned)((val & E1000_DELAY_MASK) * 1024u / 1000u));
		break;
	default:
		break;
	}
}

/* ---- EEPROM ---- */

int e1k_diag_read_eeprom(struct hal_dev *hw, uint16_t words[E1000_EEPROM_WORDS])
{
	for (unsigned i = 0; i < E1000_EEPROM_WORDS; i++) {
		int rc = e1k_hw_read_eeprom(hw, i, &words[i]);

		if (rc < 0)
			return rc;
	}
	return 0;
}

uint16_t e1k_diag_eeprom_sum(const uint16_t words[E1000_EEPROM_WORDS])
{
	uint16_t sum = 0;

	for (unsigned i = 0; i < E1000_EEPROM_WORDS; i++)
		sum = (uint16_t)(sum + words[i]);
	return sum;
}

/* ---- on an adapter ---- */

/* Holding ctl_lock: the device is there to read.  0, -EPERM, -ENODEV. */
static int device_ok(struct e1k_adapter *ad)
{
	switch (e1k_pub_locked(ad)->state) {
	case E1K_STATE_HALTED:
	case E1K_STATE_HALTING:
	case E1K_STATE_INITIALIZING:
		return -EPERM;
	default:
		break;
	}
	if (!ad->hw)
		return -EPERM;
	return hal_is_gone(ad->hw) ? -ENODEV : 0;
}

int e1k_adapter_dump_regs(struct e1k_adapter *ad, struct e1k_diag_reg *out, unsigned max,
                          unsigned *n)
{
	int rc;

	*n = 0;
	pthread_mutex_lock(&ad->ctl_lock);
	rc = device_ok(ad);
	if (rc == 0) {
		*n = e1k_diag_read_regs(ad->hw, out, max);
		/* All ones everywhere: the device went away while we read. */
		if (*n && e1k_check_removed(ad, out[0].value))
			rc = -ENODEV;
	}
	pthread_mutex_unlock(&ad->ctl_lock);
	return rc;
}

int e1k_adapter_dump_eeprom(struct e1k_adapter *ad, uint16_t words[E1000_EEPROM_WORDS])
{
	int rc;

	pthread_mutex_lock(&ad->ctl_lock);
	rc = device_ok(ad);
	if (rc == 0)
		rc = e1k_diag_read_eeprom(ad->hw, words);
	if (rc == -ENODEV)
		(void)e1k_check_removed(ad, E1000_REG_ALL_ONES);
	pthread_mutex_unlock(&ad->ctl_lock);
	return rc;
}
