package edge_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/orion-oss/orion/infra/edge"
	"github.com/orion-oss/orion/infra/localaws/awstest"
)

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

func newEdge(t *testing.T) (*edge.Edge, aws.Config) {
	t.Helper()
	cfg := awstest.Config(t)
	e, err := edge.New(os.Getenv("AWS_ENDPOINT_URL"), nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	cfg.BaseEndpoint = aws.String(srv.URL)
	return e, cfg
}

func TestPutEventsIsForwardedThenObserved(t *testing.T) {
	ctx := context.Background()
	e, cfg := newEdge(t)
	var mu sync.Mutex
	var seen []edge.PutEventsEntry
	e.OnPutEvents = func(entries []edge.PutEventsEntry) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, entries...)
	}
	eb := eventbridge.NewFromConfig(cfg)
	bus := awstest.Name(t, "bus")
	busOut, err := eb.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(bus)})
	if err != nil {
		t.Fatal(err)
	}
	out, err := eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{
		{EventBusName: busOut.EventBusArn, Source: aws.String("orion.orders"), DetailType: aws.String("OrderPlaced"), Detail: aws.String(`{"orderId":"o1"}`)},
		{EventBusName: aws.String(bus), Source: aws.String("orion.orders"), DetailType: aws.String("OrderConfirmed"), Detail: aws.String(`{"orderId":"o2"}`)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 2 {
		t.Fatalf("observed %d entries; want 2", len(seen))
	}
	for i, s := range seen {
		if s.EventID != aws.ToString(out.Entries[i].EventId) || s.Bus != bus || s.Source != "orion.orders" {
			t.Errorf("entry %d = %+v; emulator id %s", i, s, aws.ToString(out.Entries[i].EventId))
		}
	}
	if string(seen[1].Detail) != `{"orderId":"o2"}` || seen[1].DetailType != "OrderConfirmed" {
		t.Errorf("entry 1 = %+v", seen[1])
	}
}

func TestRoutesClaimTheirRequestsAndTheRestReachTheEmulator(t *testing.T) {
	ctx := context.Background()
	e, cfg := newEdge(t)
	claimed := 0
	e.Handle(edge.Route{Name: "states", Match: edge.TargetPrefix("AWSStepFunctions."), Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claimed++
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Write([]byte(`{"stateMachines":[]}`))
	})})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, aws.ToString(cfg.BaseEndpoint)+"/", nil)
	req.Header.Set("X-Amz-Target", "AWSStepFunctions.ListStateMachines")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if claimed != 1 || resp.StatusCode != 200 {
		t.Fatalf("claimed=%d status=%d", claimed, resp.StatusCode)
	}
	if _, err := dynamodb.NewFromConfig(cfg).ListTables(ctx, &dynamodb.ListTablesInput{}); err != nil {
		t.Fatalf("DynamoDB through the edge: %v", err)
	}
	if claimed != 1 {
		t.Fatalf("a DynamoDB call was claimed by the states route")
	}
}
