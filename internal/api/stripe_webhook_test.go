package api_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/orion-oss/orion/internal/api"
	"github.com/orion-oss/orion/internal/money"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/payment"
	"github.com/orion-oss/orion/internal/web"
)

// verifier is a fake of the endpoint's Verifier port: it answers what the case says and records the
// body it was given, so a test sees the exact bytes the signature would be checked over.
type verifier struct {
	ev       payment.ProviderEvent
	relevant bool
	err      error
	calls    int
	body     []byte
	sig      string
}

func (v *verifier) Parse(_ context.Context, body []byte, sig string) (payment.ProviderEvent, bool, error) {
	v.calls++
	v.body, v.sig = body, sig
	return v.ev, v.relevant, v.err
}

// paymentEvents is a fake of the PaymentEvents port that keeps its contract: a repeated event id is
// applied once.
type paymentEvents struct {
	mu      sync.Mutex
	err     error
	seen    map[string]bool
	applied []payment.ProviderEvent
	calls   int
}

func (p *paymentEvents) Handle(_ context.Context, ev payment.ProviderEvent) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
	if p.err != nil {
		return p.err
	}
	if p.seen == nil {
		p.seen = map[string]bool{}
	}
	if !p.seen[ev.ID] {
		p.seen[ev.ID] = true
		p.applied = append(p.applied, ev)
	}
	return nil
}

func TestStripeWebhook(t *testing.T) {
	const body = `{"id":"evt_1","type":"payment_intent.succeeded"}`
	total, err := money.New(1250, "EUR")
	if err != nil {
		t.Fatal(err)
	}
	succeeded := payment.ProviderEvent{ID: "evt_1", Kind: payment.ActionSucceeded, OrderID: "01J00000000000000000000000",
		AuthorizationID: "pi_1", Amount: total}
	signed := "t=1700000000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd"
	invalid := func(why string) error { return fmt.Errorf("%w: stripe: %s", payment.ErrInvalidEvent, why) }

	for _, tc := range []struct {
		name       string
		req        web.Request
		verifier   verifier
		handlerErr error
		status     int
		problem    string // the problem type's last segment, for an error
		parsed     bool   // the verifier saw the request
		applied    int    // events the handler applied
		logged     string // a line the log must hold
	}{
		{name: "unsigned", req: webhookRequest(body, "", false), status: 400, problem: "invalid-event"},
		{name: "forged", req: webhookRequest(body, signed, false), verifier: verifier{err: invalid("no v1 signature matches")},
			status: 400, problem: "invalid-event", parsed: true},
		{name: "stale", req: webhookRequest(body, signed, false), verifier: verifier{err: invalid("timestamp outside the tolerance")},
			status: 400, problem: "invalid-event", parsed: true},
		{name: "malformed", req: webhookRequest(`{"id":`, signed, false), verifier: verifier{err: invalid("body is not an event")},
			status: 400, problem: "invalid-event", parsed: true},
		{name: "bad base64", req: webhookRequest("%%%", signed, true), status: 400, problem: "invalid-event"},
		{name: "too large", req: webhookRequest(strings.Repeat("a", web.MaxBody+1), signed, false), status: 413, problem: "too-large"},
		{name: "too large in base64", req: webhookRequest(base64.StdEncoding.EncodeToString(make([]byte, web.MaxBody+1)), signed, true),
			status: 413, problem: "too-large"},
		// A configuration fault is Orion's, not the sender's: 500 without a word of it, and Stripe retries.
		{name: "secret unreadable", req: webhookRequest(body, signed, false), status: 500, problem: "internal", parsed: true,
			logged: "AccessDeniedException", verifier: verifier{err: errors.New("ssm: GetParameter /orion/stripe/webhook-secret: AccessDeniedException")}},
		{name: "irrelevant", req: webhookRequest(body, signed, false), verifier: verifier{relevant: false}, status: 200, parsed: true},
		{name: "handled", req: webhookRequest(body, signed, false), verifier: verifier{ev: succeeded, relevant: true}, status: 200,
			parsed: true, applied: 1},
		{name: "handled from base64", req: webhookRequest(base64.StdEncoding.EncodeToString([]byte(body)), signed, true),
			verifier: verifier{ev: succeeded, relevant: true}, status: 200, parsed: true, applied: 1},
		{name: "unknown order", req: webhookRequest(body, signed, false), verifier: verifier{ev: succeeded, relevant: true},
			handlerErr: fmt.Errorf("provider events: %w", order.ErrNotFound), status: 200, parsed: true,
			logged: "provider event for an unknown order acknowledged"},
		{name: "handler fails", req: webhookRequest(body, signed, false), verifier: verifier{ev: succeeded, relevant: true},
			handlerErr: errors.New("dynamodb: throttled"), status: 500, problem: "internal", parsed: true, logged: "dynamodb: throttled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			log := slog.New(slog.NewJSONHandler(&logs, nil))
			v, events := tc.verifier, &paymentEvents{err: tc.handlerErr}
			resp, err := web.Lambda(log, api.StripeWebhook{Verifier: &v, Events: events, Log: log}.Receive)(context.Background(), tc.req)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d %s; want %d", resp.StatusCode, resp.Body, tc.status)
			}
			if tc.problem != "" {
				var p web.Problem
				if err := json.Unmarshal([]byte(resp.Body), &p); err != nil || !strings.HasSuffix(p.Type, "/"+tc.problem) ||
					resp.Headers["Content-Type"] != "application/problem+json" {
					t.Errorf("problem %s %v; want type .../%s as application/problem+json", resp.Body, resp.Headers, tc.problem)
				}
				// Which check failed, or what broke inside, stays in the log.
				for _, internal := range []string{"stripe:", "ssm:", "dynamodb", "v1", "tolerance"} {
					if strings.Contains(resp.Body, internal) {
						t.Errorf("the answer tells %q: %s", internal, resp.Body)
					}
				}
			} else if resp.Body != `{"received":true}` {
				t.Errorf("body %s", resp.Body)
			}
			if parsed := v.calls > 0; parsed != tc.parsed {
				t.Errorf("verifier called: %v; want %v", parsed, tc.parsed)
			}
			if tc.parsed && (string(v.body) != body && tc.name != "malformed" || v.sig != signed) {
				t.Errorf("verifier got body %q and signature %q; want the raw body and the header", v.body, v.sig)
			}
			if len(events.applied) != tc.applied || (!tc.verifier.relevant && events.calls > 0) {
				t.Errorf("handler called %d times, applied %v; want %d applied", events.calls, events.applied, tc.applied)
			}
			if tc.applied > 0 && events.applied[0] != succeeded {
				t.Errorf("handler got %+v; want %+v", events.applied[0], succeeded)
			}
			if tc.logged != "" && !strings.Contains(logs.String(), tc.logged) {
				t.Errorf("log lacks %q:\n%s", tc.logged, logs.String())
			}
		})
	}
}

