// Package ws is real-time order status over an API Gateway WebSocket API: $connect authenticates the
// access token given as ?token= and records the connection, messages subscribe and unsubscribe, and
// the notifier pushes every status change of an order to its owner's connections (and to admins who
// subscribed) through the API Gateway Management API. docs/websocket.md is the client's view.
//
// The functions' handlers live here over small ports (the connections store, the token verifier, the
// order reader, the poster), in this package's own types; internal/adapter/dynamo (its connections
// subpackage, the order repository), internal/adapter/apigateway and auth.Verifier implement them.
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

// ConnectionLifetime is API Gateway's maximum connection duration; the connection's row expires with it
// (TTL), so a connection whose $disconnect never ran still disappears.
const ConnectionLifetime = 2 * time.Hour

// Connection is one open WebSocket connection as stored at $connect.
type Connection struct {
	ID          string
	UserID      customer.ID
	Admin       bool
	ConnectedAt time.Time
	ExpiresAt   time.Time
	// Muted lists the orders this connection unsubscribed from.
	Muted []string
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

// TokenVerifier checks an access token (auth.Verifier).
type TokenVerifier interface {
	Verify(ctx context.Context, raw string) (auth.Identity, error)
}

// ConnectionStore is the connections table as the connect, disconnect and message functions use it.
type ConnectionStore interface {
	Put(ctx context.Context, c Connection) error
	Get(ctx context.Context, id string) (Connection, error)
	// Delete removes a connection, and its watches of the given topics and of those it recorded.
	Delete(ctx context.Context, id string, topics ...string) error
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
)

// reply is a two-way route's answer: a JSON body the gateway sends to the client.
func reply(v any) (Response, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return Response{}, err
	}
	return Response{StatusCode: 200, Body: string(b)}, nil
}
