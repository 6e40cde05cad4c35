package httpapi_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/golang-jwt/jwt/v5"

	"github.com/orion-oss/orion/infra/engine/httpapi"
	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
)

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

const issuer = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TEST"

type signer struct {
	key *rsa.PrivateKey
	kid string
}

func newSigner(t testing.TB, kid string) signer {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return signer{key: k, kid: kid}
}

func (s signer) jwk() map[string]any {
	return map[string]any{"kty": "RSA", "alg": "RS256", "use": "sig", "kid": s.kid,
		"n": base64.RawURLEncoding.EncodeToString(s.key.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(s.key.E)).Bytes())}
}

func (s signer) sign(t testing.TB, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = s.kid
	out, err := tok.SignedString(s.key)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func accessClaims(mod func(jwt.MapClaims)) jwt.MapClaims {
	now := time.Now()
	c := jwt.MapClaims{"sub": "user-1", "iss": issuer, "client_id": "client-1", "token_use": "access",
		"scope": "aws.cognito.signin.user.admin", "exp": now.Add(time.Hour).Unix(), "iat": now.Unix(),
		"cognito:groups": []any{"admin"}}
	if mod != nil {
		mod(c)
	}
	return c
}

func TestJWTAuthorizer(t *testing.T) {
	good := newSigner(t, "k1")
	other := newSigner(t, "k1") // same kid, other key: a forged signature
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"keys": []any{good.jwk()}})
	}))
	defer jwks.Close()
	rec := &recorder{}
	srv := gateway(t, rec, func(c *httpapi.Config) {
		c.Authorizers = map[string]httpapi.JWTAuthorizer{"Cognito": {Issuer: issuer, Audience: []string{"client-1"}, JWKSURL: jwks.URL}}
		for i := range c.Routes {
			c.Routes[i].Authorizer = "Cognito"
		}
		c.Routes = append(c.Routes, httpapi.Route{Method: "GET", Path: "/admin", Function: "admin", Authorizer: "Cognito", Scopes: []string{"orion/admin"}},
			httpapi.Route{Method: "GET", Path: "/public", Function: "public", Authorizer: "NONE"})
	})

	pubDER, _ := x509.MarshalPKIXPublicKey(&good.key.PublicKey)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	hs := jwt.NewWithClaims(jwt.SigningMethodHS256, accessClaims(nil))
	hs.Header["kid"] = "k1"
	hsToken, _ := hs.SignedString(pubPEM)
	none := jwt.NewWithClaims(jwt.SigningMethodNone, accessClaims(nil))
	noneToken, _ := none.SignedString(jwt.UnsafeAllowNoneSignatureType)
	nk := jwt.NewWithClaims(jwt.SigningMethodRS256, accessClaims(nil))
	noKid, _ := nk.SignedString(good.key)
	tampered := good.sign(t, accessClaims(nil))
	parts := strings.Split(tampered, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	parts[1] = base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(payload), "user-1", "user-2", 1)))
	tampered = strings.Join(parts, ".")

	tests := []struct {
		name, header, path string
		status             int
	}{
		{"valid access token", "Bearer " + good.sign(t, accessClaims(nil)), "/orders", 200},
		{"valid without Bearer prefix", good.sign(t, accessClaims(nil)), "/orders", 200},
		{"aud instead of client_id", "Bearer " + good.sign(t, accessClaims(func(c jwt.MapClaims) { delete(c, "client_id"); c["aud"] = "client-1" })), "/orders", 200},
		{"missing", "", "/orders", 401},
		{"malformed", "Bearer abc.def", "/orders", 401},
		{"expired", "Bearer " + good.sign(t, accessClaims(func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Minute).Unix() })), "/orders", 401},
		{"no expiry", "Bearer " + good.sign(t, accessClaims(func(c jwt.MapClaims) { delete(c, "exp") })), "/orders", 401},
		{"not yet valid", "Bearer " + good.sign(t, accessClaims(func(c jwt.MapClaims) { c["nbf"] = time.Now().Add(time.Hour).Unix() })), "/orders", 401},
		{"issued in the future", "Bearer " + good.sign(t, accessClaims(func(c jwt.MapClaims) { c["iat"] = time.Now().Add(time.Hour).Unix() })), "/orders", 401},
		{"wrong issuer", "Bearer " + good.sign(t, accessClaims(func(c jwt.MapClaims) { c["iss"] = "https://evil.example" })), "/orders", 401},
		{"wrong client", "Bearer " + good.sign(t, accessClaims(func(c jwt.MapClaims) { c["client_id"] = "other" })), "/orders", 401},
		{"wrong audience", "Bearer " + good.sign(t, accessClaims(func(c jwt.MapClaims) { delete(c, "client_id"); c["aud"] = "other" })), "/orders", 401},
		{"forged signature", "Bearer " + other.sign(t, accessClaims(nil)), "/orders", 401},
		{"tampered payload", "Bearer " + tampered, "/orders", 401},
		{"unknown kid", "Bearer " + newSigner(t, "k9").sign(t, accessClaims(nil)), "/orders", 401},
		{"alg none", "Bearer " + noneToken, "/orders", 401},
		{"no kid", "Bearer " + noKid, "/orders", 401},
		{"HS256 with the public key", "Bearer " + hsToken, "/orders", 401},
		{"missing scope", "Bearer " + good.sign(t, accessClaims(nil)), "/admin", 403},
		{"granted scope", "Bearer " + good.sign(t, accessClaims(func(c jwt.MapClaims) { c["scope"] = "orion/admin" })), "/admin", 200},
		{"public route", "", "/public", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(rec.calls["list"])
			hdr := map[string]string{}
			if tt.header != "" {
				hdr["Authorization"] = tt.header
			}
			resp, body := do(t, "GET", srv.URL+tt.path, "", hdr)
			if resp.StatusCode != tt.status {
				t.Fatalf("status = %d (%s); want %d", resp.StatusCode, body, tt.status)
			}
			if tt.status == 401 && (body != `{"message":"Unauthorized"}` || len(rec.calls["list"]) != before) {
				t.Fatalf("a refused request reached the function or got %q", body)
			}
		})
	}
	claims := rec.calls["list"][0].RequestContext.Authorizer.JWT.Claims
	if claims["sub"] != "user-1" || claims["cognito:groups"] != "[admin]" || claims["client_id"] != "client-1" {
		t.Fatalf("claims passed to the function = %v", claims)
	}
}

