// Command ws-disconnect is the WebSocket API's $disconnect route, ws.Connector.Disconnect: it forgets
// the connection.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/orion-oss/orion/internal/adapter/dynamo/connections"
	"github.com/orion-oss/orion/internal/platform/boot"
	"github.com/orion-oss/orion/internal/ws"
)

func main() {
	log := boot.Logger()
	store := connections.NewStore(dynamodb.NewFromConfig(boot.AWS(log)), boot.Require(log, "CONNECTIONS_TABLE"))
	lambda.Start(ws.Connector{Store: store, Logger: log}.Disconnect)
}
