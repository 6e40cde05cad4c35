package e2e

import (
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/golang-jwt/jwt/v5"

	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
	"github.com/orion-oss/orion/internal/platform/awscfg"
)

// emulatorKey is the pool's signing key. moto signs every pool's tokens with one RSA key shipped in its
// package (cognitoidp/resources/jwks-private.json, kid "dummy"); holding it, a test can make tokens that
// are validly signed and wrong in exactly one claim, which is what a gateway must still refuse.
func emulatorKey(t *testing.T) (*rsa.PrivateKey, string) {
	t.Helper()
	emulatorOnly(t, "forges tokens with moto's signing key; AWS's is not ours")
	out, err := exec.Command("python3", "-c", "import moto,os;print(os.path.dirname(moto.__file__))").Output()
	if err != nil {
		t.Skipf("moto's signing key: python3 cannot import moto: %v", err)
	}
	f, err := os.Open(filepath.Join(strings.TrimSpace(string(out)), "cognitoidp", "resources", "jwks-private.json.gz"))
	if err != nil {
		t.Skipf("moto's signing key: %v (a LocalStack endpoint signs with its own key)", err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(z)
	if err != nil {
		t.Fatal(err)
	}
	var jwk struct{ Kid, N, E, D string }
	if err := json.Unmarshal(raw, &jwk); err != nil {
		t.Fatal(err)
	}
	num := func(s string) *big.Int {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return new(big.Int).SetBytes(b)
	}
	return &rsa.PrivateKey{PublicKey: rsa.PublicKey{N: num(jwk.N), E: int(num(jwk.E).Int64())}, D: num(jwk.D)}, jwk.Kid
}

// claimsOf reads a token's claims without verifying it.
func claimsOf(t *testing.T, token string) jwt.MapClaims {
	t.Helper()
	var c jwt.MapClaims
	if _, _, err := jwt.NewParser().ParseUnverified(token, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// signed signs claims with method and key under kid.
func signed(t *testing.T, m jwt.SigningMethod, key any, kid string, c jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, c)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// foreignPoolToken is a genuine access token of another user pool of the same emulator: signed with the
// very same key (moto has one for all pools), so only the issuer and client tell it apart.
func foreignPoolToken(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	cfg, err := awscfg.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := cip.NewFromConfig(cfg)
	pool, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String(awstest.Name(t, "foreign")),
		UsernameAttributes: []ciptypes.UsernameAttributeType{ciptypes.UsernameAttributeTypeEmail}})
	if err != nil {
		t.Fatal(err)
	}
	client, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: pool.UserPool.Id, ClientName: aws.String("foreign"),
		ExplicitAuthFlows: []ciptypes.ExplicitAuthFlowsType{ciptypes.ExplicitAuthFlowsTypeAllowUserPasswordAuth}})
	if err != nil {
		t.Fatal(err)
	}
	email, pass := strings.ToLower(awstest.Name(t, "mallory"))+"@example.com", "Str0ng!Passw0rd-e2e"
	if _, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: pool.UserPool.Id, Username: &email, MessageAction: ciptypes.MessageActionTypeSuppress}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: pool.UserPool.Id, Username: &email, Password: &pass, Permanent: true}); err != nil {
		t.Fatal(err)
	}
	out, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: client.UserPoolClient.ClientId, AuthFlow: ciptypes.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": email, "PASSWORD": pass}})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.AuthenticationResult.AccessToken)
}

