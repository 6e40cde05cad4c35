package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/orion-oss/orion/infra/engine/httpapi"
)

// The access log is the stage's format filled per request, as API Gateway fills it: the JWT's claims
// ($context.authorizer.claims.sub) on an authorized request, "-" where a variable has no value (a
// public route, a refused token); and a variable the local gateway does not fill is refused up front.
func TestAccessLog(t *testing.T) {
	good := newSigner(t, "k1")
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"keys": []any{good.jwk()}})
	}))
	defer jwks.Close()
	var mu sync.Mutex
	var lines []string
	format := `{"requestId":"$context.requestId","method":"$context.httpMethod","route":"$context.routeKey",` +
		`"status":"$context.status","sub":"$context.authorizer.claims.sub","authorizerError":"$context.authorizer.error"}`
	srv := gateway(t, &recorder{}, func(c *httpapi.Config) {
		c.Authorizers = map[string]httpapi.JWTAuthorizer{"Cognito": {Issuer: issuer, Audience: []string{"client-1"}, JWKSURL: jwks.URL}}
		c.Routes = append(c.Routes, httpapi.Route{Method: "GET", Path: "/private", Function: "private", Authorizer: "Cognito"},
			httpapi.Route{Method: "GET", Path: "/public", Function: "public"})
		c.AccessLog = &httpapi.AccessLog{Format: format, Write: func(l string) { mu.Lock(); lines = append(lines, l); mu.Unlock() }}
	})
	tests := []struct {
		name, path, auth string
		want             map[string]string
	}{
		{"authorized", "/private", "Bearer " + good.sign(t, accessClaims(nil)),
			map[string]string{"method": "GET", "route": "GET /private", "status": "200", "sub": "user-1", "authorizerError": "-"}},
		{"public route", "/public", "",
			map[string]string{"route": "GET /public", "status": "200", "sub": "-", "authorizerError": "-"}},
		{"refused token", "/private", "Bearer not-a-token",
			map[string]string{"status": "401", "sub": "-"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			before := len(lines)
			mu.Unlock()
			resp, _ := do(t, "GET", srv.URL+tt.path, "", map[string]string{"Authorization": tt.auth})
			mu.Lock()
			got := lines[before:]
			mu.Unlock()
			if len(got) != 1 {
				t.Fatalf("%d access log lines; want 1", len(got))
			}
			var m map[string]string
			if err := json.Unmarshal([]byte(got[0]), &m); err != nil {
				t.Fatalf("line is not the JSON format: %v\n%s", err, got[0])
			}
			if m["requestId"] != resp.Header.Get("Apigw-Requestid") || m["requestId"] == "" {
				t.Errorf("requestId %q; the answer's Apigw-Requestid is %q", m["requestId"], resp.Header.Get("Apigw-Requestid"))
			}
			for k, v := range tt.want {
				if m[k] != v {
					t.Errorf("%s = %q; want %q (line %s)", k, m[k], v, got[0])
				}
			}
			if tt.name == "refused token" && m["authorizerError"] == "-" {
				t.Errorf("a refused token left no authorizer error: %s", got[0])
			}
		})
	}
	if _, err := httpapi.New(httpapi.Config{AccessLog: &httpapi.AccessLog{Format: `{"x":"$context.integration.latency"}`}}, &recorder{}); err == nil {
		t.Error("a format with a variable the gateway does not fill was accepted")
	}
}
