// Command ws-sweep ends WebSocket connections whose token expired or whose user left the admin group
// (scheduled rule, every minute), ws.Sweeper.HandleSchedule.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/orion-oss/orion/internal/adapter/apigateway"
	"github.com/orion-oss/orion/internal/adapter/cognito/groups"
	"github.com/orion-oss/orion/internal/adapter/dynamo/connections"
	"github.com/orion-oss/orion/internal/platform/boot"
	"github.com/orion-oss/orion/internal/ws"
)

func main() {
	log := boot.Logger()
	cfg := boot.AWS(log)
	s := ws.Sweeper{
		Store:  connections.NewStore(dynamodb.NewFromConfig(cfg), boot.Require(log, "CONNECTIONS_TABLE")),
		Closer: apigateway.Closer{Client: apigateway.NewManagementClient(cfg, boot.Require(log, "WEBSOCKET_MANAGEMENT_ENDPOINT"))},
		Groups: groups.New(cip.NewFromConfig(cfg), boot.Require(log, "USER_POOL_ID")),
		Logger: log,
	}
	lambda.Start(s.HandleSchedule)
}
