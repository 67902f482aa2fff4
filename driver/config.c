/* SPDX-License-Identifier: MIT */
/* config.c - names (interrupt modes, initialization steps) and the adapter's
 * configuration: defaults and validation.  Pure functions. */
#include "adapter.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ring.h"

int e1k_irq_mode_parse(const char *s, enum e1k_irq_mode *out)
{
	static const char *const names[] = { "auto", "intx", "msi", "msix" };

	for (unsigned i = 0; i < 4; i++)
		if (strcasecmp(s, names[i]) == 0) {
			*out = (enum e1k_irq_mode)i;
			return 0;
		}
	return -EINVAL;
}

const char *e1k_irq_mode_name(enum e1k_irq_mode m)
{
	static const char *const names[] = { "auto", "intx", "msi", "msix" };

	return (unsigned)m < 4 ? names[m] : "?";
}

const char *e1k_init_step_name(enum e1k_init_step s)
{
	static const char *const names[E1K_STEP_COUNT] = {
		[E1K_STEP_IDENTIFY] = "identify device",
		[E1K_STEP_BUS_MASTER] = "enable bus mastering",
		[E1K_STEP_RESET] = "reset device",
		[E1K_STEP_MAC] = "read MAC address",
		[E1K_STEP_LINK] = "set up link",
		[E1K_STEP_POOL] = "allocate packet pool",
		[E1K_STEP_TX_RING] = "allocate TX ring",
		[E1K_STEP_RX_RING] = "allocate RX ring",
		[E1K_STEP_PROGRAM] = "program rings and filters",
		[E1K_STEP_TIMERS] = "start timer thread",
		[E1K_STEP_DPC_POOL] = "start DPC workers",
		[E1K_STEP_EVENTFDS] = "create interrupt eventfds",
		[E1K_STEP_IRQ_THREAD] = "start interrupt thread",
		[E1K_STEP_IRQ_REGISTER] = "register interrupts",
		[E1K_STEP_IRQ_START] = "enable removal request",
	};

	return (unsigned)s < E1K_STEP_COUNT && names[s] ? names[s] : "?";
}

void e1k_config_defaults(struct e1k_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->dpc_workers = 2;
	cfg->tx_ring_size = 256;
	/* 1024, not 256: under a flood the interrupt -> DPC path of a busy
	 * or virtualised host can take long enough to fill 256 (docs/benchmarks.md). */
	cfg->rx_ring_size = 1024;
	cfg->pool_size = 2048;
	cfg->irq_mode = E1K_IRQ_AUTO;
	cfg->itr_ns = 50000;
	cfg->itr_max_ns = 4000000;
	cfg->watchdog_ms = 500;
	cfg->tx_poll_ns = 50000;
	cfg->offloads = ~0u;
}

static bool pow2_in(unsigned v, unsigned lo, unsigned hi)
{
	return v >= lo && v <= hi && (v & (v - 1)) == 0;
}

int e1k_config_validate(const struct e1k_config *cfg, char *err, size_t errlen)
{
	if (cfg->dpc_workers < 1 || cfg->dpc_workers > 64) {
		snprintf(err, errlen, "--dpc-workers must be 1..64 (got %u)", cfg->dpc_workers);
		return -EINVAL;
	}
	if (!pow2_in(cfg->tx_ring_size, RING_NDESC_MIN, RING_NDESC_MAX) ||
	    !pow2_in(cfg->rx_ring_size, RING_NDESC_MIN, RING_NDESC_MAX)) {
		snprintf(err, errlen, "ring sizes must be powers of two in %u..%u (got tx %u, rx %u)",
		         RING_NDESC_MIN, RING_NDESC_MAX, cfg->tx_ring_size, cfg->rx_ring_size);
		return -EINVAL;
	}
	if (cfg->pool_size < cfg->rx_ring_size + cfg->tx_ring_size || cfg->pool_size > 65536) {
		snprintf(err, errlen, "pool size must be at least rx+tx ring sizes (%u) and at most 65536 (got %u)",
		         cfg->rx_ring_size + cfg->tx_ring_size, cfg->pool_size);
		return -EINVAL;
	}
	if (cfg->itr_ns > 65535u * 256u || cfg->itr_max_ns > 65535u * 256u) {
		snprintf(err, errlen, "interrupt throttle interval too large (max %u ns)", 65535u * 256u);
		return -EINVAL;
	}
	if (cfg->tx_poll_ns > 1000000000u) {
		snprintf(err, errlen, "TX wait poll interval too large (max 1 s)");
		return -EINVAL;
	}
	if (cfg->watchdog_ms < 10 || cfg->watchdog_ms > 60000) {
		snprintf(err, errlen, "watchdog period must be 10..60000 ms");
		return -EINVAL;
	}
	return 0;
}
