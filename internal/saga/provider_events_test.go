package saga_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/money"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/payment"
	"github.com/orion-oss/orion/internal/saga"
)

// resumes records how the handler resumed saga runs: a small fake of the saga's own TaskResumer port.
type resumes struct {
	mu    sync.Mutex
	calls []string // "succeed <token>" or "fail <token> <error> <cause>"
}

func (r *resumes) Succeed(_ context.Context, token string, _ []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, "succeed "+token)
	return nil
}

func (r *resumes) Fail(_ context.Context, token, name, cause string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, "fail "+token+" "+name+" "+cause)
	return nil
}

// waitingForAction returns a RESERVED order whose payment waits for the customer's action, with the saga
// run's task token stored when token is not empty.
func (w *world) waitingForAction(token string) saga.Input {
	w.t.Helper()
	ctx := context.Background()
	w.item("SKU-3DS", 10)
	in := w.place("SKU-3DS", 1, "tok_3ds")
	if _, err := w.steps.Reserve(ctx, in); err != nil {
		w.t.Fatal(err)
	}
	if _, err := w.store.Update(ctx, order.ID(in.OrderID), cause, func(o *order.Order) ([]event.Payload, error) {
		return o.RequirePaymentAction("pi_"+in.OrderID, order.PaymentAction{Type: "redirect_to_url", RedirectURL: "https://hooks.example/3ds"}, time.Now())
	}); err != nil {
		w.t.Fatal(err)
	}
	if token != "" {
		if _, err := w.store.Update(ctx, order.ID(in.OrderID), cause, func(o *order.Order) ([]event.Payload, error) {
			_, err := o.AwaitPaymentAction(token, time.Now())
			return nil, err
		}); err != nil {
			w.t.Fatal(err)
		}
	}
	return in
}

func TestProviderEventsResolveTheCustomerAction(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name       string
		kind       payment.EventKind
		code       string
		wantStatus order.Status
		wantResume string
		wantEvents int // PaymentAuthorized events
	}{
		{"succeeded", payment.ActionSucceeded, "", order.PaymentAuthorized, "succeed task-1", 1},
		{"failed", payment.ActionFailed, "authentication_failed", order.Reserved, "fail task-1 PaymentDeclined", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			in := w.waitingForAction("task-1")
			r := &resumes{}
			h := saga.NewProviderEvents(w.store, r)
			ev := payment.ProviderEvent{ID: "evt_" + c.name, Kind: c.kind, OrderID: in.OrderID, AuthorizationID: "pi_" + in.OrderID, Code: c.code}
			// Delivered twice, as providers do: one change, and the run resumed (again) each time.
			for range 2 {
				if err := h.Handle(ctx, ev); err != nil {
					t.Fatal(err)
				}
			}
			o := w.order(in)
			if o.Status() != c.wantStatus {
				t.Fatalf("status %s; want %s", o.Status(), c.wantStatus)
			}
			if c.code != "" && o.Payment().DeclineCode != c.code {
				t.Fatalf("decline code %q; want %q", o.Payment().DeclineCode, c.code)
			}
			if len(r.calls) == 0 || !strings.HasPrefix(r.calls[0], c.wantResume) {
				t.Fatalf("resumes %q; want %q first", r.calls, c.wantResume)
			}
			if c.code != "" && !strings.Contains(r.calls[0], c.code) {
				t.Fatalf("the failure's cause %q does not carry the decline code", r.calls[0])
			}
			n := 0
			for _, typ := range w.events(in) {
				if typ == event.TypePaymentAuthorized {
					n++
				}
			}
			if n != c.wantEvents {
				t.Fatalf("%d PaymentAuthorized events; want %d", n, c.wantEvents)
			}
		})
	}
}

// The provider's event can come before the saga run stored its task token: nothing is resumed then,
// and the wait finds the outcome itself.
func TestProviderEventBeforeTheWait(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	in := w.waitingForAction("")
	r := &resumes{}
	h := saga.NewProviderEvents(w.store, r)
	if err := h.Handle(ctx, payment.ProviderEvent{ID: "evt_early", Kind: payment.ActionSucceeded, OrderID: in.OrderID, AuthorizationID: "pi_" + in.OrderID}); err != nil {
		t.Fatal(err)
	}
	if len(r.calls) != 0 {
		t.Fatalf("resumed %q without a token", r.calls)
	}
	o := w.order(in)
	if out, err := o.AwaitPaymentAction("task-late", time.Now()); err != nil || out != order.ActionSucceeded {
		t.Fatalf("the wait found %s, %v; want SUCCEEDED", out, err)
	}
}

