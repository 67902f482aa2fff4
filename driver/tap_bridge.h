/* SPDX-License-Identifier: MIT */
/*
 * tap_bridge.h - the TAP bridge binding: the local kernel's traffic enters and
 * leaves through the driver.
 *
 * Lifecycle:  e1k_tap_bridge_start()  ...  [adapter halt releases it]
 *             e1k_tap_bridge_free()   after the halt
 *
 * start creates the TAP `name` on the local host, gives it the NIC's MAC
 * address and MTU through libnl-route, brings it up with carrier following the
 * NIC's link, binds to the adapter and starts one thread that reads frames the
 * kernel writes to the TAP and sends them through the NIC.  Frames the NIC
 * receives are written to the TAP from the receive indication (DPC) and their
 * buffers returned at once.  The TAP and the thread are recorded in the
 * adapter's ledger: the halt's unbind-upper stage stops the thread and
 * removes the TAP.
 */
#ifndef E1K_TAP_BRIDGE_H
#define E1K_TAP_BRIDGE_H

#include <stddef.h>
#include <stdint.h>

#include "adapter.h"

struct e1k_tap_bridge;

struct e1k_tap_bridge_stats {
	uint64_t to_nic, to_nic_busy_drops, to_nic_bad;     /* TAP -> NIC */
	uint64_t to_host, to_host_drops;                    /* NIC -> TAP */
};

/* Context: control (the adapter must be Paused or Running).  On failure
 * nothing is left behind and err says why. */
int  e1k_tap_bridge_start(struct e1k_adapter *ad, const char *name,
                          struct e1k_tap_bridge **out, char *err, size_t errlen);
void e1k_tap_bridge_get_stats(struct e1k_tap_bridge *b, struct e1k_tap_bridge_stats *st);
const char *e1k_tap_bridge_name(const struct e1k_tap_bridge *b);
/* Free the object; the adapter must have been halted (which released the TAP
 * and the thread).  NULL ok. */
void e1k_tap_bridge_free(struct e1k_tap_bridge *b);

#endif
