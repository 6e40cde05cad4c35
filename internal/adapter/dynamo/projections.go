package dynamo

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/money"
	"github.com/orion-oss/orion/internal/projection"
	"github.com/orion-oss/orion/internal/query"
)

// Projections maintains and reads the query side: order views built from order events, and the catalog
// view. It implements the read models of package query (query.OrderViews, query.CatalogViews). Every write is
// idempotent and indifferent to delivery order: the facts that never change (lines, total, creation)
// are set as they are, each status change is a history attribute named by the order version that
// produced it, and the current status moves only forward in version.
type Projections struct {
	db    *dynamodb.Client
	table string
}

// NewProjections builds the projector's store.
func NewProjections(db *dynamodb.Client, table string) *Projections {
	return &Projections{db: db, table: table}
}

// statusChanges are the events whose OrderRef status is a new status of the order, one per version.
var statusChanges = map[string]bool{
	event.TypeOrderPlaced: true, event.TypeInventoryReserved: true, event.TypePaymentAuthorized: true, event.TypeOrderConfirmed: true,
	event.TypeOrderRejected: true, event.TypeOrderCancelled: true, event.TypeOrderFailed: true,
	event.TypeOrderShipped: true, event.TypeOrderDelivered: true,
}

func viewKey(orderID string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "ORDER#" + orderID}, "sk": &types.AttributeValueMemberS{Value: "VIEW"}}
}

