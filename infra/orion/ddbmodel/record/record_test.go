package record_test

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
	"github.com/orion-oss/orion/infra/orion/benchreport"
	"github.com/orion-oss/orion/infra/orion/ddbmodel"
	"github.com/orion-oss/orion/infra/orion/ddbmodel/record"
	"github.com/orion-oss/orion/internal/adapter/dynamo"
	"github.com/orion-oss/orion/internal/adapter/dynamo/dynamotest"
	"github.com/orion-oss/orion/internal/payment"
	"github.com/orion-oss/orion/internal/saga"
)

var update = flag.Bool("update", false, "rewrite ../patterns/*.json from the recording")

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

func options(t *testing.T) record.Options {
	t.Helper()
	_, tables := dynamotest.Tables(t)
	return record.Options{Config: awstest.Config(t), Tables: tables, Size: benchreport.ItemSize}
}

// shape is what the model reads of a pattern: every call's operation and items' tables, heat, units
// and conditions (sizes vary by a few bytes with timestamps and ids).
func shape(p ddbmodel.Pattern) map[string][]ddbmodel.Call {
	out := map[string][]ddbmodel.Call{}
	for step, calls := range p.Steps {
		for _, c := range calls {
			c.Items = slices.Clone(c.Items)
			for i := range c.Items {
				c.Items[i].Bytes = 0
			}
			out[step] = append(out[step], c)
		}
	}
	return out
}

