/* SPDX-License-Identifier: MIT */
/*
 * The VFIO backend on a real device: E1K_VFIO_BDF names an 82540EM or 82574L
 * bound to vfio-pci (in the QEMU rig: scripts/qemu-rig ... -- bind it, then
 * run this).  Without it the test skips (exit 77).  Covers: open and
 * identity, a second open refused, interrupt counts, INTx and MSI-X delivery
 * through eventfds (ICS-raised causes), DMA map/unmap with a real descriptor
 * fetch and write-back, reset, emergency stop, close with leftovers, and the
 * SIGBUS guard with Memory Space cleared (hal_vfio_fault_disable_memory).
 */
#include "testlib.h"
#include "vfio.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

static const char *bdf;
/* E1K_VFIO_NOIOMMU=1: the device is in a VFIO no-IOMMU group (accepted with
 * prefer_noiommu); IOVAs are then physical addresses. */
static struct hal_vfio_opts opts;

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static struct hal_dev *open_dev(void)
{
	struct hal_dev *hw = NULL;
	char err[512];
	int rc = hal_vfio_open(bdf, &opts, &hw, err, sizeof(err));

	if (rc < 0)
		tl_fail(__FILE__, __LINE__, "hal_vfio_open(%s): %d: %s", bdf, rc, err);
	return hw;
}

/* Wait up to ms for the eventfd to be signalled; consume it. */
static bool efd_wait(int efd, int ms)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	uint64_t v;

	if (poll(&p, 1, ms) != 1)
		return false;
	return read(efd, &v, sizeof(v)) == sizeof(v);
}

static void test_open_identity(void)
{
	struct hal_dev *hw = open_dev();
	char canon[HAL_VFIO_BDF_LEN];
	uint16_t vid = 0;
	enum e1k_mac_type mac;

	REQUIRE(hw != NULL);
	CHECK(hal_is_vfio(hw));
	CHECK(strcmp(hw->ops->name, "vfio") == 0);
	CHECK_OK(hal_vfio_parse_bdf(bdf, canon));
	CHECK(strcmp(hw->name, canon) == 0);
	CHECK_EQ(hw->vendor_id, E1000_VENDOR_INTEL);
	CHECK_OK(hal_mac_type(hw->vendor_id, hw->device_id, &mac));
	CHECK_EQ(hw->mac, mac);
	CHECK(!hal_is_gone(hw));
	CHECK(hal_rd32(hw, E1000_STATUS) != E1000_REG_ALL_ONES);
	CHECK_OK(hal_cfg_read16(hw, PCI_CFG_VENDOR_ID, &vid));
	CHECK_EQ(vid, E1000_VENDOR_INTEL);
	/* QEMU's 82540EM has no capability list at all; the 82574L has PM. */
	if (hw->mac == E1K_MAC_82574L)
		CHECK(hal_cfg_find_cap(hw, PCI_CAP_ID_PM) >= 0x40);
	else
		CHECK_EQ(hal_cfg_find_cap(hw, PCI_CAP_ID_PM), -ENOENT);
	/* Out-of-range and unaligned register offsets are refused, not performed. */
	CHECK_U64(hw->ops->rd32(hw, E1000_BAR0_SIZE), E1000_REG_ALL_ONES);
	CHECK_U64(hw->ops->rd32(hw, E1000_STATUS + 1), E1000_REG_ALL_ONES);
	CHECK(hw->ops->cfg_read(hw, 0x10000, &vid, 2) < 0);
	printf("  %s: %04x:%04x STATUS %#x\n", hw->name, hw->vendor_id, hw->device_id,
	       hal_rd32(hw, E1000_STATUS));
	hal_close(hw);
}

static void test_second_open_refused(void)
{
	struct hal_dev *hw = open_dev(), *hw2 = (struct hal_dev *)&hw2;
	char err[512] = "";
	int fds;

	REQUIRE(hw != NULL);
	fds = count_fds();
	CHECK_EQ(hal_vfio_open(bdf, &opts, &hw2, err, sizeof(err)), -EBUSY);
	CHECK(hw2 == NULL);
	CHECK(strstr(err, "busy") != NULL);
	CHECK_EQ(count_fds(), fds);
	printf("  %s\n", err);
	hal_close(hw);
}

