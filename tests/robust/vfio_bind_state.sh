#!/usr/bin/env bash
# vfio_bind_state.sh VFIO_BIND - issue 17, item 4: scripts/vfio-bind's state
# file is input, not trusted.  On a fake root (E1K_VFIO_BIND_ROOT: a sysfs with
# one 82540EM, an e1000 driver directory, /run) and a fake modprobe on PATH
# that logs its argv, `restore` with a crafted remembered driver:
#
#   ../ path     refused, nothing changed; before: the BDF was written into
#                <root>/victim/bind, a file of the attacker's choosing
#   -C/tmp/x     refused, modprobe never run; before: modprobe got -C/tmp/x
#   control      refused, and not one byte outside printable ASCII printed;
#   bytes        before: the ESC sequence reached the terminal
#   good name    e1000x: `modprobe -- e1000x`, then "not available"
#   planted      a state file that is a symlink, a state directory others can
#                write: refused before reading
# and `unbind` under umask 000 creates the state directory 0700 and the file
# 0600 (before: 0777 and 0666).  Needs root (the script refuses otherwise).
set -uo pipefail
VFIO_BIND=$(readlink -f "$1")
if [[ $(id -u) -ne 0 ]]; then
	echo "skip: needs root"
	exit 77
fi

T=$(mktemp -d /tmp/e1k-vfio-bind.XXXXXX)
trap 'rm -rf "$T"' EXIT
passed=0 failed=0
ok() { echo "PASS $1"; passed=$((passed + 1)); }
bad() { echo "FAIL $1: $2"; failed=$((failed + 1)); }

BDF=0000:01:00.0
R=$T/root
P=$R/sys/bus/pci
# fresh_root [bound]: one 82540EM, the e1000 driver; bound to it or to nothing.
fresh_root() {
	rm -rf "$R" "$T/modprobe.log"
	mkdir -p "$P/devices/$BDF" "$P/drivers/e1000" "$R/run" "$R/victim"
	echo 0x8086 >"$P/devices/$BDF/vendor"
	echo 0x100e >"$P/devices/$BDF/device"
	: >"$P/devices/$BDF/driver_override"
	: >"$P/drivers_probe"
	: >"$P/drivers/e1000/bind"
	: >"$P/drivers/e1000/unbind"
	: >"$R/victim/bind"
	if [[ ${1:-} == bound ]]; then
		ln -s ../../drivers/e1000 "$P/devices/$BDF/driver"
		ln -s "../../devices/$BDF" "$P/drivers/e1000/$BDF"
	fi
	mkdir -p -m 0700 "$R/run/e1kd/vfio-bind"
}
mkdir -p "$T/bin"
cat >"$T/bin/modprobe" <<EOS
#!/bin/sh
echo "\$*" >>"$T/modprobe.log"
exit 1
EOS
chmod +x "$T/bin/modprobe"

# run ARGS...: vfio-bind on the fake root; OUT (stdout+stderr), RC.
run() {
	RC=0
	OUT=$(E1K_VFIO_BIND_ROOT=$R PATH=$T/bin:$PATH bash "$VFIO_BIND" "$@" 2>&1) || RC=$?
}
state() { printf '%b' "$1" >"$R/run/e1kd/vfio-bind/$BDF"; }
printable_only() { ! LC_ALL=C grep -q '[^[:print:]]' <<<"$OUT"; }
untouched() {   # nothing written to the device or the victim, modprobe not run
	[[ ! -s $R/victim/bind && ! -s $P/devices/$BDF/driver_override && ! -e $T/modprobe.log ]]
}

fresh_root bound
state '../../../../victim\n'
run restore "$BDF"
if ((RC == 1)) && [[ $OUT == *"is not a driver name"* ]] && untouched; then ok state_dotdot_refused
else bad state_dotdot_refused "exit $RC, victim '$(cat "$R/victim/bind")': $OUT"; fi

fresh_root bound
state '-C/tmp/x\n'
run restore "$BDF"
if ((RC == 1)) && [[ $OUT == *"is not a driver name"* ]] && untouched; then ok state_option_refused
else bad state_option_refused "exit $RC, modprobe: $(cat "$T/modprobe.log" 2>/dev/null): $OUT"; fi

fresh_root bound
state 'e1000\x1b[2J\x1b]0;owned\x07\x9b31m\n'
run restore "$BDF"
if ((RC == 1)) && printable_only && [[ $OUT == *"?[2J?]0;owned??31m"* ]] && untouched; then
	ok state_control_bytes_printable
else bad state_control_bytes_printable "exit $RC: $(printf '%q' "$OUT")"; fi

# A valid name that is not loaded: modprobe with "--", then refused.
fresh_root
state 'e1000x\n'
run restore "$BDF"
if ((RC == 1)) && [[ $OUT == *"original driver e1000x is not available"* ]] &&
   [[ $(cat "$T/modprobe.log" 2>/dev/null) == "-- e1000x" ]]; then ok modprobe_gets_dashdash
else bad modprobe_gets_dashdash "exit $RC, modprobe '$(cat "$T/modprobe.log" 2>/dev/null)': $OUT"; fi

# The good case: remembered e1000, already bound to it: restored, file gone.
fresh_root bound
state 'e1000\n'
run restore "$BDF"
if ((RC == 0)) && [[ $OUT == "$BDF restored to e1000" && ! -e $R/run/e1kd/vfio-bind/$BDF ]]; then
	ok state_good_restored
else bad state_good_restored "exit $RC: $OUT"; fi

# A state file that is a symlink (to a file whose first line would be echoed).
fresh_root bound
echo 'root:$6$secret' >"$T/secret"
ln -s "$T/secret" "$R/run/e1kd/vfio-bind/$BDF"
run restore "$BDF"
if ((RC == 1)) && [[ $OUT == *"not a regular file"* && $OUT != *secret* ]] && untouched; then
	ok state_symlink_refused
else bad state_symlink_refused "exit $RC: $OUT"; fi

# A state directory others can write: its files are not trusted.
fresh_root bound
state 'e1000\n'
chmod 0777 "$R/run/e1kd/vfio-bind"
run restore "$BDF"
if ((RC == 1)) && [[ $OUT == *"writable by group or others"* ]] && untouched; then
	ok state_dir_open_refused
else bad state_dir_open_refused "exit $RC: $OUT"; fi

# unbind under umask 000 creates the state directories 0700, the file 0600.
# (The fake driver never lets go, so unbind itself ends "still bound".)
fresh_root bound
rm -rf "$R/run/e1kd"
(umask 000; E1K_VFIO_BIND_ROOT=$R PATH=$T/bin:$PATH bash "$VFIO_BIND" unbind "$BDF" >/dev/null 2>&1)
modes="$(stat -c %a "$R/run/e1kd" "$R/run/e1kd/vfio-bind" "$R/run/e1kd/vfio-bind/$BDF" 2>&1 | tr '\n' ' ')"
if [[ $modes == "700 700 600 " && $(cat "$R/run/e1kd/vfio-bind/$BDF") == e1000 ]]; then
	ok state_modes_umask_000
else bad state_modes_umask_000 "modes $modes"; fi

echo "$passed passed, $failed failed"
((failed == 0))
