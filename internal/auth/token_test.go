package auth_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/orion-oss/orion/internal/auth"
)

const (
	issuer   = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TEST"
	clientID = "client-1"
)

// pool is a user pool's signing side: its key set served over HTTP, and tokens signed like Cognito's.
type pool struct {
	key     *rsa.PrivateKey
	kid     string
	fetches atomic.Int32
	url     string
}

func newPool(t testing.TB) *pool {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &pool{key: key, kid: "kid-1"}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.fetches.Add(1)
		json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
			"kty": "RSA", "alg": "RS256", "use": "sig", "kid": p.kid,
			"n": base64.RawURLEncoding.EncodeToString(key.N.Bytes()),
			"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes()),
		}}})
	}))
	t.Cleanup(srv.Close)
	p.url = srv.URL
	return p
}

func claims(mut func(jwt.MapClaims)) jwt.MapClaims {
	now := time.Now()
	c := jwt.MapClaims{"sub": "user-1", "iss": issuer, "client_id": clientID, "token_use": "access",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "cognito:groups": []string{"ops"}}
	if mut != nil {
		mut(c)
	}
	return c
}

func (p *pool) sign(t testing.TB, c jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, c)
	tok.Header["kid"] = p.kid
	s, err := tok.SignedString(p.key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestVerifier(t *testing.T) {
	p := newPool(t)
	other := newPool(t) // same kid, different key: a forgery
	tests := []struct {
		name    string
		token   func() string
		wantErr error
		admin   bool
	}{
		{"valid customer", func() string { return p.sign(t, claims(nil)) }, nil, false},
		{"valid admin", func() string {
			return p.sign(t, claims(func(c jwt.MapClaims) { c["cognito:groups"] = []string{"ops", "admin"} }))
		}, nil, true},
		{"group prefix is not admin", func() string {
			return p.sign(t, claims(func(c jwt.MapClaims) { c["cognito:groups"] = []string{"administrators"} }))
		}, nil, false},
		{"no token", func() string { return "  " }, auth.ErrNoToken, false},
		{"garbage", func() string { return "not.a.jwt" }, auth.ErrInvalidToken, false},
		{"expired", func() string {
			return p.sign(t, claims(func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Second).Unix() }))
		}, auth.ErrInvalidToken, false},
		{"no expiry", func() string { return p.sign(t, claims(func(c jwt.MapClaims) { delete(c, "exp") })) }, auth.ErrInvalidToken, false},
		{"not yet valid", func() string {
			return p.sign(t, claims(func(c jwt.MapClaims) { c["nbf"] = time.Now().Add(time.Hour).Unix() }))
		}, auth.ErrInvalidToken, false},
		{"issued in the future", func() string {
			return p.sign(t, claims(func(c jwt.MapClaims) { c["iat"] = time.Now().Add(time.Hour).Unix() }))
		}, auth.ErrInvalidToken, false},
		{"alg none", func() string {
			tok := jwt.NewWithClaims(jwt.SigningMethodNone, claims(nil))
			tok.Header["kid"] = p.kid
			s, _ := tok.SignedString(jwt.UnsafeAllowNoneSignatureType)
			return s
		}, auth.ErrInvalidToken, false},
		{"other issuer", func() string {
			return p.sign(t, claims(func(c jwt.MapClaims) { c["iss"] = "https://cognito-idp.us-east-1.amazonaws.com/other" }))
		}, auth.ErrInvalidToken, false},
		{"forged signature", func() string { return other.sign(t, claims(nil)) }, auth.ErrInvalidToken, false},
		{"tampered payload", func() string {
			good := p.sign(t, claims(nil))
			forged := p.sign(t, claims(func(c jwt.MapClaims) { c["sub"] = "someone-else" }))
			return headerOf(good) + "." + payloadOf(forged) + "." + signatureOf(good)
		}, auth.ErrInvalidToken, false},
		{"HS256 with the public key", func() string {
			tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims(nil))
			tok.Header["kid"] = p.kid
			s, _ := tok.SignedString(p.key.N.Bytes())
			return s
		}, auth.ErrInvalidToken, false},
		{"unknown kid", func() string {
			tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims(nil))
			tok.Header["kid"] = "rotated-away"
			s, _ := tok.SignedString(p.key)
			return s
		}, auth.ErrInvalidToken, false},
		{"id token", func() string { return p.sign(t, claims(func(c jwt.MapClaims) { c["token_use"] = "id" })) }, auth.ErrTokenNotAccepted, false},
		{"other app client", func() string { return p.sign(t, claims(func(c jwt.MapClaims) { c["client_id"] = "client-2" })) }, auth.ErrTokenNotAccepted, false},
		{"audience instead of client", func() string {
			return p.sign(t, claims(func(c jwt.MapClaims) { delete(c, "client_id"); c["aud"] = clientID }))
		}, auth.ErrTokenNotAccepted, false},
		{"no subject", func() string { return p.sign(t, claims(func(c jwt.MapClaims) { delete(c, "sub") })) }, auth.ErrInvalidToken, false},
	}
	v, err := auth.NewVerifier(issuer, clientID, p.url)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := v.Verify(context.Background(), tt.token())
			if !errors.Is(err, tt.wantErr) || (tt.wantErr != nil) != (err != nil) {
				t.Fatalf("err = %v; want %v", err, tt.wantErr)
			}
			if err == nil && (id.Customer != "user-1" || id.Admin != tt.admin || id.Expires.IsZero()) {
				t.Fatalf("identity = %+v", id)
			}
		})
	}
	// The key set was fetched lazily and cached: once, plus at most one refetch for the unknown kid.
	if n := p.fetches.Load(); n < 1 || n > 2 {
		t.Fatalf("key set fetched %d times", n)
	}
}

