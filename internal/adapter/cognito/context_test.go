package cognito_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/orion-oss/orion/internal/account"
	"github.com/orion-oss/orion/internal/adapter/cognito"
	"github.com/orion-oss/orion/internal/customer"
)

// bodies is the SDK's HTTP client with a record of what each Cognito operation sent: the real
// requests, as they leave for the emulator.
type bodies struct {
	next cip.HTTPClient
	mu   sync.Mutex
	sent map[string][]byte // operation (X-Amz-Target's) → its last request body
}

func (b *bodies) Do(r *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	op := r.Header.Get("X-Amz-Target")
	op = op[strings.LastIndex(op, ".")+1:]
	b.mu.Lock()
	b.sent[op] = body
	b.mu.Unlock()
	return b.next.Do(r)
}

// ipOf is UserContextData.IpAddress in a request body; "" when it has none.
func (b *bodies) ipOf(t *testing.T, op string) (string, bool) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	body, sent := b.sent[op]
	if !sent {
		return "", false
	}
	var in struct{ UserContextData *struct{ IpAddress string } }
	if err := json.Unmarshal(body, &in); err != nil {
		t.Fatalf("%s body %s: %v", op, body, err)
	}
	if in.UserContextData == nil {
		return "", true
	}
	return in.UserContextData.IpAddress, true
}

// Every unauthenticated call the account functions make for a caller carries the caller's IP in
// UserContextData (what Cognito's threat protection reads), and the emulator takes it as AWS does:
// the calls succeed, or fail for the reason they would without it. A call made without an IP sends
// no UserContextData at all.
func TestUnauthenticatedCallsSendTheClientIP(t *testing.T) {
	p := newPool(t)
	rec := &bodies{sent: map[string][]byte{}}
	spy := cip.New(p.idp.Options(), func(o *cip.Options) { rec.next = o.HTTPClient; o.HTTPClient = rec })
	reg := cognito.NewRegistration(spy, p.id, p.regClient)
	pool := cognito.NewUserPool(spy, p.id, p.client)
	const ip, password = "203.0.113.7", "Correct-Horse-9"
	ctx := account.WithClientIP(context.Background(), ip)
	ann, _ := customer.ParseEmail("ip@example.com")

	var s account.SignIn
	steps := []struct {
		op   string // the Cognito operation the step makes
		call func() error
		want error // nil, or the refusal the step meets with or without an IP
	}{
		{"SignUp", func() error { return reg.SignUp(ctx, ann, password, "Ann") }, nil},
		// moto 5.2.1 has no ResendConfirmationCode (it answers 500, which the adapter turns into a 429):
		// the request it was sent is what this step checks.
		{"ResendConfirmationCode", func() error { return reg.ResendCode(ctx, ann) }, customer.ErrTooManyAttempts},
		// The emulator takes any confirmation code (AWS would refuse this one): what matters here is
		// that it takes the call with UserContextData.
		{"ConfirmSignUp", func() error { return reg.ConfirmSignUp(ctx, ann, "000000") }, nil},
		{"AdminGetUser", func() error { _, err := reg.Holder(ctx, ann); return err }, nil},
		{"ForgotPassword", func() error { return reg.ForgotPassword(ctx, ann) }, nil},
		{"ConfirmForgotPassword", func() error { return reg.ResetPassword(ctx, ann, "moto-confirmation-code:000000", "Battery-Staple-7") }, customer.ErrBadCode},
		{"InitiateAuth", func() (err error) { s, err = pool.SignIn(ctx, ann.String(), password); return err }, nil},
		{"InitiateAuth", func() error { _, err := pool.Refresh(ctx, s.Tokens.Username, s.Tokens.RefreshToken); return err }, nil},
		{"RespondToAuthChallenge", func() error { _, err := pool.RespondMFA(ctx, ann.String(), "no-such-session", "123456"); return err }, customer.ErrBadCredentials},
	}
	for i, st := range steps {
		delete(rec.sent, st.op)
		if err := st.call(); !errors.Is(err, st.want) {
			t.Fatalf("step %d %s: %v; want %v", i, st.op, err, st.want)
		}
		got, sent := rec.ipOf(t, st.op)
		want := ip
		if strings.HasPrefix(st.op, "Admin") { // an admin call takes no UserContextData
			want = ""
		}
		if !sent || got != want {
			t.Fatalf("step %d %s: sent %v with IpAddress %q; want %q", i, st.op, sent, got, want)
		}
	}

	// Without an IP (a call not made for an HTTP caller), no UserContextData.
	if _, err := pool.SignIn(context.Background(), ann.String(), password); err != nil {
		t.Fatal(err)
	}
	if got, sent := rec.ipOf(t, "InitiateAuth"); !sent || got != "" || bytes.Contains(rec.sent["InitiateAuth"], []byte("UserContextData")) {
		t.Fatalf("without an IP: sent %v, IpAddress %q, body %s", sent, got, rec.sent["InitiateAuth"])
	}
}
