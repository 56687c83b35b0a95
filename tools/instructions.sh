#!/usr/bin/env bash
# Usage: tools/instructions.sh [SPEC...]
#
# Instructions per decode, encode (prepared builder into a reused buffer) and decode + read
# every field of the benchmark purchase, counted by callgrind: a run of N iterations minus a
# run of none, divided by N. Deterministic, so it compares commits on a noisy machine where
# wall time cannot. Needs valgrind. Default specs: every ISO 8583 spec bundled.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 2; }
specs=("$@")
[ "${#specs[@]}" -gt 0 ] || specs=(iso87-ascii-bin iso87-ascii iso87-bcd iso87-ebcdic iso93-ascii)
bin=$(cargo bench --bench instructions --no-run --message-format=json 2>/dev/null |
  python3 -c 'import json,sys
for l in sys.stdin:
    m=json.loads(l)
    if m.get("reason")=="compiler-artifact" and m["target"]["name"]=="instructions" and m.get("executable"):
        print(m["executable"])')
n=1000
count() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" "$@" 2>&1 | sed -n 's/.*refs: *//p' | tr -d ,; }
printf '%-16s %8s %8s %10s\n' spec decode encode read_all
for spec in "${specs[@]}"; do
  row=()
  for op in decode encode read_all; do
    base=$(count "$op" "$spec" 0)
    full=$(count "$op" "$spec" "$n")
    row+=($(( (full - base) / n )))
  done
  printf '%-16s %8s %8s %10s\n' "$spec" "${row[@]}"
done
