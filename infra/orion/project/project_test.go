// Package project_test holds Orion's checks of its own template.yaml and samconfig.toml, made with the
// engine's packages: the template runs on the engine (infra/engine/stack) with the functions' real
// binaries (make build-host) and its names, rules, outbox and WebSocket API are checked; the first
// deploy's needs (deploy_test.go), KMS key policies (kms_test.go), least-privilege IAM (iam_test.go),
// the metrics its alarms and dashboard watch (metrics_test.go). The engine's own tests use templates of
// their own, so that the engine is tested without Orion's code.
package project_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/orion-oss/orion/infra/engine/eventbus"
	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
	"github.com/orion-oss/orion/infra/engine/sam"
	"github.com/orion-oss/orion/infra/engine/stack"
	"github.com/orion-oss/orion/internal/adapter/dynamo"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/event/eventschema"
	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/money"
)

func TestMain(m *testing.M) { os.Exit(awstest.MainIsolated(m)) }

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// start runs the project's template under the stack name mutate sets.
func start(t *testing.T, mutate func(*stack.Config)) (*stack.Stack, *syncBuffer) {
	t.Helper()
	out := &syncBuffer{}
	cfg := stack.Config{Template: "../../../template.yaml", Endpoint: os.Getenv("AWS_ENDPOINT_URL"),
		BinDir: filepath.Join("..", "..", "..", "build", "host"), Parameters: localParameters,
		StackName: awstest.Name(t, "st"), Output: out, RetryBase: 20 * time.Millisecond}
	if mutate != nil {
		mutate(&cfg)
	}
	st, err := stack.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close(context.Background()) })
	return st, out
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// localParameters are what the local runtime runs the project's template with (infra/orion/cmd/dev): the
// local stage, which may keep the sandbox defaults, and an SES identity the emulator can send from.
var localParameters = map[string]string{"Stage": "local", "AutoConfirmUsers": "true", "CreateEmailIdentity": "true"}

// The project's own template starts as it is, and names its resources after the stack.
func TestProjectTemplateStarts(t *testing.T) {
	name := awstest.Name(t, "proj")
	st, _ := start(t, func(c *stack.Config) {
		c.Template = "../../../template.yaml"
		c.BinDir = filepath.Join("..", "..", "..", "build", "host")
		c.Parameters = localParameters
		c.StackName = name
	})
	for k, want := range map[string]string{"EventBusName": name, "OrdersTableName": name + "-orders",
		"OrderSagaStateMachineArn": ":stateMachine:" + name + "-order-saga"} {
		if got := fmt.Sprint(st.Outputs[k]); !strings.HasSuffix(got, want) {
			t.Errorf("output %s = %q; want it to end in %q", k, got, want)
		}
	}
	if st.Outputs["UserPoolId"] == nil || st.Outputs["UserPoolId"] == "" {
		t.Error("output UserPoolId is empty")
	}
}

// As CloudFormation would, the local runtime refuses an AWS stage with the template's sandbox defaults
// (its Rules), before it creates anything.
func TestProjectTemplateRefusesSandboxDefaultsOnAWSStages(t *testing.T) {
	for _, stage := range []string{"dev", "prod"} {
		_, err := stack.Start(context.Background(), stack.Config{Template: "../../../template.yaml", Endpoint: os.Getenv("AWS_ENDPOINT_URL"),
			BinDir: filepath.Join("..", "..", "..", "build", "host"), StackName: awstest.Name(t, stage), Parameters: map[string]string{"Stage": stage}})
		if !errors.Is(err, sam.ErrRule) {
			t.Fatalf("Stage=%s with the defaults: Start = %v; want sam.ErrRule", stage, err)
		}
		for _, want := range []string{"EmailFrom is a sandbox address", "AdminEmail is a sandbox address", "LinkBaseUrl points at a developer's machine"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("Stage=%s: %v; want it to say %q", stage, err, want)
			}
		}
	}
}

