#!/usr/bin/env bash
# make fuzz-short: every fuzz target for a short while (FUZZTIME, default 3s), as CI does, under the local
# AWS endpoint (awsendpoint run). A run that fails with a bare "context deadline exceeded" and writes no
# failing input is Go's fuzz coordinator racing its own -fuzztime deadline (go.dev/issue/75804, fixed in
# Go 1.27, not in 1.26.x): that target runs once more, and fails only if it fails again. A real finding
# writes its input under testdata/fuzz and fails at once.
set -euo pipefail
: "${GO:=go}"
fuzztime=${FUZZTIME:-3s}
grep -rEo --include="*_test.go" "^func Fuzz[A-Za-z0-9_]+" internal infra | sort -u | while IFS=: read -r file fn; do
  fn=${fn#func }
  pkg=./$(dirname "$file")
  echo "fuzz $pkg $fn"
  for attempt in 1 2; do
    if out=$($GO test -run '^$' -fuzz "^$fn\$" -fuzztime "$fuzztime" "$pkg" 2>&1); then
      break
    fi
    if [ "$attempt" = 1 ] && grep -q "context deadline exceeded" <<<"$out" && ! grep -qE "Failing input written|panic:" <<<"$out"; then
      echo "  the -fuzztime deadline race of go.dev/issue/75804, no failing input: once more"
      continue
    fi
    echo "$out"
    exit 1
  done
done
