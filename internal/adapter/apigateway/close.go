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

// Closer is the ws.Closer over the Management API: DeleteConnection (DELETE @connections/{id}), which
// closes the socket and runs the API's $disconnect route.
type Closer struct {
	Client *apigatewaymanagementapi.Client
}

var _ ws.Closer = Closer{}

// Close ends the connection; ws.ErrGone if API Gateway no longer knows it (410 GoneException).
func (m Closer) Close(ctx context.Context, connID string) error {
	_, err := m.Client.DeleteConnection(ctx, &apigatewaymanagementapi.DeleteConnectionInput{ConnectionId: aws.String(connID)})
	var gone *types.GoneException
	switch {
	case err == nil:
		return nil
	case errors.As(err, &gone):
		return fmt.Errorf("%w: %s", ws.ErrGone, connID)
	}
	return fmt.Errorf("apigateway: delete connection %s: %w", connID, err)
}
