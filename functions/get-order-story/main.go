// Command get-order-story serves GET /orders/{orderId}/story (admin): api.GetOrderStory over
// story.Teller, reading the order, its outbox events (ByOrder index), its saga executions and the
// send-email inbox (internal/adapter/dynamo/storyread, internal/adapter/stepfunctions/history).
package main

import (
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/orion-oss/orion/internal/adapter/dynamo"
	"github.com/orion-oss/orion/internal/adapter/dynamo/storyread"
	"github.com/orion-oss/orion/internal/adapter/stepfunctions/history"
	"github.com/orion-oss/orion/internal/api"
	"github.com/orion-oss/orion/internal/platform/boot"
	"github.com/orion-oss/orion/internal/story"
	"github.com/orion-oss/orion/internal/web"
)

func main() {
	log := boot.Logger()
	cfg := boot.AWS(log)
	db, tables := dynamodb.NewFromConfig(cfg), boot.Tables(log)
	t := story.Teller{
		Orders: dynamo.NewOrderRepository(db, tables),
		Events: storyread.Events{DB: db, Outbox: tables.Outbox},
		Runs: history.Runs{SFN: sfn.NewFromConfig(cfg), Machines: []history.Machine{
			{Label: "saga", ARN: boot.Require(log, "ORDER_SAGA_ARN")},
			{Label: "cancellation", ARN: boot.Require(log, "ORDER_CANCELLATION_ARN")},
		}},
		Emails: storyread.Emails{DB: db, Inbox: boot.Require(log, "PROCESSED_EVENTS_TABLE")},
	}
	lambda.Start(web.Lambda(log, api.GetOrderStory{Teller: t}.Serve))
}
