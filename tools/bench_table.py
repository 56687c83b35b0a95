#!/usr/bin/env python3
"""Prints criterion medians from one or more saved runs (default: target/criterion).

Usage: tools/bench_table.py [CRITERION_DIR...]

With several directories (copies of target/criterion from separate `cargo bench` runs) each
benchmark's lowest median is printed with how many runs had it, which is how the README
tables are made on a noisy machine ("best of N")."""
import json, os, sys

roots = sys.argv[1:] or ["target/criterion"]
best = {}
for root in roots:
    for dirpath, _, files in os.walk(root):
        if dirpath.endswith("/new") and "estimates.json" in files:
            bench = json.load(open(os.path.join(dirpath, "benchmark.json")))
            est = json.load(open(os.path.join(dirpath, "estimates.json")))
            ns = est["median"]["point_estimate"]
            key = bench["full_id"]
            old = best.get(key)
            best[key] = (min(ns, old[0]) if old else ns, (old[1] if old else 0) + 1)


def show(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.0f} ns"


for key in sorted(best):
    ns, runs = best[key]
    print(f"{key}\t{show(ns)}\t({runs} run{'s' if runs > 1 else ''})")
