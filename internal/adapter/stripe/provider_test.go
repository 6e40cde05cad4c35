package stripe_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orion-oss/orion/internal/adapter/stripe"
	"github.com/orion-oss/orion/internal/adapter/stripe/stripetest"
	"github.com/orion-oss/orion/internal/money"
	"github.com/orion-oss/orion/internal/payment"
)

// These tests send the adapter's real requests to stripe-mock, which checks each path and parameter
// against Stripe's OpenAPI spec (and, when stripetest starts it, the pinned Stripe-Version): a request
// Stripe would refuse comes back 400, which the adapter reads as ErrMisconfigured and the test fails.

const orderID = "01JDQ7Z3M6X9V0YB2C4D5E6F7G"

// exchange is one request the adapter sent and what came back.
type exchange struct {
	method, path   string
	idempotencyKey string // sent
	version        string // sent Stripe-Version
	echoedKey      string // the Idempotency-Key stripe-mock echoes, as Stripe does
	status         int
	form           url.Values // a POST's parameters
	query          url.Values
}

// recorder is the real transport, keeping what went through it.
type recorder struct {
	mu  sync.Mutex
	log []exchange
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var form url.Values
	if req.GetBody != nil {
		if body, err := req.GetBody(); err == nil {
			b, _ := io.ReadAll(body)
			form, _ = url.ParseQuery(string(b))
		}
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err == nil {
		r.mu.Lock()
		r.log = append(r.log, exchange{method: req.Method, path: req.URL.Path, idempotencyKey: req.Header.Get("Idempotency-Key"),
			version: req.Header.Get("Stripe-Version"), echoedKey: resp.Header.Get("Idempotency-Key"), status: resp.StatusCode,
			form: form, query: req.URL.Query()})
		r.mu.Unlock()
	}
	return resp, err
}

func provider(url string, rec *recorder, key string) *stripe.Provider {
	return stripe.New(stripe.Config{
		BaseURL:    url,
		APIKey:     func(context.Context) (string, error) { return key, nil },
		ReturnURL:  func(id string) string { return "https://shop.example.com/orders/" + id },
		HTTPClient: &http.Client{Transport: rec, Timeout: 5 * time.Second},
	})
}

func amount(t *testing.T, minor int64, currency string) money.Money {
	t.Helper()
	m, err := money.New(minor, currency)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// The whole lifecycle against stripe-mock with Orion's fixtures (an intent held for capture): every
// request passes Stripe's spec, carries the pinned version and the operation's idempotency key.
func TestLifecycleAgainstStripeMock(t *testing.T) {
	url := stripetest.Start(t, stripetest.Fixtures(t))
	rec := &recorder{}
	p := provider(url, rec, "sk_test_4eC39HqLyjWDarjtT1zdp7dc")
	ctx := context.Background()

	for _, total := range []money.Money{amount(t, 125950, "USD"), amount(t, 1500, "JPY"), amount(t, 5, "ISK"), amount(t, 5120, "KWD")} {
		auth, err := p.Authorize(ctx, payment.AuthorizeRequest{OrderID: orderID, IdempotencyKey: payment.Key(orderID, payment.OpAuthorize),
			Token: "pm_card_visa", Amount: total})
		// stripe-mock gives a created object an id of its own.
		if err != nil || !strings.HasPrefix(auth.ID, "pi_") || auth.Action != nil {
			t.Fatalf("authorize %v: %+v, %v", total, auth, err)
		}
	}
	total := amount(t, 125950, "USD")
	captureID, err := p.Capture(ctx, payment.CaptureRequest{OrderID: orderID, IdempotencyKey: payment.Key(orderID, payment.OpCapture),
		AuthorizationID: stripetest.PaymentIntentID, Amount: total})
	if err != nil || captureID != stripetest.ChargeID {
		t.Fatalf("capture: %q, %v; want the intent's latest charge", captureID, err)
	}
	if err := p.Void(ctx, payment.VoidRequest{OrderID: orderID, IdempotencyKey: payment.Key(orderID, payment.OpVoid),
		AuthorizationID: stripetest.PaymentIntentID}); err != nil {
		t.Fatalf("void: %v", err)
	}
	refundID, err := p.Refund(ctx, payment.RefundRequest{OrderID: orderID, IdempotencyKey: payment.Key(orderID, payment.OpRefund),
		AuthorizationID: stripetest.PaymentIntentID, Amount: total})
	if err != nil || !strings.HasPrefix(refundID, "re_") {
		t.Fatalf("refund: %q, %v", refundID, err)
	}
	if _, err := p.OrderOf(ctx, stripetest.PaymentIntentID); err != nil {
		t.Fatalf("order of: %v", err)
	}

	want := []struct{ method, path, key string }{
		{"POST", "/v1/payment_intents", payment.Key(orderID, payment.OpAuthorize)},
		{"POST", "/v1/payment_intents", payment.Key(orderID, payment.OpAuthorize)},
		{"POST", "/v1/payment_intents", payment.Key(orderID, payment.OpAuthorize)},
		{"POST", "/v1/payment_intents", payment.Key(orderID, payment.OpAuthorize)},
		{"POST", "/v1/payment_intents/" + stripetest.PaymentIntentID + "/capture", payment.Key(orderID, payment.OpCapture)},
		{"POST", "/v1/payment_intents/" + stripetest.PaymentIntentID + "/cancel", payment.Key(orderID, payment.OpVoid)},
		{"POST", "/v1/refunds", payment.Key(orderID, payment.OpRefund)},
		{"GET", "/v1/payment_intents/" + stripetest.PaymentIntentID, ""},
	}
	if len(rec.log) != len(want) {
		t.Fatalf("%d requests: %+v", len(rec.log), rec.log)
	}
	for i, w := range want {
		x := rec.log[i]
		if x.method != w.method || x.path != w.path || x.idempotencyKey != w.key || x.echoedKey != w.key ||
			x.version != stripe.APIVersion || x.status != 200 {
			t.Errorf("request %d: %+v; want %s %s with key %q", i, x, w.method, w.path, w.key)
		}
	}
	// Cards only, with everything else the authorization sends: stripe-mock answered 200 above, so
	// Stripe's spec takes payment_method_types with manual capture, confirm and return_url.
	for _, x := range rec.log[:4] {
		if got := x.form["payment_method_types[]"]; len(got) != 1 || got[0] != "card" ||
			x.form.Get("capture_method") != "manual" || x.form.Get("confirm") != "true" || x.form.Get("return_url") == "" {
			t.Errorf("authorize sent %v; want payment_method_types[]=card with manual capture", x.form)
		}
	}
}

// Whatever fixtures the stripe-mock has (CI may share one through STRIPE_MOCK_URL), the adapter's
// requests are valid: each answer is an authorization or a decline read from the intent, never the
// misconfiguration a 400 would be. With the bundled fixtures the intent is requires_payment_method.
func TestRequestsPassStripesSpec(t *testing.T) {
	p := provider(stripetest.URL(t), &recorder{}, "sk_test_4eC39HqLyjWDarjtT1zdp7dc")
	ctx := context.Background()
	_, err := p.Authorize(ctx, payment.AuthorizeRequest{OrderID: orderID, IdempotencyKey: payment.Key(orderID, payment.OpAuthorize),
		Token: "pm_card_visa", Amount: amount(t, 2000, "EUR")})
	var declined *payment.DeclinedError
	if err != nil && !errors.As(err, &declined) {
		t.Fatalf("authorize: %v", err)
	}
	if _, err := p.Capture(ctx, payment.CaptureRequest{OrderID: orderID, IdempotencyKey: "k-capture", AuthorizationID: "pi_123",
		Amount: amount(t, 2000, "EUR")}); err != nil {
		t.Fatalf("capture: %v", err)
	}
	if err := p.Void(ctx, payment.VoidRequest{OrderID: orderID, IdempotencyKey: "k-void", AuthorizationID: "pi_123"}); err != nil {
		t.Fatalf("void: %v", err)
	}
	if _, err := p.Refund(ctx, payment.RefundRequest{OrderID: orderID, IdempotencyKey: "k-refund", AuthorizationID: "pi_123",
		Amount: amount(t, 2000, "EUR")}); err != nil && !errors.As(err, &declined) {
		t.Fatalf("refund: %v", err)
	}
}

// A key stripe-mock refuses (not a test key) is ErrMisconfigured, and neither the key nor the token
// reaches the error, though stripe-mock's message quotes the Authorization header.
func TestRefusedKeyIsMisconfigured(t *testing.T) {
	const key, token = "sk_live_51HxYzNotForTests", "pm_1NSecretCardToken"
	p := provider(stripetest.Start(t, ""), &recorder{}, key)
	_, err := p.Authorize(context.Background(), payment.AuthorizeRequest{OrderID: orderID, IdempotencyKey: "k", Token: token,
		Amount: amount(t, 2000, "USD")})
	if !errors.Is(err, payment.ErrMisconfigured) {
		t.Fatalf("%v; want ErrMisconfigured", err)
	}
	if text := err.Error(); strings.Contains(text, key) || strings.Contains(text, "NotForTests") || strings.Contains(text, token) {
		t.Fatalf("%q holds a secret", text)
	}
}

// A pinned version stripe-mock's spec does not have is refused (-strict-version-check): this is what
// keeps APIVersion equal to the spec the adapter is tested against.
func TestVersionIsTheMocksSpec(t *testing.T) {
	url := stripetest.Start(t, "")
	req, _ := http.NewRequest(http.MethodGet, url+"/v1/payment_intents/pi_123", nil)
	req.Header.Set("Authorization", "Bearer sk_test_123")
	req.Header.Set("Stripe-Version", "2020-08-27")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Fatalf("an old version answered %d; want 400 from -strict-version-check", resp.StatusCode)
	}
	p := provider(url, &recorder{}, "sk_test_123")
	if _, err := p.OrderOf(context.Background(), "pi_123"); err != nil {
		t.Fatalf("APIVersion %s: %v", stripe.APIVersion, err)
	}
}

// Nothing answers, or something answers too slowly: ErrUnavailable, so the saga retries with the same
// idempotency key.
func TestNetworkFailuresAreUnavailable(t *testing.T) {
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedURL := "http://" + closed.Addr().String()
	closed.Close()

	silent, err := net.Listen("tcp", "127.0.0.1:0") // accepts connections and never answers
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { silent.Close() })
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()

	for name, p := range map[string]*stripe.Provider{
		"connection refused": provider(closedURL, &recorder{}, "sk_test_123"),
		"timeout": stripe.New(stripe.Config{BaseURL: "http://" + silent.Addr().String(),
			APIKey:     func(context.Context) (string, error) { return "sk_test_123", nil },
			HTTPClient: &http.Client{Timeout: 100 * time.Millisecond}}),
	} {
		if err := p.Void(context.Background(), payment.VoidRequest{OrderID: orderID, IdempotencyKey: "k", AuthorizationID: "pi_123"}); !errors.Is(err, payment.ErrUnavailable) {
			t.Errorf("%s: %v; want ErrUnavailable", name, err)
		}
	}
}

