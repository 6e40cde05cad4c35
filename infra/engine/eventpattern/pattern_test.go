package eventpattern_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/orion-oss/orion/infra/engine/eventpattern"
)

// The event used by the AWS documentation's content-filtering examples
// (EventBridge user guide, "Content filtering in Amazon EventBridge event patterns"), plus Orion fields.
const ec2Event = `{
  "version": "0", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718", "detail-type": "EC2 Instance State-change Notification",
  "source": "aws.ec2", "account": "111122223333", "time": "2017-12-22T18:43:48Z", "region": "us-west-1",
  "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
  "detail": {
    "instance-id": "i-1234567890abcdef0", "state": "terminated", "c-count": 5, "d-count": 3,
    "x-limit": 301.8, "source-ip": "10.0.0.123", "empty": "", "nothing": null, "flag": true,
    "items": [{"sku": "A", "qty": 1}, {"sku": "B", "qty": 7}],
    "tags": ["blue", "green"]
  }
}`

func TestMatch(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		want    bool
	}{
		// "Event patterns": every field named must match; values are arrays of alternatives.
		{"source exact", `{"source":["aws.ec2"]}`, true},
		{"source other", `{"source":["aws.s3"]}`, false},
		{"one of several", `{"detail-type":["x","EC2 Instance State-change Notification"]}`, true},
		{"all fields must match", `{"source":["aws.ec2"],"detail":{"state":["running"]}}`, false},
		{"nested", `{"detail":{"state":["terminated"]}}`, true},
		{"missing field", `{"detail":{"color":["red"]}}`, false},
		{"number exact", `{"detail":{"c-count":[5]}}`, true},
		{"number equal as numbers", `{"detail":{"c-count":[5.0]}}`, true},
		{"string is not number", `{"detail":{"c-count":["5"]}}`, false},
		{"null", `{"detail":{"nothing":[null]}}`, true},
		{"null does not match empty", `{"detail":{"empty":[null]}}`, false},
		{"empty string", `{"detail":{"empty":[""]}}`, true},
		{"boolean", `{"detail":{"flag":[true]}}`, true},
		// "Arrays in event patterns": an array value matches when any element matches.
		{"array value", `{"resources":["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"]}`, true},
		{"array of strings", `{"detail":{"tags":["green"]}}`, true},
		{"array of objects flattened", `{"detail":{"items":{"sku":["B"]}}}`, true},
		{"array of objects no match", `{"detail":{"items":{"sku":["C"]}}}`, false},
		// "Prefix matching", "Suffix matching", with equals-ignore-case.
		{"prefix", `{"detail":{"instance-id":[{"prefix":"i-123"}]}}`, true},
		{"prefix no", `{"detail":{"instance-id":[{"prefix":"I-123"}]}}`, false},
		{"prefix ignore case", `{"detail":{"instance-id":[{"prefix":{"equals-ignore-case":"I-123"}}]}}`, true},
		{"suffix", `{"detail":{"instance-id":[{"suffix":"def0"}]}}`, true},
		{"suffix ignore case", `{"detail":{"instance-id":[{"suffix":{"equals-ignore-case":"DEF0"}}]}}`, true},
		{"equals-ignore-case", `{"detail":{"state":[{"equals-ignore-case":"TERMINATED"}]}}`, true},
		// "Anything-but matching".
		{"anything-but value", `{"detail":{"state":[{"anything-but":"running"}]}}`, true},
		{"anything-but excluded", `{"detail":{"state":[{"anything-but":"terminated"}]}}`, false},
		{"anything-but list", `{"detail":{"state":[{"anything-but":["stopped","terminated"]}]}}`, false},
		{"anything-but number", `{"detail":{"c-count":[{"anything-but":[100,200]}]}}`, true},
		{"anything-but prefix", `{"detail":{"state":[{"anything-but":{"prefix":"term"}}]}}`, false},
		{"anything-but suffix", `{"detail":{"state":[{"anything-but":{"suffix":"ing"}}]}}`, true},
		{"anything-but ignore case", `{"detail":{"state":[{"anything-but":{"equals-ignore-case":["TERMINATED"]}}]}}`, false},
		{"anything-but wildcard", `{"detail":{"state":[{"anything-but":{"wildcard":"*nat*"}}]}}`, false},
		{"anything-but needs the field", `{"detail":{"color":[{"anything-but":"red"}]}}`, false},
		// "Numeric matching".
		{"numeric range", `{"detail":{"c-count":[{"numeric":[">",0,"<=",5]}]}}`, true},
		{"numeric outside", `{"detail":{"d-count":[{"numeric":["<",3]}]}}`, false},
		{"numeric float", `{"detail":{"x-limit":[{"numeric":["=",301.8]}]}}`, true},
		{"numeric on string", `{"detail":{"state":[{"numeric":[">",0]}]}}`, false},
		// "IP address matching".
		{"cidr", `{"detail":{"source-ip":[{"cidr":"10.0.0.0/24"}]}}`, true},
		{"cidr outside", `{"detail":{"source-ip":[{"cidr":"10.0.1.0/24"}]}}`, false},
		// "Exists matching".
		{"exists true", `{"detail":{"state":[{"exists":true}]}}`, true},
		{"exists false on present", `{"detail":{"state":[{"exists":false}]}}`, false},
		{"exists false on absent", `{"detail":{"color":[{"exists":false}]}}`, true},
		{"exists false under absent object", `{"detail":{"missing":{"color":[{"exists":false}]}}}`, true},
		{"exists true on null", `{"detail":{"nothing":[{"exists":true}]}}`, true},
		// "Wildcard matching".
		{"wildcard", `{"detail":{"instance-id":[{"wildcard":"i-*abc*f0"}]}}`, true},
		{"wildcard no", `{"detail":{"instance-id":[{"wildcard":"i-*xyz*"}]}}`, false},
		{"wildcard literal star", `{"detail":{"state":[{"wildcard":"term\\*"}]}}`, false},
		// "$or matching".
		{"$or one branch", `{"detail":{"$or":[{"c-count":[{"numeric":[">",10]}]},{"d-count":[3]}]}}`, true},
		{"$or no branch", `{"detail":{"$or":[{"c-count":[{"numeric":[">",10]}]},{"d-count":[4]}]}}`, false},
		{"$or at top level", `{"$or":[{"source":["aws.s3"]},{"detail":{"state":["terminated"]}}]}`, true},
		{"$or with sibling", `{"source":["aws.s3"],"$or":[{"detail":{"d-count":[3]}},{"detail":{"c-count":[5]}}]}`, false},
		// Orion's own rules.
		{"orion rule", `{"source":["aws.ec2"],"detail-type":["OrderConfirmed","EC2 Instance State-change Notification"]}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := eventpattern.Compile([]byte(tt.pattern))
			if err != nil {
				t.Fatal(err)
			}
			got, err := p.Match([]byte(ec2Event))
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("Match(%s) = %v; want %v", tt.pattern, got, tt.want)
			}
		})
	}
}

func TestCompileRejects(t *testing.T) {
	for _, p := range []string{
		`[]`, `"x"`, `{`, `{"source":"aws.ec2"}`, `{"source":5}`, `{"detail":{}}`,
		`{"a":[{"prefix":1}]}`, `{"a":[{"unknown-op":"x"}]}`, `{"a":[{"prefix":"x","suffix":"y"}]}`,
		`{"a":[{"numeric":[">"]}]}`, `{"a":[{"numeric":["!",1]}]}`, `{"a":[{"numeric":["<",5,">",1]}]}`,
		`{"a":[{"numeric":[">",5,"<",1]}]}`, `{"a":[{"numeric":[">","1"]}]}`, `{"a":[{"numeric":[">",1e10]}]}`,
		`{"a":[{"exists":"yes"}]}`, `{"a":[{"cidr":"10.0.0.0/99"}]}`, `{"a":[{"wildcard":"a**b"}]}`,
		`{"a":[{"wildcard":"a\\b"}]}`, `{"a":[{"anything-but":[]}]}`, `{"a":[{"anything-but":{"numeric":[">",1]}}]}`,
		`{"a":[{"anything-but":[{"prefix":"x"}]}]}`, `{"$or":[{"a":["x"]}]}`, `{"$or":{"a":["x"]}}`, `{"a":[["x"]]}`,
	} {
		if _, err := eventpattern.Compile([]byte(p)); !errors.Is(err, eventpattern.ErrInvalidPattern) {
			t.Errorf("Compile(%s) err = %v; want ErrInvalidPattern", p, err)
		}
	}
}

func TestInputTransformer(t *testing.T) {
	rule := eventpattern.RuleContext{Name: "r", ARN: "arn:aws:events:us-east-1:123456789012:rule/r"}
	tests := []struct {
		name     string
		paths    map[string]string
		template string
		want     string
	}{
		// "Amazon EventBridge input transformation": string output.
		{"string template", map[string]string{"instance": "$.detail.instance-id", "state": "$.detail.state"},
			`"instance <instance> is in <state>"`, `"instance i-1234567890abcdef0 is in terminated"`},
		// JSON output: values outside quotes are JSON, inside quotes text.
		{"json template", map[string]string{"count": "$.detail.c-count", "state": "$.detail.state", "res": "$.resources"},
			`{"n": <count>, "s": "<state>", "r": <res>, "first": "<res>"}`,
			`{"n": 5, "s": "terminated", "r": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"], "first": "[\"arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0\"]"}`},
		{"reserved variables", nil, `{"rule": "<aws.events.rule-name>", "arn": <aws.events.rule-arn>}`,
			`{"rule": "r", "arn": "arn:aws:events:us-east-1:123456789012:rule/r"}`},
		{"missing path", map[string]string{"x": "$.detail.color"}, `{"x": <x>, "y": "<x>"}`, `{"x": null, "y": ""}`},
		{"escaping", map[string]string{"s": "$.detail.quote"}, `{"s": "<s>"}`, `{"s": "say \"hi\""}`},
		{"unknown placeholder kept", nil, `"a <b> c"`, `"a <b> c"`},
	}
	event := strings.Replace(ec2Event, `"flag": true,`, `"flag": true, "quote": "say \"hi\"",`, 1)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := eventpattern.InputTransformer{PathsMap: tt.paths, Template: tt.template}.Apply([]byte(event), rule)
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tt.want {
				t.Fatalf("got  %s\nwant %s", out, tt.want)
			}
		})
	}
	whole, err := eventpattern.InputTransformer{Template: `{"e": <aws.events.event>}`}.Apply([]byte(ec2Event), rule)
	if err != nil || !json.Valid(whole) {
		t.Fatalf("whole event: %s %v", whole, err)
	}
}

func TestApplyInputPath(t *testing.T) {
	tests := []struct{ path, want string }{
		{"$", ""},
		{"$.detail.state", `"terminated"`},
		{"$.detail.items[1].qty", `7`},
		{"$['detail-type']", `"EC2 Instance State-change Notification"`},
		{"$.detail.none", `null`},
	}
	for _, tt := range tests {
		out, err := eventpattern.ApplyInputPath([]byte(ec2Event), tt.path)
		if err != nil {
			t.Fatal(err)
		}
		if tt.want != "" && string(out) != tt.want {
			t.Errorf("%s = %s; want %s", tt.path, out, tt.want)
		}
	}
	if _, err := eventpattern.ApplyInputPath([]byte(ec2Event), "detail"); !errors.Is(err, eventpattern.ErrPath) {
		t.Errorf("a path without $ was accepted: %v", err)
	}
}

// A DynamoDB stream INSERT record as an EventBridge Pipe receives it.
const streamRecord = `{"eventID":"1","eventName":"INSERT","eventVersion":"1.1","eventSource":"aws:dynamodb","awsRegion":"us-east-1",
 "dynamodb":{"Keys":{"eventId":{"S":"e-1"}},"NewImage":{"eventId":{"S":"e-1"},"type":{"S":"OrderPlaced"},"source":{"S":"orion.orders"},
 "envelope":{"S":"{\"id\":\"e-1\"}"}},"SequenceNumber":"111","SizeBytes":26,"StreamViewType":"NEW_IMAGE"},
 "eventSourceARN":"arn:aws:dynamodb:us-east-1:123456789012:table/outbox/stream/2026"}`

func TestPipeTemplateAndFilter(t *testing.T) {
	ctx := eventpattern.PipeContext{PipeName: "outbox", PipeArn: "arn:aws:pipes:us-east-1:123456789012:pipe/outbox"}
	out, err := eventpattern.ApplyPipeTemplate(`{"type": <$.dynamodb.NewImage.type.S>, "pipe": "<aws.pipes.pipe-name>", "raw": "<$.dynamodb.NewImage.envelope.S>"}`, []byte(streamRecord), ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type": "OrderPlaced", "pipe": "outbox", "raw": "{\"id\":\"e-1\"}"}`
	if string(out) != want {
		t.Fatalf("got  %s\nwant %s", out, want)
	}
	// Pipes filter criteria use the same pattern syntax on the record.
	p, err := eventpattern.Compile([]byte(`{"eventName":["INSERT"],"dynamodb":{"NewImage":{"type":{"S":[{"prefix":"Order"}]}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := p.Match([]byte(streamRecord)); !ok {
		t.Fatal("filter did not match an INSERT of an order event")
	}
	if ok, _ := p.Match([]byte(strings.Replace(streamRecord, "INSERT", "REMOVE", 1))); ok {
		t.Fatal("filter matched a REMOVE record")
	}
}

func FuzzCompile(f *testing.F) {
	f.Add(`{"source":["a"],"detail":{"n":[{"numeric":[">",1,"<",5]}],"$or":[{"a":["x"]},{"b":[{"prefix":"y"}]}]}}`)
	f.Add(`{"a":[{"wildcard":"*x\\*"}]}`)
	f.Fuzz(func(t *testing.T, pattern string) {
		p, err := eventpattern.Compile([]byte(pattern))
		if err != nil {
			return
		}
		p.Match([]byte(ec2Event))
	})
}

func FuzzMatch(f *testing.F) {
	f.Add(ec2Event, "i-*f0")
	f.Fuzz(func(t *testing.T, event, wildcard string) {
		pat, err := json.Marshal(map[string]any{"detail": map[string]any{"instance-id": []any{map[string]any{"wildcard": wildcard}}, "c-count": []any{map[string]any{"numeric": []any{">", 1}}}}})
		if err != nil {
			return
		}
		if p, err := eventpattern.Compile(pat); err == nil {
			p.Match([]byte(event))
		}
	})
}

func BenchmarkMatch(b *testing.B) {
	event := []byte(`{"version":"0","id":"1","detail-type":"OrderConfirmed","source":"orion.orders","account":"123456789012",
"time":"2026-11-24T10:00:00Z","region":"us-east-1","resources":[],"detail":{"id":"e","type":"OrderConfirmed","data":{"orderId":"o","status":"CONFIRMED"}}}`)
	for _, bc := range []struct{ name, pattern string }{
		{"orion-rule", `{"source":["orion.orders"],"detail-type":["OrderConfirmed","OrderRejected"]}`},
		{"complex", `{"source":[{"prefix":"orion."}],"detail":{"data":{"status":[{"anything-but":["PENDING"]}],"$or":[{"orderId":[{"wildcard":"o*"}]},{"reason":[{"exists":true}]}]}}}`},
	} {
		p, err := eventpattern.Compile([]byte(bc.pattern))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if ok, _ := p.Match(event); !ok {
					b.Fatal("no match")
				}
			}
		})
	}
}
