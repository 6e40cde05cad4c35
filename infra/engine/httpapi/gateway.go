// Package httpapi does locally what an Amazon API Gateway HTTP API does in front of Lambda: route
// matching with path parameters and $default, payload format 2.0, JWT authorizers, CORS, and API
// Gateway's limits and error answers. See "Working with AWS Lambda proxy integrations for HTTP APIs" and
// "Controlling access to HTTP APIs with JWT authorizers" in the API Gateway developer guide.
package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orion-oss/orion/infra/engine/xray"
)

// Invoker runs a function synchronously. A function error (handler error, crash, timeout) is an error.
type Invoker interface {
	Invoke(ctx context.Context, function string, payload []byte) ([]byte, error)
}

// Route maps a route key to a function.
type Route struct {
	Method     string // GET, POST, ..., or ANY
	Path       string // /orders/{orderId}, /files/{proxy+}, or $default
	Function   string
	Authorizer string // "" or NONE for public routes
	Scopes     []string
}

// CORS is the API's CORS configuration.
type CORS struct {
	AllowOrigins, AllowMethods, AllowHeaders, ExposeHeaders []string
	MaxAge                                                  int
	AllowCredentials                                        bool
}

// Record describes one request, for logs and the access log.
type Record struct {
	RouteKey, Function, Method, Path string
	Status                           int
	Duration                         time.Duration
	AuthError                        string

	RequestID, SourceIP, UserAgent, Protocol string
	AccountID, APIID, Stage                  string
	Start                                    time.Time
	ResponseLength                           int
	// Claims are the JWT authorizer's claims as the function receives them (none when it refused).
	Claims map[string]string
	// IntegrationError is why the integration failed; ErrorMessage the gateway's own answer message.
	IntegrationError, ErrorMessage string
}

// Throttle is a route's token bucket (docs.aws.amazon.com/apigateway/latest/developerguide/
// http-api-throttling.html): Burst requests at once, refilled at Rate per second. Burst 0 throttles
// every request, as API Gateway does with a stored 0.
type Throttle struct {
	Burst int
	Rate  float64
}

// Config configures a Gateway.
type Config struct {
	APIID, Stage, DomainName, AccountID string
	Routes                              []Route
	// DefaultThrottle is the stage's DefaultRouteSettings: every route gets a bucket of its own with
	// these limits (nil: no throttling). RouteThrottles, by route key ("POST /auth/login"), are the
	// stage's RouteSettings, which replace the default for their route.
	DefaultThrottle    *Throttle
	RouteThrottles     map[string]Throttle
	Authorizers        map[string]JWTAuthorizer
	CORS               *CORS
	MaxBody            int64
	IntegrationTimeout time.Duration
	Logger             *slog.Logger
	OnRequest          func(Record)
	// AccessLog, when set, gets one line per request in the stage's access log format.
	AccessLog *AccessLog
}

// Gateway is an http.Handler.
type Gateway struct {
	cfg    Config
	inv    Invoker
	routes []compiledRoute
	auth   map[string]*jwtAuth
}

// bucket is one route's token bucket.
type bucket struct {
	mu     sync.Mutex
	limit  Throttle
	tokens float64
	at     time.Time
}