// Apply projects one event. Events that are not about orders or stock are ignored.
func (p *Projections) Apply(ctx context.Context, env event.Envelope) (projection.Result, error) {
	payload, err := env.Payload()
	if err != nil {
		return projection.Result{}, err
	}
	if item, ok := payload.(*event.InventoryUpdated); ok {
		return projection.Result{}, p.applyCatalog(ctx, item)
	}
	ref, ok := orderRef(payload)
	if !ok {
		return projection.Result{}, nil
	}
	// A commit moves units from reserved to sold: the available figure the catalog shows is the one the
	// reservation left, so the commit's write would change nothing there (docs/adr/0022).
	stock := stockLines(payload)
	if _, commit := payload.(*event.InventoryCommitted); commit {
		stock = nil
	}
	// Facts that never change (customer, lines, total, creation) and this version's history entry.
	names := map[string]string{}
	values := map[string]types.AttributeValue{":cid": &types.AttributeValueMemberS{Value: ref.CustomerID}}
	facts := []string{"customerId = :cid"}
	if placed, ok := payload.(*event.OrderPlaced); ok {
		recs := make([]lineRecord, len(placed.Lines))
		for i, l := range placed.Lines {
			recs[i] = lineRecord{SKU: l.SKU, Name: l.Name, Quantity: l.Quantity, UnitPrice: mrec(l.UnitPrice), LineTotal: mrec(l.LineTotal)}
		}
		lines, err := attributevalue.Marshal(recs)
		if err != nil {
			return projection.Result{}, err
		}
		total, _ := attributevalue.Marshal(mrec(placed.Total))
		created := placed.CreatedAt.UTC()
		values[":lines"], values[":total"] = lines, total
		values[":created"] = &types.AttributeValueMemberS{Value: created.Format(time.RFC3339Nano)}
		values[":ckey"] = &types.AttributeValueMemberS{Value: created.Format(createdKeyLayout) + "#" + ref.OrderID}
		values[":day"] = &types.AttributeValueMemberS{Value: created.Format("2006-01-02")}
		facts = append(facts, "#lines = :lines", "#total = :total", "createdAt = :created", "createdKey = :ckey", "createdDay = :day")
		names["#lines"], names["#total"] = "lines", "total"
	}
	if err := fulfilmentFacts(payload, env.OccurredAt, names, values, &facts); err != nil {
		return projection.Result{}, err
	}
	if err := noticeFacts(env, payload, ref, statusChanges[env.Type], names, values, &facts); err != nil {
		return projection.Result{}, err
	}
	if !statusChanges[env.Type] && len(facts) == 1 {
		// Neither a new status nor a fact the view keeps (PaymentCaptured, InventoryCommitted, a
		// cancellation request, a cancelled order's release): the write would only move the view's
		// version and updatedAt, at a write unit per event. The status changes carry every version the
		// view shows (docs/adr/0022).
		return projection.Result{}, p.applyStockLines(ctx, stock)
	}
	if statusChanges[env.Type] {
		entry, _ := attributevalue.Marshal(viewHistoryRecord{Status: ref.Status, Reason: ref.Reason, At: env.OccurredAt.UTC().Format(time.RFC3339Nano)})
		names["#h"] = fmt.Sprintf("h%010d", ref.OrderVersion)
		values[":entry"] = entry
		facts = append(facts, "#h = :entry")
	}
	// One write with the facts and the current status, which only a newer version may replace. The view
	// is thus never visible (it enters the indexes with createdKey) without a status. When a newer event
	// was applied first, the facts alone are written.
	withStatus := maps.Clone(values)
	withStatus[":s"] = &types.AttributeValueMemberS{Value: ref.Status}
	withStatus[":r"] = &types.AttributeValueMemberS{Value: ref.Reason}
	withStatus[":v"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(ref.OrderVersion, 10)}
	withStatus[":at"] = &types.AttributeValueMemberS{Value: env.OccurredAt.UTC().Format(time.RFC3339Nano)}
	withStatus[":cs"] = &types.AttributeValueMemberS{Value: ref.CustomerID + "#" + ref.Status}
	statusNames := maps.Clone(names)
	statusNames["#status"] = "status"
	out, err := p.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(p.table), Key: viewKey(ref.OrderID),
		UpdateExpression: aws.String("SET " + strings.Join(append(facts,
			"#status = :s", "statusReason = :r", "lastOrderVersion = :v", "updatedAt = :at", "customerStatus = :cs"), ", ")),
		ConditionExpression:       aws.String("attribute_not_exists(lastOrderVersion) OR lastOrderVersion < :v"),
		ExpressionAttributeNames:  statusNames,
		ExpressionAttributeValues: withStatus,
		ReturnValues:              types.ReturnValueAllOld})
	var stale *types.ConditionalCheckFailedException
	if errors.As(err, &stale) {
		out, err = p.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(p.table), Key: viewKey(ref.OrderID),
			UpdateExpression: aws.String("SET " + strings.Join(facts, ", ")), ExpressionAttributeNames: nonEmpty(names), ExpressionAttributeValues: values,
			ReturnValues: types.ReturnValueAllOld})
	}
	if err != nil {
		return projection.Result{}, fmt.Errorf("dynamo: project %s: %w", env.Type, err)
	}
	// The catalog after the view: a status change reaches the view (and the notifier, which pushes
	// from its stream) as early as it can, before a later status of the order that the bus brought at
	// the same time (docs/adr/0026). A failed catalog write fails the event, whose retry changes the
	// view no further.
	if err := p.applyStockLines(ctx, stock); err != nil {
		return projection.Result{}, err
	}
	res := projection.Result{Status: ref.Status, Reason: ref.Reason}
	if statusChanges[env.Type] {
		_, seen := out.Attributes[names["#h"]]
		res.First = !seen
		if created, err := time.Parse(time.RFC3339Nano, str(out.Attributes["createdAt"])); err == nil {
			res.SincePlaced = env.OccurredAt.Sub(created)
		}
	}
	return res, nil
}

func nonEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