func TestVerifierKeysUnavailable(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) }))
	defer srv.Close()
	p := newPool(t)
	v, _ := auth.NewVerifier(issuer, clientID, srv.URL)
	_, err := v.Verify(context.Background(), p.sign(t, claims(nil)))
	// An outage is not the client's fault: it must not look like a bad token.
	if err == nil || errors.Is(err, auth.ErrInvalidToken) || errors.Is(err, auth.ErrNoToken) || errors.Is(err, auth.ErrTokenNotAccepted) {
		t.Fatalf("err = %v", err)
	}
	if _, err := auth.NewVerifier("", clientID, ""); err == nil {
		t.Fatal("a verifier without an issuer was built")
	}
}

func TestJWKSURL(t *testing.T) {
	for _, c := range []struct{ endpoint, want string }{
		{"", ""}, // on AWS: under the issuer
		{"http://127.0.0.1:4567/", "http://127.0.0.1:4567/us-east-1_TEST/.well-known/jwks.json"},
		{"http://127.0.0.1:4567", "http://127.0.0.1:4567/us-east-1_TEST/.well-known/jwks.json"},
	} {
		if got := auth.JWKSURL(issuer, c.endpoint); got != c.want {
			t.Errorf("JWKSURL(%q) = %q; want %q", c.endpoint, got, c.want)
		}
	}
}

func part(tok string, i int) string { return strings.Split(tok, ".")[i] }

func headerOf(tok string) string    { return part(tok, 0) }
func payloadOf(tok string) string   { return part(tok, 1) }
func signatureOf(tok string) string { return part(tok, 2) }

// No string that a client can send verifies unless it is a token the pool signed: random input, a
// mangled genuine token or a re-encoded one answers one of the refusal errors, never an identity.
func FuzzVerify(f *testing.F) {
	p := newPool(f)
	good := p.sign(f, claims(nil))
	f.Add(good)
	f.Add(headerOf(good) + "." + payloadOf(good) + ".")
	f.Add("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")
	f.Add("")
	v, err := auth.NewVerifier(issuer, clientID, p.url)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		id, err := v.Verify(context.Background(), raw)
		if err == nil {
			// Only the pool's own token (or a non-canonical base64 spelling of its very bytes) verifies.
			parts := strings.Split(strings.TrimSpace(raw), ".")
			got, _ := base64.RawURLEncoding.DecodeString(parts[min(1, len(parts)-1)])
			want, _ := base64.RawURLEncoding.DecodeString(payloadOf(good))
			if len(parts) != 3 || string(got) != string(want) || id.Customer != "user-1" {
				t.Fatalf("a token the pool did not sign verified: %q -> %+v", raw, id)
			}
			return
		}
		if !errors.Is(err, auth.ErrNoToken) && !errors.Is(err, auth.ErrInvalidToken) && !errors.Is(err, auth.ErrTokenNotAccepted) {
			t.Fatalf("a client's token made an infrastructure error: %v", err)
		}
	})
}