// take spends a token, refilling first at the bucket's rate up to its burst.
func (b *bucket) take(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.at.IsZero() {
		b.tokens = float64(b.limit.Burst)
	} else if d := now.Sub(b.at).Seconds(); d > 0 {
		b.tokens = min(float64(b.limit.Burst), b.tokens+d*b.limit.Rate)
	}
	b.at = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

type compiledRoute struct {
	Route
	key      string
	segments []segment
	bucket   *bucket // nil: not throttled
}

type segment struct {
	literal string
	param   string
	greedy  bool
}

// New validates the configuration.
func New(cfg Config, inv Invoker) (*Gateway, error) {
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 10 << 20
	}
	if cfg.IntegrationTimeout <= 0 {
		cfg.IntegrationTimeout = 30 * time.Second
	}
	if cfg.Stage == "" {
		cfg.Stage = "$default"
	}
	if cfg.APIID == "" {
		cfg.APIID = "local"
	}
	if cfg.AccountID == "" {
		cfg.AccountID = "123456789012"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if err := checkAccessLog(cfg.AccessLog); err != nil {
		return nil, err
	}
	g := &Gateway{cfg: cfg, inv: inv, auth: map[string]*jwtAuth{}}
	for name, a := range cfg.Authorizers {
		ja, err := newJWTAuth(name, a)
		if err != nil {
			return nil, err
		}
		g.auth[name] = ja
	}
	seen := map[string]bool{}
	for _, r := range cfg.Routes {
		cr, err := compile(r)
		if err != nil {
			return nil, err
		}
		if seen[cr.key] {
			return nil, fmt.Errorf("httpapi: route %q is declared twice", cr.key)
		}
		seen[cr.key] = true
		if r.Authorizer != "" && r.Authorizer != "NONE" && g.auth[r.Authorizer] == nil {
			return nil, fmt.Errorf("httpapi: route %q uses unknown authorizer %q", cr.key, r.Authorizer)
		}
		if t, ok := cfg.RouteThrottles[cr.key]; ok {
			cr.bucket = &bucket{limit: t}
		} else if cfg.DefaultThrottle != nil {
			cr.bucket = &bucket{limit: *cfg.DefaultThrottle}
		}
		g.routes = append(g.routes, cr)
	}
	for key, t := range cfg.RouteThrottles {
		if !seen[key] {
			// API Gateway refuses settings for a route the API does not have.
			return nil, fmt.Errorf("httpapi: route settings for %q, which is no route", key)
		}
		if t.Burst < 0 || t.Rate < 0 {
			return nil, fmt.Errorf("httpapi: route %q: negative throttling limits", key)
		}
	}
	return g, nil
}

func compile(r Route) (compiledRoute, error) {
	r.Method = strings.ToUpper(r.Method)
	if r.Method == "" || r.Method == "X-AMAZON-APIGATEWAY-ANY-METHOD" {
		r.Method = "ANY"
	}
	cr := compiledRoute{Route: r}
	if r.Path == "$default" {
		cr.key = "$default"
		return cr, nil
	}
	if !strings.HasPrefix(r.Path, "/") {
		return cr, fmt.Errorf("httpapi: route path %q must start with /", r.Path)
	}
	cr.key = r.Method + " " + r.Path
	if r.Path == "/" {
		return cr, nil
	}
	parts := strings.Split(strings.TrimPrefix(r.Path, "/"), "/")
	for i, p := range parts {
		switch {
		case p == "":
			return cr, fmt.Errorf("httpapi: route path %q has an empty segment", r.Path)
		case strings.HasPrefix(p, "{") && strings.HasSuffix(p, "+}"):
			if i != len(parts)-1 {
				return cr, fmt.Errorf("httpapi: greedy %s must be the last segment of %q", p, r.Path)
			}
			cr.segments = append(cr.segments, segment{param: p[1 : len(p)-2], greedy: true})
		case strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}"):
			cr.segments = append(cr.segments, segment{param: p[1 : len(p)-1]})
		case strings.ContainsAny(p, "{}"):
			return cr, fmt.Errorf("httpapi: route path %q: a segment is either literal or one {parameter}", r.Path)
		default:
			cr.segments = append(cr.segments, segment{literal: p})
		}
	}
	return cr, nil
}

// match returns the path parameters when the route matches path.
func (cr compiledRoute) match(method, path string) (map[string]string, bool) {
	if cr.key == "$default" {
		return nil, true
	}
	if cr.Method != "ANY" && cr.Method != method {
		return nil, false
	}
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	if path == "/" {
		parts = nil
	}
	params := map[string]string{}
	for i, s := range cr.segments {
		if s.greedy {
			if i >= len(parts) {
				return nil, false
			}
			params[s.param] = strings.Join(parts[i:], "/")
			return params, true
		}
		if i >= len(parts) || parts[i] == "" {
			return nil, false
		}
		if s.literal != "" {
			if parts[i] != s.literal {
				return nil, false
			}
			continue
		}
		params[s.param] = parts[i]
	}
	if len(parts) != len(cr.segments) {
		return nil, false
	}
	return params, true
}

