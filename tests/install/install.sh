#!/usr/bin/env bash
# install.sh BUILD_DIR SOURCE_DIR - `cmake --install` into a DESTDIR, then the
# installed e1kd and e1kctl against the software model.
#
#   layout     every file where GNUInstallDirs puts it under the configured
#              prefix (e1kd and the bind helper in sbin, e1kctl in bin, man8,
#              the unit, the bash completion, the example settings), nothing
#              outside DESTDIR+prefix, no @VAR@ left unconfigured, the unit's
#              paths the installed programs'
#   no build   no RPATH/RUNPATH and no library resolved into the build or
#              source tree (readelf, ldd); then, as root with unshare, the
#              installed tree is run with both trees hidden under empty
#              tmpfs mounts in a private mount namespace (run_installed.sh)
#
# The prefix is the one configured (CMAKE_INSTALL_PREFIX): the unit and the
# man pages carry its paths, so `cmake --install --prefix` at install time
# would not match them.
set -euo pipefail
build=$(readlink -f "$1") src=$(readlink -f "$2")
here=$(dirname "$(readlink -f "$0")")
source "$src/tests/lib/harness.sh"
harness_tmp e1k-install

prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
[[ -n $prefix ]] || die "no CMAKE_INSTALL_PREFIX in $build/CMakeCache.txt"
dest=$build/install-test/dest
rm -rf "$dest"
if DESTDIR=$dest cmake --install "$build" >"$tmp/install.log" 2>&1; then
	ok cmake_install
else
	cat "$tmp/install.log"
	die "cmake --install failed"
fi
root=$dest$prefix

# --- layout ---
want=(
	"sbin/e1kd x" "bin/e1kctl x" "sbin/e1kd-vfio-bind x"
	"share/man/man8/e1kd.8 -" "share/man/man8/e1kctl.8 -" "share/man/man8/e1kd-vfio-bind.8 -"
	"lib/systemd/system/e1kd@.service -"
	"share/bash-completion/completions/e1kctl -"
	"share/doc/e1kd/instance.conf.example -"
)
for w in "${want[@]}"; do
	f=${w% *} x=${w#* }
	if [[ ! -f $root/$f ]]; then
		bad "installed_$f" "missing: $root/$f"
	elif [[ $x == x && ! -x $root/$f ]]; then
		bad "installed_$f" "not executable"
	else
		ok "installed_$f"
	fi
done
n_want=${#want[@]}
n_got=$(find "$dest" -type f | wc -l)
outside=$(find "$dest" -type f ! -path "$root/*")
[[ -z $outside && $n_got -eq $n_want ]] && ok only_these_files ||
	bad only_these_files "$n_got files (want $n_want); outside the prefix: ${outside:-none}"
left=$(grep -l '@[A-Z_]*@' "$root"/share/man/man8/*.8 "$root/lib/systemd/system/e1kd@.service" \
	"$root/share/doc/e1kd/instance.conf.example" || true)
[[ -z $left ]] && ok configured || bad configured "@VAR@ left in: $left"
unit=$root/lib/systemd/system/e1kd@.service
paths_ok=1
while read -r p; do
	[[ -x $dest$p ]] || { paths_ok=0; bad unit_paths "$p (the unit runs it) is not installed"; }
done < <(grep -oE '^Exec[A-Za-z]*=[^ ]+' "$unit" | cut -d= -f2)
((paths_ok)) && ok unit_paths
# /etc/e1kd for prefix /usr, PREFIX/etc/e1kd otherwise (GNUInstallDirs).
grep -qE "^EnvironmentFile=/([^ ]*/)?etc/e1kd/%I\.conf\$" "$unit" &&
	ok unit_conf_path || bad unit_conf_path "$(grep EnvironmentFile "$unit")"

# --- nothing points into the build or source tree ---
for b in sbin/e1kd bin/e1kctl; do
	rp=$(readelf -d "$root/$b" | grep -E 'RPATH|RUNPATH' || true)
	[[ -z $rp ]] && ok "no_rpath_$b" || bad "no_rpath_$b" "$rp"
	l=$(ldd "$root/$b" 2>&1 || true)
	if grep -q "not found" <<<"$l" || grep -qF -e "$build" -e "$src" <<<"$l"; then
		bad "libs_$b" "$l"
	else
		ok "libs_$b"
	fi
done

# --- run the installed tree, the build and source trees out of sight ---
cp -a "$dest" "$tmp/dest"
cp "$here/run_installed.sh" "$src/tests/lib/harness.sh" "$src/tests/lsan.supp" \
	"$src/tests/tsan.supp" "$tmp/"
# LSan's and TSan's suppressions are read from the (hidden) source tree: use
# the copies.
if [[ -n ${LSAN_OPTIONS:-} ]]; then
	export LSAN_OPTIONS=${LSAN_OPTIONS//$src\/tests\/lsan.supp/$tmp\/lsan.supp}
fi
if [[ -n ${TSAN_OPTIONS:-} ]]; then
	export TSAN_OPTIONS=${TSAN_OPTIONS//$src\/tests\/tsan.supp/$tmp\/tsan.supp}
fi
# The inner script's checks count there; its status says whether any failed.
if [[ $(id -u) -eq 0 ]] && command -v unshare >/dev/null &&
	unshare --mount --propagation private true 2>/dev/null; then
	echo "(running the installed tree with $build and $src hidden)"
	unshare --mount --propagation private -- bash -c '
		mount -t tmpfs e1k-hidden "$1" && mount -t tmpfs e1k-hidden "$2" || exit 99
		[[ -z $(ls -A "$1") && -z $(ls -A "$2") ]] || exit 98
		exec bash "$3/run_installed.sh" "$3/dest$4" "$3"' _ "$build" "$src" "$tmp" "$prefix" ||
		failed=$((failed + 1))
else
	echo "(not root or no unshare: the installed tree runs with the build tree in place;"
	echo " readelf and ldd above are the check that it does not use it)"
	bash "$tmp/run_installed.sh" "$tmp/dest$prefix" "$tmp" || failed=$((failed + 1))
fi
summary
