package ws

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/orion-oss/orion/internal/order"
)

// Messages serves the subscribe, unsubscribe and $default routes (ping, and anything unknown). Every
// answer is one JSON message back to the client; a bad message gets {"type":"error"} and the
// connection stays open, as API Gateway keeps it.
type Messages struct {
	Store  ConnectionStore
	Orders OrderReader
	Logger *slog.Logger
	Now    func() time.Time
}

// clientMessage is every message a client may send. Unknown fields are ignored so that clients may add
// their own (a request id) without breaking.
type clientMessage struct {
	Action  string `json:"action"`
	OrderID string `json:"orderId"`
	All     bool   `json:"all"`
}

// Replies of the two-way routes.
type (
	pong struct {
		Type string `json:"type"`
	}
	subscribed struct {
		Type         string `json:"type"` // "subscribed"
		OrderID      string `json:"orderId,omitempty"`
		All          bool   `json:"all,omitempty"`
		Status       string `json:"status,omitempty"`
		Reason       string `json:"reason,omitempty"`
		OrderVersion int64  `json:"orderVersion,omitempty"`
	}
	unsubscribed struct {
		Type    string `json:"type"` // "unsubscribed"
		OrderID string `json:"orderId,omitempty"`
		All     bool   `json:"all,omitempty"`
	}
)

// maxMessage bounds what is decoded; API Gateway's own limit is 128 KB, a real message is under 200 B.
const maxMessage = 4 << 10

// Handle answers one message.
func (m Messages) Handle(ctx context.Context, req Request) (Response, error) {
	connID := req.RequestContext.ConnectionID
	log := logger(m.Logger).With("connectionId", connID, "requestId", req.RequestContext.RequestID, "route", req.RequestContext.RouteKey)
	var msg clientMessage
	body := []byte(req.Body)
	if req.IsBase64Encoded || len(body) > maxMessage || json.Unmarshal(body, &msg) != nil || !bytes.HasPrefix(bytes.TrimSpace(body), []byte("{")) {
		return reply(errorMessage{Type: "error", Code: codeBadRequest, Message: `messages are JSON objects such as {"action":"ping"}`})
	}
	switch msg.Action {
	case "ping":
		// Answered without reading the table: clients ping to keep an idle connection open (API
		// Gateway closes it after 10 idle minutes), and that must stay cheap.
		return reply(pong{Type: "pong"})
	case "subscribe", "unsubscribe":
	default:
		log.InfoContext(ctx, "ws: unknown action")
		return reply(errorMessage{Type: "error", Code: codeUnknownAction, Action: truncate(msg.Action, 64),
			Message: "actions are subscribe, unsubscribe and ping"})
	}

	conn, err := m.Store.Get(ctx, connID)
	if errors.Is(err, ErrNoConnection) {
		return reply(errorMessage{Type: "error", Code: codeNotConnected, Action: msg.Action, Message: "this connection is not registered; reconnect"})
	}
	if err != nil {
		log.ErrorContext(ctx, "ws: connection not read", "error", err)
		return Response{}, fmt.Errorf("ws: %s: %w", msg.Action, err)
	}
	log = log.With("userId", conn.UserID)
	if conn.Expired(now(m.Now)) {
		// The sweeper ends it within a minute; until then it gets nothing new.
		log.InfoContext(ctx, "ws: message on an expired connection")
		return reply(errorMessage{Type: "error", Code: codeExpired, Action: msg.Action, Message: "this connection's token expired; reconnect with a fresh token"})
	}

	if msg.All {
		return m.all(ctx, log, conn, msg.Action)
	}
	id, err := order.ParseID(msg.OrderID)
	if err != nil {
		return reply(errorMessage{Type: "error", Code: codeBadRequest, Action: msg.Action, Message: `give "orderId" (an order id) or "all": true`})
	}
	log = log.With("orderId", id.String())
	if msg.Action == "unsubscribe" {
		return m.unsubscribe(ctx, log, conn, id)
	}
	return m.subscribe(ctx, log, conn, id)
}

