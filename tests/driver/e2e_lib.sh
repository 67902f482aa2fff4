# e2e_lib.sh - shared setup for the e1kd end-to-end tests (sourced; brings in
# tests/lib/harness.sh: ok/bad/die/wait_for/summary...).
#
#   e2e_init E1KD E1KCTL        checks root, makes a temp dir, cleans up on exit
#   e2e_start MODEL IRQ [ARGS]  two namespaces; e1kd in A with --tap e1k0 and
#                               the model's wire TAP w0 moved to B;
#                               e1k0 198.18.0.1/24, w0 198.18.0.2/24
#   e2e_stop                    kill e1kd if still running, delete namespaces
#   check_report FILE REASON    the halt report is per contract
# Sets: NSA NSB ctl pid tmp.  Traffic stays inside the two namespaces.  While
# e1kd runs, waits end early if it exits (HARNESS_WATCH).

source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"

e2e_init() {
	E1KD=$1 E1KCTL=$2
	need_root
	pid=
	NSA= NSB=
	harness_tmp e1k-e2e
}

e2e_stop() {
	if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	pid= HARNESS_WATCH=
	[[ -z $NSA ]] || ip netns del "$NSA" 2>/dev/null || true
	[[ -z $NSB ]] || ip netns del "$NSB" 2>/dev/null || true
	NSA= NSB=
}

# Run by harness_exit: background jobs (floods), e1kd, the namespaces; the
# log's tail when the test failed.
harness_cleanup() {
	jobs -p | xargs -r kill 2>/dev/null || true
	e2e_stop
	if (($1 != 0)) && [[ -f $tmp/e1kd.log ]]; then
		echo "--- e1kd log (tail)"; tail -n 40 "$tmp/e1kd.log"
	fi
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
	pid=$! HARNESS_WATCH=$!
	wait_for "the control socket" 30 "$E1KCTL" --ctl "$ctl" status
	wait_for "the wire TAP" 10 ip -n "$NSA" link show w0
	ip -n "$NSA" link set w0 netns "$NSB"
	ip -n "$NSB" addr add 198.18.0.2/24 dev w0
	ip -n "$NSB" link set w0 up
	ip -n "$NSA" addr add 198.18.0.1/24 dev e1k0
	wait_for "e1k0 up" 10 sh -c "ip -n $NSA link show e1k0 | grep -q LOWER_UP"
}

# check_report FILE REASON: the report is per contract (e1kctl report check:
# prints a one-line summary when clean, one line per problem otherwise).
check_report() {
	"$E1KCTL" report check "$1" --reason "$2" 2>&1
}
