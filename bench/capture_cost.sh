#!/usr/bin/env bash
# bench/capture_cost.sh BUILD NOHOOK_BUILD [ROUNDS] - what `e1kctl capture`
# costs the model's TX path (docs/benchmarks.md, "Capture").
#
#   BUILD         a normal build directory (bench/e1k_bench_sim)
#   NOHOOK_BUILD  the same tree built with the capture hook compiled out:
#                 cmake -S . -B NOHOOK_BUILD -G Ninja -DCMAKE_C_FLAGS=-DE1K_BENCH_NO_CAPTURE_HOOK
#                 cmake --build NOHOOK_BUILD --target e1k_bench_sim
#   ROUNDS        alternating wall-clock rounds (default 11)
#
# Two figures, for: base (hook compiled out), off (the hook, no capture),
# armed (a 4 MiB ring nobody reads: fills, then drops), read (a reader
# drains it every 10 ms, as e1kd's capture thread does):
#   instructions/packet  callgrind inside e1k_adapter_send, isr_handle and
#                        e1k_dpc_intr, the model's sim_op_* subtracted (as
#                        scripts/bench counts them; 50 000 packets) -- exact
#   packets/s            e1k_bench_sim tx, 200 000 packets, both models,
#                        ROUNDS alternating runs, medians -- as noisy as the host
set -euo pipefail
build=$(readlink -f "$1") nohook=$(readlink -f "$2") rounds=${3:-11}
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d /tmp/capture-cost.XXXXXX)
bin() { [[ $1 == base ]] && echo "$nohook/bench/e1k_bench_sim" || echo "$build/bench/e1k_bench_sim"; }
mode() { [[ $1 == base ]] && echo off || echo "$1"; }

for v in base off armed read; do
	mkdir -p "$out/$v"
	valgrind --tool=callgrind --callgrind-out-file="$out/$v/cg.out" \
		--toggle-collect=e1k_adapter_send --toggle-collect=isr_handle --toggle-collect=e1k_dpc_intr \
		"$(bin $v)" tx --packets 50000 --capture "$(mode $v)" >"$out/$v/sim-tx.json" 2>"$out/$v/cg.log"
	callgrind_annotate --inclusive=yes "$out/$v/cg.out" >"$out/$v/callgrind-tx.txt" 2>/dev/null
done
for ((r = 0; r < rounds; r++)); do
	for v in base off armed read; do
		for m in 82540em 82574l; do
			echo "$v $m $("$(bin $v)" tx --model "$m" --packets 200000 --capture "$(mode $v)")" >>"$out/runs.txt"
		done
	done
done
python3 - "$here" "$out" <<'PY'
import importlib.util, json, statistics, sys
spec = importlib.util.spec_from_file_location("report", sys.argv[1] + "/report.py")
report = importlib.util.module_from_spec(spec)
spec.loader.exec_module(report)
out = sys.argv[2]
ipp = {v: report.callgrind_instr(out + "/" + v, "tx")[0] for v in ("base", "off", "armed", "read")}
runs = {}
for line in open(out + "/runs.txt"):
    v, m, j = line.split(" ", 2)
    runs.setdefault((v, m), []).append(json.loads(j))
print("| | instructions/packet (TX, driver only) | packets/s 82540EM, median | packets/s 82574L, median | captured / dropped (82540EM, median) |")
print("|---|---|---|---|---|")
for v in ("base", "off", "armed", "read"):
    cells = ["%.1f (%+.1f%%)" % (ipp[v], 100 * (ipp[v] / ipp["base"] - 1))]
    for m in ("82540em", "82574l"):
        med = statistics.median(d["pps"] for d in runs[(v, m)])
        base = statistics.median(d["pps"] for d in runs[("base", m)])
        cells.append("%.0f k (%.2f)" % (med / 1000, med / base))
    rs = runs[(v, "82540em")]
    cells.append("%d / %d" % (statistics.median(d["captured"] for d in rs),
                              statistics.median(d["dropped"] for d in rs)))
    print("| %s | %s |" % (v, " | ".join(cells)))
print("(raw: %s)" % out)
PY
