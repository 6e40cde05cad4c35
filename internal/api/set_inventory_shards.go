package api

import (
	"context"
	"net/http"

	"github.com/orion-oss/orion/internal/command"
	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/validation"
	"github.com/orion-oss/orion/internal/web"
)

type shardsRequest struct {
	Shards *int64 `json:"shards"`
}

// ShardsView is how an admin sees a SKU's stock split over shards (docs/hot-sku.md): the totals and
// each shard's counters. Shards is N, the active ones; Span counts the draining ones too.
type ShardsView struct {
	SKU       string      `json:"sku"`
	Shards    int         `json:"shards"`
	Span      int         `json:"span"`
	Available int64       `json:"available"`
	Reserved  int64       `json:"reserved"`
	Sold      int64       `json:"sold"`
	Counters  []ShardView `json:"counters"`
}

// ShardView is one shard's counters (shard 0 is the item itself); Draining shards take reservations
// only when the active ones are short.
type ShardView struct {
	Shard     int   `json:"shard"`
	Available int64 `json:"available"`
	Reserved  int64 `json:"reserved"`
	Sold      int64 `json:"sold"`
	Draining  bool  `json:"draining"`
}

func shardsView(it *inventory.Item) ShardsView {
	v := ShardsView{SKU: string(it.SKU()), Shards: it.Shards(), Span: it.Span(), Available: it.Available().Int64(),
		Reserved: it.Reserved().Int64(), Sold: it.Sold().Int64(), Counters: []ShardView{}}
	for k := range it.Span() {
		if s, ok := it.Shard(k); ok {
			v.Counters = append(v.Counters, ShardView{Shard: k, Available: s.Available.Int64(), Reserved: s.Reserved.Int64(),
				Sold: s.Sold.Int64(), Draining: it.Draining(k)})
		}
	}
	return v
}

// SetInventoryShards is PUT /inventory/{sku}/shards (admin): how many shards the SKU's stock is split
// over, so one SKU can take more orders per second than one DynamoDB item (docs/adr/0021-hot-sku-shards.md).
// Idempotent; 409 when concurrent writers kept winning (the request can be repeated to finish).
type SetInventoryShards struct {
	Handler command.SetInventoryShardsHandler
}

// Serve answers one request.
func (e SetInventoryShards) Serve(ctx context.Context, req web.Request) (web.Response, error) {
	admin, err := web.RequireAdmin(req)
	if err != nil {
		return web.Response{}, err
	}
	sku, err := pathSKU(req)
	if err != nil {
		return web.Response{}, err
	}
	var in shardsRequest
	if err := web.Decode(req, &in); err != nil {
		return web.Response{}, err
	}
	switch {
	case in.Shards == nil:
		return web.Response{}, validation.New("shards", "is required")
	case *in.Shards < 1 || *in.Shards > inventory.MaxShards:
		return web.Response{}, validation.New("shards", "must be between 1 and %d", inventory.MaxShards)
	}
	it, err := e.Handler.Handle(ctx, command.SetInventoryShards{SKU: sku, Shards: int(*in.Shards), Cause: cause(req), Actor: actor(admin)})
	if err != nil {
		return web.Response{}, err
	}
	return web.JSON(http.StatusOK, shardsView(it), nil), nil
}
