package ws_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orion-oss/orion/internal/auth"
	"github.com/orion-oss/orion/internal/customer"
	"github.com/orion-oss/orion/internal/ws"
)

// offerTok is what a client offers: orion.v1 and its token ("tok", which fakeTokens accepts).
const offerTok = "orion.v1, orion.token.tok"

// connectReq is a $connect with the given Sec-WebSocket-Protocol header and query token.
func connectReq(connID, protocols, query string) ws.Request {
	r := wsReq(connID, "$connect", "", nil)
	if protocols != "" {
		r.Headers = map[string]string{"Sec-WebSocket-Protocol": protocols}
	}
	if query != "" {
		r.QueryStringParameters = map[string]string{"token": query}
	}
	return r
}

// tokenOf answers the identity only for the raw token it expects, so a test sees which token was read.
type tokenOf struct {
	raw string
	id  auth.Identity
}

func (f tokenOf) Verify(ctx context.Context, raw string) (auth.Identity, error) {
	if raw == "" {
		return auth.Identity{}, auth.ErrNoToken
	}
	if raw != f.raw {
		return auth.Identity{}, fmt.Errorf("%w: not %q", auth.ErrInvalidToken, f.raw)
	}
	return f.id, nil
}

// The token travels in Sec-WebSocket-Protocol next to orion.v1, which $connect echoes to every client
// that offered it, whatever the answer (never the token). A token in the URL is refused (400) before it
// is checked, even a valid one, even with a valid one in the subprotocol (docs/adr/0016).
func TestConnectTakesTheTokenFromTheSubprotocol(t *testing.T) {
	const jwt = "eyJh.eyJz.sig"
	tests := []struct {
		name, protocols, query string
		status                 int
		echo                   string
	}{
		{"subprotocol", "orion.v1, orion.token." + jwt, "", 200, "orion.v1"},
		{"subprotocol, token first", "orion.token." + jwt + ",orion.v1", "", 200, "orion.v1"},
		{"another subprotocol offered too", "chat, orion.v1, orion.token." + jwt, "", 200, "orion.v1"},
		{"token without orion.v1", "orion.token." + jwt, "", 400, ""},
		{"orion.v1 without a token", "orion.v1", "", 401, "orion.v1"},
		{"a wrong token", "orion.v1, orion.token.forged", "", 401, "orion.v1"},
		{"query token", "", jwt, 400, ""},
		{"query token next to orion.v1", "orion.v1", jwt, 400, "orion.v1"},
		{"query token next to a valid subprotocol token", "orion.v1, orion.token." + jwt, jwt, 400, "orion.v1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore()
			c := ws.Connector{Tokens: tokenOf{raw: jwt, id: auth.Identity{Customer: "cust-1", Expires: at.Add(time.Hour)}}, Store: s, Now: func() time.Time { return at }}
			resp, err := c.Connect(context.Background(), connectReq("conn-1", tt.protocols, tt.query))
			if err != nil || resp.StatusCode != tt.status {
				t.Fatalf("status %d, err %v; want %d", resp.StatusCode, err, tt.status)
			}
			if got := resp.Headers["Sec-WebSocket-Protocol"]; got != tt.echo {
				t.Fatalf("subprotocol %q; want %q", got, tt.echo)
			}
			if _, err := s.Get(context.Background(), "conn-1"); (err == nil) != (tt.status == 200) {
				t.Fatalf("stored: %v", err)
			}
		})
	}
}

