/* SPDX-License-Identifier: MIT */
/* hw.c - the e1000 hardware layer.  See hw.h. */
#include "hw.h"

#include <errno.h>
#include <string.h>

#include "adapter.h"
#include "clock.h"
#include "mac.h"

bool e1k_hw_reads_gone(struct hal_dev *hw, uint32_t val)
{
	/* All ones from a device that was present: PCIe completion timeout or a
	 * removed device (Linux e1000e does the same check on its reads).  Confirm
	 * with STATUS: a real register of all ones is impossible there. */
	if (val != 0xffffffffu)
		return hal_is_gone(hw);
	return hal_is_gone(hw) || hal_rd32(hw, E1000_STATUS) == 0xffffffffu;
}

/* Poll reg until (value & bit) == want, bounded by timeout_us. */
static int poll_bit(struct hal_dev *hw, uint32_t reg, uint32_t bit, bool want, unsigned timeout_us,
                    uint32_t *last)
{
	uint64_t deadline = e1k_deadline_us(timeout_us);

	for (;;) {
		uint32_t v = hal_rd32(hw, reg);

		if (e1k_hw_reads_gone(hw, v))
			return -ENODEV;
		if (!!(v & bit) == want) {
			if (last)
				*last = v;
			return 0;
		}
		/* Checked after the read: a bound of 0 still reads once. */
		if (e1k_passed(deadline))
			return -ETIMEDOUT;
		e1k_sleep_ns(E1K_HW_POLL_NS);
	}
}

int e1k_hw_reset(struct hal_dev *hw, unsigned timeout_us)
{
	int rc;

	/* Mask first so the reset cannot leave a screaming interrupt behind
	 * (SDM 14.5: "mask all interrupts before resetting"). */
	hal_wr32(hw, E1000_IMC, E1000_IMS_ALL);
	hal_wr32(hw, E1000_RCTL, 0);
	hal_wr32(hw, E1000_TCTL, 0);
	hal_flush(hw);
	hal_wr32(hw, E1000_CTRL, hal_rd32(hw, E1000_CTRL) | E1000_CTRL_RST);
	/* RST self-clears; QEMU's e1000 clears it at once without resetting,
	 * which is why the driver programs every register it relies on. */
	rc = poll_bit(hw, E1000_CTRL, E1000_CTRL_RST, false, timeout_us, NULL);
	if (rc < 0)
		return rc;
	hal_wr32(hw, E1000_IMC, E1000_IMS_ALL);
	(void)hal_rd32(hw, E1000_ICR);
	return 0;
}

void e1k_hw_disarm(struct hal_dev *hw)
{
	hal_wr32(hw, E1000_RCTL, 0);
	hal_wr32(hw, E1000_TCTL, 0);
	hal_wr32(hw, E1000_IMC, E1000_IMS_ALL);
	hal_wr32(hw, E1000_RDLEN, 0);
	hal_wr32(hw, E1000_TDLEN, 0);
}

int e1k_hw_read_eeprom(struct hal_dev *hw, unsigned word, uint16_t *out)
{
	bool is82574 = hw->mac == E1K_MAC_82574L;
	uint32_t done = is82574 ? E1000_EERD_DONE_82574 : E1000_EERD_DONE_8254X;
	unsigned shift = is82574 ? E1000_EERD_ADDR_SHIFT_82574 : E1000_EERD_ADDR_SHIFT_8254X;
	uint32_t v;
	int rc;

	hal_wr32(hw, E1000_EERD, (word << shift) | E1000_EERD_START);
	rc = poll_bit(hw, E1000_EERD, done, true, E1K_HW_EEPROM_US, &v);
	if (rc == 0)
		*out = (uint16_t)(v >> E1000_EERD_DATA_SHIFT);
	return rc;
}

int e1k_hw_read_mac(struct hal_dev *hw, uint8_t mac[6])
{
	uint16_t w[3];
	int rc = 0;

	for (unsigned i = 0; i < 3 && rc == 0; i++)
		rc = e1k_hw_read_eeprom(hw, E1000_EEPROM_MAC_WORD0 + i, &w[i]);
	if (rc == 0) {
		for (unsigned i = 0; i < 3; i++) {
			mac[2 * i] = (uint8_t)w[i];
			mac[2 * i + 1] = (uint8_t)(w[i] >> 8);
		}
	}
	if (rc < 0 || !e1k_mac_is_valid_unicast(mac))
		/* Fall back to what firmware left in RAR 0. */
		e1k_mac_from_rar(hal_rd32(hw, E1000_RAL(0)), hal_rd32(hw, E1000_RAH(0)), mac);
	return e1k_mac_is_valid_unicast(mac) ? 0 : -EIO;
}

