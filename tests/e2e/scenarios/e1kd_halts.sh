# shellcheck shell=bash
# e1kd_halts: one halt per NDIS reason while the host floods the NIC (UDP at
# ~20 kpps plus `ping -f` toward 198.18.0.2, from the rig's namespace).  Per
# reason: a fresh e1kd initializes the device the previous halt left behind
# and passes traffic (ping to the host), the flood reaches it (its receive
# counter grows), `e1kctl halt --reason R` reports per contract (Halted,
# ledger empty, verifier zeros, no failed stage), e1kd exits 0, the guest's
# kernel logged no DMAR fault.  At the end QEMU still runs (QMP) and a last
# e1kd passes traffic both ways.
# e2e-set: extended
# (The default set runs e1kd_handback instead: the same halts under a flood,
# each followed by the hand-back to the kernel driver.)
# e2e-needs: e1kd-vfio
# e2e-timeout: 420
# e2e-host: agent
. "$E2E_ROOT/tests/e2e/lib.sh"

reasons=(stopped disabled instance-deinitialized powered-down surprise-removed failed initialization-failed)

rx_packets() { ctl_get stats rx.packets; RXP=${J[0]:-}; [[ $RXP =~ ^[0-9]+$ ]]; }
rx_grew() { rx_packets && ((RXP >= rx0 + 200)); }

check bind "$VFIO_BIND" bind "$BDF"
ndmar=0
for r in "${reasons[@]}"; do
	e1kd_start "$r" || continue
	if e1k0_up "$r"; then
		check "traffic_$r" ping -c 1 -w 10 198.18.0.1
	fi
	rx_packets
	rx0=${RXP:-0}
	host_check "flood_start_$r" 10 flood_start
	if wait_until 30 rx_grew; then ok "flood_reaches_$r"; else nok "flood_reaches_$r" "rx.packets $RXP (from $rx0) after 30 s"; fi
	check "halt_$r" ctl --json halt --reason "$r"
	e1kd_exit "$r"
	host 15 flood_stop >/dev/null
	check_report "report_$r" "$SHARE/report-$r.json" "$r"
	faults=$(dmar_faults)
	n=$(grep -c . <<<"$faults")
	if ((n == ndmar)); then ok "no_dmar_fault_$r"; else nok "no_dmar_fault_$r" "$(oneline "$(tail -n +$((ndmar + 1)) <<<"$faults")")"; fi
	ndmar=$n
done
# QEMU dying would have ended the guest; ask it anyway.
qemu_alive qemu_alive

# The device initializes once more after the last halt and passes traffic.
if e1kd_start again; then
	if e1k0_up again; then
		check ping_guest_to_host ping -c 3 -i 0.2 -w 15 198.18.0.1
		host_check ping_host_to_guest 30 'ping -c 3 -i 0.2 -w 15 198.18.0.2'
	fi
	check halt_again ctl --json halt --reason stopped
	e1kd_exit again
	check_report report_again "$SHARE/report-again.json" stopped
fi
check restore "$VFIO_BIND" restore "$BDF"
finish
