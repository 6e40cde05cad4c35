package api

import (
	"context"
	"net/http"

	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/story"
	"github.com/orion-oss/orion/internal/web"
)

// StoryTeller tells an order's story (story.Teller).
type StoryTeller interface {
	Tell(ctx context.Context, id order.ID) (story.Story, error)
}

// GetOrderStory is GET /orders/{orderId}/story (admin): the order's statuses, events, saga steps and
// recorded emails in time order, at most story.MaxEntries (truncated says so). The console draws it
// (docs/console.md). A customer gets 403, as on the other admin routes: the route's existence is public
// (docs/openapi.yaml), an order's story is not. Never cached (web.Lambda's Cache-Control: no-store).
type GetOrderStory struct {
	Teller StoryTeller
}

// Serve answers one request.
func (e GetOrderStory) Serve(ctx context.Context, req web.Request) (web.Response, error) {
	if _, err := web.RequireAdmin(req); err != nil {
		return web.Response{}, err
	}
	id, err := pathOrderID(req)
	if err != nil {
		return web.Response{}, err
	}
	s, err := e.Teller.Tell(ctx, id)
	if err != nil {
		return web.Response{}, err
	}
	return web.JSON(http.StatusOK, s, nil), nil
}
