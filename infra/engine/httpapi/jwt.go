package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
)

// JWTAuthorizer is an HTTP API JWT authorizer.
type JWTAuthorizer struct {
	Issuer         string
	Audience       []string
	IdentitySource string // $request.header.Authorization by default
	// JWKSURL is where the signing keys are; by default <issuer>/.well-known/jwks.json. Locally, moto
	// serves a pool's keys at <endpoint>/<poolId>/.well-known/jwks.json while its tokens name the real
	// Cognito issuer, so the runtime points this at the emulator.
	JWKSURL string
}

var (
	errUnauthorized = errors.New("unauthorized")
	errForbidden    = errors.New("forbidden")
)

type jwtAuth struct {
	name   string
	cfg    JWTAuthorizer
	header string
	client *http.Client

	mu        sync.Mutex
	keys      keyfunc.Keyfunc
	fetchedAt time.Time
}

func newJWTAuth(name string, a JWTAuthorizer) (*jwtAuth, error) {
	if a.Issuer == "" || len(a.Audience) == 0 {
		return nil, fmt.Errorf("httpapi: authorizer %s needs an issuer and an audience", name)
	}
	src := a.IdentitySource
	if src == "" {
		src = "$request.header.Authorization"
	}
	header, ok := strings.CutPrefix(src, "$request.header.")
	if !ok {
		return nil, fmt.Errorf("httpapi: authorizer %s: identity source %q is not a request header", name, src)
	}
	if a.JWKSURL == "" {
		a.JWKSURL = strings.TrimRight(a.Issuer, "/") + "/.well-known/jwks.json"
	}
	return &jwtAuth{name: name, cfg: a, header: header, client: &http.Client{Timeout: 5 * time.Second}}, nil
}

// keyfunc fetches the key set on first use, never at startup, and again when a token names a key it
// does not hold (key rotation), at most every 30 seconds.
func (a *jwtAuth) keyfunc(ctx context.Context, refresh bool) (keyfunc.Keyfunc, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.keys != nil && (!refresh || time.Since(a.fetchedAt) < 30*time.Second) {
		return a.keys, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.cfg.JWKSURL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("jwks: %s answered %d", a.cfg.JWKSURL, resp.StatusCode)
	}
	k, err := keyfunc.NewJWKSetJSON(json.RawMessage(body))
	if err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	a.keys, a.fetchedAt = k, time.Now()
	return k, nil
}

// authorize validates the token as API Gateway does and returns the claims (as strings, the way API
// Gateway passes them) and scopes.
func (a *jwtAuth) authorize(ctx context.Context, r *http.Request, scopes []string) (map[string]string, []string, error) {
	raw := strings.TrimSpace(r.Header.Get(a.header))
	if raw == "" {
		return nil, nil, fmt.Errorf("%w: no token in %s", errUnauthorized, a.header)
	}
	if len(raw) > 7 && strings.EqualFold(raw[:7], "bearer ") {
		raw = strings.TrimSpace(raw[7:])
	}
	parser := jwt.NewParser(jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(a.cfg.Issuer),
		jwt.WithExpirationRequired(), jwt.WithLeeway(0), jwt.WithIssuedAt())
	var claims jwt.MapClaims
	token, err := parser.ParseWithClaims(raw, &claims, func(t *jwt.Token) (any, error) {
		k, err := a.keyfunc(ctx, false)
		if err != nil {
			return nil, err
		}
		key, err := k.Keyfunc(t)
		if err != nil {
			// An unknown kid may be a rotated key: refetch once.
			if k, err2 := a.keyfunc(ctx, true); err2 == nil {
				return k.Keyfunc(t)
			}
		}
		return key, err
	})
	if err != nil || !token.Valid {
		return nil, nil, fmt.Errorf("%w: %v", errUnauthorized, err)
	}
	if !a.audienceOK(claims) {
		return nil, nil, fmt.Errorf("%w: audience", errUnauthorized)
	}
	granted := tokenScopes(claims)
	if len(scopes) > 0 && !anyOf(scopes, granted) {
		return nil, nil, fmt.Errorf("%w: token has none of the scopes %v", errForbidden, scopes)
	}
	out := make(map[string]string, len(claims))
	for k, v := range claims {
		out[k] = claimString(v)
	}
	return out, granted, nil
}

// audienceOK: the aud claim must name a configured audience; tokens without aud (Cognito access
// tokens) are checked on client_id instead.
func (a *jwtAuth) audienceOK(c jwt.MapClaims) bool {
	auds, err := c.GetAudience()
	if err == nil && len(auds) > 0 {
		return anyOf(a.cfg.Audience, auds)
	}
	if id, ok := c["client_id"].(string); ok {
		return anyOf(a.cfg.Audience, []string{id})
	}
	return false
}

func tokenScopes(c jwt.MapClaims) []string {
	for _, k := range []string{"scope", "scp"} {
		switch v := c[k].(type) {
		case string:
			return strings.Fields(v)
		case []any:
			var out []string
			for _, s := range v {
				out = append(out, fmt.Sprint(s))
			}
			return out
		}
	}
	return nil
}

func anyOf(want, have []string) bool {
	for _, w := range want {
		for _, h := range have {
			if w == h {
				return true
			}
		}
	}
	return false
}

// claimString renders a claim as API Gateway does: strings as they are, numbers in decimal, arrays as
// "[a b]" (so cognito:groups arrives as "[admin]").
func claimString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		if x == float64(int64(x)) {
			return fmt.Sprintf("%d", int64(x))
		}
		return fmt.Sprint(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = claimString(e)
		}
		return "[" + strings.Join(parts, " ") + "]"
	case bool:
		return fmt.Sprint(x)
	}
	b, _ := json.Marshal(v)
	return string(b)
}
