/* SPDX-License-Identifier: MIT */
/*
 * sim_regs.c - the BAR0 register file of the model (SDM 13.4, 82574 10.2).
 *
 * All registers live in one 128 KiB word array under reg_lock.  An offset is
 * one of: a plain RW register (stored under a writable-bit mask), a register
 * with side effects (handled by name below), a statistics counter (read-to-
 * clear, writes ignored) or unknown (reads 0, writes ignored).  Accesses outside
 * the window or not 4-byte aligned are counted in mmio_bad and ignored (read 0).
 */
#include "sim_internal.h"

#include <string.h>

#include "mac.h"

static uint32_t icr_valid(const struct sim_dev *d)
{
	return sim_is_82574(d) ? E1000_ICR_VALID_82574 : E1000_ICR_VALID_8254X;
}

/* Writable bits of a plain RW register, or 0 when off is not one. */
static uint32_t rw_mask(const struct sim_dev *d, uint32_t off)
{
	if (off >= E1000_MTA && off < E1000_MTA + 4u * E1000_MTA_WORDS)
		return ~0u;
	if (off >= E1000_EITR(0) && off < E1000_EITR(E1000_82574_MSIX_VECTORS))
		return sim_is_82574(d) ? E1000_ITR_INTERVAL_MASK : 0u;
	if (off >= E1000_RAL(0) && off < E1000_RAL(E1000_RAR_ENTRIES))
		return (off & 4u) ? (E1000_RAH_AV | E1000_RAH_ASEL_MASK | E1000_RAH_ADDR_MASK) : ~0u;
	switch (off) {
	case E1000_CTRL_EXT:
	case E1000_FCAL:
	case E1000_RDBAH:
	case E1000_TDBAH:
	case E1000_RXDCTL:
	case E1000_TXDCTL:
	case E1000_RSRPD:
	case E1000_RXCSUM:
	case E1000_TIPG:
	case E1000_WUC:
	case E1000_WUFC:
		return ~0u;
	case E1000_FCAH:
	case E1000_FCT:
	case E1000_FCTTV:
		return E1000_RAH_ADDR_MASK;
	case E1000_ITR:
		return E1000_ITR_INTERVAL_MASK;
	case E1000_RDBAL:
	case E1000_TDBAL:
		return ~(E1000_RING_ALIGN - 1u);
	case E1000_RDLEN:
	case E1000_TDLEN:
		return E1000_RDLEN_FIELD_MASK;
	case E1000_RDH:
	case E1000_RDT:
	case E1000_TDH:
	case E1000_TDT:
		return E1000_RING_INDEX_MASK;
	case E1000_RDTR:
	case E1000_RADV:
	case E1000_TIDV:
	case E1000_TADV:
		return E1000_DELAY_MASK;
	case E1000_IAM:
		return sim_is_82574(d) ? ~0u : 0u;
	case E1000_IVAR:
		return sim_is_82574(d) ? E1000_IVAR_MASK_82574 : 0u;
	case E1000_EIAC:
		return sim_is_82574(d) ? E1000_EIAC_MASK_82574 : 0u;
	case E1000_RFCTL:
		return sim_is_82574(d) ? E1000_RFCTL_MASK_82574 : 0u;
	default:
		return 0u;
	}
}

static bool is_stat(uint32_t off)
{
	return off >= E1000_STATS_FIRST && off <= E1000_STATS_LAST;
}

/* High halves of the 64-bit octet counters: reading one clears the pair. */
static bool is_stat_hi(uint32_t off)
{
	return off == E1000_GORCH || off == E1000_GOTCH || off == E1000_TORH || off == E1000_TOTH;
}

static bool is_stat_lo(uint32_t off)
{
	return off == E1000_GORCL || off == E1000_GOTCL || off == E1000_TORL || off == E1000_TOTL;
}

void sim_stat_inc(struct sim_dev *d, uint32_t reg, uint32_t n)
{
	uint32_t v = sim_reg(d, reg);

	/* Statistics registers stick at their maximum (SDM 13.7). */
	sim_reg_set(d, reg, v > UINT32_MAX - n ? UINT32_MAX : v + n);
}

