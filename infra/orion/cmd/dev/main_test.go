package main_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/orion-oss/orion/infra/engine/iampolicy"
	"github.com/orion-oss/orion/infra/engine/localaws"
	"github.com/orion-oss/orion/infra/orion/totp"
	"github.com/orion-oss/orion/internal/adapter/dynamo"
	"github.com/orion-oss/orion/internal/adapter/stripe/stripetest"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/platform/awscfg"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// devRun is one orion-local started by startDev: its addresses, its banner, and its output after the
// banner, line by line.
type devRun struct {
	cmd                                              *exec.Cmd
	awsAddr, httpAddr, edgeAddr, wsAddr, consoleAddr string
	outputs, calls                                   string // the files of -outputs and -record-calls
	banner                                           string
	lines                                            <-chan string
}

// startDev builds the dev command and runs it as `make dev` does, on free ports and with env added to
// the test's environment, from a directory of its own (what it writes relative to its working
// directory, such as stripe-mock's fixtures, stays out of the source tree), until its banner says
// it is ready.
func startDev(t *testing.T, env ...string) *devRun {
	t.Helper()
	root, err := filepath.Abs("../../../..")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "orion-local")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	d := &devRun{awsAddr: freeAddr(t), httpAddr: freeAddr(t), edgeAddr: freeAddr(t), wsAddr: freeAddr(t), consoleAddr: freeAddr(t)}
	_, httpPort, _ := net.SplitHostPort(d.httpAddr)
	_, edgePort, _ := net.SplitHostPort(d.edgeAddr)
	_, wsPort, _ := net.SplitHostPort(d.wsAddr)
	_, consolePort, _ := net.SplitHostPort(d.consoleAddr)
	d.outputs, d.calls = filepath.Join(t.TempDir(), "dev", "outputs.json"), filepath.Join(t.TempDir(), "calls.json")
	d.cmd = exec.Command(bin, "-template", filepath.Join(root, "template.yaml"), "-bin", filepath.Join(root, "build", "host"),
		"-outputs", d.outputs, "-record-calls", d.calls)
	d.cmd.Dir = t.TempDir()
	d.cmd.Env = append(os.Environ(), "ORION_AWS_ADDR="+d.awsAddr, "ORION_HTTP_PORT="+httpPort, "ORION_EDGE_PORT="+edgePort, "ORION_WS_PORT="+wsPort, "ORION_CONSOLE_PORT="+consolePort, "AWS_ENDPOINT_URL=",
		"ORION_ADMIN_PASSWORD=")
	d.cmd.Env = append(d.cmd.Env, env...)
	stdout, _ := d.cmd.StdoutPipe()
	d.cmd.Stderr = os.Stderr
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.cmd.Process.Kill() })

	ready := make(chan string, 1)
	lines := make(chan string, 10000)
	go func() {
		sc := bufio.NewScanner(stdout)
		var all []string
		for sc.Scan() {
			all = append(all, sc.Text())
			lines <- sc.Text()
			if strings.Contains(sc.Text(), "Ctrl-C stops everything") {
				ready <- strings.Join(all, "\n")
			}
		}
		close(lines)
		close(ready) // the process ended before it was ready
	}()
	d.lines = lines
	select {
	case b, ok := <-ready:
		if !ok {
			t.Fatal("orion-local exited before it was ready (its error is above)")
		}
		d.banner = b
	case <-time.After(60 * time.Second):
		t.Fatal("not ready within 60s")
	}
	return d
}

// stop presses Ctrl-C and expects a clean exit within 20s.
func (d *devRun) stop(t *testing.T) {
	t.Helper()
	d.cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- d.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after Ctrl-C: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("did not stop within 20s of Ctrl-C")
	}
}

