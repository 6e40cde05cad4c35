// Package apigateway is the notifier's adapter to the API Gateway Management API: ws.Poster, a post to
// one connection. It is apart from package ws so that only the notifier links the Management API
// client; the $connect, $disconnect and message functions never post, and each client linked costs
// every cold start its endpoint tables.
package apigateway

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi/types"

	"github.com/orion-oss/orion/internal/ws"
)

// NewManagementClient builds the Management API client. The API has no regional endpoint: it is
// served per API and stage (https://{api-id}.execute-api.{region}.amazonaws.com/{stage}), which the
// template passes to the function. An endpoint the SDK configuration already names wins
// (AWS_ENDPOINT_URL or AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI, see internal/platform/awscfg): that
// is how the local runtime points the same code at its own gateway.
func NewManagementClient(cfg aws.Config, endpoint string) *apigatewaymanagementapi.Client {
	return apigatewaymanagementapi.NewFromConfig(cfg, func(o *apigatewaymanagementapi.Options) {
		if o.BaseEndpoint == nil {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})
}

// Poster is the ws.Poster over the Management API.
type Poster struct {
	Client *apigatewaymanagementapi.Client
}

var _ ws.Poster = Poster{}

// Post sends data as one text message to the connection.
func (m Poster) Post(ctx context.Context, connID string, data []byte) error {
	_, err := m.Client.PostToConnection(ctx, &apigatewaymanagementapi.PostToConnectionInput{ConnectionId: aws.String(connID), Data: data})
	var gone *types.GoneException
	switch {
	case err == nil:
		return nil
	case errors.As(err, &gone):
		return fmt.Errorf("%w: %s", ws.ErrGone, connID)
	}
	return fmt.Errorf("apigateway: post to %s: %w", connID, err)
}
