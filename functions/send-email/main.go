// Command send-email mails customers the outcome of their orders and admins the low-stock alerts
// (EventBridge rule), each event once: email.Handler over the DynamoDB inbox, the Cognito directory and
// SES v2.
package main

import (
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/orion-oss/orion/internal/adapter/cognito/directory"
	"github.com/orion-oss/orion/internal/adapter/dynamo/inbox"
	"github.com/orion-oss/orion/internal/adapter/ses"
	"github.com/orion-oss/orion/internal/email"
	"github.com/orion-oss/orion/internal/platform/boot"
	"github.com/orion-oss/orion/internal/platform/metrics"
)

func main() {
	log := boot.Logger()
	aws := boot.AWS(log)
	conf := email.Config{From: boot.Require(log, "EMAIL_FROM"), AdminTo: boot.Require(log, "ADMIN_EMAIL"),
		LinkBase: boot.Require(log, "LINK_BASE_URL"), ConfigurationSet: boot.Optional("EMAIL_CONFIGURATION_SET", "")}
	renderer, err := email.NewRenderer(conf)
	if err != nil {
		boot.Fail(log, "email configuration", err)
	}
	h := email.Handler{Renderer: renderer, Logger: log, Metrics: metrics.New(os.Stdout),
		Inbox:      inbox.NewStore(dynamodb.NewFromConfig(aws), boot.Require(log, "PROCESSED_EVENTS_TABLE"), inbox.DefaultLease),
		Recipients: directory.New(cip.NewFromConfig(aws), boot.Require(log, "USER_POOL_ID")),
		Sender:     ses.NewSender(sesv2.NewFromConfig(aws), conf)}
	lambda.Start(h.HandleEventBridge)
}
