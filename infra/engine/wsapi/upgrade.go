package wsapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/coder/websocket"
)

// ServeHTTP is the WebSocket endpoint (wss://{api}.execute-api.{region}.amazonaws.com/{stage});
// any path is accepted. It runs $connect before completing the upgrade, then serves the
// connection until it ends and runs $disconnect.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if !isUpgrade(r) {
		// API Gateway answers a plain HTTP request to a WebSocket API this way.
		writeJSON(w, http.StatusUpgradeRequired, []byte(`{"message":"Upgrade Required"}`))
		return
	}
	if !s.track() {
		writeJSON(w, http.StatusGone, []byte(`{"message":"Gone"}`))
		return
	}
	defer s.wg.Done()

	c := newConn(s, s.newConnectionID(), peerOf(r), start)
	rec := Record{Kind: "CONNECT", ConnectionID: c.id, RouteKey: "$connect"}
	res, err := s.runConnect(r.Context(), r, c, start)
	rec.Function = res.function
	if err != nil {
		rec.Error = err.Error()
		s.cfg.Logger.Warn("wsapi: $connect failed", "connection", c.id, "function", res.function, "error", err)
	}
	if res.status < 200 || res.status > 299 {
		// Refused: nothing is stored, so the id was never reachable through @connections.
		copyHeaders(w.Header(), res.headers)
		writeJSON(w, res.status, res.body)
		rec.Status, rec.Duration = res.status, time.Since(start)
		s.record(rec)
		return
	}

	opts := &websocket.AcceptOptions{
		// API Gateway does not check Origin; a $connect function may.
		InsecureSkipVerify: true,
		// API Gateway negotiates no permessage-deflate.
		CompressionMode: websocket.CompressionDisabled,
	}
	// The $connect function chooses the subprotocol by returning Sec-WebSocket-Protocol, as in
	// AWS; without it none is negotiated.
	if p := res.headers.Get("Sec-WebSocket-Protocol"); p != "" {
		opts.Subprotocols = []string{strings.TrimSpace(strings.Split(p, ",")[0])}
		res.headers.Del("Sec-WebSocket-Protocol")
	} else if r.Header.Get("Sec-WebSocket-Protocol") != "" {
		// API Gateway completes this upgrade too, but browsers fail a handshake that offered
		// subprotocols and got none back; say so here, where a developer sees it first.
		s.cfg.Logger.Warn("wsapi: the client offered subprotocols and $connect chose none; browsers refuse such an upgrade",
			"connection", c.id, "function", res.function)
	}
	// Registered before the handshake completes, so a client that has its 101 can be posted to
	// at once; frames posted meanwhile wait in the queue for the writer.
	if !s.register(c) {
		// Closing: $connect succeeded, so the function may have stored the id, and $disconnect
		// pairs with it as it would after any lost connection.
		writeJSON(w, http.StatusGone, []byte(`{"message":"Gone"}`))
		rec.Status, rec.Error, rec.Duration = http.StatusGone, "server closing", time.Since(start)
		s.record(rec)
		c.shutdown(statusGoingAway, reasonGoingAway, false)
		c.drain()
		s.disconnect(r.Context(), c)
		return
	}
	copyHeaders(w.Header(), res.headers)
	ws, err := websocket.Accept(w, r, opts)
	if err != nil {
		// Accept has answered the client.
		rec.Status, rec.Error, rec.Duration = http.StatusBadRequest, fmt.Sprintf("upgrade: %v", err), time.Since(start)
		s.record(rec)
		c.shutdown(statusAbnormal, reasonAbnormal, false)
		c.drain()
		s.disconnect(r.Context(), c)
		return
	}
	c.ws = ws
	// API Gateway's 128 KB message quota: a larger message closes the connection with 1009.
	ws.SetReadLimit(maxMessage)
	rec.Status, rec.Duration = res.status, time.Since(start)
	s.record(rec)

	s.wg.Add(1) // counted: this handler is itself counted
	go func() {
		defer s.wg.Done()
		c.writeLoop()
	}()
	s.readLoop(r.Context(), c)
	<-c.writerEnd
	s.disconnect(r.Context(), c)
}

// isUpgrade reports whether r asks for a WebSocket (RFC 6455 section 4.1).
func isUpgrade(r *http.Request) bool {
	return r.Method == http.MethodGet && headerHas(r.Header, "Connection", "upgrade") &&
		headerHas(r.Header, "Upgrade", "websocket")
}

