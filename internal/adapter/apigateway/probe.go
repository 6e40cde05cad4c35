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

// Prober is the ws.Prober over the Management API: GetConnection (GET @connections/{id}).
type Prober struct {
	Client *apigatewaymanagementapi.Client
}

var _ ws.Prober = Prober{}

// Alive reports whether API Gateway holds the connection; 410 GoneException means it does not.
func (m Prober) Alive(ctx context.Context, connID string) (bool, error) {
	_, err := m.Client.GetConnection(ctx, &apigatewaymanagementapi.GetConnectionInput{ConnectionId: aws.String(connID)})
	var gone *types.GoneException
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &gone):
		return false, nil
	}
	return false, fmt.Errorf("apigateway: get connection %s: %w", connID, err)
}