void sim_stat_add64(struct sim_dev *d, uint32_t reg_lo, uint64_t n)
{
	uint64_t v = ((uint64_t)sim_reg(d, reg_lo + 4u) << 32) | sim_reg(d, reg_lo);

	v += n;
	sim_reg_set(d, reg_lo, (uint32_t)v);
	sim_reg_set(d, reg_lo + 4u, (uint32_t)(v >> 32));
}

/* ---- EEPROM (SDM 5.6) ---- */

void sim_eeprom_init(struct sim_dev *d)
{
	uint16_t *w = d->eeprom;
	uint16_t sum = 0;

	memset(d->eeprom, 0, sizeof(d->eeprom));
	for (unsigned i = 0; i < 3; i++)
		w[E1000_EEPROM_MAC_WORD0 + i] =
			(uint16_t)(d->cfg.mac[2 * i] | (d->cfg.mac[2 * i + 1] << 8));
	w[E1000_EEPROM_INIT_CTRL1_WORD] = SIM_EEPROM_INIT_CTRL1;
	w[E1000_EEPROM_SUBSYS_ID_WORD] = d->hal.device_id;
	w[E1000_EEPROM_SUBSYS_VEND_WORD] = E1000_VENDOR_INTEL;
	w[E1000_EEPROM_DEVICE_ID_WORD] = d->hal.device_id;
	w[E1000_EEPROM_VENDOR_ID_WORD] = E1000_VENDOR_INTEL;
	for (unsigned i = 0; i < E1000_EEPROM_CHECKSUM_WORD; i++)
		sum = (uint16_t)(sum + w[i]);
	w[E1000_EEPROM_CHECKSUM_WORD] = (uint16_t)(E1000_EEPROM_SUM - sum);
}

static void eerd_write(struct sim_dev *d, uint32_t val)
{
	bool e574 = sim_is_82574(d);
	unsigned shift = e574 ? E1000_EERD_ADDR_SHIFT_82574 : E1000_EERD_ADDR_SHIFT_8254X;
	uint32_t mask = e574 ? E1000_EERD_ADDR_MASK_82574 : E1000_EERD_ADDR_MASK_8254X;
	uint32_t done = e574 ? E1000_EERD_DONE_82574 : E1000_EERD_DONE_8254X;
	uint32_t addr = (val >> shift) & mask;
	uint16_t data;

	if (!(val & E1000_EERD_START)) {
		sim_reg_set(d, E1000_EERD, val & ~done);
		return;
	}
	/* The read completes at once: DONE is set before the next register
	 * access can observe EERD.  Words past the array read as zero. */
	data = addr < E1000_EEPROM_WORDS ? d->eeprom[addr] : 0;
	if (d->bad_eeprom && addr == E1000_EEPROM_CHECKSUM_WORD)
		data ^= SIM_BAD_EEPROM_XOR;   /* fault: the image no longer sums to 0xBABA */
	sim_reg_set(d, E1000_EERD, ((uint32_t)data << E1000_EERD_DATA_SHIFT) | (addr << shift) | done);
}

/* ---- PHY behind MDIC (13.4.7) ---- */

static void phy_reset(struct sim_dev *d)
{
	uint32_t id = sim_is_82574(d) ? E1000_PHY_ID_BME1000 : E1000_PHY_ID_M88E1011;

	memset(d->phy, 0, sizeof(d->phy));
	d->phy[E1000_PHY_CTRL] = E1000_PHY_CTRL_DEFAULT;
	d->phy[E1000_PHY_ID1] = (uint16_t)(id >> 16);
	d->phy[E1000_PHY_ID2] = (uint16_t)id;
}

static uint16_t phy_read(const struct sim_dev *d, unsigned reg)
{
	if (reg == E1000_PHY_STATUS)
		return (uint16_t)(E1000_PHY_STATUS_CAPS |
		                  (d->link_down ? 0u : E1000_PHY_STATUS_LINK | E1000_PHY_STATUS_ANEG_DONE));
	return d->phy[reg];
}

