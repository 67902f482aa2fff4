/* SPDX-License-Identifier: MIT */
/* The sim API around the device: parsing, names, open failures leaving
 * nothing behind, close with leftovers, sim_sync, hook removal. */
#include "simtest.h"
#include "testlib.h"

#include <string.h>
#include <unistd.h>

static void test_parse(void)
{
	enum sim_model m;
	enum sim_fault f;

	CHECK_OK(sim_model_parse("82540em", &m)); CHECK_EQ(m, SIM_82540EM);
	CHECK_OK(sim_model_parse("82540EM", &m)); CHECK_EQ(m, SIM_82540EM);
	CHECK_OK(sim_model_parse("82574L", &m));  CHECK_EQ(m, SIM_82574L);
	CHECK_OK(sim_model_parse("82574l", &m));  CHECK_EQ(m, SIM_82574L);
	CHECK_EQ(sim_model_parse("82545em", &m), -EINVAL);
	CHECK_EQ(sim_model_parse("", &m), -EINVAL);
	CHECK_EQ(sim_model_parse(NULL, &m), -EINVAL);
	CHECK_EQ(sim_model_parse("82540em", NULL), -EINVAL);

	static const char *const names[SIM_FAULT_COUNT] = {
		"surprise-remove", "remove-request", "hang", "storm", "link-down",
		"corrupt-wb", "hostile", "stuck-filters", "stuck-bit", "bad-eeprom", "lost-irq",
		"corrupt-loopback",
	};
	for (int i = 0; i < SIM_FAULT_COUNT; i++) {
		CHECK(strcmp(sim_fault_name((enum sim_fault)i), names[i]) == 0);
		CHECK_OK(sim_fault_parse(names[i], &f));
		CHECK_EQ(f, i);
	}
	CHECK_OK(sim_fault_parse("Link-Down", &f));
	CHECK_EQ(f, SIM_FAULT_LINK_DOWN);
	CHECK_EQ(sim_fault_parse("meltdown", &f), -EINVAL);
	CHECK_EQ(sim_fault_parse(NULL, &f), -EINVAL);
	CHECK(sim_fault_name(SIM_FAULT_COUNT) != NULL);
}

static void test_open_failures(void)
{
	struct sim_config cfg = { .model = SIM_82540EM, .wire = SIM_WIRE_NONE,
	                          .fail_irq_set_index = HAL_IRQ_NINDEX };
	struct hal_dev *hw = (struct hal_dev *)&cfg;   /* must be overwritten */
	int fds = st_count_fds();

	CHECK_EQ(sim_open(NULL, &hw), -EINVAL);
	CHECK(hw == NULL);
	CHECK_EQ(sim_open(&cfg, NULL), -EINVAL);
	cfg.model = (enum sim_model)7;
	CHECK_EQ(sim_open(&cfg, &hw), -EINVAL);
	cfg.model = SIM_82574L;
	cfg.wire = (enum sim_wire)9;
	CHECK_EQ(sim_open(&cfg, &hw), -EINVAL);
	cfg.wire = SIM_WIRE_TAP;
	cfg.tap_name = NULL;
	CHECK_EQ(sim_open(&cfg, &hw), -EINVAL);
	cfg.tap_name = "bad/name";
	CHECK_EQ(sim_open(&cfg, &hw), -EINVAL);
	cfg.tap_name = "this-name-is-far-too-long";
	CHECK_EQ(sim_open(&cfg, &hw), -EINVAL);
	/* A TAP that cannot be created (exists already: "lo"). */
	cfg.tap_name = "lo";
	CHECK(sim_open(&cfg, &hw) < 0);
	CHECK(hw == NULL);
	CHECK_EQ(st_count_fds(), fds);
}

static void test_open_close_cycles(void)
{
	int fds = st_count_fds();
	unsigned n = (unsigned)tl_scaled(200, 20);

	for (unsigned i = 0; i < n; i++) {
		struct st_dev t;
		int efd = st_efd();

		REQUIRE(st_open(&t, i % 2 ? SIM_82574L : SIM_82540EM, SIM_WIRE_LOOPBACK) == 0);
		CHECK(sim_is_sim(t.hw));
		CHECK(strcmp(t.hw->ops->name, "sim") == 0);
		CHECK(strncmp(t.hw->name, "sim:", 4) == 0);
		REQUIRE(st_setup_tx(&t, 16) == 0);
		REQUIRE(st_setup_rx(&t, 16, 2048, 0) == 0);
		CHECK_OK(hal_irq_set(t.hw, HAL_IRQ_INTX, &efd, 1));
		CHECK_OK(hal_irq_set(t.hw, HAL_IRQ_REQ, &efd, 1));
		close(efd);   /* the model keeps its own reference */
		/* Close with rings, buffers and triggers still in place. */
		{
			struct sim_stats st;

			sim_get_stats(t.hw, &st);
			CHECK_U64(st.live_mappings, 4);
		}
		hal_close(t.hw);
		t.hw = NULL;
	}
	CHECK_EQ(st_count_fds(), fds);
	hal_close(NULL);   /* accepted */
	CHECK(!sim_is_sim(NULL));
}

static void test_idle_sync_and_names(void)
{
	struct st_dev t;
	uint64_t t0;

	REQUIRE(st_open(&t, SIM_82574L, SIM_WIRE_NONE) == 0);
	CHECK(strcmp(t.hw->name, "sim:82574l") == 0);
	t0 = tl_now_ns();
	for (int i = 0; i < 100; i++)
		sim_sync(t.hw);
	CHECK(tl_now_ns() - t0 < 5000000000ull);
	CHECK_EQ(sim_fault(t.hw, SIM_FAULT_COUNT, true), -EINVAL);
	CHECK_EQ(sim_fault(NULL, SIM_FAULT_HANG, true), -EINVAL);
	sim_sync(NULL);                       /* accepted */
	{
		struct sim_stats st;

		memset(&st, 0xaa, sizeof(st));
		sim_get_stats(NULL, &st);
		CHECK_U64(st.dma_faults, 0);
		CHECK(!st.removed);
	}
	st_close(&t);
}

int main(void)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_parse),
		TL_CASE(test_open_failures),
		TL_CASE(test_open_close_cycles),
		TL_CASE(test_idle_sync_and_names),
	};
	return tl_run(cases, TL_N(cases));
}
