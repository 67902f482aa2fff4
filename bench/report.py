#!/usr/bin/env python3
"""bench/report.py - the table, the JSON and the plot of scripts/bench.

    python3 bench/report.py OUTDIR [--json FILE] [--plot FILE] [--check-shape]

Reads what scripts/bench left in OUTDIR: machine.json, the model figures
(sim-irq-*.json, sim-{tx,rx}.json, callgrind-{tx,rx}.txt) and per NIC
NIC/results.jsonl (one JSON line per measured window, TCP transfer or halt,
written by bench/guest.sh through bench/host.sh) with the iperf3 outputs.

Every figure is the median of the runs, with min and max.  Nothing is
invented: a figure that was not measured is null, with the error the guest
recorded.  Exit status 0, 1 when a figure is missing (or --check-shape finds
the JSON incomplete), 2 on a usage error.
"""
import argparse
import glob
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys

# e1kd-nooff: e1kd with --offloads none, in the TCP figures only (the
# before/after of the TAP bridge's offloads).
DRIVERS = ("e1kd", "dpdk", "kernel", "e1kd-nooff")
PEERS = ("e1kd", "dpdk", "kernel")          # the main table's columns
FIGURE_GROUPS = ("pps", "tcp", "halt", "load")   # scripts/bench --figures (by default; also "profile", "ab")
# figure key -> (label, unit scale, higher is better, group)
FIGS = [
    ("tx_pps", "TX kpps, 64 B (host TAP count)", 1e-3, True, "pps"),
    ("rx_pps", "RX kpps under flood (driver count)", 1e-3, True, "pps"),
    ("cpu_s_per_mpkt", "guest CPU s / Mpkt, TX+RX windows", 1.0, False, "pps"),
    ("tx_cpu_s_per_mpkt", "  TX window", 1.0, False, "pps"),
    ("rx_cpu_s_per_mpkt", "  RX window", 1.0, False, "pps"),
    ("tx_vcpu_s_per_mpkt", "    TX, vCPU threads (host)", 1.0, False, "pps"),
    ("tx_guest_cpu_s_per_mpkt", "    TX, guest /proc/stat", 1.0, False, "pps"),
    ("rx_vcpu_s_per_mpkt", "    RX, vCPU threads (host)", 1.0, False, "pps"),
    ("rx_guest_cpu_s_per_mpkt", "    RX, guest /proc/stat", 1.0, False, "pps"),
    # TCP: in their own block (tcp_table), every TCP driver side by side
    ("tcp_mbps", "TCP Mbit/s guest->host", 1.0, True, "tcp"),
    ("tcp_rx_mbps", "TCP Mbit/s host->guest", 1.0, True, "tcp"),
    ("tcp_cpu_s_per_gb", "TCP guest CPU s/GB guest->host", 1.0, False, "tcp"),
    ("tcp_rx_cpu_s_per_gb", "TCP guest CPU s/GB host->guest", 1.0, False, "tcp"),
    ("tcp_vcpu_s_per_gb", "TCP vCPU s/GB (host) guest->host", 1.0, False, "tcp"),
    ("tcp_rx_vcpu_s_per_gb", "TCP vCPU s/GB (host) host->guest", 1.0, False, "tcp"),
    # CPU at a fixed load well below saturation (in CPUs: busy seconds per
    # second of the window, all of the guest's CPUs)
    ("load_tx_pps", "TX kpps at the fixed load", 1e-3, True, "load"),
    ("load_tx_cpu", "  guest CPU %, TX at the fixed load", 100.0, False, "load"),
    ("load_rx_pps", "RX kpps at the fixed load", 1e-3, True, "load"),
    ("load_rx_cpu", "  guest CPU %, RX at the fixed load", 100.0, False, "load"),
    ("halt_ms_p50", "halt ms under load, p50", 1.0, False, "halt"),
    ("halt_ms_p99", "halt ms under load, p99", 1.0, False, "halt"),
]
# (direction, label, throughput key, CPU key, host vCPU key)
TCP_DIRS = [
    ("tx", "guest->host", "tcp_mbps", "tcp_cpu_s_per_gb", "tcp_vcpu_s_per_gb"),
    ("rx", "host->guest", "tcp_rx_mbps", "tcp_rx_cpu_s_per_gb", "tcp_rx_vcpu_s_per_gb"),
]
TCP_DRIVERS = ("e1kd-nooff", "e1kd", "kernel")


def load_jsonl(path):
    out = []
    if not os.path.exists(path):
        return out
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                out.append(json.loads(line))
            except ValueError:
                out.append({"figure": "unparsable", "error": line[:200]})
    return out


def load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def nearest_rank(vals, p):
    v = sorted(vals)
    if not v:
        return None
    k = max(1, math.ceil(p / 100.0 * len(v)))
    return v[k - 1]


def summary(vals):
    vals = [v for v in vals if v is not None]
    if not vals:
        return None
    return {"median": statistics.median(vals), "min": min(vals), "max": max(vals), "n": len(vals)}


def iperf_mbps(path):
    """-> (Mbit/s, bytes received, error)"""
    d = load_json(path)
    if not d:
        return None, None, "no iperf3 output"
    if "error" in d:
        return None, None, d["error"]
    try:
        s = d["end"]["sum_received"]
        return s["bits_per_second"] / 1e6, s.get("bytes"), None
    except (KeyError, TypeError):
        return None, None, "iperf3 output without end.sum_received"


def add(runs, runmap, d, key, run, v):
    runs[d].setdefault(key, []).append(v)
    runmap[d].setdefault(key, {})[run] = v


