package wsapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"
)

// Invoker runs a function synchronously. A function error (handler error, crash, timeout) is an error.
type Invoker interface {
	Invoke(ctx context.Context, function string, payload []byte) ([]byte, error)
}

// Route maps a route key to a function.
type Route struct {
	// Key is $connect, $disconnect, $default, or a value of the route selection expression
	// (for "$request.body.action", an action such as "subscribe").
	Key      string
	Function string
	// TwoWay sends the function's result back to the client. In AWS a route is two-way when it
	// has a route response; $connect and $disconnect never are.
	TwoWay bool
}

// Record describes one connect, message, disconnect or @connections call, for logs.
type Record struct {
	Kind         string // CONNECT, MESSAGE, DISCONNECT, POST, GET or DELETE
	ConnectionID string
	RouteKey     string
	Function     string
	Status       int // HTTP status for CONNECT and @connections calls; 200, 403 or 500 for MESSAGE; the close code for DISCONNECT
	Bytes        int // message or posted data size
	Duration     time.Duration
	Error        string
}

// Config configures a Server. Zero durations and sizes take API Gateway's values.
type Config struct {
	APIID string
	Stage string
	// DomainName is requestContext.domainName; empty means the upgrade request's Host, which is
	// what a function needs to reach the @connections API when it is served on the same address.
	DomainName string
	// RouteSelectionExpression is "$request.body.<path>"; empty means "$request.body.action".
	RouteSelectionExpression string
	Routes                   []Route
	Logger                   *slog.Logger
	// OnRecord is called once per connect, message, disconnect and @connections call.
	OnRecord func(Record)

	IntegrationTimeout time.Duration // 29 s, API Gateway's maximum
	IdleTimeout        time.Duration // 10 minutes
	MaxLifetime        time.Duration // 2 hours
	WriteTimeout       time.Duration // 5 s: how long one frame may take to reach a client
	SendQueue          int           // 16 frames waiting per connection

	// Drop, when set, is asked before each @connections post whether to drop that connection
	// instead, abruptly, as a network failure would (injected faults, docs/faults.md): no close frame
	// (the client sees 1006), $disconnect runs, and the post answers 410 GoneException. Nil costs nothing.
	Drop func(connectionID string) bool
}

// API Gateway's quotas.
const (
	maxMessage         = 128 << 10
	defaultIdle        = 10 * time.Minute
	defaultLifetime    = 2 * time.Hour
	defaultIntegration = 29 * time.Second
	defaultWrite       = 5 * time.Second
	defaultQueue       = 16
	// inFlight bounds the messages of one connection whose functions run at once: API Gateway
	// invokes them concurrently, but an unbounded number would let one client spawn goroutines
	// without limit.
	inFlight = 8
)

// Server serves WebSocket clients (ServeHTTP) and the @connections API (Management).
type Server struct {
	cfg      Config
	inv      Invoker
	routes   map[string]Route
	selector []string // the JSON path of the route selection expression

	mu     sync.Mutex
	conns  map[string]*conn
	closed bool
	// wg counts every goroutine the server runs (upgrade handlers, writers, message handlers).
	// Add is only called under mu before closed is set, or from a goroutine already counted, so
	// it never races with Close's Wait.
	wg sync.WaitGroup
}

