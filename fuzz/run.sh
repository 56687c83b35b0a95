#!/usr/bin/env bash
# Usage: fuzz/run.sh [SECONDS] [TARGET...]
#
# Runs each fuzz target (default: every one in fuzz/targets.txt) for SECONDS (default 60), one
# after the other, seeded from the committed corpus fuzz/corpus/<target>/ and with a dictionary
# from fuzz/dict/ where one fits. New inputs go to fuzz/target/new-corpus/<target>/ (ignored by
# git; see fuzz/README.md to merge them), crashes to fuzz/artifacts/<target>/, full logs to
# fuzz/target/fuzz-logs/<target>.log. Needs a nightly toolchain; installs cargo-fuzz if missing.
#
# Exits 1 if any target crashed (panic, timeout, OOM) or failed to build, 2 if cargo-fuzz is
# missing and cannot be installed.
set -uo pipefail
cd "$(dirname "$0")" || exit 2

seconds="${1:-60}"
[ "$#" -gt 0 ] && shift
case "$seconds" in
  '' | *[!0-9]*) echo "usage: $0 [SECONDS] [TARGET...]" >&2; exit 2 ;;
esac

if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  echo "cargo-fuzz not found; installing it" >&2
  cargo install cargo-fuzz --locked || exit 2
fi

if [ "$#" -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(grep -v '^[[:space:]]*$' targets.txt)
fi

dict_for() {
  case "$1" in
    decode_iso87_ascii | decode_iso87_ascii_bin | decode_iso93_ascii) echo "dict/iso8583-ascii.dict" ;;
    spec_toml | spec_values) echo "dict/spec-toml.dict" ;;
    *) ;;
  esac
}

mkdir -p target/fuzz-logs
failed=()
for t in "${targets[@]}"; do
  new="target/new-corpus/$t"
  log="target/fuzz-logs/$t.log"
  mkdir -p "$new" "corpus/$t"
  args=(-max_total_time="$seconds" -print_final_stats=1)
  dict="$(dict_for "$t")"
  [ -n "$dict" ] && args+=(-dict="$dict")
  echo "== $t (${seconds}s${dict:+, $dict})"
  cargo +nightly fuzz run "$t" "$new" "corpus/$t" -- "${args[@]}" >"$log" 2>&1
  rc=$?
  grep -E '^(#[0-9]+[[:space:]]+DONE|Done [0-9]+ runs|stat::number_of_executed_units|stat::new_units_added)' "$log"
  if [ "$rc" -ne 0 ]; then
    echo "!! $t exited with $rc; last lines of $log:"
    tail -n 40 "$log"
    failed+=("$t")
  fi
done

if [ "${#failed[@]}" -gt 0 ]; then
  echo "FAILED: ${failed[*]} (inputs in fuzz/artifacts/<target>/)"
  exit 1
fi
echo "all ${#targets[@]} targets ran ${seconds}s without a crash"
