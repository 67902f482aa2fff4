/* SPDX-License-Identifier: MIT */
/* hal.c - backend-independent helpers of the hardware access layer. */
#include "hal.h"

#include <stddef.h>
#include <string.h>
#include <sys/mman.h>

int hal_cfg_read16(struct hal_dev *hw, uint32_t off, uint16_t *val)
{
	return hal_cfg_read(hw, off, val, sizeof(*val));
}

int hal_cfg_write16(struct hal_dev *hw, uint32_t off, uint16_t val)
{
	return hal_cfg_write(hw, off, &val, sizeof(val));
}

int hal_cfg_find_cap(struct hal_dev *hw, uint8_t cap_id)
{
	uint16_t status;
	uint8_t ptr;
	int err, guard;

	err = hal_cfg_read16(hw, PCI_CFG_STATUS, &status);
	if (err < 0)
		return err;
	if (!(status & PCI_CFG_STATUS_CAPLIST))
		return -ENOENT;
	err = hal_cfg_read(hw, PCI_CFG_CAP_PTR, &ptr, 1);
	if (err < 0)
		return err;
	/* A capability list has at most 48 entries in 256 bytes; bound the walk
	 * so a corrupt (looping) list cannot hang us. */
	for (guard = 0; ptr >= 0x40 && guard < 48; guard++) {
		uint8_t hdr[2];

		ptr &= 0xfc;
		err = hal_cfg_read(hw, ptr, hdr, sizeof(hdr));
		if (err < 0)
			return err;
		if (hdr[0] == cap_id)
			return ptr;
		ptr = hdr[1];
	}
	return -ENOENT;
}

int hal_set_bus_master(struct hal_dev *hw, bool on)
{
	uint16_t cmd;
	int err = hal_cfg_read16(hw, PCI_CFG_COMMAND, &cmd);

	if (err < 0)
		return err;
	cmd = on ? (uint16_t)(cmd | PCI_CFG_CMD_MASTER) : (uint16_t)(cmd & ~PCI_CFG_CMD_MASTER);
	return hal_cfg_write16(hw, PCI_CFG_COMMAND, cmd);
}

void hal_dma_release_host(struct hal_dma *dma)
{
	if (dma->va && dma->handle == 0)
		munmap(dma->va, dma->len);
	memset(dma, 0, sizeof(*dma));
}

const char *hal_presence_name(enum hal_presence p)
{
	static const char *const n[] = { "present", "not-decoding", "gone" };

	return (unsigned)p < 3 ? n[p] : "?";
}

int hal_raw_cfg_read16(struct hal_dev *hw, uint32_t off, uint16_t *val)
{
	return hw->ops->cfg_read(hw, off, val, sizeof(*val));
}

int hal_raw_cfg_write16(struct hal_dev *hw, uint32_t off, uint16_t val)
{
	return hw->ops->cfg_write(hw, off, &val, sizeof(val));
}

void hal_raw_wr32(struct hal_dev *hw, uint32_t reg, uint32_t val)
{
	if (hw->ops->wr32_region)
		hw->ops->wr32_region(hw, reg, val);
	else
		hw->ops->wr32(hw, reg, val);
}

int hal_raw_reset(struct hal_dev *hw)
{
	return hw->ops->reset(hw);
}

enum hal_presence hal_probe_presence(struct hal_dev *hw)
{
	uint16_t id = 0xffff, cmd = 0xffff;

	/* A vanished function's config reads complete with all ones. */
	if (hal_raw_cfg_read16(hw, PCI_CFG_VENDOR_ID, &id) < 0 || id == 0xffff ||
	    hal_raw_cfg_read16(hw, PCI_CFG_COMMAND, &cmd) < 0 || cmd == 0xffff)
		return HAL_GONE;
	return (cmd & PCI_CFG_CMD_MEMORY) ? HAL_PRESENT : HAL_NOT_DECODING;
}

void hal_close(struct hal_dev *hw)
{
	if (hw)
		hw->ops->close(hw);
}

static const struct {
	uint16_t device;
	enum e1k_mac_type mac;
	const char *name;
} supported[] = {
	{ E1000_DEV_82540EM, E1K_MAC_82540EM, "Intel 82540EM Gigabit Ethernet Controller" },
	{ E1000_DEV_82545EM, E1K_MAC_82545EM, "Intel 82545EM Gigabit Ethernet Controller (Copper)" },
	{ E1000_DEV_82574L,  E1K_MAC_82574L,  "Intel 82574L Gigabit Network Connection" },
};

const char *hal_device_name(uint16_t vendor, uint16_t device)
{
	if (vendor != E1000_VENDOR_INTEL)
		return NULL;
	for (size_t i = 0; i < sizeof(supported) / sizeof(supported[0]); i++)
		if (supported[i].device == device)
			return supported[i].name;
	return NULL;
}

int hal_mac_type(uint16_t vendor, uint16_t device, enum e1k_mac_type *out)
{
	if (vendor != E1000_VENDOR_INTEL)
		return -ENODEV;
	for (size_t i = 0; i < sizeof(supported) / sizeof(supported[0]); i++)
		if (supported[i].device == device) {
			*out = supported[i].mac;
			return 0;
		}
	return -ENODEV;
}
