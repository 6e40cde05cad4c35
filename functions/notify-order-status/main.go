// Command notify-order-status pushes order status changes to WebSocket clients, fed by the
// projections table's stream (docs/adr/0026): ws.Notifier.HandleStream.
package main

import (
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/orion-oss/orion/internal/adapter/apigateway"
	"github.com/orion-oss/orion/internal/adapter/dynamo"
	"github.com/orion-oss/orion/internal/adapter/dynamo/connections"
	"github.com/orion-oss/orion/internal/platform/boot"
	"github.com/orion-oss/orion/internal/platform/metrics"
	"github.com/orion-oss/orion/internal/ws"
)

func main() {
	log := boot.Logger()
	cfg := boot.AWS(log)
	n := &ws.Notifier{
		Store:   connections.NewStore(dynamodb.NewFromConfig(cfg), boot.Require(log, "CONNECTIONS_TABLE")),
		Poster:  apigateway.Poster{Client: apigateway.NewManagementClient(cfg, boot.Require(log, "WEBSOCKET_MANAGEMENT_ENDPOINT"))},
		Changes: dynamo.ViewChangeOf,
		Logger:  log,
		Metrics: metrics.New(os.Stdout),
	}
	lambda.Start(n.HandleStream)
}
