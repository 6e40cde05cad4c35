// Package e2e drives Orion over HTTP and WebSocket as a client would: through the local runtime started
// from template.yaml (the default), with the real function binaries, Cognito tokens and DynamoDB in the
// emulator; or, when ORION_STACK_OUTPUTS names a stack's outputs file, against that stack as it runs
// elsewhere (a `make dev` system or a stack deployed to AWS; external_test.go).
package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
	"github.com/orion-oss/orion/infra/engine/stack"
	"github.com/orion-oss/orion/infra/orion/totp"
	"github.com/orion-oss/orion/internal/adapter/cognito"
	accountapi "github.com/orion-oss/orion/internal/api/account"
	"github.com/orion-oss/orion/internal/platform/awscfg"
)

// sys is the running system the tests talk to.
var sys struct {
	api      string
	ws       string // the WebSocket API's URL
	pool     string
	client   string
	stack    *stack.Stack // nil in external mode
	adminTok string
	out      map[string]string // the stack's outputs
	edge     string            // in-process: the runtime's AWS endpoint (Lambda Invoke, Step Functions, PutEvents)
	external bool              // the stack runs elsewhere (ORION_STACK_OUTPUTS)
	emulated bool              // its AWS is an emulator (in-process or make dev), not AWS
}

// runParameters are the parameters the in-process stack runs with (and its IAM is checked with).
var runParameters = map[string]string{"Stage": "local", "AutoConfirmUsers": "true", "CreateEmailIdentity": "true"}

func TestMain(m *testing.M) {
	if path := os.Getenv("ORION_STACK_OUTPUTS"); path != "" {
		os.Exit(external(m, path)) // no emulator of the package's own: the stack has its AWS
	}
	os.Exit(awstest.MainIsolated(wrap{m}))
}

// wrap starts the system once for the package, after awstest has chosen the AWS endpoint.
type wrap struct{ m *testing.M }

func (w wrap) Run() int {
	bin, err := os.MkdirTemp("", "orion-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(bin)
	// make test has just built every function for this host (make build-host) and says where: linking
	// some forty binaries again would cost its in-process pass about a minute.
	if built := os.Getenv("ORION_E2E_FUNCTIONS"); built != "" {
		if _, err := os.Stat(built); err != nil {
			fmt.Fprintln(os.Stderr, "e2e: ORION_E2E_FUNCTIONS:", err)
			return 1
		}
		bin = built
	} else if err := buildFunctions(bin); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: build functions:", err)
		return 1
	}
	out := io.Writer(&runLog) // every function's output, checked for secrets (security_logs_test.go)
	if os.Getenv("ORION_E2E_VERBOSE") != "" {
		out = io.MultiWriter(os.Stderr, &runLog)
	}
	daemon, err := xray.listen() // functions trace as under active tracing (trace_test.go)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: X-Ray daemon listener:", err)
		return 1
	}
	defer xray.close()
	st, err := stack.Start(context.Background(), stack.Config{Template: "../template.yaml", Endpoint: os.Getenv("AWS_ENDPOINT_URL"),
		BinDir: bin, Parameters: runParameters, Output: out, RetryBase: 50 * time.Millisecond,
		OnEvent: bus.record, OnInvoke: xray.invoked, XRayDaemon: daemon})
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: start the local runtime:", err)
		return 1
	}
	defer st.Close(context.Background())
	sys.stack, sys.api, sys.ws, sys.edge, sys.emulated = st, st.HTTPURL, st.WSURL, st.EdgeURL, true
	sys.out = map[string]string{}
	for k, v := range st.Outputs {
		sys.out[k] = fmt.Sprint(v)
	}
	sys.pool, sys.client = sys.out["UserPoolId"], sys.out["UserPoolClientId"]
	tok, err := user(context.Background(), "admin-"+fmt.Sprint(time.Now().UnixNano())+"@example.com", true)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: admin user:", err)
		return 1
	}
	sys.adminTok = tok
	return runSuite(w.m)
}

// buildFunctions builds every function for this host, as `make build-host` does, so that `go test
// ./...` needs no other step.
func buildFunctions(dir string) error {
	mains, err := filepath.Glob("../functions/*/main.go")
	if err != nil {
		return err
	}
	for _, m := range mains {
		name := filepath.Base(filepath.Dir(m))
		cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", filepath.Join(dir, name, "bootstrap"), "./"+filepath.Dir(m))
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%s: %v\n%s", name, err, out)
		}
	}
	return nil
}

// testPassword is every user's password made through the admin APIs.
const testPassword = "Str0ng!Passw0rd-e2e"