void e1k_hw_link_up(struct hal_dev *hw)
{
	hal_wr32(hw, E1000_CTRL, (hal_rd32(hw, E1000_CTRL) & ~(E1000_CTRL_LRST | E1000_CTRL_ILOS |
	                          E1000_CTRL_PHY_RST | E1000_CTRL_VME)) |
	                          E1000_CTRL_ASDE | E1000_CTRL_SLU | E1000_CTRL_FD);
}

unsigned e1k_hw_offloads(const struct hal_dev *hw)
{
	unsigned o = E1K_OFFLOAD_TX_CSUM | E1K_OFFLOAD_TSO4 | E1K_OFFLOAD_RX_CSUM;

	return hw->mac == E1K_MAC_82574L ? o | E1K_OFFLOAD_TSO6 : o;
}

unsigned e1k_hw_max_mtu(const struct hal_dev *hw)
{
	unsigned frame = hw->mac == E1K_MAC_82574L ? E1000_82574_JUMBO_FRAME_MAX : E1000_JUMBO_FRAME_MAX;

	return frame - E1000_ETH_HLEN - E1000_ETH_FCS_LEN;
}

void e1k_hw_setup(struct hal_dev *hw, const struct e1k_hw_setup *s)
{
	hal_wr32(hw, E1000_TIPG, E1000_TIPG_DEFAULT);
	hal_wr32(hw, E1000_TCTL, E1000_TCTL_PSP |
	         (E1000_TCTL_CT_DEFAULT << E1000_TCTL_CT_SHIFT) |
	         (E1000_TCTL_COLD_FD << E1000_TCTL_COLD_SHIFT));
	hal_wr32(hw, E1000_RCTL, 0);
	/* Legacy RX descriptors, checksum offload only as asked, whatever ran before:
	 * Linux's e1000e leaves RFCTL.EXSTEN (extended write-backs, which the
	 * legacy ring never sees as done) and both Linux drivers RXCSUM, and on
	 * QEMU 7.2 CTRL.RST clears neither (see e1k_hw_reset). */
	hal_wr32(hw, E1000_RXCSUM, s->rx_csum ? E1000_RXCSUM_IPOFL | E1000_RXCSUM_TUOFL : 0);
	if (hw->mac == E1K_MAC_82574L)
		hal_wr32(hw, E1000_RFCTL, 0);
	e1k_hw_set_itr(hw, s->itr_ns);
	hal_wr32(hw, E1000_RDTR, s->rx_delay_us);
	hal_wr32(hw, E1000_RADV, s->rx_abs_delay_us);
	hal_wr32(hw, E1000_TIDV, 0);
	hal_wr32(hw, E1000_TADV, 0);
	hal_wr32(hw, E1000_RAL(0), e1k_mac_ral(s->mac));
	hal_wr32(hw, E1000_RAH(0), e1k_mac_rah(s->mac) | E1000_RAH_AV);
}

void e1k_hw_set_itr(struct hal_dev *hw, unsigned ns)
{
	uint32_t units = ns / E1000_ITR_UNIT_NS;

	hal_wr32(hw, E1000_ITR, units);
	/* The 82574L throttles each MSI-X vector by its own EITR and ignores
	 * ITR while MSI-X is on; written in every mode, so that the mode
	 * chosen later finds it set.  (QEMU's e1000e raises a non-zero
	 * interval below 128 us to 128 us.) */
	if (hw->mac == E1K_MAC_82574L)
		for (unsigned v = 0; v < E1000_82574_MSIX_VECTORS; v++)
			hal_wr32(hw, E1000_EITR(v), units);
}