// The key is read at the first call, not by New; a source that fails is configuration, one that ran
// out of time is an outage.
func TestAPIKeyIsReadLazily(t *testing.T) {
	var reads atomic.Int32
	var fail error
	p := stripe.New(stripe.Config{BaseURL: stripetest.Start(t, ""), APIKey: func(context.Context) (string, error) {
		reads.Add(1)
		return "sk_test_123", fail
	}})
	if reads.Load() != 0 {
		t.Fatal("New read the key")
	}
	if _, err := p.OrderOf(context.Background(), "pi_123"); err != nil || reads.Load() != 1 {
		t.Fatalf("%v, %d reads", err, reads.Load())
	}
	for _, c := range []struct {
		err  error
		want error
	}{
		{errors.New("ssm: reading /orion/stripe/secret-key: ParameterNotFound"), payment.ErrMisconfigured},
		{context.DeadlineExceeded, payment.ErrUnavailable},
		{fmt.Errorf("%w: ssm: throttled", payment.ErrUnavailable), payment.ErrUnavailable},
	} {
		fail = c.err
		if _, err := p.OrderOf(context.Background(), "pi_123"); !errors.Is(err, c.want) {
			t.Errorf("key source %v: %v; want %v", c.err, err, c.want)
		}
	}
}

// A refund Stripe refuses because the charge was refunded in full already (in the dashboard) is
// completed by that refund: the intent's refunds are listed, and the latest one that did not fail is
// the answer. The listing is checked against Stripe's spec here; the refusal's mapping in errors_test.
func TestLastRefundOfAnIntent(t *testing.T) {
	p := stripe.New(stripe.Config{BaseURL: stripetest.URL(t), APIKey: func(context.Context) (string, error) { return "sk_test_123", nil }})
	id, err := stripe.LastRefund(p, context.Background(), "pi_123")
	if err != nil || !strings.HasPrefix(id, "re_") {
		t.Fatalf("last refund %q, %v; want a refund id", id, err)
	}
}

