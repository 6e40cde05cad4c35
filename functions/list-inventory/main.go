// Command list-inventory serves GET /inventory (public) from the catalog view: api.ListInventory over
// query.ListInventoryHandler.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/orion-oss/orion/internal/adapter/dynamo"
	"github.com/orion-oss/orion/internal/api"
	"github.com/orion-oss/orion/internal/auth"
	"github.com/orion-oss/orion/internal/platform/boot"
	"github.com/orion-oss/orion/internal/query"
	"github.com/orion-oss/orion/internal/web"
)

func main() {
	log := boot.Logger()
	db := dynamodb.NewFromConfig(boot.AWS(log))
	views := dynamo.NewProjections(db, boot.Require(log, "PROJECTIONS_TABLE"))
	// The route has no authorizer (the catalog is public): an admin's token is checked here, and an
	// admin sees exact stock counts where everyone else sees availability.
	issuer := boot.Require(log, "COGNITO_ISSUER")
	tokens, err := auth.NewVerifier(issuer, boot.Require(log, "USER_POOL_CLIENT_ID"), auth.JWKSURL(issuer, boot.CognitoEndpoint()))
	if err != nil {
		boot.Fail(log, "token verifier", err)
	}
	lambda.Start(web.Lambda(log, api.ListInventory{Handler: query.NewListInventoryHandler(views), Viewers: api.Viewers{Tokens: tokens, Logger: log},
		Thresholds: dynamo.NewThresholds(db, boot.Tables(log))}.Serve))
}
