package project_test

import (
	"encoding/json"
	"testing"

	"github.com/orion-oss/orion/infra/engine/eventpattern"
	"github.com/orion-oss/orion/infra/engine/sam"
)

// rulePattern compiles the pattern of a function's EventBridgeRule event in template.yaml.
func rulePattern(t *testing.T, tpl *sam.Template, function, eventName string) *eventpattern.Pattern {
	t.Helper()
	events, _ := tpl.Resources[function].Properties["Events"].(map[string]any)
	ev, _ := events[eventName].(map[string]any)
	props, _ := ev["Properties"].(map[string]any)
	raw, err := json.Marshal(props["Pattern"])
	if err != nil || props["Pattern"] == nil {
		t.Fatalf("%s %s: no pattern (%v)", function, eventName, err)
	}
	p, err := eventpattern.Compile(raw)
	if err != nil {
		t.Fatalf("%s %s: %v", function, eventName, err)
	}
	return p
}

// The email rule takes a confirmed order's later news, and of the refunds only a return's (returnId): a
// whole order's refund is told by its CANCELLED or FAILED mail (and push: the notifier reads the
// projections stream, docs/adr/0026). The refund-return rule takes the receipt of a return and nothing
// else.
func TestProjectFulfilmentRulesTakeOnlyReturnRefunds(t *testing.T) {
	tpl, err := sam.Load("../../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rules := map[string]*eventpattern.Pattern{
		"email":         rulePattern(t, tpl, "SendEmailFunction", "Outcomes"),
		"refund-return": rulePattern(t, tpl, "RefundReturnFunction", "ReturnReceived"),
	}
	tests := []struct {
		source, detailType, data string
		want                     map[string]bool // by rule; absent: not matched
	}{
		{"orion.orders", "OrderShipped", `{"orderId":"o","trackingNumber":"JD1"}`, map[string]bool{"email": true}},
		{"orion.orders", "OrderDelivered", `{"orderId":"o"}`, map[string]bool{"email": true}},
		{"orion.orders", "OrderReturnRequested", `{"orderId":"o","returnId":"R1"}`, nil},
		{"orion.orders", "OrderReturnReceived", `{"orderId":"o","returnId":"R1"}`, map[string]bool{"refund-return": true}},
		{"orion.payments", "PaymentRefunded", `{"orderId":"o","returnId":"R1"}`, map[string]bool{"email": true}},
		{"orion.payments", "PaymentRefunded", `{"orderId":"o"}`, nil},
		{"orion.orders", "OrderConfirmed", `{"orderId":"o"}`, map[string]bool{"email": true}},
		// Only Orion's own source: a partner's event of the same name moves nothing.
		{"partner.fulfilment", "OrderReturnReceived", `{"orderId":"o","returnId":"R1"}`, nil},
		{"orion.inventory", "InventoryReturned", `{"orderId":"o","returnId":"R1"}`, nil},
	}
	for _, tt := range tests {
		ev := []byte(`{"source":"` + tt.source + `","detail-type":"` + tt.detailType + `","detail":{"type":"` + tt.detailType + `","data":` + tt.data + `}}`)
		for name, p := range rules {
			got, err := p.Match(ev)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want[name] {
				t.Errorf("%s rule on %s %s %s: matched %v; want %v", name, tt.source, tt.detailType, tt.data, got, tt.want[name])
			}
		}
	}
}
