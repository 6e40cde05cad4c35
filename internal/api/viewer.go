package api

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"github.com/orion-oss/orion/internal/auth"
	"github.com/orion-oss/orion/internal/web"
)

// TokenVerifier checks an access token (auth.Verifier).
type TokenVerifier interface {
	Verify(ctx context.Context, raw string) (auth.Identity, error)
}

// Viewers tells whether the caller of a public catalog route is an admin, who sees exact stock counts
// where everyone else sees only availability. The catalog routes have no authorizer (the HTTP API's JWT
// authorizer cannot be optional), so a token the request carries is checked here with Tokens. A missing,
// invalid or foreign token, or a failure to fetch the signing keys, makes the caller anonymous: on a
// public route a token can only add to the answer, never refuse it, and a doubt shows less, not more.
// Claims an authorizer verified are used when present (a route behind the authorizer, the tests).
type Viewers struct {
	Tokens TokenVerifier // nil: only authorizer claims count
	Logger *slog.Logger  // nil: failures to check a token are not logged
}

// admin reports whether the request comes from an admin.
func (v Viewers) admin(ctx context.Context, req web.Request) bool {
	if c, err := web.CallerOf(req); err == nil {
		return c.Admin
	}
	if v.Tokens == nil {
		return false
	}
	h := req.Headers["authorization"]
	raw, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		raw, ok = strings.CutPrefix(h, "bearer ")
	}
	if !ok || strings.TrimSpace(raw) == "" {
		return false
	}
	id, err := v.Tokens.Verify(ctx, raw)
	if err != nil {
		if v.Logger != nil && !errors.Is(err, auth.ErrNoToken) && !errors.Is(err, auth.ErrInvalidToken) && !errors.Is(err, auth.ErrTokenNotAccepted) {
			v.Logger.WarnContext(ctx, "catalog: cannot check the token, answering as to the public", "error", err)
		}
		return false
	}
	return id.Admin
}