// capturedFixtures are Orion's fixtures with the intent captured, as a capture Orion never recorded
// leaves it: succeeded, its charge of 125950 captured, 950 of it refunded in the dashboard.
func capturedFixtures(t *testing.T) string {
	t.Helper()
	src := stripetest.Fixtures(t)
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	resources := doc["resources"].(map[string]any)
	pi, ch := resources["payment_intent"].(map[string]any), resources["charge"].(map[string]any)
	pi["status"], pi["amount"], pi["amount_capturable"], pi["amount_received"] = "succeeded", 125950, 0, 125950
	ch["id"], ch["payment_intent"], ch["amount"], ch["amount_captured"], ch["amount_refunded"] = stripetest.ChargeID, stripetest.PaymentIntentID, 125950, 125950, 950
	ch["captured"], ch["refunded"], ch["status"] = true, false, "succeeded"
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "captured.json")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// A void Stripe refused because the intent was captured reads the intent with its charge and
// refunds what is left of the capture, with a key of its own: both requests pass Stripe's spec.
// (stripe-mock cancels whatever it is asked to, so the refusal itself is compensation_test's.)
func TestVoidOfACapturedIntentAgainstStripeMock(t *testing.T) {
	rec := &recorder{}
	p := provider(stripetest.Start(t, capturedFixtures(t)), rec, "sk_test_123")
	voidKey := payment.Key(orderID, payment.OpVoid)
	err := stripe.VoidRefused(p, context.Background(), payment.VoidRequest{OrderID: orderID, IdempotencyKey: voidKey,
		AuthorizationID: stripetest.PaymentIntentID}, errors.New("refused"))
	if err != nil {
		t.Fatalf("void of a captured intent: %v", err)
	}
	readThenRefund(t, rec, voidKey+"-refund")
}

