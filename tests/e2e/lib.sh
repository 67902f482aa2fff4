# tests/e2e/lib.sh - helpers for e2e scenarios, sourced inside the QEMU guest.
# shellcheck shell=bash disable=SC2034
#
# A scenario runs its checks and ends with `finish`; each check prints
# "  ok NAME" or "  not ok NAME: WHY".  The runner reports the scenario as FAIL
# with the first "not ok" line when the scenario exits non-zero.
#
# Environment from the runner/rig: E1K_RIG_BDF, E1K_RIG_NIC, E1K_RIG_SHARE,
# E1K_RIG_MODULES, E2E_ROOT (the source tree), E1KD, E1KCTL, VFIO_PROBE.
set -uo pipefail
e2e_fails=0
VFIO_BIND=$E2E_ROOT/scripts/vfio-bind
BDF=$E1K_RIG_BDF
SHARE=$E1K_RIG_SHARE

ok() { echo "  ok $1"; }
nok() {
	echo "  not ok $1: $2"
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
	if ((e2e_fails == 0)); then
		echo "  scenario ok"
		exit 0
	fi
	echo "  scenario failed: $e2e_fails check(s)"
	exit 1
}

# check_report NAME FILE REASON: the halt report says Halted with REASON, the
# ledger is empty, every verifier counter is zero and no stage failed.
check_report() {
	local name=$1 file=$2 reason=$3 out
	if out=$(python3 - "$file" "$reason" 2>&1 <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
bad = []
if r.get("reason") != sys.argv[2]:
    bad.append("reason %s" % r.get("reason"))
if r.get("final_state") != "Halted":
    bad.append("final_state %s" % r.get("final_state"))
if r.get("ledger", {}).get("outstanding") != 0:
    bad.append("ledger outstanding %s" % r.get("ledger", {}).get("outstanding"))
for k in ("dma_faults", "isr_after_deregister", "dpc_after_drain",
          "callbacks_after_halted", "rx_buffers_outstanding", "mmio_after_removal"):
    if r.get(k) != 0:
        bad.append("%s=%s" % (k, r.get(k)))
for s in r.get("stages", []):
    if s.get("result") not in ("ok", "skipped"):
        bad.append("stage %s %s (%s)" % (s.get("name"), s.get("result"), s.get("detail")))
if bad:
    print("; ".join(bad))
    sys.exit(1)
PY
	); then ok "$name"; else nok "$name" "$(oneline "$out")"; fi
}
