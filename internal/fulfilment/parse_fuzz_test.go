package fulfilment_test

import (
	"testing"

	"github.com/orion-oss/orion/internal/fulfilment"
)

// FuzzParse feeds the parser what anyone able to send to the queue could write: it never panics,
// every refusal is a Rejection (set aside with its reason, never retried), and an accepted event names
// an order and an event id.
func FuzzParse(f *testing.F) {
	for _, seed := range [][]byte{
		body(partner, "ShipmentDispatched", `{"eventId":"e1","orderId":"`+orderID+`","carrier":"UPS","trackingNumber":"1Z9","trackingUrl":"https://ups.example/t?n=1Z9","dispatchedAt":"2026-12-03T11:00:00Z"}`),
		body(partner, "ShipmentDelivered", `{"eventId":"e2","orderId":"`+orderID+`","deliveredAt":"2026-12-03T11:30:00Z"}`),
		body(partner, "ReturnReceived", `{"eventId":"e3","orderId":"`+orderID+`","returnId":"R1","receivedAt":"2026-12-03T11:40:00Z"}`),
		body("evil.partner", "ShipmentDelivered", `{}`),
		[]byte(`{"source":"partner.fulfilment","detail-type":"ShipmentDelivered","detail":null}`),
		[]byte(`[]`),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := fulfilment.Parse(b, partner, now)
		if err != nil {
			if _, ok := fulfilment.AsRejection(err); !ok {
				t.Fatalf("refusal %v is not a Rejection", err)
			}
			return
		}
		if ref := e.Reference(); ref.EventID == "" || ref.OrderID == "" || ref.Source != partner {
			t.Fatalf("accepted an event without its references: %+v", ref)
		}
	})
}