// score orders matching routes as API Gateway does: $default last, then greedy routes, then by the
// number of literal segments, then specific methods before ANY.
func (cr compiledRoute) score() [4]int {
	if cr.key == "$default" {
		return [4]int{0, 0, 0, 0}
	}
	literals, greedy := 0, 1
	for _, s := range cr.segments {
		if s.literal != "" {
			literals++
		}
		if s.greedy {
			greedy = 0
		}
	}
	method := 1
	if cr.Method == "ANY" {
		method = 0
	}
	return [4]int{1, greedy, literals*2 + len(cr.segments), method}
}

func (g *Gateway) find(method, path string) (compiledRoute, map[string]string, bool) {
	var best compiledRoute
	var bestParams map[string]string
	found := false
	for _, cr := range g.routes {
		params, ok := cr.match(method, path)
		if !ok {
			continue
		}
		if !found || less(best.score(), cr.score()) {
			best, bestParams, found = cr, params, true
		}
	}
	return best, bestParams, found
}

func less(a, b [4]int) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

func writeMessage(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, "{\"message\":%q}", msg)
}

func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	reqID := requestID()
	w.Header().Set("Apigw-Requestid", reqID)
	ip, _, _ := net.SplitHostPort(r.RemoteAddr)
	rec := Record{Method: r.Method, Path: r.URL.Path, RequestID: reqID, SourceIP: ip, UserAgent: r.UserAgent(), Protocol: r.Proto}
	status := http.StatusOK
	cw := &countingWriter{ResponseWriter: w}
	w = cw
	defer func() {
		rec.Status, rec.Duration, rec.ResponseLength = status, time.Since(start), cw.n
		if g.cfg.OnRequest != nil {
			g.cfg.OnRequest(rec)
		}
		if a := g.cfg.AccessLog; a != nil && a.Write != nil {
			a.Write(accessLine(a.Format, g.accessRecord(rec, start)))
		}
	}()
	fail := func(code int, msg string) {
		status = code
		rec.ErrorMessage = msg
		g.cors(w, r)
		writeMessage(w, code, msg)
	}

	if g.preflight(w, r) {
		status = http.StatusNoContent
		return
	}
	route, params, ok := g.find(r.Method, r.URL.EscapedPath())
	if !ok {
		fail(http.StatusNotFound, "Not Found")
		return
	}
	rec.RouteKey, rec.Function = route.key, route.Function
	// Throttling comes before the body, the authorizer and the integration: a throttled request costs
	// the API nothing but the answer.
	if route.bucket != nil && !route.bucket.take(time.Now()) {
		fail(http.StatusTooManyRequests, "Too Many Requests")
		return
	}

	body, err := io.ReadAll(io.LimitReader(r.Body, g.cfg.MaxBody+1))
	if err != nil {
		fail(http.StatusBadRequest, "Bad Request")
		return
	}
	if int64(len(body)) > g.cfg.MaxBody {
		fail(http.StatusRequestEntityTooLarge, "Request Entity Too Large")
		return
	}

	var authz *events.APIGatewayV2HTTPRequestContextAuthorizerDescription
	if route.Authorizer != "" && route.Authorizer != "NONE" {
		claims, scopes, err := g.auth[route.Authorizer].authorize(r.Context(), r, route.Scopes)
		if err != nil {
			rec.AuthError = err.Error()
			if errors.Is(err, errForbidden) {
				fail(http.StatusForbidden, "Forbidden")
			} else {
				fail(http.StatusUnauthorized, "Unauthorized")
			}
			return
		}
		authz = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: claims, Scopes: scopes},
		}
		rec.Claims = claims
	}

	// HTTP APIs have no X-Ray tracing: the function's invocation starts the trace, as Lambda does for a
	// request without a trace header. The API passes the request's trace id in x-amzn-trace-id.
	trace := requestTrace(r.Header.Get("X-Amzn-Trace-Id"), start)
	r.Header.Set("X-Amzn-Trace-Id", trace)
	event := g.event(r, route, params, body, authz, reqID, start)
	payload, err := json.Marshal(event)
	if err != nil {
		fail(http.StatusInternalServerError, "Internal Server Error")
		return
	}
	ctx, cancel := context.WithTimeout(xray.WithHeader(r.Context(), trace), g.cfg.IntegrationTimeout)
	defer cancel()
	out, err := g.inv.Invoke(ctx, route.Function, payload)
	switch {
	case errors.Is(err, context.DeadlineExceeded) || ctx.Err() == context.DeadlineExceeded:
		fail(http.StatusServiceUnavailable, "Service Unavailable")
		return
	case err != nil:
		g.cfg.Logger.Warn("httpapi: integration failed", "route", route.key, "function", route.Function, "error", err)
		rec.IntegrationError = err.Error()
		fail(http.StatusInternalServerError, "Internal Server Error")
		return
	}
	status, err = g.respond(w, r, out)
	if err != nil {
		g.cfg.Logger.Warn("httpapi: malformed Lambda response", "route", route.key, "function", route.Function, "error", err)
		fail(http.StatusInternalServerError, "Internal Server Error")
	}
}

