#!/usr/bin/env bash
# verify_unit.sh BUILD_DIR SOURCE_DIR - `systemd-analyze verify` on e1kd@.service
# as installed (its own DESTDIR under the build tree), silent and exit 0.
#
# verify checks that every Exec program exists and that the man pages of
# Documentation= open: the installed unit is checked with its paths moved
# under the DESTDIR (nothing else changed) and MANPATH set to the installed
# pages.  verify exits 0 on a value it ignores (Type=notifyx), so any output
# fails too.  And the instance: systemd-escape leaves a PCI address as it is.
set -euo pipefail
build=$(readlink -f "$1") src=$(readlink -f "$2")
source "$src/tests/lib/harness.sh"
if ! command -v systemd-analyze >/dev/null; then
	echo "skip: systemd-analyze not found (Debian package systemd); the unit is not verified"
	exit 77
fi
harness_tmp e1k-unit
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
dest=$build/install-test/verify-dest
rm -rf "$dest"
DESTDIR=$dest cmake --install "$build" >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; die "cmake --install failed"; }
unit=$dest$prefix/lib/systemd/system/e1kd@.service
[[ -f $unit ]] || die "no unit installed at $unit"
sed "s|=$prefix/|=$dest$prefix/|; s| $prefix/| $dest$prefix/|g" "$unit" >"$tmp/e1kd@.service"
if out=$(MANPATH=$dest$prefix/share/man systemd-analyze verify "$tmp/e1kd@.service" 2>&1) && [[ -z $out ]]; then
	ok systemd_analyze_verify
else
	bad systemd_analyze_verify "${out:-exit status not 0}"
fi
n=$(systemd-escape --template e1kd@.service 0000:01:00.0)
[[ $n == e1kd@0000:01:00.0.service ]] && ok instance_needs_no_escaping || bad instance_needs_no_escaping "$n"
summary
