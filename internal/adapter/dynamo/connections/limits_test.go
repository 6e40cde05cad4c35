package connections_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orion-oss/orion/internal/customer"
	"github.com/orion-oss/orion/internal/ws"
)

func live(id string, user customer.ID) ws.Connection {
	now := time.Now().UTC()
	return ws.Connection{ID: id, UserID: user, ConnectedAt: now, ExpiresAt: now.Add(time.Hour)}
}

// Many $connects of one user at once: exactly max get a slot, however they interleave, and the refused
// ones stored nothing.
func TestConnectionsCapHoldsUnderConcurrency(t *testing.T) {
	ctx := context.Background()
	c, _, _ := newConnections(t)
	const max, tries = 5, 30
	var wg sync.WaitGroup
	var mu sync.Mutex
	var ok, refused int
	for i := range tries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := c.Connect(ctx, live(fmt.Sprintf("Race%011d=", i), "racer"), max)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, ws.ErrTooManyConnections):
				refused++
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	conns, err := c.OfUser(ctx, "racer")
	if err != nil {
		t.Fatal(err)
	}
	slots, _ := c.Slots(ctx, "racer")
	if ok != max || refused != tries-max || len(conns) != max || len(slots) != max {
		t.Fatalf("%d connected, %d refused, %d stored, %d slots; want %d, %d, %d, %d", ok, refused, len(conns), len(slots), max, tries-max, max, max)
	}
}

// A slot is released once however often $disconnect (or the sweeper, or a 410 push) runs; a $connect
// run again keeps one slot; a slot whose connection vanished without $disconnect is freed at the cap.
func TestConnectionsSlotsAreReleasedOnce(t *testing.T) {
	ctx := context.Background()
	c, db, table := newConnections(t)
	const max = 2
	a, b := live("SlotA000000000=", "slotter"), live("SlotB000000000=", "slotter")
	for _, x := range []ws.Connection{a, b, a} { // a twice: a retried $connect
		if err := c.Connect(ctx, x, max); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Connect(ctx, live("SlotC000000000=", "slotter"), max); !errors.Is(err, ws.ErrTooManyConnections) {
		t.Fatalf("third connection: %v", err)
	}
	for range 3 {
		if err := c.Delete(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
	}
	if slots, _ := c.Slots(ctx, "slotter"); !slices.Equal(slots, []string{b.ID}) {
		t.Fatalf("slots after three deletes of one: %v", slots)
	}
	if err := c.Connect(ctx, live("SlotC000000000=", "slotter"), max); err != nil {
		t.Fatal(err)
	}
	// b vanishes without $disconnect: its row expires (TTL) while its slot stays.
	if _, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table),
		Key: map[string]ddbtypes.AttributeValue{"connectionId": &ddbtypes.AttributeValueMemberS{Value: b.ID}}}); err != nil {
		t.Fatal(err)
	}
	// c's row says it expired: its slot is stale too, though the row is still there (TTL is late).
	expired := live("SlotC000000000=", "slotter")
	expired.ExpiresAt = time.Now().Add(-time.Second)
	if err := c.Put(ctx, expired); err != nil {
		t.Fatal(err)
	}
	d, e := live("SlotD000000000=", "slotter"), live("SlotE000000000=", "slotter")
	for _, x := range []ws.Connection{d, e} {
		if err := c.Connect(ctx, x, max); err != nil {
			t.Fatalf("connect at the cap with stale slots: %v", err)
		}
	}
	slots, _ := c.Slots(ctx, "slotter")
	slices.Sort(slots)
	if !slices.Equal(slots, []string{d.ID, e.ID}) {
		t.Fatalf("slots %v; want the two live ones", slots)
	}
}

// One connection may mute at most ws.MaxMuted orders and watch at most ws.MaxWatches topics; past them
// nothing changes, and re-muting or re-watching what it has is fine.
func TestConnectionsSubscriptionBounds(t *testing.T) {
	ctx := context.Background()
	c, _, _ := newConnections(t)
	conn := live("Bounded0000000=", "bounded")
	conn.Admin = true
	if err := c.Connect(ctx, conn, 1); err != nil {
		t.Fatal(err)
	}
	for i := range ws.MaxMuted {
		if err := c.Mute(ctx, conn.ID, fmt.Sprint("order-", i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Mute(ctx, conn.ID, "order-x"); !errors.Is(err, ws.ErrSubscriptionLimit) {
		t.Fatalf("mute past the bound: %v", err)
	}
	if err := c.Mute(ctx, conn.ID, "order-0"); err != nil {
		t.Fatalf("mute again: %v", err)
	}
	for i := range ws.MaxWatches {
		if err := c.Watch(ctx, conn.ID, fmt.Sprint("order:", i), conn.ExpiresAt); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Watch(ctx, conn.ID, "all", conn.ExpiresAt); !errors.Is(err, ws.ErrSubscriptionLimit) {
		t.Fatalf("watch past the bound: %v", err)
	}
	if err := c.Watch(ctx, conn.ID, "order:0", conn.ExpiresAt); err != nil {
		t.Fatalf("watch again: %v", err)
	}
	got, _ := c.Get(ctx, conn.ID)
	if len(got.Muted) != ws.MaxMuted || got.Mutes("order-x") {
		t.Fatalf("%d muted", len(got.Muted))
	}
	if w, _ := c.Watchers(ctx, "all"); len(w) != 0 {
		t.Fatalf("the refused watch was stored: %v", w)
	}
	if err := c.Mute(ctx, "Missing0000000=", "order-1"); !errors.Is(err, ws.ErrNoConnection) {
		t.Fatalf("mute of a missing connection: %v", err)
	}
}

// The sweeper's queries: expired connections of both kinds, and every admin connection.
func TestConnectionsExpiredAndAdmins(t *testing.T) {
	ctx := context.Background()
	c, _, _ := newConnections(t)
	now := time.Now().UTC()
	put := func(id string, admin bool, exp time.Time) {
		if err := c.Put(ctx, ws.Connection{ID: id, UserID: customer.ID("u-" + id), Admin: admin, ConnectedAt: now, ExpiresAt: exp}); err != nil {
			t.Fatal(err)
		}
	}
	put("Live0000000000=", false, now.Add(time.Minute))
	put("Old00000000000=", false, now.Add(-time.Minute))
	put("AdminLive00000=", true, now.Add(time.Minute))
	put("AdminOld000000=", true, now.Add(-time.Second))
	ids := func(cs []ws.Connection) []string {
		var out []string
		for _, x := range cs {
			out = append(out, x.ID)
		}
		slices.Sort(out)
		return out
	}
	exp, err := c.Expired(ctx, now)
	if got := ids(exp); err != nil || !slices.Equal(got, []string{"AdminOld000000=", "Old00000000000="}) {
		t.Fatalf("expired %v %v", got, err)
	}
	adm, err := c.Admins(ctx)
	if got := ids(adm); err != nil || !slices.Equal(got, []string{"AdminLive00000=", "AdminOld000000="}) {
		t.Fatalf("admins %v %v", got, err)
	}
}