static void phy_write(struct sim_dev *d, unsigned reg, uint16_t v)
{
	switch (reg) {
	case E1000_PHY_STATUS:
	case E1000_PHY_ID1:
	case E1000_PHY_ID2:
		return;   /* read-only */
	case E1000_PHY_CTRL:
		/* Reset and autoneg restart complete at once (self-clearing). */
		d->phy[reg] = (uint16_t)(v & ~(E1000_PHY_CTRL_RESET | E1000_PHY_CTRL_ANEG_RESTART));
		return;
	default:
		d->phy[reg] = v;
	}
}

static void mdic_write(struct sim_dev *d, uint32_t val, struct sim_sig *sig)
{
	unsigned phy = (val & E1000_MDIC_PHY_MASK) >> E1000_MDIC_PHY_SHIFT;
	unsigned reg = (val & E1000_MDIC_REG_MASK) >> E1000_MDIC_REG_SHIFT;
	uint32_t out = val & ~(E1000_MDIC_READY | E1000_MDIC_ERROR);

	if (phy != E1000_PHY_ADDR) {
		out |= E1000_MDIC_ERROR;
	} else if (val & E1000_MDIC_OP_READ) {
		out = (out & ~E1000_MDIC_DATA_MASK) | phy_read(d, reg);
	} else if (val & E1000_MDIC_OP_WRITE) {
		phy_write(d, reg, (uint16_t)(val & E1000_MDIC_DATA_MASK));
	}
	/* The MDI cycle completes at once. */
	sim_reg_set(d, E1000_MDIC, out | E1000_MDIC_READY);
	if (val & E1000_MDIC_INT_EN)
		sim_irq_raise_locked(d, E1000_ICR_MDAC, sig);
}

/* ---- reset and link ---- */

/* RAL0/RAH0 from the EEPROM MAC (SDM 13.4.27). */
static void load_rar0(struct sim_dev *d)
{
	const uint8_t *m = d->cfg.mac;

	sim_reg_set(d, E1000_RAL(0), e1k_mac_ral(m));
	sim_reg_set(d, E1000_RAH(0), e1k_mac_rah(m) | E1000_RAH_AV);
}

void sim_regs_reset_locked(struct sim_dev *d, struct sim_sig *sig)
{
	uint32_t old_pend = sim_reg(d, E1000_ICR) & sim_reg(d, E1000_IMS);

	memset(d->regs, 0, sizeof(d->regs));
	sim_reg_set(d, E1000_CTRL, E1000_CTRL_FD | E1000_CTRL_SLU);
	/* RAL0/RAH0 are loaded from the EEPROM at reset (SDM 13.4.27). */
	load_rar0(d);
	phy_reset(d);
	d->rx.bad = false;
	d->tx.bad = false;
	memset(&d->txcur, 0, sizeof(d->txcur));
	sim_tx_offload_reset_locked(d);
	sim_irq_reset_vectors_locked(d);
	sim_irq_update_locked(d, old_pend, sig);   /* ICR and IMS are 0: lines drop */
	sim_count(&d->st_resets, 1);
}

void sim_link_changed_locked(struct sim_dev *d, struct sim_sig *sig)
{
	sim_irq_raise_locked(d, E1000_ICR_LSC, sig);
	sig->kick = true;
}

/* ---- register access ---- */

static uint32_t status_value(const struct sim_dev *d)
{
	return E1000_STATUS_FD | E1000_STATUS_SPEED_1000 | (d->link_down ? 0u : E1000_STATUS_LU);
}

/* sim.h qemu_unread_regs: what QEMU does not read back (and, on the
 * 82540EM, does not store). */
static bool qemu_unread(const struct sim_dev *d, uint32_t off)
{
	if (!d->cfg.qemu_unread_regs)
		return false;
	switch (off) {
	case E1000_TIDV:
		return true;
	case E1000_FCAL: case E1000_FCAH: case E1000_FCT: case E1000_FCTTV: case E1000_TIPG:
		return !sim_is_82574(d);
	default:
		return false;
	}
}