def load_window_cpu(r):
    """A fixed-load window's guest CPU, in CPUs (busy seconds per second):
    the larger of the vCPU threads' run time (host) and /proc/stat (guest)."""
    s = r["host_ns"] / 1e9
    if s <= 0:
        return None
    vcpu = r.get("vcpu_ns", 0) / 1e9 or None
    gcpu = r["cpu_jiffies"] / float(r["hz"])
    return (max(vcpu, gcpu) if vcpu else gcpu) / s


def nic_figures(nicdir):
    """-> (figs[driver][key] = summary, runs[driver][key] = [..], errors[driver] = [..], notes,
    floods[run], runmap, floor): floor = {"idle"|"pace": {run: CPUs}, "errors": [..]}, the
    TX fixed load's floor (bench/guest.sh measure_floor)"""
    rows = load_jsonl(os.path.join(nicdir, "results.jsonl"))
    runs = {d: {} for d in DRIVERS}
    runmap = {d: {} for d in DRIVERS}   # d -> key -> run -> value (for paired ratios)
    errors = {d: [] for d in DRIVERS}
    notes = []
    halts = {d: {} for d in DRIVERS}
    win = {d: {} for d in DRIVERS}   # run -> {"tx": row, "rx": row}
    floods = {}
    floor = {"idle": {}, "pace": {}, "errors": []}
    for r in rows:
        fig, d = r.get("figure"), r.get("driver")
        if fig == "guest":
            notes.append("guest kernel %s, %s CPUs, DPDK %s, clocksource %s" % (
                r.get("kernel"), r.get("ncpu"), r.get("dpdk"), r.get("clocksource", "not recorded")))
            continue
        if fig == "flood":
            floods[r.get("run")] = r.get("flood")
            continue
        if fig == "load_flood":
            continue
        if fig == "load_floor":
            if "error" in r:
                floor["errors"].append("%s run %s: %s" % (d, r.get("run"), r["error"]))
            elif d in ("idle", "pace") and load_window_cpu(r) is not None:
                floor[d][r["run"]] = load_window_cpu(r)
            continue
        if d not in DRIVERS:
            continue
        if "error" in r:
            errors[d].append("%s run %s: %s" % (fig, r.get("run"), r["error"]))
            continue
        if fig in ("tx", "rx"):
            s = r["host_ns"] / 1e9
            if s <= 0:
                continue
            # The guest's CPU as the host measured it: the vCPU threads' run
            # time (TCG runs the guest, and the device emulation its MMIO
            # writes trigger, in them).  /proc/stat inside the guest
            # undercounts under TCG (kept as guest_cpu_*).
            # Both are lower bounds of what the guest used: /proc/stat misses
            # the time a vCPU spends inside device emulation (TX MMIO) because
            # timer ticks are lost meanwhile; the host's count misses polling
            # a vCPU would have done had the (2-core, shared) host run it.
            # The figure is the larger of the two; both are kept.
            vcpu = r.get("vcpu_ns", 0) / 1e9 or None   # None: no named vCPU threads
            gcpu = r["cpu_jiffies"] / float(r["hz"])
            cpu = max(vcpu, gcpu) if vcpu else None
            if fig == "tx":
                pk = r["tap_rx"]
                add(runs, runmap, d, "tx_pps", r["run"], pk / s)
                if pk and cpu:
                    add(runs, runmap, d, "tx_cpu_s_per_mpkt", r["run"], cpu / (pk / 1e6))
                if pk:
                    runs[d].setdefault("tx_guest_cpu_s_per_mpkt", []).append(gcpu / (pk / 1e6))
                    if vcpu:
                        runs[d].setdefault("tx_vcpu_s_per_mpkt", []).append(vcpu / (pk / 1e6))
                    runs[d].setdefault("tx_frame_bytes", []).append(r["tap_rx_bytes"] / float(pk))
                    if abs(r["tap_rx_bytes"] / float(pk) - 60) > 1:
                        errors[d].append("tx run %s: %.1f bytes per frame on the TAP, not 60"
                                         % (r.get("run"), r["tap_rx_bytes"] / float(pk)))
            else:
                pk = r["driver_rx"]
                # the driver's count over the guest's clock around its reads
                ds = r.get("driver_us", 0) / 1e6 or s
                add(runs, runmap, d, "rx_pps", r["run"], pk / ds)
                # CPU over the host's window: scale the count to it
                pk = pk * s / ds
                runs[d].setdefault("rx_offered_pps", []).append(r["tap_tx"] / s)
                if pk == 0:
                    errors[d].append("rx run %s: no frame received in the window (the TAP handed QEMU %d)"
                                     % (r.get("run"), r["tap_tx"]))
                if r["tap_tx"]:
                    runs[d].setdefault("rx_delivered", []).append(pk / float(r["tap_tx"]))
                    if pk > 1.05 * r["tap_tx"]:
                        errors[d].append("rx run %s: driver counted %d frames, the flood offered %d: check failed"
                                         % (r.get("run"), pk, r["tap_tx"]))
                if pk and cpu:
                    add(runs, runmap, d, "rx_cpu_s_per_mpkt", r["run"], cpu / (pk / 1e6))
                if pk:
                    runs[d].setdefault("rx_guest_cpu_s_per_mpkt", []).append(gcpu / (pk / 1e6))
                    if vcpu:
                        runs[d].setdefault("rx_vcpu_s_per_mpkt", []).append(vcpu / (pk / 1e6))
            win[d].setdefault(r["run"], {})[fig] = (pk, cpu)
            # e1kd's own view of the window: its interrupts per second, per run
            if "driver_irqs" in r:
                runs[d].setdefault(fig + "_irqs", []).append(r["driver_irqs"] / s)
        elif fig in ("load_tx", "load_rx"):
            s = r["host_ns"] / 1e9
            cpu = load_window_cpu(r)
            if cpu is None:
                continue
            pre = fig + "_"
            if fig == "load_tx":
                # DPDK: testpmd's rxonly poll loop with nothing to do (it
                # cannot pace txonly): no frames, its CPU a lower bound.
                if d != "dpdk":
                    add(runs, runmap, d, pre + "pps", r["run"], r["tap_rx"] / s)
            else:
                ds = r.get("driver_us", 0) / 1e6 or s
                add(runs, runmap, d, pre + "pps", r["run"], r["driver_rx"] / ds)
                runs[d].setdefault("load_rx_offered_pps", []).append(r["tap_tx"] / s)
            add(runs, runmap, d, pre + "cpu", r["run"], cpu)
            # e1kd's own view: its interrupts per second and its process's CPU
            if "driver_irqs" in r:
                runs[d].setdefault(pre + "irqs", []).append(r["driver_irqs"] / s)
                runs[d].setdefault(pre + "proc_cpu", []).append(r["driver_cpu_ns"] / 1e9 / s)
        elif fig == "profile_tx":
            shares, err = perf_shares(os.path.join(nicdir, r.get("profile", "")))
            if err:
                errors[d].append("profile run %s: %s" % (r.get("run"), err))
                continue
            for k, v in shares.items():
                runs[d].setdefault("profile_" + k, []).append(v)
        elif fig in ("tcp_tx", "tcp_rx"):
            mbps, nbytes, err = iperf_mbps(os.path.join(nicdir, r.get("iperf", "")))
            if mbps is None:
                errors[d].append("%s run %s: %s" % (fig, r.get("run"), err))
                continue
            pre = "tcp_" if fig == "tcp_tx" else "tcp_rx_"
            add(runs, runmap, d, pre + "mbps", r.get("run"), mbps)
            # CPU per GB: the guest's busy time (/proc/stat, all CPUs) from
            # just before iperf3 started to just after it ended, over the
            # bytes iperf3 delivered.  The vCPU threads' run time as the
            # host saw it is kept beside it (under TCG /proc/stat misses
            # the time a vCPU spends in device emulation).
            if nbytes and "cpu_jiffies" in r:
                gb = nbytes / 1e9
                add(runs, runmap, d, pre + "cpu_s_per_gb", r.get("run"), r["cpu_jiffies"] / float(r["hz"]) / gb)
                if r.get("vcpu_ns"):
                    add(runs, runmap, d, pre + "vcpu_s_per_gb", r.get("run"), r["vcpu_ns"] / 1e9 / gb)
        elif fig == "halt":
            rep = r.get("report", {})
            reason = r.get("reason", "?")
            if rep.get("total_ms") is None:
                errors[d].append("halt %s run %s: no total" % (reason, r.get("run")))
                continue
            if rep.get("clean") is False:
                errors[d].append("halt %s run %s: not clean (rc %s)" % (reason, r.get("run"), rep.get("rc")))
            halts[d].setdefault(reason, []).append(rep)
    for d in DRIVERS:
        for run, w in win[d].items():
            # TX+RX only when both windows moved packets (a stalled RX would
            # otherwise charge its CPU to the TX packets).
            if "tx" in w and "rx" in w and w["tx"][0] > 0 and w["rx"][0] > 0 and w["tx"][1] and w["rx"][1]:
                add(runs, runmap, d, "cpu_s_per_mpkt", run,
                    (w["tx"][1] + w["rx"][1]) / ((w["tx"][0] + w["rx"][0]) / 1e6))
    figs = {d: {} for d in DRIVERS}
    for d in DRIVERS:
        for k, v in runs[d].items():
            figs[d][k] = summary(v)
        allh = [rep["total_ms"] for reps in halts[d].values() for rep in reps]
        if allh:
            figs[d]["halt_ms_p50"] = {"median": statistics.median(allh), "min": min(allh), "max": max(allh), "n": len(allh)}
            p99 = nearest_rank(allh, 99)
            figs[d]["halt_ms_p99"] = {"median": p99, "min": p99, "max": p99, "n": len(allh)}
            figs[d]["halt_by_reason"] = {}
            for reason, reps in halts[d].items():
                t = [x["total_ms"] for x in reps]
                stages = {}
                for x in reps:
                    for st, ms in (x.get("stages") or {}).items():
                        stages.setdefault(st, []).append(ms)
                dom = max(stages.items(), key=lambda kv: statistics.median(kv[1]))[0] if stages else None
                figs[d]["halt_by_reason"][reason] = {
                    "median_ms": statistics.median(t), "p99_ms": nearest_rank(t, 99),
                    "min_ms": min(t), "max_ms": max(t), "n": len(t),
                    "dominant_stage": dom,
                    "dominant_stage_ms": statistics.median(stages[dom]) if dom else None}
    return figs, runs, errors, notes, floods, runmap, floor


