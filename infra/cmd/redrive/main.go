// Command redrive gives a dead-letter queue's messages back to the functions that failed them (see
// infra/redrive): `go run ./infra/cmd/redrive -queue URL [-dry-run] [-max N]`. Locally (`make dev`) set
// AWS_ENDPOINT_URL=http://127.0.0.1:4567; on AWS it uses the usual credentials and region.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/orion-oss/orion/infra/redrive"
	"github.com/orion-oss/orion/internal/platform/awscfg"
)

func main() {
	queue := flag.String("queue", "", "URL of the dead-letter queue")
	dryRun := flag.Bool("dry-run", false, "list what would be redriven, change nothing")
	limit := flag.Int("max", 0, "redrive at most this many messages (0: all)")
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
	out, err := redrive.Run(ctx, sqs.NewFromConfig(cfg), lambda.NewFromConfig(cfg), *queue, redrive.Options{DryRun: *dryRun, Max: *limit})
	failed := 0
	for _, o := range out {
		switch {
		case o.Err != nil:
			failed++
			fmt.Printf("%s  %-40s  NOT redriven: %v\n", o.MessageID, o.Function, o.Err)
		case o.Redriven:
			fmt.Printf("%s  %-40s  redriven\n", o.MessageID, o.Function)
		default:
			fmt.Printf("%s  %-40s  would be redriven\n", o.MessageID, o.Function)
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
