#!/usr/bin/env python3
"""Prints criterion medians (ns) from target/criterion as a markdown table: one row per spec."""
import json, os, sys
root = sys.argv[1] if len(sys.argv) > 1 else "target/criterion"
med = {}
for dirpath, _, files in os.walk(root):
    if dirpath.endswith("/new") and "estimates.json" in files:
        bench = json.load(open(os.path.join(dirpath, "benchmark.json")))
        est = json.load(open(os.path.join(dirpath, "estimates.json")))
        med[bench["full_id"]] = est["median"]["point_estimate"]
for k in sorted(med):
    print(f"{k}\t{med[k]:.0f}")
