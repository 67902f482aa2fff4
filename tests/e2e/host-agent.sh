# shellcheck shell=bash
# tests/e2e/host-agent.sh - the host side of the e2e scenarios that talk to the
# host end of the rig's TAP.  tests/e2e/run starts it with scripts/qemu-rig
# --host-setup (inside the rig's network namespace) for a scenario whose header
# says "# e2e-host: agent".
#
# It gives the host end of the TAP 198.18.0.1/24, turns IPv6 off on it (no
# router solicitations or MLD reports: the TAP counters then count only the
# scenario's own traffic), and then runs commands the guest hands it through
# the rig's share directory (lib.sh: host, host_bg, host_stop):
#
#   $S/agent/NNNN.cmd    written by the guest (renamed into place): the first
#                        line is a timeout in seconds, the rest a bash script
#   $S/agent/NNNN.out    its output (stdout and stderr)
#   $S/agent/NNNN.rc     its exit status (124 on timeout), written last
#   $S/agent/exit        the guest is done: stop every background job, exit 0
#
# Commands run in order, one at a time, with these helpers defined:
#   bg_start NAME CMD... run CMD in the background (its output: NAME.bg.log)
#   bg_stop NAME         stop it (TERM, then KILL after 2 s); prints its log tail
#   tap_counters         "rx_packets rx_bytes tx_packets tx_bytes" of the TAP
#   qemu_status          QEMU's run state through QMP (query-status)
#   flood_start [PPS]    flood 198.18.0.2: UDP to port 9 at about PPS frames/s
#                        (default 20000, niced so QEMU keeps the CPU it needs)
#                        plus `ping -f` (the guest answers: traffic both ways)
#   flood_stop           stop both; prints what was sent
# The guest writes its files over 9p, which gives the host no notification to
# wait on, so the directory is polled (every 20 ms).
set -u
S=$E1K_RIG_SHARE
A=$S/agent
TAP=$E1K_RIG_TAP
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# Debian's interpreter: a pyenv shim on PATH costs a second per start.
PY=python3
[[ -x /usr/bin/python3 ]] && PY=/usr/bin/python3
export S A TAP ROOT PY
mkdir -p "$A"

sysctl -qw "net.ipv6.conf.$TAP.disable_ipv6=1" 2>/dev/null
ip addr add 198.18.0.1/24 dev "$TAP"
# The guest's NIC keeps QEMU's MAC across every e1kd run: a permanent entry
# lets a flood start without waiting on ARP.
ip neigh replace 198.18.0.2 lladdr 52:54:00:12:34:56 dev "$TAP" nud permanent

bg_start() {
	local name=$1
	shift
	setsid "$@" >"$A/$name.bg.log" 2>&1 </dev/null &
	echo $! >"$A/$name.bg.pid"
}
bg_stop() {   # bg_stop NAME...
	local name pid pids=() i alive rc=0
	for name; do
		if [[ -f $A/$name.bg.pid ]]; then
			pid=$(<"$A/$name.bg.pid")
			pids+=("$pid")
			# setsid made the job a process group leader: stop the whole group.
			kill -TERM -- "-$pid" 2>/dev/null
		else
			echo "bg_stop: no job $name"
			rc=1
		fi
	done
	for ((i = 0; i < 100; i++)); do
		alive=0
		for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
		((alive)) || break
		sleep 0.02
	done
	for name; do
		[[ -f $A/$name.bg.pid ]] || continue
		kill -KILL -- "-$(<"$A/$name.bg.pid")" 2>/dev/null
		rm -f "$A/$name.bg.pid"
		tail -n 3 "$A/$name.bg.log" 2>/dev/null
	done
	return $rc
}
tap_counters() {
	local d=/sys/class/net/$TAP/statistics
	echo "$(<"$d/rx_packets") $(<"$d/rx_bytes") $(<"$d/tx_packets") $(<"$d/tx_bytes")"
}
qemu_status() {
	"$PY" "$ROOT/scripts/lib/rig-qmp.py" "$E1K_RIG_QMP" --cmd '{"execute": "query-status"}'
}
flood_start() {
	bg_start flood-udp nice -n 10 "$PY" -c '
import signal, socket, sys, time
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
pps = int(sys.argv[1]); end = time.monotonic() + 900; sent = 0
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
payload = bytes(64); t0 = time.monotonic()
try:
    while time.monotonic() < end:
        for _ in range(64):
            try:
                s.sendto(payload, ("198.18.0.2", 9)); sent += 1
            except OSError:
                pass
        ahead = sent / pps - (time.monotonic() - t0)
        if ahead > 0:
            time.sleep(ahead)
finally:
    print("udp frames sent: %d" % sent, flush=True)
' "${1:-20000}"
	bg_start flood-ping ping -f -q -w 900 198.18.0.2
}
flood_stop() {   # no summary needed: KILL at once (a niced python on a busy host is slow to die)
	local n
	for n in flood-udp flood-ping; do
		[[ -f $A/$n.bg.pid ]] && kill -KILL -- "-$(<"$A/$n.bg.pid")" 2>/dev/null
	done
	bg_stop flood-udp flood-ping >/dev/null
}
export -f bg_start bg_stop tap_counters qemu_status flood_start flood_stop

stop_all() {
	local f
	for f in "$A"/*.bg.pid; do
		[[ -e $f ]] || continue
		f=${f##*/}
		bg_stop "${f%.bg.pid}" >/dev/null
	done
}
cpid=
trap '[[ -n $cpid ]] && kill -TERM "$cpid" 2>/dev/null; stop_all; exit 0' TERM INT

shopt -s nullglob
# The rig stops the agent (TERM) once the guest is gone; the deadline only
# guards against a rig that never does.
end=$((SECONDS + 3600))
while ((SECONDS < end)); do
	[[ -e $A/exit ]] && break
	did=0
	for c in "$A"/*.cmd; do
		id=${c%.cmd}
		{
			read -r t
			body=$(cat)
		} <"$c"
		rm -f "$c"
		rc=0
		# In the background, so a TERM from the rig is handled at once.
		timeout -k 2 "${t:-60}" bash -c "$body" >"$id.out" 2>&1 &
		cpid=$!
		wait "$cpid" || rc=$?
		cpid=
		echo "$rc" >"$id.rc.tmp"
		mv "$id.rc.tmp" "$id.rc"
		did=1
	done
	((did)) || sleep 0.02
done
stop_all
exit 0
