# shellcheck shell=bash
# rig_robust.sh - issue 7 on the QEMU + VFIO rig (scripts/qemu-rig), the parts
# that need a real vfio-pci: e1kd refuses, with one line, exit 1 and nothing
# left behind (no socket, no TAP, the device bound where it was):
#   - a device not bound to vfio-pci (bound to its kernel driver);
#   - /dev/vfio missing (the node hidden while the NIC is bound to vfio-pci);
#   - permission denied (e1kd as uid 65534 on a root-only /dev/vfio/N);
#   - an IOMMU group that is not viable (two e1000 behind one PCIe-to-PCI
#     bridge share a group: one bound to vfio-pci by hand, the other left on
#     e1000) -- needs --shared-group;
# and crash recovery on a real device: e1kd killed with SIGKILL under a ping
# flood (guest e1k0 198.18.0.2 <-> host rigtap 198.18.0.1), three times; a new
# e1kd on the same BDF, TAP name and socket path starts cleanly, carries
# traffic, halts clean; no DMAR fault in the guest's kernel log.
#
# Run (from the source tree, as root; about 2-3 minutes under TCG):
#   scripts/qemu-rig --nic e1000 --shared-group --timeout 400 \
#     --host-setup "bash tests/robust/rig_robust.host.sh" -- \
#     "E2E_ROOT=$PWD E1KD=BUILD/driver/e1kd E1KCTL=BUILD/cli/e1kctl bash tests/robust/rig_robust.sh"
# (and --nic e1000e).  Prints "  ok NAME" / "  not ok NAME: WHY"; exit 0 when
# every check passed.
. "$E2E_ROOT/tests/e2e/lib.sh"

ctl=/run/e1kd/robust.sock
q=(--log-level error)
nothing_left() {   # nothing_left NAME DRIVER: no socket, no TAP, bound to DRIVER
	local why=
	[[ -e $ctl ]] && why+="socket left; "
	ip link show e1k0 >/dev/null 2>&1 && why+="TAP left; "
	[[ $(driver_of "$BDF") == "$2" ]] || why+="driver $(driver_of "$BDF"), want $2; "
	if [[ -z $why ]]; then ok "$1"; else nok "$1" "$why"; fi
}

orig=$(native_driver)
equal native_driver "$(driver_of "$BDF")" "$orig"

# --- not bound to vfio-pci
refuse not_bound_to_vfio "bound to $orig, not vfio-pci: run scripts/vfio-bind bind" \
	"$E1KD" --device "$BDF" --ctl "$ctl" --tap e1k0 "${q[@]}"
nothing_left not_bound_left_nothing "$orig"

check bind "$VFIO_BIND" bind "$BDF"
group=$(basename "$(readlink -f "/sys/bus/pci/devices/$BDF/iommu_group")")

# --- permission denied: /dev/vfio/N is root's
refuse nonroot_vfio_denied "ermission denied|not permitted" \
	setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$E1KD" --device "$BDF" --ctl "$SHARE/nobody.sock" "${q[@]}"
nothing_left nonroot_left_nothing vfio-pci

# --- /dev/vfio missing (hidden under an empty tmpfs while bound)
if mount -t tmpfs -o mode=0755 none /dev/vfio; then
	refuse dev_vfio_missing "vfio is not available" \
		"$E1KD" --device "$BDF" --ctl "$ctl" --tap e1k0 "${q[@]}"
	umount /dev/vfio
	nothing_left dev_vfio_missing_left_nothing vfio-pci
	[[ -c /dev/vfio/$group ]] && ok dev_vfio_back || nok dev_vfio_back "/dev/vfio/$group missing"
else
	nok dev_vfio_missing "cannot hide /dev/vfio"
fi

