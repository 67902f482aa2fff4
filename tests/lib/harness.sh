# tests/lib/harness.sh - the helpers every shell test shares (sourced).
# shellcheck shell=bash disable=SC2034
#
# Checks count into $passed and $failed and print one line each:
#   default              "PASS NAME" / "FAIL NAME: WHY"   (the ctest scripts)
#   HARNESS_FORMAT=e2e   "  ok NAME @T" / "  not ok NAME: WHY @T", WHY on one
#                        line, T the seconds since sourcing (tests/e2e/run
#                        shows a failed scenario's first "not ok" line)
# Set HARNESS_FORMAT before sourcing.
#
#   ok NAME | bad NAME WHY      one check's verdict
#   die WHY                     "FAIL: WHY" and exit 1: nothing after it can run
#   expect [--one-line] NAME STATUS PATTERN CMD...
#                               CMD exits STATUS ("!0": any failure) and its
#                               output (stdout and stderr) matches PATTERN (ERE,
#                               any case; "" matches anything); --one-line: and
#                               is exactly one line.  Status 1 when it does not.
#   check NAME CMD...           expect NAME 0 "" CMD...
#   refuse NAME PATTERN CMD...  expect --one-line NAME '!0' PATTERN CMD...
#   wait_until TIMEOUT_S CMD... poll CMD (every 50 ms, no message) until it
#                               succeeds: 0; 1 at the deadline; 2 as soon as
#                               the process $HARNESS_WATCH (a pid, when set)
#                               is gone -- a daemon that died is not waited for
#   wait_for DESC TIMEOUT_S CMD...  wait_until, and `bad DESC` when it fails
#   need_root [CMD...]          exit 77 (ctest: skipped) unless root, with
#                               /dev/net/tun and the commands CMD...
#   own_netns "$0" "$@"         re-run the script in a private network
#                               namespace (once), lo up
#   harness_tmp PREFIX          tmp=$(mktemp -d /tmp/PREFIX.XXXXXX); on exit:
#                               kill -KILL "${pids[@]}", run the script's
#                               harness_cleanup RC if it defines one, reap the
#                               children, remove $tmp; the exit status is kept
#   summary                     "N passed, M failed"; status 0 when none failed
#
# Polling, not sleeping: what the tests wait on (a socket appearing, a TAP, a
# counter in e1kd, a file written by the host through 9p) has nothing a shell
# can block on.  Times come from $EPOCHREALTIME: no fork per poll, which a TCG
# guest would feel.

passed=0
failed=0
pids=()
harness_t0=${EPOCHREALTIME/[.,]/}

# The "@T" of the e2e format: tenths of seconds since sourcing.
harness_at() {
	local n=${EPOCHREALTIME/[.,]/}
	n=$(((n - harness_t0) / 100000))
	AT="@$((n / 10)).$((n % 10))"
}

ok() {
	passed=$((passed + 1))
	if [[ ${HARNESS_FORMAT:-} == e2e ]]; then
		harness_at
		echo "  ok $1 $AT"
	else
		echo "PASS $1"
	fi
}

bad() {
	local why=$2
	failed=$((failed + 1))
	if [[ ${HARNESS_FORMAT:-} == e2e ]]; then
		harness_at
		why=$(tr '\n' ' ' <<<"$why" | cut -c1-300)
		echo "  not ok $1: ${why% } $AT"
	else
		echo "FAIL $1: $why"
	fi
}

die() {
	echo "FAIL: $*"
	exit 1
}

expect() {
	local one=0 name want pat out rc=0 n
	if [[ $1 == --one-line ]]; then
		one=1
		shift
	fi
	name=$1 want=$2 pat=$3
	shift 3
	out=$("$@" 2>&1) || rc=$?
	if [[ $want == '!0' ]]; then
		if ((rc == 0)); then bad "$name" "succeeded, want a failure: $out"; return 1; fi
	elif ((rc != want)); then
		bad "$name" "exit $rc, want $want: $out"
		return 1
	fi
	if ((one)); then
		n=$(grep -c '' <<<"$out" || true)
		if ((n != 1)); then bad "$name" "$n lines, want one: $out"; return 1; fi
	fi
	if ! grep -qiE -- "$pat" <<<"$out"; then bad "$name" "message '$out' lacks /$pat/"; return 1; fi
	ok "$name"
}

check() {
	local name=$1
	shift
	expect "$name" 0 "" "$@"
}

refuse() {
	local name=$1 pat=$2
	shift 2
	expect --one-line "$name" '!0' "$pat" "$@"
}

wait_until() {
	local end=$((${EPOCHREALTIME/[.,]/} + $1 * 1000000))
	shift
	until "$@" >/dev/null 2>&1; do
		if [[ -n ${HARNESS_WATCH:-} ]] && ! kill -0 "$HARNESS_WATCH" 2>/dev/null; then
			return 2
		fi
		((${EPOCHREALTIME/[.,]/} < end)) || return 1
		sleep 0.05
	done
}

wait_for() {
	local desc=$1 rc=0
	shift
	wait_until "$@" || rc=$?
	case $rc in
	0) return 0 ;;
	2) bad "$desc" "process $HARNESS_WATCH exited while waiting" ;;
	*) bad "$desc" "timed out after $1 s" ;;
	esac
	return 1
}

need_root() {
	local c what="root and /dev/net/tun"
	(($#)) && what="root, /dev/net/tun and $*"
	if [[ $(id -u) -ne 0 || ! -c /dev/net/tun ]]; then
		echo "skip: needs $what"
		exit 77
	fi
	for c; do
		command -v "$c" >/dev/null || { echo "skip: needs $what"; exit 77; }
	done
}

own_netns() {
	if [[ -z ${E1K_IN_NETNS:-} ]]; then
		export E1K_IN_NETNS=1
		exec unshare --net -- bash "$@"
	fi
	ip link set lo up
}

harness_exit() {
	local rc=$? p
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	if declare -F harness_cleanup >/dev/null; then harness_cleanup "$rc" || true; fi
	wait 2>/dev/null || true
	[[ -z ${tmp:-} ]] || rm -rf "$tmp"
	exit "$rc"
}

harness_tmp() {
	tmp=$(mktemp -d "/tmp/$1.XXXXXX")
	trap harness_exit EXIT
}

summary() {
	echo "$passed passed, $failed failed"
	((failed == 0))
}
