package payment

import (
	"time"

	"github.com/orion-oss/orion/internal/money"
)

// EventKind is what a provider's event (a Stripe webhook) means to Orion. A provider adapter
// translates the events Orion cares about into a ProviderEvent and ignores the others.
type EventKind string

const (
	// ActionSucceeded: the customer completed the action (3-D Secure) and the hold exists.
	ActionSucceeded EventKind = "ACTION_SUCCEEDED"
	// ActionFailed: the authorization failed after the action (declined, authentication failed).
	ActionFailed EventKind = "ACTION_FAILED"
	// RefundedOutside: a refund Orion did not ask for (made in the provider's dashboard).
	RefundedOutside EventKind = "REFUNDED_OUTSIDE"
	// Disputed: the customer's bank opened a dispute (chargeback) on the payment.
	Disputed EventKind = "DISPUTED"
)

// ProviderEvent is one provider event, verified and translated.
type ProviderEvent struct {
	ID              string // the provider's event id: deliveries repeat, so it is the deduplication key
	Kind            EventKind
	OrderID         string // from the metadata Orion set on the payment
	AuthorizationID string // the provider's payment id (Authorization.ID)
	Amount          money.Money
	Code            string // the decline code (ActionFailed) or the dispute reason (Disputed)
	Reference       string // the refund id (RefundedOutside) or the dispute id (Disputed)
	At              time.Time
}
