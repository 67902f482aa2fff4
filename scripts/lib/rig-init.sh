#!/bin/sh
# /init of the QEMU rig's initramfs (busybox sh).  Built into the initramfs by
# scripts/qemu-rig; its hash is part of the initramfs cache key.
#
# Mounts proc/sys/dev, loads the modules listed in /etc/rig-modules (dependency
# order; MODULE.PARAM=VALUE words of the kernel command line become insmod
# options), mounts the host root read-only (9p tag hostroot) at /host and the
# rig's writable share (9p tag rigshare) at /host$SHARE, then runs the scenario
# ($SHARE/cmd.sh) chrooted into /host with /proc /sys /dev bind-mounted and a
# tmpfs on /run, so every path and binary is the host's, with the kernel's
# log copied to $SHARE/kmsg as it goes and the receive-timestamp switch held
# on (below).  Prints the markers
# E1K-RIG-BEGIN and E1K-RIG-EXIT=N on the console (the rig parses them) and
# powers off.  Kernel command line: e1krig.share=PATH [e1krig.netstamp=off].
PATH=/bin
export PATH

fail() {
	echo "rig-init: $*"
	echo "E1K-RIG-EXIT=125"
	poweroff -f
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
share=
for w in $(cat /proc/cmdline); do
	case $w in e1krig.share=*) share=${w#e1krig.share=} ;; esac
done
[ -n "$share" ] || fail "no e1krig.share= on the kernel command line"

# Module options from the kernel command line (MODULE.PARAM=VALUE), as modprobe
# would pass them: busybox insmod does not read /proc/cmdline itself.
for m in $(cat /etc/rig-modules); do
	n=$(echo "${m%.ko}" | tr - _)
	opts=
	for w in $(cat /proc/cmdline); do
		case $w in "$n".*=*) opts="$opts ${w#"$n".}" ;; esac
	done
	# shellcheck disable=SC2086
	insmod "/lib/modules/$m" $opts || fail "insmod $m$opts failed"
done

mkdir -p /host
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose hostroot /host || fail "cannot mount the host root (9p hostroot)"
[ -d "/host$share" ] || fail "share dir $share not visible through 9p"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 rigshare "/host$share" || fail "cannot mount the rig share (9p rigshare)"
for d in proc sys dev; do
	mount -o bind "/$d" "/host/$d" || fail "bind /$d"
done
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs -o mode=0755 tmpfs /host/run || fail "tmpfs on /run"
ip link set lo up 2>/dev/null

# The kernel's whole log, every level, into the share as it is written: the
# console shows errors only (`quiet`), not a stall's backtraces.  The rig
# keeps it next to the console log (scripts/qemu-rig --log: FILE.kmsg).
cat /dev/kmsg >"/host$share/kmsg" 2>/dev/null &

# The kernel's receive-timestamp switch held on for the guest's life (unless
# e1krig.netstamp=off), so that no ping run under the host's traffic flips
# it.  ping turns SO_TIMESTAMP on; the first such socket and the last one
# closed patch kernel text (the jump label behind net_enable_timestamp,
# through an int3).  Under TCG a vCPU looping in the receive path can keep
# executing that int3 from stale translated code after the patch is done:
# the int3 handler finds no int3 in memory, rewinds and retries, forever --
# a soft lockup in netif_receive_skb_list_internal (e1kd_handback's guest:
# Linux's driver after the hand-back, under the flood, just after a ping
# ended).  A ping that never ends holds the switch; it goes with the guest
# (never killed: its exit would patch again).
case " $(cat /proc/cmdline) " in
*" e1krig.netstamp=off "*) ;;
*) chroot /host /usr/bin/ping -q -i 1000 127.0.0.1 >/dev/null 2>&1 & ;;
esac

cwd=$(cat "/host$share/cwd" 2>/dev/null)
echo "E1K-RIG-BEGIN"
chroot /host /usr/bin/env -i \
	PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	HOME=/root TERM=dumb LANG=C.UTF-8 TMPDIR="$share/tmp" \
	E1K_RIG_GUEST=1 E1K_RIG_SHARE="$share" \
	/bin/bash -c 'cd "$1" 2>/dev/null || cd /; . "$2/env"; exec /bin/bash "$2/cmd.sh"' \
	rig "$cwd" "$share"
rc=$?
echo "E1K-RIG-EXIT=$rc"
sync
poweroff -f