func orderRef(p event.Payload) (event.OrderRef, bool) {
	switch e := p.(type) {
	case *event.OrderPlaced:
		return e.OrderRef, true
	case *event.InventoryReserved:
		return e.OrderRef, true
	case *event.InventoryReservationFailed:
		return e.OrderRef, true
	case *event.PaymentAuthorized:
		return e.OrderRef, true
	case *event.PaymentDeclined:
		return e.OrderRef, true
	case *event.PaymentActionRequired:
		return e.OrderRef, true
	case *event.PaymentRefunded:
		return e.OrderRef, true
	case *event.InventoryReleased:
		return e.OrderRef, true
	case *event.InventoryCommitted:
		return e.OrderRef, true
	case *event.InventoryReturned:
		return e.OrderRef, true
	case *event.OrderConfirmed:
		return e.OrderRef, true
	case *event.OrderRejected:
		return e.OrderRef, true
	case *event.OrderCancellationRequested:
		return e.OrderRef, true
	case *event.OrderCancelled:
		return e.OrderRef, true
	case *event.OrderFailed:
		return e.OrderRef, true
	case *event.OrderShipped:
		return e.OrderRef, true
	case *event.OrderDelivered:
		return e.OrderRef, true
	case *event.OrderReturnRequested:
		return e.OrderRef, true
	case *event.OrderReturnReceived:
		return e.OrderRef, true
	}
	return event.OrderRef{}, false
}

// viewHistoryRecord is one status change of a view, an attribute named by the order version.
type viewHistoryRecord struct {
	Status string `dynamodbav:"status"`
	Reason string `dynamodbav:"reason"`
	At     string `dynamodbav:"at"`
}

type viewRecord struct {
	PK           string          `dynamodbav:"pk"`
	CustomerID   string          `dynamodbav:"customerId"`
	Status       string          `dynamodbav:"status"`
	StatusReason string          `dynamodbav:"statusReason"`
	CreatedAt    string          `dynamodbav:"createdAt"`
	UpdatedAt    string          `dynamodbav:"updatedAt"`
	Total        *moneyRecord    `dynamodbav:"total"`
	Lines        []lineRecord    `dynamodbav:"lines"`
	Shipment     *shipmentRecord `dynamodbav:"shipment"`
	DeliveredAt  string          `dynamodbav:"deliveredAt"`
}

// The all-orders listing walks the ByDay index back one day at a time, at most daysPerPage days per
// request (a page may be short; its cursor continues from the next older day) and never before
// listingHorizon, so no request fans out unboundedly.
const (
	daysPerPage    = 31
	listingHorizon = 400 * 24 * time.Hour
)

// index names the GSI and its partition attribute for a query.
var indexKeys = map[string]string{"ByCustomer": "customerId", "ByCustomerStatus": "customerStatus", "ByStatus": "status", "ByDay": "createdDay"}

// ListOrders returns a page of orders and the cursor of the next page ("" at the end).
func (p *Projections) ListOrders(ctx context.Context, q query.OrderSelection) ([]query.OrderSummary, string, error) {
	who, status := string(q.CustomerID), string(q.Status)
	index, partition := "ByCustomer", who
	switch {
	case who != "" && status != "":
		index, partition = "ByCustomerStatus", who+"#"+status
	case who == "" && status != "":
		index, partition = "ByStatus", status
	case who == "":
		return p.listByDay(ctx, q)
	}
	span := createdSpanOf(q)
	var lek map[string]types.AttributeValue
	if q.Cursor != "" {
		c, err := decodeCursor(q.Cursor, index)
		if err != nil || c.Partition != partition || c.Key == nil || !span.holds(c.Key["createdKey"]) {
			return nil, "", query.ErrBadCursor
		}
		lek = c.lek()
	}
	items, next, err := p.page(ctx, index, partition, span, q.Limit, lek)
	if err != nil || next == nil {
		return items, "", err
	}
	return items, encodeCursor(index, partition, next), nil
}

// createdKeyLayout is the time of createdKey, the indexes' sort key: nine fraction digits always, so
// that the text sorts as the time does. RFC3339Nano drops trailing zeros, and "05Z" sorts after
// "05.5Z" ('Z' is above '.'), which put orders placed within one second out of order. Keys written
// before agree with these up to the second, so listings and cursors across both stay in order.
const createdKeyLayout = "2006-01-02T15:04:05.000000000Z"

// createdSpan bounds createdKey (the creation time in RFC 3339 and the order id) for a search by
// creation time, in whole seconds, both ends included: lo is the first second's prefix, which sorts
// before every key of that second, and hi the last second's prefix and "~", which sorts after every
// key of it ('~' is above the digits, '.', 'Z' and '#' that follow the seconds). Empty: unbounded.
type createdSpan struct{ lo, hi string }

