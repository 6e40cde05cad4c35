// Package api holds the HTTP endpoints over the use cases, one file each: an endpoint decodes and
// validates its request, calls the command or query handler (packages command and query), maps what
// only HTTP knows (a cursor's field, a forbidden listing) and encodes the answer. Each function of
// functions/ serves one of them. Plumbing (decoding, problems, the caller) is in internal/web; the
// account endpoints are package api/account.
package api

import (
	"errors"
	"net/url"
	"strconv"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/query"
	"github.com/orion-oss/orion/internal/validation"
	"github.com/orion-oss/orion/internal/web"
)

// cause is what a command's events record of the request that caused them.
func cause(req web.Request) event.Cause {
	return event.Cause{CorrelationID: web.CorrelationID(req), CausationID: req.RequestContext.RequestID}
}

// actor is the admin as the events of their action record them: the token's subject, never the email
// (event.Actor).
func actor(admin web.Caller) event.Actor {
	return event.Actor{Sub: admin.ID.String(), Role: event.RoleAdmin}
}

func pathSKU(req web.Request) (inventory.SKU, error) {
	raw, err := url.PathUnescape(req.PathParameters["sku"])
	if err != nil {
		return "", validation.New("sku", "is not a valid path segment")
	}
	return inventory.ParseSKU(raw)
}

func pathOrderID(req web.Request) (order.ID, error) {
	return order.ParseID(req.PathParameters["orderId"])
}

// Page is a page of a list.
type Page[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"nextCursor"`
}

// pageLimit reads ?limit= (1-100, default 20).
func pageLimit(req web.Request) (int32, error) {
	s, ok := req.QueryStringParameters["limit"]
	if !ok {
		return 20, nil
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil || n < 1 || n > 100 {
		return 0, validation.New("limit", "must be an integer from 1 to 100")
	}
	return int32(n), nil
}

// listError is a list query's error as the client sees it: a cursor of another listing is a bad
// ?cursor=, a listing the caller may not read is forbidden.
func listError(err error) error {
	switch {
	case errors.Is(err, query.ErrBadCursor):
		return validation.New("cursor", "is not a cursor of this listing")
	case errors.Is(err, query.ErrForbidden):
		return web.ErrForbidden
	}
	return err
}
