// Command apply-fulfilment consumes the fulfilment queue (SQS event source, ReportBatchItemFailures):
// the partner's ShipmentDispatched, ShipmentDelivered and ReturnReceived, checked and applied once
// each through the order commands (fulfilment.Consumer over fulfilment.Commands), the others set aside
// in the rejected or dead-letter queue with their reason.
package main

import (
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/orion-oss/orion/internal/adapter/dynamo"
	"github.com/orion-oss/orion/internal/adapter/sqs"
	"github.com/orion-oss/orion/internal/command"
	"github.com/orion-oss/orion/internal/fulfilment"
	"github.com/orion-oss/orion/internal/platform/boot"
)

func main() {
	log := boot.Logger()
	cfg := boot.AWS(log)
	db, tables, q := dynamodb.NewFromConfig(cfg), boot.Tables(log), awssqs.NewFromConfig(cfg)
	store := dynamo.NewSaga(db, tables)
	maxReceives, err := strconv.Atoi(boot.Require(log, "FULFILMENT_MAX_RECEIVES"))
	if err != nil {
		boot.Fail(log, "FULFILMENT_MAX_RECEIVES", err)
	}
	c := &fulfilment.Consumer{Source: boot.Require(log, "FULFILMENT_SOURCE"), MaxReceives: maxReceives, Now: time.Now, Log: log,
		Applier: fulfilment.Commands{Ship: command.NewShipOrderHandler(store), Deliver: command.NewDeliverOrderHandler(store),
			Receive: command.NewReceiveReturnHandler(store), Orders: dynamo.NewOrderRepository(db, tables)},
		Rejected:    sqs.Queue{API: q, URL: boot.Require(log, "FULFILMENT_REJECTED_QUEUE_URL")},
		DeadLetters: sqs.Queue{API: q, URL: boot.Require(log, "FULFILMENT_DEAD_LETTER_QUEUE_URL")}}
	lambda.Start(c.Handle)
}
