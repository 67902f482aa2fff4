/* SPDX-License-Identifier: MIT */
/*
 * test_init_fail.c - initialize fails at every step (injected, and through the
 * model's allocation and interrupt knobs): each returns a clear error and
 * leaves nothing behind -- no DMA mapping (the model counts them), no thread,
 * no file descriptor (LSan checks memory in the ASan build).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "adapter.h"
#include "e1k_rcu.h"
#include "halt.h"
#include "rig.h"
#include "sim.h"
#include "testlib.h"

static bool threads_back(void *ctx)
{
	return rig_count_threads() == *(const unsigned *)ctx;
}

static unsigned base_threads, base_fds;

/* One full cycle so lazily created helpers (liburcu's call_rcu thread)
 * exist before the baseline is taken. */
static void warm_up(void)
{
	struct rig r;

	if (rig_up(&r, SIM_82574L, SIM_WIRE_NONE, NULL) == 0)
		rig_down(&r, E1K_HALT_STOPPED, NULL);
	base_threads = rig_count_threads();
	base_fds = rig_count_fds();
}

static void expect_clean_failure(struct sim_config *sc, struct e1k_config *c, const char *what,
                                 const char *expect_in_err)
{
	struct hal_dev *hw;
	struct e1k_adapter *ad = NULL;
	struct sim_stats ss;
	char err[512] = "";
	int rc;

	REQUIRE(sim_open(sc, &hw) == 0);
	rc = e1k_adapter_initialize(hw, c, NULL, &ad, err, sizeof(err));
	if (rc >= 0) {
		tl_fail(__FILE__, __LINE__, "%s: initialize succeeded", what);
		e1k_adapter_halt(ad, E1K_HALT_STOPPED, NULL);
		e1k_adapter_destroy(ad);
		return;
	}
	CHECK(ad == NULL);
	CHECK(strlen(err) > 10);
	if (expect_in_err && !strstr(err, expect_in_err))
		tl_fail(__FILE__, __LINE__, "%s: error '%s' does not mention '%s'", what, err, expect_in_err);
	sim_get_stats(hw, &ss);
	if (ss.live_mappings != 0)
		tl_fail(__FILE__, __LINE__, "%s: %llu DMA mappings left", what,
		        (unsigned long long)ss.live_mappings);
	/* The device is handed back with bus mastering off. */
	{
		uint16_t cmd = 0;

		CHECK_OK(hal_cfg_read16(hw, PCI_CFG_COMMAND, &cmd));
		CHECK(!(cmd & PCI_CFG_CMD_MASTER));
	}
	hal_close(hw);
	/* A joined thread can stay listed in /proc/self/task a moment longer
	 * (seen once under load): wait for the count, bounded. */
	(void)tl_wait_until(threads_back, &base_threads, 2000);
	if (rig_count_threads() != base_threads)
		tl_fail(__FILE__, __LINE__, "%s: %u threads, baseline %u", what, rig_count_threads(), base_threads);
	if (rig_count_fds() != base_fds)
		tl_fail(__FILE__, __LINE__, "%s: %u fds, baseline %u", what, rig_count_fds(), base_fds);
}

static void test_fail_at_every_step(void)
{
	warm_up();
	for (int m = 0; m < 2; m++) {
		for (int step = E1K_STEP_IDENTIFY; step < E1K_STEP_COUNT; step++) {
			struct sim_config sc = { .model = m ? SIM_82574L : SIM_82540EM,
			                         .fail_irq_set_index = HAL_IRQ_NINDEX };
			struct e1k_config c;
			char what[64];

			e1k_config_defaults(&c);
			c.fail_at_step = (enum e1k_init_step)step;
			c.fail_errno = step % 2 ? ENOMEM : EIO;
			snprintf(what, sizeof(what), "model %d step %d", m, step);
			expect_clean_failure(&sc, &c, what, e1k_init_step_name((enum e1k_init_step)step));
		}
	}
}

/* The model fails the Nth DMA allocation: pool, TX ring, RX ring. */
static void test_fail_dma_alloc(void)
{
	warm_up();
	for (unsigned n = 1; n <= 3; n++) {
		struct sim_config sc = { .model = SIM_82540EM, .fail_dma_alloc_at = n,
		                         .fail_irq_set_index = HAL_IRQ_NINDEX };
		struct e1k_config c;
		char what[64];

		e1k_config_defaults(&c);
		snprintf(what, sizeof(what), "dma alloc %u", n);
		expect_clean_failure(&sc, &c, what, "allocate");
	}
}

/* The model refuses interrupt registration: the vectors, then the REQ. */
static void test_fail_irq_set(void)
{
	static const struct { enum sim_model m; enum hal_irq_index idx; const char *msg; } cases[] = {
		{ SIM_82540EM, HAL_IRQ_INTX, "register" },
		{ SIM_82574L, HAL_IRQ_MSIX, "register" },
		{ SIM_82574L, HAL_IRQ_REQ, "removal request" },
	};

	warm_up();
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sim_config sc = { .model = cases[i].m, .fail_irq_set_index = (int)cases[i].idx };
		struct e1k_config c;
		char what[64];

		e1k_config_defaults(&c);
		snprintf(what, sizeof(what), "irq_set index %d", (int)cases[i].idx);
		expect_clean_failure(&sc, &c, what, cases[i].msg);
	}
}

static void test_bad_config(void)
{
	struct e1k_config c;
	char err[256];

	e1k_config_defaults(&c);
	c.dpc_workers = 0;
	CHECK_EQ(e1k_config_validate(&c, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "dpc-workers") != NULL);
	e1k_config_defaults(&c);
	c.dpc_workers = 65;
	CHECK_EQ(e1k_config_validate(&c, err, sizeof(err)), -EINVAL);
	e1k_config_defaults(&c);
	c.tx_ring_size = 100;
	CHECK_EQ(e1k_config_validate(&c, err, sizeof(err)), -EINVAL);
	c.tx_ring_size = 32;
	CHECK_EQ(e1k_config_validate(&c, err, sizeof(err)), -EINVAL);
	c.tx_ring_size = 8192;
	CHECK_EQ(e1k_config_validate(&c, err, sizeof(err)), -EINVAL);
	c.tx_ring_size = 4096;
	c.rx_ring_size = 4096;
	c.pool_size = 8192;
	CHECK_EQ(e1k_config_validate(&c, err, sizeof(err)), 0);
}

int main(int argc, char **argv)
{
	static const struct tl_case cases[] = {
		TL_CASE(test_fail_at_every_step),
		TL_CASE(test_fail_dma_alloc),
		TL_CASE(test_fail_irq_set),
		TL_CASE(test_bad_config),
	};

	e1k_rcu_thread_online();
	return tl_main(argc, argv, cases, TL_N(cases));
}
