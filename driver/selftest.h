/* SPDX-License-Identifier: MIT */
/*
 * selftest.h - the adapter's self-test (ethtool -t): register, EEPROM,
 * interrupt and loopback (PHY, MAC) tests.
 *
 * Online (the adapter keeps running): the register test on the registers
 * that can be scribbled without disturbing traffic -- the flow-control
 * address, type and timer registers (this driver never enables flow
 * control) and the low halves of unused receive-address entries (no AV bit
 * is written, so no filter changes) -- and the EEPROM checksum.
 * Offline: a Running adapter is paused first (a Paused one stays Paused);
 * then the register test on every ring, timer, filter and MTA register too,
 * the EEPROM checksum, the interrupt test (each cause the adapter uses, set
 * through ICS, must reach the ISR, and must not while masked) and the
 * loopback test (PHY loopback through the PHY's control register on both
 * parts, MAC loopback through RCTL.LBM on the 82574L too; frames on rings of
 * the test's own, checked byte for byte, frames from the wire ignored);
 * every register it wrote is put back and a Running adapter is restarted.
 *
 * Register masks: the writable bits each register has in the SDMs (13.4);
 * a pattern is written through the mask and must read back the same --
 * except that a register QEMU is known not to read back (selftest.c:
 * qemu_unread) and that reads 0 after every pattern is named in the result
 * instead of failing it.
 *
 * Context: control (not an adapter thread).  Locks: takes the adapter's
 * control lock for the whole test (a pause or restart around it takes it
 * too).  May block: yes, bounded -- E1K_SELFTEST_IRQ_WAIT_MS per cause,
 * E1K_SELFTEST_LB_WAIT_MS per frame, and the pause's own bounds.
 */
#ifndef E1K_SELFTEST_H
#define E1K_SELFTEST_H

#include <stdbool.h>
#include <stdint.h>

#include "adapter.h"

#define E1K_SELFTEST_IRQ_WAIT_MS  1000u  /* a cause raised must reach the ISR within
                                          * (hardware takes microseconds; a loaded
                                          * machine can hold the thread for 200 ms) */
#define E1K_SELFTEST_IRQ_QUIET_MS 10u    /* a masked cause must not, for this long */
#define E1K_SELFTEST_LB_WAIT_MS   2000u  /* a looped-back frame must arrive within
                                          * (QEMU's e1000 holds what it receives for
                                          * a second after each RCTL write) */
#define E1K_SELFTEST_DETAIL_LEN   160u

enum e1k_selftest_id {
	E1K_SELFTEST_REGISTERS,
	E1K_SELFTEST_EEPROM,
	E1K_SELFTEST_INTERRUPT,
	E1K_SELFTEST_LOOPBACK,
	E1K_SELFTEST_COUNT
};

enum e1k_selftest_result { E1K_SELFTEST_SKIPPED, E1K_SELFTEST_PASS, E1K_SELFTEST_FAIL };

struct e1k_selftest_report {
	bool offline;
	struct {
		enum e1k_selftest_result result;
		uint64_t ns;                              /* how long it took */
		char detail[E1K_SELFTEST_DETAIL_LEN];     /* what was checked, or what failed */
	} t[E1K_SELFTEST_COUNT];
	unsigned failed;                 /* tests with E1K_SELFTEST_FAIL */
	enum e1k_state state_after;      /* Running or Paused, as before the test */
};

const char *e1k_selftest_name(enum e1k_selftest_id id);              /* "registers" ... */
const char *e1k_selftest_result_name(enum e1k_selftest_result r);    /* "pass", "fail", "skipped" */

/* Run the tests.  0 when they ran (failures are in rep), -EPERM unless the
 * adapter is Running or Paused, -ENODEV when the device is gone, or the
 * error of the pause or restart around an offline test. */
int e1k_adapter_selftest(struct e1k_adapter *ad, bool offline, struct e1k_selftest_report *rep);

#endif /* E1K_SELFTEST_H */
