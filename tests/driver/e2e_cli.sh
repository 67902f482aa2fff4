#!/usr/bin/env bash
# e2e_cli.sh E1KD E1KCTL - the command line as a user meets it: bad input to
# e1kd and e1kctl (clear message, exit status, nothing left behind), the
# control socket's stale/live handling, shutdown then halt, the TAP deleted
# under --halt-when-unbound, and recovery after e1kd dies of SIGKILL/SIGSEGV.
# Runs inside its own network namespace (unshare) so TAPs never touch the host.
set -euo pipefail
E1KD=$(readlink -f "$1") E1KCTL=$(readlink -f "$2")

source "$(dirname "$0")/../lib/harness.sh"
need_root
own_netns "$0" "$@"
harness_tmp e1k-cli

ctl=$tmp/run/e1kd.sock
# --- e1kd usage errors: exit 2, nothing started
expect e1kd_no_device 2 "--device is required" "$E1KD"
expect e1kd_unknown_option 2 "unknown option" "$E1KD" --device sim:82540em --bogus
expect e1kd_bad_model 2 "unknown sim model" "$E1KD" --device sim:i225 --ctl "$ctl"
expect e1kd_bad_bdf 2 "neither a PCI address" "$E1KD" --device 00:zz.0 --ctl "$ctl"
expect e1kd_bdf_nonexistent 1 "no PCI device 0000:7f:1f.7" "$E1KD" --device 7f:1f.7 --ctl "$ctl"
# A PCI function of this machine that is not an e1000-class NIC (a host bridge
# or a virtio device): refused by its IDs before anything is opened.
other=
for dev in /sys/bus/pci/devices/*; do
	[[ $(cat "$dev/vendor") == 0x8086 ]] && [[ $(cat "$dev/device") =~ ^0x(100e|100f|10d3)$ ]] && continue
	other=${dev##*/}; break
done
if [[ -n $other ]]; then
	expect e1kd_not_e1000 1 "not an e1000-class NIC" "$E1KD" --device "$other" --ctl "$ctl"
fi
expect e1kd_dpc_zero 2 "dpc-workers" "$E1KD" --device sim:82540em --dpc-workers 0
expect e1kd_dpc_absurd 2 "dpc-workers" "$E1KD" --device sim:82540em --dpc-workers 100000
expect e1kd_ring_not_pow2 2 "power" "$E1KD" --device sim:82540em --tx-ring 100
expect e1kd_ring_too_big 2 "power" "$E1KD" --device sim:82540em --rx-ring 8192
expect e1kd_bad_wire 2 "sim-wire" "$E1KD" --device sim:82540em --sim-wire ethernet
expect e1kd_bad_irq_mode 2 "irq-mode" "$E1KD" --device sim:82540em --irq-mode legacy
expect e1kd_msix_on_82540em 1 "MSI-X" "$E1KD" --device sim:82540em --irq-mode msix --ctl "$ctl"
expect e1kd_tap_name_too_long 2 "valid interface name" "$E1KD" --device sim:82540em --tap abcdefghijklmnopq --ctl "$ctl"
expect e1kd_tap_name_taken 1 "exists|TAP" "$E1KD" --device sim:82540em --tap lo --ctl "$ctl"
expect e1kd_help 0 "halt-when-unbound" "$E1KD" --help
[[ ! -e $ctl ]] && ok nothing_left_by_failures || bad nothing_left_by_failures "socket $ctl left"
! ip link show | grep -q abcdefghij && ok no_stale_tap || bad no_stale_tap "TAP left"

# --- e1kctl without a driver
expect e1kctl_no_driver 3 "no driver|not running|listening" "$E1KCTL" --ctl "$ctl" status
expect e1kctl_bad_reason 2 "reason" "$E1KCTL" --ctl "$ctl" halt --reason sleepy
expect e1kctl_usage 2 "usage|unknown" "$E1KCTL" --ctl "$ctl" frobnicate

# --- a running driver
"$E1KD" --device sim:82574l --sim-wire loopback --ctl "$ctl" --tap e1kt0 --halt-when-unbound \
	--report "$tmp/r1.json" 2>"$tmp/d1.log" &
