/* SPDX-License-Identifier: MIT */
/*
 * reasons.h - halt reasons and their two spellings (the NDIS HaltAction values;
 * what each one does: policy.h).
 *
 *   CLI name                  NDIS name (MiniportHaltEx HaltAction)
 *   disabled                  NdisHaltDeviceDisabled
 *   instance-deinitialized    NdisHaltDeviceInstanceDeInitialized
 *   powered-down              NdisHaltDevicePoweredDown
 *   surprise-removed          NdisHaltDeviceSurpriseRemoved
 *   failed                    NdisHaltDeviceFailed
 *   initialization-failed     NdisHaltDeviceInitializationFailed
 *   stopped                   NdisHaltDeviceStopped
 *
 * Pure tables, no state: Context any, Locks none, May block no.  This header has
 * no dependencies, so cli/ can name reasons without linking the halt.
 */
#ifndef E1K_HALT_REASONS_H
#define E1K_HALT_REASONS_H

enum e1k_halt_reason {
	E1K_HALT_DISABLED,
	E1K_HALT_INSTANCE_DEINITIALIZED,
	E1K_HALT_POWERED_DOWN,
	E1K_HALT_SURPRISE_REMOVED,
	E1K_HALT_FAILED,
	E1K_HALT_INITIALIZATION_FAILED,
	E1K_HALT_STOPPED,
};
#define E1K_HALT_NREASONS 7

/* Indexed by enum e1k_halt_reason. */
extern const char *const e1k_halt_reason_names[E1K_HALT_NREASONS];
extern const char *const e1k_halt_reason_ndis_names[E1K_HALT_NREASONS];

/* Either spelling, case-insensitive ("Powered-Down", "ndishaltdevicepowereddown").
 * Returns the enum value (>= 0), or -EINVAL for NULL or an unknown name. */
int e1k_halt_reason_parse(const char *s);
/* "stopped" / "NdisHaltDeviceStopped"; "unknown" for a value out of range
 * (never NULL, so the result can go straight to printf). */
const char *e1k_halt_reason_name(enum e1k_halt_reason r);
const char *e1k_halt_reason_ndis_name(enum e1k_halt_reason r);

#endif
