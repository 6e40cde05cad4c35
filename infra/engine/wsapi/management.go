package wsapi

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/coder/websocket"
)

// Management is the @connections API (https://{api}.execute-api.{region}.amazonaws.com/{stage}/@connections/{id})
// that functions call through the apigatewaymanagementapi client with BaseEndpoint set to this
// handler's URL, with or without the stage. Requests are not SigV4-verified.
func (s *Server) Management() http.Handler { return http.HandlerFunc(s.manage) }

func (s *Server) manage(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	reqID := newID()
	w.Header().Set("X-Amzn-Requestid", reqID)
	rec := Record{Kind: r.Method}
	status := http.StatusOK
	defer func() {
		rec.Status, rec.Duration = status, time.Since(start)
		s.record(rec)
	}()
	fail := func(code int, errType, msg string) {
		status, rec.Error = code, errType
		w.Header().Set("X-Amzn-Errortype", errType)
		body, _ := json.Marshal(map[string]string{"message": msg})
		writeJSON(w, code, body)
	}

	id, ok := s.connectionPath(r.URL)
	if !ok || (r.Method != http.MethodPost && r.Method != http.MethodGet && r.Method != http.MethodDelete) {
		// API Gateway's answer to a path or method it does not serve.
		fail(http.StatusForbidden, "ForbiddenException", "Missing Authentication Token")
		return
	}
	rec.ConnectionID = id
	c := s.lookup(id)
	if c == nil {
		fail(http.StatusGone, "GoneException", "")
		return
	}

	switch r.Method {
	case http.MethodPost:
		data, err := io.ReadAll(io.LimitReader(r.Body, maxMessage+1))
		rec.Bytes = len(data)
		if err != nil {
			fail(http.StatusBadRequest, "BadRequestException", "Could not read the request body")
			return
		}
		if len(data) > maxMessage {
			fail(http.StatusRequestEntityTooLarge, "PayloadTooLargeException", "Message too long")
			return
		}
		if s.cfg.Drop != nil && s.cfg.Drop(id) {
			c.shutdown(statusAbnormal, reasonDropped, false)
			fail(http.StatusGone, "GoneException", "")
			return
		}
		// API Gateway sends posted data as one text message.
		err = c.send(r.Context(), websocket.MessageText, data)
		switch {
		case err == nil:
			status = http.StatusOK
			w.WriteHeader(status)
		case errors.Is(err, errQueueFull):
			// Throttling is how API Gateway answers a caller that outpaces a connection.
			fail(http.StatusTooManyRequests, "LimitExceededException", "Too many messages waiting for this connection")
		case errors.Is(err, errGone):
			fail(http.StatusGone, "GoneException", "")
		default:
			// The caller went away; it reads no answer.
			status, rec.Error = 499, err.Error()
		}
	case http.MethodGet:
		body, _ := json.Marshal(connectionInfo{
			ConnectedAt:  c.connectedAt.UTC().Format(time.RFC3339Nano),
			LastActiveAt: c.lastActiveAt().UTC().Format(time.RFC3339Nano),
			Identity:     identity{SourceIP: c.peer.sourceIP, UserAgent: c.peer.userAgent},
		})
		writeJSON(w, status, body)
	case http.MethodDelete:
		c.shutdown(statusNormal, reasonDeleted, true)
		status = http.StatusNoContent
		w.WriteHeader(status)
	}
}

// connectionInfo is GetConnection's answer, in the service's JSON member names.
type connectionInfo struct {
	ConnectedAt  string   `json:"connectedAt"`
	Identity     identity `json:"identity"`
	LastActiveAt string   `json:"lastActiveAt"`
}

type identity struct {
	SourceIP  string `json:"sourceIp"`
	UserAgent string `json:"userAgent"`
}

// connectionPath extracts the id from /@connections/{id} or /{stage}/@connections/{id}. The SDK
// percent-encodes the id ("=" becomes %3D), so segments are unescaped one by one.
func (s *Server) connectionPath(u *url.URL) (string, bool) {
	parts := strings.Split(strings.TrimPrefix(u.EscapedPath(), "/"), "/")
	if len(parts) == 3 {
		stage, err := url.PathUnescape(parts[0])
		if err != nil || stage != s.cfg.Stage {
			return "", false
		}
		parts = parts[1:]
	}
	if len(parts) != 2 {
		return "", false
	}
	at, err1 := url.PathUnescape(parts[0])
	id, err2 := url.PathUnescape(parts[1])
	if err1 != nil || err2 != nil || at != "@connections" || id == "" {
		return "", false
	}
	return id, true
}
