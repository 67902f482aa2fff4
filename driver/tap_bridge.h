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
 *
 * Offloads: the TAP carries a virtio-net header (hal/tapdev.h, vnet).  Its
 * features follow the NIC's (e1k_adapter_offloads at start): with TX checksum
 * offload the kernel hands over unchecksummed frames, with TSO4/TSO6 also TCP
 * super-frames of up to 64 KiB, which the bridge passes to the adapter as
 * e1k_frame offload requests (driver/vnet.h: a header that lies is dropped
 * and counted, one asking for what was not offered too).  Without TX checksum
 * offload the TAP asks for nothing and the kernel finishes every frame.
 * Towards the host, frames the device checksummed are marked DATA_VALID and
 * runs of one TCP flow in one receive call are coalesced (driver/gro.h) into
 * one write; every other frame is one write of its own.
 */
#ifndef E1K_TAP_BRIDGE_H
#define E1K_TAP_BRIDGE_H

#include <stddef.h>
#include <stdint.h>

#include "adapter.h"

struct e1k_tap_bridge;

struct e1k_tap_bridge_stats {
	/* TAP -> NIC: frames sent; dropped with the ring full; refused by the
	 * adapter or longer than the read buffer; vnet header lied; asked for an
	 * offload not in force; sent with TSO; sent with checksum offload (TSO
	 * ones included). */
	uint64_t to_nic, to_nic_busy_drops, to_nic_bad;
	uint64_t to_nic_bad_hdr, to_nic_unsupported, to_nic_gso, to_nic_csum;
	/* NIC -> TAP: frames written; frames dropped (the write failed);
	 * writes (one per packet); frames that went out coalesced with others. */
	uint64_t to_host, to_host_drops;
	uint64_t to_host_writes, to_host_merged;
	uint64_t to_host_sw_csum;   /* TCP frames the device did not check, checked here */
	uint64_t to_nic_zero_copy;  /* of to_nic, read straight into the adapter's buffers */
	unsigned offloads;   /* E1K_OFFLOAD_* in force on this bridge */
};

/* offloads as words for people: "csum tso4 tso6 rx-csum" (those set, in that
 * order), or "none".  buf of at least E1K_TAP_OFFLOADS_STRLEN.  Returns buf. */
#define E1K_TAP_OFFLOADS_STRLEN 32
const char *e1k_tap_offloads_str(unsigned offloads, char *buf, size_t len);

/* Context: control (the adapter must be Paused or Running).  On failure
 * nothing is left behind and err says why. */
int  e1k_tap_bridge_start(struct e1k_adapter *ad, const char *name,
                          struct e1k_tap_bridge **out, char *err, size_t errlen);
void e1k_tap_bridge_get_stats(struct e1k_tap_bridge *b, struct e1k_tap_bridge_stats *st);
const char *e1k_tap_bridge_name(const struct e1k_tap_bridge *b);
/* The TAP's MTU follows the NIC's (`e1kctl mtu`): set it on the host
 * interface.  0 or a negative errno with a reason in err.  Context: control. */
int  e1k_tap_bridge_set_mtu(struct e1k_tap_bridge *b, unsigned mtu, char *err, size_t errlen);
/* Free the object; the adapter must have been halted (which released the TAP
 * and the thread).  NULL ok. */
void e1k_tap_bridge_free(struct e1k_tap_bridge *b);

#endif
