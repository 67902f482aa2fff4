# shellcheck shell=bash
# Host side of e1kd_halts, run by qemu-rig inside the rig's network namespace.
set -u
S=$E1K_RIG_SHARE
ip addr add 198.18.0.1/24 dev "$E1K_RIG_TAP"
# Polled: the guest writes the file through 9p, which has no notification here.
for _ in $(seq 1800); do [[ -e $S/guest-ready ]] && break; sleep 0.1; done
[[ -e $S/guest-ready ]] || { echo "host: the guest never became ready"; exit 1; }
ping -c 3 -i 0.2 -w 15 198.18.0.2 >"$S/host-ping.log" 2>&1
p=$?
head -c 262144 /dev/urandom >"$S/host-payload"
timeout 30 nc -N 198.18.0.2 5001 <"$S/host-payload"
s=$?
printf 'ping=%d\nsend=%d\n' "$p" "$s" >"$S/host-done.tmp"
mv "$S/host-done.tmp" "$S/host-done"
