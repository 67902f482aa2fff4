# shellcheck shell=bash
# e1kd_refusals: what e1kd refuses on a real vfio-pci, each with one line,
# exit 1 and nothing left behind (no socket, no TAP, the device still bound
# where it was):
#   - a device not bound to vfio-pci (bound to its kernel driver);
#   - permission denied (e1kd as uid 65534 on a root-only /dev/vfio/N);
#   - /dev/vfio missing (the node hidden under a tmpfs while the NIC is bound);
#   - an IOMMU group that is not viable (two e1000 behind one PCIe-to-PCI
#     bridge share a group: one bound to vfio-pci by hand, the other left on
#     e1000; the rig's --shared-group).
# The same refusals without a rig: hal_vfio_sysfs (fake sysfs and /dev) and
# robust_e2e; crash recovery on the rig is e1kd_kill9.
# e2e-set: extended
# e2e-needs: e1kd-vfio
# e2e-rig: --shared-group
# e2e-nics: e1000
# e2e-timeout: 180
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
