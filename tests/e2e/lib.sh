# tests/e2e/lib.sh - helpers for e2e scenarios, sourced inside the QEMU guest.
# shellcheck shell=bash disable=SC2034
#
# A scenario runs its checks and ends with `finish`; each check prints
# "  ok NAME @T" or "  not ok NAME: WHY @T" (T: seconds since the start).  The
# runner reports the scenario as FAIL with the first "not ok" line when the
# scenario exits non-zero, and as SKIP when it calls `skip WHY` (exit 77).
#
# The checks (ok, nok, check, refuse, equal, wait_until) are
# tests/lib/harness.sh's in its e2e format.  Also here: `host` and friends
# (run commands at the host end of the TAP through tests/e2e/host-agent.sh),
# e1kd_start/e1kd_exit/e1k0_up/ctl (e1kd on the rig's NIC with --tap e1k0),
# check_report (a halt report per contract) and ctl_get (values from e1kctl's
# JSON) -- both `e1kctl report`, no python3 (it costs seconds in a TCG guest).
# On every exit path a running e1kd is killed and the host agent told to stop.
#
# Environment from the runner/rig: E1K_RIG_BDF, E1K_RIG_NIC, E1K_RIG_SHARE,
# E1K_RIG_MODULES, E2E_ROOT (the source tree), E1KD, E1KCTL, VFIO_PROBE.
set -uo pipefail
HARNESS_FORMAT=e2e
. "$E2E_ROOT/tests/lib/harness.sh"
VFIO_BIND=$E2E_ROOT/scripts/vfio-bind
BDF=$E1K_RIG_BDF
SHARE=$E1K_RIG_SHARE

# The scenarios' name for a failed check.
nok() { bad "$@"; }
# Capture a command's output on one line, for messages.
oneline() { tr '\n' ' ' <<<"$1" | cut -c1-300; }

# equal NAME GOT WANT
equal() {
	if [[ $2 == "$3" ]]; then ok "$1"; else nok "$1" "got '$2', want '$3'"; fi
}

driver_of() {
	local l=/sys/bus/pci/devices/$1/driver
	if [[ -L $l ]]; then basename "$(readlink -f "$l")"; else echo -; fi
}

# The kernel driver that owns the rig's NIC before any binding.
native_driver() { echo "$E1K_RIG_NIC"; }

# Messages the IOMMU prints on a DMA fault ("DMAR: DRHD: handling fault status",
# "DMAR: [DMA Read] Request device [..] fault addr ..."), not the boot-time DRHD lines.
dmar_faults() { dmesg | grep -iE 'handling fault|fault addr|DMAR: *\[DMA (Read|Write)' || true; }

finish() {
	e2e_cleanup
	trap - EXIT
	if ((failed == 0)); then
		echo "  scenario ok"
		exit 0
	fi
	echo "  scenario failed: $failed check(s)"
	exit 1
}

# skip WHY: the scenario does not apply here (the runner prints SKIP).
skip() {
	echo "  skip: $*"
	e2e_cleanup
	trap - EXIT
	exit 77
}

# check_report NAME FILE REASON: the halt report says Halted with REASON, every
# stage in order and none failed, the ledger empty, every verifier counter
# zero (e1kctl report check; its problems joined with "; ").
check_report() {
	local name=$1 file=$2 reason=$3 out rc=0
	out=$("$E1KCTL" report check "$file" --reason "$reason" 2>&1) || rc=$?
	if ((rc == 0)); then ok "$name"; else nok "$name" "${out//$'\n'/; }"; fi
	return $rc
}

