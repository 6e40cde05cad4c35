package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orion-oss/orion/internal/command"
	"github.com/orion-oss/orion/internal/customer"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/money"
	"github.com/orion-oss/orion/internal/order"
)

// IdempotencyTTL is how long an Idempotency-Key is remembered.
const IdempotencyTTL = 24 * time.Hour

type lineRecord struct {
	SKU       string      `dynamodbav:"sku"`
	Name      string      `dynamodbav:"name"`
	Quantity  int64       `dynamodbav:"quantity"`
	UnitPrice moneyRecord `dynamodbav:"unitPrice"`
	LineTotal moneyRecord `dynamodbav:"lineTotal"`
}

type historyRecord struct {
	Status string `dynamodbav:"status"`
	Reason string `dynamodbav:"reason,omitempty"`
	At     string `dynamodbav:"at"`
}

// shipmentRecord, returnRecord: the order's life after confirmation (issue 21).
type shipmentRecord struct {
	Carrier        string `dynamodbav:"carrier"`
	TrackingNumber string `dynamodbav:"trackingNumber"`
	TrackingURL    string `dynamodbav:"trackingUrl,omitempty"`
	ShippedAt      string `dynamodbav:"shippedAt"`
}

type returnRecord struct {
	ID          string             `dynamodbav:"id"`
	Lines       []returnLineRecord `dynamodbav:"lines"`
	Amount      moneyRecord        `dynamodbav:"amount"`
	Reason      string             `dynamodbav:"reason,omitempty"`
	Status      string             `dynamodbav:"status"`
	RequestedAt string             `dynamodbav:"requestedAt"`
	ReceivedAt  string             `dynamodbav:"receivedAt,omitempty"`
	RefundedAt  string             `dynamodbav:"refundedAt,omitempty"`
	RefundID    string             `dynamodbav:"refundId,omitempty"`
	Key         string             `dynamodbav:"requestKey,omitempty"`
}

type returnLineRecord struct {
	SKU      string `dynamodbav:"sku"`
	Quantity int64  `dynamodbav:"quantity"`
}

type orderRecord struct {
	PK            string          `dynamodbav:"pk"`
	SK            string          `dynamodbav:"sk"`
	OrderID       string          `dynamodbav:"orderId"`
	CustomerID    string          `dynamodbav:"customerId"`
	Lines         []lineRecord    `dynamodbav:"lines"`
	Total         moneyRecord     `dynamodbav:"total"`
	PaymentToken  string          `dynamodbav:"paymentToken"`
	Shipping      *order.Address  `dynamodbav:"shippingAddress,omitempty"`
	Status        string          `dynamodbav:"status"`
	Reason        string          `dynamodbav:"statusReason,omitempty"`
	Version       int64           `dynamodbav:"version"`
	CreatedAt     string          `dynamodbav:"createdAt"`
	UpdatedAt     string          `dynamodbav:"updatedAt"`
	History       []historyRecord `dynamodbav:"history"`
	AuthID        string          `dynamodbav:"authorizationId,omitempty"`
	RefundID      string          `dynamodbav:"refundId,omitempty"`
	ActionType    string          `dynamodbav:"paymentActionType,omitempty"`
	ActionURL     string          `dynamodbav:"paymentActionUrl,omitempty"`
	TaskToken     string          `dynamodbav:"paymentTaskToken,omitempty"`
	DeclineCode   string          `dynamodbav:"declineCode,omitempty"`
	CaptureID     string          `dynamodbav:"captureId,omitempty"`
	Voided        bool            `dynamodbav:"paymentVoided,omitempty"`
	CancelBy      string          `dynamodbav:"cancelRequestedBy,omitempty"`
	CancelAt      string          `dynamodbav:"cancelRequestedAt,omitempty"`
	StockReleased bool            `dynamodbav:"stockReleased"`
	StockReturned bool            `dynamodbav:"stockReturned"`
	// Counted: the order counts against its customer's holds (order.Order.Counted); absent on orders
	// stored before the limits existed, which must not subtract from a sum they were never added to.
	Counted     bool            `dynamodbav:"countsTowardLimits,omitempty"`
	Shipment    *shipmentRecord `dynamodbav:"shipment,omitempty"`
	DeliveredAt string          `dynamodbav:"deliveredAt,omitempty"`
	Returns     []returnRecord  `dynamodbav:"returns,omitempty"`
}

func orderKey(id order.ID) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "ORDER#" + string(id)}, "sk": &types.AttributeValueMemberS{Value: "ORDER"}}
}

func mrec(m money.Money) moneyRecord {
	return moneyRecord{Amount: m.Amount(), Currency: string(m.Currency())}
}

