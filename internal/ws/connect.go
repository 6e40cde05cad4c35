package ws

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/orion-oss/orion/internal/auth"
)

// Connector is the $connect and $disconnect routes.
type Connector struct {
	Tokens TokenVerifier
	Store  ConnectionStore
	Logger *slog.Logger
	Now    func() time.Time
}

// Connect authenticates the access token of ?token= (browsers cannot set an Authorization header on an
// upgrade) and records the connection. Every refused token answers 401, a genuine token that is not for
// this API (an id token, another app client's) too: the HTTP API answers those 401 as well, and a
// distinct status would tell a forger which tokens carry a valid signature. API Gateway then refuses
// the upgrade with that status, and nothing is stored. A failure of ours (keys unreachable, table unavailable) is returned as an error,
// which refuses the upgrade with 500; the client may retry.
func (c Connector) Connect(ctx context.Context, req Request) (Response, error) {
	connID := req.RequestContext.ConnectionID
	log := logger(c.Logger).With("connectionId", connID, "requestId", req.RequestContext.RequestID)
	// The token is never logged: only whether the check passed and why not.
	id, err := c.Tokens.Verify(ctx, req.QueryStringParameters["token"])
	switch {
	case errors.Is(err, auth.ErrNoToken), errors.Is(err, auth.ErrInvalidToken), errors.Is(err, auth.ErrTokenNotAccepted):
		log.InfoContext(ctx, "ws: connection refused", "status", http.StatusUnauthorized, "reason", err.Error())
		return Response{StatusCode: http.StatusUnauthorized, Body: `{"message":"Unauthorized"}`}, nil
	case err != nil:
		log.ErrorContext(ctx, "ws: connect failed", "error", err)
		return Response{}, fmt.Errorf("ws: connect %s: %w", connID, err)
	}
	if connID == "" {
		return Response{}, errors.New("ws: $connect without a connection id")
	}
	now := now(c.Now)
	conn := Connection{ID: connID, UserID: id.Customer, Admin: id.Admin, ConnectedAt: now, ExpiresAt: now.Add(ConnectionLifetime)}
	if err := c.Store.Put(ctx, conn); err != nil {
		log.ErrorContext(ctx, "ws: connection not stored", "error", err)
		return Response{}, fmt.Errorf("ws: connect %s: %w", connID, err)
	}
	log.InfoContext(ctx, "ws: connected", "userId", id.Customer, "admin", id.Admin)
	return Response{StatusCode: http.StatusOK}, nil
}

// Disconnect forgets the connection. API Gateway ignores its result and calls it at most once, on a
// best-effort basis, so a failure here only leaves a row that the next push removes (410) or TTL does.
func (c Connector) Disconnect(ctx context.Context, req Request) (Response, error) {
	connID := req.RequestContext.ConnectionID
	log := logger(c.Logger).With("connectionId", connID, "requestId", req.RequestContext.RequestID)
	if err := c.Store.Delete(ctx, connID); err != nil {
		log.ErrorContext(ctx, "ws: connection not deleted", "error", err)
		return Response{}, fmt.Errorf("ws: disconnect %s: %w", connID, err)
	}
	log.InfoContext(ctx, "ws: disconnected", "code", req.RequestContext.DisconnectStatusCode)
	return Response{StatusCode: http.StatusOK}, nil
}

func logger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}

func now(f func() time.Time) time.Time {
	if f == nil {
		return time.Now().UTC()
	}
	return f().UTC()
}
