package wsapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/coder/websocket"
)

// readLoop reads the client's messages until the connection ends. Each message's function runs
// on its own goroutine, as API Gateway invokes them concurrently (and so does not order them),
// at most inFlight at once per connection.
func (s *Server) readLoop(ctx context.Context, c *conn) {
	for {
		typ, data, err := c.ws.Read(context.Background())
		if err != nil {
			code, reason := peerClose(err)
			c.shutdown(code, reason, false)
			return
		}
		c.touch()
		select {
		case c.handler <- struct{}{}:
		case <-c.done:
			return
		}
		s.wg.Add(1) // counted: the upgrade handler running this loop is counted
		go func() {
			defer s.wg.Done()
			defer func() { <-c.handler }()
			s.handleMessage(ctx, c, typ, data)
		}()
	}
}

// selectRoute evaluates the route selection expression. A binary frame, a body that is not a JSON
// object, or a value with no route of its own goes to $default; "" when there is none.
func (s *Server) selectRoute(typ websocket.MessageType, data []byte) string {
	if typ == websocket.MessageText {
		if key, ok := selectionValue(s.selector, data); ok {
			if _, ok := s.routes[key]; ok {
				return key
			}
		}
	}
	if _, ok := s.routes["$default"]; ok {
		return "$default"
	}
	return ""
}

// selectionValue follows path through a JSON body. Strings select by their value; numbers and
// booleans by their JSON text.
func selectionValue(path []string, body []byte) (string, bool) {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return "", false
	}
	for _, p := range path {
		obj, ok := v.(map[string]any)
		if !ok {
			return "", false
		}
		if v, ok = obj[p]; !ok {
			return "", false
		}
	}
	switch x := v.(type) {
	case string:
		return x, true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

func (s *Server) handleMessage(ctx context.Context, c *conn, typ websocket.MessageType, data []byte) {
	start := time.Now()
	key := s.selectRoute(typ, data)
	ev := s.messageEvent(c, key, typ == websocket.MessageBinary, data, start)
	reqID := ev.RequestContext.RequestID
	rec := Record{Kind: "MESSAGE", ConnectionID: c.id, RouteKey: key, Bytes: len(data), Status: 200}
	defer func() {
		rec.Duration = time.Since(start)
		s.record(rec)
	}()
	reply := func(b []byte) {
		if err := c.send(ctx, websocket.MessageText, b); err != nil && !errors.Is(err, errGone) {
			s.cfg.Logger.Warn("wsapi: reply not sent", "connection", c.id, "route", key, "error", err)
		}
	}
	if key == "" {
		// No route and no $default: API Gateway answers the client and keeps the connection.
		rec.Status, rec.Error = 403, "no route matches and there is no $default route"
		reply(gatewayError("Forbidden", c.id, reqID))
		return
	}
	route := s.routes[key]
	rec.Function = route.Function
	payload, err := json.Marshal(ev)
	if err == nil {
		var out []byte
		out, err = s.invoke(ctx, route.Function, payload)
		if err == nil {
			if route.TwoWay {
				err = s.sendResult(ctx, c, out)
			}
			if err == nil {
				return
			}
		}
	}
	rec.Status, rec.Error = 500, err.Error()
	s.cfg.Logger.Warn("wsapi: message integration failed", "connection", c.id, "route", key, "function", route.Function, "error", err)
	msg := "Internal server error"
	if errors.Is(err, context.DeadlineExceeded) {
		// API Gateway's words when the 29 s integration timeout passes.
		msg = "Endpoint request timed out"
	}
	reply(gatewayError(msg, c.id, reqID))
}

// sendResult sends a two-way route's result: a proxy response's body (nothing when it has none),
// or the result itself when it is not a proxy response.
func (s *Server) sendResult(ctx context.Context, c *conn, out []byte) error {
	resp, structured, err := decodeProxyResponse(out)
	if err != nil {
		return fmt.Errorf("route response: %w", err)
	}
	data := out
	if structured {
		data = resp.body
	}
	if len(data) == 0 || string(data) == "null" {
		return nil
	}
	typ := websocket.MessageText
	if structured && resp.IsBase64Encoded {
		typ = websocket.MessageBinary
	}
	if err := c.send(ctx, typ, data); err != nil && !errors.Is(err, errGone) {
		s.cfg.Logger.Warn("wsapi: route response not sent", "connection", c.id, "error", err)
	}
	return nil
}
