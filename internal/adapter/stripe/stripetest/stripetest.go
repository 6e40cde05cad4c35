// Package stripetest gives tests, and the local system, a stripe-mock: Stripe's official API mock
// (https://github.com/stripe/stripe-mock), which validates every request's path and parameters against
// Stripe's published OpenAPI spec and answers with fixture objects. It is stateless: whatever is sent,
// a PaymentIntent comes back in its fixture's status.
//
// The binary is stripe-mock from PATH, else Version built once with `go install` into the user cache
// directory. Tests use STRIPE_MOCK_URL when it is set (CI's shared stripe-mock), else a private one
// on a free port that lives as long as the test.
package stripetest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Module and Version pin the stripe-mock Orion tests against; its spec is the API version the adapter
// pins (stripe.APIVersion).
const (
	Module  = "github.com/stripe/stripe-mock"
	Version = "v0.203.0"
)

// URLEnv names a running stripe-mock's base URL.
const URLEnv = "STRIPE_MOCK_URL"

// URL returns a stripe-mock for t: STRIPE_MOCK_URL when set, else a private one with the bundled
// fixtures. It skips t when no stripe-mock can be had.
func URL(t testing.TB) string {
	t.Helper()
	if u := os.Getenv(URLEnv); u != "" {
		return strings.TrimRight(u, "/")
	}
	return Start(t, "")
}

// Start runs a private stripe-mock with the fixtures file (empty: the bundled fixtures), stopped when
// t ends, and returns its base URL. It checks the Stripe-Version of every request against its spec
// (-strict-version-check), so a pin that drifts from the mock's fails. It skips t when no stripe-mock
// can be had.
func Start(t testing.TB, fixtures string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	bin, err := Binary(ctx)
	if err != nil {
		t.Skipf("stripetest: no stripe-mock (%v): put stripe-mock on PATH, set %s, or let `go install %s@%s` reach the module proxy", err, URLEnv, Module, Version)
	}
	s, err := Run(ctx, Options{Binary: bin, Fixtures: fixtures})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s.URL
}

// Options configures Run.
type Options struct {
	// Binary is the stripe-mock to run; empty means Binary(ctx).
	Binary string
	// Addr is where it listens for HTTP; empty means a free port on 127.0.0.1.
	Addr string
	// Fixtures is a fixtures file (WriteFixtures); empty means the bundled ones.
	Fixtures string
	// Log receives stripe-mock's output (a line per request); nil discards it.
	Log io.Writer
}

// Server is a running stripe-mock.
type Server struct {
	URL  string
	cmd  *exec.Cmd
	done chan struct{}
	once sync.Once
}

// Run starts a stripe-mock and returns once it listens. It dies with the process that started it
// (Pdeathsig), so none outlives a killed test binary or `make dev`.
func Run(ctx context.Context, o Options) (*Server, error) {
	bin := o.Binary
	if bin == "" {
		var err error
		if bin, err = Binary(ctx); err != nil {
			return nil, err
		}
	}
	addr := o.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	// -https-addr too: stripe-mock v0.203.0 starts HTTPS on :12112 unless HTTP is asked for with
	// -http or -http-port (not -http-addr), so two private mocks would fight over that port.
	args := []string{"-http-addr", addr, "-https-addr", "127.0.0.1:0", "-strict-version-check"}
	if o.Fixtures != "" {
		args = append(args, "-fixtures", o.Fixtures)
	}
	cmd := exec.Command(bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("stripetest: start %s: %w", bin, err)
	}
	s := &Server{cmd: cmd, done: make(chan struct{})}
	log := o.Log
	if log == nil {
		log = io.Discard
	}
	// stripe-mock prints the address it listens on ("Listening for HTTP at address: 127.0.0.1:41234");
	// the rest of its output is drained for as long as it runs, or it would block on a full pipe.
	listening := make(chan string, 1)
	var head strings.Builder
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			if a, ok := strings.CutPrefix(line, "Listening for HTTP at address: "); ok {
				select {
				case listening <- a:
				default:
				}
			} else if head.Len() < 4<<10 {
				head.WriteString(line + "\n")
			}
			fmt.Fprintln(log, line)
		}
		io.Copy(log, out)
		cmd.Wait()
		close(s.done)
	}()
	select {
	case a := <-listening:
		s.URL = "http://" + a
		return s, nil
	case <-s.done:
		return nil, fmt.Errorf("stripetest: stripe-mock exited before listening:\n%s", head.String())
	case <-time.After(30 * time.Second):
		s.Close()
		return nil, errors.New("stripetest: stripe-mock did not listen within 30s")
	case <-ctx.Done():
		s.Close()
		return nil, ctx.Err()
	}
}