// A refund made in the provider's dashboard and a dispute become domain events, once per provider
// event however often it is delivered; the order's status does not change.
func TestProviderRefundsAndDisputesAreRecordedOnce(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	in := w.waitingForAction("task-1")
	h := saga.NewProviderEvents(w.store, &resumes{})
	if err := h.Handle(ctx, payment.ProviderEvent{ID: "evt_ok", Kind: payment.ActionSucceeded, OrderID: in.OrderID, AuthorizationID: "pi_" + in.OrderID}); err != nil {
		t.Fatal(err)
	}
	part, _ := money.New(500, "USD")
	evs := []payment.ProviderEvent{
		{ID: "evt_refund_1", Kind: payment.RefundedOutside, OrderID: in.OrderID, Reference: "re_1", Amount: part},
		{ID: "evt_refund_1", Kind: payment.RefundedOutside, OrderID: in.OrderID, Reference: "re_1", Amount: part},
		{ID: "evt_refund_2", Kind: payment.RefundedOutside, OrderID: in.OrderID, Reference: "re_2", Amount: part},
		{ID: "evt_dispute", Kind: payment.Disputed, OrderID: in.OrderID, Reference: "dp_1", Code: "fraudulent", Amount: part},
		{ID: "evt_dispute", Kind: payment.Disputed, OrderID: in.OrderID, Reference: "dp_1", Code: "fraudulent", Amount: part},
	}
	for _, ev := range evs {
		if err := h.Handle(ctx, ev); err != nil {
			t.Fatalf("%s: %v", ev.ID, err)
		}
	}
	count := map[string]int{}
	for _, typ := range w.events(in) {
		count[typ]++
	}
	if count[event.TypePaymentRefundedOutside] != 2 || count[event.TypePaymentDisputed] != 1 {
		t.Fatalf("events %v; want 2 PaymentRefundedOutside and 1 PaymentDisputed", count)
	}
	if s := w.order(in).Status(); s != order.PaymentAuthorized {
		t.Fatalf("status %s; want PAYMENT_AUTHORIZED unchanged", s)
	}
	if d := w.event(in, event.TypePaymentDisputed); d.CausationID != "evt_dispute" {
		t.Fatalf("dispute caused by %q; want the provider event", d.CausationID)
	}
}

// Events about no order of ours, and events the saga has moved past, are acknowledged: ErrUnknownOrder
// for the former, nothing for the latter, and nothing changes.
func TestProviderEventsThatNoLongerApply(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	h := saga.NewProviderEvents(w.store, &resumes{})
	unknownID, _ := order.NewID(time.Now(), nil)
	for _, id := range []string{"not-an-order", string(unknownID)} {
		err := h.Handle(ctx, payment.ProviderEvent{ID: "evt_x", Kind: payment.ActionSucceeded, OrderID: id, AuthorizationID: "pi_x"})
		if !errors.Is(err, saga.ErrUnknownOrder) {
			t.Fatalf("order %q: %v; want ErrUnknownOrder", id, err)
		}
	}
	in := w.waitingForAction("task-1")
	before := w.order(in).Version()
	// Another payment's success, and a refund in another currency, change nothing.
	eur, _ := money.New(100, "EUR")
	for _, ev := range []payment.ProviderEvent{
		{ID: "evt_other", Kind: payment.ActionSucceeded, OrderID: in.OrderID, AuthorizationID: "pi_someone_else"},
		{ID: "evt_eur", Kind: payment.RefundedOutside, OrderID: in.OrderID, Reference: "re_eur", Amount: eur},
	} {
		if err := h.Handle(ctx, ev); err != nil {
			t.Fatalf("%s: %v; want it acknowledged", ev.ID, err)
		}
	}
	if after := w.order(in).Version(); after != before {
		t.Fatalf("version %d -> %d; want no change", before, after)
	}
}

// voids records the voids of the sandbox provider: a small wrapper of our own payment port.
type voids struct {
	payment.Sandbox
	mu   sync.Mutex
	reqs []payment.VoidRequest
}

func (v *voids) Void(ctx context.Context, r payment.VoidRequest) error {
	v.mu.Lock()
	v.reqs = append(v.reqs, r)
	v.mu.Unlock()
	return v.Sandbox.Void(ctx, r)
}

// A hold the provider reports for an order that ended without it (every answer to the authorization
// was lost) is voided, once per hold under one idempotency key; a hold the order recorded was given
// back by compensation and is left alone.
func TestProviderEventVoidsTheStrayHoldOfAnEndedOrder(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	w.item("SKU-STRAY", 5)
	in := w.place("SKU-STRAY", 1, "tok_visa")
	if _, err := w.store.Update(ctx, order.ID(in.OrderID), cause, func(o *order.Order) ([]event.Payload, error) {
		return o.RequestCancellation(order.ByCustomer, time.Now()) // PENDING: cancelled at once
	}); err != nil {
		t.Fatal(err)
	}
	v := &voids{}
	h := saga.NewProviderEvents(w.store, &resumes{})
	h.Payments = v
	stray := payment.ProviderEvent{ID: "evt_stray", Kind: payment.ActionSucceeded, OrderID: in.OrderID, AuthorizationID: "pi_stray"}
	for range 2 {
		if err := h.Handle(ctx, stray); err != nil {
			t.Fatal(err)
		}
	}
	if len(v.reqs) != 2 || v.reqs[0].AuthorizationID != "pi_stray" || v.reqs[0].IdempotencyKey != v.reqs[1].IdempotencyKey ||
		v.reqs[0].IdempotencyKey == payment.Key(in.OrderID, payment.OpVoid) {
		t.Fatalf("voids %+v; want pi_stray twice under one key of its own", v.reqs)
	}
	if s := w.order(in).Status(); s != order.Cancelled {
		t.Fatalf("status %s; want CANCELLED unchanged", s)
	}
}
