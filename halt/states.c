/* SPDX-License-Identifier: MIT */
#include "states.h"

const char *e1k_state_name(enum e1k_state s)
{
	static const char *const names[E1K_NSTATES] = {
		[E1K_STATE_HALTED] = "Halted",         [E1K_STATE_INITIALIZING] = "Initializing",
		[E1K_STATE_PAUSED] = "Paused",         [E1K_STATE_RESTARTING] = "Restarting",
		[E1K_STATE_RUNNING] = "Running",       [E1K_STATE_PAUSING] = "Pausing",
		[E1K_STATE_SHUTDOWN] = "Shutdown",     [E1K_STATE_HALTING] = "Halting",
	};

	return (unsigned)s < E1K_NSTATES ? names[s] : "?";
}
