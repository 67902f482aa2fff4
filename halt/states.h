/* SPDX-License-Identifier: MIT */
/*
 * states.h - the NDIS miniport adapter states (plus the transient Halting),
 * shared by the halt framework, which reports them, and the driver, which
 * moves through them (driver/adapter.h draws the transitions).
 *
 * Pure tables, no state: Context any, Locks none, May block no.
 */
#ifndef E1K_STATES_H
#define E1K_STATES_H

enum e1k_state {
	E1K_STATE_HALTED,
	E1K_STATE_INITIALIZING,
	E1K_STATE_PAUSED,
	E1K_STATE_RESTARTING,
	E1K_STATE_RUNNING,
	E1K_STATE_PAUSING,
	E1K_STATE_SHUTDOWN,
	E1K_STATE_HALTING,     /* transient: the staged halt is in progress */
};
#define E1K_NSTATES 8

/* "Running"; "?" for a value out of range (never NULL). */
const char *e1k_state_name(enum e1k_state s);

#endif /* E1K_STATES_H */
