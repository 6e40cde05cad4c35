// Command redrive gives a dead-letter queue's messages back to the functions that failed them, and the
// events of a failed outbox Pipe batch to the bus (see infra/orion/redrive):
// `go run ./infra/orion/cmd/redrive -queue URL [-outbox-table NAME -bus NAME] [-dry-run] [-max N]`. The outbox
// Pipes' DLQ needs -outbox-table and -bus (the stack outputs OutboxTableName and EventBusName). Locally
// (`make dev`) set AWS_ENDPOINT_URL=http://127.0.0.1:4567; on AWS it uses the usual credentials and region.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/orion-oss/orion/infra/orion/redrive"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/platform/awscfg"
)

func main() {
	queue := flag.String("queue", "", "URL of the dead-letter queue")
	dryRun := flag.Bool("dry-run", false, "list what would be redriven, change nothing")
	limit := flag.Int("max", 0, "redrive at most this many messages (0: all)")
	table := flag.String("outbox-table", "", "outbox table, for the outbox Pipes' DLQ (stack output OutboxTableName)")
	bus := flag.String("bus", "", "event bus name or ARN, for the outbox Pipes' DLQ (stack output EventBusName)")
	margin := flag.Duration("margin", redrive.DefaultMargin, "how much a failed Pipe batch's arrival window is widened on each side")
	flag.Parse()
	if *queue == "" {
		fmt.Fprintln(os.Stderr, "redrive: -queue is required (the stack outputs *DeadLetterQueueUrl)")
		os.Exit(2)
	}
	ctx := context.Background()
	cfg, err := awscfg.Load(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	outbox := &redrive.Outbox{Table: *table, Bus: *bus, DB: dynamodb.NewFromConfig(cfg), Events: eventbridge.NewFromConfig(cfg), Margin: *margin}
	out, err := redrive.Run(ctx, sqs.NewFromConfig(cfg), lambda.NewFromConfig(cfg), *queue, redrive.Options{DryRun: *dryRun, Max: *limit, Outbox: outbox})
	failed := 0
	for _, o := range out {
		switch {
		case o.Err != nil:
			failed++
			fmt.Printf("%s  %-40s  NOT redriven: %v\n", o.MessageID, o.Function, o.Err)
		case o.Redriven:
			fmt.Printf("%s  %-40s  redriven%s\n", o.MessageID, o.Function, count(o.Events))
		default:
			fmt.Printf("%s  %-40s  would be redriven%s\n", o.MessageID, o.Function, count(o.Events))
		}
		if *dryRun {
			for _, e := range o.Events {
				fmt.Printf("    %s  %-24s  %s\n", e.ID, e.Type, e.Source)
			}
		}
	}
	fmt.Printf("redrive: %d message(s), %d not redriven\n", len(out), failed)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if failed > 0 {
		os.Exit(1)
	}
}

// count says how many events a Pipe batch stood for; a function's message says nothing more.
func count(envs []event.Envelope) string {
	if envs == nil {
		return ""
	}
	return fmt.Sprintf(" (%d events)", len(envs))
}
