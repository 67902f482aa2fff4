/* SPDX-License-Identifier: MIT */
/*
 * tapdev.c - TAP devices through /dev/net/tun (Documentation/networking/tuntap.rst).
 */
#include "tapdev.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#define TUN_PATH "/dev/net/tun"

_Static_assert(TAPDEV_NAMESIZ == IFNAMSIZ, "TAPDEV_NAMESIZ must match IFNAMSIZ");

bool tapdev_name_valid(const char *name)
{
	size_t n;

	if (!name)
		return false;
	for (n = 0; name[n]; n++) {
		char c = name[n];

		if (n >= TAPDEV_NAMESIZ - 1)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
			return false;
	}
	if (n == 0)
		return false;
	/* The kernel's dev_valid_name() refuses these too, but with a vaguer
	 * error; and a name like ".." must never reach a path anywhere. */
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return false;
	return true;
}

/* The header both sides agree on: no mergeable-rx-buffers field (that is for
 * a guest posting several receive buffers per packet; we read into one). */
#define VNET_HDR_LEN ((int)sizeof(struct virtio_net_hdr))
_Static_assert(sizeof(struct virtio_net_hdr) == 10, "legacy virtio-net header is 10 bytes");

#define TUN_OFFLOADS_KNOWN (TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN | TUN_F_UFO)

static int open_tap(const char *name, char ifname_out[TAPDEV_NAMESIZ], bool vnet,
                    unsigned offloads)
{
	struct ifreq ifr;
	int fd, err;
	unsigned short flags = IFF_TAP | IFF_NO_PI | IFF_TUN_EXCL;

	if (!tapdev_name_valid(name))
		return -EINVAL;
	/* TUNSETIFF on the name of an existing (persistent) tap attaches to it,
	 * and on a non-tun device fails with a misleading -EINVAL: refuse any
	 * existing interface first.  IFF_TUN_EXCL below closes the window
	 * between this check and the ioctl. */
	if (if_nametoindex(name) != 0)
		return -EEXIST;

	fd = open(TUN_PATH, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;

	memset(&ifr, 0, sizeof(ifr));
	/* ifr_flags is a short and IFF_TUN_EXCL is bit 15: the kernel reads the
	 * field as an unsigned 16-bit mask, so pass the bits through a u16. */
	if (vnet)
		flags |= IFF_VNET_HDR;
	ifr.ifr_flags = (short)flags;
	memcpy(ifr.ifr_name, name, strlen(name) + 1); /* validated: <= 15 + NUL */
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		err = errno;
		close(fd);
		/* -EBUSY: IFF_TUN_EXCL saw a tun/tap of that name appear after our
		 * check; -EINVAL here: a non-tun device of that name appeared. */
		if (err == EBUSY || (err == EINVAL && if_nametoindex(name) != 0))
			return -EEXIST;
		return -err;
	}
	if (vnet) {
		int hl = VNET_HDR_LEN;

		/* 10 is tun's default, but a TAP we did not make may have been
		 * changed: say it.  TUNSETOFFLOAD also sets the TAP's features
		 * (the host only hands us work we said we can do). */
		if (ioctl(fd, TUNSETVNETHDRSZ, &hl) < 0 ||
		    ioctl(fd, TUNSETOFFLOAD, (unsigned long)offloads) < 0) {
			err = errno;
			close(fd);
			return -err;
		}
	}
	/* Not persistent: TUNSETPERSIST is never set, so the last close of fd
	 * unregisters the interface. */
	if (ifname_out) {
		memcpy(ifname_out, ifr.ifr_name, TAPDEV_NAMESIZ);
		ifname_out[TAPDEV_NAMESIZ - 1] = '\0';
	}
	return fd;
}

int tapdev_open(const char *name, char ifname_out[TAPDEV_NAMESIZ])
{
	return open_tap(name, ifname_out, false, 0);
}

int tapdev_open_vnet(const char *name, char ifname_out[TAPDEV_NAMESIZ], unsigned tun_offloads)
{
	/* Refused before the TAP exists: TSO needs checksum offload (tun's own
	 * rule), and an unknown bit would be a typo we never want to pass on. */
	if ((tun_offloads & ~(unsigned)TUN_OFFLOADS_KNOWN) ||
	    ((tun_offloads & (TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN | TUN_F_UFO)) &&
	     !(tun_offloads & TUN_F_CSUM)))
		return -EINVAL;
	return open_tap(name, ifname_out, true, tun_offloads);
}

void tapdev_close(int fd)
{
	if (fd >= 0)
		close(fd);
}