// A token in the URL is refused however it is spelled, and a client that sends Sec-WebSocket-Protocol
// once per value (API Gateway then has the values in multiValueHeaders) connects and gets orion.v1.
func TestConnectReadsTheOfferNotTheURL(t *testing.T) {
	const jwt = "eyJh.eyJz.sig"
	tests := []struct {
		name   string
		req    func(r *ws.Request)
		status int
	}{
		{"?token= empty", func(r *ws.Request) {
			r.Headers = map[string]string{"Sec-WebSocket-Protocol": "orion.v1, orion.token." + jwt}
			r.QueryStringParameters = map[string]string{"token": ""}
		}, 400},
		{"?Token=", func(r *ws.Request) {
			r.Headers = map[string]string{"sec-websocket-protocol": "orion.v1"}
			r.QueryStringParameters = map[string]string{"Token": jwt}
		}, 400},
		{"?token= twice", func(r *ws.Request) {
			r.Headers = map[string]string{"Sec-WebSocket-Protocol": "orion.v1"}
			r.MultiValueQueryStringParameters = map[string][]string{"token": {jwt, jwt}}
		}, 400},
		{"one header line per value", func(r *ws.Request) {
			r.Headers = map[string]string{"Sec-WebSocket-Protocol": "orion.token." + jwt}
			r.MultiValueHeaders = map[string][]string{"Sec-WebSocket-Protocol": {"orion.v1", "orion.token." + jwt}}
		}, 200},
		{"another query parameter", func(r *ws.Request) {
			r.Headers = map[string]string{"Sec-WebSocket-Protocol": "orion.v1, orion.token." + jwt}
			r.QueryStringParameters = map[string]string{"client": "web"}
		}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore()
			c := ws.Connector{Tokens: tokenOf{raw: jwt, id: auth.Identity{Customer: "cust-1", Expires: at.Add(time.Hour)}}, Store: s, Now: func() time.Time { return at }}
			r := connectReq("conn-1", "", "")
			tt.req(&r)
			resp, err := c.Connect(context.Background(), r)
			if err != nil || resp.StatusCode != tt.status || resp.Headers["Sec-WebSocket-Protocol"] != ws.Subprotocol {
				t.Fatalf("status %d, subprotocol %q, err %v; want %d and %q", resp.StatusCode, resp.Headers["Sec-WebSocket-Protocol"], err, tt.status, ws.Subprotocol)
			}
			if tt.status == 400 && !strings.Contains(resp.Body, "orion.token.") {
				t.Fatalf("the refusal does not say where the token goes: %s", resp.Body)
			}
			if _, err := s.Get(context.Background(), "conn-1"); (err == nil) != (tt.status == 200) {
				t.Fatalf("stored: %v", err)
			}
		})
	}
}

// A connection expires with its token: a token with a second left buys a second, not two hours.
func TestConnectExpiresWithTheToken(t *testing.T) {
	tests := []struct {
		name    string
		exp     time.Time
		wantExp time.Time
	}{
		{"a second left", at.Add(time.Second), at.Add(time.Second)},
		{"an hour left", at.Add(time.Hour), at.Add(time.Hour)},
		{"longer than API Gateway keeps a connection", at.Add(5 * time.Hour), at.Add(ws.ConnectionLifetime)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore()
			c := ws.Connector{Tokens: fakeTokens{id: auth.Identity{Customer: "cust-1", Expires: tt.exp}}, Store: s, Now: func() time.Time { return at }}
			if resp, err := c.Connect(context.Background(), connectReq("conn-1", offerTok, "")); err != nil || resp.StatusCode != 200 {
				t.Fatalf("%d %v", resp.StatusCode, err)
			}
			if conn, _ := s.Get(context.Background(), "conn-1"); !conn.ExpiresAt.Equal(tt.wantExp) {
				t.Fatalf("expires at %v; want %v", conn.ExpiresAt, tt.wantExp)
			}
		})
	}
}

// Past the cap $connect answers 429 and stores nothing; a connect run again for a recorded id, and a
// connect after one of the user's connections ended, are fine.
func TestConnectCapsConnectionsPerUser(t *testing.T) {
	s := newStore()
	c := ws.Connector{Tokens: fakeTokens{id: auth.Identity{Customer: "cust-1"}}, Store: s, Now: func() time.Time { return at }}
	ctx := context.Background()
	for i := range ws.MaxConnectionsPerUser {
		if resp, err := c.Connect(ctx, connectReq(fmt.Sprint("conn-", i), offerTok, "")); err != nil || resp.StatusCode != 200 {
			t.Fatalf("connection %d: %d %v", i, resp.StatusCode, err)
		}
	}
	resp, err := c.Connect(ctx, connectReq("one-too-many", offerTok, ""))
	if err != nil || resp.StatusCode != 429 || resp.Body == "" {
		t.Fatalf("over the cap: %d %q %v", resp.StatusCode, resp.Body, err)
	}
	if _, err := s.Get(ctx, "one-too-many"); !errors.Is(err, ws.ErrNoConnection) {
		t.Fatalf("the refused connection was stored: %v", err)
	}
	if resp, err := c.Connect(ctx, connectReq("conn-0", offerTok, "")); err != nil || resp.StatusCode != 200 {
		t.Fatalf("a repeated $connect: %d %v", resp.StatusCode, err)
	}
	// Another user is not affected.
	other := ws.Connector{Tokens: fakeTokens{id: auth.Identity{Customer: "cust-2"}}, Store: s}
	if resp, _ := other.Connect(ctx, connectReq("theirs", offerTok, "")); resp.StatusCode != 200 {
		t.Fatalf("another user: %d", resp.StatusCode)
	}
	if _, err := c.Disconnect(ctx, wsReq("conn-3", "$disconnect", "", nil)); err != nil {
		t.Fatal(err)
	}
	if resp, _ := c.Connect(ctx, connectReq("after-one-left", offerTok, "")); resp.StatusCode != 200 {
		t.Fatalf("after a disconnect: %d", resp.StatusCode)
	}
}