// Real Cognito tokens issued by the local emulator pass the authorizer, as they would on AWS.
func TestJWTAuthorizerWithEmulatorTokens(t *testing.T) {
	ctx := context.Background()
	cfg := awstest.Config(t)
	c := cip.NewFromConfig(cfg)
	pool, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String(awstest.Name(t, "users")), UsernameAttributes: []ciptypes.UsernameAttributeType{"email"}})
	if err != nil {
		t.Fatal(err)
	}
	poolID := aws.ToString(pool.UserPool.Id)
	client, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String(poolID), ClientName: aws.String("web"),
		ExplicitAuthFlows: []ciptypes.ExplicitAuthFlowsType{"ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}})
	if err != nil {
		t.Fatal(err)
	}
	clientID := aws.ToString(client.UserPoolClient.ClientId)
	user := "ann@example.com"
	if _, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID), Username: aws.String(user), MessageAction: "SUPPRESS"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(poolID), Username: aws.String(user), Password: aws.String("Str0ng!Passw0rd"), Permanent: true}); err != nil {
		t.Fatal(err)
	}
	auth, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(clientID), AuthFlow: "USER_PASSWORD_AUTH",
		AuthParameters: map[string]string{"USERNAME": user, "PASSWORD": "Str0ng!Passw0rd"}})
	if err != nil {
		t.Fatal(err)
	}
	endpoint := os.Getenv("AWS_ENDPOINT_URL")
	rec := &recorder{}
	srv := gateway(t, rec, func(cf *httpapi.Config) {
		cf.Authorizers = map[string]httpapi.JWTAuthorizer{"Cognito": {
			Issuer: "https://cognito-idp.us-east-1.amazonaws.com/" + poolID, Audience: []string{clientID},
			JWKSURL: endpoint + "/" + poolID + "/.well-known/jwks.json"}}
		cf.Routes = []httpapi.Route{{Method: "GET", Path: "/orders", Function: "list", Authorizer: "Cognito"}}
	})
	resp, body := do(t, "GET", srv.URL+"/orders", "", map[string]string{"Authorization": "Bearer " + aws.ToString(auth.AuthenticationResult.AccessToken)})
	if resp.StatusCode != 200 {
		t.Fatalf("emulator access token: %d %s", resp.StatusCode, body)
	}
	if rec.last("list").RequestContext.Authorizer.JWT.Claims["sub"] == "" {
		t.Fatal("no sub claim reached the function")
	}
	// A token of another client of the same pool is refused.
	other, _ := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String(poolID), ClientName: aws.String("other"),
		ExplicitAuthFlows: []ciptypes.ExplicitAuthFlowsType{"ALLOW_USER_PASSWORD_AUTH"}})
	auth2, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: other.UserPoolClient.ClientId, AuthFlow: "USER_PASSWORD_AUTH",
		AuthParameters: map[string]string{"USERNAME": user, "PASSWORD": "Str0ng!Passw0rd"}})
	if err != nil {
		t.Fatal(err)
	}
	if resp, _ := do(t, "GET", srv.URL+"/orders", "", map[string]string{"Authorization": "Bearer " + aws.ToString(auth2.AuthenticationResult.AccessToken)}); resp.StatusCode != 401 {
		t.Fatalf("another client's token: %d", resp.StatusCode)
	}
}

func BenchmarkGatewayOverhead(b *testing.B) {
	s := newSigner(b, "k1")
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"keys": []any{s.jwk()}})
	}))
	defer jwks.Close()
	inv := invokerFunc(func(context.Context, string, []byte) ([]byte, error) {
		return []byte(`{"statusCode":200,"body":"{}"}`), nil
	})
	g, err := httpapi.New(httpapi.Config{Authorizers: map[string]httpapi.JWTAuthorizer{"C": {Issuer: issuer, Audience: []string{"client-1"}, JWKSURL: jwks.URL}},
		Routes: []httpapi.Route{{Method: "GET", Path: "/orders/{id}", Function: "f"}, {Method: "GET", Path: "/secure/{id}", Function: "f", Authorizer: "C"}}}, inv)
	if err != nil {
		b.Fatal(err)
	}
	token := "Bearer " + s.sign(b, accessClaims(nil))
	for _, path := range []string{"/orders/1", "/secure/1"} {
		b.Run(strings.Split(path, "/")[1], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest("GET", path, nil)
				req.Header.Set("Authorization", token)
				w := httptest.NewRecorder()
				g.ServeHTTP(w, req)
				if w.Code != 200 {
					b.Fatal(w.Code, w.Body.String())
				}
			}
		})
	}
}

type invokerFunc func(context.Context, string, []byte) ([]byte, error)

func (f invokerFunc) Invoke(ctx context.Context, fn string, p []byte) ([]byte, error) {
	return f(ctx, fn, p)
}
