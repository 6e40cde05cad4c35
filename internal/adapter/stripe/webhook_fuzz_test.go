package stripe_test

import (
	"context"
	"errors"
	"testing"

	"github.com/orion-oss/orion/internal/adapter/stripe"
)

// FuzzParse sends what anyone on the internet can send to the public webhook route: any body with
// any Stripe-Signature header, and any body correctly signed (as if the secret had leaked, or Stripe
// sent a shape Orion does not know). Parse never panics; a refusal is ErrSignature or ErrMalformed
// (the endpoint's 400), never an error that would be a 500; and an unsigned body is never relevant.
func FuzzParse(f *testing.F) {
	f.Add(envelope("evt_1", "payment_intent.amount_capturable_updated", orionIntent), "", true)
	f.Add(envelope("evt_2", "refund.created", `{"id":"re_1","object":"refund","amount":-5,"currency":"zzz"}`), "t=1,v1=00", false)
	f.Add(`{"id":"evt_3","object":"event","type":"charge.dispute.created","data":{"object":null}}`, "", true)
	f.Add(`[]`, "t=,v1=,v1=zz", false)
	orderOf := func(context.Context, string) (string, error) { return "01JDQ7Z3M6X9V0YB2C4D5E6F7G", nil }
	f.Fuzz(func(t *testing.T, body, header string, signed bool) {
		if signed {
			header = sign(secret, now, body)
		}
		ev, relevant, err := webhook(orderOf).Parse(context.Background(), []byte(body), header)
		if err != nil {
			if !errors.Is(err, stripe.ErrSignature) && !errors.Is(err, stripe.ErrMalformed) {
				t.Fatalf("a sender's request gave %v: neither ErrSignature nor ErrMalformed", err)
			}
			if relevant {
				t.Fatal("a refused event is relevant")
			}
			return
		}
		if !signed && relevant {
			t.Fatalf("an event without a valid signature was accepted: %+v", ev)
		}
		if relevant && (ev.ID == "" || ev.Kind == "") {
			t.Fatalf("a relevant event without an id or kind: %+v", ev)
		}
	})
}
