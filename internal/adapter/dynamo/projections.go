package dynamo

import (
	"context"
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
	// pageKeys is how many index keys a list page may read (0: pageKeyBudget), for tests of short pages.
	pageKeys int
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
