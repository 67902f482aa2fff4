#!/usr/bin/env bash
# e2e_capture.sh E1KD E1KCTL - `e1kctl capture` on the model: frames the
# TAP sends go out through e1kd (TX) and the model's loopback wire brings
# the broadcast ones back (RX); the pcap files are read back with tshark
# (count, direction filters, bytes of each frame, snaplen).  Then the ends:
# SIGINT, a client that disappears (the capture is disarmed), a halt, a
# second capture (busy), and bad input (clear message, exit status, no file).
# Root, in its own network namespace.  tshark is a test dependency
# (scripts/setup installs it): missing, this test fails rather than skips.
set -euo pipefail
E1KD=$(readlink -f "$1") E1KCTL=$(readlink -f "$2")

source "$(dirname "$0")/../lib/harness.sh"
need_root python3
command -v tshark >/dev/null || die "tshark is missing (scripts/setup installs it)"
own_netns "$0" "$@"
harness_tmp e1k-capture

ctl=$tmp/run/e1kd.sock
tap=e1kcap0
ours=02:00:00:00:00:77   # not the adapter's: sent, never received back

# --- bad input, no driver: a message, an exit status, no file
expect no_w 2 "needs -w FILE" "$E1KCTL" --ctl "$ctl" capture --count 1
expect rx_and_tx 2 "exclude each other" "$E1KCTL" --ctl "$ctl" capture --rx --tx -w "$tmp/x.pcap"
expect bad_count 2 "--count needs" "$E1KCTL" --ctl "$ctl" capture --count 0 -w "$tmp/x.pcap"
expect bad_count_word 2 "--count needs" "$E1KCTL" --ctl "$ctl" capture --count ten -w "$tmp/x.pcap"
expect bad_snaplen 2 "--snaplen needs" "$E1KCTL" --ctl "$ctl" capture --snaplen 70000 -w "$tmp/x.pcap"
expect count_elsewhere 2 "only valid with capture" "$E1KCTL" --ctl "$ctl" status --count 3
expect no_driver 3 "no driver is listening" "$E1KCTL" --ctl "$ctl" capture --count 1 -w "$tmp/x.pcap"
[[ ! -e $tmp/x.pcap ]] && ok no_file_left || bad no_file_left "$tmp/x.pcap exists"

"$E1KD" --device sim:82574l --sim-wire loopback --ctl "$ctl" --tap "$tap" \
	--report "$tmp/r.json" 2>"$tmp/d.log" &
pid=$!; pids+=("$pid")
wait_for driver_up 20 "$E1KCTL" --ctl "$ctl" status || die "e1kd did not start"
# Only the frames sent below: no IPv6 autoconfiguration chatter.
sysctl -qw "net.ipv6.conf.$tap.disable_ipv6=1"
ip link set "$tap" up

# send TAG N: N unicast frames to $ours and N broadcast ones, each carrying
# TAG and its index in a payload of 60 bytes (ethertype 0x88b5).
send() {
	python3 - "$tap" "$ours" "$1" "$2" <<'PY'
import socket, sys
tap, ours, tag, n = sys.argv[1], bytes.fromhex(sys.argv[2].replace(':', '')), int(sys.argv[3]), int(sys.argv[4])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((tap, 0))
src = bytes.fromhex('020000000009')
for i in range(n):
    for dst, kind in ((ours, 1), (b'\xff' * 6, 2)):
        s.send(dst + src + b'\x88\xb5' + bytes([tag, kind, i]) + bytes([tag ^ i]) * 57)
PY
}

# start NAME ARGS...: a capture in the background, up once its file has the
# pcap header (written after e1kd armed the capture).
start() {
	local name=$1
	shift
	"$E1KCTL" --ctl "$ctl" capture "$@" -w "$tmp/$name.pcap" 2>"$tmp/$name.err" &
	cap=$!
	wait_for "${name}_armed" 10 test -s "$tmp/$name.pcap"
}

# finish NAME WANT_FRAMES: the capture exits 0 and says so.
finish() {
	local rc=0
	wait_until 20 bash -c "! kill -0 $cap" || { bad "$1_ends" "still running"; kill -KILL "$cap"; }
	wait "$cap" || rc=$?
	((rc == 0)) && ok "$1_exit0" || bad "$1_exit0" "exit $rc: $(cat "$tmp/$1.err")"
	grep -q "^$2 frames captured, 0 dropped$" "$tmp/$1.err" && ok "$1_summary" ||
		bad "$1_summary" "$(cat "$tmp/$1.err")"
}

fields() {
	tshark -r "$tmp/$1.pcap" -T fields "${@:2}" 2>/dev/null
}