ssize_t tapdev_read(int fd, void *buf, size_t len)
{
	/* One spare byte after buf: tun truncates a frame that does not fit (and
	 * returns either its full length or the bytes copied, depending on the
	 * kernel); with the spare byte both cases read back as n > len. */
	unsigned char spare;
	struct iovec iov[2] = {
		{ .iov_base = buf, .iov_len = len },
		{ .iov_base = &spare, .iov_len = 1 },
	};
	ssize_t n;

	if (fd < 0 || (!buf && len))
		return -EINVAL;
	do {
		n = readv(fd, iov, 2);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if ((size_t)n > len || n < TAPDEV_MIN_FRAME)
		return -EMSGSIZE; /* consumed: the kernel dequeued it */
	return n;
}

int tapdev_write(int fd, const void *frame, size_t len)
{
	ssize_t n;

	if (fd < 0 || !frame || len < TAPDEV_MIN_FRAME || len > TAPDEV_MAX_FRAME)
		return -EINVAL;
	do {
		n = write(fd, frame, len);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		/* tun_get_user() answers EIO while the device is not IFF_UP. */
		if (errno == EIO)
			return -ENETDOWN;
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	}
	if ((size_t)n != len)
		return -EIO;
	return 0;
}

ssize_t tapdev_readv_vnet(int fd, struct virtio_net_hdr *vh, const struct iovec *iov,
                          unsigned niov)
{
	unsigned char spare; /* as in tapdev_read: a frame over len reads as n > len */
	struct iovec v[TAPDEV_MAX_IOV + 2];
	size_t len = 0;
	ssize_t n;

	if (fd < 0 || !vh || !iov || niov == 0 || niov > TAPDEV_MAX_IOV)
		return -EINVAL;
	v[0].iov_base = vh;
	v[0].iov_len = sizeof(*vh);
	for (unsigned i = 0; i < niov; i++) {
		if (!iov[i].iov_base && iov[i].iov_len)
			return -EINVAL;
		len += iov[i].iov_len;
		v[i + 1] = iov[i];
	}
	v[niov + 1].iov_base = &spare;
	v[niov + 1].iov_len = 1;
	do {
		n = readv(fd, v, (int)niov + 2);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (n < VNET_HDR_LEN + TAPDEV_MIN_FRAME || (size_t)n - VNET_HDR_LEN > len)
		return -EMSGSIZE; /* consumed */
	return n - VNET_HDR_LEN;
}

ssize_t tapdev_read_vnet(int fd, struct virtio_net_hdr *vh, void *buf, size_t len)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };

	return tapdev_readv_vnet(fd, vh, &iov, 1);
}

int tapdev_writev_vnet(int fd, const struct virtio_net_hdr *vh, const struct iovec *iov,
                       unsigned niov)
{
	struct iovec v[TAPDEV_MAX_IOV + 1];
	size_t len = 0;
	ssize_t n;

	if (fd < 0 || !vh || !iov || niov == 0 || niov > TAPDEV_MAX_IOV)
		return -EINVAL;
	v[0].iov_base = (void *)vh;
	v[0].iov_len = sizeof(*vh);
	for (unsigned i = 0; i < niov; i++) {
		if (!iov[i].iov_base && iov[i].iov_len)
			return -EINVAL;
		len += iov[i].iov_len;
		v[i + 1] = iov[i];
	}
	if (len < TAPDEV_MIN_FRAME || len > TAPDEV_GSO_MAX_FRAME)
		return -EINVAL;
	do {
		n = writev(fd, v, (int)niov + 1);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno == EIO)
			return -ENETDOWN;
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	}
	if ((size_t)n != len + sizeof(*vh))
		return -EIO;
	return 0;
}

int tapdev_set_carrier(int fd, bool on)
{
	int v = on ? 1 : 0;

	if (fd < 0)
		return -EBADF;
	if (ioctl(fd, TUNSETCARRIER, &v) < 0) {
		/* Kernels before 4.19 do not know the ioctl: tun answers -EINVAL
		 * for an unknown command, generic code -ENOTTY. */
		if (errno == EINVAL || errno == ENOTTY)
			return -ENOTSUP;
		return -errno;
	}
	return 0;
}

const char *tapdev_strerror(int err)
{
	const char *s;

	switch (err) {
	case 0:
		return "success";
	case -EINVAL:
		return "invalid TAP name or frame length (names: 1-15 of [A-Za-z0-9_.-], "
		       "not '.' or '..'; frames: 14-65535 bytes)";
	case -EEXIST:
		return "an interface with that name already exists";
	case -ENOENT:
		return TUN_PATH " is missing: load the tun module (modprobe tun) or "
		       "create the node (mknod " TUN_PATH " c 10 200)";
	case -EPERM:
	case -EACCES:
		return "not permitted: creating a TAP needs CAP_NET_ADMIN and access to "
		       TUN_PATH;
	case -EMSGSIZE:
		return "frame shorter than an Ethernet header or longer than the buffer "
		       "(dropped)";
	case -ENOTSUP:
		return "the kernel does not support TUNSETCARRIER";
	case -ENETDOWN:
		return "the TAP interface is down: frame not taken";
	default:
		break;
	}
	s = err < 0 ? strerrordesc_np(-err) : NULL;
	return s ? s : "unknown error";
}
