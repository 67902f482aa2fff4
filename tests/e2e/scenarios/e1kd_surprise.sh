# shellcheck shell=bash
# e1kd_surprise: surprise removal on the real path.  While the host floods the
# NIC, `e1kctl fault surprise-remove` clears Memory Space in the command
# register through the VFIO config region; the next BAR read raises SIGBUS,
# the backend's guard turns it into all-ones reads, and e1kd halts by itself
# with reason surprise-removed: it does not crash, exits 0, and its report is
# per contract (device_gone, mmio_after_removal 0, ledger empty, no failed
# stage).  QEMU keeps running and, after vfio-pci's reset on release, a new
# e1kd initializes the device and passes traffic.
# e2e-set: default e1000e
# e2e-needs: e1kd-vfio
# e2e-timeout: 240
# e2e-host: agent
. "$E2E_ROOT/tests/e2e/lib.sh"

rx_packets() { ctl_get stats rx.packets; RXP=${J[0]:-}; [[ $RXP =~ ^[0-9]+$ ]]; }
rx_grew() { rx_packets && ((RXP >= rx0 + 200)); }

check bind "$VFIO_BIND" bind "$BDF"
if e1kd_start removal; then
	e1k0_up removal && check traffic_before ping -c 1 -w 10 198.18.0.1
	rx_packets
	rx0=${RXP:-0}
	host_check flood_start 10 flood_start
	if wait_until 30 rx_grew; then ok flood_reaches_driver; else nok flood_reaches_driver "rx.packets $RXP (from $rx0)"; fi
	dmar0=$(dmar_faults | grep -c .)
	check fault_surprise_remove ctl fault surprise-remove
	# No halt request: e1kd must find the device gone on its own.
	e1kd_exit removal 0 30
	host 15 flood_stop >/dev/null
	check_report report_surprise_removed "$SHARE/report-removal.json" surprise-removed
	js=$(<"$SHARE/report-removal.json")
	if [[ $js =~ \"device_gone\":true ]]; then ok report_device_gone; else nok report_device_gone "device_gone is not true"; fi
	log=$(<"$SHARE/e1kd-removal.log")
	echo "$log" | sed 's/^/    e1kd: /'
	if grep -q 'SIGBUS caught' <<<"$log"; then ok sigbus_caught; else nok sigbus_caught "no 'SIGBUS caught' in e1kd's log"; fi
	if grep -qi 'fatal signal' <<<"$log"; then nok no_crash "e1kd took a fatal signal"; else ok no_crash; fi
	qemu_alive qemu_alive
	# The device still DMAs after Memory Space is cleared (QEMU keeps bus
	# mastering), and the surprise-removed policy touches nothing: count
	# IOMMU faults for the record, they are not this check's subject.
	echo "    DMAR fault lines after the removal: $(($(dmar_faults | grep -c .) - dmar0))"
fi

# vfio-pci resets the function when e1kd's fds close: it works again.
if e1kd_start after; then
	if e1k0_up after; then
		check ping_guest_to_host_after ping -c 3 -i 0.2 -w 15 198.18.0.1
		host_check ping_host_to_guest_after 30 'ping -c 3 -i 0.2 -w 15 198.18.0.2'
	fi
	check halt_after ctl --json halt --reason stopped
	e1kd_exit after
	check_report report_after "$SHARE/report-after.json" stopped
fi
check restore "$VFIO_BIND" restore "$BDF"
finish