static uint32_t read_locked(struct sim_dev *d, uint32_t off, struct sim_sig *sig)
{
	uint32_t v;

	if (qemu_unread(d, off))
		return 0;

	if (is_stat(off)) {
		v = sim_reg(d, off);
		if (is_stat_lo(off))
			return v;   /* cleared together with the high half */
		sim_reg_set(d, off, 0);
		if (is_stat_hi(off))
			sim_reg_set(d, off - 4u, 0);
		return v;
	}
	switch (off) {
	case E1000_STATUS:
		return status_value(d);
	case E1000_EECD:
		return sim_peek_locked(d, off);
	case E1000_ICR: {
		uint32_t icr = sim_reg(d, E1000_ICR);
		uint32_t old_pend = icr & sim_reg(d, E1000_IMS);

		v = icr;
		if (sim_is_82574(d) && old_pend)
			v |= E1000_ICR_INT_ASSERTED;
		/* Read-to-clear, except on the 82574 in MSI-X mode: there a read
		 * clears ICR only while IMS is 0, or with CTRL_EXT.IAME when an
		 * interrupt is asserted (the read then also masks IAM); otherwise
		 * causes stay until written back (W1C) or auto-cleared by EIAC as
		 * their message goes out (82574 10.2.4.x; QEMU's e1000e alike). */
		if (!sim_is_82574(d) || d->irq_mode != SIM_MODE_MSIX ||
		    sim_reg(d, E1000_IMS) == 0)
			sim_reg_set(d, E1000_ICR, 0);
		if (sim_is_82574(d) && (v & E1000_ICR_INT_ASSERTED) &&
		    (sim_reg(d, E1000_CTRL_EXT) & E1000_CTRL_EXT_IAME)) {
			sim_reg_set(d, E1000_ICR, 0);
			sim_reg_set(d, E1000_IMS, sim_reg(d, E1000_IMS) & ~sim_reg(d, E1000_IAM));
		}
		sim_irq_update_locked(d, old_pend, sig);
		return v;
	}
	case E1000_ICS:
	case E1000_IMC:
		return 0;   /* write-only */
	default:
		return sim_reg(d, off);   /* unknown offsets hold 0 */
	}
}

static void write_locked(struct sim_dev *d, uint32_t off, uint32_t val, struct sim_sig *sig)
{
	uint32_t old_pend = sim_reg(d, E1000_ICR) & sim_reg(d, E1000_IMS);
	uint32_t mask;

	/* Fault: the receive-address and multicast filters ignore writes. */
	if (d->stuck_filters &&
	    ((off >= E1000_MTA && off < E1000_MTA + 4u * E1000_MTA_WORDS) ||
	     (off >= E1000_RAL(0) && off < E1000_RAL(E1000_RAR_ENTRIES))))
		return;

	switch (off) {
	case E1000_CTRL:
		if ((val & E1000_CTRL_RST) && d->cfg.qemu_ctrl_rst) {
			/* QEMU 7.2: the bit self-clears, RAR0 reloads on the
			 * e1000e only, nothing else changes (see sim.h). */
			sim_reg_set(d, E1000_CTRL, val & ~E1000_CTRL_RST);
			if (sim_is_82574(d))
				load_rar0(d);
			sim_count(&d->st_resets, 1);
			return;
		}
		if (val & E1000_CTRL_RST) {
			sim_regs_reset_locked(d, sig);   /* RST self-clears */
			sig->kick = true;
			return;
		}
		sim_reg_set(d, E1000_CTRL, val);
		return;
	case E1000_STATUS:
		return;
	case E1000_EECD:
		sim_reg_set(d, E1000_EECD, val & (E1000_EECD_SK | E1000_EECD_CS |
		                                  E1000_EECD_DI | E1000_EECD_REQ));
		return;
	case E1000_EERD:
		eerd_write(d, val);
		return;
	case E1000_MDIC:
		mdic_write(d, val, sig);
		return;
	case E1000_ICR: {
		uint32_t clr = val;

		/* Write-one-to-clear; [82574] clearing OTHER clears its causes. */
		if (sim_is_82574(d) && (clr & E1000_ICR_OTHER))
			clr |= E1000_ICR_OTHER_CAUSES;
		sim_reg_set(d, E1000_ICR, sim_reg(d, E1000_ICR) & ~clr);
		sim_irq_update_locked(d, old_pend, sig);
		return;
	}
	case E1000_ICS:
		if (d->lost_irq) {
			/* Fault: the causes are recorded but no vector hears of them. */
			sim_reg_set(d, E1000_ICR, sim_reg(d, E1000_ICR) | (val & icr_valid(d)));
			return;
		}
		sim_irq_raise_locked(d, val, sig);
		return;
	case E1000_IMS:
		sim_reg_set(d, E1000_IMS, sim_reg(d, E1000_IMS) | (val & icr_valid(d)));
		sim_irq_update_locked(d, old_pend, sig);
		return;
	case E1000_IMC:
		sim_reg_set(d, E1000_IMS, sim_reg(d, E1000_IMS) & ~val);
		sim_irq_update_locked(d, old_pend, sig);
		return;
	case E1000_RCTL:
		if (d->cfg.qemu_rctl_hold_ms)
			d->rctl_hold_until = e1k_now_ns() + (uint64_t)d->cfg.qemu_rctl_hold_ms * 1000000u;
		/* fall through */
	case E1000_TCTL:
		sim_reg_set(d, off, val);
		sig->kick = true;
		return;
	case E1000_WUS:
		sim_reg_set(d, off, sim_reg(d, off) & ~val);
		return;
	default:
		break;
	}
	if (is_stat(off))
		return;
	mask = rw_mask(d, off);
	if (!mask || (qemu_unread(d, off) && !sim_is_82574(d)))
		return;   /* unknown or absent on this model: ignored */
	sim_reg_set(d, off, (sim_reg(d, off) & ~mask) | (val & mask));
	if (d->stuck_bit && off == SIM_STUCK_REG)
		sim_reg_set(d, off, sim_reg(d, off) & ~SIM_STUCK_BIT);   /* fault */
	switch (off) {
	case E1000_RDBAL: case E1000_RDBAH: case E1000_RDLEN: case E1000_RDH:
		d->rx.bad = false;   /* reprogrammed: try the ring again */
		break;
	case E1000_RDT:
		d->rx.bad = false;
		sig->kick = true;
		break;
	case E1000_TDBAL: case E1000_TDBAH: case E1000_TDLEN: case E1000_TDH:
		d->tx.bad = false;
		break;
	case E1000_TDT:
		d->tx.bad = false;
		d->tdt_writes++;
		sig->kick = true;
		break;
	default:
		break;
	}
}

