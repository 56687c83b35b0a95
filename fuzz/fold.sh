#!/usr/bin/env bash
# Usage: fuzz/fold.sh [TARGET...]
#
# Folds the inputs a fuzz/run.sh campaign found (fuzz/target/new-corpus/<target>/) into the
# committed corpus fuzz/corpus/<target>/ and minimizes it with `cargo fuzz cmin`. Hand-kept
# files (regression-*, seed-*, builtin-*) are set aside during minimization and put back, so
# they survive. For spec_toml and spec_values, inputs over 3 kB are dropped first to keep the corpus small.
# Default: every target in fuzz/targets.txt. Run `cargo test --test fuzz_corpus` afterwards.
set -euo pipefail
cd "$(dirname "$0")"

if [ "$#" -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(grep -v '^[[:space:]]*$' targets.txt)
fi

for t in "${targets[@]}"; do
  corpus="corpus/$t"
  new="target/new-corpus/$t"
  keep="target/keep/$t"
  mkdir -p "$corpus" "$keep"
  find "$corpus" -maxdepth 1 -type f \( -name 'regression-*' -o -name 'seed-*' -o -name 'builtin-*' \) \
    -exec mv -t "$keep" {} +
  if [ -d "$new" ]; then
    cp -n "$new"/* "$corpus"/ 2>/dev/null || true
  fi
  if [ "$t" = spec_toml ] || [ "$t" = spec_values ]; then
    find "$corpus" -maxdepth 1 -type f -size +3k -delete
  fi
  before=$(find "$corpus" -maxdepth 1 -type f | wc -l)
  cargo +nightly fuzz cmin "$t" "$corpus" >"target/cmin-$t.log" 2>&1
  find "$keep" -maxdepth 1 -type f -exec mv -t "$corpus" {} +
  after=$(find "$corpus" -maxdepth 1 -type f | wc -l)
  echo "$t: $before inputs before cmin (hand-kept files aside), $after after (hand-kept files back)"
done
