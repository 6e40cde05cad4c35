package connections_test

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orion-oss/orion/internal/customer"
	"github.com/orion-oss/orion/internal/ws"
)

// expireByTTL does what DynamoDB's TTL may do at the earliest: delete every item whose TTL attribute
// (the table's, as the template set it) holds a time before now. AWS: "If the epoch time value stored in
// the attribute is less than the current time, the item is marked as expired and subsequently deleted"
// (API_UpdateTimeToLive); when is up to DynamoDB, typically within a few days, possibly at once. The
// emulator deletes nothing by itself, so the test does it, with the real SDK.
func expireByTTL(t *testing.T, db *dynamodb.Client, table string, now time.Time) (attr string, deleted []string) {
	t.Helper()
	ctx := context.Background()
	desc, err := db.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatal(err)
	}
	if desc.TimeToLiveDescription == nil || desc.TimeToLiveDescription.TimeToLiveStatus != ddbtypes.TimeToLiveStatusEnabled {
		t.Fatalf("TTL not enabled on the connections table: %+v", desc.TimeToLiveDescription)
	}
	attr = aws.ToString(desc.TimeToLiveDescription.AttributeName)
	out, err := db.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range out.Items {
		n, ok := it[attr].(*ddbtypes.AttributeValueMemberN)
		if !ok {
			continue // no TTL attribute: never expires
		}
		if v, err := strconv.ParseInt(n.Value, 10, 64); err != nil || v >= now.Unix() {
			continue
		}
		key := map[string]ddbtypes.AttributeValue{"connectionId": it["connectionId"]}
		if _, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: key}); err != nil {
			t.Fatal(err)
		}
		deleted = append(deleted, it["connectionId"].(*ddbtypes.AttributeValueMemberS).Value)
	}
	return attr, deleted
}

// sortKey is the range key of one of the table's indexes, as the template declared it.
func sortKey(t *testing.T, db *dynamodb.Client, table, index string) string {
	t.Helper()
	out, err := db.DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatal(err)
	}
	for _, gsi := range out.Table.GlobalSecondaryIndexes {
		for _, k := range gsi.KeySchema {
			if aws.ToString(gsi.IndexName) == index && k.KeyType == ddbtypes.KeyTypeRange {
				return aws.ToString(k.AttributeName)
			}
		}
	}
	t.Fatalf("no index %s with a sort key", index)
	return ""
}

type closer struct {
	mu     sync.Mutex
	closed []string
}

func (c *closer) Close(ctx context.Context, id string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = append(c.closed, id)
	return nil
}

type admins map[customer.ID]bool

func (a admins) IsAdmin(ctx context.Context, user customer.ID) (bool, error) { return a[user], nil }

// A connection can no longer outlive its token through TTL: with TTL on the sweep key, DynamoDB was free
// to delete the row of a connection whose token had just expired, the row left ByExpiry with it, and
// the sweeper never ended the connection, which then lived to API Gateway's 2 hours. Here TTL deletes
// all it may, as early as it may, and the sweeper still ends every expired connection, user and admin,
// each watched by an admin and pushed to once (every kind of row).
func TestConnectionsTTLLeavesExpiredConnectionsToTheSweeper(t *testing.T) {
	ctx := context.Background()
	c, db, table := newConnections(t)
	now := time.Now().UTC()
	expired := []ws.Connection{
		{ID: "TTLUser0000000=", UserID: "ttl-user", ConnectedAt: now.Add(-10 * time.Minute), ExpiresAt: now.Add(-time.Minute)},
		{ID: "TTLAdmin000000=", UserID: "ttl-admin", Admin: true, ConnectedAt: now.Add(-time.Hour), ExpiresAt: now.Add(-time.Second)},
	}
	for _, x := range expired {
		if err := c.Connect(ctx, x, ws.MaxConnectionsPerUser); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Watch(ctx, expired[1].ID, "all", expired[1].ExpiresAt); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := c.Claim(ctx, expired[0].ID, "order-1", 1); err != nil || !ok {
		t.Fatalf("claim: %v %v", ok, err)
	}

	attr, deleted := expireByTTL(t, db, table, now)
	if key := sortKey(t, db, table, "ByExpiry"); attr == key {
		t.Errorf("the table's TTL attribute is the sweep key %q", attr)
	}
	if len(deleted) > 0 {
		t.Errorf("TTL may delete %v before the sweeper ends them", deleted)
	}

	cl := &closer{}
	res, err := ws.Sweeper{Store: c, Closer: cl, Groups: admins{"ttl-admin": true}, Now: func() time.Time { return now }}.Sweep(ctx)
	slices.Sort(cl.closed)
	if err != nil || res.Expired != 2 || !slices.Equal(cl.closed, []string{"TTLAdmin000000=", "TTLUser0000000="}) {
		t.Fatalf("swept %+v, closed %v, %v; want both expired connections ended", res, cl.closed, err)
	}
	for _, x := range expired {
		if slots, _ := c.Slots(ctx, x.UserID.String()); len(slots) != 0 {
			t.Fatalf("%s still holds slots %v", x.UserID, slots)
		}
	}
}

// Every row carries the TTL attribute, and no row's TTL comes before the end of the longest connection
// (API Gateway's 2 hours from its start): TTL only ever collects what is left behind.
func TestConnectionsEveryRowOutlivesItsConnection(t *testing.T) {
	ctx := context.Background()
	c, db, table := newConnections(t)
	now := time.Now().UTC()
	conn := ws.Connection{ID: "Rows0000000000=", UserID: "rows", Admin: true, ConnectedAt: now, ExpiresAt: now.Add(time.Second)}
	if err := c.Connect(ctx, conn, 1); err != nil {
		t.Fatal(err)
	}
	if err := c.Watch(ctx, conn.ID, "all", conn.ExpiresAt); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Claim(ctx, conn.ID, "order-1", 1); err != nil {
		t.Fatal(err)
	}
	if _, deleted := expireByTTL(t, db, table, now.Add(ws.ConnectionLifetime)); len(deleted) > 0 {
		t.Fatalf("TTL may delete %v within the connection's 2 hours", deleted)
	}
	attr, _ := expireByTTL(t, db, table, now)
	out, err := db.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true)})
	if err != nil || len(out.Items) != 4 { // connection, slots, watch, push
		t.Fatalf("%d rows, %v", len(out.Items), err)
	}
	for _, it := range out.Items {
		if _, ok := it[attr].(*ddbtypes.AttributeValueMemberN); !ok {
			t.Fatalf("row without %s (never collected): %v", attr, it)
		}
	}
}
