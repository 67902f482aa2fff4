# shellcheck shell=bash
# e1kd_traffic: e1kd drives the NIC in each interrupt mode it offers (e1000:
# INTx; e1000e: MSI-X, MSI, INTx).  Per mode: e1kd initializes with that mode,
# its MAC is QEMU's, e1k0 (198.18.0.2/24) pings the host end of the TAP
# (198.18.0.1/24) and back, 256 KiB go over TCP each way intact, and the
# driver's counters (e1kctl --json stats) match the host TAP's for the frames
# each side sent; then a clean halt (stopped).  Without offloads (--offloads
# none): one TSO frame is many on the wire, and this scenario counts frames
# one for one (e1kd_offload covers the offloads).
# e2e-set: default e1000e
# e2e-needs: e1kd-vfio
# e2e-timeout: 420
# e2e-host: agent
. "$E2E_ROOT/tests/e2e/lib.sh"

case $E1K_RIG_NIC in
e1000) modes=(intx) ;;
*) modes=(msix msi intx) ;;
esac

# stats_settled: the driver's and the TAP's counters, read until two rounds in
# a row agree (the last TCP segments and ACKs may still be on their way).
# Sets DTXP DTXB DRXP DRXB GPTC GPRC and TAP_*.
stats_snap() {
	ctl_get stats tx.packets tx.bytes rx.packets rx.bytes device.gptc device.gprc || return 1
	tap_counters || return 1
	DTXP=${J[0]} DTXB=${J[1]} DRXP=${J[2]} DRXB=${J[3]} GPTC=${J[4]} GPRC=${J[5]}
}
stats_settled() {
	local prev= cur end=$((SECONDS + 15))
	while ((SECONDS < end)); do
		stats_snap || return 1
		cur="$DTXP $DRXP $TAP_RXP $TAP_TXP"
		[[ $cur == "$prev" ]] && return 0
		prev=$cur
	done
	return 1
}

check bind "$VFIO_BIND" bind "$BDF"
head -c 262144 /dev/urandom >"$SHARE/payload-h2g"
head -c 262144 /dev/urandom >"$SHARE/payload-g2h"

for m in "${modes[@]}"; do
	echo "  -- irq mode $m"
	tap_counters || nok "tap_base_$m" "no counters from the host"
	b_rxp=$TAP_RXP b_rxb=$TAP_RXB b_txp=$TAP_TXP b_txb=$TAP_TXB
	e1kd_start "$m" --irq-mode "$m" --offloads none || continue
	ctl_get status irq_mode mac link_up
	equal "irq_mode_$m" "${J[0]}" "$m"
	equal "mac_$m" "${J[1]}" 52:54:00:12:34:56
	equal "link_$m" "${J[2]}" true
	if e1k0_up "$m"; then
		equal "e1k0_mac_$m" "$(cat /sys/class/net/e1k0/address)" 52:54:00:12:34:56
		check "ping_guest_to_host_$m" ping -c 3 -i 0.2 -w 15 198.18.0.1
		host_check "ping_host_to_guest_$m" 30 'ping -c 3 -i 0.2 -w 15 198.18.0.2'

		# host -> guest
		rm -f "$SHARE/rx-h2g"
		nc -l 198.18.0.2 5001 >"$SHARE/rx-h2g" &
		ncpid=$!
		wait_until 5 eval 'ss -ltn | grep -q "198.18.0.2:5001 "' || nok "listen_$m" "no listener on 5001"
		host_check "tcp_send_h2g_$m" 60 'nc -N -w 30 198.18.0.2 5001 <"$S/payload-h2g"'
		wait_until 15 eval '! kill -0 '"$ncpid" || kill "$ncpid" 2>/dev/null
		wait "$ncpid" 2>/dev/null
		check "tcp_intact_h2g_$m" cmp "$SHARE/rx-h2g" "$SHARE/payload-h2g"

		# guest -> host
		rm -f "$SHARE/rx-g2h"
		host_check "listen_host_$m" 10 'bg_start g2h bash -c "exec nc -l 198.18.0.1 5002 >\"$S/rx-g2h\""
			for ((i = 0; i < 250; i++)); do ss -ltn | grep -q "198.18.0.1:5002 " && exit 0; sleep 0.02; done; exit 1'
		check "tcp_send_g2h_$m" timeout 60 nc -N -w 30 198.18.0.1 5002 <"$SHARE/payload-g2h"
		host 30 'p=$(cat "$A/g2h.bg.pid"); for ((i = 0; i < 1000; i++)); do kill -0 $p 2>/dev/null || exit 0; sleep 0.02; done; bg_stop g2h; exit 1' >/dev/null ||
			nok "host_listener_done_$m" "the host's nc did not end"
		check "tcp_intact_g2h_$m" cmp "$SHARE/rx-g2h" "$SHARE/payload-g2h"

		# Counters: every frame the driver sent reached the host TAP and every
		# frame the host sent through the TAP reached the driver.
		if stats_settled; then
			d_rxp=$((TAP_RXP - b_rxp)) d_txp=$((TAP_TXP - b_txp))
			d_rxb=$((TAP_RXB - b_rxb)) d_txb=$((TAP_TXB - b_txb))
			echo "    driver tx $DTXP frames $DTXB B, rx $DRXP frames $DRXB B; device gptc $GPTC gprc $GPRC;" \
				"host TAP rx $d_rxp frames $d_rxb B, tx $d_txp frames $d_txb B"
			if ((DTXP > 200 && DRXP > 200)); then ok "stats_counted_$m"; else nok "stats_counted_$m" "tx $DTXP rx $DRXP frames"; fi
			equal "stats_tx_frames_$m" "$DTXP" "$d_rxp"
			equal "stats_rx_frames_$m" "$DRXP" "$d_txp"
			equal "stats_device_tx_$m" "$GPTC" "$DTXP"
			equal "stats_device_rx_$m" "$GPRC" "$DRXP"
			# Bytes: the driver counts what it handed the device / got from it;
			# frames shorter than 60 bytes are padded to 60 on the way (QEMU
			# pads what it receives from the TAP, the driver what it sends).
			if ((d_rxb >= DTXB && d_rxb <= DTXB + 18 * DTXP)); then ok "stats_tx_bytes_$m"; else nok "stats_tx_bytes_$m" "driver $DTXB, TAP $d_rxb"; fi
			if ((DRXB >= d_txb && DRXB <= d_txb + 18 * DRXP)); then ok "stats_rx_bytes_$m"; else nok "stats_rx_bytes_$m" "driver $DRXB, TAP $d_txb"; fi
		else
			nok "stats_settled_$m" "the counters kept changing for 15 s"
		fi
	fi
	check "halt_$m" ctl --json halt --reason stopped
	e1kd_exit "$m"
	check_report "report_$m" "$SHARE/report-$m.json" stopped
done

check restore "$VFIO_BIND" restore "$BDF"
faults=$(dmar_faults)
if [[ -z $faults ]]; then ok no_dmar_fault; else nok no_dmar_fault "$(oneline "$faults")"; fi
finish
