package stack_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orion-oss/orion/infra/engine/eventbus"
	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
	"github.com/orion-oss/orion/infra/engine/sam"
	"github.com/orion-oss/orion/infra/engine/stack"
)

// A scheduled AWS::Events::Rule and a function's Schedule event each deliver one Scheduled Event per
// tick to the function, shaped as EventBridge documents it; the rules SAM generates for function
// events answer Ref and Fn::GetAtt with the rule that really delivers; a disabled schedule does not
// fire; Close stops the schedules.
func TestScheduledRulesInvokeTheirTargets(t *testing.T) {
	clock := eventbus.NewManualClock(time.Date(2026, 12, 3, 11, 31, 12, 0, time.UTC))
	var mu sync.Mutex
	var deliveries []eventbus.Delivery
	st, _ := start(t, func(c *stack.Config) {
		c.Template = "testdata/schedule.yaml"
		c.ScheduleClock = clock
		c.OnDelivery = func(d eventbus.Delivery) { mu.Lock(); deliveries = append(deliveries, d); mu.Unlock() }
	})
	out := st.Outputs
	fn := st.Name() + "-ConsumerFunction"
	if out["TickName"] != st.Name()+"-tick" || out["TickArn"] != "arn:aws:events:us-east-1:123456789012:rule/"+st.Name()+"-tick" ||
		out["AddedName"] != fn+"-Added" || out["AddedArn"] != "arn:aws:events:us-east-1:123456789012:rule/"+fn+"-Added" {
		t.Errorf("generated rules resolve to %v", out)
	}
	// Two live schedules: the sweep (a minute after start) and the function's cron (each 10 minutes).
	if err := clock.AwaitWaiting(2, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	var fired []time.Time
	for range 2 {
		at, err := clock.Tick(10 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		fired = append(fired, at)
	}
	slices.SortFunc(fired, func(a, b time.Time) int { return a.Compare(b) })
	if want := []time.Time{time.Date(2026, 12, 3, 11, 32, 12, 0, time.UTC), time.Date(2026, 12, 3, 11, 40, 0, 0, time.UTC)}; !slices.EqualFunc(fired, want, time.Time.Equal) {
		t.Errorf("fired at %v, want %v", fired, want)
	}
	db := dynamodb.NewFromConfig(awstest.Config(t))
	byRule := map[string]map[string]any{}
	eventually(t, "both scheduled events to reach the function", func() bool {
		o, err := db.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(out["SeenTable"].(string))})
		if err != nil {
			t.Fatal(err)
		}
		clear(byRule)
		for _, it := range o.Items {
			raw, ok := it["event"].(*types.AttributeValueMemberS)
			if !ok {
				continue
			}
			var ev map[string]any
			if err := json.Unmarshal([]byte(raw.Value), &ev); err != nil {
				t.Fatal(err)
			}
			res, _ := ev["resources"].([]any)
			if len(res) != 1 {
				t.Fatalf("scheduled event resources = %v", ev["resources"])
			}
			byRule[res[0].(string)] = ev
		}
		// The function writes its row before it returns, and the bus records the delivery after: wait
		// for both, or the deliveries below may be read between the two.
		mu.Lock()
		n := len(deliveries)
		mu.Unlock()
		return len(byRule) >= 2 && n >= 2
	})
	if len(byRule) != 2 {
		t.Fatalf("events by rule = %v; want one from each live schedule", byRule)
	}
	for arn, at := range map[string]string{out["SweepArn"].(string): "2026-12-03T11:32:12Z", out["TickArn"].(string): "2026-12-03T11:40:00Z"} {
		ev := byRule[arn]
		detail, isObj := ev["detail"].(map[string]any)
		if ev == nil || ev["source"] != "aws.events" || ev["detail-type"] != "Scheduled Event" || !isObj || len(detail) != 0 ||
			ev["time"] != at || ev["account"] != "123456789012" || ev["region"] != "us-east-1" {
			t.Errorf("event of %s = %v", arn, ev)
		}
	}
	mu.Lock()
	var rules []string
	for _, d := range deliveries {
		if d.Err != nil || d.DetailType != "Scheduled Event" || d.Attempts != 1 {
			t.Errorf("delivery %+v", d)
		}
		rules = append(rules, d.Rule)
	}
	mu.Unlock()
	slices.Sort(rules)
	if want := []string{st.Name() + "-Sweep", st.Name() + "-tick"}; !slices.Equal(rules, want) {
		t.Errorf("deliveries by rule %v, want %v (one each; the disabled schedule never fires)", rules, want)
	}
	// Close stops the schedules: it returns although both wait on a clock that never moves again.
	done := make(chan error, 1)
	go func() { done <- st.Close(context.Background()) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Close did not return")
	}
}

// A schedule the local runtime cannot run fails the start, naming the rule and the expression, instead
// of never firing; so does an event type it does not run.
func TestStartRefusesSchedulesItCannotRun(t *testing.T) {
	base, err := os.ReadFile("testdata/schedule.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, old, new, want string
		is                   error
	}{
		{"seconds", "ScheduleExpression: rate(1 minute)", "ScheduleExpression: rate(30 seconds)", "ScheduleExpression", nil}, // the emulator refuses it, as AWS
		{"plural", "ScheduleExpression: rate(1 minute)", "ScheduleExpression: rate(1 minutes)", "rate(1 minutes)", eventbus.ErrSchedule},
		{"cron L", `"cron(0/10 * * * ? *)"`, `"cron(0 10 L * ? *)"`, "Tick", eventbus.ErrSchedule},
		{"ScheduleV2", "Type: Schedule\n          Properties: { Schedule: rate(1 minute), Enabled: false }",
			"Type: ScheduleV2\n          Properties: { ScheduleExpression: rate(1 minute) }", "ScheduleV2", sam.ErrUnsupported},
	} {
		t.Run(tc.name, func(t *testing.T) {
			old := strings.ReplaceAll(tc.old, "\\n", "\n")
			text := strings.Replace(string(base), old, strings.ReplaceAll(tc.new, "\\n", "\n"), 1)
			if text == string(base) {
				t.Fatalf("fixture has no %q", old)
			}
			path := filepath.Join(t.TempDir(), "schedule.yaml")
			if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			st, err := stack.Start(context.Background(), stack.Config{Template: path, Endpoint: os.Getenv("AWS_ENDPOINT_URL"), BinDir: binDir,
				StackName: awstest.Name(t, "sch"), ScheduleClock: eventbus.NewManualClock(time.Now())})
			if err == nil {
				st.Close(context.Background())
				t.Fatal("started")
			}
			if (tc.is != nil && !errors.Is(err, tc.is)) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v; want %v naming %q", err, tc.is, tc.want)
			}
		})
	}
}
