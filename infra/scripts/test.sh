#!/usr/bin/env bash
# make test's tests of every package, run under the local AWS endpoint (awsendpoint run has set
# AWS_ENDPOINT_URL). The e2e package runs twice over, without running any test twice:
#
#  1. against a `make dev` system (infra/orion/cmd/dev with a moto and ports of its own), in external mode
#     (ORION_STACK_OUTPUTS: e2e/external_test.go), beside every other package's tests: every test a
#     client and the stack's deployer can run, so that the external mode cannot rot;
#  2. in-process, once the dev system has stopped: only the tests that need the in-process runtime
#     (those the first run skipped as "in-process only"), whose whole-run checks, the functions' IAM
#     policies against their calls and the secrets in the logs, also take the dev system's calls
#     (-record-calls) and log, so that they cover the whole suite as before;
#  3. beside step 2, the short soak (60 orders under ~10% injected faults, e2e/soak) with its own
#     emulator and stack: most of its minute and a half is waiting out Lambda's asynchronous retries
#     (CPU mostly idle), which step 2's tests fill.
#
# -vet=off: `make lint` runs go vet ./... with every analyzer, a superset of the ones go test runs; on
# a cold build cache (a fresh CI clone) go test's vet of every package and its dependencies cost about a
# fifth of the compile CPU. docs/adr/0025 has the figures.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${AWS_ENDPOINT_URL:?run under infra/engine/cmd/awsendpoint (make test)}"
GO=${GO:-go}
dir=$PWD/build/test
rm -rf "$dir" && mkdir -p "$dir"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# 0. One stripe-mock (Stripe's official API mock, which .ci/run installs) for every package's Stripe
# tests, as one moto serves their AWS calls: internal/adapter/stripe/stripetest uses STRIPE_MOCK_URL
# when it is set, with the bundled fixtures; a test that needs Orion's fixtures starts a private one.
# Without stripe-mock those tests start their own or skip, as stripetest decides.
mock=
if [ -z "${STRIPE_MOCK_URL:-}" ]; then
  stripe_mock=$(command -v stripe-mock || echo "$($GO env GOPATH)/bin/stripe-mock")
  if [ -x "$stripe_mock" ]; then
    port=$(free_port)
    # -https-addr too: stripe-mock listens for HTTPS on :12112 unless told otherwise.
    "$stripe_mock" -http-addr "127.0.0.1:$port" -https-addr "127.0.0.1:$(free_port)" -strict-version-check >"$dir/stripe-mock.log" 2>&1 &
    mock=$!
    for _ in $(seq 100); do
      grep -q "Listening for HTTP" "$dir/stripe-mock.log" 2>/dev/null && break
      kill -0 "$mock" 2>/dev/null || { echo "test: stripe-mock exited:" >&2; cat "$dir/stripe-mock.log" >&2; exit 1; }
      sleep 0.1
    done
    export STRIPE_MOCK_URL="http://127.0.0.1:$port"
    echo "test: stripe-mock at $STRIPE_MOCK_URL"
  else
    echo "test: no stripe-mock (go install github.com/stripe/stripe-mock@v0.203.0): the Stripe tests bring their own or skip"
  fi
fi
stop_mock() { [ -z "$mock" ] || kill "$mock" 2>/dev/null || true; }

# 1. The dev system, as `make dev` runs it, but on free ports (a developer's `make dev` may hold 3000,
# 3001 and 4567); its output is the run's log (checked in step 2). It gets an endpoint of its own (moto, with
# Dynoxide for DynamoDB: docs/adr/0019), started and stopped by infra/orion/cmd/dev, rather than make test's:
# that endpoint may be a developer's running `make dev` emulator (awsendpoint reuses whatever answers on 4566),
# whose tables have the same template-fixed names, and the dev system's traffic would queue behind the other
# packages' tests.
# The dev system's web console on a free port too (a developer's make dev may hold 3002); the e2e run
# finds it as ConsoleUrl in the outputs file and drives it in headless Chromium (e2e/console_test.go).
export ORION_CONSOLE_PORT=$(free_port)
$GO build -o "$dir/orion-local" ./infra/orion/cmd/dev
ORION_AWS_ADDR=127.0.0.1:$(free_port) ORION_HTTP_PORT=$(free_port) ORION_WS_PORT=$(free_port) ORION_EDGE_PORT=$(free_port) \
  AWS_ENDPOINT_URL= "$dir/orion-local" -outputs "$dir/outputs.json" -record-calls "$dir/calls.json" >"$dir/dev.log" 2>&1 &
