# shellcheck shell=bash
# e1kd_selftest: `e1kctl selftest` (ethtool -t) on the emulated NIC (issue 15).
# The host sends to the guest from before e1kd starts to after the NIC is
# handed back (a light UDP flood plus `ping -f`, paused only for the pings;
# the rig rule: the host keeps sending while the driver starts, pauses,
# tests, restarts, halts and hands the NIC back).  e1kd starts and passes
# traffic; the online self-test (registers, EEPROM) and the offline one
# (registers, EEPROM, interrupts, loopback: PHY, and MAC too on the e1000e)
# report every test "pass" (e1kctl --json selftest, exit 0; each test's
# detail printed), the offline one leaves the adapter Running, the flood
# still reaches it and pings go both ways after it; a clean halt (stopped).
# On the e1000e the offline test runs again in MSI and INTx mode (each with
# its own e1kd: the interrupt test in each mode).  Then the NIC handed back,
# no DMAR line in the guest's log.
# e2e-set: default
# e2e-needs: e1kd-vfio
# e2e-timeout: 300
# e2e-host: agent
. "$E2E_ROOT/tests/e2e/lib.sh"

tests=(registers eeprom interrupt loopback)

# selftest NAME [--offline]: every test's result is WANT ("pass"; "skipped"
# for the offline-only tests of an online run), e1kctl exits 0, the adapter
# is Running after.  Prints each test's detail.
selftest() {
	local name=$1 js rc=0 want vals i t keys
	shift
	js=$(ctl --timeout 60000 --json selftest "$@" 2>"$SHARE/selftest-$name.err") || rc=$?
	equal "${name}_exit" "$rc" 0
	((rc == 0)) || echo "    e1kctl said: $(oneline "$js $(cat "$SHARE/selftest-$name.err")")"
	keys=(mode state)
	for t in "${tests[@]}"; do keys+=("tests.$t.result" "tests.$t.detail"); done
	J=()
	vals=$("$E1KCTL" report get - "${keys[@]}" <<<"$js" 2>/dev/null)
	[[ -z $vals ]] || mapfile -t J <<<"$vals"
	while ((${#J[@]} < ${#keys[@]})); do J+=(null); done
	echo "    mode ${J[0]}, state after ${J[1]}"
	for ((i = 0; i < ${#tests[@]}; i++)); do
		t=${tests[i]}
		want=pass
		[[ $* != *--offline* && ($t == interrupt || $t == loopback) ]] && want=skipped
		echo "    $t: ${J[2 + 2 * i]} (${J[3 + 2 * i]})"
		equal "${name}_$t" "${J[2 + 2 * i]}" "$want"
	done
	equal "${name}_state" "${J[1]}" Running
}

case $E1K_RIG_NIC in
e1000) modes=(intx) ;;
*) modes=(msix msi intx) ;;   # the first runs everything, the others the offline test
esac

rx_packets() { ctl_get stats rx.packets; RXP=${J[0]:-}; [[ $RXP =~ ^[0-9]+$ ]]; }
rx_grew() { rx_packets && ((RXP >= rx0 + 100)); }

check bind "$VFIO_BIND" bind "$BDF"
# A light flood from before the first start to after the hand-back: the
# point is frames arriving all along, not load.
host_check flood_start 10 'flood_start 2000'
for m in "${modes[@]}"; do
	echo "  -- irq mode $m"
	if e1kd_start "$m" --irq-mode "$m"; then
		ctl_get status irq_mode
		equal "irq_mode_$m" "${J[0]}" "$m"
		if e1k0_up "$m" && [[ $m == "${modes[0]}" ]]; then
			check ping_before ping -c 2 -i 0.2 -w 15 198.18.0.1
		fi
		rx_packets
		rx0=${RXP:-0}
		if wait_until 30 rx_grew; then ok "flood_reaches_$m"; else nok "flood_reaches_$m" "rx.packets $RXP (from $rx0) after 30 s"; fi
		[[ $m == "${modes[0]}" ]] && selftest "online_$m"
		selftest "offline_$m" --offline
		if e1kd_running; then ok "running_after_$m"; else nok "running_after_$m" "$(oneline "$(ctl status 2>&1)")"; fi
		rx_packets
		rx0=${RXP:-0}
		if wait_until 30 rx_grew; then ok "flood_after_offline_$m"; else nok "flood_after_offline_$m" "rx.packets $RXP (from $rx0) after 30 s"; fi
		if [[ $m == "${modes[0]}" ]]; then
			# Pings count replies: without the flood in the way.
			host 15 flood_stop >/dev/null
			check ping_after ping -c 3 -i 0.2 -w 15 198.18.0.1
			host_check ping_host_to_guest_after 30 'ping -c 3 -i 0.2 -w 15 198.18.0.2'
			ctl_get stats rx.packets tx.packets
			echo "    after: rx ${J[0]} tx ${J[1]} frames"
			host_check flood_restart 10 'flood_start 2000'
		fi
		check "halt_$m" ctl --json halt --reason stopped
		e1kd_exit "$m"
		check_report "report_$m" "$SHARE/report-$m.json" stopped
	fi
done
check restore "$VFIO_BIND" restore "$BDF"
host 15 flood_stop >/dev/null
faults=$(dmar_faults)
if [[ -z $faults ]]; then ok no_dmar_fault; else nok no_dmar_fault "$(oneline "$faults")"; fi
finish
