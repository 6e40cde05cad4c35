package ws_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/orion-oss/orion/internal/auth"
	"github.com/orion-oss/orion/internal/customer"
	"github.com/orion-oss/orion/internal/money"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/ws"
)

// Fakes of the package's own ports; the DynamoDB adapter is tested against the emulator in
// internal/adapter/dynamo, the Management API client in the benchmark and end to end.

type fakeTokens struct {
	id  auth.Identity
	err error
}

func (f fakeTokens) Verify(ctx context.Context, raw string) (auth.Identity, error) {
	if f.err != nil {
		return auth.Identity{}, f.err
	}
	if raw == "" {
		return auth.Identity{}, auth.ErrNoToken
	}
	return f.id, nil
}

// store is an in-memory connections table with the adapter's semantics.
type store struct {
	mu       sync.Mutex
	conns    map[string]ws.Connection
	watches  map[string]map[string]bool // topic -> connection ids
	pushed   map[string]int64           // conn#order -> version
	claims   int                        // Claim calls: the notifier's writes
	failWith error
	calls    []string
	// staleAdmins, when set, is what Admins answers.
	staleAdmins []ws.Connection
}

func newStore() *store {
	return &store{conns: map[string]ws.Connection{}, watches: map[string]map[string]bool{}, pushed: map[string]int64{}}
}

func (s *store) call(format string, args ...any) error {
	s.calls = append(s.calls, fmt.Sprintf(format, args...))
	return s.failWith
}

func (s *store) Put(ctx context.Context, c ws.Connection) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call("put %s", c.ID); err != nil {
		return err
	}
	s.conns[c.ID] = c
	return nil
}

// Connect has the adapter's semantics: a user's live connections are its slots, and a retried
// connect of a recorded id succeeds.
func (s *store) Connect(ctx context.Context, c ws.Connection, max int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call("connect %s", c.ID); err != nil {
		return err
	}
	if _, ok := s.conns[c.ID]; ok {
		return nil
	}
	n := 0
	for _, x := range s.conns {
		if x.UserID == c.UserID {
			n++
		}
	}
	if n >= max {
		return ws.ErrTooManyConnections
	}
	s.conns[c.ID] = c
	return nil
}

func (s *store) Expired(ctx context.Context, now time.Time) ([]ws.Connection, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []ws.Connection
	for _, c := range s.conns {
		if !c.ExpiresAt.After(now) {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (s *store) Admins(ctx context.Context) ([]ws.Connection, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.staleAdmins != nil { // the index as it was before the last writes (GSIs are eventually consistent)
		return s.staleAdmins, nil
	}
	var out []ws.Connection
	for _, c := range s.conns {
		if c.Admin {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (s *store) Get(ctx context.Context, id string) (ws.Connection, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.conns[id]
	if !ok {
		return c, ws.ErrNoConnection
	}
	return c, nil
}

func (s *store) Delete(ctx context.Context, id string, topics ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call("delete %s %v", id, topics); err != nil {
		return err
	}
	delete(s.conns, id)
	for _, w := range s.watches {
		delete(w, id)
	}
	return nil
}

func (s *store) Mute(ctx context.Context, id, orderID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call("mute %s %s", id, orderID); err != nil {
		return err
	}
	c := s.conns[id]
	if len(c.Muted) >= ws.MaxMuted && !slices.Contains(c.Muted, orderID) {
		return ws.ErrSubscriptionLimit
	}
	c.Muted = append(c.Muted, orderID)
	s.conns[id] = c
	return nil
}

func (s *store) Unmute(ctx context.Context, id, orderID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call("unmute %s %s", id, orderID); err != nil {
		return err
	}
	c := s.conns[id]
	c.Muted = slices.DeleteFunc(c.Muted, func(o string) bool { return o == orderID })
	s.conns[id] = c
	return nil
}

func (s *store) Watch(ctx context.Context, id, topic string, until time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call("watch %s %s", id, topic); err != nil {
		return err
	}
	n := 0
	for t, w := range s.watches {
		if w[id] && t != topic {
			n++
		}
	}
	if n >= ws.MaxWatches {
		return ws.ErrSubscriptionLimit
	}
	if s.watches[topic] == nil {
		s.watches[topic] = map[string]bool{}
	}
	s.watches[topic][id] = true
	return nil
}

func (s *store) Unwatch(ctx context.Context, id, topic string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call("unwatch %s %s", id, topic); err != nil {
		return err
	}
	delete(s.watches[topic], id)
	return nil
}

func (s *store) OfUser(ctx context.Context, userID string) ([]ws.Connection, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []ws.Connection
	for _, c := range s.conns {
		if c.UserID.String() == userID {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (s *store) Watchers(ctx context.Context, topics ...string) ([]ws.Watcher, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []ws.Watcher
	for _, topic := range topics {
		for id := range s.watches[topic] {
			// As the adapter: the watch row holds the connection's expiry from the time of Watch.
			out = append(out, ws.Watcher{ConnectionID: id, Topic: topic, ExpiresAt: s.conns[id].ExpiresAt})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ConnectionID+out[i].Topic < out[j].ConnectionID+out[j].Topic })
	return out, nil
}

func (s *store) Claim(ctx context.Context, id, orderID string, version int64) (int64, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.claims++
	prev := s.pushed[id+"#"+orderID]
	if prev >= version {
		return 0, false, nil
	}
	s.pushed[id+"#"+orderID] = version
	return prev, true, nil
}

func (s *store) Unclaim(ctx context.Context, id, orderID string, version, prev int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pushed[id+"#"+orderID] == version {
		s.pushed[id+"#"+orderID] = prev
	}
	return nil
}

// poster records posts; fail decides a connection's answer.
type poster struct {
	mu    sync.Mutex
	posts map[string][]string
	fail  func(ctx context.Context, id string) error
}

func (p *poster) Post(ctx context.Context, id string, data []byte) error {
	if p.fail != nil {
		if err := p.fail(ctx, id); err != nil {
			return err
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.posts == nil {
		p.posts = map[string][]string{}
	}
	p.posts[id] = append(p.posts[id], string(data))
	return nil
}

func (p *poster) to(id string) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.posts[id])
}

type orders map[order.ID]*order.Order

func (o orders) Get(ctx context.Context, id order.ID) (*order.Order, error) {
	if x, ok := o[id]; ok {
		return x, nil
	}
	return nil, fmt.Errorf("%w: %s", order.ErrNotFound, id)
}

var errBoom = errors.New("boom")

func anOrder(t *testing.T, id string, owner customer.ID, status order.Status, version int64) *order.Order {
	t.Helper()
	price, _ := money.New(500, "USD")
	line, err := order.NewLine("SKU-1", "Mug", 1, price)
	if err != nil {
		t.Fatal(err)
	}
	o, err := order.FromSnapshot(order.Snapshot{ID: order.ID(id), CustomerID: owner, Lines: []order.Line{line}, Total: price,
		Status: status, Version: version})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// closer records DeleteConnection calls; gone lists the connections API Gateway no longer knows.
type closer struct {
	mu     sync.Mutex
	closed []string
	gone   map[string]bool
	err    error
}

func (c *closer) Close(ctx context.Context, id string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return c.err
	}
	if c.gone[id] {
		return ws.ErrGone
	}
	c.closed = append(c.closed, id)
	return nil
}

// groups is the user pool's admin group.
type groups struct {
	admins map[customer.ID]bool
	err    error
	asked  []customer.ID
}

func (g *groups) IsAdmin(ctx context.Context, user customer.ID) (bool, error) {
	g.asked = append(g.asked, user)
	return g.admins[user], g.err
}
