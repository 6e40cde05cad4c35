// Package account serves the account endpoints (/auth/*: registration and its codes, passwords, sign-in
// with TOTP for admins, refresh, logout, email change) over the use cases of internal/account, one
// file each. It is apart from package api so that the account functions link neither the DynamoDB
// repositories nor the order and catalog endpoints.
package account

import (
	"net/http"

	"github.com/orion-oss/orion/internal/account"
	"github.com/orion-oss/orion/internal/web"
)

// TokensView is a sign-in's answer (docs/openapi.yaml Tokens).
type TokensView struct {
	Username     string `json:"username,omitempty"` // sent back with the refresh token (RefreshToken)
	AccessToken  string `json:"accessToken"`
	IDToken      string `json:"idToken"`
	RefreshToken string `json:"refreshToken,omitempty"`
	ExpiresIn    int32  `json:"expiresIn"`
	TokenType    string `json:"tokenType"`
}

// tokens answers with t; tokens are never cached.
func tokens(t account.Tokens) web.Response {
	return web.JSON(http.StatusOK, TokensView{Username: t.Username, AccessToken: t.AccessToken, IDToken: t.IDToken, RefreshToken: t.RefreshToken,
		ExpiresIn: t.ExpiresIn, TokenType: t.TokenType}, map[string]string{"Cache-Control": "no-store"})
}
