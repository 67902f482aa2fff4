#!/usr/bin/env bash
# scripts/lib/rig-noiommu.sh KDIR KPKG KVER - build a vfio.ko with
# CONFIG_VFIO_NOIOMMU for the rig's guest kernel (scripts/qemu-rig --noiommu).
#
# Debian's 6.1 kernels ship vfio.ko without no-IOMMU support.  This rebuilds
# only vfio.ko (vfio_main.c, iova_bitmap.c, container.c of the matching
# linux-source-6.1, compiled with -DCONFIG_VFIO_NOIOMMU=1) against that
# kernel's linux-headers (and linux-kbuild-6.1), all fetched with apt-get
# download and unpacked with dpkg -x into a scratch directory: nothing is
# installed.  About 150 MB of downloads and 20 s, once: the result is
# KDIR/noiommu/vfio.ko (the caller holds the cache lock).  The other modules
# are the package's own; vermagic and symbol versions match (same headers).
# Exit 0 with the module in place, 1 with a message otherwise.
set -euo pipefail
kdir=$1 kpkg=$2 kver=$3
out=$kdir/noiommu
[[ -f $out/vfio.ko ]] && exit 0

die() { echo "rig-noiommu: $*" >&2; exit 1; }
ver=$(apt-cache policy "$kpkg" 2>/dev/null | sed -n 's/^ *Candidate: *//p' | head -n1)
[[ -n $ver && $ver != "(none)" ]] || die "cannot tell the version of $kpkg (apt-get update?)"
common=linux-headers-${kver%-*}-common   # 6.1.0-56-amd64 -> 6.1.0-56-common

tmp=$(mktemp -d "$kdir/../noiommu-build.XXXXXX")
chmod 0755 "$tmp"   # apt-get download runs as _apt: it must reach deb/
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/deb" "$tmp/root" "$tmp/src" "$tmp/build"
chown _apt "$tmp/deb" 2>/dev/null || true
echo "rig-noiommu: fetching linux-source-6.1 $ver and the headers of $kver (~150 MB)" >&2
(cd "$tmp/deb" && apt-get download -q "linux-source-6.1=$ver" "linux-headers-$kver=$ver" \
	"$common=$ver" "linux-kbuild-6.1=$ver" >/dev/null) || die "apt-get download failed"
for d in "$tmp"/deb/linux-headers-*.deb "$tmp"/deb/linux-kbuild-*.deb; do
	dpkg -x "$d" "$tmp/root"
done
hdr=$tmp/root/usr/src/linux-headers-$kver
[[ -f $hdr/Makefile ]] || die "no $hdr/Makefile"
# The flavour's Makefile includes the common one by its installed path.
sed -i "s#^include /usr/src/#include $tmp/root/usr/src/#" "$hdr/Makefile"

dpkg-deb --fsys-tarfile "$tmp"/deb/linux-source-6.1_*.deb |
	tar -xO ./usr/src/linux-source-6.1.tar.xz | xz -dc |
	tar -x -C "$tmp/src" --wildcards 'linux-source-6.1/drivers/vfio/*.[ch]' ||
	die "cannot unpack drivers/vfio from linux-source-6.1"
v=$tmp/src/linux-source-6.1/drivers/vfio
for f in vfio_main.c iova_bitmap.c container.c vfio.h; do
	[[ -f $v/$f ]] || die "linux-source-6.1 $ver has no drivers/vfio/$f (the module's layout changed)"
	cp "$v/$f" "$tmp/build/"
done
cat >"$tmp/build/Kbuild" <<'KB'
obj-m := vfio.o
vfio-y := vfio_main.o iova_bitmap.o container.o
ccflags-y := -DCONFIG_VFIO_NOIOMMU=1
KB
make -s -C "$hdr" M="$tmp/build" modules >"$tmp/make.log" 2>&1 || { tail -n 20 "$tmp/make.log" >&2; die "the module build failed"; }
strip --strip-debug "$tmp/build/vfio.ko"
mkdir -p "$out.tmp"
cp "$tmp/build/vfio.ko" "$out.tmp/vfio.ko"
rm -rf "$out"
mv "$out.tmp" "$out"
echo "rig-noiommu: built $out/vfio.ko" >&2
