/* SPDX-License-Identifier: MIT */
/*
 * netlink.c - link configuration through libnl-route.
 *
 * Every operation is: look the interface up by name (RTM_GETLINK for that one
 * name, never a dump), then send one RTM_NEWLINK / RTM_NEWADDR carrying only
 * the requested attributes, addressed by the ifindex the lookup returned, and
 * wait for the kernel's ACK.  No link cache is allocated, so nothing of libnl's
 * outlives e1k_nl_close() but its one-time module registrations.
 */
#include "netlink.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/if.h> /* IFF_LOWER_UP, which <net/if.h> lacks */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netlink/addr.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>

#include "tapdev.h"

#define NETNS_RUN_DIR "/run/netns/"
#define E1K_NL_MAC_LEN 6

struct e1k_nl {
	pthread_mutex_t lock;  /* serialises requests on sk */
	struct nl_sock *sk;
};

/* libnl error (negative NLE_*) -> negative errno.  The kernel's errno went
 * through nl_syserr2nlerr(), so this is its inverse where that is one-to-one
 * and the closest errno where libnl merged several. */
static int nle_to_errno(int nle)
{
	switch (nle < 0 ? -nle : nle) {
	case NLE_SUCCESS:           return 0;
	case NLE_INTR:              return -EINTR;
	case NLE_BAD_SOCK:          return -EBADF;
	case NLE_AGAIN:             return -EAGAIN;
	case NLE_NOMEM:             return -ENOMEM;
	case NLE_EXIST:             return -EEXIST;
	case NLE_INVAL:             return -EINVAL;
	case NLE_RANGE:             return -ERANGE;
	case NLE_MSGSIZE:           return -EMSGSIZE;
	case NLE_OPNOTSUPP:         return -EOPNOTSUPP;
	case NLE_AF_NOSUPPORT:      return -EAFNOSUPPORT;
	case NLE_OBJ_NOTFOUND:      return -ENOENT;
	case NLE_NOATTR:            return -ENODATA;
	case NLE_MISSING_ATTR:      return -EINVAL;
	case NLE_AF_MISMATCH:       return -EAFNOSUPPORT;
	case NLE_SEQ_MISMATCH:      return -EPROTO;
	case NLE_MSG_OVERFLOW:      return -EOVERFLOW;
	case NLE_MSG_TRUNC:         return -EMSGSIZE;
	case NLE_NOADDR:            return -EADDRNOTAVAIL;
	case NLE_SRCRT_NOSUPPORT:   return -EOPNOTSUPP;
	case NLE_MSG_TOOSHORT:      return -EPROTO;
	case NLE_MSGTYPE_NOSUPPORT: return -EOPNOTSUPP;
	case NLE_OBJ_MISMATCH:      return -EINVAL;
	case NLE_NOCACHE:           return -ENOENT;
	case NLE_BUSY:              return -EBUSY;
	case NLE_PROTO_MISMATCH:    return -EPROTONOSUPPORT;
	case NLE_NOACCESS:          return -EACCES;
	case NLE_PERM:              return -EPERM;
	case NLE_PKTLOC_FILE:       return -ENOENT;
	case NLE_PARSE_ERR:         return -EINVAL;
	case NLE_NODEV:             return -ENODEV;
	case NLE_IMMUTABLE:         return -EPERM;
	case NLE_DUMP_INTR:         return -EAGAIN; /* dump changed under us: retry */
	case NLE_ATTRSIZE:          return -EINVAL;
	case NLE_FAILURE:
	default:                    return -EIO;
	}
}

/* A name the kernel could hold (dev_valid_name): 1..15 bytes, no '/', ':' or
 * whitespace, not "." or "..".  Looser than tapdev_name_valid() so existing
 * interfaces of any naming scheme can be read; checked before any request so
 * a bad name never reaches the kernel. */
