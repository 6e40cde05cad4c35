// Package ws is real-time order status over an API Gateway WebSocket API: $connect authenticates the
// access token (offered as a Sec-WebSocket-Protocol value, docs/adr/0016) and records the connection
// within its user's cap, messages subscribe and unsubscribe within a connection's bounds, the notifier
// pushes every status change of an order to its owner's connections (and to admins who subscribed)
// through the API Gateway Management API, and the sweeper ends connections whose token expired or
// whose user left the admin group. docs/websocket.md is the client's view.
//
// The functions' handlers live here over small ports (the connections store, the token verifier, the
// order reader, the poster, the closer, the group check), in this package's own types;
// internal/adapter/dynamo (its connections subpackage, the order repository), internal/adapter/apigateway,
// internal/adapter/cognito/groups and auth.Verifier implement them.
package ws

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orion-oss/orion/internal/auth"
	"github.com/orion-oss/orion/internal/customer"
	"github.com/orion-oss/orion/internal/order"
)

type (
	// Request is API Gateway's WebSocket Lambda proxy event, for every route.
	Request = events.APIGatewayWebsocketProxyRequest
	// Response is a route's result: for $connect, its statusCode decides the upgrade; for a two-way
	// route, its body is sent back to the client.
	Response = events.APIGatewayProxyResponse
)

// ConnectionLifetime is API Gateway's maximum connection duration. No connection lives longer, so the
// store's TTL, which collects the rows of connections whose $disconnect never ran, counts past it.
const ConnectionLifetime = 2 * time.Hour

// Bounds a hostile client cannot get around (docs/websocket.md, "Limits").
const (
	// MaxConnectionsPerUser is how many connections one user may hold open at once: enough for a few
	// devices and tabs, and far below what lets one account make the notifier's fan-out expensive.
	MaxConnectionsPerUser = 10
	// MaxMuted is how many orders one connection may unsubscribe from (the set is on its row).
	MaxMuted = 50
	// MaxWatches is how many topics one admin connection may watch ("all" or single orders); every
	// watch is read by every push, so the bound keeps a push's cost bounded too.
	MaxWatches = 50
)

// Connection is one open WebSocket connection as stored at $connect.
type Connection struct {
	ID          string
	UserID      customer.ID
	Admin       bool
	ConnectedAt time.Time
	// ExpiresAt is when the connection must end: its token's exp, or API Gateway's 2-hour limit if
	// that comes first. The sweeper ends it then. It is not the row's TTL: TTL may delete a row any
	// time after it, and a row gone before the sweeper saw it would leave the connection open.
	ExpiresAt time.Time
	// Muted lists the orders this connection unsubscribed from.
	Muted []string
}

// Expired reports whether the connection's token has expired by now (a connection read without an
// expiry, as in tests of other parts, never has).
func (c Connection) Expired(now time.Time) bool {
	return !c.ExpiresAt.IsZero() && !c.ExpiresAt.After(now)
}

// Mutes reports whether the connection unsubscribed from an order.
func (c Connection) Mutes(orderID string) bool { return slices.Contains(c.Muted, orderID) }

// Topics a connection can watch besides its own orders; only admins watch.
const topicAll = "all"

// orderTopic is the topic of one order's changes.
func orderTopic(id string) string { return "order:" + id }

// ErrNoConnection means the connection has no row: it never connected, disconnected, or expired.
var ErrNoConnection = errors.New("ws: no such connection")

// ErrGone means API Gateway no longer knows the connection (410 GoneException): the client is gone.
var ErrGone = errors.New("ws: connection gone")

// ErrTooManyConnections means the user holds MaxConnectionsPerUser connections already.
var ErrTooManyConnections = errors.New("ws: too many connections")

// ErrSubscriptionLimit means the connection reached MaxMuted or MaxWatches; nothing changed.
var ErrSubscriptionLimit = errors.New("ws: subscription limit reached")

// TokenVerifier checks an access token (auth.Verifier).
type TokenVerifier interface {
	Verify(ctx context.Context, raw string) (auth.Identity, error)
}

// ConnectionStore is the connections table as the connect, disconnect and message functions use it.
type ConnectionStore interface {
	// Connect records a connection and takes one of its user's max slots, atomically;
	// ErrTooManyConnections (nothing stored) when they are all taken by live connections.
	Connect(ctx context.Context, c Connection, max int) error
	// OfUser lists a user's connections (eventually consistent).
	OfUser(ctx context.Context, userID string) ([]Connection, error)
	Get(ctx context.Context, id string) (Connection, error)
	// Delete removes a connection, and its watches of the given topics and of those it recorded.
	// Delete removes a connection, frees its user's slot, and removes its watches of the given
	// topics and of those it recorded; idempotent.
	Delete(ctx context.Context, id string, topics ...string) error
	// Mute and Watch answer ErrSubscriptionLimit, changing nothing, past MaxMuted and MaxWatches.
	Mute(ctx context.Context, id, orderID string) error
	Unmute(ctx context.Context, id, orderID string) error
	Watch(ctx context.Context, id, topic string, until time.Time) error
	Unwatch(ctx context.Context, id, topic string) error
}

// OrderReader reads an order (the command side, strongly consistent: a client subscribes right after
// placing it, before any projection has it).
type OrderReader interface {
	Get(ctx context.Context, id order.ID) (*order.Order, error)
}

// errorMessage is what a client gets for a message it cannot have; the connection stays open.
type errorMessage struct {
	Type    string `json:"type"` // "error"
	Code    string `json:"code"`
	Message string `json:"message"`
	Action  string `json:"action,omitempty"`
	OrderID string `json:"orderId,omitempty"`
}

// Error codes of errorMessage.
const (
	codeBadRequest    = "bad_request"
	codeUnknownAction = "unknown_action"
	codeNotFound      = "order_not_found"
	codeForbidden     = "forbidden"
	codeNotConnected  = "not_connected"
	codeLimit         = "subscription_limit"
	codeExpired       = "token_expired"
)

// reply is a two-way route's answer: a JSON body the gateway sends to the client.
func reply(v any) (Response, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return Response{}, err
	}
	return Response{StatusCode: 200, Body: string(b)}, nil
}
