package project_test

// A topic or queue encrypted with KMS takes a message only from a publisher that may use its key: an
// AWS service (CloudWatch for alarm actions, EventBridge for rule targets and dead letters) publishes
// as its service principal, which the key policy must allow to call kms:GenerateDataKey* and
// kms:Decrypt. An AWS managed key (alias/aws/sns, alias/aws/sqs) cannot be given to anyone, so such a
// publisher fails silently: the alarm fires and nobody hears of it
// (docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/orion-oss/orion/infra/engine/sam"
)

// kmsProperty is where each resource type names its key.
var kmsProperty = map[string]string{
	"AWS::SNS::Topic": "KmsMasterKeyId",
	"AWS::SQS::Queue": "KmsMasterKeyId",
}

// publishers names, per resource type and property, the service principal that delivers to what the
// property references.
var publishers = []struct {
	typ, prop, service string
}{
	{"AWS::CloudWatch::Alarm", "AlarmActions", "cloudwatch.amazonaws.com"},
	{"AWS::CloudWatch::Alarm", "OKActions", "cloudwatch.amazonaws.com"},
	{"AWS::CloudWatch::Alarm", "InsufficientDataActions", "cloudwatch.amazonaws.com"},
	{"AWS::Events::Rule", "Targets", "events.amazonaws.com"},
	// SAM's EventBridgeRule events: their DeadLetterConfig is the rule target's dead-letter queue.
	{"AWS::Serverless::Function", "Events", "events.amazonaws.com"},
}

