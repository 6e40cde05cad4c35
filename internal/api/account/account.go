// Package account serves the public account endpoints (register, confirm, log in, refresh) over
// internal/adapter/cognito. It is its own package so that those four functions link neither the DynamoDB
// repositories nor the order and catalog handlers of package api.
package account

import (
	"context"
	"net/http"

	"github.com/orion-oss/orion/internal/adapter/cognito"
	"github.com/orion-oss/orion/internal/customer"
	"github.com/orion-oss/orion/internal/validation"
	"github.com/orion-oss/orion/internal/web"
)

// Handlers serve the public account endpoints.
type Handlers struct{ Service *cognito.Service }

type registerRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Name     string `json:"name"`
}

// Register is POST /auth/register: 201 {userId, email}.
func (h Handlers) Register(ctx context.Context, req web.Request) (web.Response, error) {
	var in registerRequest
	if err := web.Decode(req, &in); err != nil {
		return web.Response{}, err
	}
	var c validation.Collector
	email, err := customer.ParseEmail(in.Email)
	c.Merge("", err)
	c.Merge("", customer.ValidatePassword(in.Password))
	if err := c.Err(); err != nil {
		return web.Response{}, err
	}
	id, err := h.Service.Register(ctx, email, in.Password, in.Name)
	if err != nil {
		return web.Response{}, err
	}
	return web.JSON(http.StatusCreated, map[string]string{"userId": id, "email": email.String()}, nil), nil
}

type confirmRequest struct {
	Email string `json:"email"`
	Code  string `json:"code"`
}

// Confirm is POST /auth/confirm: 204 once the account is confirmed.
func (h Handlers) Confirm(ctx context.Context, req web.Request) (web.Response, error) {
	var in confirmRequest
	if err := web.Decode(req, &in); err != nil {
		return web.Response{}, err
	}
	email, err := customer.ParseEmail(in.Email)
	if err != nil {
		return web.Response{}, err
	}
	if err := h.Service.Confirm(ctx, email, in.Code); err != nil {
		return web.Response{}, err
	}
	return web.Response{StatusCode: http.StatusNoContent}, nil
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// Login is POST /auth/login: 200 with tokens, or 401 with one message whether or not the user exists.
func (h Handlers) Login(ctx context.Context, req web.Request) (web.Response, error) {
	var in loginRequest
	if err := web.Decode(req, &in); err != nil {
		return web.Response{}, err
	}
	email := in.Email
	if e, err := customer.ParseEmail(in.Email); err == nil {
		email = e.String()
	}
	t, err := h.Service.Login(ctx, email, in.Password)
	if err != nil {
		return web.Response{}, err
	}
	return web.JSON(http.StatusOK, t, map[string]string{"Cache-Control": "no-store"}), nil
}

type refreshRequest struct {
	RefreshToken string `json:"refreshToken"`
}

// Refresh is POST /auth/refresh: 200 with new access and id tokens.
func (h Handlers) Refresh(ctx context.Context, req web.Request) (web.Response, error) {
	var in refreshRequest
	if err := web.Decode(req, &in); err != nil {
		return web.Response{}, err
	}
	t, err := h.Service.Refresh(ctx, in.RefreshToken)
	if err != nil {
		return web.Response{}, err
	}
	return web.JSON(http.StatusOK, t, map[string]string{"Cache-Control": "no-store"}), nil
}