func toOrderRecord(o *order.Order) orderRecord {
	s := o.Snapshot()
	r := orderRecord{PK: "ORDER#" + string(s.ID), SK: "ORDER", OrderID: string(s.ID), CustomerID: string(s.CustomerID), Total: mrec(s.Total),
		PaymentToken: s.PaymentToken, Shipping: s.Shipping, Status: string(s.Status), Reason: string(s.Reason), Version: s.Version,
		CreatedAt: s.CreatedAt.UTC().Format(time.RFC3339Nano), UpdatedAt: s.UpdatedAt.UTC().Format(time.RFC3339Nano),
		AuthID: s.Payment.AuthorizationID, RefundID: s.Payment.RefundID, ActionType: s.Payment.Action.Type, ActionURL: s.Payment.Action.RedirectURL,
		TaskToken: s.Payment.TaskToken, DeclineCode: s.Payment.DeclineCode, CaptureID: s.Payment.CaptureID, Voided: s.Payment.Voided,
		StockReleased: s.StockReleased, StockReturned: s.StockReturned, Counted: s.Counted}
	for _, l := range s.Lines {
		r.Lines = append(r.Lines, lineRecord{SKU: string(l.SKU), Name: l.Name, Quantity: l.Quantity.Int64(), UnitPrice: mrec(l.UnitPrice), LineTotal: mrec(l.LineTotal)})
	}
	for _, h := range s.History {
		r.History = append(r.History, historyRecord{Status: string(h.Status), Reason: string(h.Reason), At: h.At.UTC().Format(time.RFC3339Nano)})
	}
	if c := s.Cancellation; c != nil {
		r.CancelBy, r.CancelAt = string(c.By), c.At.UTC().Format(time.RFC3339Nano)
	}
	if sh := s.Shipment; sh != nil {
		r.Shipment = &shipmentRecord{Carrier: sh.Carrier, TrackingNumber: sh.TrackingNumber, TrackingURL: sh.TrackingURL,
			ShippedAt: sh.ShippedAt.UTC().Format(time.RFC3339Nano)}
	}
	r.DeliveredAt = timeOrEmpty(s.DeliveredAt)
	for _, rt := range s.Returns {
		rr := returnRecord{ID: rt.ID, Amount: mrec(rt.Amount), Reason: rt.Reason, Status: string(rt.Status),
			RequestedAt: timeOrEmpty(rt.RequestedAt), ReceivedAt: timeOrEmpty(rt.ReceivedAt), RefundedAt: timeOrEmpty(rt.RefundedAt),
			RefundID: rt.RefundID, Key: rt.Key}
		for _, l := range rt.Lines {
			rr.Lines = append(rr.Lines, returnLineRecord{SKU: string(l.SKU), Quantity: l.Quantity.Int64()})
		}
		r.Returns = append(r.Returns, rr)
	}
	return r
}

// timeOrEmpty is t as stored, or "" (the attribute left out) for the zero time.
func timeOrEmpty(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func (r orderRecord) order() (*order.Order, error) {
	parse := func(s string) time.Time { t, _ := time.Parse(time.RFC3339Nano, s); return t }
	toMoney := func(m moneyRecord) (money.Money, error) { return money.New(m.Amount, m.Currency) }
	total, err := toMoney(r.Total)
	if err != nil {
		return nil, fmt.Errorf("dynamo: order %s: %w", r.OrderID, err)
	}
	s := order.Snapshot{ID: order.ID(r.OrderID), CustomerID: customer.ID(r.CustomerID), Total: total, PaymentToken: r.PaymentToken,
		Shipping: r.Shipping, Status: order.Status(r.Status), Reason: order.Reason(r.Reason), Version: r.Version,
		CreatedAt: parse(r.CreatedAt), UpdatedAt: parse(r.UpdatedAt),
		Payment: order.Payment{AuthorizationID: r.AuthID, Action: order.PaymentAction{Type: r.ActionType, RedirectURL: r.ActionURL},
			TaskToken: r.TaskToken, DeclineCode: r.DeclineCode, CaptureID: r.CaptureID, Voided: r.Voided, RefundID: r.RefundID},
		StockReleased: r.StockReleased, StockReturned: r.StockReturned, Counted: r.Counted}
	for _, l := range r.Lines {
		up, err1 := toMoney(l.UnitPrice)
		lt, err2 := toMoney(l.LineTotal)
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("dynamo: order %s: %w", r.OrderID, err)
		}
		s.Lines = append(s.Lines, order.Line{SKU: inventory.SKU(l.SKU), Name: l.Name, Quantity: inventory.Quantity(l.Quantity), UnitPrice: up, LineTotal: lt})
	}
	for _, h := range r.History {
		s.History = append(s.History, order.HistoryEntry{Status: order.Status(h.Status), Reason: order.Reason(h.Reason), At: parse(h.At)})
	}
	if r.CancelBy != "" {
		s.Cancellation = &order.Cancellation{By: order.Requester(r.CancelBy), At: parse(r.CancelAt)}
	}
	if sh := r.Shipment; sh != nil {
		s.Shipment = &order.Shipment{Carrier: sh.Carrier, TrackingNumber: sh.TrackingNumber, TrackingURL: sh.TrackingURL, ShippedAt: parse(sh.ShippedAt)}
	}
	s.DeliveredAt = parse(r.DeliveredAt)
	for _, rr := range r.Returns {
		amount, err := toMoney(rr.Amount)
		if err != nil {
			return nil, fmt.Errorf("dynamo: order %s: return %s: %w", r.OrderID, rr.ID, err)
		}
		rt := order.ProductReturn{ID: rr.ID, Amount: amount, Reason: rr.Reason, Status: order.ReturnStatus(rr.Status),
			RequestedAt: parse(rr.RequestedAt), ReceivedAt: parse(rr.ReceivedAt), RefundedAt: parse(rr.RefundedAt), RefundID: rr.RefundID, Key: rr.Key}
		for _, l := range rr.Lines {
			rt.Lines = append(rt.Lines, order.ReturnLine{SKU: inventory.SKU(l.SKU), Quantity: inventory.Quantity(l.Quantity)})
		}
		s.Returns = append(s.Returns, rt)
	}
	return order.FromSnapshot(s)
}

