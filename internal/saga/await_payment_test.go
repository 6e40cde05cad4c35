package saga_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/payment"
	"github.com/orion-oss/orion/internal/platform/metrics"
	"github.com/orion-oss/orion/internal/saga"
)

// answers records what the wait answered, and answers ErrTaskClosed to a token answered before, as
// Step Functions does.
type answers struct {
	mu   sync.Mutex
	sent []string // "success <token> <status>" or "failure <token> <error> <cause>"
	done map[string]bool
}

func (a *answers) answer(token, what string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.sent = append(a.sent, what)
	if a.done[token] {
		return fmt.Errorf("%w: TaskTimedOut", saga.ErrTaskClosed)
	}
	if a.done == nil {
		a.done = map[string]bool{}
	}
	a.done[token] = true
	return nil
}

func (a *answers) Succeed(_ context.Context, token string, output []byte) error {
	var r saga.Result
	if err := json.Unmarshal(output, &r); err != nil {
		return err
	}
	return a.answer(token, "success "+token+" "+r.Status)
}

func (a *answers) Fail(_ context.Context, token, name, cause string) error {
	return a.answer(token, "failure "+token+" "+name+" "+cause)
}

// awaiting places a tok_3ds order and runs it to the wait: RESERVED, the action pending.
func (w *world) awaiting(a *answers) saga.Input {
	w.t.Helper()
	w.steps.Resumer = a
	w.item("W-1", 10)
	in := w.place("W-1", 1, "tok_3ds")
	w.do("reserve", w.steps.Reserve, in)
	w.offPath("authorize", w.steps.Authorize, in, "PaymentActionRequired")
	return in
}

func (w *world) outcome(in saga.Input, succeeded bool) {
	w.t.Helper()
	if _, err := w.store.Update(context.Background(), order.ID(in.OrderID), cause, func(o *order.Order) ([]event.Payload, error) {
		if succeeded {
			return o.CompletePaymentAction(o.Payment().AuthorizationID, time.Now())
		}
		return o.FailPaymentAction("authentication_failed", time.Now())
	}); err != nil {
		w.t.Fatal(err)
	}
}

// The wait stores its token and answers nothing while the outcome is unknown; repeated, it changes
// nothing; a retried wait (a new token) replaces the token. Once the outcome is recorded, the wait
// answers it, and answering a closed task again is no error.
func TestAwaitStoresTheTokenOrAnswersTheKnownOutcome(t *testing.T) {
	for _, succeeded := range []bool{true, false} {
		t.Run(fmt.Sprint("succeeded=", succeeded), func(t *testing.T) {
			w := newWorld(t)
			a := &answers{}
			in := w.awaiting(a)
			in.TaskToken = "token-1"
			if r := w.do("await", w.steps.Await, in); r.Status != "RESERVED" || r.Payment != saga.PaymentActionPending {
				t.Fatalf("await: %+v", r)
			}
			v := w.order(in).Version()
			in.TaskToken = "token-2"
			w.do("await again", w.steps.Await, in)
			if o := w.order(in); o.Payment().TaskToken != "token-2" || o.Version() != v+1 || len(a.sent) != 0 {
				t.Fatalf("token %q v%d (was v%d), answers %v", o.Payment().TaskToken, o.Version(), v, a.sent)
			}
			w.outcome(in, succeeded)
			in.TaskToken = "token-3"
			before := w.events(in)
			for range 2 {
				if _, err := w.steps.Await(context.Background(), in); err != nil {
					t.Fatal(err)
				}
			}
			want := "success token-3 PAYMENT_AUTHORIZED"
			if !succeeded {
				want = `failure token-3 PaymentDeclined {"errorMessage":"payment declined: authentication_failed","errorType":"PaymentDeclined"}`
			}
			if len(a.sent) != 2 || a.sent[0] != want || a.sent[1] != want {
				t.Fatalf("answers %q; want %q twice", a.sent, want)
			}
			if after := w.events(in); !slices.Equal(after, before) {
				t.Fatalf("the wait wrote events: %v -> %v", before, after)
			}
		})
	}
}

// A wait that finds the order off its path fails the task by the route's name, which the state
// machine catches; a wait without a token is an input error.
func TestAwaitOffThePath(t *testing.T) {
	w := newWorld(t)
	a := &answers{}
	in := w.awaiting(a)
	in.TaskToken = "token-1"
	w.cancel(in)
	w.offPath("await with a cancellation", w.steps.Await, in, "CancellationRequested")
	var invalid *saga.InvalidInput
	if _, err := w.steps.Await(context.Background(), saga.Input{OrderID: in.OrderID}); !errors.As(err, &invalid) {
		t.Fatalf("no token: %v", err)
	}
	ended := w.place("W-1", 1, "tok_3ds")
	ended.TaskToken = "token-2"
	w.cancel(ended) // PENDING: cancelled at once
	w.offPath("await an ended order", w.steps.Await, ended, "OrderEnded")
	if len(a.sent) != 0 {
		t.Fatalf("answered %v", a.sent)
	}
}

// misconfigured is a provider that refuses Orion's credentials.
type misconfigured struct{ payment.Sandbox }

func (misconfigured) Capture(context.Context, payment.CaptureRequest) (string, error) {
	return "", fmt.Errorf("%w: invalid API key", payment.ErrMisconfigured)
}

// A provider that refuses Orion's configuration is a plain step error (retried, then compensated)
// counted as PaymentConfigurationErrors, which pages.
func TestPaymentConfigurationErrorsAreCounted(t *testing.T) {
	w := newWorld(t)
	w.item("C-1", 10)
	in := w.place("C-1", 1, "tok_visa")
	w.do("reserve", w.steps.Reserve, in)
	w.do("authorize", w.steps.Authorize, in)
	var out bytes.Buffer
	steps := saga.NewSteps(w.store, misconfigured{})
	steps.Metrics = metrics.New(&out)
	_, err := steps.Capture(context.Background(), in)
	var stepErr *saga.StepError
	if !errors.As(err, &stepErr) || !errors.Is(err, payment.ErrMisconfigured) {
		t.Fatalf("capture: %v; want a StepError", err)
	}
	if !strings.Contains(out.String(), `"PaymentConfigurationErrors":1`) {
		t.Fatalf("metrics: %s", out.String())
	}
	if o := w.order(in); o.Payment().CaptureID != "" || o.Payment().DeclineCode != "" {
		t.Fatalf("payment after a configuration error: %+v", o.Payment())
	}
}
