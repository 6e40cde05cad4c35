#!/usr/bin/env bash
# Lints the template and the state machines: cfn-lint (zero findings), the offline SAM transform, ASL.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
echo "lint: cfn-lint template.yaml"
cfn-lint template.yaml
mkdir -p build
python3 infra/scripts/sam-translate.py template.yaml build/template.transformed.json
infra/scripts/lint-asl.sh