uint32_t sim_peek_locked(const struct sim_dev *d, uint32_t off)
{
	uint32_t v;

	switch (off) {
	case E1000_STATUS:
		return status_value(d);
	case E1000_EECD:
		v = sim_reg(d, E1000_EECD) | E1000_EECD_PRES;
		return (v & E1000_EECD_REQ) ? v | E1000_EECD_GNT : v;
	case E1000_ICS:
	case E1000_IMC:
		return 0;
	default:
		return sim_reg(d, off);
	}
}

static bool mmio_ok(struct sim_dev *d, uint32_t reg)
{
	if (reg >= E1000_BAR0_SIZE || (reg & 3u)) {
		sim_count(&d->st_mmio_bad, 1);
		return false;
	}
	return true;
}

uint32_t sim_op_rd32(struct hal_dev *hw, uint32_t reg)
{
	struct sim_dev *d = sim_of(hw);
	struct sim_sig sig = { 0 };
	uint32_t v;

	/* A removed device answers every read with all ones (master abort). */
	if (atomic_load_explicit(&d->removed, memory_order_acquire))
		return ~0u;
	if (!mmio_ok(d, reg))
		return 0;
	pthread_mutex_lock(&d->reg_lock);
	/* Memory decoding off: the read is not claimed, so it also sees all ones. */
	v = d->mem_enabled ? read_locked(d, reg, &sig) : ~0u;
	pthread_mutex_unlock(&d->reg_lock);
	sim_irq_deliver(d, &sig);
	return v;
}

void sim_op_wr32(struct hal_dev *hw, uint32_t reg, uint32_t val)
{
	struct sim_dev *d = sim_of(hw);
	struct sim_sig sig = { 0 };

	if (atomic_load_explicit(&d->removed, memory_order_acquire))
		return;
	if (!mmio_ok(d, reg))
		return;
	pthread_mutex_lock(&d->reg_lock);
	if (d->mem_enabled)
		write_locked(d, reg, val, &sig);
	pthread_mutex_unlock(&d->reg_lock);
	sim_irq_deliver(d, &sig);
	if (sig.kick)
		sim_kick(d);
}
