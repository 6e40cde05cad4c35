// Command outbox-relay is the enrichment step of the outbox Pipe: it turns outbox stream records into
// the event envelopes that the Pipe puts on the EventBridge bus (detail-type and source come from them),
// relay.Handler.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/orion-oss/orion/internal/adapter/dynamo/relay"
	"github.com/orion-oss/orion/internal/platform/logging"
)

func main() {
	// Not boot.Logger: the relay has no AWS client and no setting but LOG_LEVEL, so it links no AWS
	// configuration at all.
	lambda.Start(relay.Handler{Logger: logging.FromEnv()}.Handle)
}
