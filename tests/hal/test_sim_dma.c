/* SPDX-License-Identifier: MIT */
/* The DMA checker (IOMMU model): IOVA allocation, access after unmap, bad
 * ring configurations, a free racing the model's DMA, the alloc failure knob. */
#include "simtest.h"
#include "testlib.h"

#include <string.h>
#include <unistd.h>

static void test_alloc_free(void)
{
	struct st_dev t;
	struct hal_dma a, b, c, z = { 0 };
	struct sim_stats st;
	uint64_t a_iova;

	REQUIRE(st_open(&t, SIM_82540EM, SIM_WIRE_NONE) == 0);
	CHECK_EQ(hal_dma_alloc(t.hw, 0, &a), -EINVAL);
	CHECK_EQ(a.handle, 0);
	REQUIRE(hal_dma_alloc(t.hw, 100, &a) == 0);
	CHECK(a.va != NULL);
	CHECK(a.handle != 0);
	CHECK_EQ(a.len, 4096);                       /* page-rounded */
	CHECK_EQ((uintptr_t)a.va % 4096, 0);
	CHECK(a.iova >= (1ull << 32));               /* not a host address */
	CHECK(a.iova != (uint64_t)(uintptr_t)a.va);
	for (size_t i = 0; i < a.len; i++)
		if (((uint8_t *)a.va)[i] != 0) {
			tl_fail(__FILE__, __LINE__, "not zeroed at %zu", i);
			break;
		}
	REQUIRE(hal_dma_alloc(t.hw, 3 * 4096 + 1, &b) == 0);
	CHECK_EQ(b.len, 4 * 4096);
	CHECK(b.iova >= a.iova + a.len);
	a_iova = a.iova;
	hal_dma_free(t.hw, &a);
	CHECK_EQ(a.handle, 0);
	CHECK(a.va == NULL);
	hal_dma_free(t.hw, &a);                      /* twice: no-op */
	hal_dma_free(t.hw, &z);                      /* zeroed: no-op */
	REQUIRE(hal_dma_alloc(t.hw, 100, &c) == 0);
	CHECK(c.iova != a_iova);                     /* IOVAs are never reused */
	CHECK(c.iova > b.iova);
	sim_get_stats(t.hw, &st);
	CHECK_U64(st.live_mappings, 2);
	CHECK_U64(st.mappings_total, 3);
	/* Leftovers are released at close (counted just before). */
	st_close(&t);
}

static void test_fail_knob(void)
{
	struct sim_config cfg = { .model = SIM_82574L, .wire = SIM_WIRE_NONE,
	                          .fail_dma_alloc_at = 3, .fail_irq_set_index = HAL_IRQ_MSIX };
	struct st_dev t;
	struct hal_dma d[5];
	int efd = st_efd();

	REQUIRE(st_open_cfg(&t, &cfg) == 0);
	CHECK_OK(hal_dma_alloc(t.hw, 4096, &d[0]));
	CHECK_OK(hal_dma_alloc(t.hw, 4096, &d[1]));
	memset(&d[2], 0xab, sizeof(d[2]));
	CHECK_EQ(hal_dma_alloc(t.hw, 4096, &d[2]), -ENOMEM);
	CHECK(d[2].va == NULL && d[2].handle == 0 && d[2].iova == 0 && d[2].len == 0);
	CHECK_OK(hal_dma_alloc(t.hw, 4096, &d[3]));  /* only the Nth fails */
	for (int i = 0; i < 4; i++)
		hal_dma_free(t.hw, &d[i]);
	CHECK_EQ(hal_irq_set(t.hw, HAL_IRQ_MSIX, &efd, 1), -EINVAL);
	CHECK_OK(hal_irq_set(t.hw, HAL_IRQ_MSI, &efd, 1));
	CHECK_OK(hal_irq_clear(t.hw, HAL_IRQ_MSI));
	st_close(&t);
	close(efd);
}

