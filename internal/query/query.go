// Package query holds the read side's use cases, one file each: a query type, the handler that answers
// it with Handle(ctx, q), the models it answers with (order summaries, catalog items) and the read
// ports it needs, which the DynamoDB adapter implements. Lists read the projections the events build
// (eventually consistent); a single order or item is read from its aggregate (strongly consistent), so
// that a client sees its own write at once. The write side is package command.
package query

import "errors"

var (
	// ErrBadCursor means a page cursor was not issued for this listing (forged, or another caller's).
	// Cursors are opaque strings: only the read model that issued one can read it.
	ErrBadCursor = errors.New("query: invalid cursor")
	// ErrForbidden means the caller may not read what it asked for.
	ErrForbidden = errors.New("query: not allowed")
)