const secondPrefix = "2006-01-02T15:04:05"

func createdSpanOf(q query.OrderSelection) createdSpan {
	var s createdSpan
	if !q.CreatedFrom.IsZero() {
		s.lo = q.CreatedFrom.UTC().Format(secondPrefix)
	}
	if !q.CreatedTo.IsZero() {
		s.hi = q.CreatedTo.UTC().Format(secondPrefix) + "~"
	}
	return s
}

// holds reports whether a cursor's createdKey lies in the span. DynamoDB refuses an
// ExclusiveStartKey outside the key condition with a ValidationException ("The provided starting key
// is outside query boundaries"): a cursor of another search is the client's mistake, a 400, not a 500.
func (s createdSpan) holds(key string) bool {
	return key != "" && (s.lo == "" || key >= s.lo) && (s.hi == "" || key <= s.hi)
}

// condition is the key condition of a query of partition #p within the span.
func (s createdSpan) condition(values map[string]types.AttributeValue) string {
	switch {
	case s.lo != "" && s.hi != "":
		values[":lo"], values[":hi"] = &types.AttributeValueMemberS{Value: s.lo}, &types.AttributeValueMemberS{Value: s.hi}
		return "#p = :p AND createdKey BETWEEN :lo AND :hi"
	case s.lo != "":
		values[":lo"] = &types.AttributeValueMemberS{Value: s.lo}
		return "#p = :p AND createdKey >= :lo"
	case s.hi != "":
		values[":hi"] = &types.AttributeValueMemberS{Value: s.hi}
		return "#p = :p AND createdKey <= :hi"
	}
	return "#p = :p"
}

func (p *Projections) listByDay(ctx context.Context, q query.OrderSelection) ([]query.OrderSummary, string, error) {
	now := time.Now().UTC()
	day, floor := now.Format("2006-01-02"), now.Add(-listingHorizon).Format("2006-01-02")
	// A search by creation time walks only the days of its span.
	if !q.CreatedTo.IsZero() && q.CreatedTo.UTC().Format("2006-01-02") < day {
		day = q.CreatedTo.UTC().Format("2006-01-02")
	}
	if !q.CreatedFrom.IsZero() && q.CreatedFrom.UTC().Format("2006-01-02") > floor {
		floor = q.CreatedFrom.UTC().Format("2006-01-02")
	}
	if day < floor {
		return []query.OrderSummary{}, "", nil // a span beyond the listing horizon, or in the future
	}
	span := createdSpanOf(q)
	var lek map[string]types.AttributeValue
	if q.Cursor != "" {
		c, err := decodeCursor(q.Cursor, "ByDay")
		if err != nil {
			return nil, "", err
		}
		if _, err := time.Parse("2006-01-02", c.Partition); err != nil || c.Partition > day || c.Partition < floor ||
			(c.Key != nil && !span.holds(c.Key["createdKey"])) {
			return nil, "", query.ErrBadCursor
		}
		day, lek = c.Partition, c.lek()
	}
	var items []query.OrderSummary
	for range daysPerPage {
		got, next, err := p.page(ctx, "ByDay", day, span, q.Limit-int32(len(items)), lek)
		if err != nil {
			return nil, "", err
		}
		items = append(items, got...)
		if next != nil {
			return items, encodeCursor("ByDay", day, next), nil
		}
		lek = nil
		d, _ := time.Parse("2006-01-02", day)
		day = d.AddDate(0, 0, -1).Format("2006-01-02")
		if day < floor {
			return items, "", nil
		}
		if int32(len(items)) >= q.Limit {
			break
		}
	}
	return items, encodeCursor("ByDay", day, nil), nil
}

