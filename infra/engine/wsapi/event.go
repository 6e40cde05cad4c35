package wsapi

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// newID returns an id shaped like API Gateway's connection, request and message ids: 11 random
// bytes in padded URL-safe base64, 16 characters ending in "=" (e.g. "JC1dgf9yoAMCK-g="). The
// URL-safe alphabet keeps ids usable as an @connections path segment without escaping "/".
func newID() string {
	var b [11]byte
	rand.Read(b[:])
	return base64.URLEncoding.EncodeToString(b[:])
}

// traceID is an X-Amzn-Trace-Id root, which API Gateway adds to the $connect headers.
func traceID(at time.Time) string {
	var b [12]byte
	rand.Read(b[:])
	return fmt.Sprintf("Root=1-%08x-%s", at.Unix(), hex.EncodeToString(b[:]))
}

// requestTime is API Gateway's requestContext.requestTime format.
func requestTime(at time.Time) string { return at.UTC().Format("02/Jan/2006:15:04:05 -0700") }

// headerNames restores the spelling browsers send and AWS passes on: Go canonicalises
// Sec-WebSocket-Key to Sec-Websocket-Key, and functions look headers up case-sensitively.
var headerNames = map[string]string{
	"Sec-Websocket-Key":        "Sec-WebSocket-Key",
	"Sec-Websocket-Version":    "Sec-WebSocket-Version",
	"Sec-Websocket-Extensions": "Sec-WebSocket-Extensions",
	"Sec-Websocket-Protocol":   "Sec-WebSocket-Protocol",
}

// peer is what API Gateway knows about a client, kept for every event of its connection.
type peer struct {
	sourceIP, userAgent, host string
}

func peerOf(r *http.Request) peer {
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}
	return peer{sourceIP: ip, userAgent: r.UserAgent(), host: r.Host}
}

// requestContext is the requestContext every event of a connection shares.
func (s *Server) requestContext(c *conn, routeKey, eventType, domain string, at time.Time) events.APIGatewayWebsocketProxyRequestContext {
	reqID := newID()
	return events.APIGatewayWebsocketProxyRequestContext{
		RouteKey: routeKey, EventType: eventType, ConnectionID: c.id, ConnectedAt: c.connectedAt.UnixMilli(),
		Stage: s.cfg.Stage, APIID: s.cfg.APIID, DomainName: domain, RequestID: reqID, ExtendedRequestID: reqID,
		RequestTime: requestTime(at), RequestTimeEpoch: at.UnixMilli(), MessageDirection: "IN",
		Identity: events.APIGatewayRequestIdentity{SourceIP: c.peer.sourceIP, UserAgent: c.peer.userAgent},
	}
}

func (s *Server) domain(host string) string {
	if s.cfg.DomainName != "" {
		return s.cfg.DomainName
	}
	return host
}

// connectEvent is the $connect event: the upgrade request's headers and query string, with the
// forwarding headers API Gateway adds.
func (s *Server) connectEvent(r *http.Request, c *conn, at time.Time) events.APIGatewayWebsocketProxyRequest {
	multi := map[string][]string{}
	for k, vs := range r.Header {
		if n, ok := headerNames[k]; ok {
			k = n
		}
		multi[k] = append([]string(nil), vs...)
	}
	multi["Host"] = []string{r.Host}
	xff := c.peer.sourceIP
	if prior := r.Header.Values("X-Forwarded-For"); len(prior) > 0 {
		xff = strings.Join(prior, ", ") + ", " + xff
	}
	multi["X-Forwarded-For"] = []string{xff}
	proto, port := "http", "80"
	if r.TLS != nil {
		proto, port = "https", "443"
	}
	if _, p, err := net.SplitHostPort(r.Host); err == nil {
		port = p
	}
	multi["X-Forwarded-Proto"] = []string{proto}
	multi["X-Forwarded-Port"] = []string{port}
	multi["X-Amzn-Trace-Id"] = []string{traceID(at)}

	e := events.APIGatewayWebsocketProxyRequest{
		MultiValueHeaders: multi, Headers: lastValues(multi),
		RequestContext: s.requestContext(c, "$connect", "CONNECT", s.domain(r.Host), at),
	}
	if q := r.URL.Query(); len(q) > 0 {
		e.MultiValueQueryStringParameters = map[string][]string(q)
		e.QueryStringParameters = lastValues(q)
	}
	return e
}

// lastValues is the single-value view of a multi-value map: like API Gateway's REST-style proxy
// events, it keeps the last value of a repeated header or query parameter.
func lastValues(m map[string][]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, vs := range m {
		if len(vs) > 0 {
			out[k] = vs[len(vs)-1]
		}
	}
	return out
}

// messageEvent is a MESSAGE event. API Gateway sends no headers with messages; a binary frame
// arrives base64-encoded.
func (s *Server) messageEvent(c *conn, routeKey string, binary bool, data []byte, at time.Time) events.APIGatewayWebsocketProxyRequest {
	rc := s.requestContext(c, routeKey, "MESSAGE", s.domain(c.peer.host), at)
	rc.MessageID = newID()
	e := events.APIGatewayWebsocketProxyRequest{RequestContext: rc, Body: string(data)}
	if binary {
		e.Body, e.IsBase64Encoded = base64.StdEncoding.EncodeToString(data), true
	}
	return e
}

// disconnectEvent is the DISCONNECT event, with why the connection ended.
func (s *Server) disconnectEvent(c *conn, code int, reason string, at time.Time) events.APIGatewayWebsocketProxyRequest {
	rc := s.requestContext(c, "$disconnect", "DISCONNECT", s.domain(c.peer.host), at)
	rc.DisconnectStatusCode = int64(code)
	rc.DisconnectReason = &reason
	multi := map[string][]string{"Host": {c.peer.host}, "X-Forwarded-For": {c.peer.sourceIP}}
	return events.APIGatewayWebsocketProxyRequest{MultiValueHeaders: multi, Headers: lastValues(multi), RequestContext: rc}
}

// gatewayError is the JSON API Gateway sends a client when a message cannot be routed or its
// integration fails; the connection stays open.
func gatewayError(message, connectionID, requestID string) []byte {
	return fmt.Appendf(nil, `{"message": %q, "connectionId":%q, "requestId":%q}`, message, connectionID, requestID)
}
