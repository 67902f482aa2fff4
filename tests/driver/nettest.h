/* SPDX-License-Identifier: MIT */
/*
 * nettest.h - network-namespace sandbox for tests that create TAPs and talk
 * netlink (drv_tap_*, drv_nl_*).
 *
 *   int main(void) {
 *       int rc = nt_sandbox_enter();     // 77 = skip (not root, no /dev/net/tun ...)
 *       if (rc) return rc;
 *       ... tl_run(...) ...
 *   }
 *
 * nt_sandbox_enter() must be called first in main, before any thread exists:
 * it moves the process into a fresh network namespace (so every interface,
 * address and frame the test makes dies with the process and never touches
 * the host's) and, when it can, a private mount namespace with its own tmpfs
 * on /run/netns, so that even named namespaces from nt_netns_create() vanish if
 * the test is killed.  Named namespaces are also deleted explicitly on every
 * exit path (nt_netns_delete, atexit, fatal signals).
 */
#ifndef E1K_TESTS_NETTEST_H
#define E1K_TESTS_NETTEST_H

#include <stdbool.h>
#include <stddef.h>

#define NT_SKIP 77

/* 0 when inside the sandbox; NT_SKIP (with a "skip: why" line on stderr) when
 * not root, /dev/net/tun is missing or namespaces are not permitted. */
int nt_sandbox_enter(void);

/* Create a named network namespace "e1kt-<pid>-<n>" (as `ip netns add` would:
 * a bind mount of a new netns at /run/netns/NAME).  name_out gets the name.
 * Returns 0 or -errno. */
int nt_netns_create(char *name_out, size_t size);

/* Delete it (umount + unlink, as `ip netns del`).  Unknown names are ignored. */
void nt_netns_delete(const char *name);

/* Run fn(ctx) on a thread that has entered the named namespace (setns only
 * affects that thread).  Returns fn's value, or -errno if the thread or setns
 * failed. */
int nt_in_netns(const char *name, int (*fn)(void *ctx), void *ctx);

/* Write a short string to a /proc/sys file of this namespace; -errno. */
int nt_sysctl(const char *path, const char *val);

#endif
