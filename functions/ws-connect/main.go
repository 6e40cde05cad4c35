// Command ws-connect is the WebSocket API's $connect route, ws.Connector.Connect: it verifies the
// access token and records the connection within its user's cap.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/orion-oss/orion/internal/adapter/apigateway"
	"github.com/orion-oss/orion/internal/adapter/dynamo/connections"
	"github.com/orion-oss/orion/internal/auth"
	"github.com/orion-oss/orion/internal/platform/boot"
	"github.com/orion-oss/orion/internal/ws"
)

func main() {
	log := boot.Logger()
	cfg := boot.AWS(log)
	issuer := boot.Require(log, "COGNITO_ISSUER")
	tokens, err := auth.NewVerifier(issuer, boot.Require(log, "USER_POOL_CLIENT_ID"), auth.JWKSURL(issuer, boot.CognitoEndpoint()))
	if err != nil {
		boot.Fail(log, "token verifier", err)
	}
	store := connections.NewStore(dynamodb.NewFromConfig(cfg), boot.Require(log, "CONNECTIONS_TABLE"))
	probe := apigateway.Prober{Client: apigateway.NewManagementClient(cfg, boot.Require(log, "WEBSOCKET_MANAGEMENT_ENDPOINT"))}
	lambda.Start(ws.Connector{Tokens: tokens, Store: store, Probe: probe, Logger: log}.Connect)
}