// The sweeper ends expired connections and the admin connections of users no longer in admin, asks the
// pool once per user, counts a connection API Gateway no longer knows as ended, and a second run finds
// nothing to do.
func TestSweeperEndsExpiredAndDemotedConnections(t *testing.T) {
	s := newStore()
	put := func(id string, user customer.ID, admin bool, exp time.Time) {
		s.conns[id] = ws.Connection{ID: id, UserID: user, Admin: admin, ExpiresAt: exp}
	}
	put("live", "cust-1", false, at.Add(time.Minute))
	put("expired", "cust-1", false, at)
	put("expired-gone", "cust-2", false, at.Add(-time.Hour))
	put("admin", "adm-1", true, at.Add(time.Hour))
	put("demoted-1", "adm-2", true, at.Add(time.Hour))
	put("demoted-2", "adm-2", true, at.Add(time.Hour))
	put("demoted-expired", "adm-2", true, at) // ended once, as expired, though the index still lists it
	s.staleAdmins, _ = s.Admins(context.Background())
	s.watches["all"] = map[string]bool{"demoted-1": true, "admin": true}
	cl := &closer{gone: map[string]bool{"expired-gone": true}}
	g := &groups{admins: map[customer.ID]bool{"adm-1": true}}
	sw := ws.Sweeper{Store: s, Closer: cl, Groups: g, Now: func() time.Time { return at }}

	res, err := sw.Sweep(context.Background())
	if err != nil || res.Expired != 3 || res.Demoted != 2 {
		t.Fatalf("sweep: %+v %v", res, err)
	}
	slices.Sort(cl.closed)
	if want := []string{"demoted-1", "demoted-2", "demoted-expired", "expired"}; !slices.Equal(cl.closed, want) {
		t.Fatalf("closed %v; want %v", cl.closed, want)
	}
	for _, id := range []string{"expired", "expired-gone", "demoted-1", "demoted-2"} {
		if _, err := s.Get(context.Background(), id); !errors.Is(err, ws.ErrNoConnection) {
			t.Fatalf("%s is still stored", id)
		}
	}
	if s.watches["all"]["demoted-1"] || !s.watches["all"]["admin"] {
		t.Fatalf("watches after the sweep: %v", s.watches)
	}
	if n := len(slices.Compact(slices.Sorted(slices.Values(g.asked)))); n != len(g.asked) {
		t.Fatalf("asked the pool %v: once per user", g.asked)
	}
	cl.closed, s.staleAdmins = nil, nil
	if res, err := sw.Sweep(context.Background()); err != nil || res != (ws.SweepResult{}) || len(cl.closed) != 0 {
		t.Fatalf("second sweep: %+v %v %v", res, err, cl.closed)
	}
}

// A failure with one connection leaves it for the next run and does not stop the others.
func TestSweeperFailures(t *testing.T) {
	s := newStore()
	s.conns["expired"] = ws.Connection{ID: "expired", UserID: "cust-1", ExpiresAt: at}
	s.conns["admin"] = ws.Connection{ID: "admin", UserID: "adm-1", Admin: true, ExpiresAt: at.Add(time.Hour)}
	sw := ws.Sweeper{Store: s, Closer: &closer{err: errBoom}, Groups: &groups{err: errBoom}, Now: func() time.Time { return at }}
	if _, err := sw.Sweep(context.Background()); !errors.Is(err, errBoom) {
		t.Fatalf("err = %v", err)
	}
	if _, err := s.Get(context.Background(), "expired"); err != nil {
		t.Fatal("a connection that was not closed was forgotten")
	}
	if _, err := s.Get(context.Background(), "admin"); err != nil {
		t.Fatal("an admin whose group could not be read was ended")
	}
}

