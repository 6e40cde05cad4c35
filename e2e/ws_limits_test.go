package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/coder/websocket"

	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
	"github.com/orion-oss/orion/internal/customer"
	"github.com/orion-oss/orion/internal/ws"
)

// The limits of the WebSocket API a hostile client cannot get around (docs/websocket.md, "Limits").

// Connections of one user beyond the cap are refused with 429 however many race for the last slots,
// and a closed connection's slot is free again after its $disconnect.
func TestWebSocketCapsConnectionsPerUser(t *testing.T) {
	tok := customerToken(t)
	const tries = ws.MaxConnectionsPerUser + 5
	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		open     []*client
		statuses = map[int]int{}
	)
	for range tries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, status := dial(t, tok)
			mu.Lock()
			defer mu.Unlock()
			statuses[status]++
			if c != nil {
				open = append(open, c)
			}
		}()
	}
	wg.Wait()
	if statuses[http.StatusSwitchingProtocols] != ws.MaxConnectionsPerUser || statuses[http.StatusTooManyRequests] != tries-ws.MaxConnectionsPerUser {
		t.Fatalf("upgrades answered %v; want %d × 101 and %d × 429", statuses, ws.MaxConnectionsPerUser, tries-ws.MaxConnectionsPerUser)
	}
	store, ctx, user := connectionsStore(t), context.Background(), subject(t, tok)
	if conns, _ := store.OfUser(ctx, user); len(conns) != ws.MaxConnectionsPerUser {
		t.Fatalf("%d connections stored; the refused ones stored nothing", len(conns))
	}
	// Another customer is not affected.
	if c, status := dial(t, customerToken(t)); c == nil {
		t.Fatalf("another customer: %d", status)
	}
	open[0].conn.Close(websocket.StatusNormalClosure, "bye")
	eventually(t, "$disconnect to free the slot", func() bool {
		slots, err := store.Slots(ctx, user)
		return err == nil && len(slots) == ws.MaxConnectionsPerUser-1
	})
	if c, status := dial(t, tok); c == nil {
		t.Fatalf("after a close: %d", status)
	}
	if _, status := dial(t, tok); status != http.StatusTooManyRequests {
		t.Fatalf("at the cap again: %d", status)
	}
}

// A $connect whose function stored the connection and then failed was refused by API Gateway, which
// runs no $disconnect for it: its slot would stay taken. At the cap $connect asks API Gateway
// (GetConnection) and frees the slots of connections it does not hold, unless they are young enough to
// be a $connect still running.
func TestWebSocketCapFreesSlotsOfVanishedConnections(t *testing.T) {
	store, ctx := connectionsStore(t), context.Background()
	orphans := func(tok string, age time.Duration) {
		now, tag := time.Now().UTC(), awstest.Name(t, "v")[2:8]
		for i := range ws.MaxConnectionsPerUser {
			c := ws.Connection{ID: fmt.Sprintf("Vanish%s%02d=", tag, i), UserID: customer.ID(subject(t, tok)),
				ConnectedAt: now.Add(-age), ExpiresAt: now.Add(time.Hour)}
			if err := store.Connect(ctx, c, ws.MaxConnectionsPerUser); err != nil {
				t.Fatal(err)
			}
		}
	}
	old, young := customerToken(t), customerToken(t)
	orphans(old, time.Minute)
	orphans(young, 0)
	if c, status := dial(t, old); c == nil {
		t.Fatalf("a user whose slots vanished connections hold: %d", status)
	}
	if slots, err := store.Slots(ctx, subject(t, old)); err != nil || len(slots) != 1 {
		t.Fatalf("slots after the probe: %v %v; want the new connection's", slots, err)
	}
	if _, status := dial(t, young); status != http.StatusTooManyRequests {
		t.Fatalf("slots of connections that may still be connecting: %d; want 429", status)
	}
}

