/* SPDX-License-Identifier: MIT */
/*
 * rt_sched.h - SCHED_FIFO for some of this process's threads (e1kd --rt-prio).
 *
 * The adapter starts its interrupt thread and DPC workers itself (driver/,
 * through irq/) and names them; e1kd finds them by name in /proc/self/task
 * once e1k_adapter_initialize() returned and raises exactly those.  The
 * driver's thread hooks are the adapter's own (RCU registration), so the
 * daemon cannot add a policy there without a driver change.
 *
 * Context: control (e1kd's main thread).  Locks: none.  May block: no.
 */
#ifndef E1K_CLI_RT_SCHED_H
#define E1K_CLI_RT_SCHED_H

#include <stddef.h>

#define RT_SCHED_PRIO_MIN 1
#define RT_SCHED_PRIO_MAX 99

/* Can this process use SCHED_FIFO at prio?  Tried on the calling thread and
 * undone (back to SCHED_OTHER).  0, or a negative errno with err saying why
 * (EPERM: neither CAP_SYS_NICE nor an RLIMIT_RTPRIO of prio). */
int rt_sched_check(unsigned prio, char *err, size_t errlen);

/* SCHED_FIFO at prio for every thread of this process whose name starts with
 * one of prefixes (NULL-terminated).  The number of threads changed, or a
 * negative errno with err set (some may have been changed then). */
int rt_sched_apply(unsigned prio, const char *const *prefixes, char *err, size_t errlen);

#endif /* E1K_CLI_RT_SCHED_H */
