# shellcheck shell=bash
# scripts/lib/demo-host.sh - the host side of scripts/demo, run by qemu-rig in
# the rig's network namespace while the guest runs scripts/lib/demo-guest.sh.
#
# Hand-shake through files in $E1K_RIG_SHARE (the guest writes them over 9p,
# which offers no notification here, so they are polled):
#   guest-ready   e1kd runs, e1k0 is up, a listener waits on 5001
#   host-done     written here: ping's and the TCP send's status, the seconds
#   guest-sent    the guest sent its 1 MiB to the listener here (5002)
#   host-rx-done  written here once that transfer ended
set -u
S=$E1K_RIG_SHARE
ip addr add 198.18.0.1/24 dev "$E1K_RIG_TAP"

poll() {   # poll FILE TIMEOUT_S
	local end=$((SECONDS + $2))
	until [[ -e $1 ]]; do
		((SECONDS < end)) || return 1
		sleep 0.1
	done
}

poll "$S/guest-ready" 180 || { echo "host: the guest never became ready"; exit 1; }
nc -l 198.18.0.1 5002 >"$S/host-rx.bin" &
listener=$!
ping -c 3 -i 0.2 -w 15 198.18.0.2 >"$S/host-ping.log" 2>&1
p=$?
head -c 1048576 /dev/urandom >"$S/host-payload"
t0=$(date +%s.%N)
timeout 60 nc -N 198.18.0.2 5001 <"$S/host-payload"
s=$?
t1=$(date +%s.%N)
printf 'ping=%d\nsend=%d\nseconds=%s\n' "$p" "$s" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')" \
	>"$S/host-done.tmp"
mv "$S/host-done.tmp" "$S/host-done"

poll "$S/guest-sent" 120 || { kill "$listener" 2>/dev/null; echo "host: the guest never sent"; exit 1; }
# The guest's nc -N closed its side: the listener ends once everything arrived.
end=$((SECONDS + 30))
while kill -0 "$listener" 2>/dev/null && ((SECONDS < end)); do sleep 0.1; done
kill "$listener" 2>/dev/null
wait "$listener" 2>/dev/null
touch "$S/host-rx-done"
