/* SPDX-License-Identifier: MIT */
#include "policy.h"

#define GRACEFUL { .drain_tx = true, .tx_drain_ms = 200, .rx_return_ms = 2000, .reset_us = 10000 }
#define HUNG     { .drain_tx = false, .tx_drain_ms = 10, .rx_return_ms = 200, .reset_us = 1000 }

static const struct e1k_halt_policy policies[E1K_HALT_NREASONS] = {
	[E1K_HALT_DISABLED]               = GRACEFUL,
	[E1K_HALT_INSTANCE_DEINITIALIZED] = GRACEFUL,
	[E1K_HALT_POWERED_DOWN]           = { .drain_tx = true, .tx_drain_ms = 200,
	                                      .rx_return_ms = 2000, .reset_us = 10000,
	                                      .power_down = true },
	[E1K_HALT_SURPRISE_REMOVED]       = { .probe_removed = true, .drain_tx = false,
	                                      .tx_drain_ms = 0, .rx_return_ms = 2000,
	                                      .reset_us = 10000 },
	[E1K_HALT_FAILED]                 = HUNG,
	[E1K_HALT_INITIALIZATION_FAILED]  = HUNG,
	[E1K_HALT_STOPPED]                = GRACEFUL,
};

const struct e1k_halt_policy *e1k_halt_policy(enum e1k_halt_reason r)
{
	return (unsigned)r < E1K_HALT_NREASONS ? &policies[r] : 0;
}
