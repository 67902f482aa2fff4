/* SPDX-License-Identifier: MIT */
/* test_ring_sizes.c - ring size validation, allocation unwinding, hw_setup. */
#include "fake_hal.h"
#include "ring.h"
#include "testlib.h"

static const unsigned bad_sizes[] = { 0, 1, 32, 63, 65, 100, 2000, 4095, 4097, 8191, 8192, 65536 };
static const unsigned good_sizes[] = { 64, 128, 256, 512, 1024, 2048, 4096 };

static void test_tx_sizes(void)
{
	struct fake_hal *fk = fake_hal_open(NULL);
	struct hal_dev *hw = fake_hal_dev(fk);
	struct tx_ring *r;

	REQUIRE(hw);
	for (size_t i = 0; i < TL_N(bad_sizes); i++) {
		r = (struct tx_ring *)1;
		CHECK_EQ(tx_ring_create(hw, bad_sizes[i], &r), -EINVAL);
		CHECK(r == NULL);
	}
	CHECK_EQ(tx_ring_create(NULL, 64, &r), -EINVAL);
	CHECK_EQ(tx_ring_create(hw, 64, NULL), -EINVAL);
	CHECK_EQ(fake_hal_live_dma(fk), 0);
	for (size_t i = 0; i < TL_N(good_sizes); i++) {
		CHECK_OK(tx_ring_create(hw, good_sizes[i], &r));
		REQUIRE(r);
		CHECK_EQ(tx_ring_size(r), good_sizes[i]);
		CHECK_EQ(tx_ring_free_slots(r), good_sizes[i] - 1);
		CHECK_EQ(tx_ring_in_flight(r), 0);
		CHECK_EQ(fake_hal_live_dma(fk), 1);
		tx_ring_destroy(r);
		CHECK_EQ(fake_hal_live_dma(fk), 0);
	}
	fake_hal_fail_dma_alloc_at(fk, 1);
	r = (struct tx_ring *)1;
	CHECK_EQ(tx_ring_create(hw, 64, &r), -ENOMEM);
	CHECK(r == NULL);
	CHECK_EQ(fake_hal_live_dma(fk), 0);
	fake_hal_fail_dma_alloc_at(fk, 0);
	tx_ring_destroy(NULL);
	fake_hal_close(fk);
}

static void test_rx_sizes(void)
{
	struct fake_hal *fk = fake_hal_open(NULL);
	struct hal_dev *hw = fake_hal_dev(fk);
	struct pkt_pool *pool;
	struct rx_ring *r;

	REQUIRE(hw);
	REQUIRE(pkt_pool_create(hw, 16, 2048, &pool) == 0);
	for (size_t i = 0; i < TL_N(bad_sizes); i++) {
		r = (struct rx_ring *)1;
		CHECK_EQ(rx_ring_create(hw, pool, bad_sizes[i], &r), -EINVAL);
		CHECK(r == NULL);
	}
	CHECK_EQ(rx_ring_create(hw, NULL, 64, &r), -EINVAL);
	CHECK_EQ(rx_ring_create(NULL, pool, 64, &r), -EINVAL);
	CHECK_EQ(fake_hal_live_dma(fk), 1);
	for (size_t i = 0; i < TL_N(good_sizes); i++) {
		CHECK_OK(rx_ring_create(hw, pool, good_sizes[i], &r));
		REQUIRE(r);
		CHECK_EQ(rx_ring_size(r), good_sizes[i]);
		CHECK_EQ(rx_ring_posted(r), 0);
		CHECK_EQ(fake_hal_live_dma(fk), 2);
		rx_ring_destroy(r);
		CHECK_EQ(fake_hal_live_dma(fk), 1);
	}
	fake_hal_fail_dma_alloc_at(fk, 1);
	r = (struct rx_ring *)1;
	CHECK_EQ(rx_ring_create(hw, pool, 64, &r), -ENOMEM);
	CHECK(r == NULL);
	CHECK_EQ(fake_hal_live_dma(fk), 1);
	fake_hal_fail_dma_alloc_at(fk, 0);
	rx_ring_destroy(NULL);
	pkt_pool_destroy(pool);
	fake_hal_close(fk);
}

static void test_hw_setup(void)
{
	struct fake_hal *fk = fake_hal_open(NULL);
	struct hal_dev *hw = fake_hal_dev(fk);
	struct pkt_pool *pool;
	struct tx_ring *tx;
	struct rx_ring *rx;
	uint64_t iova;

	REQUIRE(hw);
	REQUIRE(pkt_pool_create(hw, 16, 2048, &pool) == 0);
	REQUIRE(tx_ring_create(hw, 256, &tx) == 0);
	REQUIRE(rx_ring_create(hw, pool, 512, &rx) == 0);
	/* Garbage in head/tail, as after a previous life of the device. */
	fake_hal_set_reg(fk, E1000_TDH, 17);
	fake_hal_set_reg(fk, E1000_TDT, 33);
	fake_hal_set_reg(fk, E1000_RDH, 5);
	fake_hal_set_reg(fk, E1000_RDT, 9);

	tx_ring_hw_setup(tx);
	iova = tx_ring_desc_iova(tx);
	CHECK_U64(iova % 16, 0);
	CHECK((iova >> 32) != 0);            /* the fake's iova has high bits: TDBAH matters */
	CHECK_U64(fake_hal_reg(fk, E1000_TDBAL), (uint32_t)iova);
	CHECK_U64(fake_hal_reg(fk, E1000_TDBAH), (uint32_t)(iova >> 32));
	CHECK_EQ(fake_hal_reg(fk, E1000_TDLEN), 256 * 16);
	CHECK_EQ(fake_hal_reg(fk, E1000_TDLEN) % E1000_RDLEN_ALIGN, 0);
	CHECK_EQ(fake_hal_reg(fk, E1000_TDH), 0);
	CHECK_EQ(fake_hal_reg(fk, E1000_TDT), 0);
	CHECK_EQ(fake_hal_writes(fk, E1000_TCTL), 0);

	rx_ring_hw_setup(rx);
	iova = rx_ring_desc_iova(rx);
	CHECK_U64(fake_hal_reg(fk, E1000_RDBAL), (uint32_t)iova);
	CHECK_U64(fake_hal_reg(fk, E1000_RDBAH), (uint32_t)(iova >> 32));
	CHECK_EQ(fake_hal_reg(fk, E1000_RDLEN), 512 * 16);
	CHECK_EQ(fake_hal_reg(fk, E1000_RDH), 0);
	CHECK_EQ(fake_hal_reg(fk, E1000_RDT), 0);
	CHECK_EQ(fake_hal_writes(fk, E1000_RCTL), 0);

	CHECK_EQ(tx_ring_hw_head(tx), 0);
	fake_hal_set_reg(fk, E1000_TDH, 42);
	CHECK_EQ(tx_ring_hw_head(tx), 42);

	rx_ring_destroy(rx);
	tx_ring_destroy(tx);
	pkt_pool_destroy(pool);
	CHECK_EQ(fake_hal_live_dma(fk), 0);
	fake_hal_close(fk);
}

int main(void)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_tx_sizes),
		TL_CASE(test_rx_sizes),
		TL_CASE(test_hw_setup),
	};

	return tl_run(cases, TL_N(cases));
}
