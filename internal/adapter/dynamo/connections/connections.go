// Package connections is the DynamoDB adapter of the WebSocket connections (internal/ws's
// ConnectionStore and NotifyStore). It is apart from package dynamo because it needs package ws, and
// with it the API Gateway Management API client and the token verifier: only the WebSocket functions
// link those, not every function that uses DynamoDB.
package connections

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orion-oss/orion/internal/customer"
	"github.com/orion-oss/orion/internal/ws"
)

// Store is the WebSocket connections table (template.yaml ConnectionsTable). Its key is
// connectionId; three kinds of rows share it, told apart by the key's shape:
//
//   - <connectionId>: the connection, with userId (index ByUser), admin, connectedAt, the orders it
//     muted and the topics it watches.
//   - watch#<topic>#<connectionId>: a subscription of an admin's connection to a topic ("all", or
//     "order:<id>"), with topic, target = the connection, and watch = "watch": every subscription sits
//     in one partition of the index ByWatch, so that the notifier finds the watchers of both of an
//     event's topics with one query (admins and their subscriptions are few).
//   - push#<connectionId>#<orderId>: the last order version pushed to the connection, the guard that
//     keeps pushes free of duplicates and in order. One small row per (connection, order) rather than
//     a map on the connection row, which an admin watching all orders would grow past 400 KB.
//
// Two times, two attributes. expiresAt is when the connection must end (its token's exp, at most API
// Gateway's 2 hours): the ByExpiry sort key the sweeper reads. ttl is the table's TTL attribute, set on
// every row past the longest a connection can live (rowLifetime). They must differ: DynamoDB may delete
// an item any time after its TTL ("typically within a few days", docs.aws.amazon.com/amazondynamodb/
// latest/developerguide/howitworks-ttl.html), and a deleted row leaves the index with it, so with TTL on
// expiresAt a connection whose row went first would never be swept and would live to API Gateway's
// 2 hours on an expired token. TTL only collects what a lost $disconnect left behind.
type Store struct {
	db    *dynamodb.Client
	table string
}

// NewStore builds the store.
func NewStore(db *dynamodb.Client, table string) *Store {
	return &Store{db: db, table: table}
}

var _ interface {
	ws.ConnectionStore
	ws.NotifyStore
} = (*Store)(nil)

// errConnectionID means an id that cannot be part of a row key.
var errConnectionID = errors.New("connections: invalid connection id")

// API Gateway connection ids are 16 characters of URL-safe base64; '#' separates key parts here.
func checkID(parts ...string) error {
	for _, p := range parts {
		if p == "" || len(p) > 256 || strings.Contains(p, "#") {
			return fmt.Errorf("%w: %q", errConnectionID, p)
		}
	}
	return nil
}

// ttlAttr is the table's TTL attribute (template.yaml ConnectionsTable TimeToLiveSpecification). TTL is
// a reserved word in expressions: they name it #ttl (ttlName).
const ttlAttr = "ttl"

var ttlName = map[string]string{"#ttl": ttlAttr}

// ttlMargin keeps a row past the last moment it can matter: API Gateway counts its 2 hours from the
// upgrade, which follows the row's write by up to the 29-second $connect timeout, on a clock that is
// not the function's. The rows are small; a late delete costs nothing.
const ttlMargin = 15 * time.Minute

// ttlOf is the TTL of a row written at t for a connection that must end by until (zero: none known):
// after the connection's 2 hours and after until, plus ttlMargin, so TTL never takes a row the sweeper
// or the notifier still needs.
func ttlOf(t, until time.Time) types.AttributeValue {
	end := t.Add(ws.ConnectionLifetime)
	if until.After(end) {
		end = until
	}
	return connN(end.Add(ttlMargin).Unix())
}

func connKey(pk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"connectionId": &types.AttributeValueMemberS{Value: pk}}
}

func watchKey(topic, id string) string    { return "watch#" + topic + "#" + id }
func pushKey(id, orderID string) string   { return "push#" + id + "#" + orderID }
func connS(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }
func connN(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}
func connSS(v ...string) types.AttributeValue { return &types.AttributeValueMemberSS{Value: v} }

// Put records a connection without taking a slot of its user (Connect does both).
func (c *Store) Put(ctx context.Context, conn ws.Connection) error {
	if err := checkID(conn.ID); err != nil {
		return err
	}
	_, err := c.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(c.table), Item: connItem(conn)})
	if err != nil {
		return fmt.Errorf("connections: put connection %s: %w", conn.ID, err)
	}
	return nil
}

