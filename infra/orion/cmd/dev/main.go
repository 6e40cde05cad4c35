// Command dev runs the whole Orion system on this machine from template.yaml, without Docker:
//
//	go run ./infra/orion/cmd/dev   (what `make dev` runs, after building the functions)
//
// It finds or starts the AWS emulator (LocalStack on 127.0.0.1:4566, else moto), provisions the
// template's resources in it, runs every function's real binary under a local Lambda, serves the HTTP
// API, the WebSocket API and an AWS endpoint for the functions, routes events, feeds streams to pipes, and seeds an admin
// user. Ctrl-C stops everything it started.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/orion-oss/orion/infra/engine/faults"
	"github.com/orion-oss/orion/infra/engine/localaws"
	"github.com/orion-oss/orion/infra/engine/stack"
	"github.com/orion-oss/orion/internal/account"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "orion-local:", err)
		os.Exit(1)
	}
}

// localParameters are the template parameters of `make dev` unless ORION_PARAMETERS replaces them.
const localParameters = "Stage=local AutoConfirmUsers=true CreateEmailIdentity=true"

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func run() error {
	template := flag.String("template", "template.yaml", "the SAM template to run")
	bin := flag.String("bin", "build/host", "where the host builds of the functions are (<bin>/<function>/bootstrap)")
	// The local stage may keep the template's sandbox defaults (its Rules refuse them on dev and prod);
	// the emulator sends mail only from an identity it has verified, so the stack creates one.
	params := flag.String("parameters", env("ORION_PARAMETERS", localParameters), "parameter overrides, Key=Value separated by spaces")
	payments := flag.String("payments", env("ORION_PAYMENTS", paymentsSandbox), "the payment provider: sandbox, stripe-mock or stripe-test (STRIPE_SECRET_KEY=sk_test_...)")
	flag.Parse()

	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	overrides := map[string]string{}
	for _, kv := range strings.Fields(*params) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("parameter override %q is not Key=Value", kv)
		}
		overrides[k] = v
	}

	// ORION_FAULTS makes the runtime inject faults (docs/faults.md); unset, it injects none.
	inj, err := faults.FromEnv()
	if err != nil {
		return err
	}

	// Ready in seconds on an idle machine (docs/adr/0019), but make test starts this beside the compile and
	// tests of every package with -race on two cores, where starting moto and Dynoxide, provisioning the
	// template and seeding took over 30 s: the budget is for that machine, not the idle one.
	startAt := time.Now()
	start, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	pay, err := preparePayments(start, *payments, overrides)
	if err != nil {
		return err
	}
	defer pay.stop()
	ep, err := localaws.Ensure(start, env("ORION_AWS_ADDR", localaws.DefaultAddr))
	if err != nil {
		return err
	}
	defer ep.Close()

	st, err := stack.Start(start, stack.Config{
		Template: *template, Parameters: overrides, Endpoint: ep.URL, BinDir: *bin,
		HTTPAddr: "127.0.0.1:" + env("ORION_HTTP_PORT", "3000"), EdgeAddr: "127.0.0.1:" + env("ORION_EDGE_PORT", "4567"),
		WSAddr: "127.0.0.1:" + env("ORION_WS_PORT", "3001"),
		Logger: logger, Output: os.Stdout, Faults: inj,
	})
	if err != nil {
		return err
	}
	defer func() {
		closing, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		st.Close(closing)
		if inj != nil {
			fmt.Println("orion-local: faults injected:", faultCounts(inj))
		}
		fmt.Println("orion-local: stopped")
	}()

	webhookParameter, err := seedSecrets(start, st, ep.URL, pay)
	if err != nil {
		return fmt.Errorf("seed the payment secrets: %w", err)
	}
	admin, err := seedAdmin(start, st, ep.URL)
	if err != nil {
		return fmt.Errorf("seed admin: %w", err)
	}
	items, err := seedCatalog(start, st, ep.URL)
	if err != nil {
		return fmt.Errorf("seed catalog: %w", err)
	}
	consoleURL, stopConsole, err := serveConsole(st, "127.0.0.1:"+env("ORION_CONSOLE_PORT", "3002"))
	if err != nil {
		return err
	}
	defer stopConsole()
	unpublish, err := publish(st, consoleURL) // before the banner: once "Ctrl-C stops everything." shows, the file is there
	if err != nil {
		return err
	}
	defer unpublish()
	banner(st, ep, consoleURL, admin, items, pay, webhookParameter, time.Since(startAt))
	defer recordCalls(st) // before the stack closes (defers run last first), with every call of the run
	<-ctx.Done()
	return nil
}

