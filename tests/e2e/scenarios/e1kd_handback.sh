# shellcheck shell=bash
# e1kd_handback: every NDIS halt reason, then the NIC goes back to its kernel
# driver and carries traffic -- with the host sending to the guest the whole
# time (UDP flood plus `ping -f` from the rig's namespace).  Per reason: bind
# to vfio-pci, the flood reaches e1kd (its receive counter grows), the halt (for
# surprise-removed: `e1kctl fault surprise-remove`, which clears Memory Space
# so the BAR reads all ones and e1kd halts by itself) reports per contract,
# e1kd exits 0, `vfio-bind restore` hands the NIC to the kernel driver, whose
# interface then pings the host.  The guest's kernel must log no DMAR fault
# (a device handed over still running, or DMA into memory e1kd gave up) and
# QEMU must not abort (QEMU 7.2's e1000e aborts if MSI-X goes away with its
# throttling timer armed).  The interrupt modes: E2E_IRQ_MODES, or intx on
# the e1000 and msix on the e1000e (e1kd_handback_modes runs the e1000e's
# others).
# e2e-set: default
# e2e-needs: e1kd-vfio
# e2e-timeout: 600
# e2e-host: agent
. "$E2E_ROOT/tests/e2e/lib.sh"

reasons=(stopped disabled instance-deinitialized powered-down surprise-removed failed initialization-failed)
case $E1K_RIG_NIC in
e1000) modes=(${E2E_IRQ_MODES:-intx}) ;;
*) modes=(${E2E_IRQ_MODES:-msix}) ;;
esac

rx_packets() { ctl_get stats rx.packets; RXP=${J[0]:-}; [[ $RXP =~ ^[0-9]+$ ]]; }
rx_grew() { rx_packets && ((RXP >= rx0 + 100)); }
kernel_if() { local n; for n in /sys/bus/pci/devices/"$BDF"/net/*; do [[ -e $n ]] && { basename "$n"; return 0; }; done; return 1; }
kernel_if_found() { KIF=$(kernel_if); }
kernel_carrier() { ip link show "$KIF" | grep -q 'LOWER_UP'; }

ndmar=$(dmar_faults | grep -c . || true)
host_check flood_start 10 flood_start
for mode in "${modes[@]}"; do
echo "  -- irq mode $mode"
for r in "${reasons[@]}"; do
	check "bind_$r" "$VFIO_BIND" bind "$BDF"
	e1kd_start "$r" --irq-mode "$mode" || continue
	rx_packets
	rx0=${RXP:-0}
	if wait_until 30 rx_grew; then ok "flood_reaches_$r"; else nok "flood_reaches_$r" "rx.packets $RXP (from $rx0) after 30 s"; fi
	if [[ $r == surprise-removed ]]; then
		check "fault_$r" ctl fault surprise-remove
	else
		check "halt_$r" ctl --json halt --reason "$r"
	fi
	e1kd_exit "$r"
	check_report "report_$r" "$SHARE/report-$r.json" "$r"
	# Back to the kernel driver, still under the flood.
	check "restore_$r" "$VFIO_BIND" restore "$BDF"
	equal "driver_$r" "$(driver_of "$BDF")" "$(native_driver)"
	if ! wait_until 20 kernel_if_found; then
		nok "kernel_if_$r" "no network interface for $BDF after 20 s"
	else
		ip addr flush dev "$KIF"
		ip link set dev "$KIF" up
		if wait_until 20 kernel_carrier; then
			ip addr add 198.18.0.2/24 dev "$KIF"
			check "kernel_traffic_$r" ping -c 3 -i 0.2 -w 15 198.18.0.1
		else
			nok "kernel_link_$r" "$KIF has no carrier 20 s after it was set up"
		fi
		ip addr flush dev "$KIF"
		ip link set dev "$KIF" down
	fi
	faults=$(dmar_faults)
	n=$(grep -c . <<<"$faults" || true)
	if ((n == ndmar)); then ok "no_dmar_fault_$r"; else nok "no_dmar_fault_$r" "$(oneline "$(tail -n +$((ndmar + 1)) <<<"$faults")")"; fi
	ndmar=$n
done
done
host 15 flood_stop >/dev/null
# A QEMU abort would have ended the guest; ask it anyway.
qemu_alive qemu_alive
finish