# --- crash recovery under traffic
running() { "$E1KCTL" --ctl "$ctl" status 2>/dev/null | grep -qE '^state +Running'; }
start_e1kd() {   # start_e1kd TAG
	"$E1KD" --device "$BDF" --tap e1k0 --ctl "$ctl" --log-level warn >"$SHARE/e1kd-$1.log" 2>&1 &
	pid=$!
	if ! wait_until 30 running; then
		nok "start_$1" "not Running: $(oneline "$(tail -n 5 "$SHARE/e1kd-$1.log")")"
		kill -KILL "$pid" 2>/dev/null
		return 1
	fi
	ok "start_$1"
	ip addr add 198.18.0.2/24 dev e1k0 && ip link set e1k0 up
	if wait_until 20 ping -c 1 -W 1 198.18.0.1; then ok "ping_$1"; else nok "ping_$1" "no reply from the host"; fi
}
rx_packets() {
	"$E1KCTL" --ctl "$ctl" --json stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["rx"]["packets"])'
}
for round in 1 2 3; do
	start_e1kd "crash$round" || break
	ping -q -f -s 1000 -w 60 198.18.0.1 >/dev/null 2>&1 &
	fpid=$!
	want=$(($(rx_packets) + 100 * round))
	if wait_until 60 eval '[ "$(rx_packets)" -ge '"$want"' ]'; then ok "flood_$round"; else nok "flood_$round" "rx stuck at $(rx_packets)"; fi
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null
	kill "$fpid" 2>/dev/null
	wait "$fpid" 2>/dev/null
	ok "killed_under_traffic_$round"
	if ! ip link show e1k0 >/dev/null 2>&1; then ok "no_tap_left_$round"; else nok "no_tap_left_$round" "e1k0 still there"; fi
	equal "still_vfio_$round" "$(driver_of "$BDF")" vfio-pci
	if start_e1kd "restart$round"; then
		if ping -q -c 20 -i 0.05 -w 20 198.18.0.1 >/dev/null 2>&1; then ok "traffic_after_restart_$round"
		else nok "traffic_after_restart_$round" "ping failed"; fi
		"$E1KCTL" --ctl "$ctl" --json halt --reason stopped >"$SHARE/halt-$round.json" 2>&1
		check_report "clean_halt_after_restart_$round" "$SHARE/halt-$round.json" stopped
		if wait_until 30 eval '! kill -0 '"$pid"; then ok "exit_$round"; else nok "exit_$round" "still running"; kill -KILL "$pid"; fi
		wait "$pid" 2>/dev/null
	fi
done
faults=$(dmar_faults)
if [[ -z $faults ]]; then ok no_dmar_fault; else nok no_dmar_fault "$(oneline "$faults")"; fi
check restore "$VFIO_BIND" restore "$BDF"

# --- IOMMU group not viable (--shared-group)
pair=()
for d in /sys/bus/pci/devices/*; do
	b=$(basename "$d")
	[[ $b == "$BDF" ]] && continue
	[[ $(cat "$d/vendor"):$(cat "$d/device") == 0x8086:0x100e ]] && pair+=("$b")
done
if ((${#pair[@]} != 2)); then
	nok shared_group_devices "want two e1000 behind the bridge (run with --shared-group), found ${pair[*]:-none}"
else
	a=${pair[0]} b=${pair[1]}
	# Bind a to vfio-pci by hand (vfio-bind would refuse), leave b on e1000.
	echo vfio-pci >"/sys/bus/pci/devices/$a/driver_override"
	echo "$a" >"/sys/bus/pci/devices/$a/driver/unbind"
	echo "$a" >/sys/bus/pci/drivers_probe
	equal shared_a_on_vfio "$(driver_of "$a")" vfio-pci
	equal shared_b_on_e1000 "$(driver_of "$b")" e1000
	refuse group_not_viable "IOMMU group [0-9]+ is not viable" \
		"$E1KD" --device "$a" --ctl "$ctl" --tap e1k0 "${q[@]}"
	equal not_viable_a_still_vfio "$(driver_of "$a")" vfio-pci
	equal not_viable_b_still_e1000 "$(driver_of "$b")" e1000
	if [[ ! -e $ctl ]] && ! ip link show e1k0 >/dev/null 2>&1; then ok not_viable_left_nothing
	else nok not_viable_left_nothing "socket or TAP left"; fi
	echo "$a" >"/sys/bus/pci/devices/$a/driver/unbind"
	echo >"/sys/bus/pci/devices/$a/driver_override"
	echo "$a" >/sys/bus/pci/drivers_probe
	equal shared_a_restored "$(driver_of "$a")" e1000
fi
finish