func banner(st *stack.Stack, ep *localaws.Endpoint, consoleURL string, admin adminUser, items int, pay *localPayments, webhookParameter string, took time.Duration) {
	fmt.Printf("\nOrion is running locally (ready in %s)\n\n", took.Round(time.Millisecond))
	fmt.Printf("  console        %s   (the web console: shop, orders live, admin; docs/console.md)\n", consoleURL)
	fmt.Printf("  HTTP API       %s\n", st.HTTPURL)
	if st.WSURL != "" {
		fmt.Printf("  WebSocket API  %s   (subprotocols orion.v1, orion.token.<access token>)\n", st.WSURL)
	}
	behind := string(ep.Kind)
	if ep.DynamoDB != "" {
		behind += " (DynamoDB on " + ep.DynamoDB + ")"
	}
	fmt.Printf("  AWS endpoint   %s   (functions use it; %s %s behind it)\n", st.EdgeURL, behind, ep.URL)
	if admin.generated {
		fmt.Printf("  admin user     %s / %s   (new each run; ORION_ADMIN_PASSWORD sets one)\n", admin.email, admin.password)
	} else {
		fmt.Printf("  admin user     %s / %s\n", admin.email, admin.password)
	}
	fmt.Printf("  admin TOTP     secret %s, new each run (add it to an authenticator app: %s)\n", admin.totpSecret,
		account.OTPAuthURI(admin.email, admin.totpSecret))
	fmt.Printf("  demo catalog   %d items (infra/orion/cmd/dev/catalog.json)\n", items)
	switch pay.mode {
	case paymentsSandbox:
		fmt.Printf("  payments       sandbox (tok_visa approves; make dev PAYMENTS=stripe-mock|stripe-test for Stripe)\n")
	default:
		fmt.Printf("  payments       %s, Stripe API %s\n", pay.mode, pay.apiBase)
	}
	fmt.Printf("  webhooks       POST %s/webhooks/stripe, signing secret in SSM %s\n", st.HTTPURL, webhookParameter)
	fmt.Printf("  functions      %d: %s\n", len(st.Functions()), strings.Join(st.Functions(), ", "))
	if *outputsFile != "" {
		fmt.Printf("  outputs file   %s   (ORION_STACK_OUTPUTS=%[1]s go test ./e2e: the e2e suite against this system)\n", *outputsFile)
	}
	if inj := st.Faults(); inj != nil {
		fmt.Printf("  FAULTS         %d rule(s) from %s, seed %d (docs/faults.md)\n", len(inj.Spec().Rules), faults.EnvVar, inj.Spec().Seed)
	}
	if routes := st.Routes(); len(routes) > 0 {
		fmt.Println("  routes")
		for _, r := range routes {
			fmt.Println("    " + r)
		}
	}
	if routes := st.WebSocketRoutes(); len(routes) > 0 {
		fmt.Println("  WebSocket routes")
		for _, r := range routes {
			fmt.Println("    " + r)
		}
	}
	keys := make([]string, 0, len(st.Outputs))
	for k := range st.Outputs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Println("  outputs")
	for _, k := range keys {
		fmt.Printf("    %-26s %v\n", k, st.Outputs[k])
	}
	fmt.Println("\nCtrl-C stops everything.")
}

var errNoPool = errors.New("the template has no user pool output (UserPoolId)")

// faultCounts reads "crash=3 throttle=12" in the order of faults.Kinds.
func faultCounts(inj *faults.Injector) string {
	counts := inj.Counts()
	var parts []string
	for _, k := range faults.Kinds {
		if n := counts[k]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", k, n))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, " ")
}
