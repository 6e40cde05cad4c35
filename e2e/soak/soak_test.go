// Package soak runs Orion under load with injected faults of every kind (docs/faults.md) and then
// checks, from the data (tables, outbox, DLQs, sent emails, received WebSocket messages), that nothing
// was lost, doubled or left behind. `make soak` runs 2,000 orders; ORION_SOAK_ORDERS=200 make soak is
// the short version (ORION_SOAK_ORDERS defaults to 200 when the test is run directly with ORION_SOAK=1).
//
// It starts its own moto and its own stack from template.yaml, so the faults it injects and the data it
// checks are its own, whatever else tests at the same time.
package soak

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orion-oss/orion/infra/engine/faults"
	"github.com/orion-oss/orion/infra/engine/localaws"
	"github.com/orion-oss/orion/infra/engine/stack"
)

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// faultSpec is about 10% of faults of every kind: each rule is transient (a retry of the same request
// gets through, as on AWS) except the SES one for "bounce" recipients, which is permanent and must
// end in the email DLQ, and be redriven.
func faultSpec(seed int) string {
	return fmt.Sprintf(`seed=%d;
		crash rate=0.04; timeout rate=0.03 delay=150ms;
		throttle rate=0.03; throttle rate=0.02 code=ProvisionedThroughputExceededException; server-error rate=0.02;
		duplicate rate=0.1; delay rate=0.1 delay=1s;
		ws-drop rate=0.1;
		ses rate=0.1; ses match=bounce permanent=true`, seed)
}

// asyncRetryBase is Lambda's delay before its first asynchronous retry in the soak: a quarter of AWS's
// minute, so that a run's tail is not three minutes of waiting, and still longer than any claim a
// crashed attempt leaves in the email inbox (its 10 s timeout plus inbox.DeadlineMargin), as on AWS.
const asyncRetryBase = 15 * time.Second

func TestSoak(t *testing.T) {
	if os.Getenv("ORION_SOAK") == "" {
		// `make test` runs it after every other package, alone (it is a load test); `go test ./...`
		// alone would run it beside them on two cores.
		t.Skip("soak: set ORION_SOAK=1 (make test runs the short soak, make soak the long one)")
	}
	cfg := soakConfig{
		orders:    envInt("ORION_SOAK_ORDERS", 200),
		customers: 20,
		workers:   envInt("ORION_SOAK_WORKERS", 8),
		seed:      envInt("ORION_SOAK_SEED", 1),
		// The local system took about a third of 2 cores at 1 order/s under these faults once DynamoDB ran on
		// Dynoxide (docs/adr/0019), where moto had been the limit at 1/s.
		rate: 2,
	}
	if v, err := strconv.ParseFloat(os.Getenv("ORION_SOAK_RATE"), 64); err == nil && v >= 0 {
		cfg.rate = v
	}
	cfg.deadline = time.Duration(envInt("ORION_SOAK_MINUTES", 8+cfg.orders/40)) * time.Minute
	spec := os.Getenv(faults.EnvVar)
	if spec == "" {
		spec = faultSpec(cfg.seed)
	}
	s, err := faults.Load(spec)
	if err != nil {
		t.Fatal(err)
	}
	inj, err := faults.New(s)
	if err != nil {
		t.Fatal(err)
	}

	ctx := context.Background()
	// A private emulator: the soak's faults, tables, queues and mailbox are its own.
	ep, err := localaws.StartMoto(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ep.Close() })
	for _, kv := range ep.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	os.Unsetenv("AWS_SESSION_TOKEN")

	bin, err := functions(t)
	if err != nil {
		t.Fatal(err)
	}
	r := newRun(t, cfg, inj)
	r.emulatorGroup = ep.ProcessGroup()
	r.cpu = sampleCPU(r.emulatorGroup) // after the build: only the run is counted
	out := os.Stderr
	var logFile *os.File
	if p := os.Getenv("ORION_SOAK_LOG"); p != "" {
		if logFile, err = os.Create(p); err != nil {
			t.Fatal(err)
		}
		defer logFile.Close()
		out = logFile
	}
	scfg := stack.Config{Template: "../../template.yaml", Endpoint: ep.URL, BinDir: bin,
		Parameters: map[string]string{"Stage": "local", "AutoConfirmUsers": "true", "CreateEmailIdentity": "true"}, RetryBase: 50 * time.Millisecond,
		AsyncRetryBase: asyncRetryBase,
		Faults:         inj, OnInvoke: r.stats.invoked, OnDelivery: r.stats.delivered}
	if logFile != nil {
		scfg.Output = out
	}
	st, err := stack.Start(ctx, scfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		closing, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		st.Close(closing)
	})
	r.st = st
	r.run()
}

// functions returns the directory of the functions' host builds: ORION_SOAK_FUNCTIONS when set (make
// test and make soak have just run make build-host: building the 49 functions again, without
// its -trimpath so none of its cache applies, cost the short soak about a minute of CPU, docs/adr/0025),
// else a fresh build of its own.
func functions(t *testing.T) (string, error) {
	if built := os.Getenv("ORION_SOAK_FUNCTIONS"); built != "" {
		if _, err := os.Stat(built); err != nil {
			return "", fmt.Errorf("ORION_SOAK_FUNCTIONS: %w", err)
		}
		return built, nil
	}
	bin := t.TempDir()
	return bin, buildFunctions(bin)
}

// buildFunctions builds every function for this host, as `make build-host` does.
func buildFunctions(dir string) error {
	mains, err := filepath.Glob("../../functions/*/main.go")
	if err != nil || len(mains) == 0 {
		return fmt.Errorf("no functions found: %v", err)
	}
	for _, m := range mains {
		name := filepath.Base(filepath.Dir(m))
		cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", filepath.Join(dir, name, "bootstrap"), "./"+filepath.Dir(m))
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%s: %v\n%s", name, err, out)
		}
	}
	return nil
}
