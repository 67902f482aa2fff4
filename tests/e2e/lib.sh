# tests/e2e/lib.sh - helpers for e2e scenarios, sourced inside the QEMU guest.
# shellcheck shell=bash disable=SC2034
#
# A scenario runs its checks and ends with `finish`; each check prints
# "  ok NAME @T" or "  not ok NAME: WHY @T" (T: seconds since the start).  The
# runner reports the scenario as FAIL with the first "not ok" line when the
# scenario exits non-zero, and as SKIP when it calls `skip WHY` (exit 77).
#
# Also here: `host` and friends (run commands at the host end of the TAP
# through tests/e2e/host-agent.sh), e1kd_start/e1kd_exit/e1k0_up/ctl (e1kd on
# the rig's NIC with --tap e1k0), check_report (a halt report per contract)
# and jvals (fields of e1kctl's JSON).  Waits poll a condition with a deadline
# (wait_until): the guest shell has nothing to block on for 9p files or sysfs.
# On every exit path a running e1kd is killed and the host agent told to stop.
#
# Environment from the runner/rig: E1K_RIG_BDF, E1K_RIG_NIC, E1K_RIG_SHARE,
# E1K_RIG_MODULES, E2E_ROOT (the source tree), E1KD, E1KCTL, VFIO_PROBE.
set -uo pipefail
e2e_fails=0
VFIO_BIND=$E2E_ROOT/scripts/vfio-bind
BDF=$E1K_RIG_BDF
SHARE=$E1K_RIG_SHARE

# Each line carries the seconds since the scenario began ("@12.3"), to see
# where a slow guest spends its time.
e2e_t0=${EPOCHREALTIME/[.,]/}
e2e_at() { local n=${EPOCHREALTIME/[.,]/}; n=$(((n - e2e_t0) / 100000)); AT="@$((n / 10)).$((n % 10))"; }
ok() { e2e_at; echo "  ok $1 $AT"; }
nok() {
	e2e_at
	echo "  not ok $1: $2 $AT"
	e2e_fails=$((e2e_fails + 1))
}
# Capture a command's output on one line, for messages.
oneline() { tr '\n' ' ' <<<"$1" | cut -c1-300; }

# check NAME CMD...: CMD must succeed.
check() {
	local name=$1 out rc=0
	shift
	out=$("$@" 2>&1) || rc=$?
	if ((rc == 0)); then ok "$name"; else nok "$name" "exit $rc: $(oneline "$out")"; fi
	return $rc
}

# refuse NAME PATTERN CMD...: CMD must fail with exactly one line matching PATTERN.
refuse() {
	local name=$1 pat=$2 out rc=0 n
	shift 2
	out=$("$@" 2>&1) || rc=$?
	n=$(grep -c '' <<<"$out")
	if ((rc == 0)); then nok "$name" "succeeded: $(oneline "$out")"; return 1; fi
	if ((n != 1)); then nok "$name" "$n lines, want one: $(oneline "$out")"; return 1; fi
	if ! grep -qiE -- "$pat" <<<"$out"; then nok "$name" "message '$out' lacks /$pat/"; return 1; fi
	ok "$name"
}

# equal NAME GOT WANT
equal() {
	if [[ $2 == "$3" ]]; then ok "$1"; else nok "$1" "got '$2', want '$3'"; fi
}

# wait_until TIMEOUT_S CMD...: poll CMD (every 50 ms) until it succeeds.  The
# things waited on (sysfs bindings, files written through 9p by the host, a
# process's exit) have no notification the guest shell can block on.
wait_until() {
	local t=$1 end
	shift
	end=$(($(date +%s%N) + t * 1000000000))
	until "$@" >/dev/null 2>&1; do
		(($(date +%s%N) < end)) || return 1
		sleep 0.05
	done
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
	if ((e2e_fails == 0)); then
		echo "  scenario ok"
		exit 0
	fi
	echo "  scenario failed: $e2e_fails check(s)"
	exit 1
}

# skip WHY: the scenario does not apply here (the runner prints SKIP).
skip() {
	echo "  skip: $*"
	e2e_cleanup
	trap - EXIT
	exit 77
}

# check_report NAME FILE REASON: the halt report says Halted with REASON, the
# ledger is empty, every verifier counter is zero and no stage failed.  (Bash
# regexes over e1kd's compact JSON: python3 costs seconds in a TCG guest.)
check_report() {
	local name=$1 file=$2 reason=$3 js k bad=() rest
	if ! js=$(<"$file") 2>/dev/null || [[ -z $js ]]; then
		nok "$name" "no report in $file"
		return 1
	fi
	[[ $js =~ \"reason\":\"([^\"]*)\" ]] && [[ ${BASH_REMATCH[1]} == "$reason" ]] ||
		bad+=("reason ${BASH_REMATCH[1]:-missing}")
	[[ $js =~ \"final_state\":\"([^\"]*)\" ]] && [[ ${BASH_REMATCH[1]} == Halted ]] ||
		bad+=("final_state ${BASH_REMATCH[1]:-missing}")
	[[ $js =~ \"ledger\":\{[^{}]*\"outstanding\":0[,}] ]] || bad+=("ledger outstanding not 0")
	for k in dma_faults isr_after_deregister dpc_after_drain callbacks_after_halted \
		rx_buffers_outstanding mmio_after_removal; do
		if [[ $js =~ \"$k\":([0-9]+)[,}] ]]; then
			((BASH_REMATCH[1] == 0)) || bad+=("$k=${BASH_REMATCH[1]}")
		else
			bad+=("$k missing")
		fi
	done
	rest=$js
	while [[ $rest =~ \{\"name\":\"([^\"]*)\",\"result\":\"([^\"]*)\"(.*) ]]; do
		case ${BASH_REMATCH[2]} in
		ok|skipped) ;;
		*) bad+=("stage ${BASH_REMATCH[1]} ${BASH_REMATCH[2]}") ;;
		esac
		rest=${BASH_REMATCH[3]}
	done
	if ((${#bad[@]} == 0)); then ok "$name"; return 0; fi
	local IFS=';'
	nok "$name" "${bad[*]}"
	return 1
}

# jvals JSON PATH...: J=(values), one per PATH ("irq_mode", "tx.packets": one
# level of nesting), "null" when absent; strings without their quotes.
jvals() {
	local js=$1 p obj key
	shift
	J=()
	for p; do
		obj=$js key=$p
		if [[ $p == *.* ]]; then
			key=${p#*.}
			if [[ $js =~ \"${p%%.*}\":\{([^{}]*)\} ]]; then obj={${BASH_REMATCH[1]}; else obj=; fi
		fi
		if [[ $obj =~ [{,]\"$key\":(\"[^\"]*\"|[^,}]*) ]]; then
			p=${BASH_REMATCH[1]}
			p=${p#\"}
			J+=("${p%\"}")
		else
			J+=(null)
		fi
	done
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
