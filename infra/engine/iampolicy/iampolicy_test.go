package iampolicy_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/orion-oss/orion/infra/engine/iampolicy"
)

func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, action string
		want            bool
	}{
		{"dynamodb:GetItem", "dynamodb:GetItem", true},
		{"dynamodb:getitem", "dynamodb:GetItem", true},
		{"dynamodb:Get*", "dynamodb:GetItem", true},
		{"dynamodb:*", "dynamodb:PutItem", true},
		{"*", "ses:SendEmail", true},
		{"dynamodb:Get?tem", "dynamodb:GetItem", true},
		{"dynamodb:GetItem", "dynamodb:GetItems", false},
		{"dynamodb:Get*", "dynamodb:PutItem", false},
		{"s3:*", "dynamodb:GetItem", false},
	}
	for _, tt := range tests {
		if got := iampolicy.Match(tt.pattern, tt.action); got != tt.want {
			t.Errorf("Match(%q, %q) = %v", tt.pattern, tt.action, got)
		}
	}
}

func TestCallActions(t *testing.T) {
	tests := []struct {
		call string
		want []string
	}{
		{"dynamodb:GetItem", []string{"dynamodb:GetItem"}},
		{"dynamodb:TransactWriteItems", []string{"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem"}},
		{"ses:POST /v2/email/outbound-emails", []string{"ses:SendEmail"}},
		{"execute-api:POST /@connections/abc=", []string{"execute-api:ManageConnections"}},
		{"execute-api:DELETE /@connections/abc=", []string{"execute-api:ManageConnections"}},
		{"states:StartExecution", []string{"states:StartExecution"}},
		{"cognito-idp:ListUsers", []string{"cognito-idp:ListUsers"}},
		{"s3:PUT /bucket/key", nil},
	}
	for _, tt := range tests {
		if got := iampolicy.CallActions(tt.call); !slices.Equal(got, tt.want) {
			t.Errorf("CallActions(%q) = %v; want %v", tt.call, got, tt.want)
		}
	}
}

// Load refuses what it does not evaluate rather than misreading it.
func TestLoadRefusesUnevaluatedStatements(t *testing.T) {
	tests := map[string]string{
		"deny":       `{"Effect":"Deny","Action":"s3:*","Resource":"*"}`,
		"not action": `{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}`,
		"condition":  `{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{}}`,
	}
	for name, stmt := range tests {
		t.Run(name, func(t *testing.T) {
			f := filepath.Join(t.TempDir(), "t.json")
			doc := `{"Resources":{"R":{"Type":"AWS::IAM::Role","Properties":{"Policies":[{"PolicyName":"p","PolicyDocument":{"Statement":[` + stmt + `]}}]}}}}`
			if err := os.WriteFile(f, []byte(doc), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := iampolicy.Load(f); err == nil {
				t.Fatal("loaded")
			}
		})
	}
}

// A permissions boundary is read with NotAction, and caps by action and resource; a managed policy no
// role names as its boundary is refused, as a standalone policy is.
func TestBoundaries(t *testing.T) {
	load := func(t *testing.T, doc string) (*iampolicy.Template, error) {
		f := filepath.Join(t.TempDir(), "t.json")
		if err := os.WriteFile(f, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		return iampolicy.Load(f)
	}
	boundary := `"B":{"Type":"AWS::IAM::ManagedPolicy","Properties":{"PolicyDocument":{"Statement":[
		{"Effect":"Allow","NotAction":"logs:*","Resource":"*"},
		{"Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":{"Fn::GetAtt":["G","Arn"]}}]}}}`
	tpl, err := load(t, `{"Resources":{"R":{"Type":"AWS::IAM::Role","Properties":{"PermissionsBoundary":{"Ref":"B"}}},`+boundary+`}}`)
	if err != nil {
		t.Fatal(err)
	}
	b := tpl.Boundaries[tpl.Roles["R"].Boundary]
	for action, want := range map[string][]string{
		"dynamodb:GetItem":    {"*"},
		"logs:PutLogEvents":   {"GetAtt:G.Arn"},
		"logs:CreateLogGroup": nil,
	} {
		if got := b.Resources(action); !slices.Equal(got, want) {
			t.Errorf("Resources(%s) = %v; want %v", action, got, want)
		}
	}
	if _, err := load(t, `{"Resources":{`+boundary+`}}`); err == nil {
		t.Error("a managed policy no role names was loaded")
	}
	if _, err := load(t, `{"Resources":{"R":{"Type":"AWS::IAM::Role","Properties":{"PermissionsBoundary":"arn:aws:iam::1:policy/x"}}}}`); err == nil {
		t.Error("a boundary outside the template was loaded")
	}
}