// requestTrace is the request's trace header: the client's trace id when it sent a valid one, else a
// new one, sampled (locally every trace is).
func requestTrace(client string, at time.Time) string {
	if h, ok := xray.ParseHeader(client); ok {
		return xray.Header{Root: h.Root, Sampled: "1"}.String()
	}
	return xray.Header{Root: xray.NewRoot(at), Sampled: "1"}.String()
}

// event builds the payload format 2.0 request.
func (g *Gateway) event(r *http.Request, route compiledRoute, params map[string]string, body []byte,
	authz *events.APIGatewayV2HTTPRequestContextAuthorizerDescription, reqID string, at time.Time) events.APIGatewayV2HTTPRequest {
	headers := map[string]string{}
	var cookies []string
	for k, vs := range r.Header {
		lk := strings.ToLower(k)
		if lk == "cookie" {
			for _, v := range vs {
				for _, c := range strings.Split(v, ";") {
					if c = strings.TrimSpace(c); c != "" {
						cookies = append(cookies, c)
					}
				}
			}
			continue
		}
		headers[lk] = strings.Join(vs, ",")
	}
	if r.Host != "" {
		headers["host"] = r.Host
	}
	var query map[string]string
	if q := r.URL.Query(); len(q) > 0 {
		query = map[string]string{}
		for k, vs := range q {
			query[k] = strings.Join(vs, ",")
		}
	}
	ip, _, _ := net.SplitHostPort(r.RemoteAddr)
	domain := g.cfg.DomainName
	if domain == "" {
		domain = r.Host
	}
	prefix, _, _ := strings.Cut(domain, ".")
	e := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: route.key, RawPath: r.URL.EscapedPath(), RawQueryString: r.URL.RawQuery,
		Cookies: cookies, Headers: headers, QueryStringParameters: query, PathParameters: params,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey: route.key, AccountID: g.cfg.AccountID, Stage: g.cfg.Stage, RequestID: reqID, APIID: g.cfg.APIID,
			DomainName: domain, DomainPrefix: prefix, Time: at.UTC().Format("02/Jan/2006:15:04:05 -0700"), TimeEpoch: at.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method: r.Method, Path: r.URL.Path, Protocol: r.Proto, SourceIP: ip, UserAgent: r.UserAgent(),
			},
			Authorizer: authz,
		},
	}
	if len(body) > 0 {
		if isText(r.Header.Get("Content-Type")) {
			e.Body = string(body)
		} else {
			e.Body, e.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		}
	}
	return e
}

// isText reports whether API Gateway passes a body of this type as text rather than base64.
func isText(contentType string) bool {
	if contentType == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return strings.HasPrefix(mt, "text/") || mt == "application/json" || strings.HasSuffix(mt, "+json") ||
		mt == "application/xml" || strings.HasSuffix(mt, "+xml") || mt == "application/x-www-form-urlencoded" ||
		mt == "application/javascript"
}