func headerHas(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// connectResult is the $connect function's decision.
type connectResult struct {
	function string
	status   int
	headers  http.Header
	body     []byte
}

// runConnect invokes $connect. Without a $connect route every connection is accepted.
func (s *Server) runConnect(ctx context.Context, r *http.Request, c *conn, at time.Time) (connectResult, error) {
	res := connectResult{status: http.StatusOK, headers: http.Header{}}
	route, ok := s.routes["$connect"]
	if !ok {
		return res, nil
	}
	res.function = route.Function
	ev := s.connectEvent(r, c, at)
	internal := func(err error) (connectResult, error) {
		res.status = http.StatusInternalServerError
		res.headers = http.Header{}
		res.body = gatewayError("Internal server error", c.id, ev.RequestContext.RequestID)
		return res, err
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		return internal(fmt.Errorf("encode $connect event: %w", err))
	}
	out, err := s.invoke(ctx, route.Function, payload)
	if err != nil {
		return internal(err)
	}
	resp, structured, err := decodeProxyResponse(out)
	if err != nil {
		return internal(fmt.Errorf("$connect response: %w", err))
	}
	if !structured {
		// Lenient where AWS documents nothing: a result without statusCode accepts.
		return res, nil
	}
	if resp.StatusCode < 100 || resp.StatusCode > 599 {
		return internal(fmt.Errorf("$connect returned status code %d", resp.StatusCode))
	}
	res.status, res.body = resp.StatusCode, resp.body
	for k, vs := range resp.MultiValueHeaders {
		for _, v := range vs {
			res.headers.Add(k, v)
		}
	}
	for k, v := range resp.Headers {
		res.headers.Set(k, v)
	}
	return res, nil
}

// proxyResponse is a Lambda proxy integration result.
type proxyResponse struct {
	StatusCode        int                 `json:"statusCode"`
	Headers           map[string]string   `json:"headers"`
	MultiValueHeaders map[string][]string `json:"multiValueHeaders"`
	Body              *string             `json:"body"`
	IsBase64Encoded   bool                `json:"isBase64Encoded"`
	body              []byte
}

// decodeProxyResponse reads a function's result. structured is false when it is not a JSON
// object with a statusCode or body, i.e. not a proxy response.
func decodeProxyResponse(out []byte) (resp proxyResponse, structured bool, err error) {
	var probe map[string]json.RawMessage
	if json.Unmarshal(out, &probe) != nil || (probe["statusCode"] == nil && probe["body"] == nil) {
		return resp, false, nil
	}
	if err := json.Unmarshal(out, &resp); err != nil {
		return resp, true, fmt.Errorf("decode: %w", err)
	}
	if probe["statusCode"] == nil {
		resp.StatusCode = http.StatusOK
	}
	if resp.Body != nil {
		resp.body = []byte(*resp.Body)
		if resp.IsBase64Encoded {
			b, err := base64.StdEncoding.DecodeString(*resp.Body)
			if err != nil {
				return resp, true, fmt.Errorf("base64 body: %w", err)
			}
			resp.body = b
		}
	}
	return resp, true, nil
}

// hopByHop are headers a function must not set on the upgrade response: the handshake owns them.
var hopByHop = map[string]bool{
	"Connection": true, "Upgrade": true, "Content-Length": true, "Transfer-Encoding": true,
	"Sec-Websocket-Accept": true, "Sec-Websocket-Extensions": true, "Sec-Websocket-Protocol": true,
}

func copyHeaders(dst, src http.Header) {
	for k, vs := range src {
		if hopByHop[http.CanonicalHeaderKey(k)] {
			continue
		}
		for _, v := range vs {
			dst.Add(k, v)
		}
	}
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	if w.Header().Get("Content-Type") == "" && len(body) > 0 {
		w.Header().Set("Content-Type", "application/json")
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// disconnect runs $disconnect once the socket is closed; its result is ignored, as in AWS.
func (s *Server) disconnect(ctx context.Context, c *conn) {
	start := time.Now()
	rec := Record{Kind: "DISCONNECT", ConnectionID: c.id, RouteKey: "$disconnect", Status: int(c.code)}
	if route, ok := s.routes["$disconnect"]; ok {
		rec.Function = route.Function
		payload, err := json.Marshal(s.disconnectEvent(c, int(c.code), c.reason, start))
		if err == nil {
			_, err = s.invoke(ctx, route.Function, payload)
		}
		if err != nil {
			rec.Error = err.Error()
			s.cfg.Logger.Warn("wsapi: $disconnect failed", "connection", c.id, "function", route.Function, "error", err)
		}
	}
	rec.Duration = time.Since(start)
	s.record(rec)
}