// OrderRepository stores Order aggregates, the idempotency records of the requests that created them
// and each customer's holds (holds.go).
type OrderRepository struct {
	db     *dynamodb.Client
	tables Tables
	limits order.Limits
	now    func() time.Time
}

// NewOrderRepository builds the repository. It places orders without limits until WithLimits sets them.
func NewOrderRepository(db *dynamodb.Client, t Tables) *OrderRepository {
	return &OrderRepository{db: db, tables: t, now: time.Now}
}

// WithLimits sets the limits Place enforces on each customer's open orders and returns the repository.
func (r *OrderRepository) WithLimits(l order.Limits) *OrderRepository {
	r.limits = l
	return r
}

// Get reads an order (strongly consistent).
func (r *OrderRepository) Get(ctx context.Context, id order.ID) (*order.Order, error) {
	out, err := r.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(r.tables.Orders), Key: orderKey(id), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("dynamo: get order %s: %w", id, err)
	}
	if out.Item == nil {
		return nil, fmt.Errorf("%w: %s", order.ErrNotFound, id)
	}
	var rec orderRecord
	if err := attributevalue.UnmarshalMap(out.Item, &rec); err != nil {
		return nil, fmt.Errorf("dynamo: order %s: %w", id, err)
	}
	return rec.order()
}

func idempotencyKey(c customer.ID, key string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "IDEMPOTENCY#" + string(c) + "#" + key},
		"sk": &types.AttributeValueMemberS{Value: "IDEMPOTENCY"}}
}

// Remembered returns the request recorded under a customer's Idempotency-Key, if any.
func (r *OrderRepository) Remembered(ctx context.Context, c customer.ID, key string) (*command.Remembered, error) {
	out, err := r.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(r.tables.Orders), Key: idempotencyKey(c, key), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("dynamo: idempotency lookup: %w", err)
	}
	if out.Item == nil {
		return nil, nil
	}
	var rec struct {
		RequestHash string `dynamodbav:"requestHash"`
		OrderID     string `dynamodbav:"orderId"`
		Response    []byte `dynamodbav:"response"`
		ExpiresAt   int64  `dynamodbav:"expiresAt"`
	}
	if err := attributevalue.UnmarshalMap(out.Item, &rec); err != nil {
		return nil, err
	}
	if rec.ExpiresAt < r.now().Unix() { // TTL deletes lazily; an expired key is forgotten now
		return nil, nil
	}
	return &command.Remembered{RequestHash: rec.RequestHash, OrderID: order.ID(rec.OrderID), Response: rec.Response}, nil
}

