package web_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orion-oss/orion/internal/web"
)

func benchRequest(body string) web.Request {
	r := events.APIGatewayV2HTTPRequest{Body: body, Headers: map[string]string{"content-type": "application/json"}}
	r.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
		JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: map[string]string{"sub": "ann", "token_use": "access", "cognito:groups": "[admin]"}}}
	return r
}

// The shared plumbing of every endpoint, without I/O: the caller from the authorizer's claims, strict
// decoding, and the adapter's answers (JSON, and problem+json for an error).
func BenchmarkPlumbing(b *testing.B) {
	req := benchRequest(`{"name":"Mug","price":{"amount":1250,"currency":"USD"},"available":10}`)
	b.Run("CallerAndDecode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := web.CallerOf(req); err != nil {
				b.Fatal(err)
			}
			var v struct {
				Name  string `json:"name"`
				Price struct {
					Amount   int64  `json:"amount"`
					Currency string `json:"currency"`
				} `json:"price"`
				Available int64 `json:"available"`
			}
			if err := web.Decode(req, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
	log := slog.New(slog.DiscardHandler)
	ok := web.Lambda(log, func(context.Context, web.Request) (web.Response, error) {
		return web.JSON(200, map[string]any{"sku": "MUG-1", "available": 10}, nil), nil
	})
	fail := web.Lambda(log, func(context.Context, web.Request) (web.Response, error) {
		return web.Response{}, errors.New("boom")
	})
	for name, h := range map[string]func(context.Context, web.Request) (web.Response, error){"EncodeJSON": ok, "EncodeProblem": fail} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				h(context.Background(), req)
			}
		})
	}
}