# ctl_get COMMAND KEY...: J=(values), one per dotted KEY ("irq_mode",
# "rx.packets") of `e1kctl --json COMMAND`, "null" when absent; strings
# without their quotes.  Status 1 when e1kctl gets no answer.
ctl_get() {
	local cmd=$1 js vals rc=0
	shift
	J=()
	# (No process substitution: the guest has no /dev/fd.)
	if js=$(ctl --json "$cmd" 2>/dev/null); then
		vals=$("$E1KCTL" report get - "$@" <<<"$js" 2>/dev/null)
		[[ -z $vals ]] || mapfile -t J <<<"$vals"
	else
		rc=1
	fi
	while ((${#J[@]} < $#)); do J+=(null); done
	return $rc
}

# ---- the host end of the TAP (tests/e2e/host-agent.sh, "# e2e-host: agent") ----

HOST_AGENT=$SHARE/agent
e2e_host_seq=0

# host TIMEOUT_S SCRIPT: run SCRIPT (bash) on the host inside the rig's
# namespace; prints its output, returns its status (124: it timed out on the
# host; 125: the agent never answered).
host() {
	local t=$1 id
	shift
	e2e_host_seq=$((e2e_host_seq + 1))
	id=$HOST_AGENT/$(printf '%05d' "$e2e_host_seq")
	mkdir -p "$HOST_AGENT"
	printf '%s\n%s\n' "$t" "$*" >"$id.tmp"
	mv "$id.tmp" "$id.cmd"
	if ! wait_until $((t + 10)) test -e "$id.rc"; then
		echo "host: the agent did not answer within $((t + 10)) s"
		return 125
	fi
	cat "$id.out"
	return "$(cat "$id.rc")"
}
# host_check NAME TIMEOUT_S SCRIPT: a check that SCRIPT succeeds on the host.
host_check() {
	local name=$1 t=$2 out rc=0
	shift 2
	out=$(host "$t" "$@") || rc=$?
	if ((rc == 0)); then ok "$name"; else nok "$name" "host exit $rc: $(oneline "$out")"; fi
	return $rc
}
# tap_counters: sets TAP_RXP TAP_RXB TAP_TXP TAP_TXB from the host TAP (rx:
# frames the NIC sent to the host; tx: frames the host sent to the NIC).
tap_counters() {
	local out
	out=$(host 10 tap_counters) || return 1
	read -r TAP_RXP TAP_RXB TAP_TXP TAP_TXB <<<"$out"
	[[ $TAP_RXP =~ ^[0-9]+$ && $TAP_TXP =~ ^[0-9]+$ ]]
}
# qemu_alive NAME: QMP query-status from the host says the VM is running.
qemu_alive() {
	local out rc=0
	out=$(host 20 qemu_status) || rc=$?
	if ((rc == 0)) && grep -q '"status": *"running"' <<<"$out"; then ok "$1"; else nok "$1" "$(oneline "$out")"; fi
}

# ---- e1kd ----------------------------------------------------------------------

E1KD_CTL=/run/e1kd/e2e.sock
e1kd_pid=

ctl() { "$E1KCTL" --ctl "$E1KD_CTL" "$@"; }
e1kd_running() { ctl status 2>/dev/null | grep -qE '^state +Running'; }

# e1kd_start TAG [E1KD OPTIONS...]: start e1kd on the rig's NIC with --tap e1k0,
# the halt report in $SHARE/report-TAG.json and its log in $SHARE/e1kd-TAG.log;
# a check that it is Running within 30 s.
e1kd_start() {
	local tag=$1
	shift
	"$E1KD" --device "$BDF" --tap e1k0 --ctl "$E1KD_CTL" --report "$SHARE/report-$tag.json" \
		--log-level warn "$@" >"$SHARE/e1kd-$tag.log" 2>&1 &
	e1kd_pid=$!
	if wait_until 30 e1kd_running; then ok "start_$tag"; return 0; fi
	nok "start_$tag" "not Running within 30 s: $(oneline "$(tail -n 5 "$SHARE/e1kd-$tag.log")")"
	kill -KILL "$e1kd_pid" 2>/dev/null
	wait "$e1kd_pid" 2>/dev/null
	e1kd_pid=
	return 1
}
e1kd_gone() { ! kill -0 "$e1kd_pid" 2>/dev/null; }
# e1kd_exit TAG [WANT_RC [T]]: e1kd exits within T s (default 30) with WANT_RC
# (default 0); killed otherwise.
e1kd_exit() {
	local tag=$1 want=${2:-0} t=${3:-30} rc=0
	[[ -n $e1kd_pid ]] || { nok "exit_$tag" "no e1kd"; return 1; }
	if ! wait_until "$t" e1kd_gone; then
		nok "exit_$tag" "e1kd still running after $t s"
		kill -KILL "$e1kd_pid" 2>/dev/null
	fi
	# (Braces: bash would report a killed job on stderr.)
	{ wait "$e1kd_pid"; } 2>/dev/null || rc=$?
	e1kd_pid=
	equal "exit_$tag" "$rc" "$want"
	[[ $rc == "$want" ]]
}
# e1k0_up TAG: address 198.18.0.2/24 on e1k0, up, carrier within 10 s.
e1k0_up() {
	local out
	if ! out=$(ip addr add 198.18.0.2/24 dev e1k0 2>&1 && ip link set e1k0 up 2>&1); then
		nok "e1k0_up_$1" "$(oneline "$out")"
		return 1
	fi
	if wait_until 10 eval 'ip link show e1k0 | grep -q LOWER_UP'; then ok "e1k0_up_$1"; return 0; fi
	nok "e1k0_up_$1" "no carrier within 10 s: $(oneline "$(ip link show e1k0 2>&1)")"
	return 1
}
# ---- cleanup on every exit path --------------------------------------------------

e2e_cleanup() {
	if [[ -n $e1kd_pid ]] && kill -0 "$e1kd_pid" 2>/dev/null; then
		kill -KILL "$e1kd_pid" 2>/dev/null
		wait "$e1kd_pid" 2>/dev/null
	fi
	e1kd_pid=
	# Tell the host agent (if any) to stop its background jobs and exit.
	[[ -d $HOST_AGENT ]] && touch "$HOST_AGENT/exit"
	return 0
}
trap 'e2e_cleanup' EXIT

# The guest's own IPv6 (router solicitations, MLD) would add frames the host's
# counters see: keep it off on every interface e1kd creates.
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 2>/dev/null || true
