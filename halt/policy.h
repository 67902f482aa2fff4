/* SPDX-License-Identifier: MIT */
/*
 * policy.h - what each halt reason allows the halt to do: the one table the
 * halt framework (halt.c) and docs/architecture.md ("The staged halt") follow.
 *
 *   reason                  device   sends       TX drain  RX returns  reset   then
 *   disabled                touched  drained     200 ms    2000 ms     10 ms   -
 *   instance-deinitialized  touched  drained     200 ms    2000 ms     10 ms   -
 *   powered-down            touched  drained     200 ms    2000 ms     10 ms   wake-up armed, D3hot
 *   surprise-removed        probed   aborted     0         2000 ms     10 ms   -
 *   failed                  touched  aborted     10 ms     200 ms      1 ms    -
 *   initialization-failed   touched  aborted     10 ms     200 ms      1 ms    -
 *   stopped                 touched  drained     200 ms    2000 ms     10 ms   -
 *
 * "probed": the device is read once; one that reads all ones is gone and
 * nothing touches it again (no register or config access); one that still
 * answers is stopped, masked and reset, but nothing waits on it.  Whatever
 * the reason, a removal detected while the halt runs switches the remaining
 * stages to "gone" (halt.c, halt_check_gone).
 *
 * disabled, instance-deinitialized and stopped behave alike today: each asks
 * for an orderly stop of a working device.  failed and initialization-failed
 * alike: neither trusts the device to make progress.
 *
 * Pure table: Context any, Locks none, May block no.
 */
#ifndef E1K_HALT_POLICY_H
#define E1K_HALT_POLICY_H

#include <stdbool.h>

#include "reasons.h"

struct e1k_halt_policy {
	bool probe_removed;     /* read the device once: all ones means gone */
	bool drain_tx;          /* wait (bounded) for sends; else abort them */
	unsigned tx_drain_ms;   /* drain-requests bound */
	unsigned rx_return_ms;  /* await-rx-returns bound */
	unsigned reset_us;      /* reset-device: bound on CTRL.RST self-clearing */
	bool power_down;        /* reset-device: arm wake-up and enter D3hot */
};

/* The policy of a valid reason; NULL for a value out of range. */
const struct e1k_halt_policy *e1k_halt_policy(enum e1k_halt_reason r);

#endif /* E1K_HALT_POLICY_H */
