// Package orion_test holds the tests of the tree as a whole: which package may import which
// (docs/architecture.md, "Dependency rules"), what each Lambda function links, and the README's map of
// the packages. They read `go list`, so they fail on a wrong import before any code runs.
package orion_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
)

const module = "github.com/orion-oss/orion"

// pkg is what `go list -json` says of one package: its imports outside its tests, its deps (what a
// main links), and whether it only serves tests.
type pkg struct {
	ImportPath string
	Name       string
	Dir        string
	Imports    []string
	Deps       []string
	GoFiles    []string
}

// rel is the package's path inside the module ("" for one outside it).
func (p pkg) rel() string { return relPath(p.ImportPath) }

func relPath(importPath string) string {
	if importPath == module {
		return "."
	}
	r, ok := strings.CutPrefix(importPath, module+"/")
	if !ok {
		return ""
	}
	return r
}

// listPackages lists every package of the module with `go list -json`, built as the functions are
// built (tag lambda.norpc).
// It runs once per test binary: every test of the tree reads the same listing.
func listPackages(t *testing.T) []pkg {
	t.Helper()
	pkgs, err := listed()
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) < 40 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	return pkgs
}

var listed = sync.OnceValues(func() ([]pkg, error) {
	cmd := exec.Command("go", "list", "-tags", "lambda.norpc", "-json=ImportPath,Name,Dir,Imports,Deps,GoFiles", "./...")
	out, err := cmd.Output()
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return nil, fmt.Errorf("go list: %w\n%s", err, exit.Stderr)
		}
		return nil, fmt.Errorf("go list: %w", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	var pkgs []pkg
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("go list output: %w", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs, nil
})

// under reports whether the module-relative path rel is dir or inside it.
func under(rel string, dirs ...string) bool {
	for _, d := range dirs {
		if rel == d || strings.HasPrefix(rel, d+"/") {
			return true
		}
	}
	return false
}

// testSupportPackages exist only to serve tests: they may reach into the local runtime, and only tests
// may import them. A new one is added here, by name, so no package slips out of the rules by its name.
var testSupportPackages = []string{"internal/adapter/dynamo/dynamotest", "infra/engine/localaws/awstest", "internal/adapter/stripe/stripetest"}

func testSupport(p pkg) bool { return slices.Contains(testSupportPackages, p.rel()) }

// The kinds of package of docs/architecture.md, by where they live.
var (
	// The domain: aggregates, value objects and events. Pure Go: no AWS, no I/O, no use case.
	domain = []string{"internal/order", "internal/inventory", "internal/customer", "internal/money",
		"internal/validation", "internal/event"}
	// The application: use cases and the handlers of requests and events. They talk to the outside
	// world through ports they declare, never through an adapter.
	application = []string{"internal/command", "internal/query", "internal/account", "internal/saga",
		"internal/email", "internal/ws", "internal/projection", "internal/api", "internal/web", "internal/auth",
		"internal/payment", "internal/fulfilment", "internal/story"}
	// The driven adapters, one package per technology: the only product code that calls AWS.
	adapters = []string{"internal/adapter"}
	// Cross-cutting start-up, configuration and telemetry.
	platform = []string{"internal/platform"}
)

// importRule is one dependency rule: packages under from must not import what matches.
type importRule struct {
	name   string
	from   []string
	except []string // packages under from that the rule leaves alone, with the reason where the rule is declared
	forbid func(imp string) bool
	// linked, when set, is checked against everything the package links, not only what it imports: an
	// AWS module reached through another package is linked all the same.
	linked   func(dep string) bool
	whyNotOK string
}

func isAWSService(imp string) bool {
	return strings.HasPrefix(imp, "github.com/aws/aws-sdk-go-v2/service/") ||
		strings.HasPrefix(imp, "github.com/aws/aws-sdk-go-v2/feature/")
}

func isAWS(imp string) bool {
	return strings.HasPrefix(imp, "github.com/aws/")
}

func inModule(dirs ...string) func(string) bool {
	return func(imp string) bool { r := relPath(imp); return r != "" && under(r, dirs...) }
}

func either(fs ...func(string) bool) func(string) bool {
	return func(imp string) bool {
		for _, f := range fs {
			if f(imp) {
				return true
			}
		}
		return false
	}
}

var importRules = []importRule{
	{
		// traceheader is the standard library's alone: an event carries the trace header it names.
		name: "domain is pure", from: domain,
		forbid: either(isAWS, func(imp string) bool {
			r := relPath(imp)
			return under(r, append(append(append([]string{}, application...), adapters...), "infra", "functions", "internal/platform")...) &&
				r != "internal/platform/traceheader"
		}),
		linked: either(isAWS, func(dep string) bool {
			r := relPath(dep)
			return under(r, "internal/platform") && r != "internal/platform/traceheader"
		}),
		whyNotOK: "the domain decides; it reads and writes nothing (no AWS, no adapter, no use case, no platform, no runtime)",
	},
	{
		name: "application uses ports", from: application,
		forbid:   either(isAWSService, inModule(append(append([]string{}, adapters...), "infra", "functions", "internal/platform/boot", "internal/platform/awscfg")...)),
		linked:   isAWSService,
		whyNotOK: "use cases and handlers call the ports they declare; an adapter implements them and a function's main wires it",
	},
	{
		// An adapter may import the application package whose port it implements (the port's types live
		// there); it does not receive requests (the outbox relay, which decodes DynamoDB's stream records
		// for the Pipe, is the one adapter a function serves directly).
		name: "adapters are driven", from: adapters,
		forbid:   inModule("internal/api", "internal/web", "infra", "functions"),
		whyNotOK: "an adapter implements a port for the application; the HTTP side and the mains sit above it",
	},
	{
		// boot is the functions' start-up: it builds the clients and stores a main wires, so it alone may
		// reach up to the adapters.
		name: "platform is below everything", from: platform, except: []string{"internal/platform/boot"},
		forbid:   inModule(append(append(append([]string{}, domain...), application...), "infra", "functions")...),
		whyNotOK: "start-up and telemetry serve every package, so they import none of the product",
	},
}

// TestImportDirection fails on an import that crosses the layers of docs/architecture.md the wrong
// way. Tests may import anything (an adapter's test builds the emulator's tables from the template).
func TestImportDirection(t *testing.T) {
	pkgs := listPackages(t)
	for _, r := range importRules {
		checked := 0
		for _, p := range pkgs {
			if !under(p.rel(), r.from...) || under(p.rel(), r.except...) || testSupport(p) {
				continue
			}
			checked++
			for _, imp := range p.Imports {
				if r.forbid(imp) {
					t.Errorf("%s: %s imports %s: %s", r.name, p.rel(), imp, r.whyNotOK)
				}
			}
			for _, dep := range p.Deps {
				if r.linked != nil && r.linked(dep) && !slices.Contains(p.Imports, dep) {
					t.Errorf("%s: %s links %s (through its imports): %s", r.name, p.rel(), dep, r.whyNotOK)
				}
			}
		}
		if checked == 0 {
			t.Errorf("%s: no package under %v: the rule checks nothing; update it with the layout", r.name, r.from)
		}
	}
}

// TestEveryPackageHasAKind: each package of internal/ is domain, application, adapter or platform, so
// one of the rules above checks it; a new top-level package is placed in one of the lists.
func TestEveryPackageHasAKind(t *testing.T) {
	for _, p := range listPackages(t) {
		r := p.rel()
		if !under(r, "internal") || testSupport(p) {
			continue
		}
		kinds := 0
		for _, kind := range [][]string{domain, application, adapters, platform} {
			if under(r, kind...) {
				kinds++
			}
		}
		if kinds != 1 {
			t.Errorf("%s is in %d of the kinds (domain, application, adapters, platform); want exactly one", r, kinds)
		}
	}
}

// TestAdaptersStayInTheirTechnology: internal/adapter/<technology> imports no other technology's
// adapter, so a function links only the clients of the services it calls.
func TestAdaptersStayInTheirTechnology(t *testing.T) {
	technology := func(rel string) string {
		rest, _ := strings.CutPrefix(rel, "internal/adapter/")
		tech, _, _ := strings.Cut(rest, "/")
		return tech
	}
	for _, p := range listPackages(t) {
		if !under(p.rel(), "internal/adapter") || testSupport(p) {
			continue
		}
		for _, imp := range p.Imports {
			if r := relPath(imp); under(r, "internal/adapter") && technology(r) != technology(p.rel()) {
				t.Errorf("%s imports %s: one technology's adapter does not use another's", p.rel(), r)
			}
		}
	}
}

// TestOnlyAdaptersCallAWS: a package that imports an AWS service client is an adapter and lives under
// internal/adapter (or is a function's main, the local runtime or a test).
func TestOnlyAdaptersCallAWS(t *testing.T) {
	for _, p := range listPackages(t) {
		if under(p.rel(), "internal/adapter", "functions", "infra", "e2e") || testSupport(p) {
			continue
		}
		for _, imp := range p.Imports {
			if isAWSService(imp) {
				t.Errorf("%s imports %s: AWS clients are called from internal/adapter/<technology> only", p.rel(), imp)
			}
		}
	}
}

// TestNothingShipsTheLocalRuntime: infra/ runs the template locally; no function links it, and the
// packages that help tests use it (dynamotest) are imported by tests only.
func TestNothingShipsTheLocalRuntime(t *testing.T) {
	pkgs := listPackages(t)
	support := map[string]bool{}
	for _, p := range pkgs {
		if testSupport(p) {
			support[p.ImportPath] = true
		}
	}
	for _, p := range pkgs {
		if under(p.rel(), "infra", "e2e") || support[p.ImportPath] {
			continue
		}
		for _, imp := range p.Imports {
			if r := relPath(imp); r != "" && under(r, "infra") {
				t.Errorf("%s imports %s: nothing outside tests imports the local runtime", p.rel(), imp)
			}
			if support[imp] {
				t.Errorf("%s imports %s, which exists for tests only", p.rel(), imp)
			}
		}
		if under(p.rel(), "functions") {
			for _, d := range p.Deps {
				if r := relPath(d); r != "" && under(r, "infra") {
					t.Errorf("%s links %s", p.rel(), d)
				}
			}
		}
	}
}

// The functions' mains: each is one package main under functions/.
func functionsOf(t *testing.T, pkgs []pkg) map[string][]string {
	t.Helper()
	fns := map[string][]string{}
	for _, p := range pkgs {
		if under(p.rel(), "functions") && p.Name == "main" {
			fns[p.rel()[len("functions/"):]] = p.Deps
		}
	}
	if len(fns) < 20 {
		t.Fatalf("found %d functions", len(fns))
	}
	return fns
}

// Every package a function links is initialized at each of its cold starts, before main runs: a
// package's init (the SDK's endpoint tables and schemas, a compiled regexp) costs its time whether the
// function calls into it or not, and its code makes the binary larger. These are the links that cost
// the functions the most, and that nothing but an import keeps in (docs/benchmarks.md, cold start;
// docs/adr/README.md lists the records on the package splits and the held SDK modules).
func TestFunctionsLinkOnlyWhatTheyUse(t *testing.T) {
	const (
		sdkLoader   = "github.com/aws/aws-sdk-go-v2/config"
		dynamoDB    = "github.com/aws/aws-sdk-go-v2/service/dynamodb"
		webSocket   = module + "/internal/ws"
		managingAPI = "github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi"
		cognito     = "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
		sesV2       = "github.com/aws/aws-sdk-go-v2/service/sesv2"
		ssm         = "github.com/aws/aws-sdk-go-v2/service/ssm"
		stripe      = module + "/internal/adapter/stripe"
		payments    = module + "/internal/platform/boot/payments"
	)
	// The services held at their last release before schema-based serialization (go.mod says why).
	heldServices := []string{dynamoDB, dynamoDB + "streams", sesV2, ssm, "github.com/aws/aws-sdk-go-v2/service/sqs"}
	// The functions that call the payment provider, and the one that checks its webhooks' signatures:
	// they alone link the Stripe adapter and the SSM client its secrets are read with, and each builds
	// its provider or check through boot/payments, which refuses the sandbox on a prod stage.
	paymentFunctions := []string{"authorize-payment", "capture-payment", "confirm-order", "refund-payment", "refund-return", "recover-order", "stripe-webhook"}
	webSocketFunctions := []string{"notify-order-status", "ws-connect", "ws-disconnect", "ws-message", "ws-sweep"}
	// The notifier posts to connections, the sweeper deletes them, $connect asks after them at the cap.
	managingFunctions := []string{"notify-order-status", "ws-sweep", "ws-connect"}
	// The account endpoints talk to Cognito only; the relay and the saga starter get their data in the event.
	accountFunctions := []string{"login", "register", "refresh-token", "confirm-registration",
		"resend-confirmation", "forgot-password", "reset-password",
		"login-mfa", "set-up-mfa", "verify-mfa", "logout", "change-password", "change-email", "verify-email"}
	noDynamoDB := append([]string{"outbox-relay", "start-order-saga"}, accountFunctions...)
	// Registration, sign-in and the signed-in account call the user pool; send-email looks up the
	// customer's address there; ws-sweep checks that an admin connection's user is still in the admin group.
	cognitoFunctions := append([]string{"send-email", "ws-sweep"}, accountFunctions...)
	// The email function mails order outcomes; register mails the owner of an address registered again.
	mailers := []string{"send-email", "register"}
	for name, deps := range functionsOf(t, listPackages(t)) {
		if slices.Contains(deps, sdkLoader) {
			t.Errorf("%s links %s (the whole credential chain): build its aws.Config with envcfg (boot.AWS)", name, sdkLoader)
		}
		if !slices.Contains(webSocketFunctions, name) && slices.Contains(deps, webSocket) {
			t.Errorf("%s links %s, which only the WebSocket functions use", name, webSocket)
		}
		// Only the notifier and the sweeper call the Management API.
		if !slices.Contains(managingFunctions, name) && slices.Contains(deps, managingAPI) {
			t.Errorf("%s links %s, which only %v call", name, managingAPI, managingFunctions)
		}
		// Only the mailers render and send email (internal/email, internal/adapter/ses); the other
		// account functions reach Cognito through adapter/cognito, which links neither.
		if !slices.Contains(mailers, name) && slices.Contains(deps, module+"/internal/email") {
			t.Errorf("%s links internal/email, which only %v use", name, mailers)
		}
		if !slices.Contains(mailers, name) && slices.Contains(deps, sesV2) {
			t.Errorf("%s links %s, which only %v call", name, sesV2, mailers)
		}
		if slices.Contains(noDynamoDB, name) && slices.Contains(deps, dynamoDB) {
			t.Errorf("%s links %s without calling DynamoDB", name, dynamoDB)
		}
		if !slices.Contains(cognitoFunctions, name) && slices.Contains(deps, cognito) {
			t.Errorf("%s links %s without calling Cognito (web and ws need only package customer and auth's token check)", name, cognito)
		}
		for _, dep := range []string{stripe, ssm, payments} {
			if !slices.Contains(paymentFunctions, name) && slices.Contains(deps, dep) {
				t.Errorf("%s links %s, which only the payment functions and stripe-webhook use", name, dep)
			}
		}
		if slices.Contains(paymentFunctions, name) && !slices.Contains(deps, payments) {
			t.Errorf("%s builds its payment provider without internal/platform/boot/payments, which fails closed on a prod stage with the sandbox", name)
		}
		for _, p := range deps {
			// A small client over net/http, not Stripe's SDK (docs/adr/0012-stripe-without-stripe-go.md).
			if strings.HasPrefix(p, "github.com/stripe/stripe-go") {
				t.Errorf("%s links %s: Orion calls Stripe through internal/adapter/stripe", name, p)
			}
			if strings.HasSuffix(p, "/schemas") && slices.Contains(heldServices, strings.TrimSuffix(p, "/schemas")) {
				t.Errorf("%s links %s, whose init builds every shape's schema: "+
					"keep the SDK module at the release go.mod's comment names", name, p)
			}
		}
	}
}
