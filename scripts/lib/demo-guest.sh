# shellcheck shell=bash
# scripts/lib/demo-guest.sh - the guest side of scripts/demo (run by qemu-rig in
# the guest; the host side is scripts/lib/demo-host.sh).  Prints what it does;
# exits non-zero when a step fails.  Environment: DEMO_ROOT, DEMO_E1KD,
# DEMO_E1KCTL, DEMO_REASON, DEMO_IRQ_MODE and the rig's E1K_RIG_*.
set -uo pipefail
S=$E1K_RIG_SHARE
BDF=$E1K_RIG_BDF
ctl=/run/e1kd/demo.sock
report=$S/halt-report.json
pid=
fails=0

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
ok() { echo "   ok: $*"; }
bad() { echo "   FAILED: $*"; fails=$((fails + 1)); }
poll() {   # poll TIMEOUT_S CMD...: the host writes files over 9p; processes have no fd to wait on here
	local t=$1 end
	shift
	end=$(($(date +%s%N) + t * 1000000000))
	until "$@" >/dev/null 2>&1; do
		(($(date +%s%N) < end)) || return 1
		sleep 0.05
	done
}
cleanup() {
	if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid"
		poll 20 eval '! kill -0 '"$pid" || kill -KILL "$pid"
	fi
	"$DEMO_ROOT/scripts/vfio-bind" restore "$BDF" >/dev/null 2>&1 || true
}
trap cleanup EXIT

step "the NIC before: $BDF"
"$DEMO_ROOT/scripts/vfio-bind" status
step "scripts/vfio-bind bind $BDF"
"$DEMO_ROOT/scripts/vfio-bind" bind "$BDF" || exit 1

step "e1kd --device $BDF --tap e1k0 --irq-mode $DEMO_IRQ_MODE"
"$DEMO_E1KD" --device "$BDF" --tap e1k0 --irq-mode "$DEMO_IRQ_MODE" --ctl "$ctl" \
	--report "$report" --log-level info >"$S/e1kd.log" 2>&1 &
pid=$!
if ! poll 30 sh -c "'$DEMO_E1KCTL' --ctl '$ctl' status | grep -qE '^state +Running'"; then
	echo "e1kd did not reach Running:"
	cat "$S/e1kd.log"
	exit 1
fi
"$DEMO_E1KCTL" --ctl "$ctl" status
ip addr add 198.18.0.2/24 dev e1k0
ip link set e1k0 up
poll 10 sh -c 'ip link show e1k0 | grep -q LOWER_UP' || bad "e1k0 has no carrier"
ip -br addr show e1k0

step "traffic through the TAP bridge: ping both ways, 1 MiB over TCP each way"
nc -l 198.18.0.2 5001 >"$S/guest-rx.bin" &
ncpid=$!
poll 5 sh -c 'ss -ltn | grep -q ":5001 "' || bad "no listener on 5001"
touch "$S/guest-ready"
if ping -c 3 -i 0.2 -w 15 198.18.0.1; then ok "guest -> host ping"; else bad "guest -> host ping"; fi
if poll 120 test -e "$S/host-done"; then
	# shellcheck disable=SC1091
	. "$S/host-done"
	sed -n '/packets transmitted/,$p' "$S/host-ping.log"
	if [[ $ping == 0 ]]; then ok "host -> guest ping"; else bad "host -> guest ping"; fi
	poll 30 eval '! kill -0 '"$ncpid" || kill "$ncpid" 2>/dev/null
	wait "$ncpid" 2>/dev/null
	if [[ $send == 0 ]] && cmp -s "$S/guest-rx.bin" "$S/host-payload"; then
		ok "host -> guest TCP: 1 MiB intact in ${seconds} s"
	else
		bad "host -> guest TCP (nc exit $send; payload $(cmp "$S/guest-rx.bin" "$S/host-payload" 2>&1 || true))"
	fi
else
	bad "the host side never finished (see the rig's host log)"
fi
head -c 1048576 /dev/urandom >"$S/guest-payload"
t0=$(date +%s.%N)
if timeout 60 nc -N 198.18.0.1 5002 <"$S/guest-payload"; then
	t1=$(date +%s.%N)
	touch "$S/guest-sent"
	if poll 60 test -e "$S/host-rx-done" && cmp -s "$S/host-rx.bin" "$S/guest-payload"; then
		ok "guest -> host TCP: 1 MiB intact in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s"
	else
		bad "guest -> host TCP: payload not intact on the host"
	fi
else
	touch "$S/guest-sent"
	bad "guest -> host TCP: nc failed"
fi
"$DEMO_E1KCTL" --ctl "$ctl" stats

step "e1kctl halt --reason $DEMO_REASON"
if ! "$DEMO_E1KCTL" --ctl "$ctl" halt --reason "$DEMO_REASON"; then
	bad "the halt reported a failed or timed-out stage"
fi
if poll 30 eval '! kill -0 '"$pid"; then
	rc=0
	wait "$pid" || rc=$?
	pid=
	if ((rc == 0)); then ok "e1kd exited 0 after the halt"; else bad "e1kd exited $rc after the halt"; fi
else
	bad "e1kd still running 30 s after the halt"
fi
echo "   e1kd's log:"
sed 's/^/     /' "$S/e1kd.log"

step "scripts/vfio-bind restore $BDF"
"$DEMO_ROOT/scripts/vfio-bind" restore "$BDF" && "$DEMO_ROOT/scripts/vfio-bind" status
faults=$(dmesg | grep -iE 'handling fault|fault addr|DMAR: *\[DMA (Read|Write)' || true)
if [[ -z $faults ]]; then ok "no IOMMU (DMAR) fault in the guest's kernel log"; else bad "DMAR faults: $faults"; fi

if ((fails)); then
	step "demo: $fails step(s) failed"
	exit 1
fi
step "demo: done -- traffic passed both ways; halted with reason $DEMO_REASON (report above)"