pid=$!; pids+=("$pid")
wait_for driver_up 20 "$E1KCTL" --ctl "$ctl" status && ok driver_up
[[ $(stat -c %a "$ctl") == 600 && $(stat -c %a "$(dirname "$ctl")") == 700 ]] \
	&& ok socket_modes || bad socket_modes "$(stat -c '%a %n' "$ctl" "$(dirname "$ctl")")"
expect second_driver_refused 1 "in use|another e1kd|EADDRINUSE|address already" \
	"$E1KD" --device sim:82540em --ctl "$ctl"
expect refused_request_exit4 4 "already" "$E1KCTL" --ctl "$ctl" restart
expect bad_mtu_local_usage_error 2 "68 to 16110" "$E1KCTL" --ctl "$ctl" mtu 16111
expect filter_add 0 "" "$E1KCTL" --ctl "$ctl" filter add 02:00:00:00:00:42
expect filter_list 0 "02:00:00:00:00:42" "$E1KCTL" --ctl "$ctl" filter list
expect shutdown 0 "Shutdown" "$E1KCTL" --ctl "$ctl" shutdown
expect restart_after_shutdown 4 "Shutdown|not permitted|EPERM" "$E1KCTL" --ctl "$ctl" restart
expect halt_after_shutdown 0 "skipped" "$E1KCTL" --ctl "$ctl" halt --reason stopped
rc=0; wait "$pid" || rc=$?
((rc == 0)) && ok e1kd_exit0 || bad e1kd_exit0 "exit $rc"
expect report_clean 0 "^clean: stopped from Shutdown" "$E1KCTL" report check "$tmp/r1.json" --reason stopped
expect report_says_shutdown 0 "^skipped: done by shutdown$" "$E1KCTL" report get "$tmp/r1.json" stages.reset-device.detail
! ip link show e1kt0 >/dev/null 2>&1 && ok tap_removed || bad tap_removed "e1kt0 still there"
[[ ! -e $ctl ]] && ok socket_removed || bad socket_removed "$ctl left"
expect halt_when_gone 3 "no driver|listening" "$E1KCTL" --ctl "$ctl" halt --reason stopped

# --- the TAP deleted under --halt-when-unbound -> instance-deinitialized
"$E1KD" --device sim:82540em --ctl "$ctl" --tap e1kt1 --halt-when-unbound \
	--report "$tmp/r2.json" 2>"$tmp/d2.log" &
pid=$!; pids+=("$pid")
wait_for driver_up2 20 "$E1KCTL" --ctl "$ctl" status
ip link del e1kt1
rc=0; wait "$pid" || rc=$?
((rc == 0)) && ok tap_deleted_exit0 || bad tap_deleted_exit0 "exit $rc: $(tail -n 3 "$tmp/d2.log")"
expect tap_deleted_halts 0 "^clean: instance-deinitialized" \
	"$E1KCTL" report check "$tmp/r2.json" --reason instance-deinitialized

# --- crash recovery: SIGKILL and SIGSEGV leave a stale socket; a new e1kd takes over
for sig in KILL SEGV; do
	"$E1KD" --device sim:82540em --sim-wire loopback --ctl "$ctl" --tap e1kt2 2>"$tmp/d3.log" &
	pid=$!; pids+=("$pid")
	wait_for "driver_up_$sig" 20 "$E1KCTL" --ctl "$ctl" status
	kill -"$sig" "$pid"
	wait "$pid" 2>/dev/null || true
	[[ -S $ctl ]] && ok "stale_socket_after_$sig" || ok "no_socket_after_$sig"
	! ip link show e1kt2 >/dev/null 2>&1 && ok "tap_gone_after_$sig" || bad "tap_gone_after_$sig" "e1kt2 left"
	"$E1KD" --device sim:82540em --ctl "$ctl" --tap e1kt2 2>"$tmp/d4.log" &
	pid=$!; pids+=("$pid")
	if wait_for "restart_after_$sig" 20 "$E1KCTL" --ctl "$ctl" status; then ok "restart_after_$sig"; fi
	expect "halt_after_$sig" 0 "Halted" "$E1KCTL" --ctl "$ctl" halt --reason stopped
	wait "$pid" || true
done
grep -q "fatal signal: stopping the device" "$tmp/d3.log" && ok fatal_path_ran || bad fatal_path_ran "$(tail -n 2 "$tmp/d3.log")"

summary