// `make dev` from the project's template: ready, answering, and gone without a trace after Ctrl-C,
// including the moto_server it started itself.
func TestDevRunsTheTemplateAndStopsCleanly(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the whole system")
	}
	d := startDev(t)
	awsAddr, httpAddr, edgeAddr, wsAddr, banner, lines := d.awsAddr, d.httpAddr, d.edgeAddr, d.wsAddr, d.banner, d.lines
	for _, want := range []string{"console        http://" + d.consoleAddr, "http://" + httpAddr, "http://" + edgeAddr, "ws://" + wsAddr, "subscribe -> ", "admin@orion.local", "demo catalog   6 items", "UserPoolId", regexp.QuoteMeta("ready in"),
		"payments       sandbox", "webhooks       POST http://" + regexp.QuoteMeta(httpAddr) + "/webhooks/stripe, signing secret in SSM /orion-local/stripe/webhook-secret"} {
		if !regexp.MustCompile(want).MatchString(banner) {
			t.Errorf("banner lacks %q:\n%s", want, banner)
		}
	}
	// The admin password is made for this run and printed.
	if m := regexp.MustCompile(`admin@orion\.local / (\S+)   \(new each run`).FindStringSubmatch(banner); m == nil || len(m[1]) != 20 || m[1] == "Orion-Admin-2026!" {
		t.Errorf("banner lacks a generated admin password:\n%s", banner)
	}
	// The admin is enrolled in TOTP with a secret printed for this run: the local admin signs in as
	// every admin must, password then code.
	if m, s := regexp.MustCompile(`admin@orion\.local / (\S+)   \(new each run`).FindStringSubmatch(banner),
		regexp.MustCompile(`admin TOTP     secret (\S+), new each run`).FindStringSubmatch(banner); m == nil || s == nil {
		t.Errorf("banner lacks the admin's TOTP secret:\n%s", banner)
	} else {
		adminSignsInWithTOTP(t, "http://"+httpAddr, m[1], s[1])
	}
	// The AWS endpoint is for local processes: a web page's request is refused, the SDK's is not.
	for origin, want := range map[string]int{"https://evil.example": http.StatusForbidden, "": http.StatusOK} {
		req, _ := http.NewRequest(http.MethodPost, "http://"+edgeAddr+"/", strings.NewReader("{}"))
		req.Header.Set("X-Amz-Target", "DynamoDB_20120810.ListTables")
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x")
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want || resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("edge, Origin %q: %d %v; want %d, no CORS", origin, resp.StatusCode, resp.Header, want)
		}
	}
	// The outputs file has the template's outputs with the local URLs, in DescribeStacks' shape.
	var out map[string]string
	if b, err := os.ReadFile(d.outputs); err != nil || json.Unmarshal(b, &out) != nil {
		t.Fatalf("outputs file: %v %s", err, b)
	}
	for k, want := range map[string]string{"ApiUrl": "http://" + httpAddr, "WebSocketUrl": "ws://" + wsAddr, "AwsEndpointUrl": "http://" + edgeAddr, "StackName": "orion-local",
		"ConsoleUrl": "http://" + d.consoleAddr} {
		if out[k] != want {
			t.Errorf("outputs %s = %q; want %q", k, out[k], want)
		}
	}
	if out["UserPoolId"] == "" || out["OrderSagaStateMachineArn"] == "" || out["EventBusName"] == "" {
		t.Errorf("outputs lack the template's own: %v", out)
	}
	consoleServesTheSystem(t, "http://"+d.consoleAddr, "http://"+httpAddr, "ws://"+wsAddr)
	if kind, err := localaws.Probe(context.Background(), awsAddr); err != nil || kind != localaws.KindMoto {
		t.Fatalf("emulator at %s: %q %v", awsAddr, kind, err)
	}
	resp, err := http.Get("http://" + httpAddr + "/nothing")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("unknown route: %d", resp.StatusCode)
	}

	// The seeded catalog's events travel outbox -> stream -> pipe -> bus (with no AWS_ENDPOINT_URL in
	// the runtime's own environment, as under `make dev`).
	deadline := time.After(15 * time.Second)
	waitForLine(t, lines, deadline, "✉ InventoryUpdated", "no InventoryUpdated event reached the bus within 15s")
	// ... and the projector writes the catalog from them: calls for -record-calls to write.
	waitForLine(t, lines, deadline, "λ orion-local-ProjectOrdersFunction", "the projector did not run within 15s")

	d.stop(t)
	// Its URLs answer no more: the outputs file is gone. The calls file has the projector's calls for
	// the seeded catalog.
	if _, err := os.Stat(d.outputs); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("outputs file after Ctrl-C: %v", err)
	}
	var recorded map[string]map[string]int
	if b, err := os.ReadFile(d.calls); err != nil || json.Unmarshal(b, &recorded) != nil || len(recorded["ProjectOrdersFunction"]) == 0 {
		t.Errorf("recorded calls: %v %v", err, recorded)
	}
	for _, addr := range []string{awsAddr, httpAddr, edgeAddr, wsAddr, d.consoleAddr} {
		if _, err := localaws.Probe(context.Background(), addr); !errors.Is(err, localaws.ErrNothingListening) {
			t.Errorf("%s still answers after Ctrl-C: %v", addr, err)
		}
	}
}

