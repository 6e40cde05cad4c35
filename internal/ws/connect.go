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

// Offer is what a Go client (the e2e tests, the soak run, the benchmark) offers to connect with an
// access token: Subprotocol and orion.token.<token>, as a browser does.
func Offer(accessToken string) []string { return []string{Subprotocol, tokenPrefix + accessToken} }

// Connect authenticates the access token and records the connection within its user's cap. A token in
// the query string (?token=, removed: docs/adr/0016) and a token offered without Subprotocol answer
// 400, before the token is checked. Every refused token answers 401, a genuine token that is not for
// this API (an id token, another app client's) too: the HTTP API answers those 401 as well, and a
// distinct status would tell a forger which tokens carry a valid signature. A user at MaxConnectionsPerUser gets 429. API Gateway then refuses the
// upgrade with that status, and nothing is stored. A failure of ours (keys unreachable, table
// unavailable) is returned as an error, which refuses the upgrade with 500; the client may retry.
//
// The connection expires at the token's exp (or after API Gateway's 2 hours, if sooner): the sweeper
// ends it then, so a token with a second left buys a second, not a 2-hour session.
func (c Connector) Connect(ctx context.Context, req Request) (Response, error) {
	connID := req.RequestContext.ConnectionID
	log := logger(c.Logger).With("connectionId", connID, "requestId", req.RequestContext.RequestID)
	in := offered(req)
	if in.inQuery {
		// Refused before the token is even read: a URL is where access logs, proxies and browser
		// history keep a bearer token (docs/adr/0016), and accepting it would keep clients sending it.
		log.InfoContext(ctx, "ws: connection refused", "status", http.StatusBadRequest, "reason", "token in the query string")
		return answer(in, http.StatusBadRequest, `{"message":"A token in the URL is not accepted: offer it as the subprotocol orion.token.<access token> next to `+Subprotocol+` (docs/websocket.md)"}`), nil
	}
	if in.token != "" && !in.v1 {
		log.InfoContext(ctx, "ws: connection refused", "status", http.StatusBadRequest, "reason", "token without the "+Subprotocol+" subprotocol")
		return answer(in, http.StatusBadRequest, `{"message":"Offer the `+Subprotocol+` subprotocol with the token"}`), nil
	}
	// The token is never logged: only whether the check passed, and why not.
	id, err := c.Tokens.Verify(ctx, in.token)
	switch {
	case errors.Is(err, auth.ErrNoToken), errors.Is(err, auth.ErrInvalidToken), errors.Is(err, auth.ErrTokenNotAccepted):
		log.InfoContext(ctx, "ws: connection refused", "status", http.StatusUnauthorized, "reason", err.Error())
		return answer(in, http.StatusUnauthorized, `{"message":"Unauthorized"}`), nil
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
		return answer(in, http.StatusTooManyRequests,
			fmt.Sprintf(`{"message":"Too many connections: a user may hold %d; close one first"}`, MaxConnectionsPerUser)), nil
	case err != nil:
		log.ErrorContext(ctx, "ws: connection not stored", "error", err)
		return Response{}, fmt.Errorf("ws: connect %s: %w", connID, err)
	}
	log.InfoContext(ctx, "ws: connected", "userId", id.Customer, "admin", id.Admin, "expiresAt", expires)
	return answer(in, http.StatusOK, ""), nil
}

// answer is $connect's answer. It echoes Subprotocol to every client that offered it, whatever the
// status, so that no handshake fails for want of it (RFC 6455 section 4.1: a client fails a connection
// whose server chose none of the subprotocols it offered).
func answer(o offer, status int, body string) Response {
	resp := Response{StatusCode: status, Body: body}
	if o.v1 {
		resp.Headers = map[string]string{"Sec-WebSocket-Protocol": Subprotocol}
	}
	return resp
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

// offer is what a $connect carries: whether the client offered Subprotocol, the token it offered as
// orion.token.<token>, and whether the query string has a token (refused: docs/adr/0016).
type offer struct {
	v1      bool
	token   string
	inQuery bool
}

// offered reads the Sec-WebSocket-Protocol values from both of the event's header maps: a client may
// send the header once with a list or once per value (RFC 6455 section 11.3.4), and API Gateway's
// proxy event keeps only the last line of a repeated header in headers, all of them in
// multiValueHeaders (docs.aws.amazon.com/apigateway/latest/developerguide/
// set-up-lambda-proxy-integrations.html, "multiValueHeaders").
func offered(req Request) offer {
	var o offer
	var values []string
	for k, v := range req.Headers {
		if strings.EqualFold(k, "Sec-WebSocket-Protocol") {
			values = append(values, v)
		}
	}
	for k, vs := range req.MultiValueHeaders {
		if strings.EqualFold(k, "Sec-WebSocket-Protocol") {
			values = append(values, vs...)
		}
	}
	for _, v := range values {
		for _, p := range strings.Split(v, ",") {
			p = strings.TrimSpace(p)
			switch {
			case p == Subprotocol:
				o.v1 = true
			case strings.HasPrefix(p, tokenPrefix):
				o.token = strings.TrimPrefix(p, tokenPrefix)
			}
		}
	}
	for k := range req.QueryStringParameters {
		o.inQuery = o.inQuery || strings.EqualFold(k, "token")
	}
	for k := range req.MultiValueQueryStringParameters {
		o.inQuery = o.inQuery || strings.EqualFold(k, "token")
	}
	return o
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
