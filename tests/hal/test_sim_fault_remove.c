/* SPDX-License-Identifier: MIT */
/* Surprise removal and removal requests. */
#include "simtest.h"
#include "testlib.h"

#include <unistd.h>

static void test_surprise_remove(void)
{
	struct st_dev t;
	struct sim_stats st;
	struct hal_dma extra;
	int req = st_efd(), irq = st_efd();
	uint8_t f[100], cfg[4];
	uint32_t tdh;

	REQUIRE(st_open(&t, SIM_82540EM, SIM_WIRE_LOOPBACK) == 0);
	REQUIRE(st_setup_tx(&t, 16) == 0);
	REQUIRE(st_setup_rx(&t, 16, 2048, 0) == 0);
	CHECK_OK(hal_irq_set(t.hw, HAL_IRQ_REQ, &req, 1));
	CHECK_OK(hal_irq_set(t.hw, HAL_IRQ_INTX, &irq, 1));
	hal_wr32(t.hw, E1000_IMS, E1000_ICR_TXDW | E1000_ICR_RXT0);

	CHECK_OK(sim_fault(t.hw, SIM_FAULT_SURPRISE_REMOVE, true));
	CHECK_U64(st_efd_take(req), 1);
	/* Reads return all ones; the model does not mark hw->gone itself. */
	CHECK_U64(hal_rd32(t.hw, E1000_STATUS), 0xffffffffu);
	CHECK_U64(hal_rd32(t.hw, E1000_ICR), 0xffffffffu);
	CHECK(!hal_is_gone(t.hw));
	/* Writes are dropped. */
	tdh = hal_rd32(t.hw, E1000_TDH);
	CHECK_U64(tdh, 0xffffffffu);
	st_frame(f, sizeof(f), t.mac, 1);
	CHECK_OK(st_tx(&t, f, sizeof(f)));
	hal_wr32(t.hw, E1000_ICS, E1000_ICR_TXDW);
	sim_sync(t.hw);
	CHECK_EQ(st_tx_status(&t, 0), 0);     /* no DMA: nothing written back */
	CHECK_U64(st_efd_take(irq), 0);       /* no interrupts */
	CHECK(!st_rx_poll(&t, NULL, 0, NULL, NULL, NULL));
	CHECK_EQ(sim_wire_inject(t.hw, f, sizeof(f)), 0);   /* the wire is still there ... */
	sim_sync(t.hw);
	CHECK(!st_rx_poll(&t, NULL, 0, NULL, NULL, NULL));  /* ... the device is not */
	/* Config space: all ones and -ENODEV. */
	CHECK_EQ(t.hw->ops->cfg_read(t.hw, PCI_CFG_VENDOR_ID, cfg, sizeof(cfg)), -ENODEV);
	CHECK_U64(cfg[0] & cfg[1] & cfg[2] & cfg[3], 0xff);
	CHECK_EQ(t.hw->ops->cfg_write(t.hw, PCI_CFG_COMMAND, cfg, 2), -ENODEV);
	/* The driver notices, marks it gone; hal accessors then count. */
	CHECK(hal_mark_gone(t.hw));
	CHECK_U64(hal_rd32(t.hw, E1000_STATUS), 0xffffffffu);
	CHECK_EQ(hal_cfg_read(t.hw, 0, cfg, 1), -ENODEV);
	CHECK_U64(atomic_load(&t.hw->mmio_after_removal), 2);
	/* Host-side mappings still work (VFIO container ops), and a second
	 * removal is a no-op. */
	CHECK_OK(hal_dma_alloc(t.hw, 4096, &extra));
	hal_dma_free(t.hw, &extra);
	CHECK_OK(sim_fault(t.hw, SIM_FAULT_SURPRISE_REMOVE, true));
	CHECK_OK(sim_fault(t.hw, SIM_FAULT_SURPRISE_REMOVE, false));
	CHECK_U64(st_efd_take(req), 0);
	sim_get_stats(t.hw, &st);
	CHECK(st.removed);
	CHECK_U64(st.tx_frames, 0);
	CHECK_U64(st.req_signals, 1);
	CHECK_U64(st.dma_faults, 0);
	CHECK_OK(hal_irq_clear(t.hw, HAL_IRQ_INTX));
	CHECK_OK(hal_irq_clear(t.hw, HAL_IRQ_REQ));
	st_close(&t);
	close(req);
	close(irq);
}

static void test_remove_without_req(void)
{
	struct st_dev t;

	REQUIRE(st_open(&t, SIM_82574L, SIM_WIRE_NONE) == 0);
	CHECK_OK(sim_fault(t.hw, SIM_FAULT_SURPRISE_REMOVE, true));   /* nobody to tell */
	CHECK_U64(hal_rd32(t.hw, E1000_CTRL), 0xffffffffu);
	CHECK_EQ(t.hw->ops->reset(t.hw), -ENODEV);
	sim_sync(t.hw);   /* returns: the model thread keeps answering */
	st_close(&t);
}

static void test_remove_request(void)
{
	struct st_dev t;
	struct sim_stats st;
	int req = st_efd();

	REQUIRE(st_open(&t, SIM_82574L, SIM_WIRE_NONE) == 0);
	CHECK_OK(sim_fault(t.hw, SIM_FAULT_REMOVE_REQUEST, true));   /* no REQ fd yet: dropped */
	CHECK_OK(hal_irq_set(t.hw, HAL_IRQ_REQ, &req, 1));
	CHECK_OK(sim_fault(t.hw, SIM_FAULT_REMOVE_REQUEST, true));
	CHECK_U64(st_efd_take(req), 1);
	CHECK_OK(sim_fault(t.hw, SIM_FAULT_REMOVE_REQUEST, true));   /* asked again */
	CHECK_U64(st_efd_take(req), 1);
	/* The device keeps working. */
	hal_wr32(t.hw, E1000_ICS, E1000_ICR_TXDW);
	CHECK_U64(hal_rd32(t.hw, E1000_ICR), E1000_ICR_TXDW);
	CHECK(hal_rd32(t.hw, E1000_STATUS) & E1000_STATUS_LU);
	sim_get_stats(t.hw, &st);
	CHECK(!st.removed);
	CHECK_U64(st.req_signals, 2);
	CHECK_OK(hal_irq_clear(t.hw, HAL_IRQ_REQ));
	CHECK_OK(sim_fault(t.hw, SIM_FAULT_REMOVE_REQUEST, true));
	CHECK_U64(st_efd_take(req), 0);
	st_close(&t);
	close(req);
}

int main(void)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_surprise_remove),
		TL_CASE(test_remove_without_req),
		TL_CASE(test_remove_request),
	};
	return tl_run(cases, TL_N(cases));
}
