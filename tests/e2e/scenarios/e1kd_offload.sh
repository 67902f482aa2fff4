# shellcheck shell=bash
# e1kd_offload: the TAP bridge with the NIC's offloads (issue 11).  e1kd starts
# with its defaults -- every offload the part has -- and the TAP asks the
# kernel for the same (e1kctl status: offloads).  4 MiB go over TCP each way
# through e1k0 and arrive intact (cmp checks them end to end, whatever computed
# the checksums on the way); the kernel's TSO frames went out through the NIC's
# segmentation (stats tx.tso > 0) and nothing was refused as a bad offload.
# Then MTU 9000 on both ends of the wire and pings of 8972 bytes that may not
# be fragmented, both ways: jumbo frames sent as several buffers and received
# as chains (rx.chained > 0).  A clean halt (stopped), the NIC handed back, no
# DMAR line in the guest's log.
# e2e-set: default
# e2e-needs: e1kd-vfio
# e2e-timeout: 480
# e2e-host: agent
. "$E2E_ROOT/tests/e2e/lib.sh"

case $E1K_RIG_NIC in
e1000) want_offloads="csum tso4 rx-csum" ;;   # the 82540EM has no IPv6 TSO
*) want_offloads="csum tso4 tso6 rx-csum" ;;
esac
size=4194304

check bind "$VFIO_BIND" bind "$BDF"
head -c $size /dev/urandom >"$SHARE/payload-h2g"
head -c $size /dev/urandom >"$SHARE/payload-g2h"

if e1kd_start offload; then
	ctl_get status offloads
	equal offloads "${J[0]}" "$want_offloads"
	if e1k0_up offload; then
		check ping_guest_to_host ping -c 3 -i 0.2 -w 15 198.18.0.1

		# host -> guest
		rm -f "$SHARE/rx-h2g"
		nc -l 198.18.0.2 5001 >"$SHARE/rx-h2g" &
		ncpid=$!
		wait_until 5 eval 'ss -ltn | grep -q "198.18.0.2:5001 "' || nok listen "no listener on 5001"
		host_check tcp_send_h2g 120 'nc -N -w 60 198.18.0.2 5001 <"$S/payload-h2g"'
		wait_until 30 eval '! kill -0 '"$ncpid" || kill "$ncpid" 2>/dev/null
		wait "$ncpid" 2>/dev/null
		check tcp_intact_h2g cmp "$SHARE/rx-h2g" "$SHARE/payload-h2g"

		# guest -> host: the kernel hands e1kd TSO frames
		rm -f "$SHARE/rx-g2h"
		host_check listen_host 10 'bg_start g2h bash -c "exec nc -l 198.18.0.1 5002 >\"$S/rx-g2h\""
			for ((i = 0; i < 250; i++)); do ss -ltn | grep -q "198.18.0.1:5002 " && exit 0; sleep 0.02; done; exit 1'
		check tcp_send_g2h timeout 120 nc -N -w 60 198.18.0.1 5002 <"$SHARE/payload-g2h"
		host 30 'p=$(cat "$A/g2h.bg.pid"); for ((i = 0; i < 1000; i++)); do kill -0 $p 2>/dev/null || exit 0; sleep 0.02; done; bg_stop g2h; exit 1' >/dev/null ||
			nok host_listener_done "the host's nc did not end"
		check tcp_intact_g2h cmp "$SHARE/rx-g2h" "$SHARE/payload-g2h"

		ctl_get stats tx.tso tx.csum tx.bad_offload tap.to_nic_gso tap.to_nic_bad_hdr \
			rx.csum_ok tap.to_host tap.to_host_writes tap.to_host_merged
		echo "    tx.tso ${J[0]} tx.csum ${J[1]} bad_offload ${J[2]} to_nic_gso ${J[3]} bad_hdr ${J[4]};" \
			"rx.csum_ok ${J[5]} to_host ${J[6]} in ${J[7]} writes (${J[8]} merged)"
		if [[ ${J[0]} =~ ^[0-9]+$ ]] && ((J[0] > 0)); then ok tso_used; else nok tso_used "tx.tso ${J[0]}"; fi
		equal tso_counted "${J[0]}" "${J[3]}"
		equal no_bad_offload "${J[2]}" 0
		equal no_bad_header "${J[4]}" 0

		# Jumbo frames: the TAP follows e1kctl mtu; the host's end too.
		check mtu_9000 ctl mtu 9000
		equal tap_mtu "$(cat /sys/class/net/e1k0/mtu)" 9000
		host_check host_mtu_9000 10 'ip link set "$TAP" mtu 9000'
		check ping_jumbo_g2h ping -M do -s 8972 -c 3 -i 0.2 -w 15 198.18.0.1
		host_check ping_jumbo_h2g 30 'ping -M do -s 8972 -c 3 -i 0.2 -w 15 198.18.0.2'
		ctl_get stats rx.chained rx.bad_frag
		if [[ ${J[0]} =~ ^[0-9]+$ ]] && ((J[0] >= 3)); then ok rx_chained; else nok rx_chained "rx.chained ${J[0]}"; fi
		equal no_bad_chain "${J[1]}" 0
		host 10 'ip link set "$TAP" mtu 1500' >/dev/null
	fi
	check halt ctl --json halt --reason stopped
	e1kd_exit offload
	check_report report "$SHARE/report-offload.json" stopped
fi

check restore "$VFIO_BIND" restore "$BDF"
faults=$(dmar_faults)
if [[ -z $faults ]]; then ok no_dmar_fault; else nok no_dmar_fault "$(oneline "$faults")"; fi
finish
