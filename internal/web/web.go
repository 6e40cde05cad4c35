// Package web is the HTTP plumbing every API function shares: strict JSON decoding with size limits,
// RFC 9457 problem+json errors with field paths, the caller taken from the JWT claims API Gateway
// verified, and the one place where domain errors become status codes.
package web

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orion-oss/orion/internal/command"
	"github.com/orion-oss/orion/internal/customer"
	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/payment"
	"github.com/orion-oss/orion/internal/validation"
)

// Request and Response are API Gateway's HTTP API payload format 2.0.
type (
	Request  = events.APIGatewayV2HTTPRequest
	Response = events.APIGatewayV2HTTPResponse
)

// MaxBody is the largest request body any Orion endpoint accepts.
const MaxBody = 64 << 10

// Problem is an RFC 9457 problem detail.
type Problem struct {
	Type   string               `json:"type"`
	Title  string               `json:"title"`
	Status int                  `json:"status"`
	Detail string               `json:"detail,omitempty"`
	Errors []validation.Problem `json:"errors,omitempty"`
}

const problemBase = "https://orion-oss.github.io/problems/"

// Errors the plumbing itself reports.
var (
	ErrTooLarge     = errors.New("web: request body too large")
	ErrMalformed    = errors.New("web: malformed JSON")
	ErrUnauthorized = errors.New("web: not authenticated")
	ErrForbidden    = errors.New("web: not allowed")
)

// JSON encodes v with a status.
func JSON(status int, v any, headers map[string]string) Response {
	b, err := json.Marshal(v)
	if err != nil {
		return problem(Problem{Type: problemBase + "internal", Title: "Internal error", Status: http.StatusInternalServerError})
	}
	h := map[string]string{"Content-Type": "application/json"}
	for k, v := range headers {
		h[k] = v
	}
	return Response{StatusCode: status, Headers: h, Body: string(b)}
}

func problem(p Problem) Response {
	b, _ := json.Marshal(p)
	return Response{StatusCode: p.Status, Headers: map[string]string{"Content-Type": "application/problem+json"}, Body: string(b)}
}

