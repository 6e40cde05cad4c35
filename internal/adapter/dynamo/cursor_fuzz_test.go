package dynamo

import (
	"encoding/base64"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orion-oss/orion/internal/query"
)

// A cursor comes from the client: any string is either refused (query.ErrBadCursor, a 400) or names the
// index and partition it was asked for with a key of exactly that index's partition, so it can only
// continue the caller's own listing.
func FuzzDecodeCursor(f *testing.F) {
	key := map[string]types.AttributeValue{"customerId": &types.AttributeValueMemberS{Value: "cust-1"},
		"createdKey": &types.AttributeValueMemberS{Value: "2026-01-01T00:00:00Z#01J"}, "pk": &types.AttributeValueMemberS{Value: "ORDER#01J"},
		"sk": &types.AttributeValueMemberS{Value: "VIEW"}}
	f.Add(encodeCursor("ByCustomer", "cust-1", key), "ByCustomer")
	f.Add(encodeCursor("ByDay", "2026-01-01", nil), "ByDay")
	// A customer's orders of one status: the ByCustomerKeys index's key, or the key of the index it
	// replaced (customerStatus) in a cursor issued before ADR 0022.
	f.Add(encodeCursor("ByCustomerStatus", "cust-1#CONFIRMED", key), "ByCustomerStatus")
	f.Add(base64.RawURLEncoding.EncodeToString([]byte(`{"i":"ByCustomerStatus","p":"cust-1#CONFIRMED","k":{"customerStatus":"cust-1#CONFIRMED",`+
		`"createdKey":"2026-01-01T00:00:00Z#01J","pk":"ORDER#01J","sk":"VIEW"}}`)), "ByCustomerStatus")
	f.Add("not*base64", "ByCustomer")
	f.Add(base64.RawURLEncoding.EncodeToString([]byte(`{"i":"ByCustomer","p":"x","k":{"customerId":"x"}}`)), "ByCustomer")
	f.Fuzz(func(t *testing.T, s, index string) {
		c, err := decodeCursor(s, index)
		if err != nil {
			if err != query.ErrBadCursor {
				t.Fatalf("err = %v; want query.ErrBadCursor", err)
			}
			return
		}
		if c.Index != index || c.Partition == "" {
			t.Fatalf("accepted %+v for index %q", c, index)
		}
		if c.Key != nil {
			l := listings[index]
			if len(c.Key) != 4 || c.Key[l.attr] == "" || c.Key[l.attr] != keyPartition(l, c.Partition) || c.Key["sk"] != "VIEW" {
				t.Fatalf("accepted a key outside the partition: %+v", c)
			}
			// Re-encoding what was accepted gives a cursor that decodes to the same position.
			again, err := decodeCursor(encodeCursor(c.Index, c.Partition, c.lek()), index)
			if err != nil || again.Partition != c.Partition || len(again.Key) != len(c.Key) {
				t.Fatalf("round trip: %+v %v", again, err)
			}
		}
	})
}
