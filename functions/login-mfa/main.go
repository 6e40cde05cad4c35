// Command login-mfa serves POST /auth/login/mfa (public): the endpoint api/account.LoginMFA over account.LoginMFAHandler and the Cognito user pool.
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
	lambda.Start(web.Lambda(log, accountapi.LoginMFA{Handler: account.NewLoginMFAHandler(pool)}.Serve))
}
