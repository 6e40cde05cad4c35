package projection_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/money"
	"github.com/orion-oss/orion/internal/platform/logging"
	"github.com/orion-oss/orion/internal/platform/metrics"
	"github.com/orion-oss/orion/internal/projection"
)

const orderID = "01JDQ7Z3M6X9V0YB2C4D5E6F7G"

// confirmed is the EventBridge event of an order's confirmation, as the bus delivers it.
func confirmed(t *testing.T) events.EventBridgeEvent {
	t.Helper()
	total, err := money.New(2500, "USD")
	if err != nil {
		t.Fatal(err)
	}
	env, err := event.Wrap(&event.OrderConfirmed{
		OrderRef: event.OrderRef{OrderID: orderID, CustomerID: "cust-1", Status: "CONFIRMED", OrderVersion: 4},
		Lines:    []event.Line{{SKU: "SKU-1", Name: "Widget", Quantity: 1, UnitPrice: total, LineTotal: total}},
		Total:    total,
	}, event.Meta{ID: "evt-1", OccurredAt: time.Date(2026, 11, 24, 10, 0, 1, 0, time.UTC), CorrelationID: "corr-1"})
	if err != nil {
		t.Fatal(err)
	}
	detail, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return events.EventBridgeEvent{ID: "eb-1", DetailType: env.Type, Detail: detail}
}

type rig struct {
	h        projection.Handler
	applied  []event.Envelope
	emf, log *bytes.Buffer
}

// projectorFunc is a Projector made of a function: the test's fake of the port.
type projectorFunc func(ctx context.Context, env event.Envelope) (projection.Result, error)

func (f projectorFunc) Apply(ctx context.Context, env event.Envelope) (projection.Result, error) {
	return f(ctx, env)
}

// newRig wires the handler to a projector that answers res and err, and records what it was given and
// the correlation of the context it got.
func newRig(t *testing.T, res projection.Result, err error) *rig {
	r := &rig{emf: &bytes.Buffer{}, log: &bytes.Buffer{}}
	r.h = projection.Handler{
		Projector: projectorFunc(func(ctx context.Context, env event.Envelope) (projection.Result, error) {
			if corr, order := logging.IDs(ctx); corr != env.CorrelationID || order != env.OrderID() {
				t.Errorf("context carries %q, %q; want the event's correlation and order ids", corr, order)
			}
			r.applied = append(r.applied, env)
			return res, err
		}),
		Logger:  slog.New(slog.NewJSONHandler(r.log, nil)),
		Metrics: metrics.NewForStage(r.emf, ""),
	}
	return r
}

func TestHandlerCountsTheFirstDeliveryOfAChange(t *testing.T) {
	tests := []struct {
		name    string
		res     projection.Result
		metrics []string // the EMF lines' metric names, in order
	}{
		{"first delivery", projection.Result{First: true, Status: "CONFIRMED", SincePlaced: 1500 * time.Millisecond},
			[]string{`"OrdersConfirmed":1`, `"SagaDuration":1500`}},
		{"a duplicate or an event that changes no status", projection.Result{Status: "CONFIRMED"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, tt.res, nil)
			if err := r.h.HandleEventBridge(context.Background(), confirmed(t)); err != nil {
				t.Fatal(err)
			}
			if len(r.applied) != 1 || r.applied[0].ID != "evt-1" || r.applied[0].OrderID() != orderID {
				t.Fatalf("applied %+v", r.applied)
			}
			lines := strings.Split(strings.TrimSpace(r.emf.String()), "\n")
			if r.emf.Len() == 0 {
				lines = nil
			}
			if len(lines) != len(tt.metrics) {
				t.Fatalf("metrics:\n%s\nwant %d lines", r.emf, len(tt.metrics))
			}
			for i, m := range tt.metrics {
				if !strings.Contains(lines[i], m) {
					t.Fatalf("metric line %d %s; want %s", i, lines[i], m)
				}
			}
			if !strings.Contains(r.log.String(), `"msg":"event projected"`) {
				t.Fatalf("log:\n%s", r.log)
			}
		})
	}
}

// A failure is returned, so that Lambda retries the event and then keeps it in the DLQ, and logged once.
func TestHandlerReturnsFailures(t *testing.T) {
	unavailable := errors.New("dynamo: project OrderConfirmed: throttled")
	t.Run("apply fails", func(t *testing.T) {
		r := newRig(t, projection.Result{First: true, Status: "CONFIRMED"}, unavailable)
		if err := r.h.HandleEventBridge(context.Background(), confirmed(t)); !errors.Is(err, unavailable) {
			t.Fatalf("err = %v; want the projector's", err)
		}
		if r.emf.Len() != 0 || !strings.Contains(r.log.String(), `"msg":"event not projected"`) {
			t.Fatalf("metrics %q, log:\n%s", r.emf, r.log)
		}
	})
	t.Run("the detail is no envelope", func(t *testing.T) {
		r := newRig(t, projection.Result{}, nil)
		ev := confirmed(t)
		ev.Detail = json.RawMessage(`{"type":"OrderConfirmed"}`)
		if err := r.h.HandleEventBridge(context.Background(), ev); err == nil {
			t.Fatal("err = nil; want the decode error")
		}
		if len(r.applied) != 0 || !strings.Contains(r.log.String(), `"eventId":"eb-1"`) {
			t.Fatalf("applied %d, log:\n%s", len(r.applied), r.log)
		}
	})
}