// kmsFindings checks every KMS-encrypted destination of tpl against its publishers and returns what is
// wrong, one line each.
func kmsFindings(t *testing.T, tpl *sam.Template) []string {
	t.Helper()
	env := stackEnv(t, tpl, "orion-dev", map[string]string{"Stage": "dev", "EmailFrom": "o@shop.test.org",
		"AdminEmail": "a@shop.test.org", "LinkBaseUrl": "https://shop.test.org"})
	props := map[string]string{} // logical id -> its properties, resolved and flattened to text
	for _, id := range tpl.ResourceIDs() {
		v, err := tpl.Resolve(tpl.Resources[id].Properties, env, "Resources."+id)
		if err != nil {
			t.Fatalf("resolve %s: %v", id, err)
		}
		props[id] = fmt.Sprint(v)
	}
	var out []string
	for _, dest := range tpl.ResourceIDs() {
		prop, ok := kmsProperty[tpl.Resources[dest].Type]
		if !ok {
			continue
		}
		raw, ok := tpl.Resources[dest].Properties[prop]
		if !ok {
			continue
		}
		v, err := tpl.Resolve(raw, env, "Resources."+dest+"."+prop)
		if err != nil {
			t.Fatal(err)
		}
		keyRef := fmt.Sprint(v)
		key := ""
		for _, id := range tpl.ResourceIDs() {
			if tpl.Resources[id].Type == "AWS::KMS::Key" && (keyRef == "ref("+id+")" || keyRef == "getatt("+id+".Arn)") {
				key = id
			}
		}
		services := map[string]bool{}
		for _, p := range publishers {
			for _, id := range tpl.ResourceIDs() {
				r := tpl.Resources[id]
				if r.Type != p.typ {
					continue
				}
				pv, ok := r.Properties[p.prop]
				if !ok {
					continue
				}
				rv, err := tpl.Resolve(pv, env, "Resources."+id+"."+p.prop)
				if err != nil {
					t.Fatal(err)
				}
				s := fmt.Sprint(rv)
				if p.typ == "AWS::Serverless::Function" && !strings.Contains(s, "EventBridgeRule") {
					continue
				}
				if strings.Contains(s, "ref("+dest+")") || strings.Contains(s, "getatt("+dest+".Arn)") {
					services[p.service] = true
				}
			}
		}
		if len(services) == 0 {
			continue
		}
		switch {
		case key == "" && strings.HasPrefix(keyRef, "alias/aws/"):
			out = append(out, fmt.Sprintf("%s is encrypted with the AWS managed key %s, which %v cannot use", dest, keyRef, sorted(services)))
		case key == "":
			out = append(out, fmt.Sprintf("%s is encrypted with %s, which is not a key of this template: its policy cannot be checked", dest, keyRef))
		default:
			for svc := range services {
				if !keyAllows(tpl.Resources[key].Properties["KeyPolicy"], svc) {
					out = append(out, fmt.Sprintf("%s publishes to %s, but the key policy of %s does not let %s use it", svc, dest, key, svc))
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

func sorted(m map[string]bool) []string {
	var l []string
	for k := range m {
		l = append(l, k)
	}
	sort.Strings(l)
	return l
}

// keyAllows reports whether a key policy allows svc both kms:Decrypt and kms:GenerateDataKey*, which
// a publisher to an encrypted topic or queue needs.
func keyAllows(policy any, svc string) bool {
	doc, _ := policy.(map[string]any)
	stmts, _ := doc["Statement"].([]any)
	need := map[string]bool{"kms:Decrypt": false, "kms:GenerateDataKey*": false}
	for _, s := range stmts {
		st, _ := s.(map[string]any)
		if st["Effect"] != "Allow" || st["Condition"] != nil {
			continue
		}
		principal, _ := st["Principal"].(map[string]any)
		if !listHas(principal["Service"], svc) {
			continue
		}
		for action := range need {
			if listHas(st["Action"], action) || listHas(st["Action"], "kms:*") {
				need[action] = true
			}
		}
	}
	return need["kms:Decrypt"] && need["kms:GenerateDataKey*"]
}

func listHas(v any, want string) bool {
	switch x := v.(type) {
	case string:
		return x == want
	case []any:
		for _, e := range x {
			if e == want {
				return true
			}
		}
	}
	return false
}

func TestEncryptedDestinationsLetTheirPublishersUseTheKey(t *testing.T) {
	tpl := projectTemplate(t)
	if f := kmsFindings(t, tpl); len(f) > 0 {
		t.Fatalf("template.yaml:\n%s", strings.Join(f, "\n"))
	}
	// The check is not vacuous: the alarm topic is encrypted and the alarms publish to it.
	checked := false
	for _, id := range tpl.ResourceIDs() {
		if tpl.Resources[id].Type == "AWS::SNS::Topic" && tpl.Resources[id].Properties["KmsMasterKeyId"] != nil {
			checked = true
		}
	}
	if !checked {
		t.Fatal("no encrypted topic in template.yaml: the alarm topic should be encrypted with a key CloudWatch may use")
	}
}

func TestKMSFindingsCatchEachMistake(t *testing.T) {
	const base = `
Parameters:
  Stage: {Type: String, Default: dev}
  EmailFrom: {Type: String, Default: x}
  AdminEmail: {Type: String, Default: x}
  LinkBaseUrl: {Type: String, Default: x}
Resources:
  Key:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy:
        Version: "2012-10-17"
        Statement:
%s
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      KmsMasterKeyId: %s
  Alarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmActions: [!Ref Topic]
`
	const grant = `          - Effect: Allow
            Principal: { Service: cloudwatch.amazonaws.com }
            Action: [kms:Decrypt, kms:GenerateDataKey*]
            Resource: "*"`
	const rootOnly = `          - Effect: Allow
            Principal: { AWS: !Sub "arn:aws:iam::${AWS::AccountId}:root" }
            Action: kms:*
            Resource: "*"`
	const decryptOnly = `          - Effect: Allow
            Principal: { Service: cloudwatch.amazonaws.com }
            Action: kms:Decrypt
            Resource: "*"`
	tests := []struct {
		name, statements, key, want string
	}{
		{"the key lets CloudWatch in", grant, "!GetAtt Key.Arn", ""},
		{"the AWS managed key", grant, "alias/aws/sns", "AWS managed key alias/aws/sns"},
		{"a key policy for the account only", rootOnly, "!GetAtt Key.Arn", "does not let cloudwatch.amazonaws.com use it"},
		{"decrypt without data keys", decryptOnly, "!Ref Key", "does not let cloudwatch.amazonaws.com use it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := t.TempDir() + "/template.yaml"
			if err := os.WriteFile(path, []byte(fmt.Sprintf(base, tt.statements, tt.key)), 0o644); err != nil {
				t.Fatal(err)
			}
			tpl, err := sam.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Join(kmsFindings(t, tpl), "\n")
			if tt.want == "" && got != "" || tt.want != "" && !strings.Contains(got, tt.want) {
				t.Fatalf("findings %q; want %q", got, tt.want)
			}
		})
	}
}
