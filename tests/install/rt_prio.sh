#!/usr/bin/env bash
# rt_prio.sh E1KD E1KCTL - e1kd --rt-prio N on the software model.
#
#   applied    --rt-prio 7 --dpc-workers 3: the interrupt thread and the three
#              DPC workers run SCHED_FIFO at 7 (/proc/PID/task/*/stat), every
#              other thread (main, timer, model, control) stays SCHED_OTHER
#   refused    without CAP_SYS_NICE -- root with it dropped from the bounding
#              set (setpriv), and uid 65534 -- e1kd exits 1 at once with one
#              line naming CAP_SYS_NICE, before it opens anything (no socket)
#   parse      0, 100, "7x", "+7" and a missing value: usage errors (exit 2)
# Needs root and setpriv for the first two (exit 77 otherwise).
set -euo pipefail
E1KD=$(readlink -f "$1") E1KCTL=$(readlink -f "$2")
source "$(dirname "$0")/../lib/harness.sh"
harness_tmp e1k-rtprio

for v in 0 100 7x +7; do
	refuse "parse_$v" "--rt-prio must be a number in 1..99" \
		"$E1KD" --device sim:82540em --ctl "$tmp/p/s" --rt-prio "$v"
done
expect parse_missing 2 "needs an argument|missing argument" "$E1KD" --device sim:82540em --rt-prio

if [[ $(id -u) -ne 0 ]] || ! command -v setpriv >/dev/null; then
	summary || exit 1
	echo "skip: the rest needs root and setpriv"
	exit 77
fi

# policy TID: the scheduling policy (field 41 of stat) and the rt priority (40).
policy() {
	local s
	s=$(<"/proc/$pid/task/$1/stat")
	s=${s##*) }   # after "(comm) ", fields from 3 on
	read -r -a f <<<"$s"
	echo "${f[38]} ${f[37]}"
}

ctl=$tmp/run/e1kd.sock
"$E1KD" --device sim:82574l --ctl "$ctl" --rt-prio 7 --dpc-workers 3 --log-level warn \
	>"$tmp/e1kd.log" 2>&1 &
pid=$!
pids+=("$pid")
HARNESS_WATCH=$pid
if wait_for e1kd_starts 30 "$E1KCTL" --ctl "$ctl" status; then
	fifo=() other=() wrong=()
	for t in /proc/$pid/task/*; do
		tid=${t##*/} name=$(<"$t/comm")
		p=$(policy "$tid")
		case $name in
		e1k-irq*|e1k-dpc*) [[ $p == "1 7" ]] && fifo+=("$name") || wrong+=("$name:$p") ;;
		*) [[ $p == "0 0" ]] && other+=("$name") || wrong+=("$name:$p") ;;
		esac
	done
	((${#fifo[@]} == 4 && ${#wrong[@]} == 0)) && ok fifo_irq_and_dpcs ||
		bad fifo_irq_and_dpcs "SCHED_FIFO 7: ${fifo[*]}; wrong: ${wrong[*]}"
	((${#other[@]} >= 4)) && ok others_stay_other || bad others_stay_other "SCHED_OTHER: ${other[*]}"
	expect halt_ok 0 Halted "$E1KCTL" --ctl "$ctl" halt --reason stopped
fi
rc=0
wait "$pid" || rc=$?
HARNESS_WATCH=
((rc == 0)) && ok exit_0 || bad exit_0 "exit $rc: $(cat "$tmp/e1kd.log")"

mkdir -m 0777 "$tmp/nobody"
refuse refused_without_cap_sys_nice "--rt-prio 7: .*needs CAP_SYS_NICE" \
	setpriv --bounding-set=-sys_nice "$E1KD" --device sim:82540em --ctl "$tmp/nocap/e1kd.sock" --rt-prio 7
[[ ! -e $tmp/nocap ]] && ok refused_before_anything || bad refused_before_anything "$(ls -la "$tmp/nocap")"
refuse refused_as_nobody "--rt-prio 7: .*needs CAP_SYS_NICE" \
	setpriv --reuid=65534 --regid=65534 --clear-groups "$E1KD" --device sim:82540em \
	--ctl "$tmp/nobody/run/e1kd.sock" --rt-prio 7
[[ ! -e $tmp/nobody/run ]] && ok nobody_refused_before_anything || bad nobody_refused_before_anything "socket dir made"
# The same without --rt-prio starts as far as the socket: the refusal above was --rt-prio's.
expect nocap_without_rt_prio_runs 0 "" bash -c '
	setpriv --bounding-set=-sys_nice "$1" --device sim:82540em --ctl "$2" --log-level error & p=$!
	for ((i = 0; i < 600; i++)); do "$3" --ctl "$2" status >/dev/null 2>&1 && break; sleep 0.05; done
	"$3" --ctl "$2" halt --reason stopped >/dev/null; wait $p' _ "$E1KD" "$tmp/nocap2/e1kd.sock" "$E1KCTL"
summary
