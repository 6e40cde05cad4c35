// Package auth verifies Cognito access tokens where a function must check one itself (the WebSocket
// $connect); the HTTP API's JWT authorizer checks them for every HTTP route. Registration and sign-in
// are package cognito's.
package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"

	"github.com/orion-oss/orion/internal/customer"
)

// Token verification errors callers check with errors.Is. Infrastructure failures (the key set cannot
// be fetched) wrap none of them: the caller should fail and let the client retry, not refuse it.
var (
	// ErrNoToken: no token was presented (401).
	ErrNoToken = errors.New("auth: no token")
	// ErrInvalidToken: the token is malformed, forged, expired or from another issuer (401).
	ErrInvalidToken = errors.New("auth: invalid token")
	// ErrTokenNotAccepted: a genuine token of the pool that is not for this API: another app client's,
	// or an id token instead of an access token (401 all the same: callers must not tell it apart).
	ErrTokenNotAccepted = errors.New("auth: token not accepted here")
)

// Identity is who a verified access token speaks for.
type Identity struct {
	Customer customer.ID
	Admin    bool
	Expires  time.Time
}

// Verifier checks Cognito access tokens where API Gateway cannot: a WebSocket $connect, whose token
// arrives as a Sec-WebSocket-Protocol value (orion.token.<token>, docs/adr/0016) because browsers cannot
// set an Authorization header on an upgrade request. It checks what the HTTP
// API's JWT authorizer checks: the RS256 signature against the pool's JWKS, the issuer, the expiry,
// client_id (Cognito access tokens carry no aud) and token_use.
type Verifier struct {
	issuer, clientID, jwksURL string
	client                    *http.Client
	now                       func() time.Time

	mu        sync.Mutex
	keys      keyfunc.Keyfunc
	fetchedAt time.Time
}

// keyRefetchInterval bounds how often a token naming an unknown key (a rotation) triggers a refetch, so
// that a flood of forged kids cannot make every connect fetch the key set.
const keyRefetchInterval = 30 * time.Second

// NewVerifier builds a verifier. jwksURL "" means <issuer>/.well-known/jwks.json, Cognito's address.
// Keys are fetched on first use, never at init, and cached for the life of the instance.
func NewVerifier(issuer, clientID, jwksURL string) (*Verifier, error) {
	if issuer == "" || clientID == "" {
		return nil, errors.New("auth: a verifier needs the issuer and the app client id")
	}
	if jwksURL == "" {
		jwksURL = strings.TrimRight(issuer, "/") + "/.well-known/jwks.json"
	}
	return &Verifier{issuer: issuer, clientID: clientID, jwksURL: jwksURL, client: &http.Client{Timeout: 5 * time.Second}, now: time.Now}, nil
}

// JWKSURL is where a pool's signing keys are. On AWS (endpoint "") that is under the issuer. When the
// SDK is pointed at an emulator (AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER or AWS_ENDPOINT_URL, as the
// local runtime sets them; the main reads them through boot), the emulator serves them at
// <endpoint>/<poolId>/.well-known/jwks.json while its tokens still name the real issuer, so the keys
// come from there: the function's code is the same, its environment differs.
func JWKSURL(issuer, endpoint string) string {
	if endpoint == "" {
		return ""
	}
	pool := issuer[strings.LastIndex(issuer, "/")+1:]
	return strings.TrimRight(endpoint, "/") + "/" + pool + "/.well-known/jwks.json"
}

// Verify checks a raw access token and returns its identity.
func (v *Verifier) Verify(ctx context.Context, raw string) (Identity, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return Identity{}, ErrNoToken
	}
	var keysErr error
	parser := jwt.NewParser(jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(v.issuer),
		jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithTimeFunc(v.now))
	var claims jwt.MapClaims
	_, err := parser.ParseWithClaims(raw, &claims, func(t *jwt.Token) (any, error) {
		k, err := v.keyfunc(ctx, false)
		if err != nil {
			keysErr = err
			return nil, err
		}
		key, err := k.Keyfunc(t)
		if err != nil {
			// An unknown kid may be a rotated key: refetch (rate-limited) and try once more.
			if k, err2 := v.keyfunc(ctx, true); err2 == nil {
				return k.Keyfunc(t)
			}
		}
		return key, err
	})
	switch {
	case keysErr != nil:
		return Identity{}, fmt.Errorf("auth: signing keys unavailable: %w", keysErr)
	case err != nil:
		return Identity{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if use, _ := claims["token_use"].(string); use != "access" {
		return Identity{}, fmt.Errorf("%w: token_use is %q, not access", ErrTokenNotAccepted, use)
	}
	if id, _ := claims["client_id"].(string); id != v.clientID {
		return Identity{}, fmt.Errorf("%w: issued to another app client", ErrTokenNotAccepted)
	}
	sub, _ := claims["sub"].(string)
	who, err := customer.ParseID(sub)
	if err != nil {
		return Identity{}, fmt.Errorf("%w: subject: %w", ErrInvalidToken, err)
	}
	exp, _ := claims.GetExpirationTime()
	return Identity{Customer: who, Admin: inGroups(claims["cognito:groups"], "admin"), Expires: exp.Time}, nil
}

// inGroups reads cognito:groups, a JSON array in the token.
func inGroups(v any, want string) bool {
	groups, _ := v.([]any)
	return slices.ContainsFunc(groups, func(g any) bool { s, _ := g.(string); return s == want })
}

// keyfunc returns the cached key set, fetching it on first use or, with refresh, when the cached one is
// older than keyRefetchInterval.
func (v *Verifier) keyfunc(ctx context.Context, refresh bool) (keyfunc.Keyfunc, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.keys != nil && (!refresh || v.now().Sub(v.fetchedAt) < keyRefetchInterval) {
		return v.keys, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.jwksURL, nil)
	if err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	resp, err := v.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("jwks: read: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("jwks: %s answered %d", v.jwksURL, resp.StatusCode)
	}
	k, err := keyfunc.NewJWKSetJSON(json.RawMessage(body))
	if err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	v.keys, v.fetchedAt = k, v.now()
	return k, nil
}