static void test_irq_counts(void)
{
	struct hal_dev *hw = open_dev();
	uint32_t n[HAL_IRQ_NINDEX], scratch;

	REQUIRE(hw != NULL);
	for (int i = 0; i < HAL_IRQ_NINDEX; i++)
		CHECK_OK(hal_irq_count(hw, (enum hal_irq_index)i, &n[i]));
	CHECK_EQ(hal_irq_count(hw, HAL_IRQ_NINDEX, &scratch), -EINVAL);
	printf("  INTx %u MSI %u MSI-X %u ERR %u REQ %u\n", n[0], n[1], n[2], n[3], n[4]);
	CHECK_EQ(n[HAL_IRQ_INTX], 1);
	CHECK_EQ(n[HAL_IRQ_REQ], 1);
	if (hw->mac == E1K_MAC_82574L) {
		CHECK_EQ(n[HAL_IRQ_MSI], 1);
		CHECK_EQ(n[HAL_IRQ_MSIX], 5);
	} else {
		CHECK_EQ(n[HAL_IRQ_MSI], 0);
		CHECK_EQ(n[HAL_IRQ_MSIX], 0);
		CHECK_EQ(n[HAL_IRQ_ERR], 0);     /* conventional PCI: refused = absent */
	}
	hal_close(hw);
}

static void test_intx_roundtrip(void)
{
	struct hal_dev *hw = open_dev();
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), req = eventfd(0, EFD_CLOEXEC);

	REQUIRE(hw != NULL);
	REQUIRE(efd >= 0 && req >= 0);
	hal_wr32(hw, E1000_IMC, E1000_IMS_ALL);
	(void)hal_rd32(hw, E1000_ICR);
	CHECK_OK(hal_irq_set(hw, HAL_IRQ_INTX, &efd, 1));
	CHECK_OK(hal_irq_set(hw, HAL_IRQ_REQ, &req, 1));
	hal_wr32(hw, E1000_IMS, E1000_ICR_LSC);
	for (int round = 0; round < 3; round++) {
		hal_wr32(hw, E1000_ICS, E1000_ICR_LSC);
		CHECK(efd_wait(efd, 2000));
		CHECK(hal_rd32(hw, E1000_ICR) & E1000_ICR_LSC);
		/* Automasked: nothing more until unmasked. */
		CHECK_OK(hal_irq_unmask(hw, HAL_IRQ_INTX, 0));
	}
	hal_wr32(hw, E1000_IMC, E1000_IMS_ALL);
	CHECK_OK(hal_irq_clear(hw, HAL_IRQ_INTX));
	CHECK_OK(hal_irq_clear(hw, HAL_IRQ_REQ));
	/* Cleared: a raised cause no longer signals. */
	hal_wr32(hw, E1000_IMS, E1000_ICR_LSC);
	hal_wr32(hw, E1000_ICS, E1000_ICR_LSC);
	CHECK(!efd_wait(efd, 200));
	hal_wr32(hw, E1000_IMC, E1000_IMS_ALL);
	(void)hal_rd32(hw, E1000_ICR);
	CHECK_EQ(hal_irq_set(hw, HAL_IRQ_INTX, NULL, 0), -EINVAL);
	close(efd);
	close(req);
	hal_close(hw);
}

static void test_msix_roundtrip(void)
{
	struct hal_dev *hw = open_dev();
	int efd[5];

	REQUIRE(hw != NULL);
	if (hw->mac != E1K_MAC_82574L) {
		printf("  82540EM has no MSI-X: skipped\n");
		hal_close(hw);
		return;
	}
	for (int i = 0; i < 5; i++)
		efd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	CHECK_OK(hal_set_bus_master(hw, true));     /* an MSI is a DMA write */
	hal_wr32(hw, E1000_IMC, E1000_IMS_ALL);
	(void)hal_rd32(hw, E1000_ICR);
	CHECK_OK(hal_irq_set(hw, HAL_IRQ_MSIX, efd, 5));
	/* "Other" causes (LSC) to vector 2. */
	hal_wr32(hw, E1000_IVAR, E1000_IVAR_INT_ON_ALL_WB |
	         ((E1000_IVAR_VALID | 2u) << E1000_IVAR_OTHER_SHIFT));
	hal_wr32(hw, E1000_IMS, E1000_ICR_LSC | E1000_ICR_OTHER);
	hal_wr32(hw, E1000_ICS, E1000_ICR_LSC);
	CHECK(efd_wait(efd[2], 2000));
	CHECK(!efd_wait(efd[0], 0));
	/* Quiesce before the vectors go: QEMU 7.2's e1000e aborts the VM when
	 * MSI-X is disabled with its throttle timer armed; 20 ms after masking
	 * lets the timer expire (a device-model delay, not synchronisation). */
	hal_wr32(hw, E1000_IMC, E1000_IMS_ALL);
	(void)hal_rd32(hw, E1000_ICR);
	usleep(20000);
	CHECK_OK(hal_irq_clear(hw, HAL_IRQ_MSIX));
	CHECK_OK(hal_set_bus_master(hw, false));
	for (int i = 0; i < 5; i++)
		close(efd[i]);
	hal_close(hw);
}

