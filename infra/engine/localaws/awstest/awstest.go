// Package awstest points a test binary at a real local AWS endpoint. Use it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }
//
// It uses, in order: AWS_ENDPOINT_URL when set (LocalStack, a deployed-like emulator, CI's shared
// moto); whatever emulator answers on 127.0.0.1:4566 (`make test` and `make dev` start one there); or a
// private moto_server on a free port that lives as long as the test binary. The private one is what makes
// `go test ./...` work on its own, and several packages testing at once never fight over a port.
package awstest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/orion-oss/orion/infra/engine/awsconfig"
	"github.com/orion-oss/orion/infra/engine/localaws"
)

// Runner is *testing.M, or a wrapper that starts more around the tests once the endpoint is known.
type Runner interface{ Run() int }

// Main resolves the endpoint, exports it through the SDK's standard environment variables, runs the
// tests, and stops the emulator if it started one.
func Main(m Runner) int {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	ep, err := resolve(ctx)
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "awstest: no local AWS endpoint: %v\n", err)
		return 1
	}
	defer ep.Close()
	return run(m, ep)
}

func run(m Runner, ep *localaws.Endpoint) int {
	for _, kv := range ep.Env() {
		k, v, _ := strings.Cut(kv, "=")
		if k == "AWS_SESSION_TOKEN" {
			os.Unsetenv(k)
			continue
		}
		os.Setenv(k, v)
	}
	return m.Run()
}

// MainIsolated is Main with an emulator of the test binary's own, whatever else is running: for packages
// that run the project's template, whose physical names (tables, streams, queues) are fixed by the
// template, so that two such packages on one emulator would read each other's streams (a backlog of
// another run's events, and each other's saga starts).
func MainIsolated(m Runner) int {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	ep, err := localaws.StartMoto(ctx, "127.0.0.1:0")
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "awstest: no private AWS emulator: %v\n", err)
		return 1
	}
	defer ep.Close()
	return run(m, ep)
}

func resolve(ctx context.Context) (*localaws.Endpoint, error) {
	if ep, ok := localaws.FromEnv(); ok {
		return ep, nil
	}
	if kind, err := localaws.Probe(ctx, localaws.DefaultAddr); err == nil {
		return &localaws.Endpoint{URL: "http://" + localaws.DefaultAddr, Kind: kind}, nil
	}
	return localaws.StartMoto(ctx, "127.0.0.1:0")
}

// Config is the SDK configuration for the endpoint Main chose. It is loaded once per process for each
// set of AWS_* variables (a test may t.Setenv one) and copied out: loading walks the SDK's whole chain,
// with AWS_CA_BUNDLE set parsing every certificate of the bundle, which under -race was a large share of
// the store packages' CPU (docs/adr/0025); one HTTP client also lets tests reuse connections.
func Config(t testing.TB) aws.Config {
	t.Helper()
	load, _ := configs.LoadOrStore(awsEnv(), sync.OnceValues(func() (aws.Config, error) {
		return awsconfig.Load(context.Background())
	}))
	cfg, err := load.(func() (aws.Config, error))()
	if err != nil {
		t.Fatalf("awstest: %v", err)
	}
	// A caller may append to these; clipped, its append copies instead of writing into the shared array.
	cfg.APIOptions = slices.Clip(cfg.APIOptions)
	cfg.ConfigSources = slices.Clip(cfg.ConfigSources)
	return cfg
}

// configs maps awsEnv's key to the configuration loaded for it.
var configs sync.Map

// awsEnv is the process's AWS_* variables, the part of the environment the SDK's chain reads that tests
// change; the files it names are not expected to change under a running test binary.
func awsEnv() string {
	var b strings.Builder
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "AWS_") {
			b.WriteString(kv)
			b.WriteByte(0)
		}
	}
	return b.String()
}

// Name returns a resource name unique to this test run, so tests sharing one emulator never collide.
func Name(t testing.TB, prefix string) string {
	t.Helper()
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatalf("awstest: %v", err)
	}
	return prefix + "-" + hex.EncodeToString(b[:])
}
