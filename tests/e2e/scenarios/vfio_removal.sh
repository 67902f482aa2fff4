# shellcheck shell=bash
# vfio_removal: QMP device_del while a VFIO client holds the NIC.  The guest's
# vfio-pci signals the REQ eventfd; the client (vfio_probe --wait-req) lets go
# at once; QEMU then reports DEVICE_DELETED and the device leaves the guest.
# e2e-set: extended
# e2e-timeout: 180
. "$E2E_ROOT/tests/e2e/lib.sh"

check bind "$VFIO_BIND" bind "$BDF"
out=$("$VFIO_PROBE" "$BDF" --ready "$SHARE/probe-ready" --wait-req 20000 2>&1)
rc=$?
echo "$out" | sed 's/^/    /'
equal probe_exit "$rc" 0
equal req_signalled "$(sed -n 's/^req_signalled=//p' <<<"$out")" 1
if wait_until 15 test -e "$SHARE/qmp-deleted"; then ok qmp_device_deleted; else nok qmp_device_deleted "no DEVICE_DELETED within 15 s"; fi
if grep -q '"DEVICE_DELETED"' "$SHARE/qmp-events" 2>/dev/null && grep -q '"nic0"' "$SHARE/qmp-events"; then
	ok device_deleted_event_nic0
else
	nok device_deleted_event_nic0 "$(oneline "$(cat "$SHARE/qmp-events" 2>&1)")"
fi
if wait_until 10 test ! -e "/sys/bus/pci/devices/$BDF"; then ok gone_from_guest; else nok gone_from_guest "still in sysfs"; fi
rm -f "/run/e1kd/vfio-bind/$BDF"
faults=$(dmar_faults)
if [[ -z $faults ]]; then ok no_dmar_fault; else nok no_dmar_fault "$(oneline "$faults")"; fi
finish