// Place stores a new order, the idempotency record of the request, the order's hold added to its
// customer's and the order's events in one transaction: either the order exists with its key, its hold
// counted and its OrderPlaced event, or nothing does. An order that does not fit beside the customer's
// open orders is refused (order.ErrLimitReached) and changes nothing; so is an order larger than any
// customer may hold (order.ErrOverLimit), without a write. A repeat of a stored key is ErrKeyTaken
// whatever the limits say (a replay counts nothing twice: the key's condition cancels the whole write).
func (r *OrderRepository) Place(ctx context.Context, o *order.Order, rem command.Remembered, key string, evs []event.Payload, cause event.Cause) error {
	hold := o.Hold()
	if err := r.limits.Admits(hold); err != nil {
		return err
	}
	av, err := attributevalue.MarshalMap(toOrderRecord(o))
	if err != nil {
		return err
	}
	for range conflictAttempts {
		now := r.now().UTC()
		idem := idempotencyKey(o.CustomerID(), key)
		idem["requestHash"] = &types.AttributeValueMemberS{Value: rem.RequestHash}
		idem["orderId"] = &types.AttributeValueMemberS{Value: string(rem.OrderID)}
		if len(rem.Response) > 0 {
			idem["response"] = &types.AttributeValueMemberB{Value: rem.Response}
		}
		idem["expiresAt"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Add(IdempotencyTTL).Unix(), 10)}
		// The key's put comes first: its condition is the one a concurrent request with the same key
		// trips, and it is checked first below, so a replay is answered as one even at the limit.
		err = transactWithEvents(ctx, r.db, r.tables.Outbox, []types.TransactWriteItem{
			{Put: &types.Put{TableName: aws.String(r.tables.Orders), Item: idem, ConditionExpression: aws.String("attribute_not_exists(pk) OR expiresAt < :now"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":now": &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Unix(), 10)}}}},
			newPut(r.tables.Orders, av, "pk"),
			holdsAdd(r.tables.Orders, o.CustomerID(), hold, r.limits, now),
		}, evs, cause, now)
		switch {
		case err == nil:
			return nil
		case cancelledOn(err, 0), cancelledOn(err, 1):
			return command.ErrKeyTaken
		case cancelledOn(err, 2):
			return r.limits.Refuse(hold)
		case conflicted(err):
			// Another order of the same customer (or its saga) was writing the holds item at the same
			// moment: nothing was written, so the same transaction goes again.
			continue
		}
		return fmt.Errorf("dynamo: place order %s: %w", o.ID(), err)
	}
	return fmt.Errorf("%w: place order %s", ErrConflict, o.ID())
}

// Update loads an order, lets fn change it and writes it with fn's events, conditional on the version
// read (see update for the retries on conflict).
func (r *OrderRepository) Update(ctx context.Context, id order.ID, cause event.Cause, fn func(*order.Order) ([]event.Payload, error)) (*order.Order, error) {
	return r.UpdateFrom(ctx, nil, id, cause, fn)
}

// UpdateFrom is Update starting from an order the caller has just read (nil: read it), which saves that
// read when nothing changed in between; a conflict reads it afresh as Update does. The caller must not
// use loaded afterwards: fn changes it.
func (r *OrderRepository) UpdateFrom(ctx context.Context, loaded *order.Order, id order.ID, cause event.Cause, fn func(*order.Order) ([]event.Payload, error)) (*order.Order, error) {
	var held order.Hold // what the order held when read: the customer's holds change by the difference
	load := func(ctx context.Context) (o *order.Order, err error) {
		if o = loaded; o != nil {
			loaded = nil
		} else if o, err = r.Get(ctx, id); err != nil {
			return nil, err
		}
		held = o.Hold()
		return o, nil
	}
	save := func(ctx context.Context, o *order.Order, read int64, evs []event.Payload) error {
		av, err := attributevalue.MarshalMap(toOrderRecord(o))
		if err != nil {
			return err
		}
		now := r.now()
		writes := append([]types.TransactWriteItem{versionedPut(r.tables.Orders, av, read)}, holdsWrites(r.tables.Orders, o, held, now)...)
		err = writeWithEvents(ctx, r.db, r.tables.Outbox, writes, evs, cause, now)
		if err != nil && !errors.Is(err, errCondition) && !errors.Is(err, errConflicted) {
			return fmt.Errorf("dynamo: update order %s: %w", id, err)
		}
		return err
	}
	return update(ctx, load, fn, save)
}

// Catalog reads the items of an order's lines in one BatchGetItem (the only catalog read of placing an
// order). Missing SKUs are absent from the result.
func (r *InventoryRepository) Catalog(ctx context.Context, skus []inventory.SKU) (map[inventory.SKU]*inventory.Item, error) {
	keys := make([]tableKey, 0, len(skus))
	seen := map[inventory.SKU]bool{}
	for _, s := range skus {
		if !seen[s] {
			seen[s] = true
			keys = append(keys, tableKey{r.tables.Inventory, map[string]types.AttributeValue{"sku": &types.AttributeValueMemberS{Value: string(s)}}})
		}
	}
	got, err := batchGet(ctx, r.db, keys)
	if err != nil {
		return nil, fmt.Errorf("dynamo: catalog read: %w", err)
	}
	out := make(map[inventory.SKU]*inventory.Item, len(keys))
	for _, av := range got[r.tables.Inventory] {
		it, err := decodeItem(av)
		if err != nil {
			return nil, err
		}
		out[it.SKU()] = it
	}
	return out, nil
}
