#!/usr/bin/env python3
"""Prints a markdown table of a fuzz/run.sh campaign from its logs (fuzz/target/fuzz-logs/*.log):
executions, executions per second, coverage (libFuzzer's `cov`, edges) at start and end, new
corpus units, and whether the run ended in a crash."""
import glob, os, re, sys

logs = sys.argv[1] if len(sys.argv) > 1 else "fuzz/target/fuzz-logs"
print("| target | executions | exec/s | cov (start → end) | new units | findings |")
print("|---|---:|---:|---|---:|---|")
for path in sorted(glob.glob(os.path.join(logs, "*.log"))):
    text = open(path, errors="replace").read()
    target = os.path.basename(path)[:-4]
    inited = re.search(r"INITED cov: (\d+)", text)
    done = re.search(r"DONE\s+cov: (\d+).*?exec/s: (\d+)", text)
    execs = re.search(r"stat::number_of_executed_units: (\d+)", text)
    new = re.search(r"stat::new_units_added:\s+(\d+)", text)
    crash = re.search(r"(deadly signal|panicked at|ERROR: libFuzzer|SUMMARY: AddressSanitizer)", text)
    start = inited.group(1) if inited else "?"
    end = done.group(1) if done else "?"
    rate = done.group(2) if done else "?"
    print(
        f"| {target} | {int(execs.group(1)) if execs else 0:,} | {rate} | {start} → {end} | "
        f"{new.group(1) if new else '?'} | {'CRASH: ' + crash.group(1) if crash else 'none'} |"
    )
