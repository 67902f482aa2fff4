# shellcheck shell=bash
# e1kd_removal: QMP device_del while e1kd drives the NIC: vfio-pci's removal
# request halts e1kd with reason disabled, e1kd lets go, QEMU reports
# DEVICE_DELETED and the device leaves the guest.
# e2e-set: default e1000
# e2e-needs: e1kd-vfio
# e2e-timeout: 240
. "$E2E_ROOT/tests/e2e/lib.sh"

ctl=/run/e1kd/e2e.sock
check bind "$VFIO_BIND" bind "$BDF"
"$E1KD" --device "$BDF" --tap e1k0 --ctl "$ctl" --report "$SHARE/report-removal.json" \
	--log-level warn >"$SHARE/e1kd-removal.log" 2>&1 &
pid=$!
if wait_until 30 eval '"$E1KCTL" --ctl "$ctl" status 2>/dev/null | grep -qE "^state +Running"'; then
	ok e1kd_running
	touch "$SHARE/e1kd-running"
	if wait_until 40 eval '! kill -0 '"$pid"; then ok e1kd_exited; else nok e1kd_exited "still running 40 s after device_del"; kill -KILL "$pid"; fi
	rc=0
	wait "$pid" || rc=$?
	equal e1kd_exit "$rc" 0
	check_report report_disabled "$SHARE/report-removal.json" disabled
	if wait_until 20 test -e "$SHARE/qmp-deleted"; then ok qmp_device_deleted; else nok qmp_device_deleted "no DEVICE_DELETED"; fi
	if wait_until 10 test ! -e "/sys/bus/pci/devices/$BDF"; then ok gone_from_guest; else nok gone_from_guest "still in sysfs"; fi
else
	nok e1kd_running "not Running: $(oneline "$(tail -n 5 "$SHARE/e1kd-removal.log")")"
	kill -KILL "$pid" 2>/dev/null
fi
rm -f "/run/e1kd/vfio-bind/$BDF"
faults=$(dmar_faults)
if [[ -z $faults ]]; then ok no_dmar_fault; else nok no_dmar_fault "$(oneline "$faults")"; fi
finish
