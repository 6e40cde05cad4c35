package payment

import "errors"

// ErrInvalidEvent is what a provider adapter's webhook check wraps when the request is not an event the
// provider sent: no signature, a forged or stale one, or a body that is no event. The sender caused it
// (HTTP 400, and nothing changes); any other error of the check, such as an unreadable signing secret,
// is Orion's own fault and must not be answered as the sender's.
var ErrInvalidEvent = errors.New("payment: not a provider event (unsigned, forged, stale or malformed)")