// connItem is a connection's row. sweep puts it in the ByExpiry index, in the partition of its kind, so
// the sweeper finds the expired connections and the admin ones without scanning the table; ttl is
// counted from the connection's start, so TTL leaves the row to the sweeper (see Store).
func connItem(conn ws.Connection) map[string]types.AttributeValue {
	kind := sweepUser
	if conn.Admin {
		kind = sweepAdmin
	}
	start := conn.ConnectedAt
	if start.IsZero() {
		start = time.Now()
	}
	return map[string]types.AttributeValue{
		"connectionId": connS(conn.ID), "userId": connS(conn.UserID.String()), "admin": &types.AttributeValueMemberBOOL{Value: conn.Admin},
		"connectedAt": connS(conn.ConnectedAt.UTC().Format(time.RFC3339Nano)), "expiresAt": connN(conn.ExpiresAt.Unix()),
		"sweep": connS(kind), ttlAttr: ttlOf(start, conn.ExpiresAt),
	}
}

// The partitions of the ByExpiry index.
const (
	sweepUser  = "user"
	sweepAdmin = "admin"
)

// Get reads a connection (strongly consistent); ws.ErrNoConnection if it has no row.
func (c *Store) Get(ctx context.Context, id string) (ws.Connection, error) {
	if err := checkID(id); err != nil {
		return ws.Connection{}, err
	}
	out, err := c.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(c.table), Key: connKey(id), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return ws.Connection{}, fmt.Errorf("connections: get connection %s: %w", id, err)
	}
	if out.Item == nil {
		return ws.Connection{}, fmt.Errorf("%w: %s", ws.ErrNoConnection, id)
	}
	return connection(out.Item)
}

func connection(item map[string]types.AttributeValue) (ws.Connection, error) {
	var conn ws.Connection
	conn.ID = attrS(item, "connectionId")
	user, err := customer.ParseID(attrS(item, "userId"))
	if err != nil {
		return conn, fmt.Errorf("connections: connection %s: %w", conn.ID, err)
	}
	conn.UserID = user
	if b, ok := item["admin"].(*types.AttributeValueMemberBOOL); ok {
		conn.Admin = b.Value
	}
	conn.ConnectedAt, _ = time.Parse(time.RFC3339Nano, attrS(item, "connectedAt"))
	conn.ExpiresAt = time.Unix(intAttr(item, "expiresAt"), 0).UTC()
	if m, ok := item["muted"].(*types.AttributeValueMemberSS); ok {
		conn.Muted = m.Value
	}
	return conn, nil
}

func attrS(item map[string]types.AttributeValue, name string) string {
	if v, ok := item[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func intAttr(item map[string]types.AttributeValue, name string) int64 {
	v, ok := item[name].(*types.AttributeValueMemberN)
	if !ok {
		return 0
	}
	n, _ := strconv.ParseInt(v.Value, 10, 64)
	return n
}

// Delete removes a connection, frees its user's slot, and removes its watch rows: those it recorded
// and the topics given (a watch row found through the index may outlive its connection row). Deleting
// what is not there is no error. The slot goes before the row, which names the user: a run that stops
// in between leaves the row, and the next run ($disconnect, the sweeper, a 410 push) frees the slot
// again, which changes nothing the second time.
func (c *Store) Delete(ctx context.Context, id string, topics ...string) error {
	if err := checkID(id); err != nil {
		return err
	}
	cur, err := c.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(c.table), Key: connKey(id), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return fmt.Errorf("connections: read connection %s: %w", id, err)
	}
	if user := attrS(cur.Item, "userId"); user != "" {
		if err := c.releaseSlots(ctx, user, id); err != nil {
			return err
		}
	}
	out, err := c.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(c.table), Key: connKey(id), ReturnValues: types.ReturnValueAllOld})
	if err != nil {
		return fmt.Errorf("connections: delete connection %s: %w", id, err)
	}
	if w, ok := out.Attributes["watches"].(*types.AttributeValueMemberSS); ok {
		topics = append(topics, w.Value...)
	}
	seen := map[string]bool{}
	for _, t := range topics {
		if seen[t] {
			continue
		}
		seen[t] = true
		if _, err := c.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(c.table), Key: connKey(watchKey(t, id))}); err != nil {
			return fmt.Errorf("connections: delete watch %s of %s: %w", t, id, err)
		}
	}
	return nil
}

// Mute stops pushes of an order's changes to the connection, up to ws.MaxMuted orders per connection
// (ws.ErrSubscriptionLimit past it, and nothing changes): the set lives on the connection row, which
// DynamoDB caps at 400 KB, and a client may mute any id, its own or not.
func (c *Store) Mute(ctx context.Context, id, orderID string) error {
	return c.updateSet(ctx, id, "ADD muted :o", orderID,
		"attribute_exists(connectionId) AND (attribute_not_exists(muted) OR size(muted) < :max OR contains(muted, :v))", ws.MaxMuted)
}