// New validates the configuration.
func New(cfg Config, inv Invoker) (*Server, error) {
	if inv == nil {
		return nil, errors.New("wsapi: nil Invoker")
	}
	if cfg.APIID == "" {
		cfg.APIID = "local"
	}
	if cfg.Stage == "" {
		cfg.Stage = "$default"
	}
	if cfg.RouteSelectionExpression == "" {
		cfg.RouteSelectionExpression = "$request.body.action"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.IntegrationTimeout <= 0 {
		cfg.IntegrationTimeout = defaultIntegration
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = defaultIdle
	}
	if cfg.MaxLifetime <= 0 {
		cfg.MaxLifetime = defaultLifetime
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = defaultWrite
	}
	if cfg.SendQueue <= 0 {
		cfg.SendQueue = defaultQueue
	}
	sel, err := compileSelection(cfg.RouteSelectionExpression)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, inv: inv, routes: map[string]Route{}, selector: sel, conns: map[string]*conn{}}
	for _, r := range cfg.Routes {
		if r.Key == "" || r.Function == "" {
			return nil, fmt.Errorf("wsapi: route %q needs a key and a function", r.Key)
		}
		if _, dup := s.routes[r.Key]; dup {
			return nil, fmt.Errorf("wsapi: route %q is declared twice", r.Key)
		}
		if r.TwoWay && (r.Key == "$connect" || r.Key == "$disconnect") {
			return nil, fmt.Errorf("wsapi: route %q cannot be two-way", r.Key)
		}
		s.routes[r.Key] = r
	}
	return s, nil
}

// compileSelection parses "$request.body.a.b" (or "${request.body.a.b}") into its JSON path.
func compileSelection(expr string) ([]string, error) {
	e := strings.TrimSpace(expr)
	if strings.HasPrefix(e, "${") && strings.HasSuffix(e, "}") {
		e = "$" + e[2:len(e)-1]
	}
	rest, ok := strings.CutPrefix(e, "$request.body.")
	if !ok || rest == "" {
		return nil, fmt.Errorf("wsapi: route selection expression %q: only $request.body.<path> is supported", expr)
	}
	path := strings.Split(rest, ".")
	for _, p := range path {
		if p == "" {
			return nil, fmt.Errorf("wsapi: route selection expression %q has an empty segment", expr)
		}
	}
	return path, nil
}

// Close closes every connection with 1001 (going away), waits until each one's $disconnect and
// every running message function has returned, and refuses new connections. A client that stopped
// reading can hold it up to 5 s, the library's bound on writing the close frame.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	open := make([]*conn, 0, len(s.conns))
	for _, c := range s.conns {
		open = append(open, c)
	}
	s.mu.Unlock()
	for _, c := range open {
		c.shutdown(statusGoingAway, reasonGoingAway, true)
	}
	s.wg.Wait()
	return nil
}

// track counts a new top-level goroutine unless the server is closed.
func (s *Server) track() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.wg.Add(1)
	return true
}

// register makes a connection reachable through @connections; false once the server is closed.
func (s *Server) register(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns[c.id] = c
	return true
}

func (s *Server) forget(id string) {
	s.mu.Lock()
	delete(s.conns, id)
	s.mu.Unlock()
}

func (s *Server) lookup(id string) *conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns[id]
}

// newConnectionID returns an id not in use, in API Gateway's shape.
func (s *Server) newConnectionID() string {
	for {
		id := newID()
		s.mu.Lock()
		_, taken := s.conns[id]
		s.mu.Unlock()
		if !taken {
			return id
		}
	}
}

// Connections is the number of open connections.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// Routes lists the route keys, sorted, for the startup banner.
func (s *Server) Routes() []string {
	out := make([]string, 0, len(s.routes))
	for _, r := range s.routes {
		line := r.Key + " -> " + r.Function
		if r.TwoWay {
			line += " (two-way)"
		}
		out = append(out, line)
	}
	sort.Strings(out)
	return out
}

func (s *Server) record(r Record) {
	if s.cfg.OnRecord != nil {
		s.cfg.OnRecord(r)
	}
}

// invoke runs a route's function with API Gateway's integration timeout. The context is detached
// from the caller's cancellation: a client that goes away does not abort a running integration.
func (s *Server) invoke(ctx context.Context, function string, payload []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.IntegrationTimeout)
	defer cancel()
	out, err := s.inv.Invoke(ctx, function, payload)
	if err != nil {
		return nil, fmt.Errorf("invoke %s: %w", function, err)
	}
	return out, nil
}