static bool tx_done(void *ctx)
{
	volatile struct e1000_tx_desc *d = ctx;

	/* Acquire: the device's write-back of DD, seen through the IOMMU. */
	return __atomic_load_n(&d->status, __ATOMIC_ACQUIRE) & E1000_TXD_STAT_DD;
}

/* The device fetches a TX descriptor and its buffer through the IOMMU and
 * writes DD back: proof that the IOVA mapping is the right memory. */
static void test_dma_tx_writeback(void)
{
	struct hal_dev *hw = open_dev();
	struct hal_dma ring = { 0 }, buf = { 0 }, big = { 0 }, again = { 0 };
	volatile struct e1000_tx_desc *d;
	uint8_t *frame;
	int rc;

	REQUIRE(hw != NULL);
	CHECK_OK(hal_dma_alloc(hw, 8 * sizeof(struct e1000_tx_desc), &ring));
	CHECK_OK(hal_dma_alloc(hw, 2048, &buf));
	REQUIRE(ring.handle && buf.handle);
	rc = hal_dma_alloc(hw, 3u << 20, &big);      /* hugepages or plain pages */
	if (opts.prefer_noiommu && rc == -ENOMEM) {
		/* No-IOMMU: more than a page must be physically contiguous, which
		 * takes hugepages that happen to be adjacent (see vfio.h). */
		printf("  no-IOMMU: 3 MiB region refused (-ENOMEM, as documented)\n");
		CHECK_OK(hal_dma_alloc(hw, 4096, &big));
	} else {
		CHECK_OK(rc);
		CHECK(big.len >= (3u << 20));
	}
	REQUIRE(big.handle);
	if (!opts.prefer_noiommu)
		CHECK(ring.iova >= (1ull << 30) && buf.iova >= (1ull << 30));
	CHECK(ring.iova != buf.iova && buf.iova != big.iova);
	CHECK_EQ(ring.iova % 4096, 0);
	CHECK_EQ(ring.len, 4096);
	CHECK_EQ(((uint8_t *)big.va)[big.len - 1], 0);           /* zeroed */
	printf("  iovas %#llx %#llx %#llx (big %zu bytes)\n", (unsigned long long)ring.iova,
	       (unsigned long long)buf.iova, (unsigned long long)big.iova, big.len);

	/* A broadcast frame with the local-experimental EtherType 0x88b5. */
	frame = buf.va;
	memset(frame, 0xff, 6);
	memcpy(frame + 6, "\x52\x54\x00\x12\x34\x56\x88\xb5", 8);
	memset(frame + 14, 0xa5, 46);
	d = ring.va;
	d[0].buffer_addr = buf.iova;
	d[0].length = 60;
	d[0].cmd = E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS | E1000_TXD_CMD_RS;
	d[0].status = 0;

	CHECK_OK(hal_set_bus_master(hw, true));
	hal_wr32(hw, E1000_TCTL, 0);
	hal_wr32(hw, E1000_TDBAL, (uint32_t)ring.iova);
	hal_wr32(hw, E1000_TDBAH, (uint32_t)(ring.iova >> 32));
	hal_wr32(hw, E1000_TDLEN, 8 * sizeof(struct e1000_tx_desc));
	hal_wr32(hw, E1000_TDH, 0);
	hal_wr32(hw, E1000_TDT, 0);
	hal_wr32(hw, E1000_TCTL, E1000_TCTL_EN | E1000_TCTL_PSP);
	atomic_thread_fence(memory_order_release);  /* descriptor before the tail */
	hal_wr32(hw, E1000_TDT, 1);
	CHECK(tl_wait_until(tx_done, (void *)d, 2000));
	CHECK_EQ(hal_rd32(hw, E1000_TDH), 1);
	hal_wr32(hw, E1000_TCTL, 0);
	CHECK_OK(hal_set_bus_master(hw, false));

	hal_dma_free(hw, &ring);
	CHECK_EQ(ring.handle, 0);
	hal_dma_free(hw, &ring);                    /* zeroed: no-op */
	CHECK_OK(hal_dma_alloc(hw, 4096, &again));
	if (!opts.prefer_noiommu)
		CHECK(again.iova > big.iova);           /* IOVAs are never reused */
	hal_dma_free(hw, &again);
	hal_dma_free(hw, &buf);
	hal_dma_free(hw, &big);
	hal_close(hw);
}

