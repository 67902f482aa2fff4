# shellcheck shell=bash
# vfio_bind: scripts/vfio-bind status/bind/unbind/restore and every refusal.
# e2e-set: extended
# e2e-rig: --shared-group
# e2e-timeout: 240
. "$E2E_ROOT/tests/e2e/lib.sh"

orig=$(native_driver)
equal native_driver "$(driver_of "$BDF")" "$orig"
group=$(basename "$(readlink -f /sys/bus/pci/devices/$BDF/iommu_group)")

# --- status and help
out=$("$VFIO_BIND" status 2>&1)
if grep -qE "^$BDF +8086:[0-9a-f]{4} +$orig +$group " <<<"$out"; then ok status_lists_nic; else nok status_lists_nic "$(oneline "$out")"; fi
check help "$VFIO_BIND" --help

# --- refusals: nothing may change
refuse malformed_bdf "not a PCI address" "$VFIO_BIND" bind 01:00
refuse malformed_bdf_hex "not a PCI address" "$VFIO_BIND" bind 0000:01:zz.0
refuse unknown_bdf "no such PCI device" "$VFIO_BIND" bind 0000:7f:1f.7
refuse no_command "missing command" "$VFIO_BIND"
virtio=$(grep -l 0x1af4 /sys/bus/pci/devices/*/vendor | head -n1 | xargs dirname | xargs basename)
refuse non_e1000_virtio "not an e1000-class" "$VFIO_BIND" bind "$virtio"
port=$(basename "$(readlink -f /sys/bus/pci/devices/$BDF/..)")
refuse non_e1000_root_port "not an e1000-class" "$VFIO_BIND" bind "$port"
refuse non_e1000_restore "not an e1000-class" "$VFIO_BIND" restore "$port"
refuse not_root "must be root" setpriv --reuid=65534 --regid=65534 --clear-groups "$VFIO_BIND" bind "$BDF"
equal refusals_left_driver "$(driver_of "$BDF")" "$orig"

# vfio-pci missing and not loadable: the guest kernel's modules are not under
# /lib/modules in the chroot, so modprobe fails for real.
check rmmod_vfio_pci rmmod vfio_pci
refuse vfio_pci_missing "vfio-pci driver is not loaded" "$VFIO_BIND" bind "$BDF"
equal missing_left_driver "$(driver_of "$BDF")" "$orig"
check insmod_vfio_pci insmod "$E1K_RIG_MODULES/vfio-pci.ko"

# --- bind / unbind / restore
check bind "$VFIO_BIND" bind "$BDF"
equal bound_driver "$(driver_of "$BDF")" vfio-pci
if [[ -c /dev/vfio/$group ]]; then ok dev_vfio_node; else nok dev_vfio_node "/dev/vfio/$group missing"; fi
equal remembered "$(cat /run/e1kd/vfio-bind/$BDF 2>&1)" "$orig"
check bind_again_idempotent "$VFIO_BIND" bind "$BDF"
out=$("$VFIO_BIND" status)
if grep -qE "^$BDF .* vfio-pci " <<<"$out"; then ok status_shows_vfio; else nok status_shows_vfio "$(oneline "$out")"; fi
check unbind "$VFIO_BIND" unbind "$BDF"
equal unbound_driver "$(driver_of "$BDF")" -
check unbind_again_idempotent "$VFIO_BIND" unbind "$BDF"
check rebind "$VFIO_BIND" bind "$BDF"
equal rebind_keeps_memory "$(cat /run/e1kd/vfio-bind/$BDF 2>&1)" "$orig"
check restore "$VFIO_BIND" restore "$BDF"
equal restored_driver "$(driver_of "$BDF")" "$orig"
equal override_cleared "$(cat /sys/bus/pci/devices/$BDF/driver_override)" "(null)"
if [[ ! -e /run/e1kd/vfio-bind/$BDF ]]; then ok memory_removed; else nok memory_removed "state file left"; fi
check restore_again_idempotent "$VFIO_BIND" restore "$BDF"
equal restore_again_driver "$(driver_of "$BDF")" "$orig"

# --- a group that is not viable: two e1000 behind one PCIe-to-PCI bridge
pair=()
for d in /sys/bus/pci/devices/*; do
	b=$(basename "$d")
	[[ $b == "$BDF" ]] && continue
	[[ $(cat "$d/vendor"):$(cat "$d/device") == 0x8086:0x100e ]] && pair+=("$b")
done
if ((${#pair[@]} != 2)); then
	nok shared_group_devices "want two e1000 behind the bridge, found ${pair[*]:-none}"
else
	a=${pair[0]} b=${pair[1]}
	ga=$(basename "$(readlink -f /sys/bus/pci/devices/$a/iommu_group)")
	gb=$(basename "$(readlink -f /sys/bus/pci/devices/$b/iommu_group)")
	equal shared_group_same "$ga" "$gb"
	refuse group_not_viable "group $ga is not viable" "$VFIO_BIND" bind "$a"
	equal not_viable_left_driver "$(driver_of "$a")" e1000
	check unbind_partner "$VFIO_BIND" unbind "$b"
	check bind_now_viable "$VFIO_BIND" bind "$a"
	check bind_partner "$VFIO_BIND" bind "$b"
	check restore_a "$VFIO_BIND" restore "$a"
	check restore_b "$VFIO_BIND" restore "$b"
	equal pair_restored "$(driver_of "$a") $(driver_of "$b")" "e1000 e1000"
fi
finish
