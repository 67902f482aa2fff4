#!/usr/bin/env bash
# e2e_robust.sh E1KD E1KCTL - issue 7 against the real binaries on the model:
#
#   permissions  e1kctl as another uid (65534) against a root e1kd: refused by
#                the 0700 directory (permission denied, exit 4), and by
#                SO_PEERCRED when the modes are opened up (EPERM, exit 4); the
#                socket 0600 in a 0700 directory; e1kd as a non-root user: no
#                TAP (CAP_NET_ADMIN), no socket in a root-only directory; a
#                group/world-writable directory, a non-socket file at the path,
#                a path too long -- each one line, exit 1, nothing left behind.
#   clients      silent, half-line, oversize-and-never-read and
#                pipelining-without-reading clients, then more clients than
#                slots: e1kctl keeps getting answers (a newcomer closes the
#                client idle the longest) and the driver keeps running.
#   halts        two e1kctl halts at once (both get the one report, or the
#                later one finds no driver: exit 3), then a halt of the gone
#                driver (exit 3); e1kctl on a stale socket (exit 3).  A second
#                halt that reached e1kd is never dropped unanswered (finding
#                F3, docs/robustness.md: the server's stop answers it).
#   crash        e1kd killed with SIGKILL under a ping flood through
#                --tap e1k0 / --sim-wire tap:w0 (two namespaces), three
#                times: nothing stale is left (no TAP in either namespace, no
#                process), and a new e1kd on the same device spec, TAP names
#                and socket path starts cleanly and carries traffic again.
#
# Runs in a private network namespace (unshare) plus one named namespace for
# the wire end; addresses 198.18.0.0/24.  Needs root (exit 77 otherwise).
set -euo pipefail
E1KD=$(readlink -f "$1") E1KCTL=$(readlink -f "$2")

source "$(dirname "$0")/../lib/harness.sh"
need_root setpriv
own_netns "$0" "$@"
harness_tmp e1k-robust
chmod 755 "$tmp"      # traversable: the socket's own directory is the lock
NSB=e1k-rob-b-$$
harness_cleanup() { ip netns del "$NSB" 2>/dev/null || true; }
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

no_tap() { ! ip link show "$1" >/dev/null 2>&1; }

ctl=$tmp/run/e1kd.sock

# --- e1kd refusals: one line (--log-level error), exit 1, nothing left ---
q=(--log-level error)
mkdir -m 0777 "$tmp/open"
expect --one-line ctl_dir_world_writable 1 "writable by group or others" \
	"$E1KD" --device sim:82540em --ctl "$tmp/open/e1kd.sock" "${q[@]}"
[[ -z $(ls -A "$tmp/open") ]] && ok ctl_dir_untouched || bad ctl_dir_untouched "$(ls -A "$tmp/open")"
# (in a 0700 directory: $tmp is 0755, which a socket's directory may not be)
mkdir -m 0700 "$tmp/fdir"
echo keep >"$tmp/fdir/file.sock"
expect --one-line ctl_path_not_socket 1 "not a socket; not touching it" \
	"$E1KD" --device sim:82540em --ctl "$tmp/fdir/file.sock" "${q[@]}"
[[ $(cat "$tmp/fdir/file.sock") == keep ]] && ok ctl_file_untouched || bad ctl_file_untouched "changed"
long=$tmp/$(printf 'd%.0s' {1..110})/e1kd.sock
expect --one-line ctl_path_too_long 1 "too long" "$E1KD" --device sim:82540em --ctl "$long" "${q[@]}"
expect --one-line e1kd_nonroot_tap 1 "needs CAP_NET_ADMIN" \
	nobody "$E1KD" --device sim:82540em --ctl "$tmp/nobody/e1kd.sock" --tap e1knob0 "${q[@]}"
no_tap e1knob0 && ok e1kd_nonroot_no_tap_left || bad e1kd_nonroot_no_tap_left "e1knob0 exists"
[[ ! -e $tmp/nobody/e1kd.sock ]] && ok e1kd_nonroot_no_socket_left || bad e1kd_nonroot_no_socket_left "socket left"
mkdir -m 0700 "$tmp/rootonly"
expect --one-line e1kd_nonroot_ctl_denied 1 "permission denied" \
	nobody "$E1KD" --device sim:82540em --ctl "$tmp/rootonly/e1kd.sock" "${q[@]}"

# --- e1kctl against no driver / a stale socket ---
expect --one-line e1kctl_no_driver 3 "no driver is listening" "$E1KCTL" --ctl "$ctl" status
mkdir -m 0700 "$tmp/stale"
python3 - "$tmp/stale/e1kd.sock" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])   # bound, never listening, closed
PY
expect --one-line e1kctl_stale_socket 3 "no driver is listening" "$E1KCTL" --ctl "$tmp/stale/e1kd.sock" status

# --- a running driver: permissions and hostile clients ---
"$E1KD" --device sim:82574l --sim-wire loopback --ctl "$ctl" --report "$tmp/r1.json" \
	--log-level warn 2>"$tmp/d1.log" &
