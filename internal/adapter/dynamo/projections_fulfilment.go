package dynamo

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/money"
	"github.com/orion-oss/orion/internal/query"
)

// An order view keeps its life after confirmation as facts that never change once set, so that the
// events may arrive in any order and any number of times (EventBridge delivers at least once, in no
// order) and the view still converges: the shipment (OrderShipped), the delivery time
// (OrderDelivered), and for each return one attribute per step, named after the return id:
// rq_<id> (OrderReturnRequested), rc_<id> (OrderReturnReceived, or InventoryReturned with the id) and
// rf_<id> (PaymentRefunded with the id). A return's status is the furthest step present, so a late
// OrderReturnRequested never takes a refunded return back to REQUESTED.
const (
	returnRequestedPrefix = "rq_"
	returnReceivedPrefix  = "rc_"
	returnRefundedPrefix  = "rf_"
)

// The view's shipment and return lines have the order item's shapes (shipmentRecord, returnLineRecord).

// returnStepRecord is one step of a return. Lines and Amount come with the request and the receipt
// (so a view shows them even when the receipt arrives first); InventoryReturned records the time only.
type returnStepRecord struct {
	At       string             `dynamodbav:"at"`
	Lines    []returnLineRecord `dynamodbav:"lines,omitempty"`
	Amount   *moneyRecord       `dynamodbav:"amount,omitempty"`
	Reason   string             `dynamodbav:"reason,omitempty"`
	RefundID string             `dynamodbav:"refundId,omitempty"`
}

// fulfilmentFacts adds to an order view's update the facts a fulfilment or return event carries.
func fulfilmentFacts(p event.Payload, at time.Time, names map[string]string, values map[string]types.AttributeValue, facts *[]string) error {
	set := func(name, attr string, v any, onlyIfAbsent bool) error {
		av, err := attributevalue.Marshal(v)
		if err != nil {
			return fmt.Errorf("dynamo: project %s: %w", attr, err)
		}
		names[name], values[":"+name[1:]] = attr, av
		expr := name + " = :" + name[1:]
		if onlyIfAbsent {
			expr = name + " = if_not_exists(" + name + ", :" + name[1:] + ")"
		}
		*facts = append(*facts, expr)
		return nil
	}
	when := at.UTC().Format(time.RFC3339Nano)
	switch e := p.(type) {
	case *event.OrderShipped:
		return set("#shipment", "shipment", shipmentRecord{Carrier: e.Carrier, TrackingNumber: e.TrackingNumber, TrackingURL: e.TrackingURL,
			ShippedAt: e.ShippedAt.UTC().Format(time.RFC3339Nano)}, false)
	case *event.OrderDelivered:
		return set("#delivered", "deliveredAt", e.DeliveredAt.UTC().Format(time.RFC3339Nano), false)
	case *event.OrderReturnRequested:
		amount := mrec(e.Amount)
		return set("#rq", returnRequestedPrefix+e.ReturnID, returnStepRecord{At: when, Lines: returnLineRecords(e.Lines), Amount: &amount,
			Reason: e.ReturnReason}, false)
	case *event.OrderReturnReceived:
		amount := mrec(e.Amount)
		return set("#rc", returnReceivedPrefix+e.ReturnID, returnStepRecord{At: when, Lines: returnLineRecords(e.Lines), Amount: &amount}, false)
	case *event.InventoryReturned:
		if e.ReturnID == "" {
			return nil // a cancelled order's stock: not a return
		}
		// Written in the same transaction as OrderReturnReceived, whose record says more: this one only
		// marks the receipt if that has not arrived yet.
		return set("#rc", returnReceivedPrefix+e.ReturnID, returnStepRecord{At: when}, true)
	case *event.PaymentRefunded:
		if e.ReturnID == "" {
			return nil // a cancelled order's refund
		}
		amount := mrec(e.Amount)
		return set("#rf", returnRefundedPrefix+e.ReturnID, returnStepRecord{At: when, Amount: &amount, RefundID: e.RefundID}, false)
	}
	return nil
}

func returnLineRecords(ls []event.ReturnLine) []returnLineRecord {
	out := make([]returnLineRecord, len(ls))
	for i, l := range ls {
		out[i] = returnLineRecord{SKU: l.SKU, Quantity: l.Quantity}
	}
	return out
}

// returnSummaries reads a view's returns from their step attributes, in id order (R1, R2, ..., R10).
func returnSummaries(it map[string]types.AttributeValue) []query.ReturnSummary {
	steps := map[string]map[string]returnStepRecord{} // return id -> prefix -> step
	for k, av := range it {
		for _, prefix := range []string{returnRequestedPrefix, returnReceivedPrefix, returnRefundedPrefix} {
			id, ok := strings.CutPrefix(k, prefix)
			if !ok {
				continue
			}
			var rec returnStepRecord
			if attributevalue.Unmarshal(av, &rec) != nil {
				continue // a view is written only by Apply; a step that does not decode reads as absent
			}
			if steps[id] == nil {
				steps[id] = map[string]returnStepRecord{}
			}
			steps[id][prefix] = rec
		}
	}
	out := make([]query.ReturnSummary, 0, len(steps))
	for id, st := range steps {
		r := query.ReturnSummary{ReturnID: id, Status: "REQUESTED"}
		rq, requested := st[returnRequestedPrefix]
		rc, received := st[returnReceivedPrefix]
		rf, refunded := st[returnRefundedPrefix]
		if requested {
			r.RequestedAt, r.Reason = rq.At, rq.Reason
		}
		if received {
			r.Status, r.ReceivedAt = "RECEIVED", rc.At
		}
		if refunded {
			r.Status, r.RefundedAt = "REFUNDED", rf.At
		}
		for _, rec := range []returnStepRecord{rq, rc, rf} { // the first step that knows them
			if len(r.Lines) == 0 && len(rec.Lines) > 0 {
				for _, l := range rec.Lines {
					r.Lines = append(r.Lines, query.ReturnLine{SKU: l.SKU, Quantity: l.Quantity})
				}
			}
			if r.Amount.Currency() == "" && rec.Amount != nil {
				r.Amount, _ = money.New(rec.Amount.Amount, rec.Amount.Currency)
			}
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return returnNumber(out[i].ReturnID) < returnNumber(out[j].ReturnID) })
	return out
}

func returnNumber(id string) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(id, "R"))
	return n
}