// Unmute resumes pushes of an order's changes to the connection.
func (c *Store) Unmute(ctx context.Context, id, orderID string) error {
	return c.updateSet(ctx, id, "DELETE muted :o", orderID, "attribute_exists(connectionId)", 0)
}

// updateSet runs expr on the connection row under cond. When cond bounds a set (max > 0), a failed
// condition is told apart by reading the row: no row is ws.ErrNoConnection, a row is the bound.
func (c *Store) updateSet(ctx context.Context, id, expr, value, cond string, max int) error {
	if err := checkID(id); err != nil {
		return err
	}
	values := map[string]types.AttributeValue{":o": connSS(value)}
	if max > 0 {
		values[":max"], values[":v"] = connN(int64(max)), connS(value)
	}
	_, err := c.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(c.table), Key: connKey(id),
		UpdateExpression: aws.String(expr), ConditionExpression: aws.String(cond), ExpressionAttributeValues: values})
	var missing *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &missing):
		return c.whyRefused(ctx, id, max)
	case err != nil:
		return fmt.Errorf("connections: update connection %s: %w", id, err)
	}
	return nil
}

// whyRefused tells a missing connection from a full set after a failed condition.
func (c *Store) whyRefused(ctx context.Context, id string, max int) error {
	if max > 0 {
		if _, err := c.Get(ctx, id); err == nil {
			return fmt.Errorf("%w: %d on connection %s", ws.ErrSubscriptionLimit, max, id)
		} else if !errors.Is(err, ws.ErrNoConnection) {
			return err
		}
	}
	return fmt.Errorf("%w: %s", ws.ErrNoConnection, id)
}

// Watch subscribes the connection to a topic until the connection expires (until, which the notifier
// reads: an expired connection gets no pushes, whatever it watches): the watch row and its
// mention on the connection row (which Delete reads) are written in one transaction, and only while
// the connection exists and watches fewer than ws.MaxWatches topics (ws.ErrSubscriptionLimit past it,
// and nothing changes): every watch row sits in the one ByWatch partition the notifier reads per event.
func (c *Store) Watch(ctx context.Context, id, topic string, until time.Time) error {
	if err := checkID(id, topic); err != nil {
		return err
	}
	_, err := c.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Update: &types.Update{TableName: aws.String(c.table), Key: connKey(id), UpdateExpression: aws.String("ADD watches :t"),
			ConditionExpression:       aws.String("attribute_exists(connectionId) AND (attribute_not_exists(watches) OR size(watches) < :max OR contains(watches, :v))"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":t": connSS(topic), ":v": connS(topic), ":max": connN(ws.MaxWatches)}}},
		{Put: &types.Put{TableName: aws.String(c.table), Item: map[string]types.AttributeValue{
			"connectionId": connS(watchKey(topic, id)), "watch": connS(watchPartition), "topic": connS(topic), "target": connS(id),
			"expiresAt": connN(until.Unix()), ttlAttr: ttlOf(time.Now(), until)}}},
	}})
	var cancelled *types.TransactionCanceledException
	switch {
	case errors.As(err, &cancelled) && len(cancelled.CancellationReasons) > 0 && aws.ToString(cancelled.CancellationReasons[0].Code) == "ConditionalCheckFailed":
		return c.whyRefused(ctx, id, ws.MaxWatches)
	case err != nil:
		return fmt.Errorf("connections: watch %s by %s: %w", topic, id, err)
	}
	return nil
}

// Unwatch ends a subscription to a topic; ending one that does not exist is no error.
func (c *Store) Unwatch(ctx context.Context, id, topic string) error {
	if err := checkID(id, topic); err != nil {
		return err
	}
	_, err := c.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Update: &types.Update{TableName: aws.String(c.table), Key: connKey(id), UpdateExpression: aws.String("DELETE watches :t"),
			ConditionExpression: aws.String("attribute_exists(connectionId)"), ExpressionAttributeValues: map[string]types.AttributeValue{":t": connSS(topic)}}},
		{Delete: &types.Delete{TableName: aws.String(c.table), Key: connKey(watchKey(topic, id))}},
	}})
	var cancelled *types.TransactionCanceledException
	switch {
	case errors.As(err, &cancelled) && len(cancelled.CancellationReasons) > 0 && aws.ToString(cancelled.CancellationReasons[0].Code) == "ConditionalCheckFailed":
		return fmt.Errorf("%w: %s", ws.ErrNoConnection, id)
	case err != nil:
		return fmt.Errorf("connections: unwatch %s by %s: %w", topic, id, err)
	}
	return nil
}

