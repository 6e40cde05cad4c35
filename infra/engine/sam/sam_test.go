package sam_test

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/orion-oss/orion/infra/engine/sam"
)

// fakeResources stands in for the runtime's record of created resources.
type fakeResources struct{}

func (fakeResources) Ref(id string) (any, error) { return "ref:" + id, nil }
func (fakeResources) GetAtt(id, attr string) (any, error) {
	return fmt.Sprintf("arn:%s.%s", id, attr), nil
}

func env(t *testing.T, tpl *sam.Template, overrides map[string]string) sam.Env {
	t.Helper()
	params, err := tpl.ParameterValues(overrides)
	if err != nil {
		t.Fatal(err)
	}
	return sam.Env{Region: "us-east-1", AccountID: "123456789012", StackName: "orion", Partition: "aws", URLSuffix: "amazonaws.com",
		Parameters: params, Resources: fakeResources{}}
}

func load(t *testing.T) *sam.Template {
	t.Helper()
	tpl, err := sam.Load("testdata/app.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

func TestFunctionsWithGlobalsResolved(t *testing.T) {
	tpl := load(t)
	fns, err := tpl.Functions()
	if err != nil || len(fns) != 1 {
		t.Fatalf("Functions = %v, %v", fns, err)
	}
	f := fns[0]
	props, err := tpl.Resolve(f.Properties, env(t, tpl, nil), "Resources.Place.Properties")
	if err != nil {
		t.Fatal(err)
	}
	p := props.(map[string]any)
	vars := p["Environment"].(map[string]any)["Variables"].(map[string]any)
	want := map[string]any{
		"STAGE": "dev", "TABLE": "ref:Table", "BUS_ARN": "arn:Bus.Arn", "LITERAL": "${NotAVar}-us-east-1",
		"MAPPED": "dev-b", "SPLIT": "x", "B64": "aGk=", "ARN_FROM_SUB": "arn:Table.Arn/stream",
	}
	if !reflect.DeepEqual(vars, want) {
		t.Errorf("variables = %v\nwant        %v", vars, want)
	}
	if p["Timeout"] != int64(5) || p["Runtime"] != "provided.al2023" || p["MemorySize"] != int64(128) {
		t.Errorf("Timeout/Runtime/MemorySize = %v/%v/%v", p["Timeout"], p["Runtime"], p["MemorySize"])
	}
	if fmt.Sprint(p["Layers"]) != "[global-layer local-layer]" {
		t.Errorf("Layers = %v (globals first, then the function's)", p["Layers"])
	}
	if len(f.Events) != 2 || f.Events[0].Name != "Api" || f.Events[0].Type != "HttpApi" || f.Events[1].Type != "EventBridgeRule" {
		t.Errorf("events = %+v", f.Events)
	}
}

func TestConditionsAndNoValue(t *testing.T) {
	tpl := load(t)
	for _, tt := range []struct {
		stage      string
		prod, both bool
		tags       int
	}{{"dev", false, true, 1}, {"prod", true, false, 2}} {
		e := env(t, tpl, map[string]string{"Stage": tt.stage})
		prod, err := tpl.Condition("IsProd", e)
		if err != nil || prod != tt.prod {
			t.Errorf("%s: IsProd = %v, %v", tt.stage, prod, err)
		}
		both, _ := tpl.Condition("Both", e)
		if both != tt.both {
			t.Errorf("%s: Both = %v", tt.stage, both)
		}
		props, err := tpl.Resolve(tpl.Resources["Table"].Properties, e, "Resources.Table.Properties")
		if err != nil {
			t.Fatal(err)
		}
		if tags := props.(map[string]any)["Tags"].([]any); len(tags) != tt.tags {
			t.Errorf("%s: tags = %v", tt.stage, tags)
		}
	}
}

func TestParameterValidation(t *testing.T) {
	tpl := load(t)
	for _, bad := range []map[string]string{
		{"Stage": "qa"}, {"Email": "nope"}, {"Retention": "0"}, {"Retention": "abc"}, {"Unknown": "x"},
	} {
		if _, err := tpl.ParameterValues(bad); !errors.Is(err, sam.ErrTemplate) {
			t.Errorf("%v: err = %v", bad, err)
		}
	}
	v, err := tpl.ParameterValues(map[string]string{"Retention": "90"})
	if err != nil || v["Retention"] != "90" || fmt.Sprint(v["Zones"]) != "[a b]" {
		t.Errorf("values = %v, %v", v, err)
	}
}

func TestOrderAndCycles(t *testing.T) {
	tpl := load(t)
	order, err := tpl.Order()
	if err != nil {
		t.Fatal(err)
	}
	pos := map[string]int{}
	for i, id := range order {
		pos[id] = i
	}
	if !(pos["Table"] < pos["Place"] && pos["Bus"] < pos["Place"]) {
		t.Errorf("order = %v", order)
	}
	cyclic, err := sam.Parse([]byte(`Resources:
  A: {Type: AWS::SQS::Queue, Properties: {QueueName: !GetAtt B.QueueName}}
  B: {Type: AWS::SQS::Queue, Properties: {QueueName: !Sub "${A}"}}
`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cyclic.Order(); err == nil || !strings.Contains(err.Error(), "circular") {
		t.Fatalf("cycle not reported: %v", err)
	}
}

func TestErrorsNamePaths(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"unsupported function", "Resources:\n  Q: {Type: AWS::SQS::Queue, Properties: {QueueName: !ImportValue shared}}\n", "Resources.Q.Properties.QueueName"},
		{"unknown ref", "Resources:\n  Q: {Type: AWS::SQS::Queue, Properties: {QueueName: !Ref Nope}}\n", "unknown Nope"},
		{"unknown tag", "Resources:\n  Q: {Type: AWS::SQS::Queue, Properties: {QueueName: !Nope x}}\n", "unknown tag !Nope"},
		{"duplicate key", "Resources:\n  Q: {Type: A, Type: B}\n", "duplicate key"},
		{"no resources", "Parameters: {}\n", "Resources"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl, err := sam.Parse([]byte(tt.yaml))
			if err == nil {
				e := sam.Env{Resources: fakeResources{}}
				_, err = tpl.Resolve(tpl.Resources["Q"].Properties, e, "Resources.Q.Properties")
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v; want it to mention %q", err, tt.want)
			}
		})
	}
	tpl, _ := sam.Parse([]byte("Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Events:\n        S: {Type: S3}\n  X: {Type: AWS::EC2::VPC}\n"))
	err := tpl.Validate(func(typ string) bool { return typ == "AWS::Serverless::Function" })
	if !errors.Is(err, sam.ErrUnsupported) || !strings.Contains(err.Error(), "AWS::EC2::VPC") || !strings.Contains(err.Error(), "event type S3") {
		t.Fatalf("Validate = %v", err)
	}
	// A resource whose condition is false is not created: its type may be one the runtime lacks.
	tpl, _ = sam.Parse([]byte("Parameters:\n  On: {Type: String, Default: \"false\"}\nConditions:\n  IsOn: !Equals [!Ref On, \"true\"]\n" +
		"Resources:\n  X: {Type: AWS::CloudFront::Distribution, Condition: IsOn}\n"))
	for on, wantErr := range map[string]bool{"false": false, "true": true} {
		params, _ := tpl.ParameterValues(map[string]string{"On": on})
		err := tpl.ValidateFor(sam.Env{Parameters: params}, func(string) bool { return false })
		if (err != nil) != wantErr || (wantErr && !errors.Is(err, sam.ErrUnsupported)) {
			t.Errorf("ValidateFor, On=%s: %v; want an error: %v", on, err, wantErr)
		}
	}
}

func FuzzParse(f *testing.F) {
	b, _ := os.ReadFile("testdata/app.yaml")
	f.Add(string(b))
	f.Add("Resources: {A: {Type: X, Properties: {P: !Sub '${A.B}'}}}")
	f.Fuzz(func(t *testing.T, s string) {
		tpl, err := sam.Parse([]byte(s))
		if err != nil {
			return
		}
		tpl.Order()
		tpl.Functions()
		e := sam.Env{Resources: fakeResources{}, Parameters: map[string]any{}}
		for _, id := range tpl.ResourceIDs() {
			tpl.Resolve(tpl.Resources[id].Properties, e, id)
		}
	})
}