// The model replays the patterns recorded from today's code; this fails when the code's pattern moves
// (then: go test ./infra/orion/ddbmodel/record -run PatternsAreCurrent -update, and read the diff).
func TestPatternsAreCurrent(t *testing.T) {
	for _, tc := range []struct {
		sku  record.SKU
		file string
		want ddbmodel.Pattern
	}{
		{record.SingleItem(), "single.json", ddbmodel.SingleItem()},
		{record.Sharded(ddbmodel.RecordedShards), "sharded.json", ddbmodel.ShardedStore()},
	} {
		t.Run(tc.sku.Name, func(t *testing.T) {
			p, err := record.Record(context.Background(), tc.sku, options(t))
			if err != nil {
				t.Fatal(err)
			}
			for _, step := range []string{ddbmodel.StepReserve, ddbmodel.StepConfirm, ddbmodel.StepRelease, ddbmodel.StepReject} {
				hot := 0
				for _, c := range p.Steps[step] {
					for _, it := range c.Items {
						if it.Hot {
							hot++
						}
					}
				}
				if hot == 0 {
					t.Errorf("%s: no access to the SKU's stock recorded: %+v", step, p.Steps[step])
				}
			}
			if *update {
				b, err := json.MarshalIndent(p, "", "  ")
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile("../patterns/"+tc.file, append(b, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if got, want := shape(p), shape(tc.want); !reflect.DeepEqual(got, want) {
				g, _ := json.MarshalIndent(got, "", " ")
				w, _ := json.MarshalIndent(want, "", " ")
				t.Errorf("the code's write pattern moved from patterns/%s; run with -update\ngot  %s\nwant %s", tc.file, g, w)
			}
		})
	}
}

// The sharded store as recorded: a sale's steps read and write only shard items (never the SKU's
// item), a reservation reads a window of two, and every write of a shard is conditional on the counter
// it lowers, not on a version; a rejection reads the item and every shard before refusing.
func TestShardedPatternIsCounterConditioned(t *testing.T) {
	p := ddbmodel.ShardedStore()
	for step, calls := range p.Steps {
		reads, items, writes := 0, 0, 0
		for _, c := range calls {
			for _, it := range c.Items {
				switch {
				case !it.Hot:
				case c.Write:
					writes++
					if strings.Contains(it.Condition, "version") || !strings.Contains(it.Condition, ">=") {
						t.Errorf("%s writes a shard on %q", step, it.Condition)
					}
				case it.Item:
					items++
				default:
					reads++
				}
			}
		}
		want := map[string][3]int{ddbmodel.StepReserve: {2, 0, 1}, ddbmodel.StepConfirm: {1, 0, 1}, ddbmodel.StepRelease: {1, 0, 1},
			ddbmodel.StepReject: {ddbmodel.RecordedShards, 1, 0}}[step]
		if got := [3]int{reads, items, writes}; got != want {
			t.Errorf("%s: %d shard reads, %d item reads, %d shard writes; want %v", step, reads, items, writes, want)
		}
	}
}

// withFailures builds the saga's steps over a client whose TransactWriteItems all answer fail.
func withFailures(t *testing.T, o record.Options, body string) (*saga.Steps, *record.Recorder, *dynamodb.Client) {
	t.Helper()
	rec := &record.Recorder{Size: o.Size, Roles: record.Roles(o.Tables), SKU: record.SingleItem(),
		Fail: func(op string) (int, string, bool) { return 400, body, op == "TransactWriteItems" }}
	return saga.NewSteps(dynamo.NewSaga(rec.Client(o.Config), o.Tables), payment.Sandbox{}), rec, dynamodb.NewFromConfig(o.Config)
}

func count(ops []string, op string) int {
	n := 0
	for _, o := range ops {
		if o == op {
			n++
		}
	}
	return n
}

// The model's retry figures are the code's: a transaction cancelled for a conflict is retried by the
// store conflictAttempts times in all and never by the SDK; one cancelled for capacity (on-demand
// throttling of an item in a transaction) by neither, the task failing for the state machine's Retry.
func TestRetriesAreTheCode(t *testing.T) {
	for _, tc := range []struct {
		name, reason string
		attempts     int
	}{
		{"conflict", "TransactionConflict", ddbmodel.DefaultRetries().StoreAttempts},
		{"throttled", "ThrottlingError", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := options(t)
			body := `{"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException","Message":"Transaction cancelled",` +
				`"CancellationReasons":[{"Code":"None"},{"Code":"` + tc.reason + `"}]}`
			steps, rec, raw := withFailures(t, o, body)
			ctx := context.Background()
			if err := record.SingleItem().Create(ctx, raw, o.Tables, "SKU-RETRY", 5); err != nil {
				t.Fatal(err)
			}
			in, err := record.Place(ctx, raw, o.Tables, "SKU-RETRY", "tok_visa")
			if err != nil {
				t.Fatal(err)
			}
			_, err = steps.Reserve(ctx, in)
			var stepErr *saga.StepError
			if !errors.As(err, &stepErr) {
				t.Fatalf("reserve: %v (%T); want a StepError for the state machine's Retry", err, err)
			}
			if n := count(rec.Ops(), "TransactWriteItems"); n != tc.attempts {
				t.Errorf("%d TransactWriteItems; want %d", n, tc.attempts)
			}
		})
	}
}

// The state machine's Retry fields the model uses are the ASL's.
func TestStateMachineRetriesAreTheASL(t *testing.T) {
	b, err := os.ReadFile("../../../../statemachines/order-saga.asl.json")
	if err != nil {
		t.Fatal(err)
	}
	var asl struct {
		States map[string]struct {
			Retry []struct {
				ErrorEquals     []string
				IntervalSeconds float64
				MaxAttempts     int
				BackoffRate     float64
				MaxDelaySeconds float64
				JitterStrategy  string
			}
		}
	}
	if err := json.Unmarshal(b, &asl); err != nil {
		t.Fatal(err)
	}
	r := ddbmodel.DefaultRetries()
	for state, want := range map[string]ddbmodel.Retry{"ReserveStock": r.Forward, "ConfirmOrder": r.Forward, "ReleaseStock": r.Compensation} {
		var got *ddbmodel.Retry
		for _, x := range asl.States[state].Retry {
			if slices.Equal(x.ErrorEquals, []string{"States.ALL"}) {
				got = &ddbmodel.Retry{Interval: time.Duration(x.IntervalSeconds * float64(time.Second)), MaxAttempts: x.MaxAttempts,
					Backoff: x.BackoffRate, MaxDelay: time.Duration(x.MaxDelaySeconds * float64(time.Second)), FullJitter: x.JitterStrategy == "FULL"}
			}
		}
		if got == nil || *got != want {
			t.Errorf("%s: States.ALL Retry %+v; the model uses %+v", state, got, want)
		}
	}
}
