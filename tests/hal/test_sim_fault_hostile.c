/* SPDX-License-Identifier: MIT */
/* HOSTILE: random write-back lengths and status, random head jumps, random
 * causes.  The model must stay inside the mappings (run under ASan): a guard
 * mapping the device never gets must stay intact, and the model must work
 * normally again after the fault is off and the device reset. */
#include "simtest.h"
#include "testlib.h"

#include <string.h>
#include <unistd.h>

#define GUARD_BYTE 0x5a
#define RCTL_BITS  (E1000_RCTL_UPE | E1000_RCTL_MPE)

/* Driver-style recovery from a device that skipped descriptors: stop both
 * directions (the model touches no ring once the write returns), start over. */
static void rings_reset(struct st_dev *t)
{
	hal_wr32(t->hw, E1000_RCTL, 0);
	hal_wr32(t->hw, E1000_TCTL, 0);
	sim_sync(t->hw);
	for (uint32_t i = 0; i < t->nrx; i++) {
		struct e1000_rx_desc *d = st_rx_desc(t, i);
		uint64_t a = d->buffer_addr;

		memset(d, 0, sizeof(*d));
		d->buffer_addr = a;
	}
	memset(t->txr.va, 0, t->ntx * sizeof(struct e1000_tx_desc));
	t->tx_tail = t->tx_clean = t->rx_next = 0;
	hal_wr32(t->hw, E1000_TDH, 0);
	hal_wr32(t->hw, E1000_TDT, 0);
	hal_wr32(t->hw, E1000_RDH, 0);
	hal_wr32(t->hw, E1000_RDT, t->nrx - 1);
	hal_wr32(t->hw, E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_BAM | E1000_RCTL_SECRC | RCTL_BITS);
	hal_wr32(t->hw, E1000_TCTL, E1000_TCTL_EN | E1000_TCTL_PSP);
}

/* A receiver that trusts nothing: any descriptor showing DD is taken, its
 * length clamped to the buffer.  RDT is not moved between resets, so the model
 * writes each descriptor at most once and this scan never races it. */
static unsigned long harvest(struct st_dev *t, uint8_t *scratch)
{
	unsigned long n = 0;

	for (uint32_t i = 0; i < t->nrx; i++) {
		struct e1000_rx_desc *d = st_rx_desc(t, i);
		size_t len;

		if (!(st_rx_status(t, i) & E1000_RXD_STAT_DD))
			continue;
		len = d->length < t->rxbufsize ? d->length : t->rxbufsize;
		memcpy(scratch, (uint8_t *)t->rxbuf.va + (size_t)i * t->rxbufsize, len);
		d->length = 0;
		d->errors = 0;
		__atomic_store_n(&d->status, 0, __ATOMIC_RELAXED);
		n++;
	}
	return n;
}

static void test_hostile(enum sim_model m)
{
	struct st_dev t;
	struct hal_dma guard;
	struct sim_stats st;
	int efd = st_efd();
	uint8_t f[1514], got[2048];
	unsigned long iters = tl_scaled(3000, 300), rx = 0, irqs = 0;

	REQUIRE(st_open(&t, m, SIM_WIRE_LOOPBACK) == 0);
	REQUIRE(hal_dma_alloc(t.hw, 65536, &guard) == 0);
	memset(guard.va, GUARD_BYTE, guard.len);
	REQUIRE(st_setup_tx(&t, 64) == 0);
	REQUIRE(st_setup_rx(&t, 64, 2048, RCTL_BITS) == 0);
	CHECK_OK(hal_irq_set(t.hw, HAL_IRQ_INTX, &efd, 1));
	hal_wr32(t.hw, E1000_IMS, E1000_IMS_ALL);
	CHECK_OK(sim_fault(t.hw, SIM_FAULT_HOSTILE, true));

	for (unsigned long i = 0; i < iters; i++) {
		size_t len = E1000_ETH_HLEN + (i * 7919u) % (sizeof(f) - E1000_ETH_HLEN);

		st_frame(f, len, t.mac, (uint32_t)i);
		/* Hostile status bytes may never show DD: start over when full. */
		if (st_tx(&t, f, len) == -ENOSPC) {
			rx += harvest(&t, got);
			rings_reset(&t);
		}
		if (i % 3 == 0)
			(void)sim_wire_inject(t.hw, f, len);
		if (i % 16 == 0)
			sim_sync(t.hw);
		rx += harvest(&t, got);
		if (st_efd_take(efd)) {
			irqs++;
			(void)hal_rd32(t.hw, E1000_ICR);
			(void)hal_irq_unmask(t.hw, HAL_IRQ_INTX, 0);
		}
		/* Give the ring back every so often (RDT is not moved in between). */
		if (i % 64 == 63) {
			rx += harvest(&t, got);
			rings_reset(&t);
		}
	}
	sim_sync(t.hw);
	CHECK(rx > 0);
	CHECK(irqs > 0);

	/* Nothing outside the device's rings and buffers was touched. */
	for (size_t i = 0; i < guard.len; i++)
		if (((uint8_t *)guard.va)[i] != GUARD_BYTE) {
			tl_fail(__FILE__, __LINE__, "guard mapping written at %zu", i);
			break;
		}

	/* Off, reset, reprogram: a clean round trip again. */
	CHECK_OK(sim_fault(t.hw, SIM_FAULT_HOSTILE, false));
	hal_wr32(t.hw, E1000_CTRL, E1000_CTRL_RST);
	sim_sync(t.hw);
	hal_dma_free(t.hw, &t.txr); hal_dma_free(t.hw, &t.rxr);
	hal_dma_free(t.hw, &t.txbuf); hal_dma_free(t.hw, &t.rxbuf);
	REQUIRE(st_setup_tx(&t, 64) == 0);
	REQUIRE(st_setup_rx(&t, 64, 2048, 0) == 0);
	st_frame(f, 200, t.mac, 42);
	CHECK_OK(st_tx(&t, f, 200));
	sim_sync(t.hw);
	{
		uint16_t l = 0;
		uint8_t status = 0;

		REQUIRE(st_rx_poll(&t, got, sizeof(got), &l, &status, NULL));
		CHECK_EQ(l, 200);
		CHECK(memcmp(got, f, 200) == 0);
		CHECK_EQ(status & (E1000_RXD_STAT_DD | E1000_RXD_STAT_EOP),
		         E1000_RXD_STAT_DD | E1000_RXD_STAT_EOP);
	}
	sim_get_stats(t.hw, &st);
	printf("    %lu frames received, %lu interrupts, %llu DMA faults refused\n",
	       rx, irqs, (unsigned long long)st.dma_faults);
	CHECK_OK(hal_irq_clear(t.hw, HAL_IRQ_INTX));
	hal_dma_free(t.hw, &guard);
	close(efd);
	st_close(&t);
}

static void test_hostile_82540(void) { test_hostile(SIM_82540EM); }
static void test_hostile_82574(void) { test_hostile(SIM_82574L); }

int main(void)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_hostile_82540),
		TL_CASE(test_hostile_82574),
	};
	return tl_run(cases, TL_N(cases));
}
