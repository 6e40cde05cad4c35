package e2e

import (
	"fmt"
	"sort"
	"testing"

	"github.com/orion-oss/orion/infra/engine/sam"
)

// templateIn resolves the template's parameters for a stage (no resources: the properties read here
// depend on parameters and conditions only).
func templateIn(t *testing.T, stage string) (*sam.Template, sam.Env) {
	t.Helper()
	tpl, err := sam.Load("../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	params, err := tpl.ParameterValues(map[string]string{"Stage": stage})
	if err != nil {
		t.Fatal(err)
	}
	return tpl, sam.Env{Region: "us-east-1", AccountID: "123456789012", StackName: "orion-" + stage, Partition: "aws",
		URLSuffix: "amazonaws.com", Parameters: params}
}

// resolved reads a property path of a resource with intrinsics (Fn::If on IsProd) evaluated.
func resolved(t *testing.T, tpl *sam.Template, env sam.Env, id string, keys ...string) any {
	t.Helper()
	var v any = tpl.Resources[id].Properties
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	out, err := tpl.Resolve(v, env, id)
	if err != nil {
		t.Fatalf("%s: %v", id, err)
	}
	return out
}

// noPITR are the tables without point-in-time recovery, with the reason.
var noPITR = map[string]string{
	"ConnectionsTable": "rows of live WebSocket connections, valid for at most 2 hours: a restored copy would name connections that no longer exist",
}

// Data at rest (OWASP API8, security misconfiguration): every table is encrypted and recoverable to a
// point in time (or says why not), and in prod no table can be deleted by a stack update or by hand
// without first turning deletion protection off; every queue is encrypted.
func TestTablesAreEncryptedRecoverableAndProtectedInProd(t *testing.T) {
	for _, stage := range []string{"dev", "prod"} {
		tpl, env := templateIn(t, stage)
		var tables []string
		for id, r := range tpl.Resources {
			switch r.Type {
			case "AWS::DynamoDB::Table":
				tables = append(tables, id)
			case "AWS::SQS::Queue":
				if resolved(t, tpl, env, id, "SqsManagedSseEnabled") != true && resolved(t, tpl, env, id, "KmsMasterKeyId") == nil {
					t.Errorf("%s: queue %s is not encrypted", stage, id)
				}
			}
		}
		sort.Strings(tables)
		if len(tables) < 6 {
			t.Fatalf("%d tables in the template", len(tables))
		}
		for _, id := range tables {
			if resolved(t, tpl, env, id, "SSESpecification", "SSEEnabled") != true {
				t.Errorf("%s: %s has no SSESpecification.SSEEnabled: true", stage, id)
			}
			pitr := resolved(t, tpl, env, id, "PointInTimeRecoverySpecification", "PointInTimeRecoveryEnabled") == true
			if _, exempt := noPITR[id]; pitr == exempt {
				t.Errorf("%s: %s point-in-time recovery %v; noPITR lists it: %v", stage, id, pitr, exempt)
			}
			protected := resolved(t, tpl, env, id, "DeletionProtectionEnabled") == true
			if protected != (stage == "prod") {
				t.Errorf("%s: %s DeletionProtectionEnabled = %v; want %v", stage, id, protected, stage == "prod")
			}
		}
		if p := resolved(t, tpl, env, "UserPool", "DeletionProtection"); fmt.Sprint(p) != map[string]string{"dev": "INACTIVE", "prod": "ACTIVE"}[stage] {
			t.Errorf("%s: the user pool's DeletionProtection is %v", stage, p)
		}
	}
}

// Throttling (OWASP API4): both APIs have a rate and a burst limit on every route by default, so one
// client cannot take the account's whole API Gateway and Lambda concurrency.
func TestAPIsAreThrottled(t *testing.T) {
	tpl, env := templateIn(t, "prod")
	for _, api := range []struct{ id, label string }{{"HttpApi", "HTTP API"}, {"WebSocketStage", "WebSocket stage"}} {
		for _, k := range []string{"ThrottlingBurstLimit", "ThrottlingRateLimit"} {
			v := resolved(t, tpl, env, api.id, "DefaultRouteSettings", k)
			n, ok := v.(int64)
			if f, isFloat := v.(float64); isFloat {
				n, ok = int64(f), true
			}
			if !ok || n <= 0 || n > 5000 {
				t.Errorf("%s DefaultRouteSettings.%s = %v; want a limit (1..5000, the account default)", api.label, k, v)
			}
		}
	}
	if tpl.Resources["WebSocketStage"].Properties["ApiId"] == nil {
		t.Fatal("the WebSocket stage is not attached to an API")
	}
}
