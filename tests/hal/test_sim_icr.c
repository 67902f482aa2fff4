/* SPDX-License-Identifier: MIT */
/* ICR read-to-clear / W1C, ICS, IMS (read returns mask, write ORs), IMC,
 * 82574 INT_ASSERTED and OTHER. */
#include "simtest.h"
#include "testlib.h"

#include <unistd.h>

static void test_ics_icr_82540(void)
{
	struct st_dev t;

	REQUIRE(st_open(&t, SIM_82540EM, SIM_WIRE_NONE) == 0);
	CHECK_U64(hal_rd32(t.hw, E1000_ICR), 0);
	hal_wr32(t.hw, E1000_ICS, E1000_ICR_TXDW | E1000_ICR_RXT0);
	CHECK_U64(hal_rd32(t.hw, E1000_ICR), E1000_ICR_TXDW | E1000_ICR_RXT0);
	CHECK_U64(hal_rd32(t.hw, E1000_ICR), 0);   /* read cleared it */
	/* ICS sets only causes that exist. */
	hal_wr32(t.hw, E1000_ICS, ~0u);
	CHECK_U64(hal_rd32(t.hw, E1000_ICR), E1000_ICR_VALID_8254X);
	/* ICR write is write-one-to-clear. */
	hal_wr32(t.hw, E1000_ICS, E1000_ICR_TXDW | E1000_ICR_LSC);
	hal_wr32(t.hw, E1000_ICR, E1000_ICR_TXDW);
	CHECK_U64(hal_rd32(t.hw, E1000_ICR), E1000_ICR_LSC);
	st_close(&t);
}

static void test_ims_imc(void)
{
	struct st_dev t;

	REQUIRE(st_open(&t, SIM_82540EM, SIM_WIRE_NONE) == 0);
	CHECK_U64(hal_rd32(t.hw, E1000_IMS), 0);
	hal_wr32(t.hw, E1000_IMS, E1000_ICR_TXDW);
	hal_wr32(t.hw, E1000_IMS, E1000_ICR_RXT0);
	CHECK_U64(hal_rd32(t.hw, E1000_IMS), E1000_ICR_TXDW | E1000_ICR_RXT0);
	hal_wr32(t.hw, E1000_IMC, E1000_ICR_TXDW);
	CHECK_U64(hal_rd32(t.hw, E1000_IMS), E1000_ICR_RXT0);
	hal_wr32(t.hw, E1000_IMS, ~0u);
	CHECK_U64(hal_rd32(t.hw, E1000_IMS), E1000_ICR_VALID_8254X);
	hal_wr32(t.hw, E1000_IMC, E1000_IMS_ALL);
	CHECK_U64(hal_rd32(t.hw, E1000_IMS), 0);
	/* Masking does not hide causes from ICR. */
	hal_wr32(t.hw, E1000_ICS, E1000_ICR_LSC);
	CHECK_U64(hal_rd32(t.hw, E1000_ICR), E1000_ICR_LSC);
	st_close(&t);
}

static void test_int_asserted_82574(void)
{
	struct st_dev t;

	REQUIRE(st_open(&t, SIM_82574L, SIM_WIRE_NONE) == 0);
	hal_wr32(t.hw, E1000_ICS, E1000_ICR_TXDW);
	CHECK_U64(hal_rd32(t.hw, E1000_ICR), E1000_ICR_TXDW);   /* not enabled: no bit 31 */
	hal_wr32(t.hw, E1000_IMS, E1000_ICR_TXDW);
	hal_wr32(t.hw, E1000_ICS, E1000_ICR_TXDW | E1000_ICR_LSC);
	CHECK_U64(hal_rd32(t.hw, E1000_ICR), E1000_ICR_TXDW | E1000_ICR_LSC | E1000_ICR_INT_ASSERTED);
	CHECK_U64(hal_rd32(t.hw, E1000_ICR), 0);
	/* Queue causes exist on the 82574. */
	hal_wr32(t.hw, E1000_ICS, ~0u);
	CHECK_U64(hal_rd32(t.hw, E1000_ICR), E1000_ICR_VALID_82574 | E1000_ICR_INT_ASSERTED);
	st_close(&t);
}

static void test_other_82574_msix(void)
{
	struct st_dev t;
	int efd[5];

	REQUIRE(st_open(&t, SIM_82574L, SIM_WIRE_NONE) == 0);
	for (int i = 0; i < 5; i++)
		efd[i] = st_efd();
	/* Without MSI-X, OTHER is not added. */
	hal_wr32(t.hw, E1000_ICS, E1000_ICR_LSC);
	CHECK_U64(hal_rd32(t.hw, E1000_ICR), E1000_ICR_LSC);
	CHECK_OK(hal_irq_set(t.hw, HAL_IRQ_MSIX, efd, 5));
	hal_wr32(t.hw, E1000_ICS, E1000_ICR_LSC);
	CHECK_U64(hal_rd32(t.hw, E1000_ICR), E1000_ICR_LSC | E1000_ICR_OTHER);
	/* Clearing OTHER (W1C) clears the other causes with it. */
	hal_wr32(t.hw, E1000_ICS, E1000_ICR_RXO | E1000_ICR_TXDW);
	hal_wr32(t.hw, E1000_ICR, E1000_ICR_OTHER);
	CHECK_U64(hal_rd32(t.hw, E1000_ICR), E1000_ICR_TXDW);
	CHECK_OK(hal_irq_clear(t.hw, HAL_IRQ_MSIX));
	for (int i = 0; i < 5; i++)
		close(efd[i]);
	st_close(&t);
}

int main(void)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_ics_icr_82540),
		TL_CASE(test_ims_imc),
		TL_CASE(test_int_asserted_82574),
		TL_CASE(test_other_82574_msix),
	};
	return tl_run(cases, TL_N(cases));
}
