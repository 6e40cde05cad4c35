// Command ws-connect is the WebSocket API's $connect route, ws.Connector.Connect: it verifies the
// ?token= access token and records the connection.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/orion-oss/orion/internal/adapter/dynamo/connections"
	"github.com/orion-oss/orion/internal/auth"
	"github.com/orion-oss/orion/internal/platform/boot"
	"github.com/orion-oss/orion/internal/ws"
)

func main() {
	log := boot.Logger()
	issuer := boot.Require(log, "COGNITO_ISSUER")
	tokens, err := auth.NewVerifier(issuer, boot.Require(log, "USER_POOL_CLIENT_ID"), auth.JWKSURL(issuer, boot.CognitoEndpoint()))
	if err != nil {
		boot.Fail(log, "token verifier", err)
	}
	store := connections.NewStore(dynamodb.NewFromConfig(boot.AWS(log)), boot.Require(log, "CONNECTIONS_TABLE"))
	lambda.Start(ws.Connector{Tokens: tokens, Store: store, Logger: log}.Connect)
}
