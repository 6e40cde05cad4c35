package api

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/payment"
	"github.com/orion-oss/orion/internal/web"
)

// Verifier checks that a webhook request is an event the provider sent and translates it
// (internal/adapter/stripe's Webhook). relevant is false for an event Orion does not act on. An error
// that wraps payment.ErrInvalidEvent is the sender's fault (unsigned, forged, stale, malformed); any
// other error is Orion's (the signing secret could not be read).
type Verifier interface {
	Parse(ctx context.Context, body []byte, signature string) (ev payment.ProviderEvent, relevant bool, err error)
}

// PaymentEvents applies a verified provider event to its order (saga.ProviderEvents). It is
// idempotent on ev.ID: a repeated delivery returns nil and changes nothing. It returns nil for an event
// that no longer applies to the order, an error wrapping order.ErrNotFound for an order Orion does not
// know, and any other error for a failure worth the provider's retry.
type PaymentEvents interface {
	Handle(ctx context.Context, ev payment.ProviderEvent) error
}

// StripeWebhook is POST /webhooks/stripe, a public route: Stripe's signature is its authentication
// (docs/security.md). A 2xx tells Stripe the event is delivered, anything else makes it retry for up to
// three days (docs.stripe.com/webhooks#retries); so an event is acknowledged once it is applied, or
// once it is known to need nothing (irrelevant, a duplicate, an order Orion does not know), and a
// request that is not Stripe's is refused with 400, before anything is read or written.
type StripeWebhook struct {
	Verifier Verifier
	Events   PaymentEvents
	Log      *slog.Logger
}

// Receive answers one delivery.
func (e StripeWebhook) Receive(ctx context.Context, req web.Request) (web.Response, error) {
	body, err := rawBody(req)
	if err != nil {
		return web.Response{}, err
	}
	// Payload format 2.0 lowercases header names (docs.aws.amazon.com/apigateway/latest/developerguide/
	// http-api-develop-integrations-lambda.html). An unsigned request is refused here, without reading
	// the signing secret: a flood of them costs no Parameter Store call.
	sig := req.Headers["stripe-signature"]
	if sig == "" {
		return web.Response{}, fmt.Errorf("%w: no Stripe-Signature header", payment.ErrInvalidEvent)
	}
	ev, relevant, err := e.Verifier.Parse(ctx, body, sig)
	if err != nil {
		return web.Response{}, err
	}
	if !relevant {
		return received(), nil
	}
	switch err := e.Events.Handle(ctx, ev); {
	case errors.Is(err, order.ErrNotFound):
		// An event of a payment Orion did not make (another integration on the same Stripe account):
		// a retry would find no order either.
		e.Log.InfoContext(ctx, "provider event for an unknown order acknowledged", "eventId", ev.ID, "kind", ev.Kind, "orderId", ev.OrderID)
	case err != nil:
		return web.Response{}, fmt.Errorf("provider event %s (%s): %w", ev.ID, ev.Kind, err)
	}
	return received(), nil
}

// rawBody is the body exactly as Stripe sent it: the signature covers its bytes, so it is never decoded
// as JSON and re-encoded. API Gateway passes a body whose Content-Type is not text as base64
// (isBase64Encoded); Stripe sends application/json, but nothing stops a sender from saying otherwise.
func rawBody(req web.Request) ([]byte, error) {
	body := []byte(req.Body)
	if req.IsBase64Encoded {
		if len(req.Body) > base64.StdEncoding.EncodedLen(web.MaxBody) {
			return nil, web.ErrTooLarge // refused before it is decoded
		}
		b, err := base64.StdEncoding.DecodeString(req.Body)
		if err != nil {
			return nil, fmt.Errorf("%w: the body is not valid base64", payment.ErrInvalidEvent)
		}
		body = b
	}
	// The limit every endpoint has (web.MaxBody): the events Orion subscribes to are a few KiB.
	if len(body) > web.MaxBody {
		return nil, web.ErrTooLarge
	}
	return body, nil
}

func received() web.Response {
	return web.JSON(http.StatusOK, map[string]bool{"received": true}, nil)
}
