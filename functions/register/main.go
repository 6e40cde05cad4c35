// Command register serves POST /auth/register (public): the endpoint api/account.Register over
// account.RegisterHandler, the Cognito user pool's registration client and, for an address that has an
// account, the "you already have an account" mail through SES v2.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/orion-oss/orion/internal/account"
	"github.com/orion-oss/orion/internal/adapter/cognito"
	"github.com/orion-oss/orion/internal/adapter/ses"
	accountapi "github.com/orion-oss/orion/internal/api/account"
	"github.com/orion-oss/orion/internal/email"
	"github.com/orion-oss/orion/internal/platform/boot"
	"github.com/orion-oss/orion/internal/web"
)

func main() {
	log := boot.Logger()
	aws := boot.AWS(log)
	pool := cognito.NewRegistration(cip.NewFromConfig(aws), boot.Require(log, "USER_POOL_ID"), boot.Require(log, "REGISTRATION_CLIENT_ID"))
	conf := email.Config{From: boot.Require(log, "EMAIL_FROM"), LinkBase: boot.Require(log, "LINK_BASE_URL"),
		ConfigurationSet: boot.Optional("EMAIL_CONFIGURATION_SET", "")}
	owners, err := email.NewAccountMailer(conf, ses.NewSender(sesv2.NewFromConfig(aws), conf))
	if err != nil {
		boot.Fail(log, "email configuration", err)
	}
	h := account.NewRegisterHandler(pool, owners, boot.Bool(log, "AUTO_CONFIRM_USERS", false), log)
	lambda.Start(web.Lambda(log, accountapi.Register{Handler: h}.Serve))
}
