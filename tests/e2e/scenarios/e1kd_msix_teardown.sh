# shellcheck shell=bash
# e1kd_msix_teardown: e1kd --irq-mode msix started and halted 20 times on the
# e1000e while the host floods it, so its interrupt throttle timer is armed at
# every teardown.  QEMU 7.2 aborts the whole VM (e1000e_intrmgr_on_msix_
# throttling_timer: Assertion msix_enabled) when MSI-X is disabled under an
# armed timer; e1kd's halt masks (IMC) and lets the throttle timers expire
# (stage mask-interrupts) before it disables the vectors.  Every halt reports per contract (the reasons take
# turns) and QEMU is still running at the end.  E2E_TEARDOWNS=N for more.
# e2e-set: extended
# e2e-needs: e1kd-vfio
# e2e-nics: e1000e
# e2e-timeout: 420
# e2e-host: agent
. "$E2E_ROOT/tests/e2e/lib.sh"

reasons=(stopped disabled instance-deinitialized powered-down surprise-removed failed initialization-failed)
rounds=${E2E_TEARDOWNS:-20}

rx_packets() { ctl_get stats rx.packets irq.interrupts; RXP=${J[0]:-} IRQS=${J[1]:-}; [[ $RXP =~ ^[0-9]+$ ]]; }
busy() { rx_packets && ((RXP >= 50 && IRQS >= 5)); }

check bind "$VFIO_BIND" bind "$BDF"
host_check flood_start 10 flood_start
done_ok=0
for ((i = 1; i <= rounds; i++)); do
	r=${reasons[$(((i - 1) % ${#reasons[@]}))]}
	e1kd_start "$i" --irq-mode msix || break
	ctl_get status irq_mode
	equal "irq_mode_$i" "${J[0]}" msix
	# The interface stays down: the flood reaches the device and the driver
	# (interrupts, receive DPCs) without the guest's stack answering.
	if wait_until 30 busy; then ok "interrupts_$i"; else nok "interrupts_$i" "rx.packets $RXP interrupts $IRQS"; fi
	check "halt_$i" ctl --json halt --reason "$r"
	e1kd_exit "$i" || break
	check_report "report_$i" "$SHARE/report-$i.json" "$r" || break
	done_ok=$i
done
equal teardowns "$done_ok" "$rounds"
host 15 flood_stop >/dev/null
qemu_alive qemu_alive
check restore "$VFIO_BIND" restore "$BDF"
faults=$(dmar_faults)
if [[ -z $faults ]]; then ok no_dmar_fault; else nok no_dmar_fault "$(oneline "$faults")"; fi
finish
