# shellcheck shell=bash
# e1kd_kill9: e1kd is killed with SIGKILL while the host floods the NIC and a
# TCP transfer runs through it.  The kernel closes its VFIO fds (vfio-pci
# resets the function and drops bus mastering) and its TAP disappears; a new
# e1kd on the same device, with the flood still on, initializes, passes
# traffic both ways and halts cleanly.  QEMU keeps running.
# e2e-set: extended
# e2e-needs: e1kd-vfio
# e2e-timeout: 240
# e2e-host: agent
. "$E2E_ROOT/tests/e2e/lib.sh"

rx_packets() { ctl_get stats rx.packets; RXP=${J[0]:-}; [[ $RXP =~ ^[0-9]+$ ]]; }
rx_grew() { rx_packets && ((RXP >= rx0 + 200)); }
no_e1k0() { [[ ! -e /sys/class/net/e1k0 ]]; }

check bind "$VFIO_BIND" bind "$BDF"
head -c 4194304 /dev/urandom >"$SHARE/payload"
if e1kd_start victim; then
	e1k0_up victim && check traffic_before ping -c 1 -w 10 198.18.0.1
	rx_packets
	rx0=${RXP:-0}
	host_check flood_start 10 flood_start
	# A transfer the kill cuts short: the host listens, the guest sends.
	host_check listen 10 'bg_start sink bash -c "exec nc -l 198.18.0.1 5002 >/dev/null"
		for ((i = 0; i < 250; i++)); do ss -ltn | grep -q "198.18.0.1:5002 " && exit 0; sleep 0.02; done; exit 1'
	timeout 120 nc -w 10 198.18.0.1 5002 <"$SHARE/payload" >/dev/null 2>&1 &
	ncpid=$!
	if wait_until 30 rx_grew; then ok traffic_flowing; else nok traffic_flowing "rx.packets $RXP (from $rx0)"; fi
	dmar0=$(dmar_faults | grep -c .)
	kill -KILL "$e1kd_pid"
	e1kd_exit victim 137 10
	if wait_until 10 no_e1k0; then ok tap_gone; else nok tap_gone "e1k0 still exists"; fi
	kill "$ncpid" 2>/dev/null
	wait "$ncpid" 2>/dev/null
	host 10 'bg_stop sink' >/dev/null
	qemu_alive qemu_alive_after_kill
	echo "    DMAR fault lines after the kill: $(($(dmar_faults | grep -c .) - dmar0))"
fi

# A new e1kd on the same device, under the same flood.
if e1kd_start again; then
	if e1k0_up again; then
		check ping_guest_to_host ping -c 3 -i 0.2 -w 15 198.18.0.1
		host_check ping_host_to_guest 30 'ping -c 3 -i 0.2 -w 15 198.18.0.2'
		rx_packets
		rx0=${RXP:-0}
		if wait_until 30 rx_grew; then ok flood_reaches_new; else nok flood_reaches_new "rx.packets $RXP (from $rx0)"; fi
	fi
	check halt_again ctl --json halt --reason stopped
	e1kd_exit again
	check_report report_again "$SHARE/report-again.json" stopped
fi
host 15 flood_stop >/dev/null
qemu_alive qemu_alive_end
check restore "$VFIO_BIND" restore "$BDF"
finish