// prober is API Gateway's view of which connections it holds.
type prober struct {
	gone  map[string]bool
	err   error
	asked []string
}

func (p *prober) Alive(ctx context.Context, id string) (bool, error) {
	p.asked = append(p.asked, id)
	return !p.gone[id], p.err
}

// At the cap, $connect asks API Gateway about the user's connections and frees the slots of those it
// no longer holds (a $connect that failed after its write gets no $disconnect), but not of one whose
// $connect may still be running (API Gateway answers 410 for those too).
func TestConnectFreesSlotsOfVanishedConnections(t *testing.T) {
	fill := func() *store {
		s := newStore()
		for i := range ws.MaxConnectionsPerUser {
			age := time.Minute
			if i < 2 {
				age = 5 * time.Second // still within its $connect
			}
			id := fmt.Sprint("held-", i)
			s.conns[id] = ws.Connection{ID: id, UserID: "cust-1", ConnectedAt: at.Add(-age), ExpiresAt: at.Add(time.Hour)}
		}
		return s
	}
	tests := []struct {
		name    string
		gone    []string
		err     error
		status  int
		wantErr bool
		freed   []string
	}{
		{"vanished ones are freed", []string{"held-0", "held-5", "held-7"}, nil, 200, false, []string{"held-5", "held-7"}},
		{"young ones keep their slot", []string{"held-0", "held-1"}, nil, 429, false, nil},
		{"all alive", nil, nil, 429, false, nil},
		{"API Gateway unreachable", nil, errBoom, 0, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := fill()
			p := &prober{gone: map[string]bool{}, err: tt.err}
			for _, id := range tt.gone {
				p.gone[id] = true
			}
			c := ws.Connector{Tokens: fakeTokens{id: auth.Identity{Customer: "cust-1"}}, Store: s, Probe: p, Now: func() time.Time { return at }}
			resp, err := c.Connect(context.Background(), connectReq("new", offerTok, ""))
			if (err != nil) != tt.wantErr || resp.StatusCode != tt.status {
				t.Fatalf("status %d, err %v; want %d", resp.StatusCode, err, tt.status)
			}
			if slices.Contains(p.asked, "held-0") || slices.Contains(p.asked, "held-1") {
				t.Fatalf("asked about connections still within their $connect: %v", p.asked)
			}
			for i := range ws.MaxConnectionsPerUser {
				id := fmt.Sprint("held-", i)
				_, err := s.Get(context.Background(), id)
				if gone := errors.Is(err, ws.ErrNoConnection); gone != slices.Contains(tt.freed, id) {
					t.Fatalf("%s deleted: %v; freed should be %v", id, gone, tt.freed)
				}
			}
		})
	}
}

// Only the scheduled rule's event sweeps: any other invocation is refused before the store is read.
func TestSweepRunsOnlyOnTheSchedule(t *testing.T) {
	s := newStore()
	s.conns["expired"] = ws.Connection{ID: "expired", UserID: "cust-1", ExpiresAt: time.Unix(0, 0)}
	cl := &closer{gone: map[string]bool{}}
	sw := ws.Sweeper{Store: s, Closer: cl, Groups: &groups{}, Now: time.Now}
	for _, ev := range []ws.ScheduledEvent{{}, {Source: "orion.orders", DetailType: "Scheduled Event"}, {Source: "aws.events", DetailType: "OrderPlaced"}} {
		if err := sw.HandleSchedule(context.Background(), ev); !errors.Is(err, ws.ErrNotScheduled) || len(cl.closed) != 0 {
			t.Fatalf("%+v: err %v, closed %v", ev, err, cl.closed)
		}
	}
	if err := sw.HandleSchedule(context.Background(), ws.ScheduledEvent{Source: "aws.events", DetailType: "Scheduled Event"}); err != nil || len(cl.closed) != 1 {
		t.Fatalf("the schedule's event: err %v, closed %v", err, cl.closed)
	}
}
