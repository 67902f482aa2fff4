/* SPDX-License-Identifier: MIT */
/*
 * tapdev.h - host TAP devices: the sim's "wire" and the driver's TAP bridge.
 *
 * Lifecycle:  tapdev_open()  ->  tapdev_read/write/set_carrier ...  ->  tapdev_close()
 *             tapdev_open_vnet()  ->  tapdev_read_vnet/writev_vnet ...  ->  tapdev_close()
 *
 * A TAP made here is never persistent: the interface exists exactly as long as
 * the fd is open, so a crashed process leaves nothing behind on the host.  The
 * fd is O_NONBLOCK (wait for POLLIN / POLLOUT with poll or epoll) and O_CLOEXEC.
 * Frames are raw Ethernet frames without the tun packet-info header
 * (IFF_NO_PI).  A TAP from tapdev_open() has no virtio-net header: one
 * finished frame per read or write (the sim's wire).  A TAP from
 * tapdev_open_vnet() carries a struct virtio_net_hdr (10 bytes, host byte
 * order: legacy virtio, no TUNSETVNETLE) in front of every frame, so the
 * kernel can hand over and take unchecksummed frames and TCP super-frames of
 * up to TAPDEV_GSO_MAX_FRAME bytes (the TAP bridge).  Use the _vnet calls on
 * such a TAP, the plain ones on the other.
 *
 * Threading: the functions keep no state beyond the fd.  One reader and one
 * writer may use the same fd at once (the kernel serialises each frame);
 * tapdev_close must not race with any other call on the same fd.
 * Errors are negative errno; nothing here aborts, exits or logs.
 */
#ifndef E1K_TAPDEV_H
#define E1K_TAPDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Shortest frame accepted or delivered: an Ethernet header (dst, src, type). */
#define TAPDEV_MIN_FRAME 14
/* Longest frame tapdev_write accepts. */
#define TAPDEV_MAX_FRAME 65535
/* Longest frame (after the header) on a vnet TAP: 14 + a 64 KiB IP packet. */
#define TAPDEV_GSO_MAX_FRAME 65550
/* Most pieces one tapdev_writev_vnet call takes (the header not counted). */
#define TAPDEV_MAX_IOV 256
/* IFNAMSIZ, including the terminating NUL. */
#define TAPDEV_NAMESIZ 16

/*
 * True when name is acceptable as an interface name for tapdev_open:
 * 1..15 characters from [A-Za-z0-9_.-], and neither "." nor "..".
 * Context: any.  Locks: none.  May block: no.
 */
bool tapdev_name_valid(const char *name);

/*
 * Create the TAP interface `name` (IFF_TAP | IFF_NO_PI, not persistent) and
 * return its fd (>= 0, O_NONBLOCK | O_CLOEXEC).  The interface starts down.
 * ifname_out (may be NULL) receives the name the kernel gave it.
 *
 * Errors:
 *   -EINVAL  name fails tapdev_name_valid() (it is never passed to the kernel)
 *   -EEXIST  an interface of that name already exists, of any kind.  Checked
 *            before TUNSETIFF, because TUNSETIFF would otherwise attach to an
 *            existing persistent tap; IFF_TUN_EXCL closes the race between the
 *            check and the ioctl (its -EBUSY is reported as -EEXIST too).
 *   -ENOENT  /dev/net/tun is missing (tun module not loaded / no device node);
 *            tapdev_strerror(-ENOENT) says so.
 *   -EPERM / -EACCES  no CAP_NET_ADMIN, or no access to /dev/net/tun.
 * Context: control.  Locks: none.  May block: briefly (the ioctl takes RTNL).
 */
int tapdev_open(const char *name, char ifname_out[TAPDEV_NAMESIZ]);

