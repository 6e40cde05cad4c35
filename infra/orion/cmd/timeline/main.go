// Command timeline prints one order's story from the local system (`make dev` running): its statuses,
// its events, its saga runs' states and its emails, in time order. `go run ./infra/orion/cmd/timeline
// [-stack orion-local] [-endpoint http://127.0.0.1:4567] <orderId>`, or `make timeline ORDER=<orderId>`.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/orion-oss/orion/infra/engine/localaws"
	"github.com/orion-oss/orion/infra/orion/timeline"
	"github.com/orion-oss/orion/internal/adapter/dynamo"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/platform/awscfg"
)

func main() {
	// The template names its tables and state machines after the stack (make dev runs "orion-local").
	stackName := flag.String("stack", "orion-local", "the stack name the local runtime runs with")
	endpoint := flag.String("endpoint", "http://127.0.0.1:4567", "the local runtime's AWS endpoint (ORION_EDGE_PORT)")
	emulator := flag.String("emulator", "http://"+localaws.DefaultAddr, "the AWS emulator, for the emails it accepted")
	flag.Parse()
	id, err := order.ParseID(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, "timeline: give an order id")
		os.Exit(2)
	}
	ctx := context.Background()
	cfg, err := awscfg.Load(ctx, config.WithBaseEndpoint(*endpoint),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("timeline", "local", "")))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	prefix := *stackName
	machine := func(name string) string {
		return fmt.Sprintf("arn:aws:states:%s:123456789012:stateMachine:%s-%s", cfg.Region, prefix, name)
	}
	entries, err := timeline.Of(ctx, timeline.Sources{
		DB:       dynamodb.NewFromConfig(cfg),
		Tables:   dynamo.Tables{Orders: prefix + "-orders", Outbox: prefix + "-outbox"},
		SFN:      sfn.NewFromConfig(cfg),
		Machines: map[string]string{"saga": machine("order-saga"), "cancellation": machine("order-cancellation")},
		Endpoint: *emulator,
	}, id)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, e := range entries {
		at := "            "
		if !e.At.IsZero() {
			at = e.At.Local().Format("15:04:05.000")
		}
		fmt.Printf("%s  %-12s %s\n", at, e.Source, e.What)
	}
}