def perf_shares(path):
    """-> ({"guest": %, "qemu": %, "host": %}, error) from bench/host.sh's
    profile: `perf report --sort dso --percentage relative` of the vCPU
    threads.  Guest code runs from TCG's buffer ("[JIT] tid N"); the host
    kernel is [kernel.kallsyms]; everything else is QEMU (device emulation,
    TCG's runtime, libc, glib)."""
    try:
        with open(path) as f:
            text = f.read()
    except OSError as e:
        return None, "no perf report (%s)" % e.strerror
    shares = {"guest": 0.0, "qemu": 0.0, "host": 0.0}
    n = 0
    for line in text.splitlines():
        m = re.match(r"\s+([0-9.]+)%\s+(\S.*?)\s*$", line)
        if not m:
            continue
        n += 1
        dso = m.group(2)
        key = "guest" if dso.startswith("[JIT]") else "host" if dso == "[kernel.kallsyms]" else "qemu"
        shares[key] += float(m.group(1))
    if not n:
        return None, "the perf report has no samples"
    return shares, None


def profile_lines(figs, chosen):
    """-> (the report's lines, the JSON): per driver, the vCPU time of full-rate
    TX in guest code / QEMU / host kernel, and what the same driver would send
    if its guest code cost nothing (its QEMU and host time per frame kept: a
    driver's device work differs, e.g. with how often it rings the doorbell
    or asks for write-backs)."""
    doc, parts = {}, []
    for d in PEERS:
        g, q, h = (figs[d].get("profile_" + k) for k in ("guest", "qemu", "host"))
        if d not in chosen or not g or not q or not h:
            continue
        ceil = 100.0 / (100.0 - g["median"]) if g["median"] < 100 else None
        doc[d] = {"guest_code_pct": round(g["median"], 2), "qemu_pct": round(q["median"], 2),
                  "host_kernel_pct": round(h["median"], 2),
                  "zero_cost_driver_ratio": None if ceil is None else round(ceil, 3)}
        parts.append((d, g, q, h, ceil))
    if not parts:
        return [], doc
    lines = ["        full-rate TX under perf (windows of their own), the vCPUs' time in guest code / QEMU / "
             "host kernel, %:"]
    for d, g, q, h, ceil in parts:
        lines.append("          %-7s %s / %s / %s (guest code %s..%s); its device work without its guest code: %s its rate" % (
            d, fmt(g["median"]), fmt(q["median"]), fmt(h["median"]), fmt(g["min"]), fmt(g["max"]),
            "-" if ceil is None else "%.3fx" % ceil))
    # Per frame, from the pps windows' vCPU time (us per frame) split by these
    # shares: what each driver's device work costs, and its own code.
    per = {}
    for d, g, _, _, _ in parts:
        v = figs[d].get("tx_vcpu_s_per_mpkt")
        if v:
            per[d] = (v["median"] * (1 - g["median"] / 100.0), v["median"] * g["median"] / 100.0)
            doc[d]["device_us_per_frame"] = round(per[d][0], 3)
            doc[d]["guest_code_us_per_frame"] = round(per[d][1], 3)
    if per:
        lines.append("          per frame (the TX windows' vCPU time split so), device and host + guest code, us: " +
                     "; ".join("%s %.2f + %.2f" % (d, a, b) for d, (a, b) in per.items()))
    if "e1kd" in per and "dpdk" in per and per["e1kd"][0]:
        bound = sum(per["dpdk"]) / per["e1kd"][0]
        doc["e1kd_over_dpdk_bound"] = round(bound, 3)
        lines.append("          e1kd / DPDK if e1kd's guest code cost nothing: %.2fx" % bound)
    return lines, doc


