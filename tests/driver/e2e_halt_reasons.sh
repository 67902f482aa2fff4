#!/usr/bin/env bash
# e2e_halt_reasons.sh E1KD E1KCTL MODEL IRQ
#
# For each of the seven halt reasons: e1kd with a TAP bridge under a ping
# flood in both directions, then the halt -- through e1kctl, or through the
# real trigger where there is one (the model's removal request -> disabled,
# surprise removal -> surprise-removed, SIGTERM -> stopped) -- and check that
# e1kd exits 0 and its --report is per contract: stages in order, every ledger
# entry released, verifier counters zero.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/e2e_lib.sh"
e2e_init "$1" "$2"
MODEL=$3 IRQ=$4

# rx_over N: the NIC has received more than N frames.
rx_over() {
	local n
	n=$("$E1KCTL" --ctl "$ctl" --json stats | "$E1KCTL" report get - rx.packets) && ((n > $1))
}

for reason in disabled instance-deinitialized powered-down surprise-removed failed \
              initialization-failed stopped; do
	e2e_start "$MODEL" "$IRQ" --report "$tmp/report-$reason.json"
	ip netns exec "$NSA" ping -q -f -w 30 198.18.0.2 >/dev/null 2>&1 &
	f1=$!
	ip netns exec "$NSB" ping -q -f -w 30 198.18.0.1 >/dev/null 2>&1 &
	f2=$!
	# Traffic is flowing once the NIC has received some of the flood.
	wait_for "flood traffic" 10 rx_over 200
	case $reason in
	disabled) how="removal request"; "$E1KCTL" --ctl "$ctl" fault remove-request >/dev/null ;;
	surprise-removed) how="surprise removal"; "$E1KCTL" --ctl "$ctl" fault surprise-remove >/dev/null ;;
	stopped) how="SIGTERM"; kill -TERM "$pid" ;;
	*) how="e1kctl"; "$E1KCTL" --ctl "$ctl" halt --reason "$reason" >/dev/null ;;
	esac
	rc=0; wait "$pid" || rc=$?
	pid=
	kill "$f1" "$f2" 2>/dev/null || true
	wait "$f1" "$f2" 2>/dev/null || true
	if ((rc != 0)); then
		bad "$reason ($how)" "e1kd exited $rc"; tail -n 5 "$tmp/e1kd.log"
	elif out=$(check_report "$tmp/report-$reason.json" "$reason"); then
		ok "$reason ($how): $out"
	else
		bad "$reason ($how)" "$out"
	fi
	e2e_stop
done
summary