// Close stops the server.
func (s *Server) Close() error {
	s.once.Do(func() {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(5 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	})
	return nil
}

var building sync.Mutex

// Binary returns a stripe-mock executable: stripe-mock on PATH, else Version built with `go install`
// into the user cache directory (once per machine: later calls find it there).
func Binary(ctx context.Context) (string, error) {
	if p, err := exec.LookPath("stripe-mock"); err == nil {
		return p, nil
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(cache, "orion", "stripe-mock-"+Version)
	bin := filepath.Join(dir, "stripe-mock")
	building.Lock()
	defer building.Unlock()
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		return "", errors.New("no go command to build it with")
	}
	// Built into a directory of its own and renamed into place, so that two test binaries building at
	// once never run a half-written file.
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	cmd := exec.CommandContext(ctx, goTool, "install", Module+"@"+Version)
	cmd.Dir = tmp // outside any module: `go install pkg@version` builds the pinned module on its own
	cmd.Env = append(os.Environ(), "GOBIN="+tmp, "GOFLAGS=", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go install %s@%s: %w\n%s", Module, Version, err, out)
	}
	if err := os.Rename(filepath.Join(tmp, "stripe-mock"), bin); err != nil {
		return "", err
	}
	return bin, nil
}

// Fixtures writes Orion's fixtures (WriteFixtures) into t's temporary directory and returns the path.
func Fixtures(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	path := filepath.Join(t.TempDir(), "fixtures.json")
	if err := WriteFixtures(ctx, path); err != nil {
		t.Skipf("stripetest: no fixtures: %v", err)
	}
	return path
}

// The ids Orion's fixtures answer with.
const (
	PaymentIntentID = "pi_3OrionFixtureIntent"
	ChargeID        = "ch_3OrionFixtureCharge"
	RefundID        = "re_3OrionFixtureRefund"
)

// WriteFixtures writes a stripe-mock fixtures file (its -fixtures flag) for running Orion against
// it: Version's bundled fixtures (embedded/openapi/fixtures3.json of the module, from the module
// cache or the module proxy), with the PaymentIntent authorized and capturable as a manual-capture
// confirmation leaves it (status requires_capture, no error, no next action, a latest charge) and the
// Refund made on that intent, so that an authorization through stripe-mock approves the order. The
// bundled PaymentIntent is requires_payment_method, which the adapter reads as a decline.
func WriteFixtures(ctx context.Context, path string) error {
	src, err := bundledFixtures(ctx)
	if err != nil {
		return err
	}
	var doc map[string]any
	if err := json.Unmarshal(src, &doc); err != nil {
		return fmt.Errorf("stripetest: %s fixtures: %w", Version, err)
	}
	resources, _ := doc["resources"].(map[string]any)
	pi, _ := resources["payment_intent"].(map[string]any)
	re, _ := resources["refund"].(map[string]any)
	if pi == nil || re == nil {
		return fmt.Errorf("stripetest: %s fixtures have no payment_intent or refund", Version)
	}
	pi["id"] = PaymentIntentID
	pi["status"] = "requires_capture"
	pi["capture_method"] = "manual"
	pi["amount_capturable"] = pi["amount"]
	pi["latest_charge"] = ChargeID
	pi["last_payment_error"] = nil
	pi["next_action"] = nil
	pi["canceled_at"] = nil
	pi["cancellation_reason"] = nil
	re["id"] = RefundID
	re["payment_intent"] = PaymentIntentID
	re["charge"] = ChargeID
	re["status"] = "succeeded"
	out, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, out, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// bundledFixtures reads Version's fixtures3.json through `go mod download`, which finds the module in
// the module cache or fetches it (and checks it against go.sum's database, sum.golang.org).
func bundledFixtures(ctx context.Context) ([]byte, error) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		return nil, errors.New("no go command to find the module with")
	}
	cmd := exec.CommandContext(ctx, goTool, "mod", "download", "-json", Module+"@"+Version)
	cmd.Dir = os.TempDir() // outside any module, like Binary's build
	cmd.Env = append(os.Environ(), "GOFLAGS=")
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go mod download %s@%s: %w", Module, Version, err)
	}
	var mod struct{ Dir string }
	if err := json.Unmarshal(out, &mod); err != nil || mod.Dir == "" {
		return nil, fmt.Errorf("go mod download %s@%s: no directory in %s", Module, Version, out)
	}
	return os.ReadFile(filepath.Join(mod.Dir, "embedded", "openapi", "fixtures3.json"))
}