dev=$!
stop_dev() {
  if kill -0 "$dev" 2>/dev/null; then
    kill -INT "$dev"
    wait "$dev" || { echo "test: the dev system did not stop cleanly; its log: $dir/dev.log" >&2; tail -20 "$dir/dev.log" >&2; return 1; }
  fi
}
trap 'kill -INT $dev 2>/dev/null || true; stop_mock' EXIT

# Every package but e2e, and e2e in external mode, side by side (as `go test ./...` ran them). The e2e
# run waits for the dev system's outputs file, which it writes once it is ready.
started=$(date +%s)
# -p 4, twice the cores: most test binaries spend their time waiting on the emulator, and with two at a
# time the packages used about 1.1 of the 2 cores (221 s; 186 s with -p 4: docs/adr/0025).
$GO test -p 4 -vet=off -race -count=1 $($GO list ./... | grep -v '/e2e$' | grep -v '/e2e/soak$') &
packages=$!
# -parallel 4: the pass's parallel tests mostly wait on the dev system; two at a time (the default on 2 cores)
# left the cores idle (docs/adr/0025).
ORION_STACK_OUTPUTS="$dir/outputs.json" ORION_STACK_OUTPUTS_WAIT=3m \
  $GO test -vet=off -race -count=1 -v -parallel 4 -timeout 20m ./e2e >"$dir/e2e-external.log" 2>&1 &
external=$!
status=0
wait "$external" || status=$?
external_took=$(( $(date +%s) - started ))
if [ "$status" -ne 0 ]; then
  grep -E '^(--- FAIL|FAIL|panic|e2e:)|_test.go:[0-9]+:' "$dir/e2e-external.log" | grep -v '^ *--- SKIP' | head -80 >&2 || true
  echo "test: e2e against the dev system failed; the whole log: $dir/e2e-external.log, the system's: $dir/dev.log" >&2
fi
infra/scripts/e2e-summary.sh <"$dir/e2e-external.log" | sed 's/^e2e:/e2e (external, against make dev):/'
echo "test: e2e external run took ${external_took}s"
stop_dev || status=1
trap stop_mock EXIT
wait "$packages" || status=1
stop_mock
trap - EXIT
[ "$status" -eq 0 ] || exit "$status"

# 3. The short soak, started first: its emulator, stack and users take a while to set up, and the
# rest of it is mostly waiting. It uses the functions make build-host has just built.
started=$(date +%s)
ORION_SOAK=1 ORION_SOAK_ORDERS="${ORION_SOAK_ORDERS:-60}" ORION_SOAK_RATE="${ORION_SOAK_RATE:-3}" ORION_SOAK_FUNCTIONS="$PWD/build/host" \
  ORION_SOAK_SUMMARY="$dir/soak-summary.txt" \
  $GO test -vet=off -count=1 -v -timeout 20m -run '^TestSoak$' ./e2e/soak >"$dir/soak.log" 2>&1 &
soak=$!
trap 'kill $soak 2>/dev/null || true' EXIT

# 2. What needs the in-process runtime, and the whole-run checks with the dev system's calls and log.
inproc=$(infra/scripts/e2e-summary.sh -in-process-only <"$dir/e2e-external.log")
ORION_E2E_DEV_CALLS="$dir/calls.json" ORION_E2E_DEV_LOG="$dir/dev.log" ORION_E2E_FUNCTIONS="$PWD/build/host" \
  $GO test -vet=off -race -count=1 -v -run "$inproc" ./e2e >"$dir/e2e-inprocess.log" 2>&1 || {
  grep -E '^(--- FAIL|FAIL|panic|e2e:)|_test.go:[0-9]+:' "$dir/e2e-inprocess.log" | head -80 >&2 || true
  echo "test: e2e in-process failed; the whole log: $dir/e2e-inprocess.log" >&2
  status=1
}
infra/scripts/e2e-summary.sh <"$dir/e2e-inprocess.log" | sed 's/^e2e:/e2e (in-process):/'
echo "test: e2e in-process run took $(( $(date +%s) - started ))s"

wait "$soak" || {
  grep -E '^(--- FAIL|FAIL|panic)|_test.go:[0-9]+:' "$dir/soak.log" | head -80 >&2 || true
  echo "test: the short soak failed; the whole log: $dir/soak.log" >&2
  status=1
}
trap - EXIT
[ ! -f "$dir/soak-summary.txt" ] || cat "$dir/soak-summary.txt"
echo "test: short soak took $(( $(date +%s) - started ))s"
exit "$status"
