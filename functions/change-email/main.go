// Command change-email serves POST /auth/email (signed in): the endpoint api/account.ChangeEmail over account.ChangeEmailHandler and the Cognito user pool.
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
	pool := cognito.NewUserPool(cip.NewFromConfig(boot.AWS(log)), boot.Require(log, "USER_POOL_ID"), boot.Require(log, "USER_POOL_CLIENT_ID"))
	lambda.Start(web.Lambda(log, accountapi.ChangeEmail{Handler: account.NewChangeEmailHandler(pool, boot.Bool(log, "AUTO_CONFIRM_USERS", false))}.Serve))
}
