package soak

import "slices"

// viewMatches reports whether an order's view is the order: its status and one history entry per
// change, shipping and delivery included.
func viewMatches(v viewRecord, rec orderRecord) bool {
	return v.Status == rec.Status && slices.Equal(v.History, rec.History)
}

// checkMoney checks an order's money from its payment events in the outbox: refunds never exceed
// what was captured; what the customer paid in the end (captured less refunded) is the order's total
// less its refunded returns when the customer keeps the order, and nothing when it ended otherwise;
// each refunded return has exactly one refund, of its amount, and no refund names a return that is
// not REFUNDED.
func (r *run) checkMoney(id string, rec orderRecord, events []outboxEvent) {
	t := r.t
	var captured, refunded int64
	byReturn := map[string][]int64{}
	for _, e := range events {
		if e.Data.Amount == nil {
			continue
		}
		if e.Data.Amount.Currency != rec.Total.Currency {
			t.Errorf("order %s: %s in %s; the order is in %s", id, e.Type, e.Data.Amount.Currency, rec.Total.Currency)
		}
		switch e.Type {
		case "PaymentCaptured":
			captured += e.Data.Amount.Amount
		case "PaymentRefunded":
			refunded += e.Data.Amount.Amount
			if e.Data.ReturnID != "" {
				byReturn[e.Data.ReturnID] = append(byReturn[e.Data.ReturnID], e.Data.Amount.Amount)
			}
		}
	}
	if refunded > captured {
		t.Errorf("order %s (%s): refunded %d of %d captured", id, rec.Status, refunded, captured)
	}
	want := int64(0)
	if rec.kept() {
		want = rec.Total.Amount
	}
	for _, rt := range rec.Returns {
		refunds := byReturn[rt.ID]
		delete(byReturn, rt.ID)
		switch {
		case rt.Status == "REFUNDED" && (len(refunds) != 1 || refunds[0] != rt.Amount.Amount):
			t.Errorf("order %s: return %s of %d refunded %v; want once", id, rt.ID, rt.Amount.Amount, refunds)
		case rt.Status != "REFUNDED" && len(refunds) != 0:
			t.Errorf("order %s: return %s is %s but refunded %v", id, rt.ID, rt.Status, refunds)
		}
		if rt.Status == "REFUNDED" && rec.kept() {
			want -= rt.Amount.Amount
		}
	}
	for rid, refunds := range byReturn {
		t.Errorf("order %s: refunds %v of a return %s the order does not have", id, refunds, rid)
	}
	if kept := captured - refunded; kept != want {
		t.Errorf("order %s (%s, total %d, returns %+v): the customer paid %d (captured %d, refunded %d); want %d",
			id, rec.Status, rec.Total.Amount, rec.Returns, kept, captured, refunded, want)
	}
	r.captured += captured
	r.refunded += refunded
}