// consoleServesTheSystem: the console's page, and its config.json naming this system's APIs (the
// browser tests drive the page itself: e2e/console_test.go).
func consoleServesTheSystem(t *testing.T, consoleURL, api, ws string) {
	t.Helper()
	resp, err := http.Get(consoleURL + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), `src="js/main.js"`) || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "connect-src 'self' "+api+" "+ws) {
		t.Errorf("console page: %d %v\n%s", resp.StatusCode, resp.Header, page)
	}
	resp, err = http.Get(consoleURL + "/config.json")
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]string
	err = json.NewDecoder(resp.Body).Decode(&cfg)
	resp.Body.Close()
	if err != nil || cfg["apiUrl"] != api || cfg["webSocketUrl"] != ws {
		t.Errorf("console config.json = %v (%v); want the system's URLs", cfg, err)
	}
}

// waitForLine reads output lines until one contains want, failing with timeout once deadline fires.
func waitForLine(t *testing.T, lines <-chan string, deadline <-chan time.Time, want, timeout string) {
	t.Helper()
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("output ended")
			}
			if strings.Contains(l, want) {
				return
			}
		case <-deadline:
			t.Fatal(timeout)
		}
	}
}

// `make dev PAYMENTS=stripe-mock` takes an order's money through the Stripe adapter, end to end: the
// template parameters reach the payment functions (PAYMENT_PROVIDER, STRIPE_API_BASE,
// STRIPE_SECRET_KEY_PARAMETER), they read the secret key the dev command seeded in SSM on their first
// payment call, stripe-mock with Orion's fixtures authorizes and captures, and the order is CONFIRMED.
// The sandbox path runs in the e2e suite; nothing else runs this path with the real function binaries.
func TestDevWithStripeMockConfirmsAnOrderThroughStripe(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the whole system and stripe-mock")
	}
	start := time.Now()
	// STRIPE_MOCK_URL emptied: make test exports the shared stripe-mock of the other packages, which
	// answers with the bundled fixtures (a PaymentIntent the adapter reads as a decline), and this test
	// is about the stripe-mock the dev command starts itself with Orion's, and stops.
	d := startDev(t, "ORION_PAYMENTS=stripe-mock", "STRIPE_MOCK_URL=")
	m := regexp.MustCompile(`payments       stripe-mock, Stripe API (http://127\.0\.0\.1:\d+)\n`).FindStringSubmatch(d.banner)
	if m == nil {
		t.Fatalf("the banner does not name the stripe-mock it runs:\n%s", d.banner)
	}
	mockAddr := strings.TrimPrefix(m[1], "http://")
	t.Logf("ready in %s, stripe-mock at %s", time.Since(start).Round(time.Millisecond), mockAddr)
	api := "http://" + d.httpAddr

	// A customer as any client makes one: 202 "check your mail" for every address, and the local stage
	// confirms users on sign-up (AutoConfirmUsers).
	creds := `{"email":"stripe-buyer@example.com","password":"Correct-Horse-9-Battery"}`
	if r, b := call(t, "POST", api+"/auth/register", "", "", strings.Replace(creds, "}", `,"name":"Stripe Buyer"}`, 1)); r != 202 {
		t.Fatalf("register: %d %s", r, b)
	}
	r, b := call(t, "POST", api+"/auth/login", "", "", creds)
	var login struct{ AccessToken string }
	if r != 200 || json.Unmarshal(b, &login) != nil || login.AccessToken == "" {
		t.Fatalf("login: %d %s", r, b)
	}

	// pm_card_visa is Stripe's test PaymentMethod; the sandbox declines it (invalid_token), so an order
	// with it confirms only through Stripe. The mug is in the seeded demo catalog (catalog.json).
	r, b = call(t, "POST", api+"/orders", login.AccessToken, "stripe-mock-order-1", `{"items":[{"sku":"ORN-MUG-01","quantity":1}],"paymentToken":"pm_card_visa"}`)
	var placed struct{ OrderID string }
	if r != 202 || json.Unmarshal(b, &placed) != nil || placed.OrderID == "" {
		t.Fatalf("place: %d %s", r, b)
	}
	var got struct{ Status, StatusReason string }
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		r, b = call(t, "GET", api+"/orders/"+placed.OrderID, login.AccessToken, "", "")
		if r != 200 || json.Unmarshal(b, &got) != nil {
			t.Fatalf("get: %d %s", r, b)
		}
		if got.Status != "PENDING" && got.Status != "RESERVED" && got.Status != "PAYMENT_AUTHORIZED" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the order is still %s after 30s", got.Status)
		}
	}
	if got.Status != "CONFIRMED" {
		t.Fatalf("the order ended %s (%s); want CONFIRMED: %s", got.Status, got.StatusReason, b)
	}

	// The order holds what stripe-mock answered: a PaymentIntent (stripe-mock names a created object
	// afresh, so only its prefix is known) captured by the charge of Orion's fixtures, an id the
	// sandbox never makes.
	var outs map[string]string
	if b, err := os.ReadFile(d.outputs); err != nil || json.Unmarshal(b, &outs) != nil {
		t.Fatalf("outputs file: %v %s", err, b)
	}
	cfg, err := awscfg.Load(context.Background(), config.WithBaseEndpoint("http://"+d.awsAddr),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("test", "test", "")))
	if err != nil {
		t.Fatal(err)
	}
	o, err := dynamo.NewOrderRepository(dynamodb.NewFromConfig(cfg), dynamo.Tables{Orders: outs["OrdersTableName"], Outbox: outs["OutboxTableName"]}).
		Get(context.Background(), order.ID(placed.OrderID))
	if err != nil {
		t.Fatal(err)
	}
	if p := o.Payment(); !strings.HasPrefix(p.AuthorizationID, "pi_") || p.CaptureID != stripetest.ChargeID {
		t.Errorf("payment %+v; want a PaymentIntent captured by %s (stripe-mock's fixtures)", p, stripetest.ChargeID)
	}
	// The capture is a domain event on the bus, through the outbox like any other.
	waitForLine(t, d.lines, time.After(15*time.Second), "✉ PaymentCaptured", "no PaymentCaptured event reached the bus within 15s")

	d.stop(t)
	t.Logf("stopped %s after start", time.Since(start).Round(time.Millisecond))
	if _, err := net.DialTimeout("tcp", mockAddr, time.Second); err == nil {
		t.Errorf("stripe-mock still answers at %s after Ctrl-C", mockAddr)
	}
	// The payment steps read the secret key with their own credentials (their roles on AWS): the lazy
	// SSM read of internal/platform/boot/payments, which the sandbox never makes.
	var recorded map[string]map[string]int
	if b, err := os.ReadFile(d.calls); err != nil || json.Unmarshal(b, &recorded) != nil {
		t.Fatalf("recorded calls: %v %s", err, b)
	}
	for _, fn := range []string{"AuthorizePaymentFunction", "ConfirmOrderFunction"} {
		if recorded[fn]["ssm:GetParameter"] == 0 {
			t.Errorf("%s did not read the secret key from SSM: %v", fn, recorded[fn])
		}
	}
	// The local runtime does not enforce IAM: every call of this run must be one the function's role in
	// the transformed template allows, or it is AccessDenied on AWS (as e2e/iam_test.go checks for the
	// sandbox's run, which has no Stripe calls).
	t.Run("the calls are allowed by the roles", func(t *testing.T) {
		// With the dev system's parameters: its stack auto-confirms users (localParameters).
		tpl := iampolicy.TransformedWith(t, "../../../..", map[string]string{"Stage": "local", "AutoConfirmUsers": "true", "CreateEmailIdentity": "true"})
		for fn, ops := range recorded {
			role, ok := tpl.Roles[tpl.FunctionRoles[fn]]
			if !ok {
				t.Errorf("%s made calls but has no role in the transformed template", fn)
				continue
			}
			for op := range ops {
				allowed := false
				for _, a := range iampolicy.CallActions(op) {
					allowed = allowed || role.Allows(a)
				}
				if !allowed {
					t.Errorf("%s called %s; its role allows none of %v", fn, op, iampolicy.CallActions(op))
				}
			}
		}
	})
}

// call sends a JSON request (with a bearer token and an Idempotency-Key when given) and returns the
// status and body.
func call(t *testing.T, method, url, token, key, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// adminSignsInWithTOTP logs the seeded admin in through the HTTP API: the login answers the MFA
// challenge, and the code computed from the printed secret gets the tokens.
func adminSignsInWithTOTP(t *testing.T, api, password, secret string) {
	t.Helper()
	post := func(path string, body any) map[string]any {
		b, _ := json.Marshal(body)
		resp, err := http.Post(api+path, "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&m); err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %d %v %v", path, resp.StatusCode, m, err)
		}
		return m
	}
	c := post("/auth/login", map[string]string{"email": "admin@orion.local", "password": password})
	if c["challenge"] != "SOFTWARE_TOKEN_MFA" {
		t.Fatalf("admin login: %v; want the TOTP challenge", c)
	}
	code, err := totp.Code(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if tok := post("/auth/login/mfa", map[string]any{"email": "admin@orion.local", "session": c["session"], "code": code}); tok["accessToken"] == nil {
		t.Fatalf("admin login with the code: %v", tok)
	}
}