static void test_tx_ring_freed(void)
{
	struct st_dev t;
	struct sim_stats st;
	uint8_t f[100];
	uint64_t ring_iova;

	REQUIRE(st_open(&t, SIM_82540EM, SIM_WIRE_NONE) == 0);
	REQUIRE(st_setup_tx(&t, 16) == 0);
	st_frame(f, sizeof(f), t.mac, 1);
	CHECK_OK(st_tx(&t, f, sizeof(f)));
	sim_sync(t.hw);
	/* Free the ring under an enabled device, then kick it. */
	ring_iova = t.txr.iova;
	hal_dma_free(t.hw, &t.txr);
	hal_wr32(t.hw, E1000_TDT, 2);
	sim_sync(t.hw);
	sim_get_stats(t.hw, &st);
	CHECK_U64(st.dma_faults, 1);
	CHECK_U64(st.last_fault_iova, ring_iova + 1 * sizeof(struct e1000_tx_desc));
	CHECK_U64(st.bad_ring_config, 1);
	/* Ignored until reprogrammed: another kick does not fault again ... */
	hal_wr32(t.hw, E1000_TCTL, E1000_TCTL_EN | E1000_TCTL_PSP);
	sim_sync(t.hw);
	sim_get_stats(t.hw, &st);
	CHECK_U64(st.dma_faults, 1);
	/* ... a ring register write re-arms it, and it faults again. */
	hal_wr32(t.hw, E1000_TDT, 3);
	sim_sync(t.hw);
	sim_get_stats(t.hw, &st);
	CHECK_U64(st.dma_faults, 2);
	CHECK_U64(st.bad_ring_config, 2);
	CHECK_EQ(hal_rd32(t.hw, E1000_TDH), 1);
	st_close(&t);
}

static void test_rx_buffers_freed(void)
{
	struct st_dev t;
	struct sim_stats st;
	uint8_t f[100];
	uint64_t buf_iova;

	REQUIRE(st_open(&t, SIM_82574L, SIM_WIRE_NONE) == 0);
	REQUIRE(st_setup_rx(&t, 16, 2048, 0) == 0);
	buf_iova = t.rxbuf.iova;
	hal_dma_free(t.hw, &t.rxbuf);
	st_frame(f, sizeof(f), t.mac, 1);
	CHECK_OK(sim_wire_inject(t.hw, f, sizeof(f)));
	sim_sync(t.hw);
	sim_get_stats(t.hw, &st);
	CHECK_U64(st.dma_faults, 1);
	CHECK_U64(st.last_fault_iova, buf_iova);
	CHECK_U64(st.rx_frames, 0);
	CHECK_EQ(st_rx_status(&t, 0), 0);   /* descriptor not written back */
	/* Free the ring too: the descriptor fetch faults. */
	{
		uint64_t ring = t.rxr.iova;

		hal_dma_free(t.hw, &t.rxr);
		CHECK_OK(sim_wire_inject(t.hw, f, sizeof(f)));
		sim_sync(t.hw);
		sim_get_stats(t.hw, &st);
		CHECK_U64(st.dma_faults, 2);
		CHECK_U64(st.last_fault_iova, ring);
		CHECK_U64(st.bad_ring_config, 1);
	}
	st_close(&t);
}