// respond maps the function's output: a structured response when it has a statusCode, otherwise API
// Gateway's inference (the output is a 200 JSON body).
func (g *Gateway) respond(w http.ResponseWriter, r *http.Request, out []byte) (int, error) {
	if !json.Valid(out) {
		return 0, errors.New("the function returned invalid JSON")
	}
	var probe map[string]json.RawMessage
	structured := json.Unmarshal(out, &probe) == nil && probe["statusCode"] != nil
	g.cors(w, r)
	if !structured {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		w.Write(out)
		return http.StatusOK, nil
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		return 0, fmt.Errorf("response: %w", err)
	}
	if resp.StatusCode < 100 || resp.StatusCode > 599 {
		return 0, fmt.Errorf("status code %d", resp.StatusCode)
	}
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(resp.Body)
		if err != nil {
			return 0, fmt.Errorf("base64 body: %w", err)
		}
		body = b
	}
	h := w.Header()
	for k, vs := range resp.MultiValueHeaders {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	for k, v := range resp.Headers {
		h.Set(k, v)
	}
	for _, c := range resp.Cookies {
		h.Add("Set-Cookie", c)
	}
	if h.Get("Content-Type") == "" && len(body) > 0 {
		h.Set("Content-Type", "application/json")
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(resp.StatusCode)
	w.Write(body)
	return resp.StatusCode, nil
}

// preflight answers CORS preflight requests itself, as API Gateway does when CORS is configured.
func (g *Gateway) preflight(w http.ResponseWriter, r *http.Request) bool {
	c := g.cfg.CORS
	if c == nil || r.Method != http.MethodOptions || r.Header.Get("Origin") == "" || r.Header.Get("Access-Control-Request-Method") == "" {
		return false
	}
	origin := r.Header.Get("Origin")
	h := w.Header()
	if g.originAllowed(origin) && allowed(c.AllowMethods, r.Header.Get("Access-Control-Request-Method")) {
		h.Set("Access-Control-Allow-Origin", g.allowOriginValue(origin))
		h.Set("Access-Control-Allow-Methods", strings.Join(c.AllowMethods, ","))
		if len(c.AllowHeaders) > 0 {
			h.Set("Access-Control-Allow-Headers", strings.Join(c.AllowHeaders, ","))
		}
		if c.MaxAge > 0 {
			h.Set("Access-Control-Max-Age", strconv.Itoa(c.MaxAge))
		}
		if c.AllowCredentials {
			h.Set("Access-Control-Allow-Credentials", "true")
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return true
}

func (g *Gateway) cors(w http.ResponseWriter, r *http.Request) {
	c := g.cfg.CORS
	origin := r.Header.Get("Origin")
	if c == nil || origin == "" || !g.originAllowed(origin) {
		return
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", g.allowOriginValue(origin))
	if len(c.ExposeHeaders) > 0 {
		h.Set("Access-Control-Expose-Headers", strings.Join(c.ExposeHeaders, ","))
	}
	if c.AllowCredentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	h.Add("Vary", "Origin")
}

func (g *Gateway) originAllowed(origin string) bool { return allowed(g.cfg.CORS.AllowOrigins, origin) }

func (g *Gateway) allowOriginValue(origin string) string {
	if allowed(g.cfg.CORS.AllowOrigins, "*") && !g.cfg.CORS.AllowCredentials {
		return "*"
	}
	return origin
}

func allowed(list []string, v string) bool {
	for _, x := range list {
		if x == "*" || strings.EqualFold(x, v) {
			return true
		}
	}
	return false
}

// countingWriter counts the body bytes written ($context.responseLength).
type countingWriter struct {
	http.ResponseWriter
	n int
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.ResponseWriter.Write(b)
	c.n += n
	return n, err
}

func requestID() string {
	var b [8]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Routes lists the route keys, sorted, for the startup banner.
func (g *Gateway) Routes() []string {
	out := make([]string, 0, len(g.routes))
	for _, r := range g.routes {
		out = append(out, r.key+" -> "+r.Function)
	}
	sort.Strings(out)
	return out
}
