#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 60) on its committed corpus, with a dictionary
# where one exists. Needs a nightly toolchain; installs cargo-fuzz if it is missing.
# Exits non-zero if any target finds a crash (the input lands in fuzz/artifacts/<target>/).
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-60}"
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi
status=0
while read -r target; do
  [ -n "$target" ] || continue
  dict=""
  case "$target" in
    decode_iso87_ascii|decode_iso93_ascii|decode_iso87_ascii_bin) dict="-dict=dict/iso8583-ascii.dict" ;;
    spec_toml) dict="-dict=dict/spec-toml.dict" ;;
  esac
  mkdir -p "corpus/$target"
  echo "== $target ($seconds s)"
  if ! cargo +nightly fuzz run "$target" "corpus/$target" -- -max_total_time="$seconds" $dict 2>&1 \
      | grep -E "^(#[0-9]+.*(DONE|pulse)|Done|==[0-9]+==|SUMMARY|stat::)" ; then
    :
  fi
  if [ "${PIPESTATUS[0]}" -ne 0 ]; then
    echo "!! $target failed"
    status=1
  fi
done < targets.txt
exit "$status"