static bool ifname_ok(const char *name)
{
	size_t n;

	if (!name)
		return false;
	for (n = 0; name[n]; n++) {
		unsigned char c = (unsigned char)name[n];

		if (n >= IFNAMSIZ - 1 || c == '/' || c == ':' || c <= ' ' || c == 0x7f)
			return false;
	}
	return n > 0 && strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

int e1k_nl_open(struct e1k_nl **out)
{
	struct e1k_nl *nl;
	int err;

	if (!out)
		return -EINVAL;
	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	err = pthread_mutex_init(&nl->lock, NULL);
	if (err) {
		free(nl);
		return -err;
	}
	nl->sk = nl_socket_alloc();
	if (!nl->sk) {
		err = -ENOMEM;
		goto fail;
	}
	/* libnl >= 3.2.26 creates the socket SOCK_CLOEXEC. */
	err = nl_connect(nl->sk, NETLINK_ROUTE);
	if (err < 0) {
		err = nle_to_errno(err);
		goto fail;
	}
	*out = nl;
	return 0;
fail:
	e1k_nl_close(nl);
	return err;
}

void e1k_nl_close(struct e1k_nl *nl)
{
	if (!nl)
		return;
	if (nl->sk) {
		/* nl_socket_free closes the fd if connected. */
		nl_socket_free(nl->sk);
		nl->sk = NULL;
	}
	pthread_mutex_destroy(&nl->lock);
	free(nl);
}

/* Look ifname up.  Caller holds nl->lock.  *link is a new reference. */
static int __link_lookup(struct e1k_nl *nl, const char *ifname, struct rtnl_link **link)
{
	int err;

	*link = NULL;
	err = rtnl_link_get_kernel(nl->sk, 0, ifname, link);
	if (err < 0) {
		err = nle_to_errno(err);
		/* The kernel answers an unknown name with ENODEV (newer) or its
		 * libnl rendering "object not found" (ENOENT): both mean no such
		 * interface here. */
		return err == -ENOENT ? -ENODEV : err;
	}
	if (!*link)
		return -ENODEV;
	return 0;
}

/* Send changes for ifname.  Caller holds nl->lock. */
static int __link_change(struct e1k_nl *nl, const char *ifname, struct rtnl_link *changes)
{
	struct rtnl_link *orig;
	int err;

	err = __link_lookup(nl, ifname, &orig);
	if (err < 0)
		return err;
	/* orig carries the ifindex the request is addressed to; changes carries
	 * only the attributes the caller set (libnl's ce_mask), so nothing else
	 * about the interface is rewritten. */
	err = rtnl_link_change(nl->sk, orig, changes, 0);
	rtnl_link_put(orig);
	return err < 0 ? nle_to_errno(err) : 0;
}

int e1k_nl_link_set(struct e1k_nl *nl, const char *ifname, const uint8_t *mac,
		    int mtu, int up)
{
	struct rtnl_link *changes;
	struct nl_addr *lladdr = NULL;
	int err;

	if (!nl || !ifname_ok(ifname) || up < -1 || up > 1)
		return -EINVAL;
	changes = rtnl_link_alloc();
	if (!changes)
		return -ENOMEM;
	if (mac) {
		lladdr = nl_addr_build(AF_LLC, mac, E1K_NL_MAC_LEN);
		if (!lladdr) {
			rtnl_link_put(changes);
			return -ENOMEM;
		}
		rtnl_link_set_addr(changes, lladdr); /* takes its own reference */
		nl_addr_put(lladdr);
	}
	if (mtu > 0)
		rtnl_link_set_mtu(changes, (unsigned)mtu);
	if (up == 1)
		rtnl_link_set_flags(changes, IFF_UP);
	else if (up == 0)
		rtnl_link_unset_flags(changes, IFF_UP);

	pthread_mutex_lock(&nl->lock);
	if (!mac && mtu <= 0 && up < 0) {
		struct rtnl_link *link;

		/* Nothing to change: still report a missing interface. */
		err = __link_lookup(nl, ifname, &link);
		if (err == 0)
			rtnl_link_put(link);
	} else {
		err = __link_change(nl, ifname, changes);
	}
	pthread_mutex_unlock(&nl->lock);
	rtnl_link_put(changes);
	return err;
}

int e1k_nl_link_get(struct e1k_nl *nl, const char *ifname, uint8_t mac[6],
		    int *mtu, bool *up, bool *carrier)
{
	struct rtnl_link *link;
	unsigned int flags;
	int err;

	if (!nl || !ifname_ok(ifname))
		return -EINVAL;
	pthread_mutex_lock(&nl->lock);
	err = __link_lookup(nl, ifname, &link);
	pthread_mutex_unlock(&nl->lock);
	if (err < 0)
		return err;

	if (mac) {
		struct nl_addr *a = rtnl_link_get_addr(link); /* borrowed */

		if (!a || nl_addr_get_len(a) != E1K_NL_MAC_LEN) {
			err = -EPROTO;
			goto out;
		}
		memcpy(mac, nl_addr_get_binary_addr(a), E1K_NL_MAC_LEN);
	}
	flags = rtnl_link_get_flags(link);
	if (mtu)
		*mtu = (int)rtnl_link_get_mtu(link);
	if (up)
		*up = (flags & IFF_UP) != 0;
	if (carrier)
		*carrier = (flags & IFF_LOWER_UP) != 0;
out:
	rtnl_link_put(link);
	return err;
}

/* IFLA_CARRIER through RTM_NEWLINK; -EOPNOTSUPP where the device has no
 * carrier hook. */
static int carrier_via_rtnl(struct e1k_nl *nl, const char *ifname, bool on)
{
	struct rtnl_link *changes = rtnl_link_alloc();
	int err;

	if (!changes)
		return -ENOMEM;
	rtnl_link_set_carrier(changes, on ? 1 : 0);
	pthread_mutex_lock(&nl->lock);
	err = __link_change(nl, ifname, changes);
	pthread_mutex_unlock(&nl->lock);
	rtnl_link_put(changes);
	return err;
}

int e1k_nl_set_carrier(struct e1k_nl *nl, const char *ifname, bool on)
{
	int err;

	if (!nl || !ifname_ok(ifname))
		return -EINVAL;
	err = carrier_via_rtnl(nl, ifname, on);
	if (err != -EOPNOTSUPP)
		return err;

	/* No carrier hook on this device (tun before 4.19, or not a tun): the
	 * host can still tell link from no link by the administrative state. */
	return e1k_nl_link_set(nl, ifname, NULL, 0, on ? 1 : 0);
}

int e1k_nl_tap_set_carrier(struct e1k_nl *nl, int tap_fd, const char *ifname,
			   bool on, enum e1k_nl_carrier_how *how)
{
	int err;

	if (!nl || !ifname_ok(ifname))
		return -EINVAL;
	if (tap_fd >= 0) {
		err = tapdev_set_carrier(tap_fd, on);
		if (err == 0) {
			if (how)
				*how = E1K_NL_CARRIER_TUNSETCARRIER;
			return 0;
		}
		if (err != -ENOTSUP)
			return err;
	}

	/* Same two steps as e1k_nl_set_carrier, recording which one worked. */
	err = carrier_via_rtnl(nl, ifname, on);
	if (err == 0 && how)
		*how = E1K_NL_CARRIER_IFLA_CARRIER;
	if (err != -EOPNOTSUPP)
		return err;
	err = e1k_nl_link_set(nl, ifname, NULL, 0, on ? 1 : 0);
	if (err == 0 && how)
		*how = E1K_NL_CARRIER_ADMIN_UPDOWN;
	return err;
}

/* "A.B.C.D/N" or "x:y::z/N" with an explicit prefix, nothing else (libnl's
 * parser also takes "default", "any" and bare addresses).  *out: new ref. */
static int parse_cidr(const char *cidr, struct nl_addr **out)
{
	const char *slash;
	char *end;
	long plen;
	int fam, err, maxlen;

	*out = NULL;
	if (!cidr)
		return -EINVAL;
	slash = strchr(cidr, '/');
	if (!slash || slash == cidr || slash[1] < '0' || slash[1] > '9')
		return -EINVAL;
	errno = 0;
	plen = strtol(slash + 1, &end, 10);
	if (errno || *end != '\0')
		return -EINVAL;
	fam = strchr(cidr, ':') ? AF_INET6 : AF_INET;
	maxlen = fam == AF_INET6 ? 128 : 32;
	if (plen < 0 || plen > maxlen)
		return -EINVAL;
	err = nl_addr_parse(cidr, fam, out);
	if (err < 0) {
		*out = NULL;
		return -EINVAL;
	}
	if (nl_addr_get_family(*out) != fam ||
	    (long)nl_addr_get_prefixlen(*out) != plen) {
		nl_addr_put(*out);
		*out = NULL;
		return -EINVAL;
	}
	return 0;
}

int e1k_nl_addr_add(struct e1k_nl *nl, const char *ifname, const char *cidr)
{
	struct rtnl_link *link = NULL;
	struct rtnl_addr *ra = NULL;
	struct nl_addr *local = NULL;
	int err;

	if (!nl || !ifname_ok(ifname))
		return -EINVAL;
	err = parse_cidr(cidr, &local);
	if (err < 0)
		return err;
	ra = rtnl_addr_alloc();
	if (!ra) {
		err = -ENOMEM;
		goto out;
	}

	pthread_mutex_lock(&nl->lock);
	err = __link_lookup(nl, ifname, &link);
	if (err == 0) {
		rtnl_addr_set_ifindex(ra, rtnl_link_get_ifindex(link));
		rtnl_addr_set_family(ra, nl_addr_get_family(local));
		err = rtnl_addr_set_local(ra, local);
		if (err == 0) {
			rtnl_addr_set_prefixlen(ra, (int)nl_addr_get_prefixlen(local));
			/* NLM_F_EXCL: an address already present is -EEXIST, not a
			 * silent success (libnl adds NLM_F_CREATE itself). */
			err = rtnl_addr_add(nl->sk, ra, NLM_F_EXCL);
		}
		if (err < 0)
			err = nle_to_errno(err);
	}
	pthread_mutex_unlock(&nl->lock);
out:
	if (link)
		rtnl_link_put(link);
	if (ra)
		rtnl_addr_put(ra);
	nl_addr_put(local);
	return err;
}

/* Open the namespace file for netns_name (see netlink.h). */
static int netns_open(const char *netns_name)
{
	char path[sizeof(NETNS_RUN_DIR) + NAME_MAX];
	int fd;

	if (!netns_name || !*netns_name)
		return -EINVAL;
	if (netns_name[0] == '/') {
		fd = open(netns_name, O_RDONLY | O_CLOEXEC);
	} else {
		size_t n = strlen(netns_name);

		if (n > NAME_MAX || strchr(netns_name, '/') ||
		    strcmp(netns_name, ".") == 0 || strcmp(netns_name, "..") == 0)
			return -EINVAL;
		snprintf(path, sizeof(path), NETNS_RUN_DIR "%s", netns_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	return fd < 0 ? -errno : fd;
}

int e1k_nl_link_move_netns(struct e1k_nl *nl, const char *ifname,
			   const char *netns_name)
{
	struct rtnl_link *changes;
	int fd, err;

	if (!nl || !ifname_ok(ifname))
		return -EINVAL;
	fd = netns_open(netns_name);
	if (fd < 0)
		return fd;
	changes = rtnl_link_alloc();
	if (!changes) {
		close(fd);
		return -ENOMEM;
	}
	/* IFLA_NET_NS_FD: the kernel takes the namespace from the fd; a file
	 * that is not a network namespace is refused with -EINVAL. */
	rtnl_link_set_ns_fd(changes, fd);
	pthread_mutex_lock(&nl->lock);
	err = __link_change(nl, ifname, changes);
	pthread_mutex_unlock(&nl->lock);
	rtnl_link_put(changes);
	close(fd);
	return err;
}

const char *e1k_nl_strerror(int err)
{
	const char *s;

	switch (err) {
	case 0:
		return "success";
	case -EINVAL:
		return "invalid argument (interface name, CIDR, namespace name, or a "
		       "value out of the device's range)";
	case -ENODEV:
		return "no such network interface in this namespace";
	case -ENOENT:
		return "no such network namespace (see ip netns list) or object";
	case -EEXIST:
		return "already exists (address already on the interface)";
	case -EPERM:
		return "operation not permitted (CAP_NET_ADMIN needed; a TAP with no open "
		       "fd cannot have carrier)";
	case -EADDRNOTAVAIL:
		return "address not usable (e.g. a multicast or zero MAC)";
	case -EOPNOTSUPP:
		return "not supported by this device or kernel"; /* ENOTSUP too */
	case -EPROTO:
		return "protocol error (interface has no Ethernet address, or an "
		       "unexpected netlink answer)";
	case -EIO:
		return "netlink request failed (error not reported by libnl)";
	default:
		break;
	}
	s = err < 0 ? strerrordesc_np(-err) : NULL;
	return s ? s : "unknown error";
}