// Error turns an error into the problem the client sees. Domain errors map here and only here;
// anything unexpected is a 500 that says nothing about the internals (the log has the detail).
func Error(ctx context.Context, log *slog.Logger, err error) Response {
	var ve validation.Errors
	var short *inventory.InsufficientStockError
	var unknown *command.UnknownItemsError
	var limit *order.LimitError
	switch {
	case errors.Is(err, customer.ErrBadCredentials):
		return problem(Problem{Type: problemBase + "bad-credentials", Title: "Unauthorized", Status: http.StatusUnauthorized, Detail: "Incorrect email or password."})
	case errors.Is(err, customer.ErrEmailTaken):
		return problem(Problem{Type: problemBase + "email-taken", Title: "Conflict", Status: http.StatusConflict, Detail: "An account with this email already exists."})
	case errors.Is(err, customer.ErrBadCode):
		return problem(Problem{Type: problemBase + "bad-code", Title: "Invalid code", Status: http.StatusBadRequest, Detail: "The confirmation code is wrong or has expired."})
	case errors.Is(err, customer.ErrTooManyAttempts), errors.Is(err, customer.ErrUnavailable):
		if errors.Is(err, customer.ErrUnavailable) {
			// The same answer as a throttle (a 5xx from an anonymous request would be an oracle and roll
			// back a canary), but an operator must hear of it: configuration does not heal by waiting.
			log.ErrorContext(ctx, "identity provider refused the call", "error", err)
		}
		r := problem(Problem{Type: problemBase + "too-many-attempts", Title: "Too many attempts", Status: http.StatusTooManyRequests,
			Detail: "Too many attempts; try again later."})
		r.Headers["Retry-After"] = "30"
		return r
	case errors.As(err, &unknown):
		return problem(Problem{Type: problemBase + "unknown-items", Title: "Unknown items", Status: http.StatusUnprocessableEntity,
			Detail: "Some lines name SKUs that are not in the catalog.", Errors: unknown.Problems})
	case errors.Is(err, command.ErrKeyMismatch), errors.Is(err, order.ErrReturnKeyReused):
		return problem(Problem{Type: problemBase + "idempotency-key-reused", Title: "Idempotency key reused", Status: http.StatusUnprocessableEntity,
			Detail: "This Idempotency-Key was already used with a different request body."})
	case errors.As(err, &limit):
		// 409, not 429: the limit is on what the customer holds, not on how fast they ask (orders left
		// waiting for payment meet it however slowly they were placed), and the same request succeeds once
		// an open order ends; a 429 invites clients to retry on a timer. An order that alone exceeds the units limit never fits: 422.
		if errors.Is(err, order.ErrOverLimit) {
			return problem(Problem{Type: problemBase + "order-too-large", Title: "Order too large", Status: http.StatusUnprocessableEntity,
				Detail: fmt.Sprintf("An order may hold at most %d units.", limit.Limits.MaxHeldUnits)})
		}
		return problem(Problem{Type: problemBase + "order-limit-reached", Title: "Too many open orders", Status: http.StatusConflict,
			Detail: fmt.Sprintf("A customer may have at most %d open orders holding at most %d units at once; "+
				"place this order once one of yours is confirmed or has ended.", limit.Limits.MaxOpenOrders, limit.Limits.MaxHeldUnits)})
	case errors.Is(err, ErrTooLarge):
		return problem(Problem{Type: problemBase + "too-large", Title: "Request body too large", Status: http.StatusRequestEntityTooLarge,
			Detail: fmt.Sprintf("The body must be at most %d bytes.", MaxBody)})
	case errors.As(err, &ve):
		return problem(Problem{Type: problemBase + "validation", Title: "Invalid request", Status: http.StatusBadRequest,
			Detail: "One or more fields are invalid.", Errors: ve})
	case errors.Is(err, payment.ErrInvalidEvent):
		// One answer for every way a webhook can fail its check: which one failed helps a forger only.
		return problem(Problem{Type: problemBase + "invalid-event", Title: "Invalid event", Status: http.StatusBadRequest,
			Detail: "The request is not an event signed by the payment provider."})
	case errors.Is(err, ErrMalformed):
		return problem(Problem{Type: problemBase + "malformed", Title: "Malformed request", Status: http.StatusBadRequest, Detail: err.Error()})
	case errors.Is(err, ErrUnauthorized):
		return problem(Problem{Type: problemBase + "unauthorized", Title: "Unauthorized", Status: http.StatusUnauthorized})
	case errors.Is(err, ErrForbidden):
		return problem(Problem{Type: problemBase + "forbidden", Title: "Forbidden", Status: http.StatusForbidden, Detail: "This operation needs the admin role."})
	case errors.Is(err, order.ErrShipped):
		return problem(Problem{Type: problemBase + "order-shipped", Title: "Order shipped", Status: http.StatusConflict,
			Detail: "The order has shipped and can no longer be cancelled; once it is delivered, request a return (POST /orders/{orderId}/returns)."})
	case errors.Is(err, order.ErrReturnWindowClosed):
		return problem(Problem{Type: problemBase + "return-window-closed", Title: "Return window closed", Status: http.StatusConflict,
			Detail: "The order was delivered too long ago to be returned."})
	case errors.Is(err, command.ErrNotFulfiller):
		return problem(Problem{Type: problemBase + "forbidden", Title: "Forbidden", Status: http.StatusForbidden, Detail: "This operation needs the admin role."})
	case errors.Is(err, inventory.ErrNotFound), errors.Is(err, order.ErrNotFound), errors.Is(err, order.ErrReturnNotFound):
		return problem(Problem{Type: problemBase + "not-found", Title: "Not found", Status: http.StatusNotFound})
	case errors.Is(err, order.ErrTerminal), errors.Is(err, inventory.ErrExists):
		return problem(Problem{Type: problemBase + "conflict", Title: "Conflict", Status: http.StatusConflict, Detail: conflictDetail(err)})
	case errors.Is(err, order.ErrInvalidTransition), errors.Is(err, order.ErrCancellationRequested):
		return problem(Problem{Type: problemBase + "invalid-transition", Title: "Not allowed in the order's status", Status: http.StatusConflict,
			Detail: transitionDetail(err)})
	case isBusy(err):
		return problem(Problem{Type: problemBase + "busy", Title: "Concurrent update", Status: http.StatusConflict,
			Detail: "The resource is being changed by other requests; retry the request."})
	case errors.As(err, &short):
		return problem(Problem{Type: problemBase + "insufficient-stock", Title: "Insufficient stock", Status: http.StatusConflict,
			Detail: fmt.Sprintf("Only %d of %s available.", short.Available, short.SKU)})
	}
	log.ErrorContext(ctx, "request failed", "error", err)
	return problem(Problem{Type: problemBase + "internal", Title: "Internal error", Status: http.StatusInternalServerError,
		Detail: "The request could not be completed; it is safe to retry."})
}

// busy is implemented by storage errors that mean "changed by concurrent requests; retry" (the
// DynamoDB repositories' ErrConflict). An interface rather than the sentinel keeps the storage packages
// out of every function that links web, such as the account endpoints.
type busy interface{ Busy() bool }

func isBusy(err error) bool {
	var b busy
	return errors.As(err, &b) && b.Busy()
}

// transitionDetail says which move the order's status refused, without the internals (ids of payments,
// compensation bookkeeping) the wrapped errors carry for the logs.
func transitionDetail(err error) string {
	var te *order.TransitionError
	switch {
	case errors.As(err, &te):
		return fmt.Sprintf("An order in status %s cannot do this (%s).", te.From, te.Action)
	case errors.Is(err, order.ErrCancellationRequested):
		return "A cancellation of the order is pending."
	}
	return "The order's status does not allow this."
}

func conflictDetail(err error) string {
	if errors.Is(err, order.ErrTerminal) {
		return "The order is final and can no longer change."
	}
	return "The resource already exists."
}

