#!/usr/bin/env bash
# bench/smoke.sh - ctest bench_smoke: one short run of each bench program on
# the software model, and bench/report.py on what they produced, so the
# benchmark cannot rot between full runs of scripts/bench (which needs QEMU).
#
#   bench/smoke.sh BENCH_BIN_DIR [SANITIZER]
#
# Checks: e1k_bench_sim irq answers its probes (idle and loaded) with sane
# latencies; the tx and rx workloads complete every packet; e1k_bench_nic
# brings the adapter up on the model, sends (tx), and halts cleanly under load
# (halt, surprise-removed); e1k_bench_flood refuses bad arguments; report.py
# turns the model figures into the JSON shape of docs/benchmarks.md.  With
# valgrind installed and no sanitizer, the callgrind instruction counts too.
# Exit 0 pass, 1 fail, 77 skip (no python3).
set -uo pipefail
bin=${1:?usage: smoke.sh BENCH_BIN_DIR [SANITIZER]}
san=${2:-none}
here=$(cd "$(dirname "$0")" && pwd)
command -v python3 >/dev/null || { echo "skip: no python3"; exit 77; }
tmp=$(mktemp -d /tmp/e1kd-bench-smoke.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
ok() { echo "  ok $1"; }
nok() { echo "  not ok $1: $2"; fails=$((fails + 1)); }
# jq-less JSON checks: python3 -c 'expr' FILE, expr sees d (the first line's JSON).
jcheck() {   # jcheck NAME FILE EXPR
	if python3 -c 'import json,sys; d=json.loads(open(sys.argv[1]).readline()); sys.exit(0 if eval(sys.argv[2]) else 1)' \
		"$2" "$3" 2>"$tmp/jcheck.err"; then ok "$1"; else nok "$1" "$3 is false for $(head -c 300 "$2") $(cat "$tmp/jcheck.err")"; fi
}

# --- model figures (the same commands scripts/bench runs, shorter) ---
out=$tmp/out
mkdir -p "$out"
echo '{"figure":"machine","nproc":1,"cpu":"smoke","date":"smoke","command":"bench/smoke.sh","runs":1,"figures":["pps","load","profile","ab"],"ab_args":"--batch 256"}' >"$out/machine.json"
if "$bin/e1k_bench_sim" irq --model 82540em --probes 200 >"$out/sim-irq-82540em.json" 2>"$tmp/irq.err"; then
	ok irq_runs
	jcheck irq_idle_answered "$out/sim-irq-82540em.json" 'd["idle"]["n"] >= 190 and 0 < d["idle"]["p50_us"] <= d["idle"]["p99_us"] <= d["idle"]["max_us"]'
	jcheck irq_loaded_answered "$out/sim-irq-82540em.json" 'd["loaded"]["n"] >= 190 and d["rx_loaded"] > 0'
else
	nok irq_runs "$(tail -n 3 "$tmp/irq.err")"
fi
for path in tx rx; do
	key=completed
	[[ $path == rx ]] && key=received
	cg=()
	if [[ $san == none ]] && command -v valgrind >/dev/null && command -v callgrind_annotate >/dev/null; then
		cg=(valgrind --tool=callgrind --callgrind-out-file="$out/callgrind-$path.out"
			--toggle-collect=e1k_adapter_send --toggle-collect=isr_handle --toggle-collect=e1k_dpc_intr)
	fi
	if "${cg[@]}" "$bin/e1k_bench_sim" "$path" --packets 2000 >"$out/sim-$path.json" 2>"$tmp/$path.err"; then
		jcheck "${path}_workload" "$out/sim-$path.json" "d[\"packets\"] == 2000 and d[\"$key\"] == 2000"
		if ((${#cg[@]})); then
			callgrind_annotate --inclusive=yes "$out/callgrind-$path.out" >"$out/callgrind-$path.txt" 2>/dev/null
		fi
	else
		nok "${path}_workload" "$(tail -n 3 "$tmp/$path.err")"
	fi
done

# --- e1k_bench_nic on the model ---
if "$bin/e1k_bench_nic" --device sim:82574l --mode tx --seconds 1 >"$tmp/nic-tx.out" 2>&1; then
	grep '"event":"end"' "$tmp/nic-tx.out" >"$tmp/nic-tx.end"
	# No interrupts expected: TX completions interrupt only while a sender
	# waits for room, and reclaim does not need them (docs/architecture.md).
	jcheck nic_tx_sent "$tmp/nic-tx.end" 'd["tx"] > 0 and d["tx_completed"] > 0'
	grep '"event":"halt"' "$tmp/nic-tx.out" >"$tmp/nic-tx.halt"
	jcheck nic_tx_clean_halt "$tmp/nic-tx.halt" 'd["clean"] is True and d["reason"] == "stopped"'
else
	nok nic_tx "exit $?: $(tail -n 3 "$tmp/nic-tx.out")"
fi
if "$bin/e1k_bench_nic" --device sim:82540em --mode halt --reason surprise-removed --warm 2000 \
	>"$tmp/nic-halt.out" 2>&1; then
	grep '"event":"halt"' "$tmp/nic-halt.out" >"$tmp/nic-halt.line"
	jcheck nic_halt_under_load "$tmp/nic-halt.line" 'd["clean"] is True and d["reason"] == "surprise-removed" and d["total_ms"] > 0 and len(d["stages"]) == 15'
else
	nok nic_halt "exit $?: $(tail -n 3 "$tmp/nic-halt.out")"
fi
if "$bin/e1k_bench_nic" --device sim:82540em --mode bogus >/dev/null 2>&1; then
	nok nic_usage "a bad --mode was accepted"
else
	ok nic_usage
fi
# e1k_bench_pace: 1000 frames/s in bursts of 10 for 1 s is 100 wake-ups on
# absolute deadlines (however late each one is), the last one due at 0.99 s.
if "$bin/e1k_bench_pace" --rate 1000 --batch 10 --seconds 1 >"$tmp/pace.out" 2>&1; then
	grep '"event":"end"' "$tmp/pace.out" >"$tmp/pace.end"
	jcheck pace_wakeups "$tmp/pace.end" 'd["wakeups"] == 100 and 0.98 <= d["seconds"] < 5'
else
	nok pace "exit $?: $(tail -n 3 "$tmp/pace.out")"
fi
if "$bin/e1k_bench_pace" --rate 0 >/dev/null 2>&1; then nok pace_usage "--rate 0 was accepted"; else ok pace_usage; fi
if "$bin/e1k_bench_flood" --ifname lo --dst nonsense >/dev/null 2>&1; then
	nok flood_usage "a bad --dst was accepted"
else
	ok flood_usage
fi

# --- the report on the model figures, and on one made-up QEMU run ---
# (the floor arithmetic: e1kd 25% of a CPU, e1k_bench_pace 20%, idle 3%)
mkdir -p "$out/e1000"
for w in "load_tx e1kd 250" "load_floor pace 200" "load_floor idle 30"; do
	read -r f d v <<<"$w"
	echo "{\"nic\":\"e1000\",\"figure\":\"$f\",\"driver\":\"$d\",\"run\":1,\"host_ns\":1000000000,\"tap_rx\":20000,\"tap_rx_bytes\":1200000,\"tap_tx\":0,\"tap_tx_dropped\":0,\"driver_rx\":0,\"driver_us\":0,\"cpu_jiffies\":1,\"vcpu_ns\":${v}000000,\"qemu_ns\":${v}000000,\"hz\":100,\"ncpu\":2}"
done >"$out/e1000/results.jsonl"
# (and an A/B: run 1 A 300 kpps at 3 us of vCPU a frame, B 330 at 2.7;
# run 2 B first, 310 at 3.1, A 310 at 3.1 -> B/A 1.1 and 1.0, median 1.05)
for w in "1 a 300000 900" "1 b 330000 891" "2 b 310000 961" "2 a 310000 961"; do
	read -r r v n vc <<<"$w"
	echo "{\"nic\":\"e1000\",\"figure\":\"ab_tx\",\"driver\":\"e1kd\",\"run\":$r,\"host_ns\":1000000000,\"tap_rx\":$n,\"tap_rx_bytes\":$((n * 60)),\"tap_tx\":0,\"tap_tx_dropped\":0,\"driver_rx\":0,\"driver_us\":0,\"cpu_jiffies\":100,\"vcpu_ns\":${vc}000000,\"qemu_ns\":${vc}000000,\"hz\":100,\"ncpu\":2,\"variant\":\"$v\"}"
done >>"$out/e1000/results.jsonl"
# (and a profile: 4% guest code, 46% QEMU in two objects, 50% host kernel)
echo '{"nic":"e1000","figure":"profile_tx","driver":"e1kd","run":1,"host_ns":1000000000,"tap_rx":1,"tap_rx_bytes":60,"tap_tx":0,"tap_tx_dropped":0,"driver_rx":0,"driver_us":0,"cpu_jiffies":1,"vcpu_ns":1,"qemu_ns":1,"hz":100,"ncpu":2,"profile":"e1000-e1kd-1.txt"}' \
	>>"$out/e1000/results.jsonl"
printf '# Samples: 4K of event cpu-clock\n#\n    50.00%%  [kernel.kallsyms]\n    40.00%%  qemu-system-x86_64\n     6.00%%  libc.so.6\n     4.00%%  [JIT] tid 42\n' \
	>"$out/e1000/e1000-e1kd-1.txt"
python3 "$here/report.py" "$out" --json "$tmp/report.json" >"$tmp/report.txt" 2>&1
if grep -q 'interrupt-to-DPC 82540em' "$tmp/report.txt"; then ok report_table; else nok report_table "$(tail -n 5 "$tmp/report.txt")"; fi
want='d["sim"]["irq_dpc_us_p50"] > 0 and d["sim"]["irq_dpc_us_p99"] > 0 and "nics" in d and "ratios" in d'
want="$want"' and d["nics"]["e1000"]["profile_tx"]["e1kd"] == {"guest_code_pct": 4.0, "qemu_pct": 46.0, "host_kernel_pct": 50.0, "zero_cost_driver_ratio": 1.042}'
want="$want"' and d["nics"]["e1000"]["load_floor"] == {"idle_cpu_pct": {"median": 3.0, "min": 3.0, "max": 3.0}, "pace_cpu_pct": {"median": 20.0, "min": 20.0, "max": 20.0}, "e1kd_above_pace_pct": {"median": 5.0, "min": 5.0, "max": 5.0}}'
want="$want"' and d["nics"]["e1000"]["ab_tx"]["b_over_a"] == {"median": 1.05, "min": 1.0, "max": 1.1} and d["nics"]["e1000"]["ab_tx"]["pairs"] == 2 and d["nics"]["e1000"]["ab_tx"]["b_over_a_vcpu_per_frame"]["min"] == 0.9 and d["nics"]["e1000"]["ab_tx"]["b_args"] == "--batch 256"'
if [[ -s $out/callgrind-tx.txt ]]; then
	want="$want"' and 20 < d["sim"]["tx_instr_per_pkt"] < 5000 and 20 < d["sim"]["rx_instr_per_pkt"] < 5000'
fi
python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))))' "$tmp/report.json" >"$tmp/report.line" 2>/dev/null
jcheck report_json_shape "$tmp/report.line" "$want"

if ((fails == 0)); then
	echo "bench smoke: all passed"
	exit 0
fi
echo "bench smoke: $fails failed"
exit 1