/*
 * tapdev_open(), plus IFF_VNET_HDR with a 10-byte header (TUNSETVNETHDRSZ)
 * and the TUN_F_* offloads in tun_offloads (TUNSETOFFLOAD: what the kernel
 * may hand us -- TUN_F_CSUM: frames whose checksum is still to be filled in;
 * TUN_F_TSO4/6 (need TUN_F_CSUM): TCP super-frames for us to cut).  0 asks
 * for none: the kernel finishes every frame itself.  The TAP's own features
 * follow: without TUN_F_CSUM the host computes every checksum.
 * Errors: those of tapdev_open(); -EINVAL also for TSO without TUN_F_CSUM or
 * a bit the kernel does not know (nothing is left behind).
 * Context: control.  Locks: none.  May block: briefly (RTNL).
 */
int tapdev_open_vnet(const char *name, char ifname_out[TAPDEV_NAMESIZ], unsigned tun_offloads);

/*
 * Close the fd; the kernel removes the interface.  fd < 0 is a no-op.
 * Context: control.  Locks: none.  May block: briefly (RTNL).
 */
void tapdev_close(int fd);

/*
 * Read one frame into buf.  Returns its length (TAPDEV_MIN_FRAME..len),
 * -EAGAIN when none is queued, or -EMSGSIZE for a frame shorter than
 * TAPDEV_MIN_FRAME or longer than len: such a frame is consumed (dropped), so
 * the caller simply reads the next one.
 * Context: any (one reader per fd).  Locks: none.  May block: no.
 */
ssize_t tapdev_read(int fd, void *buf, size_t len);

/*
 * Write one frame (len TAPDEV_MIN_FRAME..TAPDEV_MAX_FRAME, else -EINVAL): the
 * host kernel receives it as if it came in from the wire.  Returns 0,
 * -ENETDOWN when the interface is administratively down (tun refuses the frame
 * with EIO; callers treat it as a drop on the wire), -EAGAIN when the kernel
 * cannot take it now, -EIO on a short write, or -errno.  Carrier off does not
 * refuse frames (the host sees no link; the kernel still takes them).
 * Context: any (one writer per fd).  Locks: none.  May block: no.
 */
int tapdev_write(int fd, const void *frame, size_t len);

struct virtio_net_hdr;
struct iovec;

/*
 * Vnet TAP: read one header into *vh and the frame after it into buf.  Returns
 * the frame's length (TAPDEV_MIN_FRAME..len), -EAGAIN, or -EMSGSIZE for a
 * frame (or a read) too short for the header and an Ethernet header or longer
 * than len: consumed, read the next one.  The header is as the kernel wrote
 * it: checking it is the caller's job.
 * Context: any (one reader per fd).  Locks: none.  May block: no.
 */
ssize_t tapdev_read_vnet(int fd, struct virtio_net_hdr *vh, void *buf, size_t len);
/* The same, scattering the frame over iov[0..niov) (1..TAPDEV_MAX_IOV pieces;
 * len is their total): a frame read straight into the buffers a device sends
 * from. */
ssize_t tapdev_readv_vnet(int fd, struct virtio_net_hdr *vh, const struct iovec *iov,
                          unsigned niov);

/*
 * Vnet TAP: write *vh and then the frame gathered from iov[0..niov) in one
 * writev (one packet for the kernel).  niov 1..TAPDEV_MAX_IOV; the frame
 * TAPDEV_MIN_FRAME..TAPDEV_GSO_MAX_FRAME bytes, else -EINVAL.  Other results
 * as tapdev_write(); the kernel itself refuses (-EINVAL) a header that does
 * not fit the frame.
 * Context: any (one writer per fd).  Locks: none.  May block: no.
 */
int tapdev_writev_vnet(int fd, const struct virtio_net_hdr *vh, const struct iovec *iov,
                       unsigned niov);

/*
 * Set the TAP's carrier (operstate follows it) with TUNSETCARRIER, so the host
 * sees the NIC's link state while the interface stays administratively up.
 * Returns 0, or -ENOTSUP when the kernel lacks TUNSETCARRIER (before 4.19);
 * callers then fall back to IFF_UP/down (see e1k_nl_set_carrier).
 * Context: control or DPC.  Locks: none.  May block: briefly (RTNL).
 */
int tapdev_set_carrier(int fd, bool on);

/* Readable text for an error returned above (never NULL; for -ENOENT it names
 * /dev/net/tun and the tun module).  Context: any. */
const char *tapdev_strerror(int err);

#endif