def floor_line(floor, runmap):
    """-> (the report's line or None, the JSON): the TX fixed load's floor in
    guest CPU % (idle guest, e1k_bench_pace's wake-ups alone) and what e1kd
    used above the wake-ups, paired by run."""
    idle, pace = summary(floor["idle"].values()), summary(floor["pace"].values())
    e = runmap["e1kd"].get("load_tx_cpu", {})
    above = summary([e[r] - floor["pace"][r] for r in e if r in floor["pace"]])
    doc = {k: None if v is None else {x: round(v[x] * 100, 2) for x in ("median", "min", "max")}
           for k, v in (("idle_cpu_pct", idle), ("pace_cpu_pct", pace), ("e1kd_above_pace_pct", above))}
    if not idle and not pace:
        return None, doc
    pct = lambda v: "-" if v is None else "%s [%s..%s]" % (fmt(v["median"] * 100), fmt(v["min"] * 100),
                                                           fmt(v["max"] * 100))
    return ("        floor of the TX fixed load, guest CPU %%: idle guest %s; e1k_bench_pace (wakes as e1kd's "
            "sender does, sends nothing) %s; e1kd above it, same run %s" % (pct(idle), pct(pace), pct(above)),
            doc)


def ab_lines(nicdir, nic, ab_args):
    """-> (the report's lines, the JSON) for the ab figure (bench/guest.sh
    measure_ab): e1kd's full-rate TX as configured (a) and with ab_args
    added (b), one window each per run in one guest.  TX rate from the host
    TAP, vCPU us per frame from the vCPU threads; b/a paired by run."""
    var = {"a": {}, "b": {}}
    errors = []
    for r in load_jsonl(os.path.join(nicdir, "results.jsonl")):
        if r.get("figure") != "ab_tx":
            continue
        if "error" in r:
            errors.append("%s run %s: %s" % (r.get("driver"), r.get("run"), r["error"]))
            continue
        s = r["host_ns"] / 1e9
        v = r.get("variant")
        if v in var and s > 0 and r["tap_rx"] > 0:
            var[v][r["run"]] = (r["tap_rx"] / s / 1e3, r.get("vcpu_ns", 0) / 1e3 / r["tap_rx"])
    if not var["a"] and not var["b"] and not errors:
        return [], None
    kpps = {v: summary([x[0] for x in var[v].values()]) for v in var}
    us = {v: summary([x[1] for x in var[v].values()]) for v in var}
    both = [r for r in var["a"] if r in var["b"]]
    ratio = summary([var["b"][r][0] / var["a"][r][0] for r in both])
    cpu_ratio = summary([var["b"][r][1] / var["a"][r][1] for r in both if var["a"][r][1]])
    rnd = lambda x, n=3: None if x is None else {k: round(x[k], n) for k in ("median", "min", "max")}
    doc = {"b_args": ab_args, "a_kpps": rnd(kpps["a"], 1), "b_kpps": rnd(kpps["b"], 1),
           "b_over_a": rnd(ratio), "a_vcpu_us_per_frame": rnd(us["a"]), "b_vcpu_us_per_frame": rnd(us["b"]),
           "b_over_a_vcpu_per_frame": rnd(cpu_ratio), "pairs": len(both)}
    mm = lambda x, sc=1.0: "-" if x is None else "%s [%s..%s]" % (fmt(x["median"] * sc), fmt(x["min"] * sc),
                                                                 fmt(x["max"] * sc))
    lines = ["%-7s A/B, e1kd's TX (B = e1k_bench_nic %s; one window each per run, ABBA): kpps A %s, B %s; "
             "B/A paired %s over %d pair%s; vCPU us/frame A %s, B %s (B/A %s)" % (
                 nic, ab_args or "?", mm(kpps["a"]), mm(kpps["b"]), mm(ratio), len(both),
                 "" if len(both) == 1 else "s", mm(us["a"]), mm(us["b"]),
                 mm(cpu_ratio))]
    lines += ["        ! ab: %s" % e for e in errors[:4]]
    return lines, doc