// A refund Stripe refused as more than the charge has left (a partial refund in the dashboard) reads
// the intent with its charge and refunds the rest, with a key of its own: both requests pass Stripe's
// spec. (stripe-mock refunds whatever it is asked to, so the refusal itself is compensation_test's.)
func TestRefundOfWhatIsLeftAgainstStripeMock(t *testing.T) {
	rec := &recorder{}
	p := provider(stripetest.Start(t, capturedFixtures(t)), rec, "sk_test_123")
	refundKey := payment.Key(orderID, payment.OpRefund)
	id, err := stripe.RefundRemaining(p, context.Background(), payment.RefundRequest{OrderID: orderID, IdempotencyKey: refundKey,
		AuthorizationID: stripetest.PaymentIntentID, Amount: amount(t, 125950, "USD")}, 125950, errors.New("refused"))
	if err != nil || !strings.HasPrefix(id, "re_") {
		t.Fatalf("refund of what is left: %q, %v", id, err)
	}
	readThenRefund(t, rec, refundKey+"-remaining")
}

// readThenRefund checks the two requests of a compensation that refunds what a capture has left: the
// intent read with its charge, then the refund of the fixture's unrefunded 125000 under key.
func readThenRefund(t *testing.T, rec *recorder, key string) {
	t.Helper()
	if len(rec.log) != 2 {
		t.Fatalf("%d requests: %+v", len(rec.log), rec.log)
	}
	read, refund := rec.log[0], rec.log[1]
	if read.method != "GET" || read.path != "/v1/payment_intents/"+stripetest.PaymentIntentID || read.query.Get("expand[]") != "latest_charge" || read.status != 200 {
		t.Errorf("read: %+v", read)
	}
	want := url.Values{"payment_intent": {stripetest.PaymentIntentID}, "amount": {"125000"},
		"metadata[source]": {"orion"}, "metadata[order_id]": {orderID}}
	if refund.method != "POST" || refund.path != "/v1/refunds" || refund.status != 200 || refund.form.Encode() != want.Encode() ||
		refund.idempotencyKey != key || refund.echoedKey != key {
		t.Errorf("refund: %+v; want %v with key %q", refund, want, key)
	}
}