pid=$!
pids+=("$pid")
wait_for driver_up 20 "$E1KCTL" --ctl "$ctl" status && ok driver_up || true
[[ $(stat -c '%a %U' "$ctl") == "600 root" && $(stat -c '%a %U' "$tmp/run") == "700 root" ]] &&
	ok socket_0600_dir_0700 || bad socket_0600_dir_0700 "$(stat -c '%a %U %n' "$ctl" "$tmp/run")"
expect --one-line other_uid_permission_denied 4 "permission denied on .* \(run as the user e1kd runs as\)" \
	nobody "$E1KCTL" --ctl "$ctl" status
# The second lock: with the modes opened up the connection gets through, and
# SO_PEERCRED refuses it.
chmod 0755 "$tmp/run"
chmod 0666 "$ctl"
expect --one-line other_uid_peercred_refused 4 "refused: .*\(EPERM\)" nobody "$E1KCTL" --ctl "$ctl" status
expect --one-line other_uid_halt_refused 4 "refused: .*\(EPERM\)" nobody "$E1KCTL" --ctl "$ctl" halt --reason stopped
chmod 0700 "$tmp/run"
chmod 0600 "$ctl"
expect --one-line still_running_after_refusals 0 "" sh -c "'$E1KCTL' --ctl '$ctl' status | grep -E '^state +Running'"

# Hostile clients hold connections; e1kctl must still be answered at once.
python3 - "$ctl" "$tmp/clients.ready" "$tmp/clients.done" <<'PY' &
import os, socket, sys, time
path, ready, done = sys.argv[1:4]
socks = []
def conn():
    s = socket.socket(socket.AF_UNIX); s.connect(path); socks.append(s); return s
conn()                                    # silent
conn().send(b"STA")                       # half a line, then nothing
big = conn(); big.setblocking(False)      # oversize line, never reads
try:
    big.send(b"X" * (1 << 20))
except BlockingIOError:
    pass
pipe = conn(); pipe.setblocking(False)    # pipelines requests, never reads
try:
    for _ in range(20000):
        pipe.send(b"STATS\n")
except (BlockingIOError, BrokenPipeError, ConnectionResetError):
    pass
open(ready, "w").close()
end = time.time() + 30
while not os.path.exists(done) and time.time() < end:
    time.sleep(0.05)
PY
cpid=$!
pids+=("$cpid")
wait_for clients_connected 10 test -e "$tmp/clients.ready" || true
t0=$(date +%s%N)
expect --one-line answered_despite_hostile_clients 0 "^state +Running" \
	sh -c "'$E1KCTL' --ctl '$ctl' --timeout 2000 status | grep -E '^state '"
ms=$((($(date +%s%N) - t0) / 1000000))
((ms < 2000)) && ok "answer_time_${ms}ms" || bad answer_time "${ms} ms"
touch "$tmp/clients.done"
wait "$cpid" 2>/dev/null || true

# More clients than slots (16): each newcomer closes the client idle the
# longest (issue 17; it used to be EBUSY until the idle timeout, 5 s, freed
# slots), so e1kctl gets through at once.
python3 - "$ctl" "$tmp/many.ready" "$tmp/many.done" <<'PY' &
import os, socket, sys, time
path, ready, done = sys.argv[1:4]
socks = []
for _ in range(24):
    s = socket.socket(socket.AF_UNIX); s.connect(path); socks.append(s)
open(ready, "w").close()
end = time.time() + 30
while not os.path.exists(done) and time.time() < end:
    time.sleep(0.05)
PY
mpid=$!
pids+=("$mpid")
wait_for many_connected 10 test -e "$tmp/many.ready" || true
wait_for answered_after_slots_freed 15 "$E1KCTL" --ctl "$ctl" --timeout 1000 status &&
	ok answered_after_slots_freed || true
touch "$tmp/many.done"
wait "$mpid" 2>/dev/null || true

# --- halt of an already halted driver: two at once, then one too late ---
for i in 1 2; do
	(r=0; "$E1KCTL" --ctl "$ctl" --json halt --reason stopped >"$tmp/h$i.out" 2>"$tmp/h$i.err" || r=$?
	 echo "$r" >"$tmp/h$i.rc") &
done
wait_for concurrent_halts_done 30 test -s "$tmp/h1.rc" -a -s "$tmp/h2.rc" || true
rc1=$(cat "$tmp/h1.rc" 2>/dev/null || echo none) rc2=$(cat "$tmp/h2.rc" 2>/dev/null || echo none)
if [[ $rc1 == 0 && $rc2 == 0 ]]; then
	# Both answered: the same report (the halt is idempotent).
	# The same document byte for byte, and a clean report.
	if ! cmp -s "$tmp/h1.out" "$tmp/h2.out"; then
		bad concurrent_halts_one_report "reports differ"
	elif out=$("$E1KCTL" report check "$tmp/h1.out" --reason stopped 2>&1); then
		ok concurrent_halts_one_report
	else
		bad concurrent_halts_one_report "$out"
	fi