// A connection mutes at most ws.MaxMuted orders: the next one is an error over the socket, stores
// nothing, and the connection stays open.
func TestWebSocketBoundsSubscriptions(t *testing.T) {
	tok := customerToken(t)
	c := connect(t, tok)
	id := func(i int) string { return fmt.Sprintf("01JDQ7Z3M6X9V0YB2C4D5E%04d", i) }
	for i := range ws.MaxMuted {
		c.send(t, fmt.Sprintf(`{"action":"unsubscribe","orderId":%q}`, id(i)))
		if m := c.next(t, 5*time.Second); m["type"] != "unsubscribed" {
			t.Fatalf("unsubscribe %d: %v", i, m)
		}
	}
	c.send(t, fmt.Sprintf(`{"action":"unsubscribe","orderId":%q}`, id(ws.MaxMuted)))
	m := c.next(t, 5*time.Second)
	if m["type"] != "error" || m["code"] != "subscription_limit" || !strings.Contains(fmt.Sprint(m["message"]), fmt.Sprint(ws.MaxMuted)) {
		t.Fatalf("past the bound: %v", m)
	}
	conns, err := connectionsStore(t).OfUser(context.Background(), subject(t, tok))
	if err != nil || len(conns) != 1 || len(conns[0].Muted) != ws.MaxMuted || conns[0].Mutes(id(ws.MaxMuted)) {
		t.Fatalf("stored %+v %v", conns, err)
	}
	c.send(t, `{"action":"ping"}`)
	if m := c.next(t, 5*time.Second); m["type"] != "pong" {
		t.Fatalf("ping after the bound: %v", m)
	}
}

// The token rides in Sec-WebSocket-Protocol, and the connection expires with it, not 2 hours later; a
// token offered without orion.v1 is refused (a browser would fail the handshake anyway), and so is a
// token in the URL (?token=, removed: docs/adr/0016), even a valid one next to a valid subprotocol.
func TestWebSocketTokenInTheSubprotocol(t *testing.T) {
	tok := customerToken(t)
	c := connect(t, tok) // dial checks that orion.v1 was chosen
	conns, err := connectionsStore(t).OfUser(context.Background(), subject(t, tok))
	if err != nil || len(conns) != 1 {
		t.Fatalf("%+v %v", conns, err)
	}
	if exp := claim(t, tok, "exp"); conns[0].ExpiresAt.Unix() != int64(exp) {
		t.Fatalf("connection expires at %v; want the token's exp %v", conns[0].ExpiresAt, time.Unix(int64(exp), 0))
	}
	c.send(t, `{"action":"ping"}`)
	if m := c.next(t, 5*time.Second); m["type"] != "pong" {
		t.Fatalf("ping: %v", m)
	}
	if _, status := dialWith(t, sys.ws, []string{"orion.token." + tok}); status != http.StatusBadRequest {
		t.Fatalf("token without orion.v1: %d", status)
	}
	if _, status := dialWith(t, sys.ws, []string{ws.Subprotocol, "orion.token.forged"}); status != http.StatusUnauthorized {
		t.Fatalf("a forged token: %d", status)
	}
	inURL := sys.ws + "/?token=" + url.QueryEscape(tok)
	for _, protocols := range [][]string{nil, {ws.Subprotocol, "orion.token." + tok}} {
		if q, status := dialWith(t, inURL, protocols); q != nil || status != http.StatusBadRequest {
			t.Fatalf("token in the URL, subprotocols %d: %d", len(protocols), status)
		}
	}
	if conns, err := connectionsStore(t).OfUser(context.Background(), subject(t, tok)); err != nil || len(conns) != 1 {
		t.Fatalf("a refused connection was stored: %+v %v", conns, err)
	}
}

// A connection ends when its token expires: past its exp its messages change nothing, and the sweeper
// closes it (DeleteConnection: 1000 on the client) and frees its slot; a live connection stays. The
// token's exp is an hour away (Cognito's access tokens last at least 5 minutes), so the test moves the
// stored expiry, which TestWebSocketTokenInTheSubprotocol shows is the token's.
func TestWebSocketEndsWhenTheTokenExpires(t *testing.T) {
	tok, other := customerToken(t), customerToken(t)
	doomed, live := connect(t, tok), connect(t, other)
	store, ctx, user := connectionsStore(t), context.Background(), subject(t, tok)
	conns, err := store.OfUser(ctx, user)
	if err != nil || len(conns) != 1 {
		t.Fatalf("%+v %v", conns, err)
	}
	expired := conns[0]
	expired.ExpiresAt = time.Now().Add(-time.Second)
	if err := store.Put(ctx, expired); err != nil {
		t.Fatal(err)
	}
	doomed.send(t, fmt.Sprintf(`{"action":"unsubscribe","orderId":%q}`, "01JDQ7Z3M6X9V0YB2C4D5E0000"))
	if m := doomed.next(t, 5*time.Second); m["type"] != "error" || m["code"] != "token_expired" {
		t.Fatalf("message on an expired connection: %v", m)
	}

	sweep(t)
	ended(t, doomed, websocket.StatusNormalClosure)
	eventually(t, "the expired connection and its slot to go", func() bool {
		conns, err := store.OfUser(ctx, user)
		slots, serr := store.Slots(ctx, user)
		return err == nil && serr == nil && len(conns) == 0 && len(slots) == 0
	})
	live.send(t, `{"action":"ping"}`)
	if m := live.next(t, 5*time.Second); m["type"] != "pong" {
		t.Fatalf("the live connection: %v", m)
	}
	sweep(t) // again: nothing left to end, no error
}