// page queries one partition of an index within a creation span, newest first.
func (p *Projections) page(ctx context.Context, index, partition string, span createdSpan, limit int32,
	lek map[string]types.AttributeValue) ([]query.OrderSummary, map[string]types.AttributeValue, error) {
	values := map[string]types.AttributeValue{":p": &types.AttributeValueMemberS{Value: partition}}
	cond := span.condition(values)
	out, err := p.db.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(p.table), IndexName: aws.String(index), ScanIndexForward: aws.Bool(false),
		Limit: aws.Int32(limit), KeyConditionExpression: aws.String(cond), ExclusiveStartKey: lek,
		ExpressionAttributeNames:  map[string]string{"#p": indexKeys[index]},
		ExpressionAttributeValues: values})
	if err != nil {
		return nil, nil, fmt.Errorf("dynamo: list orders: %w", err)
	}
	items := make([]query.OrderSummary, 0, len(out.Items))
	for _, it := range out.Items {
		items = append(items, summary(it))
	}
	return items, out.LastEvaluatedKey, nil
}

func summary(it map[string]types.AttributeValue) query.OrderSummary {
	var v viewRecord
	_ = attributevalue.UnmarshalMap(it, &v) // a view is written only by Apply; partial views read as partial
	s := query.OrderSummary{OrderID: strings.TrimPrefix(v.PK, "ORDER#"), CustomerID: v.CustomerID, Status: v.Status, StatusReason: v.StatusReason,
		CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt}
	if v.Total != nil {
		s.Total, _ = money.New(v.Total.Amount, v.Total.Currency)
	}
	for _, l := range v.Lines {
		up, _ := money.New(l.UnitPrice.Amount, l.UnitPrice.Currency)
		lt, _ := money.New(l.LineTotal.Amount, l.LineTotal.Currency)
		s.Lines = append(s.Lines, query.OrderLine{SKU: l.SKU, Name: l.Name, Quantity: l.Quantity, UnitPrice: up, LineTotal: lt})
	}
	if sh := v.Shipment; sh != nil {
		s.Shipment = &query.ShipmentSummary{Carrier: sh.Carrier, TrackingNumber: sh.TrackingNumber, TrackingURL: sh.TrackingURL, ShippedAt: sh.ShippedAt}
	}
	s.DeliveredAt = v.DeliveredAt
	s.Returns = returnSummaries(it)
	var keys []string
	for k := range it {
		if len(k) == 11 && k[0] == 'h' {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		var h viewHistoryRecord
		if attributevalue.Unmarshal(it[k], &h) == nil {
			s.History = append(s.History, query.HistoryEntry{Status: h.Status, Reason: h.Reason, At: h.At})
		}
	}
	return s
}

func str(av types.AttributeValue) string {
	if s, ok := av.(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

// A cursor names the index and partition it was issued for; a cursor for another index or another
// partition (another customer's, or a forged one) is refused, so it can never reach other data.
type cursor struct {
	Index     string            `json:"i"`
	Partition string            `json:"p"`
	Key       map[string]string `json:"k,omitempty"`
}

func (c cursor) lek() map[string]types.AttributeValue {
	if c.Key == nil {
		return nil
	}
	lek := map[string]types.AttributeValue{}
	for k, v := range c.Key {
		lek[k] = &types.AttributeValueMemberS{Value: v}
	}
	return lek
}

func encodeCursor(index, partition string, lek map[string]types.AttributeValue) string {
	c := cursor{Index: index, Partition: partition}
	if lek != nil {
		c.Key = map[string]string{}
		for k, v := range lek {
			c.Key[k] = str(v)
		}
	}
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor checks that a cursor belongs to the index and that its key is a key of that index's
// partition: the index attribute, createdKey and the view's own key, nothing else.
func decodeCursor(s, index string) (cursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) > 2048 {
		return cursor{}, query.ErrBadCursor
	}
	var c cursor
	if err := json.Unmarshal(b, &c); err != nil || c.Index != index || c.Partition == "" {
		return cursor{}, query.ErrBadCursor
	}
	if c.Key != nil && (c.Key[indexKeys[index]] != c.Partition || c.Key["createdKey"] == "" || !strings.HasPrefix(c.Key["pk"], "ORDER#") ||
		c.Key["sk"] != "VIEW" || len(c.Key) != 4) {
		return cursor{}, query.ErrBadCursor
	}
	return c, nil
}
