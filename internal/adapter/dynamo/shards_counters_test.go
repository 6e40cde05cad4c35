package dynamo_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
	"github.com/orion-oss/orion/internal/adapter/dynamo"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/order"
)

// transactions watches a client's TransactWriteItems: how many were cancelled because a condition
// failed, and, when loseNext is set, the answer of the next one that succeeds is lost (the write
// landed, the caller sees an error), as a Lambda timing out after its write would.
type transactions struct {
	conditionFailed atomic.Int64
	loseNext        atomic.Bool
}

var errAnswerLost = errors.New("test: the answer of a TransactWriteItems that landed was lost")

func (tx *transactions) client(t *testing.T) *dynamodb.Client {
	return dynamodb.NewFromConfig(awstest.Config(t), func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
			return s.Initialize.Add(middleware.InitializeMiddlewareFunc("orion-tx", func(ctx context.Context, in middleware.InitializeInput,
				next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				out, md, err := next.HandleInitialize(ctx, in)
				if _, ok := in.Parameters.(*dynamodb.TransactWriteItemsInput); !ok {
					return out, md, err
				}
				var tc *ddbtypes.TransactionCanceledException
				if errors.As(err, &tc) {
					for _, r := range tc.CancellationReasons {
						if aws.ToString(r.Code) == "ConditionalCheckFailed" {
							tx.conditionFailed.Add(1)
							break
						}
					}
				}
				if err == nil && tx.loseNext.CompareAndSwap(true, false) {
					return out, md, errAnswerLost
				}
				return out, md, err
			}), middleware.After)
		})
	})
}

// ordersStartingAt places one-unit orders of sku until want of them start their reservation at shard
// k of n (inventory.StartShard): orders that a sale sends to one shard.
func ordersStartingAt(t *testing.T, orders *dynamo.OrderRepository, sku string, k, n, want int) []order.ID {
	t.Helper()
	var out []order.ID
	for len(out) < want {
		id := placeOrder(t, orders, line(t, sku, 1))
		if inventory.StartShard(string(id), n) == k {
			out = append(out, id)
		}
	}
	return out
}

// concurrently runs step for every order, 16 at a time, as the state machine's Retry would.
func concurrently(step func(order.ID), ids []order.ID) {
	var wg sync.WaitGroup
	work := make(chan order.ID)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range work {
				step(id)
			}
		}()
	}
	for _, id := range ids {
		work <- id
	}
	close(work)
	wg.Wait()
}

// Reservations that all read one shard at the same moment land without cancelling each other while
// it holds the units (their writes are conditional on its available units, not on its version), and
// past its last unit they walk on: exactly the stock is reserved, every shard accounting for its orders.
func TestConcurrentReservationsOnOneShardAllLand(t *testing.T) {
	f := newSagaFixture(t, nil)
	shardedSKU(t, f.items, "ONE-S", 60, 2) // 30 units on each shard
	tx := &transactions{}
	saga := dynamo.NewSaga(tx.client(t), f.tables)
	reserve := stockStep(saga, order.ReserveStock)
	// The container learns the SKU is sharded (its first step reads the item) from an order of shard 2.
	untilSettled(t, reserve, ordersStartingAt(t, f.orders, "ONE-S", 1, 2, 1)[0])
	tx.conditionFailed.Store(0)

	first := ordersStartingAt(t, f.orders, "ONE-S", 0, 2, 24) // 24 of shard 1's 30 units
	concurrently(func(id order.ID) { untilSettled(t, reserve, id) }, first)
	if n := tx.conditionFailed.Load(); n != 0 {
		t.Fatalf("%d reservations of a shard holding the units were cancelled for a condition", n)
	}
	it := checkShards(t, f.db, f.tables, "ONE-S", 60)
	if s, _ := it.Shard(1); s.Reserved != 24 || s.Available != 6 {
		t.Fatalf("shard 1: available %d reserved %d; want 6 and 24", s.Available, s.Reserved)
	}
	// 40 more on 6 + 29 units: exactly 35 are reserved, whichever shard the race leaves them.
	rest := ordersStartingAt(t, f.orders, "ONE-S", 0, 2, 40)
	concurrently(func(id order.ID) { untilSettled(t, reserve, id) }, rest)
	statuses := map[order.Status]int{}
	for _, id := range rest {
		o, err := f.orders.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		statuses[o.Status()]++
	}
	it = checkShards(t, f.db, f.tables, "ONE-S", 60)
	if statuses[order.Reserved] != 35 || statuses[order.Rejected] != 5 || it.Available() != 0 || it.Reserved() != 60 {
		t.Fatalf("statuses %v; SKU available %d reserved %d", statuses, it.Available(), it.Reserved())
	}
}