// An admin's connection ends when the user leaves the admin group; another admin's stays.
func TestWebSocketEndsWhenTheUserLeavesAdmin(t *testing.T) {
	// Parallel: making its admin waits for a new TOTP step (Cognito takes a code once), which the
	// other parallel tests can use.
	t.Parallel()
	email := strings.ToLower(awstest.Name(t, "demoted")) + "@example.com"
	tok, err := user(context.Background(), email, true)
	if err != nil {
		t.Fatal(err)
	}
	demoted, admin := connect(t, tok), connect(t, sys.adminTok)
	for _, c := range []*client{demoted, admin} {
		c.send(t, `{"action":"subscribe","all":true}`)
		if m := c.next(t, 5*time.Second); m["type"] != "subscribed" {
			t.Fatalf("subscribe all: %v", m)
		}
	}
	sweep(t) // both still admins: nothing ends
	admin.send(t, `{"action":"ping"}`)
	demoted.send(t, `{"action":"ping"}`)
	for _, c := range []*client{admin, demoted} {
		if m := c.nextBesidesPushes(t, 5*time.Second); m["type"] != "pong" {
			t.Fatalf("after a sweep of admins: %v", m)
		}
	}

	store := connectionsStore(t)
	conns, err := store.OfUser(context.Background(), subject(t, tok))
	if err != nil || len(conns) != 1 {
		t.Fatalf("%+v %v", conns, err)
	}
	demotedID := conns[0].ID
	cfg := awsConfig(t)
	if _, err := cip.NewFromConfig(cfg).AdminRemoveUserFromGroup(context.Background(), &cip.AdminRemoveUserFromGroupInput{
		UserPoolId: aws.String(sys.pool), Username: aws.String(email), GroupName: aws.String("admin")}); err != nil {
		t.Fatal(err)
	}
	sweep(t)
	ended(t, demoted, websocket.StatusNormalClosure)
	eventually(t, "the demoted connection and its watch to go", func() bool {
		conns, err := store.OfUser(context.Background(), subject(t, tok))
		w, werr := store.Watchers(context.Background(), "all")
		return err == nil && werr == nil && len(conns) == 0 &&
			!slices.ContainsFunc(w, func(x ws.Watcher) bool { return x.ConnectionID == demotedID })
	})
	admin.send(t, `{"action":"ping"}`)
	if m := admin.nextBesidesPushes(t, 5*time.Second); m["type"] != "pong" {
		t.Fatalf("the other admin: %v", m)
	}
}

// nextBesidesPushes is the next message that is not an order's status push: a connection subscribed to
// all orders also gets the pushes of the orders other tests place meanwhile.
func (c *client) nextBesidesPushes(t *testing.T, wait time.Duration) map[string]any {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		m := c.next(t, time.Until(deadline))
		if m["type"] != "order.status" {
			return m
		}
	}
}

// sweep runs the sweeper as its schedule does, without waiting for the schedule's minute (the stack runs
// it too; a sweep of its own between a test's steps ends nothing the test has not already made to end).
func sweep(t *testing.T) {
	t.Helper()
	out, err := lambdaClient(t).Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String(functionName(t, "WsSweepFunction")),
		Payload: []byte(`{"version":"0","id":"e2e","detail-type":"Scheduled Event","source":"aws.events","detail":{}}`)})
	if err != nil {
		t.Fatal(err)
	}
	if out.FunctionError != nil {
		t.Fatalf("sweeper failed: %s %s", aws.ToString(out.FunctionError), out.Payload)
	}
}

// ended waits until the server closes the connection, and checks the close status it sent.
func ended(t *testing.T, c *client, want websocket.StatusCode) {
	t.Helper()
	deadline := time.After(slack(10 * time.Second))
	for {
		select {
		case _, ok := <-c.msgs:
			if ok {
				continue
			}
			var ce websocket.CloseError
			if !errors.As(c.end, &ce) || ce.Code != want {
				t.Fatalf("connection ended with %v; want close status %d", c.end, want)
			}
			return
		case <-deadline:
			t.Fatal("the connection is still open")
		}
	}
}

// claim reads a numeric claim of a token (not verified here).
func claim(t *testing.T, token, name string) float64 {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(b, &claims); err != nil {
		t.Fatal(err)
	}
	v, _ := claims[name].(float64)
	return v
}