def paired_ratio(runmap, key, peer, who="e1kd"):
    """Median over runs of e1kd (or who) / peer measured in the same run
    (adjacent in time): less sensitive to a host whose load changes during
    the bench."""
    e = runmap[who].get(key, {})
    p = runmap[peer].get(key, {})
    rs = [e[r] / p[r] for r in e if r in p and p[r]]
    return statistics.median(rs) if rs else None


def callgrind_instr(out, path):
    """Instructions per packet inside the driver's entry points, the model's
    register/interrupt operations (sim_op_*) subtracted."""
    txt = os.path.join(out, "callgrind-%s.txt" % path)
    wl = load_json(os.path.join(out, "sim-%s.json" % path))
    if not os.path.exists(txt) or not wl:
        return None, None
    total, model = None, 0
    with open(txt) as f:
        for line in f:
            m = re.match(r"\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(.*)$", line)
            if not m:
                continue
            n = int(m.group(1).replace(",", ""))
            what = m.group(2)
            if what.startswith("PROGRAM TOTALS"):
                total = n
            elif re.search(r":sim_op_\w+ \[", what):
                model += n
    pk = wl.get("completed") if path == "tx" else wl.get("received")
    if total is None or not pk:
        return None, None
    return (total - model) / float(pk), {"collected_ir": total, "model_ir": model, "packets": pk,
                                         "with_model_per_pkt": total / float(pk)}


def sim_figures(out):
    sim = {}
    detail = {}
    worst = None
    for m in ("82540em", "82574l"):
        d = load_json(os.path.join(out, "sim-irq-%s.json" % m))
        if not d:
            continue
        detail[m] = d
        idle = d.get("idle", {})
        if idle.get("n") and (worst is None or idle["p99_us"] > worst["p99_us"]):
            worst = dict(idle, model=m)
    if worst:
        sim["irq_dpc_us_p50"] = worst["p50_us"]
        sim["irq_dpc_us_p99"] = worst["p99_us"]
        sim["irq_dpc_model"] = worst["model"]
    if detail:
        sim["irq_dpc"] = detail
    rt = load_json(os.path.join(out, "sim-irq-rt-82540em.json"))
    if rt and rt.get("rt_threads"):
        sim["irq_dpc_rt_experiment"] = rt
    for path in ("tx", "rx"):
        v, det = callgrind_instr(out, path)
        if v is not None:
            sim["%s_instr_per_pkt" % path] = round(v, 1)
            sim["%s_instr_detail" % path] = det
    return sim


def tcp_table(nic, figs, runmap, drivers):
    """The TCP block: per direction every TCP driver's throughput and CPU per
    GB, and e1kd's (and e1kd-nooff's) ratios to the kernel: of the medians,
    and paired (median of the per-run ratios).  -> (lines, ratios)"""
    lines = ["", "%-7s %-12s %-11s %-21s %-19s %-19s %-19s %s" % (
        "NIC", "TCP", "driver", "Mbit/s", "CPU s/GB (guest)", "vCPU s/GB (host)",
        "Mbit/s / kernel", "CPU s/GB / kernel")]
    ratios = {}
    first = True
    for dr, label, kt, kc, kv in TCP_DIRS:
        for d in [x for x in TCP_DRIVERS if x in drivers]:
            cols = []
            for key in (kt, kc):
                e, k = figs[d].get(key), figs["kernel"].get(key)
                if d == "kernel" or not e or not k or not k["median"]:
                    cols.append("-")
                    continue
                r = e["median"] / k["median"]
                pr = paired_ratio(runmap, key, "kernel", d)
                ratios.setdefault(d, {})[key] = {"ratio": round(r, 3),
                                                 "paired_ratio": None if pr is None else round(pr, 3)}
                cols.append("%.2f%s" % (r, "" if pr is None else " (paired %.2f)" % pr))
            lines.append("%-7s %-12s %-11s %-21s %-19s %-19s %-19s %s" % (
                nic if first else "", label if d == [x for x in TCP_DRIVERS if x in drivers][0] else "", d,
                cell(figs[d].get(kt), 1.0), cell(figs[d].get(kc), 1.0), cell(figs[d].get(kv), 1.0),
                cols[0], cols[1]))
            first = False
    return lines, ratios