void e1k_hw_route_vectors(struct hal_dev *hw, bool msix)
{
	if (msix) {
		/* The rig found MSI-X silent without IVAR programmed.  Not
		 * INT_ON_ALL_WB: TX status is wanted only where RS is set (once
		 * per batch), and QEMU's e1000e writes DD back on every
		 * descriptor with it. */
		hal_wr32(hw, E1000_IVAR,
		         ((E1000_IVAR_VALID | 0u) << E1000_IVAR_RXQ0_SHIFT) |
		         ((E1000_IVAR_VALID | 1u) << E1000_IVAR_TXQ0_SHIFT) |
		         ((E1000_IVAR_VALID | 2u) << E1000_IVAR_OTHER_SHIFT));
	} else if (hw->mac == E1K_MAC_82574L) {
		/* No routing; and no INT_ON_ALL_WB left by a previous driver. */
		hal_wr32(hw, E1000_IVAR, 0);
	}
}

/* SDM 13.4.22 / 13.5.1: with RCTL.MO = 0 the MTA index is bits 47:36. */
static unsigned mta_hash(const uint8_t mac[6])
{
	return (((unsigned)mac[4] >> 4) | ((unsigned)mac[5] << 4)) & 0xfffu;
}

static void mta_of(const struct e1k_hw_filters *f, uint32_t mta[E1000_MTA_WORDS])
{
	memset(mta, 0, E1000_MTA_WORDS * sizeof(mta[0]));
	for (unsigned i = 0; i < f->nmc; i++) {
		unsigned h = mta_hash(f->mc[i]);

		mta[h >> 5] |= 1u << (h & 31);
	}
}

void e1k_hw_write_filters(struct hal_dev *hw, const struct e1k_hw_filters *f)
{
	uint32_t mta[E1000_MTA_WORDS];
	uint32_t rctl;

	for (unsigned i = 0; i + 1 < E1000_RAR_ENTRIES; i++) {
		if (i < f->nuc) {
			hal_wr32(hw, E1000_RAL(i + 1), e1k_mac_ral(f->uc[i]));
			hal_wr32(hw, E1000_RAH(i + 1), e1k_mac_rah(f->uc[i]) | E1000_RAH_AV);
		} else {
			/* Clear AV first so the filter is never half-written. */
			hal_wr32(hw, E1000_RAH(i + 1), 0);
			hal_wr32(hw, E1000_RAL(i + 1), 0);
		}
	}
	mta_of(f, mta);
	for (unsigned i = 0; i < E1000_MTA_WORDS; i++)
		hal_wr32(hw, E1000_MTA + 4 * i, mta[i]);

	rctl = hal_rd32(hw, E1000_RCTL);
	rctl &= ~(E1000_RCTL_UPE | E1000_RCTL_MPE | E1000_RCTL_MO_MASK | E1000_RCTL_BSIZE_MASK |
	          E1000_RCTL_BSEX | E1000_RCTL_LPE | E1000_RCTL_LBM_MASK);
	rctl |= E1000_RCTL_BAM | E1000_RCTL_BSIZE_2048 | E1000_RCTL_SECRC;
	if (f->promisc)
		rctl |= E1000_RCTL_UPE | E1000_RCTL_MPE;
	if (f->rx_enable)
		rctl |= E1000_RCTL_EN;
	if (f->long_frames)
		rctl |= E1000_RCTL_LPE;
	hal_wr32(hw, E1000_RCTL, rctl);
}

bool e1k_hw_filters_stuck(struct hal_dev *hw, const struct e1k_hw_filters *f)
{
	uint32_t mta[E1000_MTA_WORDS];

	for (unsigned i = 0; i < f->nuc; i++)
		if (hal_rd32(hw, E1000_RAL(i + 1)) != e1k_mac_ral(f->uc[i]) ||
		    hal_rd32(hw, E1000_RAH(i + 1)) != (e1k_mac_rah(f->uc[i]) | E1000_RAH_AV))
			return true;
	mta_of(f, mta);
	for (unsigned i = 0; i < E1000_MTA_WORDS; i++)
		if (hal_rd32(hw, E1000_MTA + 4 * i) != mta[i])
			return true;
	return false;
}

void e1k_hw_irq_enable(struct hal_dev *hw, uint32_t causes)
{
	hal_wr32(hw, E1000_IMS, causes);
}

void e1k_hw_irq_mask(struct hal_dev *hw)
{
	hal_wr32(hw, E1000_IMC, E1000_IMS_ALL);
	hal_flush(hw);
}

