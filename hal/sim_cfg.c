/* SPDX-License-Identifier: MIT */
/*
 * sim_cfg.c - the model's 256-byte PCI configuration space.
 *
 * 82540EM: PM capability only (conventional PCI; like QEMU's e1000 it offers
 * no MSI, which is why VFIO reports an MSI count of 0 for it).
 * 82574L:  PM -> MSI (64-bit) -> PCI Express (FLR) -> MSI-X (5 vectors, BAR3).
 *
 * Writable: command (I/O, memory, bus master, parity, SERR, INTx disable),
 * BAR0 (sizing works: 128 KiB), interrupt line, PMCSR (D0/D3hot, PME enable,
 * PME status W1C), the MSI address/data words.  The MSI and MSI-X enable bits
 * are read-only to the user and follow irq_set/irq_clear, as VFIO virtualises
 * them.  PMCSR.No_Soft_Reset is set: D3hot -> D0 keeps the device state.
 * Bus master off: every device DMA is refused (counted in dma_blocked) and no
 * MSI/MSI-X message is sent.  D3hot: no DMA and no interrupts at all.
 * Memory decoding off: BAR0 reads return all ones and writes are dropped.
 */
#include "sim_internal.h"

#include <errno.h>
#include <string.h>

static void put16(uint8_t *p, uint32_t off, uint32_t v)
{
	p[off] = (uint8_t)v;
	p[off + 1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t off, uint32_t v)
{
	put16(p, off, v & 0xffffu);
	put16(p, off + 2, v >> 16);
}

static uint32_t get16(const uint8_t *p, uint32_t off)
{
	return (uint32_t)p[off] | ((uint32_t)p[off + 1] << 8);
}

static void cap(struct sim_dev *d, uint8_t at, uint8_t id, uint8_t next)
{
	d->cfgsp[at] = id;
	d->cfgsp[at + PCI_CAP_NEXT] = next;
}

void sim_cfg_init(struct sim_dev *d)
{
	uint8_t *c = d->cfgsp, *w = d->cfg_wmask;
	bool e574 = sim_is_82574(d);

	memset(d->cfgsp, 0, sizeof(d->cfgsp));
	memset(d->cfg_wmask, 0, sizeof(d->cfg_wmask));
	memset(d->cfg_w1c, 0, sizeof(d->cfg_w1c));

	put16(c, PCI_CFG_VENDOR_ID, E1000_VENDOR_INTEL);
	put16(c, PCI_CFG_DEVICE_ID, d->hal.device_id);
	/* vfio-pci enables memory decoding when the device is opened; bus
	 * mastering is the driver's to turn on. */
	put16(c, PCI_CFG_COMMAND, PCI_CFG_CMD_MEMORY);
	put16(c, PCI_CFG_STATUS, PCI_CFG_STATUS_CAPLIST);
	c[PCI_CFG_SUBCLASS] = PCI_SUBCLASS_ETHERNET;
	c[PCI_CFG_CLASS] = PCI_CLASS_NETWORK;
	put32(c, PCI_CFG_BAR0, SIM_CFG_BAR0);
	put16(c, PCI_CFG_SUBSYS_VENDOR, E1000_VENDOR_INTEL);
	put16(c, PCI_CFG_SUBSYS_ID, d->hal.device_id);
	c[PCI_CFG_INT_PIN] = PCI_CFG_INT_PIN_INTA;

	put16(w, PCI_CFG_COMMAND, PCI_CFG_CMD_IO | PCI_CFG_CMD_MEMORY | PCI_CFG_CMD_MASTER |
	                          PCI_CFG_CMD_PARITY | PCI_CFG_CMD_SERR | PCI_CFG_CMD_INTX_DIS);
	put32(w, PCI_CFG_BAR0, PCI_CFG_BAR_ADDR_MASK & ~(E1000_BAR0_SIZE - 1u));
	w[PCI_CFG_INT_LINE] = 0xff;

	if (d->cfg.no_pm_cap) {
		d->pm_cap = 0;
		c[PCI_CFG_CAP_PTR] = e574 ? SIM_CAP_MSI_82574 : 0;
		if (!e574)
			put16(c, PCI_CFG_STATUS, 0);   /* no capability list at all */
	} else {
		d->pm_cap = e574 ? SIM_CAP_PM_82574 : SIM_CAP_PM_82540;
		c[PCI_CFG_CAP_PTR] = d->pm_cap;
		cap(d, d->pm_cap, PCI_CAP_ID_PM, e574 ? SIM_CAP_MSI_82574 : 0);
		put16(c, d->pm_cap + PCI_PM_CAPS, PCI_PM_CAPS_VERSION_1_2 | PCI_PM_CAPS_PME_D0_D3HOT);
		put16(c, d->pm_cap + PCI_PM_CTRL, PCI_PM_CTRL_NO_SOFT_RESET);
		put16(w, d->pm_cap + PCI_PM_CTRL, PCI_PM_CTRL_STATE_MASK | PCI_PM_CTRL_PME_ENABLE);
		put16(d->cfg_w1c, d->pm_cap + PCI_PM_CTRL, PCI_PM_CTRL_PME_STATUS);
	}

	if (e574) {
		d->msi_cap = SIM_CAP_MSI_82574;
		cap(d, d->msi_cap, PCI_CAP_ID_MSI, SIM_CAP_EXP_82574);
		put16(c, d->msi_cap + PCI_MSI_CTRL, PCI_MSI_CTRL_64BIT);
		for (uint32_t i = PCI_MSI_ADDR_LO; i < PCI_MSI_DATA_64 + 2u; i++)
			w[d->msi_cap + i] = 0xff;

		d->exp_cap = SIM_CAP_EXP_82574;
		cap(d, d->exp_cap, PCI_CAP_ID_EXP, SIM_CAP_MSIX_82574);
		put16(c, d->exp_cap + PCI_EXP_FLAGS, PCI_EXP_FLAGS_VERSION2);
		put32(c, d->exp_cap + PCI_EXP_DEVCAP, PCI_EXP_DEVCAP_FLR);

		d->msix_cap = SIM_CAP_MSIX_82574;
		cap(d, d->msix_cap, PCI_CAP_ID_MSIX, 0);
		put16(c, d->msix_cap + PCI_MSIX_CTRL, (E1000_82574_MSIX_VECTORS - 1u) & PCI_MSIX_CTRL_QSIZE);
		put32(c, d->msix_cap + PCI_MSIX_TABLE, E1000_82574_MSIX_BIR);
		put32(c, d->msix_cap + PCI_MSIX_PBA, E1000_82574_MSIX_PBA_OFFSET | E1000_82574_MSIX_BIR);
	}
	d->bus_master = false;
	d->mem_enabled = true;
	d->d3hot = false;
}

void sim_cfg_set_irq_enable_locked(struct sim_dev *d, enum sim_irq_mode mode)
{
	if (d->msi_cap) {
		uint32_t v = get16(d->cfgsp, d->msi_cap + PCI_MSI_CTRL) & ~PCI_MSI_CTRL_ENABLE;

		put16(d->cfgsp, d->msi_cap + PCI_MSI_CTRL, v | (mode == SIM_MODE_MSI ? PCI_MSI_CTRL_ENABLE : 0u));
	}
	if (d->msix_cap) {
		uint32_t v = get16(d->cfgsp, d->msix_cap + PCI_MSIX_CTRL) & ~PCI_MSIX_CTRL_ENABLE;

		put16(d->cfgsp, d->msix_cap + PCI_MSIX_CTRL, v | (mode == SIM_MODE_MSIX ? PCI_MSIX_CTRL_ENABLE : 0u));
	}
}

static bool range_ok(uint32_t off, const void *buf, size_t len)
{
	return buf && len > 0 && off < PCI_CFG_SIZE && len <= PCI_CFG_SIZE - off;
}

int sim_op_cfg_read(struct hal_dev *hw, uint32_t off, void *buf, size_t len)
{
	struct sim_dev *d = sim_of(hw);

	if (!range_ok(off, buf, len))
		return -EINVAL;
	if (atomic_load_explicit(&d->removed, memory_order_acquire)) {
		memset(buf, 0xff, len);   /* what a read of a vanished function sees */
		return -ENODEV;
	}
	pthread_mutex_lock(&d->reg_lock);
	memcpy(buf, d->cfgsp + off, len);
	pthread_mutex_unlock(&d->reg_lock);
	return 0;
}

int sim_op_cfg_write(struct hal_dev *hw, uint32_t off, const void *buf, size_t len)
{
	struct sim_dev *d = sim_of(hw);
	const uint8_t *src = buf;
	struct sim_sig sig = { 0 };
	bool was_quiet_or_off, wake;
	uint32_t pmcsr_off, old_state, state, cmd;

	if (!range_ok(off, buf, len))
		return -EINVAL;
	if (atomic_load_explicit(&d->removed, memory_order_acquire))
		return -ENODEV;
	pthread_mutex_lock(&d->reg_lock);
	pmcsr_off = d->pm_cap + PCI_PM_CTRL;
	old_state = d->pm_cap ? get16(d->cfgsp, pmcsr_off) & PCI_PM_CTRL_STATE_MASK : PCI_PM_STATE_D0;
	was_quiet_or_off = sim_quiet_locked(d) || !d->bus_master;
	for (size_t i = 0; i < len; i++) {
		uint32_t at = off + (uint32_t)i;
		uint8_t wm = d->cfg_wmask[at], w1c = d->cfg_w1c[at];
		uint8_t v = (uint8_t)((d->cfgsp[at] & ~wm) | (src[i] & wm));

		d->cfgsp[at] = (uint8_t)(v & ~(src[i] & w1c));
	}
	/* PM 1.2: a write of an unsupported state (D1/D2 here) is ignored. */
	state = d->pm_cap ? get16(d->cfgsp, pmcsr_off) & PCI_PM_CTRL_STATE_MASK : PCI_PM_STATE_D0;
	if (state != PCI_PM_STATE_D0 && state != PCI_PM_STATE_D3HOT) {
		put16(d->cfgsp, pmcsr_off,
		      (get16(d->cfgsp, pmcsr_off) & ~PCI_PM_CTRL_STATE_MASK) | old_state);
		state = old_state;
	}
	cmd = get16(d->cfgsp, PCI_CFG_COMMAND);
	d->bus_master = (cmd & PCI_CFG_CMD_MASTER) != 0;
	d->mem_enabled = (cmd & PCI_CFG_CMD_MEMORY) != 0;
	d->d3hot = state == PCI_PM_STATE_D3HOT;
	wake = was_quiet_or_off && !sim_quiet_locked(d) && d->bus_master;
	if (wake || sim_quiet_locked(d))
		sim_irq_update_locked(d, 0, &sig);   /* pending causes count as new */
	pthread_mutex_unlock(&d->reg_lock);
	sim_irq_deliver(d, &sig);
	if (wake || sig.kick)
		sim_kick(d);
	return 0;
}
