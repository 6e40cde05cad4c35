// Command request-return serves POST /orders/{orderId}/returns: api.RequestReturn over
// command.RequestReturnHandler, with the return window of RETURN_WINDOW_DAYS (template parameter
// ReturnWindowDays).
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/orion-oss/orion/internal/adapter/dynamo"
	"github.com/orion-oss/orion/internal/api"
	"github.com/orion-oss/orion/internal/command"
	"github.com/orion-oss/orion/internal/platform/boot"
	"github.com/orion-oss/orion/internal/web"
)

func main() {
	log := boot.Logger()
	window := command.DefaultReturnWindow
	if s := os.Getenv("RETURN_WINDOW_DAYS"); s != "" {
		days, err := strconv.Atoi(s)
		if err != nil || days < 1 || days > 3650 {
			boot.Fail(log, "return window", fmt.Errorf("RETURN_WINDOW_DAYS %q must be a whole number of days from 1 to 3650", s))
		}
		window = time.Duration(days) * 24 * time.Hour
	}
	h := command.NewRequestReturnHandler(dynamo.NewOrderRepository(dynamodb.NewFromConfig(boot.AWS(log)), boot.Tables(log)), window)
	lambda.Start(web.Lambda(log, api.RequestReturn{Handler: h}.Serve))
}
