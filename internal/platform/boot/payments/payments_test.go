package payments

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/orion-oss/orion/internal/payment"
	"github.com/orion-oss/orion/internal/platform/boot"
)

func env(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

// stripeEnv is a complete Stripe configuration of an AWS stage, changed by a case.
func stripeEnv(change map[string]string) map[string]string {
	vars := map[string]string{EnvProvider: payment.NameStripe, EnvStage: "prod", EnvSecretKeyParameter: "/orion-prod/stripe/secret-key",
		EnvLinkBase: "https://shop.example.org"}
	for k, v := range change {
		vars[k] = v
	}
	return vars
}

func TestProviderSelection(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     map[string]string
		sandbox bool   // the sandbox is chosen
		what    string // the setting a refusal names; "" when the settings are usable
	}{
		{"nothing set on dev", map[string]string{EnvStage: "dev"}, true, ""},
		{"sandbox on local", map[string]string{EnvProvider: "sandbox", EnvStage: "local"}, true, ""},
		{"sandbox on prod", map[string]string{EnvProvider: "sandbox", EnvStage: "prod"}, false, EnvProvider},
		{"nothing set on prod", map[string]string{EnvStage: "prod"}, false, EnvProvider},
		{"unknown provider", map[string]string{EnvProvider: "paypal", EnvStage: "dev"}, false, EnvProvider},
		{"stripe on prod", stripeEnv(nil), false, ""},
		{"stripe without the key's parameter", stripeEnv(map[string]string{EnvSecretKeyParameter: ""}), false, EnvSecretKeyParameter},
		{"stripe without a link base", stripeEnv(map[string]string{EnvLinkBase: ""}), false, EnvLinkBase},
		{"stripe with a relative link base", stripeEnv(map[string]string{EnvLinkBase: "/shop"}), false, EnvLinkBase},
		{"stripe over plain http on prod", stripeEnv(map[string]string{EnvAPIBase: "http://api.stripe.com"}), false, EnvAPIBase},
		{"stripe-mock on a local stage", stripeEnv(map[string]string{EnvStage: "local", EnvAPIBase: "http://stripe-mock:12111"}), false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := provider(env(tc.env), nil)
			var se *settingError
			switch {
			case tc.what != "":
				if !errors.As(err, &se) || se.name != tc.what {
					t.Fatalf("provider = %v, %v; want a refusal naming %s", p, err, tc.what)
				}
			case errors.As(err, &se):
				t.Fatalf("provider refused usable settings: %v", err)
			case tc.sandbox && p != payment.Sandbox{}:
				t.Fatalf("provider = %#v, %v; want the sandbox", p, err)
			case !tc.sandbox && p == payment.Sandbox{}:
				t.Fatal("a Stripe configuration got the sandbox")
			}
		})
	}
	// A prod stage that names the sandbox is refused with the payment port's own error.
	if _, err := provider(env(map[string]string{EnvProvider: "sandbox", EnvStage: "prod"}), nil); !errors.Is(err, payment.ErrSandboxInProduction) {
		t.Fatalf("sandbox on prod: %v; want ErrSandboxInProduction", err)
	}
}

func TestStripeSettings(t *testing.T) {
	s, err := stripeFromEnv(env(stripeEnv(nil)))
	if err != nil {
		t.Fatal(err)
	}
	if s.APIBase != DefaultAPIBase {
		t.Errorf("API base %q; want Stripe's own by default", s.APIBase)
	}
	for _, base := range []string{"https://shop.example.org", "https://shop.example.org/"} {
		s.LinkBase = base
		if got := s.ReturnURL("01J0ABC"); got != "https://shop.example.org/orders/01J0ABC" {
			t.Errorf("LinkBase %q: ReturnURL = %q", base, got)
		}
	}
}

func TestCheckAPIBase(t *testing.T) {
	for _, tc := range []struct {
		base, stage string
		ok          bool
	}{
		{"https://api.stripe.com", "prod", true},
		{"https://api.stripe.com/", "dev", true},
		{"http://127.0.0.1:12111", "dev", true}, // stripe-mock beside the tests
		{"http://localhost:12111", "prod", true},
		{"http://[::1]:12111", "dev", true},
		{"http://stripe-mock:12111", "local", true},
		{"http://stripe-mock:12111", "dev", false},
		{"http://api.stripe.com", "prod", false},
		{"https://api.stripe.com/v1", "prod", false}, // the adapter adds the version's path
		{"https://api.stripe.com?x=1", "prod", false},
		{"ftp://api.stripe.com", "prod", false},
		{"api.stripe.com", "prod", false},
	} {
		if err := checkAPIBase(tc.base, tc.stage); (err == nil) != tc.ok {
			t.Errorf("checkAPIBase(%q, %s) = %v; want ok %v", tc.base, tc.stage, err, tc.ok)
		}
	}
}

const childEnv = "ORION_PAYMENTS_TEST_CHILD"

// A payment function on a prod stage with the sandbox stops at start with exit status 1 and one JSON
// line naming PAYMENT_PROVIDER, before it takes a single saga step: Lambda reports Runtime.ExitError
// and the order's step is retried, then compensated, never approved for free.
func TestProdWithTheSandboxStopsAtStart(t *testing.T) {
	if os.Getenv(childEnv) == "1" {
		log := boot.Logger()
		Provider(log, nil)
		log.Info("started") // never reached
		return
	}
	for _, provider := range []string{"sandbox", ""} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestProdWithTheSandboxStopsAtStart$")
		cmd.Env = append(os.Environ(), childEnv+"=1", "STAGE=prod", "PAYMENT_PROVIDER="+provider, "LOG_LEVEL=INFO")
		line := oneLine(t, cmd)
		if line["level"] != "ERROR" || line["msg"] != "init failed" || line["what"] != EnvProvider ||
			!strings.Contains(line["error"].(string), "sandbox") {
			t.Errorf("PAYMENT_PROVIDER=%q: line %v; want an ERROR naming PAYMENT_PROVIDER and the sandbox", provider, line)
		}
	}
}

// The webhook function cannot check a signature without the secret's parameter: it stops at start.
func TestWebhookWithoutItsSecretStopsAtStart(t *testing.T) {
	if os.Getenv(childEnv) == "1" {
		Webhook(boot.Logger(), nil)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestWebhookWithoutItsSecretStopsAtStart$")
	cmd.Env = append(os.Environ(), childEnv+"=1", EnvWebhookSecretParameter+"=")
	if line := oneLine(t, cmd); line["what"] != EnvWebhookSecretParameter || line["error"] != "is not set" {
		t.Errorf("line %v; want one naming %s", line, EnvWebhookSecretParameter)
	}
}

// oneLine runs a child that must exit with status 1 after writing exactly one JSON line.
func oneLine(t *testing.T, cmd *exec.Cmd) map[string]any {
	t.Helper()
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("child: %v; want exit status 1\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 1 {
		t.Fatalf("child wrote %d lines; want one:\n%s", len(lines), out)
	}
	var line map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &line); err != nil {
		t.Fatalf("not a JSON line: %v\n%s", err, out)
	}
	return line
}
