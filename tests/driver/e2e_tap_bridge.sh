#!/usr/bin/env bash
# e2e_tap_bridge.sh E1KD E1KCTL MODEL IRQ_MODE
#
# Kernel traffic through the driver.  Two network namespaces made here:
#   A: e1kd --device sim:MODEL --tap e1k0 --sim-wire tap:w0; e1k0 = 198.18.0.1/24
#   B: the model's wire TAP w0, moved here; w0 = 198.18.0.2/24
# A's kernel -> e1k0 -> e1kd -> model TX -> w0 -> B's kernel, and back.
# Checks: ping both ways with no loss, a bulk TCP transfer with a matching
# digest, a clean halt through e1kctl, e1kd exit 0, the report, and that
# nothing is left behind (TAPs, socket).  Exit 77 = skipped (not root).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
source "$here/e2e_lib.sh"
e2e_init "$1" "$2"
MODEL=$3 IRQ=$4
PINGS=${E2E_PINGS:-300}
BYTES=${E2E_BYTES:-4000000}

e2e_start "$MODEL" "$IRQ" --report "$tmp/report.json"
st=$("$E1KCTL" --ctl "$ctl" status)
echo "$st"
# The bridge's offloads in force: words, or "none" while the device has none.
echo "$st" | grep -Eq '^offloads +(none|csum( tso4)?( tso6)?( rx-csum)?|rx-csum)$' ||
	die "status shows no offloads row"

echo "== ping A -> B ($PINGS)"
out=$(ip netns exec "$NSA" ping -q -c "$PINGS" -i 0.005 -W 2 198.18.0.2) || true
echo "$out" | tail -n 2
echo "$out" | grep -q " $PINGS received" || die "ping A->B lost packets"
echo "== ping B -> A ($PINGS)"
out=$(ip netns exec "$NSB" ping -q -c "$PINGS" -i 0.005 -W 2 198.18.0.1) || true
echo "$out" | tail -n 2
echo "$out" | grep -q " $PINGS received" || die "ping B->A lost packets"

echo "== TCP bulk A -> B ($BYTES bytes)"
cat >"$tmp/tcp.py" <<'PY'
import hashlib, os, socket, sys, time
role, n = sys.argv[1], int(sys.argv[2])
if role == "server":
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("198.18.0.2", 5001)); s.listen(1); s.settimeout(60)
    print("listening", flush=True)
    c, _ = s.accept(); c.settimeout(60)
    h = hashlib.sha256(); got = 0
    while True:
        b = c.recv(65536)
        if not b: break
        h.update(b); got += len(b)
    print(got, h.hexdigest(), flush=True)
else:
    data = os.urandom(n)
    deadline = time.time() + 20
    while True:
        try:
            c = socket.create_connection(("198.18.0.2", 5001), timeout=5); break
        except OSError:
            if time.time() > deadline: raise
            time.sleep(0.05)
    c.sendall(data); c.shutdown(socket.SHUT_WR); c.recv(1); c.close()
    print(len(data), hashlib.sha256(data).hexdigest(), flush=True)
PY
ip netns exec "$NSB" python3 "$tmp/tcp.py" server "$BYTES" >"$tmp/server.out" &
spid=$!
wait_for "the TCP server" 10 grep -q listening "$tmp/server.out"
t0=$(date +%s.%N)
client=$(ip netns exec "$NSA" python3 "$tmp/tcp.py" client "$BYTES")
wait "$spid"
t1=$(date +%s.%N)
server=$(tail -n 1 "$tmp/server.out")
echo "client: $client"
echo "server: $server"
[[ "$client" == "$server" ]] || die "TCP transfer corrupted or short"
python3 -c "print('throughput: %.1f Mbit/s' % ($BYTES * 8 / ($t1 - $t0) / 1e6))"

st=$("$E1KCTL" --ctl "$ctl" stats)
echo "$st"
# Towards the host: one write per packet, never more writes than frames.
w=$(echo "$st" | awk '$1 == "tap.to_host_writes" {print $2}')
h=$(echo "$st" | awk '$1 == "tap.to_host" {print $2}')
[[ -n $w && -n $h ]] && ((w > 0 && w <= h)) || die "tap.to_host_writes $w, tap.to_host $h"
# Towards the NIC: read straight into the adapter's buffers (no copy), every
# frame the bridge sent; nothing left borrowed once the traffic is over.
z=$(echo "$st" | awk '$1 == "tap.to_nic_zero_copy" {print $2}')
n=$(echo "$st" | awk '$1 == "tap.to_nic" {print $2}')
zc=$(echo "$st" | awk '$1 == "tx.zero_copy" {print $2}')
[[ -n $z && -n $n ]] && ((z > 0 && z == n && zc == z)) || die "tap.to_nic_zero_copy $z, tap.to_nic $n, tx.zero_copy $zc"

echo "== halt"
"$E1KCTL" --ctl "$ctl" --json halt --reason stopped >"$tmp/halt.json" || die "e1kctl halt exited $?"
out=$(check_report "$tmp/halt.json" stopped) || die "the halt's answer: $out"
wait "$pid" && rc=0 || rc=$?
pid=
((rc == 0)) || die "e1kd exited $rc"
out=$(check_report "$tmp/report.json" stopped) || die "the --report file: $out"
echo "report: $out"
! ip -n "$NSA" link show e1k0 >/dev/null 2>&1 || die "e1k0 left behind"
! ip -n "$NSB" link show w0 >/dev/null 2>&1 || die "w0 left behind"
[[ ! -e $ctl ]] || die "control socket left behind"
ok "e2e $MODEL/$IRQ"
summary