// subscribe answers with the order's current status, so a client that (re)connects knows where the
// order stands before the next push. Someone else's order and a missing order get the same error:
// the answer must not tell which ids exist.
func (m Messages) subscribe(ctx context.Context, log *slog.Logger, conn Connection, id order.ID) (Response, error) {
	o, err := m.Orders.Get(ctx, id)
	switch {
	case errors.Is(err, order.ErrNotFound):
	case err != nil:
		log.ErrorContext(ctx, "ws: order not read", "error", err)
		return Response{}, fmt.Errorf("ws: subscribe %s: %w", id, err)
	}
	if o == nil || !o.VisibleTo(conn.UserID, conn.Admin) {
		log.InfoContext(ctx, "ws: subscription refused")
		return reply(errorMessage{Type: "error", Code: codeNotFound, Action: "subscribe", OrderID: id.String(), Message: "no such order"})
	}
	if o.CustomerID() == conn.UserID {
		// Owners receive their orders' changes by default; subscribing undoes an unsubscribe.
		err = m.Store.Unmute(ctx, conn.ID, id.String())
	} else {
		err = m.Store.Watch(ctx, conn.ID, orderTopic(id.String()), conn.ExpiresAt)
	}
	if err != nil {
		return m.storeFailed(ctx, log, "subscribe", err)
	}
	log.InfoContext(ctx, "ws: subscribed")
	return reply(subscribed{Type: "subscribed", OrderID: id.String(), Status: string(o.Status()), Reason: string(o.Reason()), OrderVersion: o.Version()})
}

func (m Messages) unsubscribe(ctx context.Context, log *slog.Logger, conn Connection, id order.ID) (Response, error) {
	// Muting needs no ownership check: it only stops pushes to this connection.
	err := m.Store.Mute(ctx, conn.ID, id.String())
	if err == nil && conn.Admin {
		err = m.Store.Unwatch(ctx, conn.ID, orderTopic(id.String()))
	}
	if err != nil {
		return m.storeFailed(ctx, log, "unsubscribe", err)
	}
	log.InfoContext(ctx, "ws: unsubscribed")
	return reply(unsubscribed{Type: "unsubscribed", OrderID: id.String()})
}

// all is the admins' subscription to every order's changes.
func (m Messages) all(ctx context.Context, log *slog.Logger, conn Connection, action string) (Response, error) {
	if !conn.Admin {
		return reply(errorMessage{Type: "error", Code: codeForbidden, Action: action, Message: "only admins may subscribe to all orders"})
	}
	var err error
	if action == "subscribe" {
		err = m.Store.Watch(ctx, conn.ID, topicAll, conn.ExpiresAt)
	} else {
		err = m.Store.Unwatch(ctx, conn.ID, topicAll)
	}
	if err != nil {
		return m.storeFailed(ctx, log, action, err)
	}
	log.InfoContext(ctx, "ws: "+action+"d to all orders")
	if action == "subscribe" {
		return reply(subscribed{Type: "subscribed", All: true})
	}
	return reply(unsubscribed{Type: "unsubscribed", All: true})
}

func (m Messages) storeFailed(ctx context.Context, log *slog.Logger, action string, err error) (Response, error) {
	if errors.Is(err, ErrNoConnection) {
		return reply(errorMessage{Type: "error", Code: codeNotConnected, Action: action, Message: "this connection is not registered; reconnect"})
	}
	if errors.Is(err, ErrSubscriptionLimit) {
		log.InfoContext(ctx, "ws: subscription limit", "action", action)
		msg := fmt.Sprintf("a connection may unsubscribe from at most %d orders; subscribe to one again first", MaxMuted)
		if action == "subscribe" {
			msg = fmt.Sprintf("a connection may watch at most %d topics (single orders or all); unsubscribe from one first", MaxWatches)
		}
		return reply(errorMessage{Type: "error", Code: codeLimit, Action: action, Message: msg})
	}
	log.ErrorContext(ctx, "ws: "+action+" not stored", "error", err)
	return Response{}, fmt.Errorf("ws: %s: %w", action, err)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
