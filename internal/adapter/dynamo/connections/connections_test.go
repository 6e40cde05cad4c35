package connections_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
	"github.com/orion-oss/orion/internal/adapter/dynamo/connections"
	"github.com/orion-oss/orion/internal/adapter/dynamo/dynamotest"
	"github.com/orion-oss/orion/internal/ws"
)

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

func newConnections(t *testing.T) (*connections.Store, *dynamodb.Client, string) {
	t.Helper()
	db, table := dynamodb.NewFromConfig(awstest.Config(t)), dynamotest.Table(t, "ConnectionsTable")
	return connections.NewStore(db, table), db, table
}

func count(t *testing.T, db *dynamodb.Client, table string) int {
	t.Helper()
	out, err := db.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	return len(out.Items)
}

func TestConnectionsLifecycle(t *testing.T) {
	ctx := context.Background()
	c, db, table := newConnections(t)
	now := time.Now().UTC().Truncate(time.Millisecond)
	conn := ws.Connection{ID: "JC1dgf9yoAMCK-g=", UserID: "cust-1", ConnectedAt: now, ExpiresAt: now.Add(ws.ConnectionLifetime)}
	admin := ws.Connection{ID: "AdminConn0000A=", UserID: "adm-1", Admin: true, ConnectedAt: now, ExpiresAt: now.Add(ws.ConnectionLifetime)}
	for _, x := range []ws.Connection{conn, admin, {ID: "Second000000A=", UserID: "cust-1", ConnectedAt: now, ExpiresAt: now.Add(time.Hour)}} {
		if err := c.Put(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	got, err := c.Get(ctx, conn.ID)
	if err != nil || got.UserID != "cust-1" || got.Admin || !got.ConnectedAt.Equal(now) || got.ExpiresAt.Unix() != conn.ExpiresAt.Unix() {
		t.Fatalf("get: %+v %v", got, err)
	}
	if _, err := c.Get(ctx, "missing"); !errors.Is(err, ws.ErrNoConnection) {
		t.Fatalf("missing: %v", err)
	}

	// Mute and unmute show on the connection and in the index.
	if err := c.Mute(ctx, conn.ID, "order-1"); err != nil {
		t.Fatal(err)
	}
	conns, err := c.OfUser(ctx, "cust-1")
	if err != nil || len(conns) != 2 {
		t.Fatalf("of user: %+v %v", conns, err)
	}
	for _, x := range conns {
		if x.ID == conn.ID && !x.Mutes("order-1") {
			t.Fatalf("not muted: %+v", x)
		}
	}
	if err := c.Unmute(ctx, conn.ID, "order-1"); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.Get(ctx, conn.ID); got.Mutes("order-1") {
		t.Fatal("still muted")
	}
	if err := c.Mute(ctx, "missing", "order-1"); !errors.Is(err, ws.ErrNoConnection) {
		t.Fatalf("mute of a missing connection: %v", err)
	}

	// Watches: found through ByWatch, refused for a missing connection, removed by Unwatch or Delete.
	for _, topic := range []string{"all", "order:order-9"} {
		if err := c.Watch(ctx, admin.ID, topic, admin.ExpiresAt); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Watch(ctx, "missing", "all", admin.ExpiresAt); !errors.Is(err, ws.ErrNoConnection) {
		t.Fatalf("watch by a missing connection: %v", err)
	}
	ws1, err := c.Watchers(ctx, "all", "order:order-9")
	sort.Slice(ws1, func(i, j int) bool { return ws1[i].Topic < ws1[j].Topic })
	until := time.Unix(admin.ExpiresAt.Unix(), 0).UTC() // the notifier skips the watchers past it
	if err != nil || !slices.Equal(ws1, []ws.Watcher{{ConnectionID: admin.ID, Topic: "all", ExpiresAt: until}, {ConnectionID: admin.ID, Topic: "order:order-9", ExpiresAt: until}}) {
		t.Fatalf("watchers: %v %v", ws1, err)
	}
	if only, _ := c.Watchers(ctx, "order:order-1"); len(only) != 0 {
		t.Fatalf("watchers of an unwatched topic: %v", only)
	}
	// A batch's orders: more topics than a FilterExpression's IN takes (100), in one query.
	many := []string{"all"}
	for i := range 150 {
		many = append(many, fmt.Sprintf("order:order-%d", i))
	}
	if got, err := c.Watchers(ctx, many...); err != nil || len(got) != 2 {
		t.Fatalf("watchers of 151 topics: %v %v", got, err)
	}
	if err := c.Unwatch(ctx, admin.ID, "order:order-9"); err != nil {
		t.Fatal(err)
	}
	if ids, _ := c.Watchers(ctx, "order:order-9"); len(ids) != 0 {
		t.Fatalf("unwatched topic still has %v", ids)
	}
	before := count(t, db, table)
	if err := c.Delete(ctx, admin.ID); err != nil {
		t.Fatal(err)
	}
	if ids, _ := c.Watchers(ctx, "all"); len(ids) != 0 {
		t.Fatalf("a deleted connection still watches: %v", ids)
	}
	if after := count(t, db, table); after != before-2 { // the connection and its one remaining watch
		t.Fatalf("%d rows left of %d", after, before)
	}
	// Deleting again, or what never existed, is no error; a bad id is refused before any call.
	if err := c.Delete(ctx, admin.ID, "all"); err != nil {
		t.Fatal(err)
	}
	if err := c.Put(ctx, ws.Connection{ID: "a#b", UserID: "x"}); err == nil {
		t.Fatal("an id with # was stored")
	}
	// Every row expires (TTL): TestConnectionsEveryRowOutlivesItsConnection.
}

// The push guard: one conditional write per (connection, order) refuses duplicates and older versions,
// under concurrency too, and Unclaim gives a failed push back. No lease, no second write: the
// notifier's stream orders an order's pushes (docs/adr/0026).
func TestConnectionsPushGuard(t *testing.T) {
	ctx := context.Background()
	c, _, _ := newConnections(t)
	claim := func(version int64) (int64, bool) {
		t.Helper()
		prev, ok, err := c.Claim(ctx, "Conn00000000A=", "order-1", version)
		if err != nil {
			t.Fatal(err)
		}
		return prev, ok
	}
	steps := []struct {
		version int64
		prev    int64
		ok      bool
	}{{1, 0, true}, {1, 0, false}, {3, 1, true}, {2, 0, false}, {3, 0, false}, {4, 3, true}}
	for _, st := range steps {
		if prev, ok := claim(st.version); ok != st.ok || (ok && prev != st.prev) {
			t.Fatalf("claim v%d: prev %d ok %v; want %d %v", st.version, prev, ok, st.prev, st.ok)
		}
	}
	// A failed push of v5 is undone, so the retry claims it again.
	if _, ok := claim(5); !ok {
		t.Fatal("v5 not claimed")
	}
	if err := c.Unclaim(ctx, "Conn00000000A=", "order-1", 5, 4); err != nil {
		t.Fatal(err)
	}
	if prev, ok := claim(5); !ok || prev != 4 {
		t.Fatalf("retry of v5: %d %v", prev, ok)
	}
	// Undoing a claim that a newer one replaced changes nothing.
	if err := c.Unclaim(ctx, "Conn00000000A=", "order-1", 4, 3); err != nil {
		t.Fatal(err)
	}
	if _, ok := claim(5); ok {
		t.Fatal("v5 claimed twice")
	}
	// The first claim of an order undone leaves no row: the retry is again a first claim.
	if _, ok, _ := c.Claim(ctx, "Conn00000000A=", "order-2", 1); !ok {
		t.Fatal("order-2 v1 not claimed")
	}
	if err := c.Unclaim(ctx, "Conn00000000A=", "order-2", 1, 0); err != nil {
		t.Fatal(err)
	}
	if prev, ok, _ := c.Claim(ctx, "Conn00000000A=", "order-2", 1); !ok || prev != 0 {
		t.Fatal("order-2 v1 not claimable after undo")
	}

	// Twenty concurrent deliveries of the same event: exactly one claims it.
	var wg sync.WaitGroup
	var mu sync.Mutex
	var wins []int
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, ok, err := c.Claim(ctx, "Conn00000000B=", "order-1", 7)
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				wins = append(wins, i)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	sort.Ints(wins)
	if len(wins) != 1 {
		t.Fatalf("%d concurrent claims won: %v", len(wins), wins)
	}
}
