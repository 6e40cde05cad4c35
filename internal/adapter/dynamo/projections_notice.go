package dynamo

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/projection"
)

// An order view keeps a notice per order version its watchers are told about (projection.Notice), so
// that the notifier, fed by the table's stream, pushes what the view says (docs/adr/0026): a status
// change is its history entry h<version> (status, reason, at); a change that keeps the status (a
// payment waiting for the customer, a return's step) is a notice entry n<version> (noticeRecord). Both
// are named by the version, like the history, so that the events may be applied in any order and any
// number of times. The event's id and correlation id are not kept per entry but once, in ne and nc,
// set by every write that sets an entry: one write sets at most one entry, so in the stream record of
// the write that added an entry, ne and nc are that entry's event's. Per entry they would take a view
// of one line past 1 KB (916 bytes before), doubling every write's units, the indexes' too.
const (
	historyPrefix = "h"
	noticePrefix  = "n"
	noticeEvent   = "ne"
	noticeCorr    = "nc"
)

func versionName(prefix string, version int64) string { return fmt.Sprintf("%s%010d", prefix, version) }

// noticeRecord is a notice of a change that keeps the order's status.
type noticeRecord struct {
	Status        string `dynamodbav:"status"`
	At            string `dynamodbav:"at"`
	PaymentAction string `dynamodbav:"pa,omitempty"`
	ReturnID      string `dynamodbav:"ret,omitempty"`
	ReturnStatus  string `dynamodbav:"rs,omitempty"`
}

// The statuses of a return a notice tells (the order's return statuses).
var returnStatusOf = map[string]string{
	event.TypeOrderReturnRequested: "REQUESTED",
	event.TypeOrderReturnReceived:  "RECEIVED",
	event.TypePaymentRefunded:      "REFUNDED",
}

// noticeFacts adds the notice entry of an event that keeps the status but is pushed (a payment action,
// a return's step; a refund only with its return id: a whole order's refund is told by its CANCELLED
// or FAILED status), and, with it or with a status change's history entry, the event's ids.
func noticeFacts(env event.Envelope, p event.Payload, ref event.OrderRef, statusChange bool, names map[string]string,
	values map[string]types.AttributeValue, facts *[]string) error {
	n := noticeRecord{Status: ref.Status, At: env.OccurredAt.UTC().Format(time.RFC3339Nano)}
	switch e := p.(type) {
	case *event.PaymentActionRequired:
		n.PaymentAction = e.ActionType
	case *event.OrderReturnRequested:
		n.ReturnID = e.ReturnID
	case *event.OrderReturnReceived:
		n.ReturnID = e.ReturnID
	case *event.PaymentRefunded:
		n.ReturnID = e.ReturnID
	}
	if n.ReturnID != "" {
		n.ReturnStatus = returnStatusOf[env.Type]
	}
	if !statusChange && n.PaymentAction == "" && n.ReturnID == "" {
		return nil
	}
	if !statusChange {
		av, err := attributevalue.Marshal(n)
		if err != nil {
			return fmt.Errorf("dynamo: project %s notice: %w", env.Type, err)
		}
		names["#n"], values[":notice"] = versionName(noticePrefix, ref.OrderVersion), av
		*facts = append(*facts, "#n = :notice")
	}
	values[":ne"], values[":nc"] = &types.AttributeValueMemberS{Value: env.ID}, &types.AttributeValueMemberS{Value: env.CorrelationID}
	*facts = append(*facts, noticeEvent+" = :ne", noticeCorr+" = :nc")
	return nil
}

// entryVersion is the version of a history or notice entry's name, 0 for any other attribute.
func entryVersion(name string) (prefix string, version int64) {
	if len(name) != 11 || (name[:1] != historyPrefix && name[:1] != noticePrefix) {
		return "", 0
	}
	v, err := strconv.ParseInt(name[1:], 10, 64)
	if err != nil || v <= 0 {
		return "", 0
	}
	return name[:1], v
}

