/* SPDX-License-Identifier: MIT */
/*
 * netlink.h - link configuration through libnl-route (NETLINK_ROUTE).
 *
 * Lifecycle:  e1k_nl_open()  ->  e1k_nl_link_* / addr / carrier ...  ->  e1k_nl_close()
 *
 * Used by the TAP bridge (MAC, MTU, up/down, carrier of the host-side TAP),
 * by the demo and by tests (addresses, moving a TAP into a namespace).
 *
 * Scope: every call names one interface and acts on that interface only: it is
 * looked up by name (RTM_GETLINK) and changed by its ifindex (RTM_NEWLINK), with
 * only the attributes asked for.  No cache of all links is kept or dumped.
 * The socket belongs to the network namespace of the thread that called
 * e1k_nl_open(); names are resolved in that namespace.
 *
 * Threading: one struct e1k_nl may be used from any number of threads; a mutex
 * inside serialises requests on its socket (libnl sockets are not thread
 * safe).  e1k_nl_close must not race with other calls on the same handle.
 * Every call is one request to the kernel answered by an ACK or an error, so
 * it blocks only while the kernel holds RTNL; nothing waits on another thread.
 *
 * Errors are negative errno.  libnl's NLE_* codes are mapped back to errno
 * (a kernel errno that libnl collapsed into NLE_FAILURE reads -EIO).  Codes
 * with a meaning specific to this module:
 *   -EINVAL   bad argument (interface name, CIDR, MTU out of the device's range)
 *   -ENODEV   no interface with that name in this namespace
 *   -ENOENT   (move_netns) no such named network namespace
 *   -EEXIST   (addr_add) the address is already on the interface
 *   -EPERM    (set_carrier on) a TAP with no open fd has no queue to carry
 *   -EADDRNOTAVAIL  (link_set mac) the kernel refused the MAC (multicast/zero)
 * e1k_nl_strerror() gives a readable message for each.
 */
#ifndef E1K_NETLINK_H
#define E1K_NETLINK_H

#include <stdbool.h>
#include <stdint.h>

struct e1k_nl;

/*
 * Connect a NETLINK_ROUTE socket.  *out is set only on success.
 * Errors: -ENOMEM, or the socket's errno.
 * Context: control.  Locks: none.  May block: no.
 */
int e1k_nl_open(struct e1k_nl **out);

/* Close the socket and free the handle.  NULL is a no-op.
 * Context: control.  Locks: none (no call may be in flight).  May block: no. */
void e1k_nl_close(struct e1k_nl *nl);

/*
 * Change ifname in one request: MAC (NULL: leave), MTU (<= 0: leave),
 * administrative state (1 up, 0 down, -1 leave).  The kernel applies the MAC,
 * then the MTU, then the flags; when it refuses one, the ones before it may
 * have been applied (the kernel's do_setlink is not transactional).
 * All three "leave" is a successful no-op (the name is still checked).
 * Context: control.  Locks: nl's mutex.  May block: on RTNL.
 */
int e1k_nl_link_set(struct e1k_nl *nl, const char *ifname, const uint8_t *mac,
		    int mtu, int up);

/*
 * Read ifname's MAC, MTU, administrative state (IFF_UP) and carrier as the
 * host sees it (IFF_LOWER_UP: carrier present and interface up, so carrier
 * implies up).  Any output pointer may be NULL.  -EPROTO if the link-layer
 * address is not 6 bytes (not an Ethernet-like interface).
 * Context: control or DPC.  Locks: nl's mutex.  May block: on RTNL.
 */
int e1k_nl_link_get(struct e1k_nl *nl, const char *ifname, uint8_t mac[6],
		    int *mtu, bool *up, bool *carrier);

/* How a carrier change was carried out. */
enum e1k_nl_carrier_how {
	E1K_NL_CARRIER_TUNSETCARRIER, /* ioctl on the TAP fd (tapdev_set_carrier) */
	E1K_NL_CARRIER_IFLA_CARRIER,  /* RTM_NEWLINK IFLA_CARRIER (dev_change_carrier) */
	E1K_NL_CARRIER_ADMIN_UPDOWN,  /* fallback: IFF_UP on / off */
};

/*
 * Make the host see carrier on/off on ifname, following the NIC's link.
 * Uses IFLA_CARRIER through libnl, which reaches the same kernel hook as
 * TUNSETCARRIER (tun's ndo_change_carrier, Linux >= 4.19) while the interface
 * stays administratively up.  Where the device has no carrier hook (-EOPNOTSUPP:
 * older kernels, non-tun devices) it falls back to IFF_UP/down through libnl.
 * A TAP whose fd is closed cannot get carrier on (-EPERM).
 * Context: control or DPC.  Locks: nl's mutex.  May block: on RTNL.
 */
int e1k_nl_set_carrier(struct e1k_nl *nl, const char *ifname, bool on);

/*
 * Same for a TAP whose fd the caller holds (the TAP bridge): TUNSETCARRIER on
 * tap_fd first (tapdev_set_carrier), then e1k_nl_set_carrier's two steps when
 * the kernel lacks the ioctl (tap_fd < 0: netlink only).  *how (may be NULL)
 * says which method took effect.  This is the call the TAP bridge uses.
 * Context: control or DPC.  Locks: nl's mutex on fallback.  May block: on RTNL.
 */
int e1k_nl_tap_set_carrier(struct e1k_nl *nl, int tap_fd, const char *ifname,
			   bool on, enum e1k_nl_carrier_how *how);

/*
 * Add an address given as "A.B.C.D/N" or "IPV6/N" (the prefix is required)
 * to ifname.  -EEXIST if it is already there.  For tests and the demo.
 * Context: control.  Locks: nl's mutex.  May block: on RTNL.
 */
int e1k_nl_addr_add(struct e1k_nl *nl, const char *ifname, const char *cidr);

/*
 * Move ifname into the network namespace netns_name: a name as made by
 * `ip netns add NAME` (opened as /run/netns/NAME; no '/', not "." or ".."),
 * or an absolute path to a namespace file (e.g. /proc/PID/ns/net).
 * After the move the interface is no longer visible through this handle;
 * a TAP's fd keeps working.  The kernel resets the interface to down.
 * Context: control.  Locks: nl's mutex.  May block: on RTNL.
 */
int e1k_nl_link_move_netns(struct e1k_nl *nl, const char *ifname,
			   const char *netns_name);

/* Readable message for an error returned above (never NULL).  Context: any. */
const char *e1k_nl_strerror(int err);

#endif