void e1k_hw_stop_rx_tx(struct hal_dev *hw)
{
	hal_wr32(hw, E1000_RCTL, hal_rd32(hw, E1000_RCTL) & ~E1000_RCTL_EN);
	hal_wr32(hw, E1000_TCTL, hal_rd32(hw, E1000_TCTL) & ~E1000_TCTL_EN);
	hal_flush(hw);
}

void e1k_hw_tx_enable(struct hal_dev *hw)
{
	hal_wr32(hw, E1000_TCTL, hal_rd32(hw, E1000_TCTL) | E1000_TCTL_EN);
}

int e1k_hw_power_down(struct hal_dev *hw)
{
	uint16_t pmcsr;
	int pm, rc;

	hal_wr32(hw, E1000_WUFC, E1000_WUFC_MAG | E1000_WUFC_LNKC);
	hal_wr32(hw, E1000_WUC, E1000_WUC_PME_EN | E1000_WUC_APME);
	hal_flush(hw);
	pm = hal_cfg_find_cap(hw, PCI_CAP_ID_PM);
	if (pm < 0)
		return -ENOENT;
	rc = hal_cfg_read16(hw, (uint32_t)pm + PCI_PM_CTRL, &pmcsr);
	if (rc < 0)
		return rc;
	pmcsr = (uint16_t)((pmcsr & ~PCI_PM_CTRL_STATE_MASK) | PCI_PM_STATE_D3HOT |
	                   PCI_PM_CTRL_PME_ENABLE);
	return hal_cfg_write16(hw, (uint32_t)pm + PCI_PM_CTRL, pmcsr);
}

int e1k_hw_quiesce_unmapped(struct hal_dev *hw, bool *reset)
{
	uint16_t cmd;
	int rc;

	*reset = false;
	rc = hal_raw_cfg_read16(hw, PCI_CFG_COMMAND, &cmd);
	if (rc < 0)
		return rc;
	rc = hal_raw_cfg_write16(hw, PCI_CFG_COMMAND,
	                         (uint16_t)((cmd | PCI_CFG_CMD_MEMORY) & ~PCI_CFG_CMD_MASTER));
	if (rc < 0)
		return rc;
	/* No reads: they are not needed, and the mapping may be gone. */
	hal_raw_wr32(hw, E1000_IMC, E1000_IMS_ALL);
	hal_raw_wr32(hw, E1000_RCTL, 0);
	hal_raw_wr32(hw, E1000_TCTL, 0);
	hal_raw_wr32(hw, E1000_RDLEN, 0);
	hal_raw_wr32(hw, E1000_TDLEN, 0);
	hal_raw_wr32(hw, E1000_CTRL, E1000_CTRL_RST);
	if (hw->mac == E1K_MAC_82574L)
		e1k_sleep_ns((uint64_t)E1K_HW_E1000E_THROTTLE_US * 1000u);
	*reset = hal_raw_reset(hw) == 0;
	/* A reset restores the saved command register: clear both again. */
	return hal_raw_cfg_write16(hw, PCI_CFG_COMMAND,
	                           (uint16_t)(cmd & ~(PCI_CFG_CMD_MEMORY | PCI_CFG_CMD_MASTER)));
}

void e1k_hw_read_stats(struct hal_dev *hw, struct e1k_hw_stats *d)
{
	d->gprc += hal_rd32(hw, E1000_GPRC);
	d->gptc += hal_rd32(hw, E1000_GPTC);
	/* 64-bit octet counters: read low first (SDM 13.7). */
	d->gorc += hal_rd32(hw, E1000_GORCL);
	d->gorc += (uint64_t)hal_rd32(hw, E1000_GORCH) << 32;
	d->gotc += hal_rd32(hw, E1000_GOTCL);
	d->gotc += (uint64_t)hal_rd32(hw, E1000_GOTCH) << 32;
	d->mpc += hal_rd32(hw, E1000_MPC);
	d->rnbc += hal_rd32(hw, E1000_RNBC);
	d->crcerrs += hal_rd32(hw, E1000_CRCERRS);
	d->ruc += hal_rd32(hw, E1000_RUC);
	d->roc += hal_rd32(hw, E1000_ROC);
	d->tpr += hal_rd32(hw, E1000_TPR);
	d->tpt += hal_rd32(hw, E1000_TPT);
	d->bprc += hal_rd32(hw, E1000_BPRC);
	d->mprc += hal_rd32(hw, E1000_MPRC);
}