static void test_reset_and_emergency_stop(void)
{
	struct hal_dev *hw = open_dev();
	uint16_t cmd = 0;
	int rc;

	REQUIRE(hw != NULL);
	rc = hw->ops->reset(hw);
	/* The 82574L has FLR-like resets.  QEMU's e1000 has none of its own: VFIO
	 * offers a reset only when it can reset the bus (alone behind a root
	 * port, as in the rig), else -ENOTSUP. */
	if (hw->mac == E1K_MAC_82574L)
		CHECK_OK(rc);
	else
		CHECK(rc == 0 || rc == -ENOTSUP);
	printf("  reset: %s\n", rc == 0 ? "done" : strerror(-rc));
	CHECK(hal_rd32(hw, E1000_STATUS) != E1000_REG_ALL_ONES);

	CHECK_OK(hal_set_bus_master(hw, true));
	hal_wr32(hw, E1000_TCTL, E1000_TCTL_EN);
	REQUIRE(hw->ops->emergency_stop != NULL);
	hw->ops->emergency_stop(hw);
	CHECK_OK(hal_cfg_read16(hw, PCI_CFG_COMMAND, &cmd));
	CHECK(!(cmd & PCI_CFG_CMD_MASTER));
	CHECK_EQ(hal_rd32(hw, E1000_TCTL) & E1000_TCTL_EN, 0);
	hal_close(hw);
}

static void test_close_releases_leftovers(void)
{
	int fds = count_fds();
	struct hal_dev *hw = open_dev();
	struct hal_dma a, b;

	REQUIRE(hw != NULL);
	CHECK_OK(hal_dma_alloc(hw, 4096, &a));
	/* No-IOMMU without hugepages: only single pages are contiguous. */
	CHECK_OK(hal_dma_alloc(hw, opts.prefer_noiommu ? 4096 : 10000, &b));
	CHECK_EQ(b.len, opts.prefer_noiommu ? 4096 : 12288);
	printf("  expect a line about 2 leftover mappings:\n");
	hal_close(hw);                  /* logs the 2 leftovers */
	CHECK_EQ(count_fds(), fds);
	/* Everything was released: the device opens again. */
	hw = open_dev();
	CHECK(hw != NULL);
	hal_close(hw);
}

/* Clear Memory Space: the BAR faults (SIGBUS on QEMU 7.2), the guard turns
 * the faults into all ones, and the process lives. */
static void test_fault_disable_memory(void)
{
	struct hal_dev *hw = open_dev();
	uint16_t cmd = 0;

	REQUIRE(hw != NULL);
	CHECK(hal_rd32(hw, E1000_STATUS) != E1000_REG_ALL_ONES);
	CHECK_OK(hal_vfio_fault_disable_memory(hw));
	CHECK_OK(hal_cfg_read16(hw, PCI_CFG_COMMAND, &cmd));
	CHECK(!(cmd & PCI_CFG_CMD_MEMORY));
	CHECK_U64(hal_rd32(hw, E1000_STATUS), E1000_REG_ALL_ONES);
	CHECK_U64(hal_rd32(hw, E1000_ICR), E1000_REG_ALL_ONES);
	hal_wr32(hw, E1000_IMC, E1000_IMS_ALL);          /* harmless */
	CHECK_U64(hal_rd32(hw, E1000_STATUS), E1000_REG_ALL_ONES);
	/* The driver would now mark it gone; then nothing reaches the device. */
	CHECK(hal_mark_gone(hw));
	CHECK_U64(hal_rd32(hw, E1000_STATUS), E1000_REG_ALL_ONES);
	CHECK_EQ(atomic_load(&hw->mmio_after_removal), 1);
	hw->ops->emergency_stop(hw);                      /* skips the dead BAR */
	hal_close(hw);
	/* vfio-pci enables memory decoding again on the next open. */
	hw = open_dev();
	REQUIRE(hw != NULL);
	CHECK(hal_rd32(hw, E1000_STATUS) != E1000_REG_ALL_ONES);
	hal_close(hw);
}

int main(int argc, char **argv)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_open_identity),
		TL_CASE(test_second_open_refused),
		TL_CASE(test_irq_counts),
		TL_CASE(test_intx_roundtrip),
		TL_CASE(test_msix_roundtrip),
		TL_CASE(test_dma_tx_writeback),
		TL_CASE(test_reset_and_emergency_stop),
		TL_CASE(test_close_releases_leftovers),
		TL_CASE(test_fault_disable_memory),
	};

	opts.prefer_noiommu = getenv("E1K_VFIO_NOIOMMU") && atoi(getenv("E1K_VFIO_NOIOMMU")) == 1;
	bdf = getenv("E1K_VFIO_BDF");
	if (!bdf || !*bdf) {
		printf("skip: set E1K_VFIO_BDF to a function bound to vfio-pci\n");
		return 77;
	}
	return tl_main(argc, argv, cases, TL_N(cases));
}
