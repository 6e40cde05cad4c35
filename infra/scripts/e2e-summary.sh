#!/usr/bin/env bash
# Reads a `go test -v ./e2e` log on stdin and prints how many of the package's tests ran and were skipped,
# with each skip's reason. With -in-process-only it prints instead the regexp of the tests that skipped
# because they need the in-process runtime (inProcessOnly in e2e/external_test.go), for make test to run
# them in-process after the external run.
set -euo pipefail
awk -v mode="${1:-}" '
  # go test -v prints the t.Skip line of a test before its "--- SKIP" line.
  /^    [A-Za-z0-9_]+\.go:[0-9]+: / { last = $0; sub(/^ +[^ ]+\.go:[0-9]+: /, "", last) }
  /^=== RUN/ { last = "" }
  /^--- (PASS|FAIL|SKIP): / {
    kind = $2; name = $3; sub(/:$/, "", kind)
    count[kind]++
    if (kind == "SKIP") {
      if (mode == "") printf "  skip %-46s %s\n", name, last
      # A subtest is selected by its top-level test: go test -run splits a pattern at each "/", so
      # "A/b" inside ^(...)$ would break the whole selection.
      top = name; sub(/\/.*/, "", top)
      if (last ~ /^in-process only:/ && !(top in picked)) { picked[top] = 1; inproc = inproc (inproc == "" ? "" : "|") top }
    }
  }
  END {
    if (mode == "-in-process-only") { print "^(" inproc ")$"; exit }
    printf "e2e: %d tests ran (%d passed, %d failed), %d skipped\n", count["PASS"] + count["FAIL"], count["PASS"], count["FAIL"], count["SKIP"]
  }'
