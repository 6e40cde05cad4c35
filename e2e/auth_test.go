package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
)

func TestRegisterLoginRefreshAndUse(t *testing.T) {
	email := strings.ToLower(awstest.Name(t, "ann")) + "@example.com"
	pass := "Correct-Horse-9-Battery"
	first := register(t, email, pass, "Ann")
	// The address again: the same answer, byte for byte (the owner gets a mail instead).
	if again := register(t, email, pass, "Ann"); string(again.body) != string(first.body) {
		t.Fatalf("a taken address answers %s; a new one %s", again.body, first.body)
	}

	login := do(t, "POST", "/auth/login", "", `{"email":"`+email+`","password":"`+pass+`"}`)
	if login.status != 200 {
		t.Fatalf("login: %d %s", login.status, login.body)
	}
	tok := login.json(t)
	if tok["tokenType"] != "Bearer" || tok["accessToken"] == "" || tok["refreshToken"] == "" || tok["expiresIn"] == float64(0) {
		t.Fatalf("tokens = %s", login.body)
	}
	// The access token works on authenticated routes.
	if g := do(t, "GET", "/orders/01JDQ7Z3M6X9V0YB2C4D5E6F7G", tok["accessToken"].(string), ""); g.status != 404 {
		t.Fatalf("access token on a protected route: %d %s", g.status, g.body)
	}
	// The id token is not an access token.
	if g := do(t, "GET", "/orders/01JDQ7Z3M6X9V0YB2C4D5E6F7G", tok["idToken"].(string), ""); g.status != 401 {
		t.Fatalf("id token accepted as an access token: %d %s", g.status, g.body)
	}
	ref := do(t, "POST", "/auth/refresh", "", refreshBody(t, tok))
	if ref.status != 200 || ref.json(t)["accessToken"] == "" {
		t.Fatalf("refresh: %d %s", ref.status, ref.body)
	}

	// Wrong password and unknown user get the same answer.
	wrong := do(t, "POST", "/auth/login", "", `{"email":"`+email+`","password":"Wrong-Password-1"}`)
	nobody := do(t, "POST", "/auth/login", "", `{"email":"nobody-`+email+`","password":"Wrong-Password-1"}`)
	problemOf(t, wrong, 401)
	problemOf(t, nobody, 401)
	if string(wrong.body) != string(nobody.body) {
		t.Fatalf("login failures differ: %s vs %s", wrong.body, nobody.body)
	}
	problemOf(t, do(t, "POST", "/auth/refresh", "", fmt.Sprintf(`{"username":%q,"refreshToken":"forged"}`, tok["username"])), 401)
}

func TestRegisterRefusals(t *testing.T) {
	tests := []struct {
		name, body string
		fields     []string
	}{
		{"bad email", `{"email":"not-an-email","password":"Correct-Horse-9-Battery","name":"A"}`, []string{"email"}},
		{"weak password", `{"email":"a@example.com","password":"short","name":"A"}`, []string{"password"}},
		{"no name", `{"email":"b@example.com","password":"Correct-Horse-9-Battery","name":""}`, []string{"name"}},
		{"unknown field", `{"email":"c@example.com","password":"Correct-Horse-9-Battery","name":"C","admin":true}`, []string{"admin"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fields := problemOf(t, do(t, "POST", "/auth/register", "", tt.body), 400)
			for _, f := range tt.fields {
				if !strings.Contains(strings.Join(fields, ","), f) {
					t.Errorf("fields %v lack %s", fields, f)
				}
			}
		})
	}
	problemOf(t, do(t, "POST", "/auth/confirm", "", `{"email":"nobody@example.com","code":"123456"}`), 400)
}
