# shellcheck shell=bash
# bench/host.sh - the host side of scripts/bench, run by scripts/qemu-rig
# (--host-setup) inside the rig's network namespace, next to the QEMU guest.
#
#   bash bench/host.sh OUTDIR FLOOD_BIN
#
# Serves requests from the guest (bench/guest.sh) through files in
# $E1K_RIG_SHARE/rpc: the guest writes req.N (one line: COMMAND ARGS), this
# loop answers with resp.N, strictly in order.  Commands:
#   mark               "<host ns> <rx_packets> <rx_bytes> <tx_packets> <tx_dropped>
#                      <vcpu ns> <qemu ns>": the TAP's counters (rx = what the
#                      guest's NIC transmitted), then the CPU time the guest's
#                      vCPU threads ("CPU n/TCG") and the whole QEMU process
#                      have used (schedstat, ns): the guest's CPU as the host
#                      sees it (/proc/stat inside a TCG guest undercounts)
#   flood-start PPS [BATCH]  start e1k_bench_flood towards the NIC's MAC, paced
#                      at PPS (0: as fast as it can) in bursts of BATCH (32)
#   flood-stop         stop it; answers its JSON line ({"sent":..,...})
#   iperf-start        an iperf3 server on 198.18.0.1 (one at a time)
#   iperf-stop
#   profile-start NAME perf record (sampling) of QEMU's threads until
#                      profile-stop, which leaves OUTDIR/NAME.txt: where the
#                      vCPU threads' time went, per shared object (guest code
#                      runs in TCG's "[JIT]" buffer; the rest is QEMU and the
#                      host kernel)
#   profile-stop
#   result JSON        append JSON (one line) to OUTDIR/results.jsonl
#   save NAME          copy $E1K_RIG_SHARE/NAME into OUTDIR/
#   quit
# The TAP's host end is 198.18.0.1/24 (the guest uses 198.18.0.2/24).
# Everything it starts is stopped on every exit path (the rig TERMs it).
set -u
S=$E1K_RIG_SHARE
TAP=$E1K_RIG_TAP
OUT=$1
FLOOD=$2
NIC_MAC=52:54:00:12:34:56
fpid='' ipid='' ppid='' pname=''