def best_peer(figs, key, higher):
    best = None
    for d in ("dpdk", "kernel"):
        s = figs[d].get(key)
        if s is None:
            continue
        if best is None or (s["median"] > best[1] if higher else s["median"] < best[1]):
            best = (d, s["median"])
    return best


def fmt(v, scale=1.0):
    if v is None:
        return "-"
    x = v * scale
    if abs(x) >= 100:
        return "%.0f" % x
    if abs(x) >= 10:
        return "%.1f" % x
    return "%.2f" % x


def cell(s, scale):
    if s is None:
        return "n/a"
    if s["n"] == 1 or s["min"] == s["max"]:
        return fmt(s["median"], scale)
    return "%s [%s..%s]" % (fmt(s["median"], scale), fmt(s["min"], scale), fmt(s["max"], scale))


TARGETS = [
    # (key, peer, op, bound, text)
    ("load_tx_cpu", "dpdk", "<=", 0.25, "CPU at fixed TX load <= DPDK / 4"),
    ("load_rx_cpu", "dpdk", "<=", 0.25, "CPU at fixed RX load <= DPDK / 4"),
    ("tx_pps", "dpdk", ">=", 1.0, "TX pps >= DPDK"),
    ("tx_pps", "dpdk", ">=", 1.05, "TX pps >= 1.05x DPDK (issue 16)"),
    ("rx_pps", "dpdk", ">=", 1.0, "RX pps >= DPDK"),
    ("cpu_s_per_mpkt", "dpdk", "<=", 0.5, "CPU/Mpkt <= DPDK / 2"),
    ("tcp_mbps", "kernel", ">=", 1.0, "TCP guest->host >= kernel"),
    ("tcp_rx_mbps", "kernel", ">=", 1.0, "TCP host->guest >= kernel"),
    ("halt_ms_p99", "kernel", "<", 1.0, "halt p99 < kernel unbind p99"),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--json")
    ap.add_argument("--plot")
    ap.add_argument("--check-shape", action="store_true")
    a = ap.parse_args()

    machine = load_json(os.path.join(a.out, "machine.json")) or {}
    # What this run measured (machine.json of older runs: everything).
    groups = machine.get("figures") or list(FIGURE_GROUPS)
    chosen = machine.get("drivers") or list(PEERS)
    doc = {"machine": machine, "nics": {}, "sim": sim_figures(a.out), "ratios": {}, "targets": [],
           "errors": {}}
    missing = 0
    lines = []
    lines.append("e1kd benchmarks: %s; %s CPUs (%s), load %s; QEMU %s (TCG)" % (
        machine.get("date", "?"), machine.get("nproc", "?"), machine.get("cpu", "?"),
        machine.get("loadavg", "?"), machine.get("qemu", "?")))
    lines.append("command: %s; median [min..max] of %s run(s); guest clocksource %s%s" % (
        machine.get("command", "?"), machine.get("runs", "?"),
        machine.get("guest_clock", "hpet (the guest's own choice)"),
        "; halts: every sample pooled (p99 = nearest rank)" if "halt" in groups else ""))
    extra = ["%s %s" % (who, machine[k]) for k, who in (("nb_args", "e1k_bench_nic"), ("testpmd_args", "dpdk-testpmd"))
             if machine.get(k)]
    if extra:
        lines.append("extra options (E1K_BENCH_NB_ARGS / E1K_BENCH_TESTPMD_ARGS): " + "; ".join(extra))
    nicdirs = [n for n in ("e1000", "e1000e") if os.path.isdir(os.path.join(a.out, n))]
    for nic in nicdirs:
        figs, runs, errors, notes, floods, runmap, floor = nic_figures(os.path.join(a.out, nic))
        doc["nics"][nic] = {}
        ratios = {}
        for d in DRIVERS:
            if d not in PEERS and d not in chosen and not runs[d] and not errors[d]:
                continue
            entry = {}
            for key, _, _, _, _ in FIGS:
                s = figs[d].get(key)
                entry[key] = round(s["median"], 3) if s else None
                if s:
                    entry[key + "_min"] = round(s["min"], 3)
                    entry[key + "_max"] = round(s["max"], 3)
                    entry[key + "_runs"] = [round(x, 3) for x in runs[d].get(key, [])]
            for extra in ("rx_offered_pps", "rx_delivered", "tx_frame_bytes", "load_rx_offered_pps",
                          "tx_irqs", "rx_irqs", "load_tx_irqs", "load_rx_irqs", "load_tx_proc_cpu", "load_rx_proc_cpu"):
                s = figs[d].get(extra)
                entry[extra] = round(s["median"], 3) if s else None
            if "halt_by_reason" in figs[d]:
                entry["halt_by_reason"] = figs[d]["halt_by_reason"]
            if d == "kernel" and entry.get("halt_ms_p50") is not None:
                entry["halt_is"] = "unbind (echo BDF > /sys/bus/pci/drivers/%s/unbind) under an AF_PACKET TX flood + the host flood" % nic
            doc["nics"][nic][d] = entry
            if errors[d]:
                doc["errors"].setdefault(nic, {})[d] = errors[d]
        doc["nics"][nic]["notes"] = notes
        doc["nics"][nic]["flood"] = floods
        main_rows = [f for f in FIGS if f[4] in groups and f[4] != "tcp"]
        if main_rows:
            lines.append("")
            lines.append("%-7s %-36s %-22s %-22s %-22s %s" % ("NIC", "figure", "e1kd", "dpdk", "kernel", "e1kd/best"))
        for key, label, scale, higher, group in FIGS:
            if group not in groups:
                continue
            bp = best_peer(figs, key, higher)
            e = figs["e1kd"].get(key)
            ratio = None
            pr = None
            if bp and e and bp[1]:
                ratio = e["median"] / bp[1]
                pr = paired_ratio(runmap, key, bp[0])
                ratios[key] = {"ratio": round(ratio, 3), "peer": bp[0],
                               "paired_ratio": None if pr is None else round(pr, 3)}
            if key in ("tx_pps", "rx_pps", "cpu_s_per_mpkt", "tcp_mbps", "tcp_rx_mbps", "tcp_cpu_s_per_gb",
                       "tcp_rx_cpu_s_per_gb", "halt_ms_p99"):
                for d in DRIVERS:
                    # the DPDK halt is not measured (the brief compares with the
                    # kernel's unbind); TCP needs a kernel interface; e1kd-nooff
                    # is in the TCP figures only
                    if d not in chosen or (d == "dpdk" and group in ("halt", "tcp")) or \
                            (d == "e1kd-nooff" and group != "tcp"):
                        continue
                    if figs[d].get(key) is None:
                        missing += 1
            if group == "tcp":
                continue
            lines.append("%-7s %-36s %-22s %-22s %-22s %s" % (
                nic if key == main_rows[0][0] else "", label,
                cell(figs["e1kd"].get(key), scale), cell(figs["dpdk"].get(key), scale),
                cell(figs["kernel"].get(key), scale),
                ("%.2f (%s%s)" % (ratio, bp[0], "" if pr is None else ", paired %.2f" % pr))
                if ratio is not None else "-"))
        if "tcp" in groups:
            tl, tr = tcp_table(nic, figs, runmap, chosen)
            lines.extend(tl)
            ratios["tcp_vs_kernel"] = tr
        doc["ratios"][nic] = ratios
        hb = figs["e1kd"].get("halt_by_reason", {})
        if hb:
            lines.append("        e1kd halt per reason (ms median/max, dominant stage): " + "; ".join(
                "%s %s/%s %s" % (r, fmt(v["median_ms"]), fmt(v["max_ms"]), v["dominant_stage"])
                for r, v in hb.items()))
        for dr in ("tx", "rx"):
            v = runs["e1kd"].get(dr + "_irqs")
            if v:
                lines.append("        e1kd in the %s windows: %s interrupts/s (runs in order: %s)" % (
                    dr.upper(), fmt(statistics.median(v)), ", ".join(fmt(x) for x in v)))
        if "load" in groups:
            for dr in ("tx", "rx"):
                i, c = figs["e1kd"].get("load_%s_irqs" % dr), figs["e1kd"].get("load_%s_proc_cpu" % dr)
                if i and c:
                    lines.append("        e1kd at the fixed load, %s: %s interrupts/s, its own process %s%% CPU" % (
                        dr.upper(), fmt(i["median"]), fmt(c["median"] * 100)))
            lo = figs["e1kd"].get("load_rx_offered_pps")
            lines.append("        fixed load: %s frames/s each way (RX offered by the host: %s kpps; TX sent in bursts of %s); "
                         "DPDK's TX row is testpmd's idle poll loop (it cannot pace txonly): a lower bound" % (
                             machine.get("load_pps", "?"), fmt(lo["median"], 1e-3) if lo else "-",
                             machine.get("load_tx_batch", 8)))
            fl = floor_line(floor, runmap)
            doc["nics"][nic]["load_floor"] = fl[1]
            if fl[0]:
                lines.append(fl[0])
            for e in floor["errors"][:4]:
                lines.append("        ! floor: %s" % e)
        if "ab" in groups:
            al, adoc = ab_lines(os.path.join(a.out, nic), nic, machine.get("ab_args"))
            doc["nics"][nic]["ab_tx"] = adoc
            lines.extend(al)
        if "profile" in groups:
            pl, pdoc = profile_lines(figs, chosen)
            doc["nics"][nic]["profile_tx"] = pdoc
            lines.extend(pl)
        rxo = figs["e1kd"].get("rx_offered_pps")
        if rxo:
            lines.append("        RX offered by the host flood (TAP tx in the window): %s kpps; delivered to e1kd %s%%" % (
                fmt(rxo["median"], 1e-3), fmt((figs["e1kd"].get("rx_delivered") or {"median": 0})["median"] * 100)))
        for d in DRIVERS:
            for e in errors[d][:4]:
                lines.append("        ! %s: %s" % (d, e))
            if len(errors[d]) > 4:
                lines.append("        ! %s: %d more (the JSON's errors)" % (d, len(errors[d]) - 4))
        for t_key, peer, op, bound, text in TARGETS:
            if next(f[4] for f in FIGS if f[0] == t_key) not in groups or peer not in chosen:
                continue
            e = figs["e1kd"].get(t_key)
            p = figs[peer].get(t_key)
            if not e or not p or not p["median"]:
                status, r = "not measured", None
            else:
                r = e["median"] / p["median"]
                ok = r >= bound if op == ">=" else (r <= bound if op == "<=" else r < bound)
                status = "met" if ok else "missed"
            pr = paired_ratio(runmap, t_key, peer) if r is not None else None
            doc["targets"].append({"nic": nic, "target": text, "ratio": None if r is None else round(r, 3),
                                   "paired_ratio": None if pr is None else round(pr, 3), "status": status})
    sim = doc["sim"]
    # scripts/bench --no-sim: the model figures were not asked for
    if machine.get("sim", 1):
        lines.append("")
        lines.append("model (no QEMU):")
        if "irq_dpc_us_p99" in sim:
            for m, d in sim.get("irq_dpc", {}).items():
                lines.append("  interrupt-to-DPC %-8s %-5s idle p50 %s us, p99 %s us (max %s, n %s); loaded p50 %s, p99 %s us" % (
                    m, d.get("irq_mode", ""), fmt(d["idle"]["p50_us"]), fmt(d["idle"]["p99_us"]),
                    fmt(d["idle"]["max_us"]), d["idle"]["n"],
                    fmt(d.get("loaded", {}).get("p50_us")), fmt(d.get("loaded", {}).get("p99_us"))))
            ok = sim["irq_dpc_us_p99"] < 100
            doc["targets"].append({"nic": "model", "target": "interrupt-to-DPC p99 < 100 us (idle, worst model)",
                                   "value": sim["irq_dpc_us_p99"], "status": "met" if ok else "missed"})
            rt = sim.get("irq_dpc_rt_experiment")
            if rt:
                lines.append("  experiment, irq thread + DPC workers SCHED_FIFO %s (82540em): idle p50 %s us, p99 %s us; loaded p50 %s, p99 %s us" % (
                    rt.get("rt_prio"), fmt(rt["idle"]["p50_us"]), fmt(rt["idle"]["p99_us"]),
                    fmt(rt.get("loaded", {}).get("p50_us")), fmt(rt.get("loaded", {}).get("p99_us"))))
        else:
            lines.append("  interrupt-to-DPC: not measured")
            missing += 1
        for path in ("tx", "rx"):
            v = sim.get("%s_instr_per_pkt" % path)
            det = sim.get("%s_instr_detail" % path) or {}
            lines.append("  %s path: %s instructions/packet (driver only; %s with the model's register emulation)" % (
                path.upper(), fmt(v), fmt(det.get("with_model_per_pkt"))))
            if v is None:
                missing += 1
    lines.append("")
    lines.append("targets:")
    for t in doc["targets"]:
        lines.append("  %-7s %-44s %-12s %s%s" % (
            t["nic"], t["target"], t["status"], "" if t.get("ratio") is None else "ratio %.2f" % t["ratio"],
            "" if t.get("paired_ratio") is None else " (paired %.2f)" % t["paired_ratio"]))
    print("\n".join(lines))

    if a.json:
        with open(a.json, "w") as f:
            json.dump(doc, f, indent=1, sort_keys=False)
            f.write("\n")
    if a.plot:
        plot(doc, a.plot)
    if a.check_shape:
        bad = check_shape(doc, nicdirs)
        if bad:
            print("shape: " + "; ".join(bad), file=sys.stderr)
            return 1
    return 1 if missing else 0


def check_shape(doc, nicdirs):
    bad = []
    for nic in nicdirs:
        for d in PEERS:
            for k in ("tx_pps", "rx_pps", "cpu_s_per_mpkt", "tcp_mbps", "halt_ms_p50", "halt_ms_p99"):
                if k not in doc["nics"].get(nic, {}).get(d, {}):
                    bad.append("nics.%s.%s.%s absent" % (nic, d, k))
    for k in ("irq_dpc_us_p50", "irq_dpc_us_p99", "tx_instr_per_pkt", "rx_instr_per_pkt"):
        if doc["sim"].get(k) is None:
            bad.append("sim.%s missing" % k)
    return bad


def plot(doc, path):
    if not shutil.which("gnuplot"):
        print("plot: gnuplot not installed", file=sys.stderr)
        return
    base = os.path.splitext(path)[0]
    rates = base + ".rates.dat"
    halts = base + ".halts.dat"
    with open(rates, "w") as f:
        f.write("label e1kd_tx dpdk_tx kernel_tx e1kd_rx dpdk_rx kernel_rx\n")
        for nic, v in doc["nics"].items():
            vals = [(v.get(d, {}).get(k) or 0) / 1e3 for k in ("tx_pps", "rx_pps") for d in PEERS]
            f.write("%s %s\n" % (nic, " ".join("%.1f" % x for x in vals)))
    with open(halts, "w") as f:
        f.write("label e1kd_p50 e1kd_p99 kernel_p50 kernel_p99\n")
        for nic, v in doc["nics"].items():
            vals = [v.get(d, {}).get(k) or 0 for d in ("e1kd", "kernel") for k in ("halt_ms_p50", "halt_ms_p99")]
            f.write("%s %s\n" % (nic, " ".join("%.2f" % x for x in vals)))
    term = "pngcairo size 1000,460" if path.endswith(".png") else "svg size 1000,460 dynamic"
    gp = """set terminal %s
set output '%s'
set multiplot layout 1,2
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set key outside bottom center horizontal
set grid ytics
set yrange [0:*]
set title 'packets/s, 64-byte frames (kpps)'
plot '%s' using 2:xtic(1) title 'e1kd TX', '' using 3 title 'DPDK TX', '' using 4 title 'kernel TX', \\
     '' using 5 title 'e1kd RX', '' using 6 title 'DPDK RX', '' using 7 title 'kernel RX'
set title 'halt under load (ms): e1kd halt vs kernel unbind'
plot '%s' using 2:xtic(1) title 'e1kd p50', '' using 3 title 'e1kd p99', '' using 4 title 'kernel p50', '' using 5 title 'kernel p99'
unset multiplot
""" % (term, path, rates, halts)
    r = subprocess.run(["gnuplot"], input=gp, text=True, capture_output=True)
    if r.returncode != 0:
        print("plot: gnuplot failed: %s" % r.stderr.strip()[:300], file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