static void test_bad_ring_configs(void)
{
	struct st_dev t;
	struct sim_stats st;
	uint8_t f[100];

	REQUIRE(st_open(&t, SIM_82540EM, SIM_WIRE_NONE) == 0);
	REQUIRE(st_setup_tx(&t, 16) == 0);
	/* Base outside any mapping. */
	hal_wr32(t.hw, E1000_TDBAL, 0x1000);
	hal_wr32(t.hw, E1000_TDBAH, 0);
	hal_wr32(t.hw, E1000_TDT, 1);
	sim_sync(t.hw);
	sim_get_stats(t.hw, &st);
	CHECK_U64(st.dma_faults, 1);
	CHECK_U64(st.last_fault_iova, 0x1000);
	CHECK_U64(st.bad_ring_config, 1);
	/* Zero length. */
	hal_wr32(t.hw, E1000_TDBAL, (uint32_t)t.txr.iova);
	hal_wr32(t.hw, E1000_TDBAH, (uint32_t)(t.txr.iova >> 32));
	hal_wr32(t.hw, E1000_TDLEN, 0);
	hal_wr32(t.hw, E1000_TDT, 1);
	sim_sync(t.hw);
	sim_get_stats(t.hw, &st);
	CHECK_U64(st.bad_ring_config, 2);
	/* Not a multiple of 128. */
	hal_wr32(t.hw, E1000_TDLEN, 200);
	hal_wr32(t.hw, E1000_TDT, 1);
	sim_sync(t.hw);
	sim_get_stats(t.hw, &st);
	CHECK_U64(st.bad_ring_config, 3);
	/* Absurd tail. */
	hal_wr32(t.hw, E1000_TDLEN, 16 * (uint32_t)sizeof(struct e1000_tx_desc));
	hal_wr32(t.hw, E1000_TDT, 5000);
	sim_sync(t.hw);
	sim_get_stats(t.hw, &st);
	CHECK_U64(st.bad_ring_config, 4);
	CHECK_EQ(hal_rd32(t.hw, E1000_TDH), 0);
	CHECK_U64(st.dma_faults, 1);
	/* Reprogrammed properly: it works. */
	t.tx_tail = t.tx_clean = 0;
	hal_wr32(t.hw, E1000_TDT, 0);
	st_frame(f, sizeof(f), t.mac, 1);
	CHECK_OK(st_tx(&t, f, sizeof(f)));
	sim_sync(t.hw);
	CHECK(st_tx_status(&t, 0) & E1000_TXD_STAT_DD);

	/* RX: absurd RDT -> counted, frames missed. */
	REQUIRE(st_setup_rx(&t, 16, 2048, 0) == 0);
	hal_wr32(t.hw, E1000_RDT, 0xffff);
	CHECK_OK(sim_wire_inject(t.hw, f, sizeof(f)));
	sim_sync(t.hw);
	sim_get_stats(t.hw, &st);
	CHECK_U64(st.bad_ring_config, 5);
	CHECK_U64(st.rx_missed, 1);
	/* RX base outside any mapping. */
	hal_wr32(t.hw, E1000_RDBAL, 0x2000);
	hal_wr32(t.hw, E1000_RDBAH, 0x7);
	hal_wr32(t.hw, E1000_RDT, 3);
	CHECK_OK(sim_wire_inject(t.hw, f, sizeof(f)));
	sim_sync(t.hw);
	sim_get_stats(t.hw, &st);
	CHECK_U64(st.last_fault_iova, 0x700002000ull);
	CHECK_U64(st.bad_ring_config, 6);
	/* A ring straddling the end of its mapping faults on the first
	 * descriptor past it, not before. */
	{
		struct e1000_rx_desc *last2 = (struct e1000_rx_desc *)((uint8_t *)t.rxr.va + t.rxr.len - 32);

		last2[0].buffer_addr = t.rxbuf.iova;
		last2[1].buffer_addr = t.rxbuf.iova + 2048;
	}
	hal_wr32(t.hw, E1000_RDBAL, (uint32_t)(t.rxr.iova + t.rxr.len - 32));
	hal_wr32(t.hw, E1000_RDBAH, (uint32_t)(t.rxr.iova >> 32));
	hal_wr32(t.hw, E1000_RDH, 0);
	hal_wr32(t.hw, E1000_RDT, 7);
	for (int i = 0; i < 3; i++)
		CHECK_OK(sim_wire_inject(t.hw, f, sizeof(f)));
	sim_sync(t.hw);
	sim_get_stats(t.hw, &st);
	CHECK_U64(st.last_fault_iova, t.rxr.iova + t.rxr.len);
	CHECK_U64(st.rx_frames, 2);
	st_close(&t);
}

/* The driver frees the RX buffers while the model is busy writing frames into
 * them: each copy either completes before the unmap or is refused; the model
 * never writes into memory that was given back (that would crash or trip
 * ASan).  Every frame is accounted for: received or refused. */
static void test_free_races_dma(void)
{
	unsigned rounds = (unsigned)tl_scaled(300, 30), midstream = 0;
	const unsigned nframes = 200;
	uint8_t f[1500];

	for (unsigned k = 0; k < rounds; k++) {
		struct st_dev t;
		struct sim_stats st;

		REQUIRE(st_open(&t, SIM_82574L, SIM_WIRE_NONE) == 0);
		REQUIRE(st_setup_rx(&t, 256, 2048, 0) == 0);
		st_frame(f, sizeof(f), t.mac, k);
		for (unsigned i = 0; i < nframes; i++)
			CHECK_OK(sim_wire_inject(t.hw, f, sizeof(f)));
		hal_dma_free(t.hw, &t.rxbuf);   /* the model is (likely) mid-stream */
		sim_sync(t.hw);
		sim_get_stats(t.hw, &st);
		CHECK_U64(st.rx_frames + st.dma_faults, nframes);
		CHECK_U64(st.rx_missed, 0);
		if (st.rx_frames && st.dma_faults)
			midstream++;
		st_close(&t);
	}
	printf("    %u of %u frees landed mid-stream\n", midstream, rounds);
}

int main(void)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_alloc_free),
		TL_CASE(test_fail_knob),
		TL_CASE(test_tx_ring_freed),
		TL_CASE(test_rx_buffers_freed),
		TL_CASE(test_bad_ring_configs),
		TL_CASE(test_free_races_dma),
	};
	return tl_run(cases, TL_N(cases));
}