// Every kind of bad token is refused with 401 by the HTTP API (on a customer route and an admin route)
// and by the WebSocket $connect, and none of them reaches data or stores a connection. The first row, the
// genuine token re-signed by the test, proves that the re-signing itself yields an accepted token, so
// each other row fails on its one defect.
func TestTokensAreRefused(t *testing.T) {
	// Parallel: making its admin waits for a new TOTP step (Cognito takes a code once), which the
	// other parallel tests can use.
	t.Parallel()
	key, kid := emulatorKey(t)
	email := strings.ToLower(awstest.Name(t, "victim")) + "@example.com"
	good, err := user(context.Background(), email, true) // an admin: a forgery must not pass the admin route either
	if err != nil {
		t.Fatal(err)
	}
	idToken, _ := login(t, email, testPassword)["idToken"].(string) // an admin: through the MFA challenge
	if idToken == "" {
		t.Fatal("login: no id token")
	}
	genuine := claimsOf(t, good)
	with := func(mut func(c jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{}
		for k, v := range genuine {
			c[k] = v
		}
		mut(c)
		return c
	}
	same := func(jwt.MapClaims) {}
	stranger, _ := rsa.GenerateKey(rand.Reader, 2048)
	pub, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})
	parts := strings.Split(good, ".")
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT","kid":"`+kid+`"}`)) + "." + parts[1] + "."
	tampered := claimsOf(t, good)
	tampered["sub"] = subject(t, customerToken(t))
	tamperedPayload, _ := json.Marshal(tampered)

	tests := []struct {
		name, token string
		ok          bool
	}{
		{"genuine, re-signed with the pool's key", signed(t, jwt.SigningMethodRS256, key, kid, with(same)), true},
		{"missing", "", false},
		{"malformed", "not-a-token", false},
		{"three garbage parts", "abc.def.ghi", false},
		{"expired", signed(t, jwt.SigningMethodRS256, key, kid, with(func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Minute).Unix() })), false},
		{"no expiry", signed(t, jwt.SigningMethodRS256, key, kid, with(func(c jwt.MapClaims) { delete(c, "exp") })), false},
		{"not yet valid", signed(t, jwt.SigningMethodRS256, key, kid, with(func(c jwt.MapClaims) { c["nbf"] = time.Now().Add(time.Hour).Unix() })), false},
		{"issued in the future", signed(t, jwt.SigningMethodRS256, key, kid, with(func(c jwt.MapClaims) { c["iat"] = time.Now().Add(time.Hour).Unix() })), false},
		{"wrong issuer", signed(t, jwt.SigningMethodRS256, key, kid, with(func(c jwt.MapClaims) {
			c["iss"] = strings.Replace(c["iss"].(string), sys.pool, "us-east-1_Other", 1)
		})), false},
		{"wrong client", signed(t, jwt.SigningMethodRS256, key, kid, with(func(c jwt.MapClaims) { c["client_id"] = "another-app-client" })), false},
		{"wrong audience", signed(t, jwt.SigningMethodRS256, key, kid, with(func(c jwt.MapClaims) { delete(c, "client_id"); c["aud"] = "another-app-client" })), false},
		{"id token", idToken, false},
		{"access claims marked id", signed(t, jwt.SigningMethodRS256, key, kid, with(func(c jwt.MapClaims) { c["token_use"] = "id" })), false},
		{"alg none", none, false},
		{"HS256 with the public key as secret", signed(t, jwt.SigningMethodHS256, pubPEM, kid, with(same)), false},
		{"HS256 with the modulus as secret", signed(t, jwt.SigningMethodHS256, key.N.Bytes(), kid, with(same)), false},
		{"unknown kid", signed(t, jwt.SigningMethodRS256, key, "rotated-away", with(same)), false},
		{"no kid", signed(t, jwt.SigningMethodRS256, key, "", with(same)), false},
		{"signed by a stranger", signed(t, jwt.SigningMethodRS256, stranger, kid, with(same)), false},
		{"tampered payload", parts[0] + "." + base64.RawURLEncoding.EncodeToString(tamperedPayload) + "." + parts[2], false},
		{"another pool's token", foreignPoolToken(t), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list := do(t, "GET", "/orders?limit=1", tt.token, "")
			admin := do(t, "GET", "/orders?limit=1&customerId="+subject(t, good), tt.token, "")
			c, wsStatus := dial(t, tt.token)
			if c != nil {
				c.conn.CloseNow()
			}
			if tt.ok {
				if list.status != 200 || admin.status != 200 || wsStatus != http.StatusSwitchingProtocols {
					t.Fatalf("a valid token was refused: list %d, admin %d, websocket %d (%s)", list.status, admin.status, wsStatus, list.body)
				}
				return
			}
			for route, r := range map[string]reply{"GET /orders": list, "GET /orders?customerId=": admin} {
				if r.status != http.StatusUnauthorized || strings.Contains(string(r.body), `"items"`) {
					t.Errorf("%s answered %d %s; want 401", route, r.status, r.body)
				}
			}
			if wsStatus != http.StatusUnauthorized {
				t.Errorf("websocket upgrade answered %d; want 401", wsStatus)
			}
		})
	}
	// Of all these connects only the valid one was stored, and it went away with its client.
	store := connectionsStore(t)
	eventually(t, "no stored connection of the user", func() bool {
		conns, err := store.OfUser(context.Background(), subject(t, good))
		return err == nil && len(conns) == 0
	})
}