cleanup() {
	[[ -n $fpid ]] && kill -TERM "$fpid" 2>/dev/null
	[[ -n $ipid ]] && kill -TERM "$ipid" 2>/dev/null
	[[ -n $ppid ]] && kill -INT "$ppid" 2>/dev/null
	wait 2>/dev/null
	rm -f "$OUT"/*.perf.data
}
trap cleanup EXIT
trap 'exit 143' TERM INT

ip addr add 198.18.0.1/24 dev "$TAP"
mkdir -p "$S/rpc" "$OUT"
# A FIFO nobody writes: `read -t` on it is a sleep without a fork.
mkfifo "$S/rpc/.tick"
exec 8<>"$S/rpc/.tick"
touch "$S/rpc/ready"

# QEMU: the process in the rig's namespace whose command is qemu-system-*.
qpid=''
find_qemu() {
	local p c
	for p in $(ip netns pids "$E1K_RIG_NS" 2>/dev/null); do
		read -r c <"/proc/$p/comm" 2>/dev/null || continue
		if [[ $c == qemu-system-* ]]; then qpid=$p; return 0; fi
	done
	return 1
}
# No forks between the readings: they should describe one instant.
MARK=
mark() {
	local t rxp rxb txp txd v vcpu=0 all=0 task comm
	t=${EPOCHREALTIME/./}
	read -r rxp <"/sys/class/net/$TAP/statistics/rx_packets"
	read -r rxb <"/sys/class/net/$TAP/statistics/rx_bytes"
	read -r txp <"/sys/class/net/$TAP/statistics/tx_packets"
	read -r txd <"/sys/class/net/$TAP/statistics/tx_dropped"
	[[ -n $qpid && -d /proc/$qpid ]] || find_qemu
	if [[ -n $qpid ]]; then
		for task in /proc/"$qpid"/task/*; do
			read -r v _ <"$task/schedstat" 2>/dev/null || continue
			read -r comm <"$task/comm" 2>/dev/null
			all=$((all + v))
			[[ $comm == CPU\ * ]] && vcpu=$((vcpu + v))
		done
	fi
	MARK="${t}000 $rxp $rxb $txp $txd $vcpu $all"
}

n=1
while :; do
	req=$S/rpc/req.$n
	if [[ ! -e $req ]]; then
		read -r -t 0.01 -u 8 _ || true
		continue
	fi
	read -r cmd args <"$req" || true
	resp=ok
	case $cmd in
	mark)
		mark
		resp=$MARK
		;;
	flood-start)
		if [[ -n $fpid ]]; then kill -TERM "$fpid" 2>/dev/null; wait "$fpid" 2>/dev/null; fi
		read -r frate fbatch _ <<<"$args"
		"$FLOOD" --ifname "$TAP" --dst "$NIC_MAC" --rate "${frate:-0}" --batch "${fbatch:-32}" \
			>"$S/rpc/flood.out" 2>&1 &
		fpid=$!
		;;
	flood-stop)
		if [[ -n $fpid ]]; then
			kill -TERM "$fpid" 2>/dev/null
			wait "$fpid" 2>/dev/null
			fpid=''
			resp=$(tail -n 1 "$S/rpc/flood.out")
		else
			resp='{"sent":0,"error":"no flood running"}'
		fi
		;;
	iperf-start)
		if [[ -z $ipid ]]; then
			iperf3 -s -B 198.18.0.1 >"$S/rpc/iperf-server.log" 2>&1 &
			ipid=$!
			for _ in $(seq 50); do ss -ltn | grep -q ':5201 ' && break; sleep 0.05; done
		fi
		;;
	iperf-stop)
		[[ -n $ipid ]] && { kill -TERM "$ipid" 2>/dev/null; wait "$ipid" 2>/dev/null; }
		ipid=''
		;;
	profile-start)
		[[ -n $qpid && -d /proc/$qpid ]] || find_qemu
		if [[ -n $ppid ]]; then
			resp="error: a profile is already running"
		elif ! [[ $args =~ ^[A-Za-z0-9._-]+$ && -n $qpid ]] || ! command -v perf >/dev/null; then
			resp="error: cannot profile '$args' (QEMU pid '${qpid}', perf $(command -v perf || echo missing))"
		else
			pname=$args
			perf record -q -F 997 -p "$qpid" -o "$OUT/$pname.perf.data" >"$OUT/$pname.perf.log" 2>&1 &
			ppid=$!
			# perf attached: its data file has a header (at most 2 s)
			for _ in $(seq 100); do [[ -s $OUT/$pname.perf.data ]] && break; read -r -t 0.02 -u 8 _ || true; done
		fi
		;;
	profile-stop)
		if [[ -z $ppid ]]; then
			resp="error: no profile running"
		else
			kill -INT "$ppid" 2>/dev/null
			# perf writes its data and exits; at most 30 s, then it is killed
			for _ in $(seq 1500); do kill -0 "$ppid" 2>/dev/null || break; read -r -t 0.02 -u 8 _ || true; done
			kill -KILL "$ppid" 2>/dev/null
			wait "$ppid" 2>/dev/null
			ppid=''
			vcpus=''
			for task in /proc/"$qpid"/task/*; do
				read -r comm <"$task/comm" 2>/dev/null || continue
				[[ $comm == CPU\ * ]] && vcpus+=${vcpus:+,}$comm
			done
			perf report -i "$OUT/$pname.perf.data" --comms "$vcpus" --no-children \
				--sort dso --stdio -g none --percentage relative >"$OUT/$pname.txt" 2>>"$OUT/$pname.perf.log"
			rm -f "$OUT/$pname.perf.data"
			grep -q '%' "$OUT/$pname.txt" || resp="error: perf recorded nothing: $(tail -n 2 "$OUT/$pname.perf.log")"
		fi
		;;
	result)
		printf '%s\n' "$args" >>"$OUT/results.jsonl"
		;;
	save)
		if [[ $args =~ ^[A-Za-z0-9._-]+$ && -f $S/$args ]]; then
			cp "$S/$args" "$OUT/"
		else
			resp="error: cannot save '$args'"
		fi
		;;
	quit) ;;
	*) resp="error: unknown request '$cmd'" ;;
	esac
	printf '%s\n' "$resp" >"$S/rpc/resp.$n.tmp"
	mv "$S/rpc/resp.$n.tmp" "$S/rpc/resp.$n"
	[[ $cmd == quit ]] && exit 0
	n=$((n + 1))
done
