/* SPDX-License-Identifier: MIT */
#include "reasons.h"

#include <errno.h>
#include <strings.h>

const char *const e1k_halt_reason_names[E1K_HALT_NREASONS] = {
	[E1K_HALT_DISABLED]               = "disabled",
	[E1K_HALT_INSTANCE_DEINITIALIZED] = "instance-deinitialized",
	[E1K_HALT_POWERED_DOWN]           = "powered-down",
	[E1K_HALT_SURPRISE_REMOVED]       = "surprise-removed",
	[E1K_HALT_FAILED]                 = "failed",
	[E1K_HALT_INITIALIZATION_FAILED]  = "initialization-failed",
	[E1K_HALT_STOPPED]                = "stopped",
};

const char *const e1k_halt_reason_ndis_names[E1K_HALT_NREASONS] = {
	[E1K_HALT_DISABLED]               = "NdisHaltDeviceDisabled",
	[E1K_HALT_INSTANCE_DEINITIALIZED] = "NdisHaltDeviceInstanceDeInitialized",
	[E1K_HALT_POWERED_DOWN]           = "NdisHaltDevicePoweredDown",
	[E1K_HALT_SURPRISE_REMOVED]       = "NdisHaltDeviceSurpriseRemoved",
	[E1K_HALT_FAILED]                 = "NdisHaltDeviceFailed",
	[E1K_HALT_INITIALIZATION_FAILED]  = "NdisHaltDeviceInitializationFailed",
	[E1K_HALT_STOPPED]                = "NdisHaltDeviceStopped",
};

int e1k_halt_reason_parse(const char *s)
{
	if (!s)
		return -EINVAL;
	for (int r = 0; r < E1K_HALT_NREASONS; r++)
		if (!strcasecmp(s, e1k_halt_reason_names[r]) ||
		    !strcasecmp(s, e1k_halt_reason_ndis_names[r]))
			return r;
	return -EINVAL;
}

const char *e1k_halt_reason_name(enum e1k_halt_reason r)
{
	return (unsigned)r < E1K_HALT_NREASONS ? e1k_halt_reason_names[r] : "unknown";
}

const char *e1k_halt_reason_ndis_name(enum e1k_halt_reason r)
{
	return (unsigned)r < E1K_HALT_NREASONS ? e1k_halt_reason_ndis_names[r] : "unknown";
}
