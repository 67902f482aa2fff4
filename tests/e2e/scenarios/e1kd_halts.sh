# shellcheck shell=bash
# e1kd_halts: e1kd on the NIC through VFIO with a TAP (e1k0, 198.18.0.2/24);
# the host end of the rig's TAP is 198.18.0.1/24 (e1kd_halts.host.sh).  Ping
# both ways and a TCP transfer host -> guest through the driver, then one halt
# per NDIS reason (`e1kctl halt --reason R`, e1kd restarted between), each
# report checked (Halted, ledger empty, verifier zeros); no DMAR fault.
# e2e-needs: e1kd-vfio
# e2e-timeout: 300
. "$E2E_ROOT/tests/e2e/lib.sh"

reasons=(stopped disabled instance-deinitialized powered-down surprise-removed failed initialization-failed)
ctl=/run/e1kd/e2e.sock
pid=

running() { "$E1KCTL" --ctl "$ctl" status 2>/dev/null | grep -qE '^state +Running'; }
start_e1kd() {   # start_e1kd TAG
	"$E1KD" --device "$BDF" --tap e1k0 --ctl "$ctl" --report "$SHARE/report-$1.json" \
		--log-level warn >"$SHARE/e1kd-$1.log" 2>&1 &
	pid=$!
	if wait_until 30 running; then ok "start_$1"; return 0; fi
	nok "start_$1" "not Running within 30 s: $(oneline "$(tail -n 5 "$SHARE/e1kd-$1.log")")"
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 1
}
stop_wait() {   # stop_wait TAG: e1kd must exit 0 within 30 s
	local rc=0
	if ! wait_until 30 eval '! kill -0 '"$pid"; then
		nok "exit_$1" "e1kd still running 30 s after the halt"
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" || rc=$?
	equal "exit_$1" "$rc" 0
}

check bind "$VFIO_BIND" bind "$BDF"

# --- traffic, once
if start_e1kd traffic; then
	check e1k0_addr ip addr add 198.18.0.2/24 dev e1k0
	check e1k0_up ip link set e1k0 up
	nc -l 5001 >"$SHARE/rx.bin" &
	ncpid=$!
	wait_until 5 eval 'ss -ltn | grep -q ":5001 "' || nok nc_listen "no listener on 5001"
	touch "$SHARE/guest-ready"
	check ping_guest_to_host ping -c 3 -i 0.2 -w 15 198.18.0.1
	if wait_until 90 test -e "$SHARE/host-done"; then
		equal ping_host_to_guest "$(sed -n 's/^ping=//p' "$SHARE/host-done")" 0
		equal tcp_send "$(sed -n 's/^send=//p' "$SHARE/host-done")" 0
	else
		nok host_side "no host-done within 90 s"
	fi
	wait_until 15 eval '! kill -0 '"$ncpid" || kill "$ncpid" 2>/dev/null
	wait "$ncpid" 2>/dev/null
	check tcp_payload_intact cmp "$SHARE/rx.bin" "$SHARE/host-payload"
	check halt_after_traffic "$E1KCTL" --ctl "$ctl" halt --reason stopped
	stop_wait traffic
	check_report report_traffic "$SHARE/report-traffic.json" stopped
fi

# --- one halt per reason
for r in "${reasons[@]}"; do
	start_e1kd "$r" || continue
	check "halt_$r" "$E1KCTL" --ctl "$ctl" --json halt --reason "$r"
	stop_wait "$r"
	check_report "report_$r" "$SHARE/report-$r.json" "$r"
done

check restore "$VFIO_BIND" restore "$BDF"
faults=$(dmar_faults)
if [[ -z $faults ]]; then ok no_dmar_fault; else nok no_dmar_fault "$(oneline "$faults")"; fi
finish