// user creates a confirmed user with a verified address (optionally an admin) with Cognito's admin
// APIs, as the stack's deployer may, and returns an access token. An admin enrols a TOTP authenticator
// before joining the group, as every admin must (docs/openapi.yaml /auth/login), and signs in through
// the MFA challenge. In external mode the run deletes the user at the end.
func user(ctx context.Context, email string, admin bool) (string, error) {
	cfg, err := awscfg.Load(ctx)
	if err != nil {
		return "", err
	}
	c := cip.NewFromConfig(cfg)
	pass := testPassword
	if sys.external {
		madeUser(email) // registered before the call: a half-made user is deleted too
	}
	if _, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: &sys.pool, Username: &email, MessageAction: ciptypes.MessageActionTypeSuppress,
		UserAttributes: []ciptypes.AttributeType{{Name: aws.String("email"), Value: &email}, {Name: aws.String("email_verified"), Value: aws.String("true")}}}); err != nil {
		return "", err
	}
	if _, err := c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: &sys.pool, Username: &email, Password: &pass, Permanent: true}); err != nil {
		return "", err
	}
	out, err := passwordSignIn(ctx, c, email, pass)
	tok, err := accessTokenOf(out, err)
	if err != nil || !admin {
		return tok, err
	}
	if _, err := enrolTOTP(ctx, c, email, tok); err != nil {
		return "", err
	}
	if _, err := c.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{UserPoolId: &sys.pool, Username: &email, GroupName: aws.String("admin")}); err != nil {
		return "", err
	}
	return adminSignIn(ctx, c, email, pass)
}

// signInSecret is the sign-in client's secret, read once with DescribeUserPoolClient as the stack's
// deployer may: the client has one (template.yaml UserPoolClient), so that nobody signs in at Cognito
// around Orion's login, and every direct InitiateAuth or RespondToAuthChallenge of the run must carry
// its SECRET_HASH.
var signInSecret = sync.OnceValues(func() (string, error) {
	ctx := context.Background()
	cfg, err := awscfg.Load(ctx)
	if err != nil {
		return "", err
	}
	return cognito.ClientSecret(ctx, cip.NewFromConfig(cfg), sys.pool, sys.client)
})

// signInHash is the SECRET_HASH of a call of the sign-in client about username.
func signInHash(username string) (string, error) {
	secret, err := signInSecret()
	if err != nil {
		return "", err
	}
	return cognito.SecretHash(secret, username, sys.client), nil
}

// passwordSignIn signs in at Cognito with the sign-in client, as Orion's login does.
func passwordSignIn(ctx context.Context, c *cip.Client, email, pass string) (*cip.InitiateAuthOutput, error) {
	h, err := signInHash(email)
	if err != nil {
		return nil, err
	}
	return c.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: &sys.client, AuthFlow: ciptypes.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": email, "PASSWORD": pass, "SECRET_HASH": h}})
}

func accessTokenOf(out *cip.InitiateAuthOutput, err error) (string, error) {
	if err != nil {
		return "", err
	}
	if out.AuthenticationResult == nil {
		return "", fmt.Errorf("sign-in: challenge %s", out.ChallengeName)
	}
	return aws.ToString(out.AuthenticationResult.AccessToken), nil
}

// totpSecrets are the authenticator secrets of the run's admins, by address.
var totpSecrets sync.Map

// enrolTOTP enrols an authenticator for the user of accessToken and returns its secret.
func enrolTOTP(ctx context.Context, c *cip.Client, email, accessToken string) (string, error) {
	assoc, err := c.AssociateSoftwareToken(ctx, &cip.AssociateSoftwareTokenInput{AccessToken: &accessToken})
	if err != nil {
		return "", fmt.Errorf("associate a TOTP authenticator: %w", err)
	}
	secret := aws.ToString(assoc.SecretCode)
	code, err := totpCode(secret)
	if err != nil {
		return "", err
	}
	if _, err := c.VerifySoftwareToken(ctx, &cip.VerifySoftwareTokenInput{AccessToken: &accessToken, UserCode: &code}); err != nil {
		return "", fmt.Errorf("verify the TOTP authenticator: %w", err)
	}
	if _, err := c.SetUserMFAPreference(ctx, &cip.SetUserMFAPreferenceInput{AccessToken: &accessToken,
		SoftwareTokenMfaSettings: &ciptypes.SoftwareTokenMfaSettingsType{Enabled: true, PreferredMfa: true}}); err != nil {
		return "", fmt.Errorf("prefer TOTP: %w", err)
	}
	totpSecrets.Store(email, secret)
	return secret, nil
}

// adminSignIn signs an enrolled admin in at Cognito: the password, then the TOTP code.
func adminSignIn(ctx context.Context, c *cip.Client, email, pass string) (string, error) {
	out, err := passwordSignIn(ctx, c, email, pass)
	if err != nil {
		return "", err
	}
	if out.ChallengeName != ciptypes.ChallengeNameTypeSoftwareTokenMfa {
		return "", fmt.Errorf("admin sign-in: challenge %q; want SOFTWARE_TOKEN_MFA", out.ChallengeName)
	}
	code, err := adminCode(email)
	if err != nil {
		return "", err
	}
	// The answer names the user by the pool's username, not the address (an alias), and so does its
	// SECRET_HASH: Cognito gives it as USER_ID_FOR_SRP.
	name := out.ChallengeParameters["USER_ID_FOR_SRP"]
	if name == "" {
		name = email
	}
	h, err := signInHash(name)
	if err != nil {
		return "", err
	}
	done, err := c.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: &sys.client, ChallengeName: out.ChallengeName, Session: out.Session,
		ChallengeResponses: map[string]string{"USERNAME": name, "SOFTWARE_TOKEN_MFA_CODE": code, "SECRET_HASH": h}})
	if err != nil {
		return "", err
	}
	return aws.ToString(done.AuthenticationResult.AccessToken), nil
}

