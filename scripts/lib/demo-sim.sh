#!/usr/bin/env bash
# scripts/lib/demo-sim.sh - scripts/demo --sim: the demo on the software model.
#
#   scripts/demo --sim [--model 82540em|82574l] [--reason R]
#
# No QEMU: e1kd drives the in-process software model.  Two network namespaces
# are made, e1kd runs in the
# first with a TAP bridge (e1k0, 198.18.0.1/24), the model's wire is a TAP
# moved to the second (w0, 198.18.0.2/24).  The kernels ping each other and
# run a TCP transfer through the driver; then `e1kctl halt --reason R` halts
# it and prints the staged-halt report.  Everything is removed at the end.
# Needs root (namespaces, TAPs); installs and builds what it needs.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
model=82540em
reason=stopped
while (($#)); do
	case $1 in
	--model) model=${2:?}; shift 2 ;;
	--reason) reason=${2:?}; shift 2 ;;
	-h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "demo: unknown argument '$1' (try --help)" >&2; exit 2 ;;
	esac
done
case $model in 82540em|82574l) ;; *) echo "demo: --model must be 82540em or 82574l" >&2; exit 2 ;; esac
if [[ $(id -u) -ne 0 ]]; then
	echo "demo: run as root (it creates network namespaces and TAP devices)" >&2
	exit 1
fi

"$root/scripts/setup"
build=${E1K_BUILD_ROOT:-$root/build}/plain
cmake -S "$root" -B "$build" -G Ninja -DE1K_SANITIZE=none >/dev/null
cmake --build "$build" --target e1kd e1kctl >/dev/null
E1KD=$build/cli/e1kd
E1KCTL=$build/cli/e1kctl
"$E1KCTL" --help >/dev/null 2>&1 || { echo "demo: e1kctl did not build" >&2; exit 1; }
# Validate the reason before anything starts.
case ${reason,,} in
disabled|instance-deinitialized|powered-down|surprise-removed|failed|initialization-failed|stopped|ndishaltdevice*) ;;
*) echo "demo: unknown halt reason '$reason' (see: e1kctl --help)" >&2; exit 2 ;;
esac

NSA=e1kdemo-a-$$
NSB=e1kdemo-b-$$
tmp=$(mktemp -d /tmp/e1k-demo.XXXXXX)
ctl=$tmp/run/ctl.sock
pid=
cleanup() {
	if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid"; wait "$pid" || true; fi
	ip netns del "$NSA" 2>/dev/null || true
	ip netns del "$NSB" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
wait_for() {
	local desc=$1 t=$2; shift 2
	local end=$((SECONDS + t))
	until "$@" >/dev/null 2>&1; do
		((SECONDS < end)) || { echo "demo: timed out waiting for $desc" >&2; tail -n 20 "$tmp/e1kd.log" >&2; exit 1; }
		sleep 0.05
	done
}

step "namespaces $NSA (driver side) and $NSB (wire side)"
ip netns add "$NSA"; ip netns add "$NSB"
ip -n "$NSA" link set lo up; ip -n "$NSB" link set lo up

step "e1kd --device sim:$model --tap e1k0 --sim-wire tap:w0"
ip netns exec "$NSA" "$E1KD" --device "sim:$model" --tap e1k0 --sim-wire tap:w0 \
	--ctl "$ctl" --report "$tmp/report.json" --log-level info >"$tmp/e1kd.log" 2>&1 &
pid=$!
wait_for "e1kd's control socket" 30 "$E1KCTL" --ctl "$ctl" status
ip -n "$NSA" link set w0 netns "$NSB"
ip -n "$NSB" addr add 198.18.0.2/24 dev w0
ip -n "$NSB" link set w0 up
ip -n "$NSA" addr add 198.18.0.1/24 dev e1k0
wait_for "e1k0 carrier" 10 sh -c "ip -n $NSA link show e1k0 | grep -q LOWER_UP"
"$E1KCTL" --ctl "$ctl" status

step "ping through the driver, both ways"
ip netns exec "$NSA" ping -c 5 -i 0.2 198.18.0.2
ip netns exec "$NSB" ping -c 5 -i 0.2 198.18.0.1

step "TCP transfer (8 MB) from $NSA to $NSB"
ip netns exec "$NSB" python3 -c '
import socket,hashlib
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1); s.bind(("198.18.0.2",5001)); s.listen(1)
open("'"$tmp"'/ready","w").close()
c,_=s.accept(); h=hashlib.sha256(); n=0
while True:
    b=c.recv(65536)
    if not b: break
    h.update(b); n+=len(b)
print("received %d bytes, sha256 %s" % (n, h.hexdigest()[:16]))' &
srv=$!
wait_for "the TCP server" 10 test -e "$tmp/ready"
ip netns exec "$NSA" python3 -c '
import socket,os,hashlib,time
d=os.urandom(8<<20); t=time.time()
c=socket.create_connection(("198.18.0.2",5001)); c.sendall(d); c.close()
print("sent     %d bytes, sha256 %s, %.1f Mbit/s" % (len(d), hashlib.sha256(d).hexdigest()[:16], len(d)*8/(time.time()-t)/1e6))'
wait "$srv"

step "driver statistics"
"$E1KCTL" --ctl "$ctl" stats

step "halt with reason '$reason'"
rc=0
"$E1KCTL" --ctl "$ctl" halt --reason "$reason" || rc=$?
wait "$pid" || true
pid=
echo
echo "the report was also written by e1kd --report: $(wc -c <"$tmp/report.json") bytes of JSON"
ip -n "$NSA" link show e1k0 >/dev/null 2>&1 && echo "e1k0 still present!" || echo "e1k0 removed by the halt"
exit $rc