// ViewChangeOf reads what one stream record of the projections table (NEW_AND_OLD_IMAGES) changed that
// an order's watchers are told about: the history and notice entries the write added, and the newest
// entry of the old image (projection.ViewChange). A record of another item (a catalog view), a
// removal, or a write that added no entry has no notices. An entry that does not decode is an error:
// the writer and this reader disagree, which a retry will not mend.
func ViewChangeOf(r events.DynamoDBEventRecord) (projection.ViewChange, error) {
	keys := r.Change.Keys
	pk, sk := streamString(keys["pk"]), streamString(keys["sk"])
	orderID, ok := strings.CutPrefix(pk, "ORDER#")
	if !ok || sk != "VIEW" || r.Change.NewImage == nil {
		return projection.ViewChange{}, nil
	}
	newImg, err := fromStream(r.Change.NewImage)
	if err != nil {
		return projection.ViewChange{}, fmt.Errorf("dynamo: view %s: %w", orderID, err)
	}
	change := projection.ViewChange{OrderID: orderID, CustomerID: str(newImg["customerId"])}
	for name := range r.Change.OldImage {
		if _, v := entryVersion(name); v > change.Shown {
			change.Shown = v
		}
	}
	added := 0
	for name := range r.Change.NewImage {
		if _, ok := r.Change.OldImage[name]; !ok {
			if _, v := entryVersion(name); v > 0 {
				added++
			}
		}
	}
	for name, av := range newImg {
		prefix, v := entryVersion(name)
		if _, had := r.Change.OldImage[name]; v == 0 || had {
			continue // not an entry, or not one this write added
		}
		n := projection.Notice{OrderVersion: v}
		var at string
		if prefix == historyPrefix {
			var h viewHistoryRecord
			if err := attributevalue.Unmarshal(av, &h); err != nil {
				return projection.ViewChange{}, fmt.Errorf("dynamo: view %s entry %s: %w", orderID, name, err)
			}
			n.Status, n.Reason, at = h.Status, h.Reason, h.At
			if err := statusFacts(newImg, &n); err != nil {
				return projection.ViewChange{}, fmt.Errorf("dynamo: view %s: %w", orderID, err)
			}
		} else {
			var rec noticeRecord
			if err := attributevalue.Unmarshal(av, &rec); err != nil {
				return projection.ViewChange{}, fmt.Errorf("dynamo: view %s entry %s: %w", orderID, name, err)
			}
			n.Status, at = rec.Status, rec.At
			n.PaymentAction, n.ReturnID, n.ReturnStatus = rec.PaymentAction, rec.ReturnID, rec.ReturnStatus
		}
		if added == 1 {
			// The write that added the entry set the ids of its event (noticeFacts).
			n.EventID, n.CorrelationID = str(newImg[noticeEvent]), str(newImg[noticeCorr])
		}
		if n.OccurredAt, err = time.Parse(time.RFC3339Nano, at); err != nil || n.Status == "" {
			return projection.ViewChange{}, fmt.Errorf("dynamo: view %s entry %s lacks its status or time", orderID, name)
		}
		change.Notices = append(change.Notices, n)
	}
	sort.Slice(change.Notices, func(i, j int) bool { return change.Notices[i].OrderVersion < change.Notices[j].OrderVersion })
	return change, nil
}

// statusFacts adds what a status change tells beyond the status: the shipment with SHIPPED, the
// delivery time with DELIVERED, both facts of the view written with the status.
func statusFacts(img map[string]types.AttributeValue, n *projection.Notice) error {
	switch n.Status {
	case "SHIPPED":
		var sh shipmentRecord
		if err := attributevalue.Unmarshal(img["shipment"], &sh); err != nil || sh.Carrier == "" {
			return fmt.Errorf("SHIPPED without its shipment")
		}
		n.Shipment = &projection.Shipment{Carrier: sh.Carrier, TrackingNumber: sh.TrackingNumber, TrackingURL: sh.TrackingURL}
	case "DELIVERED":
		at, err := time.Parse(time.RFC3339Nano, str(img["deliveredAt"]))
		if err != nil {
			return fmt.Errorf("DELIVERED without deliveredAt")
		}
		n.DeliveredAt = at
	}
	return nil
}

func streamString(av events.DynamoDBAttributeValue) string {
	if av.DataType() != events.DataTypeString {
		return ""
	}
	return av.String()
}

// fromStream converts a stream image to the SDK's attribute values.
func fromStream(img map[string]events.DynamoDBAttributeValue) (map[string]types.AttributeValue, error) {
	out := make(map[string]types.AttributeValue, len(img))
	for k, v := range img {
		av, err := streamAttr(v)
		if err != nil {
			return nil, fmt.Errorf("attribute %s: %w", k, err)
		}
		out[k] = av
	}
	return out, nil
}

func streamAttr(v events.DynamoDBAttributeValue) (types.AttributeValue, error) {
	switch v.DataType() {
	case events.DataTypeString:
		return &types.AttributeValueMemberS{Value: v.String()}, nil
	case events.DataTypeNumber:
		return &types.AttributeValueMemberN{Value: v.Number()}, nil
	case events.DataTypeBoolean:
		return &types.AttributeValueMemberBOOL{Value: v.Boolean()}, nil
	case events.DataTypeNull:
		return &types.AttributeValueMemberNULL{Value: true}, nil
	case events.DataTypeBinary:
		return &types.AttributeValueMemberB{Value: v.Binary()}, nil
	case events.DataTypeStringSet:
		return &types.AttributeValueMemberSS{Value: v.StringSet()}, nil
	case events.DataTypeNumberSet:
		return &types.AttributeValueMemberNS{Value: v.NumberSet()}, nil
	case events.DataTypeBinarySet:
		return &types.AttributeValueMemberBS{Value: v.BinarySet()}, nil
	case events.DataTypeList:
		list := v.List()
		out := make([]types.AttributeValue, len(list))
		for i, e := range list {
			av, err := streamAttr(e)
			if err != nil {
				return nil, err
			}
			out[i] = av
		}
		return &types.AttributeValueMemberL{Value: out}, nil
	case events.DataTypeMap:
		m, err := fromStream(v.Map())
		if err != nil {
			return nil, err
		}
		return &types.AttributeValueMemberM{Value: m}, nil
	}
	return nil, fmt.Errorf("unknown type %v", v.DataType())
}
