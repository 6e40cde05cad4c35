package fulfilment

import (
	"errors"
	"fmt"
)

// Reason says why an event was set aside in a dead-letter queue; it is the message's `reason`
// attribute, so that an operator can tell at a glance whether a redrive could ever help.
type Reason string

// The reasons. Those of a message that can never apply (a bad message, an unknown type, a foreign
// source, an order or return Orion does not have, a change the order refuses) go to the rejected
// queue at once; RetriesExhausted is an event that could still apply, whose cause (most often a
// delivery reported before its dispatch) did not clear in the queue's receives, and goes to the
// dead-letter queue, which can be redriven.
const (
	ReasonInvalidEnvelope    Reason = "invalid-envelope"
	ReasonUnauthorizedSource Reason = "unauthorized-source"
	ReasonUnknownType        Reason = "unknown-detail-type"
	ReasonInvalidDetail      Reason = "invalid-detail"
	ReasonOrderNotFound      Reason = "order-not-found"
	ReasonRefused            Reason = "refused-by-order"
	ReasonRetriesExhausted   Reason = "retries-exhausted"
)

// Rejection is an event that cannot be applied, with the reason and a detail for the operator (never
// shown to a client: the partner learns of it through the dead-letter queue's alarm and runbook).
type Rejection struct {
	Reason Reason
	Detail string
}

func (r *Rejection) Error() string { return fmt.Sprintf("fulfilment: %s: %s", r.Reason, r.Detail) }

func reject(reason Reason, format string, args ...any) *Rejection {
	return &Rejection{Reason: reason, Detail: fmt.Sprintf(format, args...)}
}

// AsRejection finds the Rejection in err's chain.
func AsRejection(err error) (*Rejection, bool) {
	var r *Rejection
	ok := errors.As(err, &r)
	return r, ok
}
