#!/usr/bin/env bash
# Validates every Amazon States Language definition in statemachines/ with the pinned asl-validator.
# DefinitionSubstitutions placeholders (${Name}) are replaced by a well-formed ARN first, as
# CloudFormation would replace them with real ones, so that the validator's ARN checks stay on.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
tools="$root/infra/tools"
shopt -s nullglob
files=("$root"/statemachines/*.asl.json)
if [ ${#files[@]} -eq 0 ]; then
  echo "lint-asl: no state machine definitions yet (statemachines/*.asl.json)"
  exit 0
fi
[ -x "$tools/node_modules/.bin/asl-validator" ] || npm ci --prefix "$tools" --no-audit --no-fund --loglevel=error
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
status=0
for f in "${files[@]}"; do
  out="$tmp/$(basename "$f")"
  sed -E 's/\$\{([A-Za-z0-9_]+)\}/arn:aws:lambda:us-east-1:123456789012:function:\1/g' "$f" > "$out"
  if "$tools/node_modules/.bin/asl-validator" --json-path "$out" >"$tmp/log" 2>&1; then
    echo "lint-asl: ok ${f#$root/}"
  else
    echo "lint-asl: INVALID ${f#$root/}"; sed 's/^/  /' "$tmp/log"; status=1
  fi
done
exit $status