// Decode reads a JSON object body strictly: at most MaxBody bytes, no unknown fields (so a client can
// never set what the server owns, such as a price or a status), no trailing data, no key twice in one
// object and no key that matches a field only case-insensitively (checkKeys).
func Decode(req Request, into any) error {
	text := req.Body
	if req.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(req.Body)
		if err != nil {
			return fmt.Errorf("%w: body is not valid base64", ErrMalformed)
		}
		text = string(b)
	}
	body := []byte(text)
	if len(body) > MaxBody {
		return ErrTooLarge
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return fmt.Errorf("%w: the body is empty", ErrMalformed)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w: unexpected data after the JSON object", ErrMalformed)
	}
	return checkKeys(text, reflect.TypeOf(into))
}

// decodeError turns encoding/json's errors into field-level problems where it can.
func decodeError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return validation.New(te.Field, "must be %s", kind(te.Type.Kind().String()))
	}
	if msg := err.Error(); strings.HasPrefix(msg, "json: unknown field ") {
		return validation.New(strings.Trim(strings.TrimPrefix(msg, "json: unknown field "), `"`), "is not a field of this request")
	}
	return fmt.Errorf("%w: %v", ErrMalformed, err)
}

func kind(k string) string {
	switch {
	case strings.HasPrefix(k, "int"), strings.HasPrefix(k, "uint"):
		return "an integer"
	case k == "string":
		return "a string"
	case k == "bool":
		return "true or false"
	case k == "slice":
		return "an array"
	case k == "struct", k == "map":
		return "an object"
	}
	return "of another type"
}

// Caller is who is calling, from the claims API Gateway's JWT authorizer verified.
type Caller struct {
	ID    customer.ID
	Admin bool
}

// CallerOf reads the caller. Only access tokens are accepted: an id token has the same signature and
// issuer but is meant for the client, not for APIs.
func CallerOf(req Request) (Caller, error) {
	a := req.RequestContext.Authorizer
	if a == nil || a.JWT == nil {
		return Caller{}, ErrUnauthorized
	}
	claims := a.JWT.Claims
	if claims["token_use"] != "access" {
		return Caller{}, fmt.Errorf("%w: not an access token", ErrUnauthorized)
	}
	id, err := customer.ParseID(claims["sub"])
	if err != nil {
		return Caller{}, fmt.Errorf("%w: no subject", ErrUnauthorized)
	}
	return Caller{ID: id, Admin: inGroup(claims["cognito:groups"], "admin")}, nil
}

// inGroup reads cognito:groups exactly as API Gateway's JWT authorizer passes an array claim: "[admin other]",
// one bracket pair around names separated by single spaces (Cognito group names hold no space, but may hold
// brackets and commas). Anything else, such as "admin", "[[admin]]", "[ admin ]" or "[admin,x]", is no
// group at all: a loose reading would let a group named "[admin" or "admin]" make an admin.
func inGroup(groups, want string) bool {
	if len(groups) < 2 || groups[0] != '[' || groups[len(groups)-1] != ']' {
		return false
	}
	inner := groups[1 : len(groups)-1]
	found := false
	for inner != "" {
		g, rest, more := strings.Cut(inner, " ")
		if g == "" || more && rest == "" {
			return false // "[ admin]", "[admin  x]", "[admin ]": not what API Gateway writes
		}
		found = found || g == want
		inner = rest
	}
	return found
}

// RequireAdmin returns the caller if it is an admin.
func RequireAdmin(req Request) (Caller, error) {
	c, err := CallerOf(req)
	if err != nil {
		return c, err
	}
	if !c.Admin {
		return c, ErrForbidden
	}
	return c, nil
}

// CorrelationID is the server's correlation id of the request: the API request id, which API Gateway
// makes unique. It travels in every event, saga input, log line and trace annotation of what the
// request starts. A client's X-Correlation-Id never replaces it: a client could otherwise choose
// another order's correlation id and splice its requests into that order's story (logs, traces,
// timeline). The client's own id is kept apart (ClientCorrelationID) and logged beside it.
func CorrelationID(req Request) string { return req.RequestContext.RequestID }

// ClientCorrelationID is the client's X-Correlation-Id when it is sane (at most 128 printable
// characters without spaces), else "". It is the client's reference, logged as clientCorrelationId
// on the request's log line and echoed in the answer's X-Client-Correlation-Id; it is never the
// server's correlation id.
func ClientCorrelationID(req Request) string {
	c := req.Headers["x-correlation-id"]
	if c == "" || len(c) > 128 {
		return ""
	}
	for _, r := range c {
		if r <= ' ' || r == 0x7f || r > '~' {
			return ""
		}
	}
	return c
}

// ClientIP is the address the request came from: requestContext.http.sourceIp, which API Gateway sets
// from the TCP connection it accepted, so a client cannot choose it. X-Forwarded-For is never read: a
// client writes it as it likes, and API Gateway passes on what it was sent. Behind a CloudFront front
// sourceIp is a CloudFront address, and the viewer's is in X-Forwarded-For only once the API accepts
// nothing but CloudFront (docs/security.md, A CloudFront and WAF front).
func ClientIP(req Request) string { return req.RequestContext.HTTP.SourceIP }
