// Command confirm-registration serves POST /auth/confirm (public): the endpoint
// api/account.ConfirmRegistration over account.ConfirmRegistrationHandler and the Cognito user pool's
// registration client.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/orion-oss/orion/internal/account"
	"github.com/orion-oss/orion/internal/adapter/cognito"
	accountapi "github.com/orion-oss/orion/internal/api/account"
	"github.com/orion-oss/orion/internal/platform/boot"
	"github.com/orion-oss/orion/internal/web"
)

func main() {
	log := boot.Logger()
	pool := cognito.NewRegistration(cip.NewFromConfig(boot.AWS(log)), boot.Require(log, "USER_POOL_ID"), boot.Require(log, "REGISTRATION_CLIENT_ID"))
	lambda.Start(web.Lambda(log, accountapi.ConfirmRegistration{Handler: account.NewConfirmRegistrationHandler(pool)}.Serve))
}