// Stripe delivers an event at least once: the second delivery of one event is acknowledged like the
// first and applied once (the handler deduplicates on the event id).
func TestStripeWebhookAcknowledgesADuplicate(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	v := &verifier{relevant: true, ev: payment.ProviderEvent{ID: "evt_dup", Kind: payment.Disputed, OrderID: "01J00000000000000000000000"}}
	events := &paymentEvents{}
	h := web.Lambda(log, api.StripeWebhook{Verifier: v, Events: events, Log: log}.Receive)
	for i := range 2 {
		resp, _ := h(context.Background(), webhookRequest(`{"id":"evt_dup"}`, "t=1,v1=00", false))
		if resp.StatusCode != 200 {
			t.Fatalf("delivery %d: %d %s", i+1, resp.StatusCode, resp.Body)
		}
	}
	if events.calls != 2 || len(events.applied) != 1 {
		t.Fatalf("%d deliveries handled, %d applied; want 2 and 1", events.calls, len(events.applied))
	}
}

func webhookRequest(body, signature string, base64Encoded bool) web.Request {
	r := web.Request{Body: body, IsBase64Encoded: base64Encoded, RouteKey: "POST /webhooks/stripe",
		Headers: map[string]string{"content-type": "application/json; charset=utf-8"}}
	if signature != "" {
		r.Headers["stripe-signature"] = signature // payload format 2.0 lowercases header names
	}
	return r
}