// withRefundMetadata are Orion's fixtures with the refund's metadata set: the refund stripe-mock lists
// for any intent.
func withRefundMetadata(t *testing.T, meta map[string]string) string {
	t.Helper()
	data, err := os.ReadFile(stripetest.Fixtures(t))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	doc["resources"].(map[string]any)["refund"].(map[string]any)["metadata"] = meta
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "refund-metadata.json")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// A return's refund lists the intent's refunds (limit 100) before it refunds with metadata[return_id],
// and answers with the return's own refund when Stripe lists one: every request passes Stripe's spec,
// and the listing is read as the spec shapes it. (The refusals and the second page are
// compensation_test's, against Stripe's documented answers.)
func TestRefundOfAReturnAgainstStripeMock(t *testing.T) {
	returnKey := payment.Key(orderID, payment.ReturnRefund("R1"))
	// 1.00: the amount of stripe-mock's refund fixture, which a listed refund of the return must match.
	req := payment.RefundRequest{OrderID: orderID, IdempotencyKey: returnKey, AuthorizationID: stripetest.PaymentIntentID,
		Amount: amount(t, 100, "USD"), ReturnID: "R1"}
	listQuery := url.Values{"payment_intent": {stripetest.PaymentIntentID}, "limit": {"100"}}
	for _, c := range []struct {
		name     string
		metadata map[string]string // of the refund stripe-mock lists
		created  bool
	}{
		{name: "another return's refund listed: refunded", metadata: map[string]string{"source": "orion", "order_id": orderID, "return_id": "R2"}, created: true},
		{name: "a dashboard refund listed: refunded", metadata: map[string]string{}, created: true},
		{name: "the return's refund listed: that one", metadata: map[string]string{"source": "orion", "order_id": orderID, "return_id": "R1"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec := &recorder{}
			p := provider(stripetest.Start(t, withRefundMetadata(t, c.metadata)), rec, "sk_test_123")
			id, err := p.Refund(context.Background(), req)
			if err != nil || !strings.HasPrefix(id, "re_") {
				t.Fatalf("refund: %q, %v", id, err)
			}
			if !c.created && id != stripetest.RefundID {
				t.Errorf("refund %q; want the listed %q", id, stripetest.RefundID)
			}
			want := 1
			if c.created {
				want = 2
			}
			if len(rec.log) != want {
				t.Fatalf("%d requests: %+v; want %d", len(rec.log), rec.log, want)
			}
			list := rec.log[0]
			if list.method != "GET" || list.path != "/v1/refunds" || list.query.Encode() != listQuery.Encode() || list.status != 200 {
				t.Errorf("list: %+v; want GET /v1/refunds?%s answered 200", list, listQuery.Encode())
			}
			if !c.created {
				return
			}
			form := url.Values{"payment_intent": {stripetest.PaymentIntentID}, "amount": {"100"}, "metadata[source]": {"orion"},
				"metadata[order_id]": {orderID}, "metadata[return_id]": {"R1"}}
			if x := rec.log[1]; x.method != "POST" || x.path != "/v1/refunds" || x.status != 200 || x.form.Encode() != form.Encode() ||
				x.idempotencyKey != returnKey || x.echoedKey != returnKey {
				t.Errorf("refund: %+v; want %v with key %q", x, form, returnKey)
			}
		})
	}
	// stripe-mock's lists have no second page, so the next page's query (listQuery with starting_after,
	// as refundOfReturn builds it) is sent as is: the spec takes it.
	next := listQuery
	next.Set("starting_after", stripetest.RefundID)
	r, err := http.NewRequest(http.MethodGet, stripetest.URL(t)+"/v1/refunds?"+next.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Authorization", "Bearer sk_test_123")
	r.Header.Set("Stripe-Version", stripe.APIVersion)
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("the next page's query %s answered %d", next.Encode(), resp.StatusCode)
	}
}
