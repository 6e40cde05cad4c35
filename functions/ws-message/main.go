// Command ws-message serves the WebSocket API's subscribe, unsubscribe and $default routes,
// ws.Messages.Handle.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/orion-oss/orion/internal/adapter/dynamo"
	"github.com/orion-oss/orion/internal/adapter/dynamo/connections"
	"github.com/orion-oss/orion/internal/platform/boot"
	"github.com/orion-oss/orion/internal/ws"
)

func main() {
	log := boot.Logger()
	db, tables := dynamodb.NewFromConfig(boot.AWS(log)), boot.Tables(log)
	store := connections.NewStore(db, boot.Require(log, "CONNECTIONS_TABLE"))
	lambda.Start(ws.Messages{Store: store, Orders: dynamo.NewOrderRepository(db, tables), Logger: log}.Handle)
}