// adminCode is the current TOTP code of an admin the run enrolled.
func adminCode(email string) (string, error) {
	secret, ok := totpSecrets.Load(email)
	if !ok {
		return "", fmt.Errorf("no TOTP secret for %s", email)
	}
	return totpCode(secret.(string))
}

// lastCodes remembers the codes used per secret: Cognito refuses a TOTP code used before, so against
// AWS a second use within its 30-second step waits for the next one. The emulator does not check
// (sys.emulated, in process or behind make dev), and waiting there would cost make test a minute or
// more for nothing its tests check.
var lastCodes sync.Map

func totpCode(secret string) (string, error) {
	for {
		now := time.Now()
		code, err := totp.Code(secret, now)
		if err != nil {
			return "", err
		}
		if used, ok := lastCodes.Load(secret); !sys.external || sys.emulated || !ok || used != code {
			lastCodes.Store(secret, code)
			return code, nil
		}
		time.Sleep(now.Truncate(totp.Step).Add(totp.Step).Sub(now) + 100*time.Millisecond)
	}
}

// login signs in through POST /auth/login, answering the MFA challenge of an admin the run enrolled
// with POST /auth/login/mfa, and returns the tokens' JSON.
func login(t *testing.T, email, pass string) map[string]any {
	t.Helper()
	r := do(t, "POST", "/auth/login", "", fmt.Sprintf(`{"email":%q,"password":%q}`, email, pass))
	if r.status != 200 {
		t.Fatalf("login %s: %d %s", email, r.status, r.body)
	}
	m := r.json(t)
	if m["challenge"] == nil {
		return m
	}
	code, err := adminCode(email)
	if err != nil {
		t.Fatal(err)
	}
	username, _ := m["username"].(string)
	r = do(t, "POST", "/auth/login/mfa", "", fmt.Sprintf(`{"email":%q,"username":%q,"session":%q,"code":%q}`, email, username, m["session"], code))
	if r.status != 200 {
		t.Fatalf("login mfa %s: %d %s", email, r.status, r.body)
	}
	return r.json(t)
}

func customerToken(t *testing.T) string {
	t.Helper()
	tok, err := user(context.Background(), strings.ToLower(awstest.Name(t, "cust"))+"@example.com", false)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not JSON: %s", r.body)
	}
	return m
}

func do(t *testing.T, method, path, token, body string) reply {
	t.Helper()
	req, err := http.NewRequest(method, sys.api+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if sys.external && method == "POST" && path == "/auth/register" {
		var u struct{ Email string }
		if json.Unmarshal([]byte(body), &u) == nil && u.Email != "" {
			madeUser(u.Email) // a user the run registers through the API is deleted at the end as well
		}
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return send(t, req, method, path)
}

// register registers an account through the API as a client does, and checks the one answer every
// registration gets, whatever holds the address: 202 "check your mail". The stack of the run confirms
// users at once (AutoConfirmUsers), so a new address can sign in right after.
func register(t *testing.T, email, password, name string) reply {
	t.Helper()
	r := do(t, "POST", "/auth/register", "", fmt.Sprintf(`{"email":%q,"password":%q,"name":%q}`, email, password, name))
	if r.status != 202 || r.json(t)["message"] != accountapi.CheckYourMail {
		t.Fatalf("register: %d %s; want 202 and the one message", r.status, r.body)
	}
	return r
}

// send makes the request and returns its reply, checked against the contract for the route.
func send(t *testing.T, req *http.Request, method, route string) reply {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, body: b}
	conform(t, method, route, r)
	return r
}

// problemOf checks an RFC 9457 answer and returns its field paths.
func problemOf(t *testing.T, r reply, status int) []string {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d (%s); want %d", r.status, r.body, status)
	}
	if ct := r.header.Get("Content-Type"); status >= 400 && status != 401 && ct != "application/problem+json" {
		t.Fatalf("Content-Type %q; want application/problem+json", ct)
	}
	var p struct {
		Type   string
		Title  string
		Status int
		Errors []struct{ Field, Message string }
	}
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("problem is not JSON: %s", r.body)
	}
	if status != 401 && (p.Status != status || p.Type == "" || p.Title == "") {
		t.Fatalf("problem = %s", r.body)
	}
	if strings.Contains(string(r.body), "goroutine") || strings.Contains(string(r.body), ".go:") {
		t.Fatalf("internals leaked to the client: %s", r.body)
	}
	var fields []string
	for _, e := range p.Errors {
		fields = append(fields, e.Field)
	}
	return fields
}
