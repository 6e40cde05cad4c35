// Command change-password serves POST /auth/password/change (signed in): the endpoint api/account.ChangePassword over account.ChangePasswordHandler and the Cognito user pool.
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
	lambda.Start(web.Lambda(log, accountapi.ChangePassword{Handler: account.NewChangePasswordHandler(pool)}.Serve))
}
