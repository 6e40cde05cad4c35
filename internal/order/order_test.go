package order_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/orion-oss/orion/internal/customer"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/money"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/validation"
)

var t0 = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func usd(t testing.TB, cents int64) money.Money {
	t.Helper()
	m, err := money.New(cents, "USD")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func line(t testing.TB, sku string, qty, cents int64) order.Line {
	t.Helper()
	l, err := order.NewLine(inventory.SKU(sku), "Item "+sku, qty, usd(t, cents))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func newID(t testing.TB) order.ID {
	t.Helper()
	id, err := order.NewID(t0, nil)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func placed(t testing.TB) *order.Order {
	t.Helper()
	o, _, err := order.New(newID(t), "cust-1", []order.Line{line(t, "SKU-1", 2, 1250), line(t, "SKU-2", 1, 999)}, "tok_visa", nil, t0)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func must(t testing.TB) func([]event.Payload, error) {
	return func(_ []event.Payload, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
}

// inState builds an order that reached status s along the saga's normal path.
func inState(t testing.TB, s order.Status) *order.Order {
	t.Helper()
	o := placed(t)
	at := t0.Add(time.Second)
	switch s {
	case order.Pending:
	case order.Reserved:
		must(t)(o.MarkReserved(at))
	case order.PaymentAuthorized:
		must(t)(o.MarkReserved(at))
		must(t)(o.AuthorizePayment("auth-1", at))
	case order.Confirmed:
		must(t)(o.MarkReserved(at))
		must(t)(o.AuthorizePayment("auth-1", at))
		must(t)(o.CapturePayment("cap-1", at))
		must(t)(o.Confirm(at))
	case order.Shipped, order.Delivered:
		must(t)(o.MarkReserved(at))
		must(t)(o.AuthorizePayment("auth-1", at))
		must(t)(o.CapturePayment("cap-1", at))
		must(t)(o.Confirm(at))
		must(t)(o.Ship(shipment, at))
		if s == order.Delivered {
			must(t)(o.Deliver(time.Time{}, at))
		}
	case order.Rejected:
		must(t)(o.RejectOutOfStock([]event.Shortage{{SKU: "SKU-1", Requested: 2, Available: 1}}, at))
	case order.Cancelled:
		must(t)(o.RequestCancellation(order.ByCustomer, at))
	case order.Failed:
		must(t)(o.Fail(order.StepFailed, at))
	}
	if o.Status() != s {
		t.Fatalf("built %s; want %s", o.Status(), s)
	}
	return o
}

type action struct {
	name string
	do   func(*order.Order, time.Time) ([]event.Payload, error)
}

var actions = []action{
	{"MarkReserved", (*order.Order).MarkReserved},
	{"RejectOutOfStock", func(o *order.Order, at time.Time) ([]event.Payload, error) { return o.RejectOutOfStock(nil, at) }},
	{"AuthorizePayment", func(o *order.Order, at time.Time) ([]event.Payload, error) { return o.AuthorizePayment("auth-9", at) }},
	{"DeclinePayment", func(o *order.Order, at time.Time) ([]event.Payload, error) {
		return o.DeclinePayment("card_declined", at)
	}},
	{"Confirm", (*order.Order).Confirm},
	{"RequestCancellation", func(o *order.Order, at time.Time) ([]event.Payload, error) {
		return o.RequestCancellation(order.ByCustomer, at)
	}},
	{"MarkStockReleased", (*order.Order).MarkStockReleased},
	{"MarkStockReturned", (*order.Order).MarkStockReturned},
	{"RefundPayment", func(o *order.Order, at time.Time) ([]event.Payload, error) { return o.RefundPayment("refund-1", at) }},
	{"CompleteCancellation", (*order.Order).CompleteCancellation},
	{"Fail", func(o *order.Order, at time.Time) ([]event.Payload, error) { return o.Fail(order.StepFailed, at) }},
	{"RequirePaymentAction", func(o *order.Order, at time.Time) ([]event.Payload, error) {
		return o.RequirePaymentAction("pi-9", order.PaymentAction{Type: "redirect_to_url", RedirectURL: "https://bank.example/3ds"}, at)
	}},
	{"CompletePaymentAction", func(o *order.Order, at time.Time) ([]event.Payload, error) {
		return o.CompletePaymentAction("pi-9", at)
	}},
	{"FailPaymentAction", func(o *order.Order, at time.Time) ([]event.Payload, error) { return o.FailPaymentAction("", at) }},
	{"CapturePayment", func(o *order.Order, at time.Time) ([]event.Payload, error) { return o.CapturePayment("cap-9", at) }},
	{"DeclineCapture", func(o *order.Order, at time.Time) ([]event.Payload, error) {
		return o.DeclineCapture("capture_declined", at)
	}},
	{"VoidPayment", (*order.Order).VoidPayment},
	{"RecordOutsideRefund", func(o *order.Order, at time.Time) ([]event.Payload, error) {
		return o.RecordOutsideRefund("re-outside", o.Total(), at)
	}},
	{"RecordDispute", func(o *order.Order, at time.Time) ([]event.Payload, error) {
		return o.RecordDispute("dp-1", "fraudulent", o.Total(), at)
	}},
	{"Ship", func(o *order.Order, at time.Time) ([]event.Payload, error) { return o.Ship(shipment, at) }},
	{"Deliver", func(o *order.Order, at time.Time) ([]event.Payload, error) { return o.Deliver(time.Time{}, at) }},
	{"RequestReturn", func(o *order.Order, at time.Time) ([]event.Payload, error) {
		_, evs, err := o.RequestReturn("", []order.ReturnLine{{SKU: "SKU-1", Quantity: 1}}, "", 30*24*time.Hour, at)
		return evs, err
	}},
}

// shipment is the one every shipped order of these tests left with.
var shipment = order.Shipment{Carrier: "UPS", TrackingNumber: "1Z999AA10123456784", TrackingURL: "https://www.ups.com/track?tracknum=1Z999AA10123456784"}

// outcome of one action on an order in one status.
type outcome struct {
	err    error        // nil: allowed
	to     order.Status // status after an allowed action
	events []string     // event types returned
	noop   bool         // allowed, changes nothing
}

var (
	transition = order.ErrInvalidTransition
	terminal   = order.ErrTerminal
	pending    = order.ErrCompensationPending
)

// matrix is the whole status machine: every action in every status.
var matrix = map[order.Status]map[string]outcome{
	order.Pending: {
		"MarkReserved":          {to: order.Reserved, events: []string{"InventoryReserved"}},
		"RejectOutOfStock":      {to: order.Rejected, events: []string{"InventoryReservationFailed", "OrderRejected"}},
		"AuthorizePayment":      {err: transition},
		"DeclinePayment":        {err: transition},
		"Confirm":               {err: transition},
		"RequestCancellation":   {to: order.Cancelled, events: []string{"OrderCancelled"}},
		"MarkStockReleased":     {err: transition},
		"MarkStockReturned":     {err: transition},
		"RefundPayment":         {err: transition},
		"CompleteCancellation":  {err: transition},
		"Fail":                  {to: order.Failed, events: []string{"OrderFailed"}},
		"RequirePaymentAction":  {err: transition},
		"CompletePaymentAction": {err: transition},
		"FailPaymentAction":     {err: transition},
		"CapturePayment":        {err: transition},
		"DeclineCapture":        {err: transition},
		"VoidPayment":           {err: transition},
		"RecordOutsideRefund":   {err: transition},
		"RecordDispute":         {err: transition},
		"Ship":                  {err: transition},
		"Deliver":               {err: transition},
		"RequestReturn":         {err: transition},
	},
	order.Reserved: {
		"MarkReserved":          {noop: true},
		"RejectOutOfStock":      {err: transition},
		"AuthorizePayment":      {to: order.PaymentAuthorized, events: []string{"PaymentAuthorized"}},
		"DeclinePayment":        {err: pending},
		"Confirm":               {err: transition},
		"RequestCancellation":   {to: order.Reserved, events: []string{"OrderCancellationRequested"}},
		"MarkStockReleased":     {to: order.Reserved, events: []string{"InventoryReleased"}},
		"MarkStockReturned":     {err: transition},
		"RefundPayment":         {err: transition},
		"CompleteCancellation":  {err: transition},
		"Fail":                  {err: pending},
		"RequirePaymentAction":  {to: order.Reserved, events: []string{"PaymentActionRequired"}},
		"CompletePaymentAction": {err: transition}, // no action was asked
		"FailPaymentAction":     {err: transition},
		"CapturePayment":        {err: transition},
		"DeclineCapture":        {err: transition},
		"VoidPayment":           {err: transition},
		"RecordOutsideRefund":   {err: transition},
		"RecordDispute":         {err: transition},
		"Ship":                  {err: transition},
		"Deliver":               {err: transition},
		"RequestReturn":         {err: transition},
	},
	order.PaymentAuthorized: {
		"MarkReserved":          {err: transition},
		"RejectOutOfStock":      {err: transition},
		"AuthorizePayment":      {err: transition}, // a different authorization than the one recorded
		"DeclinePayment":        {err: transition},
		"Confirm":               {err: transition}, // not captured
		"RequestCancellation":   {to: order.PaymentAuthorized, events: []string{"OrderCancellationRequested"}},
		"MarkStockReleased":     {to: order.PaymentAuthorized, events: []string{"InventoryReleased"}},
		"MarkStockReturned":     {err: transition},
		"RefundPayment":         {err: transition}, // held, not captured: a void
		"CompleteCancellation":  {err: transition},
		"Fail":                  {err: pending},
		"RequirePaymentAction":  {err: transition},
		"CompletePaymentAction": {err: transition}, // another payment than the one held
		"FailPaymentAction":     {err: transition},
		"CapturePayment":        {to: order.PaymentAuthorized, events: []string{"PaymentCaptured"}},
		"DeclineCapture":        {to: order.PaymentAuthorized},
		"VoidPayment":           {to: order.PaymentAuthorized, events: []string{"PaymentVoided"}},
		"RecordOutsideRefund":   {to: order.PaymentAuthorized, events: []string{"PaymentRefundedOutside"}},
		"RecordDispute":         {to: order.PaymentAuthorized, events: []string{"PaymentDisputed"}},
		"Ship":                  {err: transition},
		"Deliver":               {err: transition},
		"RequestReturn":         {err: transition},
	},
	order.Confirmed: {
		"MarkReserved":          {err: transition},
		"RejectOutOfStock":      {err: transition},
		"AuthorizePayment":      {err: transition},
		"DeclinePayment":        {err: transition},
		"Confirm":               {noop: true},
		"RequestCancellation":   {to: order.Confirmed, events: []string{"OrderCancellationRequested"}},
		"MarkStockReleased":     {err: transition},
		"MarkStockReturned":     {err: transition},
		"RefundPayment":         {err: transition}, // a success nobody cancelled keeps its money
		"CompleteCancellation":  {err: transition},
		"Fail":                  {err: transition},
		"RequirePaymentAction":  {err: transition},
		"CompletePaymentAction": {err: transition},
		"FailPaymentAction":     {err: transition},
		"CapturePayment":        {err: transition}, // captured already, by another capture
		"DeclineCapture":        {err: transition},
		"VoidPayment":           {err: transition},
		"RecordOutsideRefund":   {to: order.Confirmed, events: []string{"PaymentRefundedOutside"}},
		"RecordDispute":         {to: order.Confirmed, events: []string{"PaymentDisputed"}},
		"Ship":                  {to: order.Shipped, events: []string{"OrderShipped"}},
		"Deliver":               {err: transition},
		"RequestReturn":         {err: transition},
	},
	// After shipping, only the carrier's delivery, a return and the provider's reports move the order.
	order.Shipped: {
		"MarkReserved":          {err: transition},
		"RejectOutOfStock":      {err: transition},
		"AuthorizePayment":      {err: transition},
		"DeclinePayment":        {err: transition},
		"Confirm":               {err: transition},
		"MarkStockReleased":     {err: transition},
		"MarkStockReturned":     {err: transition},
		"RefundPayment":         {err: transition},
		"CompleteCancellation":  {err: transition},
		"Fail":                  {err: transition},
		"RequirePaymentAction":  {err: transition},
		"CompletePaymentAction": {err: transition},
		"FailPaymentAction":     {err: transition},
		"CapturePayment":        {err: transition},
		"DeclineCapture":        {err: transition},
		"VoidPayment":           {err: transition},
		"RequestCancellation":   {err: order.ErrShipped},
		"RecordOutsideRefund":   {to: order.Shipped, events: []string{"PaymentRefundedOutside"}},
		"RecordDispute":         {to: order.Shipped, events: []string{"PaymentDisputed"}},
		"Ship":                  {noop: true},
		"Deliver":               {to: order.Delivered, events: []string{"OrderDelivered"}},
		"RequestReturn":         {err: transition},
	},
	order.Delivered: {
		"MarkReserved":          {err: transition},
		"RejectOutOfStock":      {err: transition},
		"AuthorizePayment":      {err: transition},
		"DeclinePayment":        {err: transition},
		"Confirm":               {err: transition},
		"MarkStockReleased":     {err: transition},
		"MarkStockReturned":     {err: transition},
		"RefundPayment":         {err: transition},
		"CompleteCancellation":  {err: transition},
		"Fail":                  {err: transition},
		"RequirePaymentAction":  {err: transition},
		"CompletePaymentAction": {err: transition},
		"FailPaymentAction":     {err: transition},
		"CapturePayment":        {err: transition},
		"DeclineCapture":        {err: transition},
		"VoidPayment":           {err: transition},
		"RequestCancellation":   {err: order.ErrShipped},
		"RecordOutsideRefund":   {to: order.Delivered, events: []string{"PaymentRefundedOutside"}},
		"RecordDispute":         {to: order.Delivered, events: []string{"PaymentDisputed"}},
		"Ship":                  {noop: true},
		"Deliver":               {noop: true},
		"RequestReturn":         {to: order.Delivered, events: []string{"OrderReturnRequested"}},
	},
}

func init() {
	// Final statuses refuse everything, except that repeating the step that ended the order is a no-op.
	for _, s := range []order.Status{order.Rejected, order.Cancelled, order.Failed} {
		m := map[string]outcome{}
		for _, a := range actions {
			m[a.name] = outcome{err: terminal}
		}
		// Nothing was ever authorized on these paths.
		for _, a := range []string{"RefundPayment", "VoidPayment", "RecordOutsideRefund", "RecordDispute"} {
			m[a] = outcome{err: transition}
		}
		matrix[s] = m
	}
	matrix[order.Cancelled]["CompleteCancellation"] = outcome{noop: true}
	matrix[order.Failed]["Fail"] = outcome{noop: true}
	matrix[order.Rejected]["RejectOutOfStock"] = outcome{noop: true}
}

func TestTransitionMatrix(t *testing.T) {
	for _, from := range order.Statuses {
		for _, a := range actions {
			want, ok := matrix[from][a.name]
			if !ok {
				t.Fatalf("matrix lacks %s/%s", from, a.name)
			}
			t.Run(fmt.Sprintf("%s/%s", from, a.name), func(t *testing.T) {
				o := inState(t, from)
				before := o.Snapshot()
				evs, err := a.do(o, t0.Add(time.Minute))
				if want.err != nil {
					if !errors.Is(err, want.err) {
						t.Fatalf("err = %v; want %v", err, want.err)
					}
					if evs != nil || o.Version() != before.Version || o.Status() != before.Status {
						t.Fatalf("refused action changed the order: events %v, v%d->v%d", evs, before.Version, o.Version())
					}
					return
				}
				if err != nil {
					t.Fatalf("err = %v; want success", err)
				}
				if want.noop {
					if evs != nil || o.Version() != before.Version {
						t.Fatalf("no-op returned %v and moved v%d -> v%d", evs, before.Version, o.Version())
					}
					return
				}
				if o.Status() != want.to {
					t.Errorf("status = %s; want %s", o.Status(), want.to)
				}
				if o.Version() != before.Version+1 {
					t.Errorf("version = %d; want %d (one change, one version)", o.Version(), before.Version+1)
				}
				var types []string
				for _, e := range evs {
					types = append(types, e.EventType())
				}
				if fmt.Sprint(types) != fmt.Sprint(want.events) {
					t.Fatalf("events = %v; want %v", types, want.events)
				}
				for _, e := range evs {
					ref := refOf(t, e)
					if ref.OrderID != string(o.ID()) || ref.CustomerID != "cust-1" || ref.Status != string(o.Status()) ||
						ref.OrderVersion != o.Version() || ref.Reason != string(o.Reason()) {
						t.Errorf("%s ref = %+v; order is %s v%d reason %q", e.EventType(), ref, o.Status(), o.Version(), o.Reason())
					}
				}
				changed := o.Status() != before.Status
				if got := len(o.History()) - len(before.History); (got == 1) != changed {
					t.Errorf("history grew by %d for a status change=%v", got, changed)
				}
			})
		}
	}
}

func refOf(t *testing.T, p event.Payload) event.OrderRef {
	t.Helper()
	switch e := p.(type) {
	case event.OrderPlaced:
		return e.OrderRef
	case event.InventoryReserved:
		return e.OrderRef
	case event.InventoryReservationFailed:
		return e.OrderRef
	case event.PaymentAuthorized:
		return e.OrderRef
	case event.PaymentDeclined:
		return e.OrderRef
	case event.PaymentRefunded:
		return e.OrderRef
	case event.PaymentActionRequired:
		return e.OrderRef
	case event.PaymentCaptured:
		return e.OrderRef
	case event.PaymentVoided:
		return e.OrderRef
	case event.PaymentRefundedOutside:
		return e.OrderRef
	case event.PaymentDisputed:
		return e.OrderRef
	case event.InventoryReleased:
		return e.OrderRef
	case event.InventoryCommitted:
		return e.OrderRef
	case event.InventoryReturned:
		return e.OrderRef
	case event.OrderConfirmed:
		return e.OrderRef
	case event.OrderRejected:
		return e.OrderRef
	case event.OrderCancellationRequested:
		return e.OrderRef
	case event.OrderCancelled:
		return e.OrderRef
	case event.OrderFailed:
		return e.OrderRef
	case event.OrderShipped:
		return e.OrderRef
	case event.OrderDelivered:
		return e.OrderRef
	case event.OrderReturnRequested:
		return e.OrderRef
	case event.OrderReturnReceived:
		return e.OrderRef
	}
	t.Fatalf("%T is not an order event", p)
	return event.OrderRef{}
}

// The compensation paths of the saga, end to end on the aggregate.
func TestCompensationPaths(t *testing.T) {
	at := t0.Add(time.Hour)
	tests := []struct {
		name       string
		from       order.Status
		steps      []func(*order.Order) ([]event.Payload, error)
		wantStatus order.Status
		wantReason order.Reason
	}{
		{"payment declined", order.Reserved, []func(*order.Order) ([]event.Payload, error){
			func(o *order.Order) ([]event.Payload, error) { return o.MarkStockReleased(at) },
			func(o *order.Order) ([]event.Payload, error) { return o.DeclinePayment("card_declined", at) },
		}, order.Rejected, order.PaymentDeclined},
		{"payment unavailable", order.Reserved, []func(*order.Order) ([]event.Payload, error){
			func(o *order.Order) ([]event.Payload, error) { return o.MarkStockReleased(at) },
			func(o *order.Order) ([]event.Payload, error) { return o.Fail(order.PaymentUnavailable, at) },
		}, order.Failed, order.PaymentUnavailable},
		{"cancel while reserved", order.Reserved, []func(*order.Order) ([]event.Payload, error){
			func(o *order.Order) ([]event.Payload, error) { return o.RequestCancellation(order.ByAdmin, at) },
			func(o *order.Order) ([]event.Payload, error) { return o.MarkStockReleased(at) },
			func(o *order.Order) ([]event.Payload, error) { return o.CompleteCancellation(at) },
		}, order.Cancelled, order.AdminRequest},
		{"cancel after authorization", order.PaymentAuthorized, []func(*order.Order) ([]event.Payload, error){
			func(o *order.Order) ([]event.Payload, error) { return o.RequestCancellation(order.ByCustomer, at) },
			func(o *order.Order) ([]event.Payload, error) { return o.VoidPayment(at) },
			func(o *order.Order) ([]event.Payload, error) { return o.MarkStockReleased(at) },
			func(o *order.Order) ([]event.Payload, error) { return o.CompleteCancellation(at) },
		}, order.Cancelled, order.CustomerRequest},
		{"cancel after confirmation", order.Confirmed, []func(*order.Order) ([]event.Payload, error){
			func(o *order.Order) ([]event.Payload, error) { return o.RequestCancellation(order.ByCustomer, at) },
			func(o *order.Order) ([]event.Payload, error) { return o.RefundPayment("r-1", at) },
			func(o *order.Order) ([]event.Payload, error) { return o.MarkStockReturned(at) },
			func(o *order.Order) ([]event.Payload, error) { return o.CompleteCancellation(at) },
		}, order.Cancelled, order.CustomerRequest},
		{"confirm step keeps failing", order.PaymentAuthorized, []func(*order.Order) ([]event.Payload, error){
			func(o *order.Order) ([]event.Payload, error) { return o.CapturePayment("ch-1", at) },
			func(o *order.Order) ([]event.Payload, error) { return o.RefundPayment("r-1", at) },
			func(o *order.Order) ([]event.Payload, error) { return o.MarkStockReleased(at) },
			func(o *order.Order) ([]event.Payload, error) { return o.Fail(order.StepFailed, at) },
		}, order.Failed, order.StepFailed},
		{"capture unavailable", order.PaymentAuthorized, []func(*order.Order) ([]event.Payload, error){
			func(o *order.Order) ([]event.Payload, error) { return o.VoidPayment(at) },
			func(o *order.Order) ([]event.Payload, error) { return o.MarkStockReleased(at) },
			func(o *order.Order) ([]event.Payload, error) { return o.Fail(order.PaymentUnavailable, at) },
		}, order.Failed, order.PaymentUnavailable},
		{"action expired", order.Reserved, []func(*order.Order) ([]event.Payload, error){
			func(o *order.Order) ([]event.Payload, error) {
				return o.RequirePaymentAction("pi-1", order.PaymentAction{Type: "redirect_to_url", RedirectURL: "https://bank.example/3ds"}, at)
			},
			func(o *order.Order) ([]event.Payload, error) { return o.VoidPayment(at) },
			func(o *order.Order) ([]event.Payload, error) { return o.MarkStockReleased(at) },
			func(o *order.Order) ([]event.Payload, error) { return o.DeclinePayment("payment_action_expired", at) },
		}, order.Rejected, order.PaymentDeclined},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := inState(t, tt.from)
			for i, step := range tt.steps {
				evs, err := step(o)
				if err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				if len(evs) == 0 {
					t.Fatalf("step %d returned no events", i)
				}
				// Every step repeated (a Step Functions retry, a redelivered event) does nothing.
				v := o.Version()
				again, err := step(o)
				if err != nil || again != nil || o.Version() != v {
					t.Fatalf("repeated step %d: events %v err %v version %d -> %d", i, again, err, v, o.Version())
				}
			}
			if o.Status() != tt.wantStatus || o.Reason() != tt.wantReason {
				t.Fatalf("ended %s/%s; want %s/%s", o.Status(), o.Reason(), tt.wantStatus, tt.wantReason)
			}
			if h := o.Hold(); !h.IsZero() {
				t.Fatalf("ended %s still holds %+v against its customer", o.Status(), h)
			}
		})
	}
}

func TestConfirmRefusedWhileCancellationPending(t *testing.T) {
	o := inState(t, order.PaymentAuthorized)
	must(t)(o.RequestCancellation(order.ByCustomer, t0))
	if _, err := o.Confirm(t0); !errors.Is(err, order.ErrCancellationRequested) {
		t.Fatalf("Confirm err = %v; want ErrCancellationRequested", err)
	}
	if _, err := o.CompleteCancellation(t0); !errors.Is(err, order.ErrCompensationPending) {
		t.Fatalf("CompleteCancellation before refund err = %v; want ErrCompensationPending", err)
	}
}

// Once compensation has begun (stock released or money refunded after a failed step), a late or
// repeated Confirm must not sell stock that is no longer held.
func TestConfirmRefusedOnceCompensationBegan(t *testing.T) {
	tests := []struct {
		name string
		step func(*order.Order) ([]event.Payload, error)
	}{
		{"stock released", func(o *order.Order) ([]event.Payload, error) { return o.MarkStockReleased(t0) }},
		{"payment voided", func(o *order.Order) ([]event.Payload, error) { return o.VoidPayment(t0) }},
		{"capture declined", func(o *order.Order) ([]event.Payload, error) { return o.DeclineCapture("capture_declined", t0) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := inState(t, order.PaymentAuthorized)
			must(t)(tt.step(o))
			if _, err := o.Confirm(t0); !errors.Is(err, order.ErrInvalidTransition) || o.Status() != order.PaymentAuthorized {
				t.Fatalf("Confirm err = %v, status %s; want ErrInvalidTransition and no change", err, o.Status())
			}
		})
	}
}

func TestNewValidatesWithFieldPaths(t *testing.T) {
	eur, _ := money.New(100, "EUR")
	l1 := line(t, "A", 1, 100)
	tests := []struct {
		name   string
		lines  []order.Line
		token  string
		ship   *order.Address
		fields []string
	}{
		{"no lines", nil, "tok", nil, []string{"items"}},
		{"duplicate sku", []order.Line{l1, line(t, "B", 1, 1), l1}, "tok", nil, []string{"items[2].sku"}},
		{"mixed currencies", []order.Line{l1, {SKU: "C", Name: "c", Quantity: 1, UnitPrice: eur, LineTotal: eur}}, "tok", nil, []string{"items[1].unitPrice.currency"}},
		{"tampered line total", []order.Line{{SKU: "D", Name: "d", Quantity: 2, UnitPrice: usd(t, 100), LineTotal: usd(t, 1)}}, "tok", nil, []string{"items[0].lineTotal"}},
		{"quantity out of range", []order.Line{{SKU: "E", Name: "e", Quantity: 1001, UnitPrice: usd(t, 1), LineTotal: usd(t, 1001)}}, "tok", nil, []string{"items[0].quantity"}},
		{"missing token", []order.Line{l1}, " ", nil, []string{"paymentToken"}},
		{"bad address", []order.Line{l1}, "tok", &order.Address{Name: "A", Line1: "1 St", City: "X", PostalCode: "1", Country: "usa"}, []string{"shippingAddress.country"}},
		// Control and bidirectional formatting characters, field by field (issue 20).
		{"newline in name", []order.Line{l1}, "tok", &order.Address{Name: "Ann\nBob", Line1: "1 St", City: "X", PostalCode: "1", Country: "US"}, []string{"shippingAddress.name"}},
		{"tab in line1", []order.Line{l1}, "tok", &order.Address{Name: "A", Line1: "1\tSt", City: "X", PostalCode: "1", Country: "US"}, []string{"shippingAddress.line1"}},
		{"NUL in line2", []order.Line{l1}, "tok", &order.Address{Name: "A", Line1: "1 St", Line2: "x\x00", City: "X", PostalCode: "1", Country: "US"}, []string{"shippingAddress.line2"}},
		{"ESC in city", []order.Line{l1}, "tok", &order.Address{Name: "A", Line1: "1 St", City: "X\x1b[2J", PostalCode: "1", Country: "US"}, []string{"shippingAddress.city"}},
		{"C1 in region", []order.Line{l1}, "tok", &order.Address{Name: "A", Line1: "1 St", City: "X", Region: "R\u0085R", PostalCode: "1", Country: "US"}, []string{"shippingAddress.region"}},
		{"DEL in postal code", []order.Line{l1}, "tok", &order.Address{Name: "A", Line1: "1 St", City: "X", PostalCode: "1\x7f", Country: "US"}, []string{"shippingAddress.postalCode"}},
		{"RLO in name", []order.Line{l1}, "tok", &order.Address{Name: "A\u202egnp.exe", Line1: "1 St", City: "X", PostalCode: "1", Country: "US"}, []string{"shippingAddress.name"}},
		{"LRE in line1", []order.Line{l1}, "tok", &order.Address{Name: "A", Line1: "\u202a1 St", City: "X", PostalCode: "1", Country: "US"}, []string{"shippingAddress.line1"}},
		{"PDF in city", []order.Line{l1}, "tok", &order.Address{Name: "A", Line1: "1 St", City: "X\u202c", PostalCode: "1", Country: "US"}, []string{"shippingAddress.city"}},
		{"isolates in line2", []order.Line{l1}, "tok", &order.Address{Name: "A", Line1: "1 St", Line2: "\u2066x\u2069", City: "X", PostalCode: "1", Country: "US"}, []string{"shippingAddress.line2"}},
		{"FSI in region", []order.Line{l1}, "tok", &order.Address{Name: "A", Line1: "1 St", City: "X", Region: "\u2068R", PostalCode: "1", Country: "US"}, []string{"shippingAddress.region"}},
		{"RLM in postal code", []order.Line{l1}, "tok", &order.Address{Name: "A", Line1: "1 St", City: "X", PostalCode: "1\u200f", Country: "US"}, []string{"shippingAddress.postalCode"}},
		{"LRM in name", []order.Line{l1}, "tok", &order.Address{Name: "\u200eA", Line1: "1 St", City: "X", PostalCode: "1", Country: "US"}, []string{"shippingAddress.name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, evs, err := order.New(newID(t), "cust-1", tt.lines, tt.token, tt.ship, t0)
			var ve validation.Errors
			if !errors.As(err, &ve) || evs != nil {
				t.Fatalf("err = %v, events %v; want validation errors", err, evs)
			}
			var got []string
			for _, p := range ve {
				got = append(got, p.Field)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.fields) {
				t.Fatalf("fields = %v; want %v", got, tt.fields)
			}
		})
	}
	many := make([]order.Line, order.MaxLines+1)
	for i := range many {
		many[i] = line(t, fmt.Sprintf("S%d", i), 1, 1)
	}
	if _, _, err := order.New(newID(t), "cust-1", many, "tok", nil, t0); !errors.Is(err, validation.ErrInvalid) {
		t.Fatalf("51 lines: err = %v", err)
	}
}

// TestAddressIsStoredTrimmed: the order keeps the address without the white space around its fields;
// letters of any script and inner spaces stay.
func TestAddressIsStoredTrimmed(t *testing.T) {
	in := &order.Address{Name: "  Zoë Ågren ", Line1: " 1 Main St\u00a0", Line2: " ", City: "\u3000東京 ", Region: " ", PostalCode: " 100-0001", Country: " JP "}
	want := order.Address{Name: "Zoë Ågren", Line1: "1 Main St", City: "東京", PostalCode: "100-0001", Country: "JP"}
	o, _, err := order.New(newID(t), "cust-1", []order.Line{line(t, "A", 1, 100)}, "tok", in, t0)
	if err != nil {
		t.Fatal(err)
	}
	if got := o.Shipping(); got == nil || *got != want {
		t.Fatalf("stored %+v; want %+v", got, want)
	}
	if in.Name != "  Zoë Ågren " {
		t.Fatal("the caller's address was changed")
	}
}

func TestPlacedOrderAndEvent(t *testing.T) {
	o, evs, err := order.New(newID(t), customer.ID("cust-1"), []order.Line{line(t, "SKU-1", 3, 1999)}, "tok_secret", nil, t0)
	if err != nil {
		t.Fatal(err)
	}
	if o.Status() != order.Pending || o.Version() != 1 || o.Total() != usd(t, 5997) || len(o.History()) != 1 {
		t.Fatalf("placed order = %v", o)
	}
	p, ok := evs[0].(event.OrderPlaced)
	if !ok || len(evs) != 1 || p.Total != usd(t, 5997) || p.Lines[0].LineTotal != usd(t, 5997) || p.Status != "PENDING" || p.OrderVersion != 1 {
		t.Fatalf("events = %+v", evs)
	}
	if s := fmt.Sprintf("%v %+v", o, evs); strings.Contains(s, "tok_secret") {
		t.Fatal("the payment token leaked into String or the event")
	}
}

func TestSnapshotRoundTrip(t *testing.T) {
	o := inState(t, order.Confirmed)
	back, err := order.FromSnapshot(o.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprintf("%+v", back.Snapshot()) != fmt.Sprintf("%+v", o.Snapshot()) {
		t.Fatalf("round trip differs:\n%+v\n%+v", back.Snapshot(), o.Snapshot())
	}
	if _, err := order.FromSnapshot(order.Snapshot{ID: "x", Status: "WEIRD", Version: 1}); err == nil {
		t.Fatal("a corrupt snapshot was accepted")
	}
}

func TestIDs(t *testing.T) {
	a, b := newID(t), newID(t)
	if a == b {
		t.Fatal("two ids are equal")
	}
	if _, err := order.ParseID(string(a)); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"", "not-an-id", "01ARZ3NDEKTSV4RRFFQ69G5FA", "01ARZ3NDEKTSV4RRFFQ69G5FAVX"} {
		if _, err := order.ParseID(bad); err == nil {
			t.Errorf("ParseID(%q) accepted", bad)
		}
	}
}

func TestVisibleToItsOwnerAndAdminsOnly(t *testing.T) {
	o, _, err := order.New(newID(t), customer.ID("cust-1"), []order.Line{line(t, "SKU-1", 1, 100)}, "tok_visa", nil, t0)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		caller customer.ID
		admin  bool
		want   bool
	}{
		{"cust-1", false, true},
		{"cust-2", false, false},
		{"cust-2", true, true},
		{"", false, false},
	} {
		if got := o.VisibleTo(c.caller, c.admin); got != c.want {
			t.Errorf("VisibleTo(%q, admin %v) = %v; want %v", c.caller, c.admin, got, c.want)
		}
	}
}