elif [[ "$rc1 $rc2" == "0 3" || "$rc1 $rc2" == "3 0" ]]; then
	# The later one came after the server stopped: connect refused.  One
	# that reached e1kd but was closed unanswered ("closed the connection
	# without answering") is finding F3, fixed: it fails here.
	if grep -qh "no driver is listening" "$tmp/h1.err" "$tmp/h2.err"; then
		ok concurrent_halts_second_found_none
	else
		bad concurrent_halts_second "$(cat "$tmp"/h?.err)"
	fi
else
	bad concurrent_halts "exit $rc1 and $rc2: $(cat "$tmp"/h?.err)"
fi
rc=0
wait "$pid" || rc=$?
((rc == 0)) && ok e1kd_exit0_after_double_halt || bad e1kd_exit0_after_double_halt "exit $rc"
expect --one-line one_report_written 0 "^clean: stopped" "$E1KCTL" report check "$tmp/r1.json" --reason stopped
expect --one-line halt_already_halted 3 "no driver is listening" "$E1KCTL" --ctl "$ctl" halt --reason disabled
[[ ! -e $ctl ]] && ok socket_removed || bad socket_removed "$ctl left"

# --- crash recovery under traffic: same TAP names, same socket path ---
ip netns add "$NSB"
ip -n "$NSB" link set lo up
start_driver() {   # start_driver TAG: e1kd up, wire end in NSB, addresses set
	"$E1KD" --device sim:82574l --irq-mode msix --tap e1k0 --sim-wire tap:w0 --ctl "$ctl" \
		--log-level warn 2>"$tmp/crash-$1.log" &
	pid=$!
	pids+=("$pid")
	wait_for "up_$1" 20 "$E1KCTL" --ctl "$ctl" status || return 1
	wait_for "wire_$1" 10 ip link show w0 || return 1
	ip link set w0 netns "$NSB"
	ip -n "$NSB" addr add 198.18.0.2/24 dev w0
	ip -n "$NSB" link set w0 up
	ip addr add 198.18.0.1/24 dev e1k0
	ip link set e1k0 up
	wait_for "carrier_$1" 10 sh -c "ip link show e1k0 | grep -q LOWER_UP"
}
rx_packets() {   # frames the driver received so far
	"$E1KCTL" --ctl "$ctl" --json stats | "$E1KCTL" report get - rx.packets
}
rx_at_least() { local n; n=$(rx_packets) && ((n >= $1)); }
for round in 1 2 3; do
	start_driver "$round" || break
	ip netns exec "$NSB" ping -q -f -s 1000 -w 30 198.18.0.1 >/dev/null 2>&1 &
	fpid=$!
	pids+=("$fpid")
	base=$(rx_packets)
	# "Under traffic": killed once the flood has moved a few hundred frames
	# through the driver, a little later each round.
	want=$((base + 200 * round))
	wait_for "flood_$round" 20 rx_at_least "$want" ||
		break
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null || true
	kill "$fpid" 2>/dev/null || true
	wait "$fpid" 2>/dev/null || true
	ok "killed_under_traffic_$round"
	no_tap e1k0 && ok "no_tap_left_$round" || bad "no_tap_left_$round" "e1k0 still there"
	! ip -n "$NSB" link show w0 >/dev/null 2>&1 && ok "no_wire_tap_left_$round" ||
		bad "no_wire_tap_left_$round" "w0 still in $NSB"
	! kill -0 "$pid" 2>/dev/null && ok "no_process_left_$round" || bad "no_process_left_$round" "$pid alive"
	[[ -S $ctl ]] && ok "stale_socket_$round" || bad "stale_socket_$round" "no socket file"
	expect --one-line "stale_socket_no_driver_$round" 3 "no driver is listening" "$E1KCTL" --ctl "$ctl" status
	# The same device spec, TAP names and socket path: starts cleanly.
	start_driver "restart$round" || break
	ok "restart_clean_$round"
	if ip netns exec "$NSB" ping -q -c 20 -i 0.02 -w 10 198.18.0.1 >/dev/null 2>&1; then
		ok "traffic_after_restart_$round"
	else
		bad "traffic_after_restart_$round" "ping failed"
	fi
	"$E1KCTL" --ctl "$ctl" --json halt --reason stopped >"$tmp/crash-halt.json" 2>&1 || true
	if out=$("$E1KCTL" report check "$tmp/crash-halt.json" --reason stopped 2>&1); then
		ok "clean_halt_after_restart_$round"
	else
		bad "clean_halt_after_restart_$round" "$out $(head -c 300 "$tmp/crash-halt.json")"
	fi
	wait "$pid" 2>/dev/null || true
	no_tap e1k0 && [[ ! -e $ctl ]] && ok "clean_exit_$round" || bad "clean_exit_$round" "TAP or socket left"
done

summary
