# e2e_lib.sh - shared setup for the e1kd end-to-end tests (sourced).
#
#   e2e_init E1KD E1KCTL        checks root, makes a temp dir, traps cleanup
#   e2e_start MODEL IRQ [ARGS]  two namespaces; e1kd in A with --tap e1k0 and
#                               the model's wire TAP w0 moved to B;
#                               e1k0 198.18.0.1/24, w0 198.18.0.2/24
#   e2e_stop                    kill e1kd if still running, delete namespaces
# Sets: NSA NSB ctl pid tmp.  Traffic stays inside the two namespaces.

e2e_fail() { echo "FAIL: $*"; exit 1; }

e2e_init() {
	E1KD=$1 E1KCTL=$2
	if [[ $(id -u) -ne 0 || ! -c /dev/net/tun ]]; then
		echo "skip: needs root and /dev/net/tun"
		exit 77
	fi
	tmp=$(mktemp -d /tmp/e1k-e2e.XXXXXX)
	pid=
	NSA= NSB=
	trap e2e_cleanup EXIT
}

e2e_stop() {
	if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	pid=
	[[ -z $NSA ]] || ip netns del "$NSA" 2>/dev/null || true
	[[ -z $NSB ]] || ip netns del "$NSB" 2>/dev/null || true
	NSA= NSB=
}

e2e_cleanup() {
	local rc=$?
	jobs -p | xargs -r kill 2>/dev/null || true
	e2e_stop
	if ((rc != 0)) && [[ -f $tmp/e1kd.log ]]; then
		echo "--- e1kd log (tail)"; tail -n 40 "$tmp/e1kd.log"
	fi
	rm -rf "$tmp"
	exit $rc
}

# wait_for DESC TIMEOUT_S CMD...: poll a condition with a deadline.
wait_for() {
	local desc=$1 t=$2; shift 2
	local end=$((SECONDS + t))
	until "$@" >/dev/null 2>&1; do
		((SECONDS < end)) || e2e_fail "timed out waiting for $desc"
		[[ -z $pid ]] || kill -0 "$pid" 2>/dev/null || e2e_fail "e1kd exited while waiting for $desc"
		sleep 0.05
	done
}

e2e_start() {
	local model=$1 irq=$2; shift 2
	local n=${E2E_SEQ:-0}
	E2E_SEQ=$((n + 1))
	NSA=e1kt-a-$$-$n
	NSB=e1kt-b-$$-$n
	ctl=$tmp/run$n/ctl.sock
	ip netns add "$NSA"
	ip netns add "$NSB"
	ip -n "$NSA" link set lo up
	ip -n "$NSB" link set lo up
	ip netns exec "$NSA" "$E1KD" --device "sim:$model" --irq-mode "$irq" --tap e1k0 \
		--sim-wire tap:w0 --ctl "$ctl" --log-level info "$@" >"$tmp/e1kd.log" 2>&1 &
	pid=$!
	wait_for "the control socket" 30 "$E1KCTL" --ctl "$ctl" status
	wait_for "the wire TAP" 10 ip -n "$NSA" link show w0
	ip -n "$NSA" link set w0 netns "$NSB"
	ip -n "$NSB" addr add 198.18.0.2/24 dev w0
	ip -n "$NSB" link set w0 up
	ip -n "$NSA" addr add 198.18.0.1/24 dev e1k0
	wait_for "e1k0 up" 10 sh -c "ip -n $NSA link show e1k0 | grep -q LOWER_UP"
}

# check_report FILE REASON: the report is per contract.
check_report() {
	local f=$1 reason=$2
	python3 - "$f" "$reason" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
want = ["reject-new-work", "unbind-upper", "drain-requests", "stop-rx-tx", "mask-interrupts",
        "deregister-interrupts", "drain-dpcs", "cancel-timers", "reclaim-tx", "await-rx-returns",
        "reset-device", "disable-bus-master", "rcu-barrier", "free-dma", "release-device"]
errs = []
if r["reason"] != sys.argv[2]: errs.append("reason %s" % r["reason"])
if r["final_state"] != "Halted": errs.append("final_state %s" % r["final_state"])
names = [s["name"] for s in r["stages"]]
if names != want: errs.append("stage order %s" % names)
t = 0
for s in r["stages"]:
    if s["result"] not in ("ok", "skipped"): errs.append("%s: %s (%s)" % (s["name"], s["result"], s["detail"]))
    if s["start_ns"] < t: errs.append("%s starts before the previous stage ended" % s["name"])
    t = s["end_ns"]
led = r["ledger"]
if led["outstanding"] != 0 or led["acquired"] != led["released"]: errs.append("ledger %s" % {k: led[k] for k in ("acquired", "released", "outstanding")})
for k in ("dma_faults", "isr_after_deregister", "dpc_after_drain", "callbacks_after_halted",
          "rx_buffers_outstanding", "mmio_after_removal"):
    if r[k] != 0: errs.append("%s = %d" % (k, r[k]))
if errs:
    print("report problems: " + "; ".join(errs)); sys.exit(1)
print("report ok: %s from %s, %d stages, ledger %d/%d, %.1f ms" % (r["reason"], r["from_state"], len(names),
      led["acquired"], led["released"], r["total_ns"] / 1e6))
PY
}