// A step whose write landed but whose answer was lost is retried (the state machine's Retry): the
// retry finds the order moved and moves no unit again, for a reservation and for a commit, both
// written conditional on the counters.
func TestAStepRetriedAfterItsWriteLandedMovesNothing(t *testing.T) {
	f := newSagaFixture(t, nil)
	shardedSKU(t, f.items, "AGAIN-S", 20, 4)
	tx := &transactions{}
	saga := dynamo.NewSaga(tx.client(t), f.tables)
	reserve, confirm := stockStep(saga, order.ReserveStock), stockStep(saga, order.ConfirmStock)
	untilSettled(t, reserve, placeOrder(t, f.orders, line(t, "AGAIN-S", 1))) // the container learns the sharding

	id := placeOrder(t, f.orders, line(t, "AGAIN-S", 3))
	for _, s := range []struct {
		name string
		step func(context.Context, order.ID, event.Cause) (*order.Order, error)
		want order.Status
	}{{"reserve", reserve, order.Reserved}, {"confirm", confirm, order.Confirmed}} {
		if s.want == order.Confirmed {
			f.authorize(id)
		}
		tx.loseNext.Store(true)
		if _, err := s.step(context.Background(), id, cause); !errors.Is(err, errAnswerLost) {
			t.Fatalf("%s: %v; want the lost answer", s.name, err)
		}
		for range 2 { // the retry, and one more
			if o := untilSettled(t, s.step, id); o.Status() != s.want {
				t.Fatalf("%s retried: %s", s.name, o.Status())
			}
		}
	}
	it := checkShards(t, f.db, f.tables, "AGAIN-S", 20)
	if it.Sold() != 3 || it.Reserved() != 1 || it.Available() != 16 {
		t.Fatalf("available %d reserved %d sold %d; want 16, 1, 3", it.Available(), it.Reserved(), it.Sold())
	}
}

// An admin grows then shrinks a SKU's shards while a sale reserves on them: both changes finish (no
// 409: the rebalance's transfers are conditional on the giving shard's available units, not on versions
// the sale keeps moving), every order is reserved once and the stock stays exact.
func TestRebalanceUnderASaleKeepsTheStockExact(t *testing.T) {
	f := newSagaFixture(t, nil)
	shardedSKU(t, f.items, "REB-S", 400, 4)
	reserve := stockStep(f.saga, order.ReserveStock)
	untilSettled(t, reserve, placeOrder(t, f.orders, line(t, "REB-S", 1)))
	ids := make([]order.ID, 120)
	for i := range ids {
		ids[i] = placeOrder(t, f.orders, line(t, "REB-S", 1))
	}
	admin := make(chan error, 1)
	go func() {
		if _, err := setShards(f.items, "REB-S", 8); err != nil {
			admin <- err
			return
		}
		_, err := setShards(f.items, "REB-S", 3)
		admin <- err
	}()
	concurrently(func(id order.ID) { untilSettled(t, reserve, id) }, ids)
	if err := <-admin; err != nil {
		t.Fatalf("changing the shards under a sale: %v", err)
	}
	it := checkShards(t, f.db, f.tables, "REB-S", 400)
	if it.Reserved() != 121 || it.Available() != 279 || it.Shards() != 3 {
		t.Fatalf("%d shards, available %d reserved %d; want 3, 279, 121", it.Shards(), it.Available(), it.Reserved())
	}
	// Once the sale is quiet a repeat finishes the drain: draining shards keep only their orders' units.
	if it, err := setShards(f.items, "REB-S", 3); err != nil {
		t.Fatal(err)
	} else {
		for k := range it.Span() {
			if s, _ := it.Shard(k); it.Draining(k) && s.Available != 0 {
				t.Fatalf("draining shard %d still holds %d available units", k, s.Available)
			}
		}
	}
	checkShards(t, f.db, f.tables, "REB-S", 400)
}