// The project's outbox reaches its bus: an aggregate change written with its event in one transaction
// arrives on the bus as the same envelope, through the stream, the pipe and the relay function.
func TestProjectOutboxReachesTheBus(t *testing.T) {
	var mu sync.Mutex
	var seen []eventbus.Event
	name := awstest.Name(t, "outbox")
	st, _ := start(t, func(c *stack.Config) {
		c.Template = "../../../template.yaml"
		c.BinDir = filepath.Join("..", "..", "..", "build", "host")
		c.Parameters = localParameters
		c.StackName = name
		c.OnEvent = func(bus string, ev eventbus.Event) {
			mu.Lock()
			defer mu.Unlock()
			if bus == name { // the bus is named after the stack
				seen = append(seen, ev)
			}
		}
	})
	tables := dynamo.Tables{Orders: fmt.Sprint(st.Outputs["OrdersTableName"]), Inventory: fmt.Sprint(st.Outputs["InventoryTableName"]),
		Outbox: fmt.Sprint(st.Outputs["OutboxTableName"])}
	repo := dynamo.NewInventoryRepository(dynamodb.NewFromConfig(awstest.Config(t)), tables)
	price, _ := money.New(500, "USD")
	sku := inventory.SKU(strings.ToUpper(awstest.Name(t, "SKU")))
	it, evs, err := inventory.NewItem(sku, inventory.Details{Name: "Relay test", Price: price}, 5, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.Create(context.Background(), it, evs, event.Cause{CorrelationID: "corr-relay"}); err != nil {
		t.Fatal(err)
	}
	// More events in the same moment, so the pipe relays them as one batch.
	for i := range 6 {
		extra, evs, _ := inventory.NewItem(inventory.SKU(fmt.Sprintf("%s-%d", sku, i)), inventory.Details{Name: "Batch", Price: price}, 5, 1)
		if err := repo.Create(context.Background(), extra, evs, event.Cause{CorrelationID: "corr-batch"}); err != nil {
			t.Fatal(err)
		}
	}
	var got eventbus.Event
	eventually(t, "the InventoryUpdated event on the bus", func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, ev := range seen {
			if ev.DetailType == "InventoryUpdated" && strings.Contains(string(ev.Detail), string(sku)) {
				got = ev
				return true
			}
		}
		return false
	})
	eventually(t, "all 7 InventoryUpdated events on the bus", func() bool {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, ev := range seen {
			if ev.DetailType == "InventoryUpdated" && strings.Contains(string(ev.Detail), string(sku)) {
				n++
			}
		}
		return n == 7
	})
	env, err := event.Decode(got.Detail)
	if err != nil {
		t.Fatal(err)
	}
	if err := eventschema.Validate(env); err != nil {
		t.Fatalf("detail is not a valid envelope: %v", err)
	}
	if got.Source != "orion.inventory" || env.CorrelationID != "corr-relay" || env.Type != "InventoryUpdated" {
		t.Fatalf("event %+v, envelope %+v", got, env)
	}
}

// The project's WebSocket API is read from the template: its routes, their functions (through the
// AWS_PROXY integrations) and two-way flags (route responses), served on its own listener, with the
// Management API on the functions' AWS endpoint.
func TestProjectWebSocketAPI(t *testing.T) {
	name := awstest.Name(t, "ws")
	st, out := start(t, func(c *stack.Config) {
		c.Template = "../../../template.yaml"
		c.BinDir = filepath.Join("..", "..", "..", "build", "host")
		c.Parameters = localParameters
		c.StackName = name
	})
	if !strings.HasPrefix(st.WSURL, "ws://127.0.0.1:") {
		t.Fatalf("WSURL = %q", st.WSURL)
	}
	prefix := name + "-"
	want := []string{
		"$connect -> " + prefix + "WsConnectFunction",
		"$default -> " + prefix + "WsMessageFunction (two-way)",
		"$disconnect -> " + prefix + "WsDisconnectFunction",
		"subscribe -> " + prefix + "WsMessageFunction (two-way)",
		"unsubscribe -> " + prefix + "WsMessageFunction (two-way)",
	}
	if got := st.WebSocketRoutes(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("routes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// $connect runs the real function, which refuses a missing token; nothing is upgraded.
	resp, err := http.Get(strings.Replace(st.WSURL, "ws://", "http://", 1) + "/?x=1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUpgradeRequired {
		t.Fatalf("plain GET: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest("GET", strings.Replace(st.WSURL, "ws://", "http://", 1), nil)
	for k, v := range map[string]string{"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="} {
		req.Header.Set(k, v)
	}
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("upgrade without a token: %d", resp.StatusCode)
	}
	// The Management API answers on the edge, with and without the stage.
	for _, path := range []string{"/@connections/bm9uZQ==", "/local/@connections/bm9uZQ=="} {
		resp, err := http.Post(st.EdgeURL+path, "application/json", strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusGone || resp.Header.Get("X-Amzn-Errortype") != "GoneException" {
			t.Fatalf("POST %s: %d %v", path, resp.StatusCode, resp.Header)
		}
	}
	if st.Outputs["WebSocketUrl"] == nil {
		t.Fatal("no WebSocketUrl output")
	}
	eventually(t, "the connect log line", func() bool { return strings.Contains(out.String(), "⇌ CONNECT") })
}
