package ws

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/orion-oss/orion/internal/auth"
)

// Connector is the $connect and $disconnect routes.
type Connector struct {
	Tokens TokenVerifier
	Store  ConnectionStore
	// Probe, if set, asks API Gateway about the user's connections when the cap is reached, and
	// frees the slots of those it no longer holds.
	Probe  Prober
	Logger *slog.Logger
	Now    func() time.Time
}

// Prober asks API Gateway whether it still holds a connection (the Management API's GetConnection).
type Prober interface {
	Alive(ctx context.Context, connID string) (bool, error)
}

// connectGrace is how old a connection must be before a probe that finds it gone counts: API Gateway
// answers 410 for a connection whose $connect is still running (up to the 29-second integration
// timeout), and such a connection must keep its slot.
const connectGrace = 30 * time.Second

// Subprotocol is what a client offers, with its token as a second value (docs/adr/0016):
//
//	new WebSocket(url, ["orion.v1", "orion.token." + accessToken])
//
// The token then travels in the Sec-WebSocket-Protocol header of the upgrade, not in the URL, where
// access logs, proxies and browser history keep it. $connect answers with Subprotocol as the one it
// chose (browsers fail a handshake that offered subprotocols and got none back; API Gateway passes the
// function's Sec-WebSocket-Protocol on: docs.aws.amazon.com/apigateway/latest/developerguide/
// websocket-connect-route-subprotocol.html), never with the token value.
const (
	Subprotocol = "orion.v1"
	tokenPrefix = "orion.token."
)

// Connect authenticates the access token and records the connection within its user's cap. Every
// refused token answers 401, a genuine token that is not for this API (an id token, another app
// client's) too: the HTTP API answers those 401 as well, and a distinct status would tell a forger which
// tokens carry a valid signature. A user at MaxConnectionsPerUser gets 429. API Gateway then refuses the
// upgrade with that status, and nothing is stored. A failure of ours (keys unreachable, table
// unavailable) is returned as an error, which refuses the upgrade with 500; the client may retry.
//
// The connection expires at the token's exp (or after API Gateway's 2 hours, if sooner): the sweeper
// ends it then, so a token with a second left buys a second, not a 2-hour session.
func (c Connector) Connect(ctx context.Context, req Request) (Response, error) {
	connID := req.RequestContext.ConnectionID
	log := logger(c.Logger).With("connectionId", connID, "requestId", req.RequestContext.RequestID)
	raw, viaHeader, offered := token(req)
	if viaHeader && !offered {
		log.InfoContext(ctx, "ws: connection refused", "status", http.StatusBadRequest, "reason", "token without the "+Subprotocol+" subprotocol")
		return Response{StatusCode: http.StatusBadRequest, Body: `{"message":"Offer the ` + Subprotocol + ` subprotocol with the token"}`}, nil
	}
	// The token is never logged: only whether the check passed, why not, and where it came from.
	id, err := c.Tokens.Verify(ctx, raw)
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
	expires := now.Add(ConnectionLifetime)
	if !id.Expires.IsZero() && id.Expires.Before(expires) {
		expires = id.Expires.UTC()
	}
	conn := Connection{ID: connID, UserID: id.Customer, Admin: id.Admin, ConnectedAt: now, ExpiresAt: expires}
	err = c.Store.Connect(ctx, conn, MaxConnectionsPerUser)
	if errors.Is(err, ErrTooManyConnections) && c.Probe != nil {
		err = c.connectAfterProbe(ctx, log, conn)
	}
	switch {
	case errors.Is(err, ErrTooManyConnections):
		log.InfoContext(ctx, "ws: connection refused", "status", http.StatusTooManyRequests, "userId", id.Customer, "reason", "connection cap")
		return Response{StatusCode: http.StatusTooManyRequests,
			Body: fmt.Sprintf(`{"message":"Too many connections: a user may hold %d; close one first"}`, MaxConnectionsPerUser)}, nil
	case err != nil:
		log.ErrorContext(ctx, "ws: connection not stored", "error", err)
		return Response{}, fmt.Errorf("ws: connect %s: %w", connID, err)
	}
	log.InfoContext(ctx, "ws: connected", "userId", id.Customer, "admin", id.Admin, "expiresAt", expires, "tokenIn", tokenSource(viaHeader))
	resp := Response{StatusCode: http.StatusOK}
	if viaHeader {
		resp.Headers = map[string]string{"Sec-WebSocket-Protocol": Subprotocol}
	}
	return resp, nil
}

// connectAfterProbe frees the slots of the user's connections that API Gateway no longer holds and
// tries once more. A $connect whose function stored the connection and then failed (a timeout, a crash
// after the write) was refused by API Gateway, which then runs no $disconnect: without the probe its
// slot would stay taken until the token expires.
func (c Connector) connectAfterProbe(ctx context.Context, log *slog.Logger, conn Connection) error {
	theirs, err := c.Store.OfUser(ctx, conn.UserID.String())
	if err != nil {
		return fmt.Errorf("ws: connections of %s: %w", conn.UserID, err)
	}
	freed := 0
	for _, x := range theirs {
		if x.ID == conn.ID || conn.ConnectedAt.Sub(x.ConnectedAt) < connectGrace {
			continue
		}
		alive, err := c.Probe.Alive(ctx, x.ID)
		if err != nil {
			return err
		}
		if alive {
			continue
		}
		if err := c.Store.Delete(ctx, x.ID); err != nil {
			return err
		}
		log.InfoContext(ctx, "ws: freed the slot of a vanished connection", "vanished", x.ID)
		freed++
	}
	if freed == 0 {
		return fmt.Errorf("%w: user %s", ErrTooManyConnections, conn.UserID)
	}
	return c.Store.Connect(ctx, conn, MaxConnectionsPerUser)
}

// token finds the access token: in Sec-WebSocket-Protocol (viaHeader; offered says whether the client
// also offered Subprotocol), else in the deprecated ?token= query parameter, which stays only for
// the soak and benchmark tools that still use it (docs/adr/0016).
func token(req Request) (raw string, viaHeader, offered bool) {
	for k, v := range req.Headers {
		if !strings.EqualFold(k, "Sec-WebSocket-Protocol") {
			continue
		}
		for _, p := range strings.Split(v, ",") {
			p = strings.TrimSpace(p)
			switch {
			case p == Subprotocol:
				offered = true
			case strings.HasPrefix(p, tokenPrefix):
				raw, viaHeader = strings.TrimPrefix(p, tokenPrefix), true
			}
		}
	}
	if viaHeader {
		return raw, true, offered
	}
	return req.QueryStringParameters["token"], false, offered
}

func tokenSource(viaHeader bool) string {
	if viaHeader {
		return "subprotocol"
	}
	return "query"
}

// Disconnect forgets the connection and frees its user's slot. API Gateway ignores its result and
// calls it at most once, on a best-effort basis ("Working with the $connect and $disconnect routes"),
// so a failure or a lost $disconnect only leaves a row that the next push (410), the sweeper (at its
// expiry) or a $connect of its user at the cap (stale slot) removes. Running it again changes nothing.
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