# --- both directions: 3 unicast + 3 broadcast sent, 3 broadcast received
start both --count 9
send 17 3
finish both 9
n=$(fields both -e frame.number | wc -l)
((n == 9)) && ok both_tshark_count || bad both_tshark_count "tshark reads $n frames"
# Every frame whole and with the bytes sent: 74 bytes, the payload as built.
bad_rows=$(fields both -e frame.len -e frame.cap_len -e eth.dst -e eth.type -e data.data |
	python3 -c '
import sys
bad = 0
for row in sys.stdin:
    ln, cap, dst, et, data = row.split()
    d = bytes.fromhex(data)
    ok = ln == cap == "74" and et == "0x88b5" and d[0] == 17 and d[3:] == bytes([17 ^ d[2]]) * 57 \
        and (dst == "ff:ff:ff:ff:ff:ff") == (d[1] == 2)
    bad += not ok
print(bad)')
((bad_rows == 0)) && ok both_contents || bad both_contents "$bad_rows frames differ from what was sent"
nb=$(fields both -e eth.dst | grep -c ff:ff:ff:ff:ff:ff || true)
((nb == 6)) && ok both_bcast_twice || bad both_bcast_twice "$nb broadcast frames, want 6 (sent and received)"

# --- --tx: everything sent (3 + 3), nothing received
start tx --tx --count 6
send 18 3
finish tx 6
nu=$(fields tx -e eth.dst | grep -c "$ours" || true)
((nu == 3)) && ok tx_unicast || bad tx_unicast "$nu frames to $ours, want 3"
t=$(fields tx -e data.data | cut -c1-2 | sort -u)
[[ $t == 12 ]] && ok tx_tag || bad tx_tag "tags '$t'"

# --- --rx: only the broadcast frames, looped back; what is sent is not captured
start rx --rx --count 3
send 19 3
finish rx 3
nu=$(fields rx -e eth.dst | grep -vc ff:ff:ff:ff:ff:ff || true)
((nu == 0)) && ok rx_only_received || bad rx_only_received "$nu unicast frames in an RX capture"
idx=$(fields rx -e data.data | cut -c5-6 | tr '\n' ' ')
[[ $idx == "00 01 02 " ]] && ok rx_in_order || bad rx_in_order "indexes '$idx'"

# --- --snaplen: frames cut, their length kept
start snap --tx --count 2 --snaplen 20
send 20 1
finish snap 2
lens=$(fields snap -e frame.len -e frame.cap_len | sort -u | tr '\t\n' ': ')
[[ $lens == "74:20 " ]] && ok snaplen_cut || bad snaplen_cut "len:caplen '$lens'"

# --- one at a time; SIGINT ends a capture with what it has
tx0=$("$E1KCTL" --ctl "$ctl" --json stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["tx"]["packets"])')
start sig --tx
expect second_busy 4 "already running" "$E1KCTL" --ctl "$ctl" capture -w "$tmp/busy.pcap"
[[ ! -e $tmp/busy.pcap ]] && ok busy_no_file || bad busy_no_file "busy.pcap created"
send 21 1
# The TX hook runs before the send is counted: counted means captured.
wait_for sig_sent 10 python3 -c "
import json, subprocess, sys
s = json.loads(subprocess.run(['$E1KCTL', '--ctl', '$ctl', '--json', 'stats'], capture_output=True).stdout)
sys.exit(s['tx']['packets'] < $tx0 + 2)"
kill -INT "$cap"
finish sig 2

# --- a client that disappears: the capture is disarmed, the next one starts
start gone
kill -KILL "$cap"; wait "$cap" 2>/dev/null || true
wait_for gone_disarmed 10 grep -q "capture ended (client" "$tmp/d.log" && ok gone_disarmed
start after_gone --tx --count 1
send 22 1
finish after_gone 1

# --- an output file that cannot be written: exit 1, the capture disarmed
expect unwritable 1 "cannot write" "$E1KCTL" --ctl "$ctl" capture --count 1 -w /proc/e1k-no-such/x.pcap
start after_unwritable --tx --count 1
send 23 1
finish after_unwritable 1

# --- a halt ends a capture cleanly: the client says so, keeps what it got, exits 0
start halted
expect halt 0 "Halted" "$E1KCTL" --ctl "$ctl" halt --reason stopped
finish halted 0
grep -q "adapter halted" "$tmp/halted.err" && ok halted_said || bad halted_said "$(cat "$tmp/halted.err")"
n=$(fields halted -e frame.number | wc -l)
((n == 0)) && tshark -r "$tmp/halted.pcap" >/dev/null 2>&1 && ok halted_file_valid ||
	bad halted_file_valid "tshark cannot read it ($n frames)"
rc=0; wait "$pid" || rc=$?
((rc == 0)) && ok e1kd_exit0 || bad e1kd_exit0 "exit $rc: $(tail -n 3 "$tmp/d.log")"
expect report_clean 0 "^clean" "$E1KCTL" report check "$tmp/r.json" --reason stopped

summary
