// Command refresh-token serves the public auth endpoint account.Handlers.Refresh.
package main

import (
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/orion-oss/orion/internal/adapter/cognito"
	"github.com/orion-oss/orion/internal/api/account"
	"github.com/orion-oss/orion/internal/platform/boot"
	"github.com/orion-oss/orion/internal/web"
)

func main() {
	log := boot.Logger()
	svc := cognito.NewService(cip.NewFromConfig(boot.AWS(log)), os.Getenv("USER_POOL_ID"), os.Getenv("USER_POOL_CLIENT_ID"),
		os.Getenv("AUTO_CONFIRM_USERS") == "true")
	lambda.Start(web.Lambda(log, account.Handlers{Service: svc}.Refresh))
}