// OfUser lists a user's connections through the ByUser index.
func (c *Store) OfUser(ctx context.Context, userID string) ([]ws.Connection, error) {
	var out []ws.Connection
	err := c.query(ctx, "ByUser", "userId", userID, "", nil, func(item map[string]types.AttributeValue) error {
		conn, err := connection(item)
		if err != nil {
			return err
		}
		out = append(out, conn)
		return nil
	})
	return out, err
}

// watchPartition is the ByWatch partition of every subscription.
const watchPartition = "watch"

// Watchers lists the connections watching any of the topics, in one query of the ByWatch index: the
// whole partition (every subscription), filtered here rather than by a FilterExpression, which reads
// (and bills) the same and caps its IN list at 100 values, fewer than a batch's orders can need.
func (c *Store) Watchers(ctx context.Context, topics ...string) ([]ws.Watcher, error) {
	if len(topics) == 0 {
		return nil, nil
	}
	want := map[string]bool{}
	for _, t := range topics {
		want[t] = true
	}
	var out []ws.Watcher
	err := c.query(ctx, "ByWatch", "watch", watchPartition, "", nil, func(item map[string]types.AttributeValue) error {
		if t := attrS(item, "target"); t != "" && want[attrS(item, "topic")] {
			w := ws.Watcher{ConnectionID: t, Topic: attrS(item, "topic")}
			if exp := intAttr(item, "expiresAt"); exp > 0 {
				w.ExpiresAt = time.Unix(exp, 0).UTC()
			}
			out = append(out, w)
		}
		return nil
	})
	return out, err
}

func (c *Store) query(ctx context.Context, index, attr, value, filter string, filterValues map[string]types.AttributeValue,
	each func(map[string]types.AttributeValue) error) error {
	values := map[string]types.AttributeValue{":v": connS(value)}
	for k, v := range filterValues {
		values[k] = v
	}
	in := &dynamodb.QueryInput{TableName: aws.String(c.table), IndexName: aws.String(index),
		KeyConditionExpression: aws.String("#k = :v"), ExpressionAttributeNames: map[string]string{"#k": attr},
		ExpressionAttributeValues: values}
	if filter != "" {
		in.FilterExpression = aws.String(filter)
	}
	p := dynamodb.NewQueryPaginator(c.db, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("connections: query %s %s: %w", index, value, err)
		}
		for _, item := range page.Items {
			if err := each(item); err != nil {
				return err
			}
		}
	}
	return nil
}

// Claim records version as the last one of the order pushed to the connection (the row lives as long as
// a connection can: ttlOf): one conditional write that fails when an equal or newer version was
// recorded (ok false, nothing changes), so a redelivered record pushes nothing twice. The notifier's
// stream delivers an order's changes one after the other (docs/adr/0026), so two claims of one order
// and connection never race: the claim needs no lease. prev is the version replaced (0 if none), for
// Unclaim.
func (c *Store) Claim(ctx context.Context, id, orderID string, version int64) (prev int64, ok bool, err error) {
	if err := checkID(id, orderID); err != nil {
		return 0, false, err
	}
	out, err := c.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(c.table), Key: connKey(pushKey(id, orderID)),
		UpdateExpression: aws.String("SET lastVersion = :v, #ttl = :exp"), ExpressionAttributeNames: ttlName,
		ConditionExpression:       aws.String("attribute_not_exists(lastVersion) OR lastVersion < :v"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": connN(version), ":exp": ttlOf(time.Now(), time.Time{})},
		ReturnValues:              types.ReturnValueUpdatedOld})
	var taken *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &taken):
		return 0, false, nil // this or a newer version went already
	case err != nil:
		return 0, false, fmt.Errorf("connections: claim push of %s v%d to %s: %w", orderID, version, id, err)
	}
	return intAttr(out.Attributes, "lastVersion"), true, nil
}

// Unclaim restores the version a failed push's Claim replaced, unless another claim moved it on since.
func (c *Store) Unclaim(ctx context.Context, id, orderID string, version, prev int64) error {
	if err := checkID(id, orderID); err != nil {
		return err
	}
	key := connKey(pushKey(id, orderID))
	cond := aws.String("lastVersion = :v")
	var err error
	if prev == 0 {
		_, err = c.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(c.table), Key: key, ConditionExpression: cond,
			ExpressionAttributeValues: map[string]types.AttributeValue{":v": connN(version)}})
	} else {
		_, err = c.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(c.table), Key: key, UpdateExpression: aws.String("SET lastVersion = :p"),
			ConditionExpression: cond, ExpressionAttributeValues: map[string]types.AttributeValue{":v": connN(version), ":p": connN(prev)}})
	}
	var moved *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &moved) {
		return fmt.Errorf("connections: unclaim push of %s v%d to %s: %w", orderID, version, id, err)
	}
	return nil
}
