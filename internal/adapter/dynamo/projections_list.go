package dynamo

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orion-oss/orion/internal/query"
)

// The order listings read the projections table's order-view indexes, which project only their keys
// (KEYS_ONLY): an index entry is then written when a view enters the index or its index key changes,
// never when only the status, history or facts of the view change, which is most of the projector's
// writes (docs/adr/0022, "The projections table's indexes"). A page is thus two reads: a Query of the
// index for the keys, newest first, then a BatchGetItem of the views in that order.
//
// Global secondary indexes are eventually consistent with their table on AWS ("All reads from GSIs and
// streams are eventually consistent",
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.ReadConsistency.html): a key
// read from an index may be older than the view it names, and the view may have moved on or been
// deleted since. The local emulator (Dynoxide) updates its indexes with the write, so it shows the race
// only when a write lands between the two reads, which the tests make happen. What the index decided is therefore checked again on the
// view read: a view that is gone is skipped, a view whose status is no longer the one listed is
// dropped from that listing, and the page is filled from further keys.

// listing is one way of listing orders: its name in cursors, the index it queries and that index's
// partition attribute. The names are those of the indexes before ADR 0022 (ByCustomerStatus was an
// index of its own), so that a cursor issued before the change still continues its listing.
type listing struct {
	name, index, attr string
}

var (
	byCustomer = listing{"ByCustomer", "ByCustomerKeys", "customerId"}
	// A customer's orders of one status are their orders filtered on the views: a customer has few
	// orders, and an index keyed by customer and status cost two index writes per status change.
	byCustomerStatus = listing{"ByCustomerStatus", "ByCustomerKeys", "customerId"}
	byStatus         = listing{"ByStatus", "ByStatusKeys", "status"}
	byDay            = listing{"ByDay", "ByDayKeys", "createdDay"}
	listings         = map[string]listing{"ByCustomer": byCustomer, "ByCustomerStatus": byCustomerStatus, "ByStatus": byStatus, "ByDay": byDay}
)

// The all-orders listing walks the ByDay index back one day at a time, at most daysPerPage days per
// request (a page may be short; its cursor continues from the next older day) and never before
// listingHorizon, so no request fans out unboundedly.
const (
	daysPerPage    = 31
	listingHorizon = 400 * 24 * time.Hour
)

// A page reads at most pageKeyBudget index keys, and their views. A listing whose views the page
// drops (a status filter on a customer's orders, views moved on since the index was read) continues
// its query until the page is full or the budget is spent: a page may then be short, even empty, and
// still have a next cursor, as a page of the day listing already could (docs/openapi.yaml, listOrders).
// filterChunk is the fewest keys whose views a filtered listing reads at once: fewer calls for a rare
// status, at the cost of reading up to that many views past a full page.
const (
	pageKeyBudget = 200
	filterChunk   = 10
)

// ListOrders returns a page of orders and the cursor of the next page ("" at the end).
func (p *Projections) ListOrders(ctx context.Context, q query.OrderSelection) ([]query.OrderSummary, string, error) {
	who, status := string(q.CustomerID), string(q.Status)
	l, partition, named := byCustomer, who, who
	switch {
	case who != "" && status != "":
		l, named = byCustomerStatus, who+"#"+status
	case who == "" && status != "":
		l, partition, named = byStatus, status, status
	case who == "":
		return p.listByDay(ctx, q)
	}
	span := createdSpanOf(q)
	var lek map[string]types.AttributeValue
	if q.Cursor != "" {
		c, err := decodeCursor(q.Cursor, l.name)
		if err != nil || c.Partition != named || c.Key == nil || !span.holds(c.Key["createdKey"]) {
			return nil, "", query.ErrBadCursor
		}
		lek = c.lek()
	}
	pg := p.pager()
	items, next, err := pg.page(ctx, pageQuery{l: l, partition: partition, status: status, filtered: l == byCustomerStatus,
		span: span, limit: q.Limit, lek: lek})
	if err != nil || next == nil {
		return items, "", err
	}
	return items, encodeCursor(l.name, named, next), nil
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
		c, err := decodeCursor(q.Cursor, byDay.name)
		if err != nil {
			return nil, "", err
		}
		if _, err := time.Parse("2006-01-02", c.Partition); err != nil || c.Partition > day || c.Partition < floor ||
			(c.Key != nil && !span.holds(c.Key["createdKey"])) {
			return nil, "", query.ErrBadCursor
		}
		day, lek = c.Partition, c.lek()
	}
	// One budget for the whole page, whatever the number of days it walks.
	pg := p.pager()
	var items []query.OrderSummary
	for range daysPerPage {
		got, next, err := pg.page(ctx, pageQuery{l: byDay, partition: day, span: span, limit: q.Limit - int32(len(items)), lek: lek})
		if err != nil {
			return nil, "", err
		}
		items = append(items, got...)
		if next != nil {
			return items, encodeCursor(byDay.name, day, next), nil
		}
		lek = nil
		d, _ := time.Parse("2006-01-02", day)
		day = d.AddDate(0, 0, -1).Format("2006-01-02")
		if day < floor {
			return items, "", nil
		}
		if int32(len(items)) >= q.Limit || pg.keysLeft <= 0 {
			break
		}
	}
	return items, encodeCursor(byDay.name, day, nil), nil
}

// pageQuery is one index partition's part of a page.
type pageQuery struct {
	l         listing
	partition string // the value of l.attr queried
	status    string // "" or the status a listed view must have, checked on the view itself
	// filtered: the index does not key the status, so many of its keys may be dropped (a customer's
	// orders of one status); reads go filterChunk keys at a time at least.
	filtered bool
	span     createdSpan
	limit    int32
	lek      map[string]types.AttributeValue
}

// pager reads the pages of one request within its key budget.
type pager struct {
	p        *Projections
	keysLeft int
}

func (p *Projections) pager() *pager {
	if p.pageKeys > 0 {
		return &pager{p: p, keysLeft: p.pageKeys}
	}
	return &pager{p: p, keysLeft: pageKeyBudget}
}

// page reads up to pq.limit views of one index partition, newest first, and the index key to continue
// from (nil: the partition has no more). It stops short, with a key, when the budget is spent.
func (pg *pager) page(ctx context.Context, pq pageQuery) ([]query.OrderSummary, map[string]types.AttributeValue, error) {
	items := make([]query.OrderSummary, 0, max(pq.limit, 0))
	values := map[string]types.AttributeValue{":p": &types.AttributeValueMemberS{Value: pq.partition}}
	cond := pq.span.condition(values)
	lek := pq.lek
	for int32(len(items)) < pq.limit {
		if pg.keysLeft <= 0 && lek != nil {
			return items, lek, nil // a short page: its cursor goes on from the last key read
		}
		want := int(pq.limit) - len(items)
		ask := want
		if pq.filtered {
			ask = max(want, filterChunk)
		}
		ask = max(min(ask, pg.keysLeft), 1) // at least one key: a partition's first query has no key to stop at
		out, err := pg.p.db.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(pg.p.table), IndexName: aws.String(pq.l.index),
			ScanIndexForward: aws.Bool(false), Limit: aws.Int32(int32(ask)), KeyConditionExpression: aws.String(cond), ExclusiveStartKey: lek,
			ExpressionAttributeNames: map[string]string{"#p": pq.l.attr}, ExpressionAttributeValues: values})
		if err != nil {
			return nil, nil, fmt.Errorf("dynamo: list orders: %w", err)
		}
		pg.keysLeft -= len(out.Items)
		keys := out.Items
		for len(keys) > 0 {
			// The views of as many keys as the page still needs (at least filterChunk when filtered), in
			// one BatchGetItem; the rest of the keys only if the page is still not full.
			least := 1
			if pq.filtered {
				least = filterChunk
			}
			n := min(len(keys), max(int(pq.limit)-len(items), least))
			chunk := keys[:n]
			keys = keys[n:]
			views, err := pg.p.views(ctx, chunk)
			if err != nil {
				return nil, nil, err
			}
			for i, k := range chunk {
				v, ok := views[str(k["pk"])]
				if ok && (pq.status == "" || str(v["status"]) == pq.status) {
					items = append(items, summary(v))
				}
				if int32(len(items)) == pq.limit {
					if i == len(chunk)-1 && len(keys) == 0 {
						return items, out.LastEvaluatedKey, nil // DynamoDB's own: nil when the partition ended here
					}
					return items, indexKey(k, pq.l.attr), nil
				}
			}
		}
		if out.LastEvaluatedKey == nil {
			return items, nil, nil
		}
		lek = out.LastEvaluatedKey
	}
	return items, lek, nil
}

// indexKey is the ExclusiveStartKey that continues a query of an index after the entry k: the table's
// key and the index's, as DynamoDB's LastEvaluatedKey of an index has them.
func indexKey(k map[string]types.AttributeValue, attr string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{attr: k[attr], "createdKey": k["createdKey"], "pk": k["pk"], "sk": k["sk"]}
}

// Unprocessed keys of a BatchGetItem are asked for again after a pause that doubles each time, as AWS
// recommends (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html):
// they are what throttling left, and asking at once would meet the same throttling. After
// batchGetTries calls with keys still unprocessed the page fails rather than leave a hole in it.
const (
	batchGetTries   = 6
	batchGetBackoff = 25 * time.Millisecond
)

// views reads the order views the index entries name, eventually consistent (half the read units of a
// strong read; the index they were found in is eventually consistent anyway), by pk. A view that no
// longer exists is absent.
func (p *Projections) views(ctx context.Context, entries []map[string]types.AttributeValue) (map[string]map[string]types.AttributeValue, error) {
	out := make(map[string]map[string]types.AttributeValue, len(entries))
	for len(entries) > 0 {
		n := min(len(entries), 100) // BatchGetItem's most keys per call
		keys := make([]map[string]types.AttributeValue, n)
		for i, e := range entries[:n] {
			keys[i] = map[string]types.AttributeValue{"pk": e["pk"], "sk": e["sk"]}
		}
		entries = entries[n:]
		req := map[string]types.KeysAndAttributes{p.table: {Keys: keys}}
		for try := 0; ; try++ {
			res, err := p.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
			if err != nil {
				return nil, fmt.Errorf("dynamo: read order views: %w", err)
			}
			for _, it := range res.Responses[p.table] {
				out[str(it["pk"])] = it
			}
			if len(res.UnprocessedKeys[p.table].Keys) == 0 {
				break
			}
			if try+1 == batchGetTries {
				return nil, fmt.Errorf("dynamo: read order views: %d keys still unprocessed after %d tries", len(res.UnprocessedKeys[p.table].Keys), batchGetTries)
			}
			req = res.UnprocessedKeys
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(batchGetBackoff << try):
			}
		}
	}
	return out, nil
}

// A cursor names the listing and partition it was issued for; a cursor for another listing or another
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

func encodeCursor(name, partition string, lek map[string]types.AttributeValue) string {
	c := cursor{Index: name, Partition: partition}
	if lek != nil {
		c.Key = map[string]string{}
		for k, v := range lek {
			c.Key[k] = str(v)
		}
	}
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// keyPartition is the value of the listing's index attribute a cursor's key must hold: the partition
// it names, or for a customer's orders of one status ("<customer>#<status>") the customer.
func keyPartition(l listing, partition string) string {
	if l == byCustomerStatus {
		if i := strings.LastIndexByte(partition, '#'); i > 0 {
			return partition[:i]
		}
		return ""
	}
	return partition
}

// decodeCursor checks that a cursor belongs to the listing and that its key is a key of that
// listing's partition: the index attribute, createdKey and the view's own key, nothing else. A
// ByCustomerStatus cursor issued before ADR 0022 holds the old index's key (customerStatus, the
// partition itself); it is read as the same position in ByCustomerKeys.
func decodeCursor(s, name string) (cursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) > 2048 {
		return cursor{}, query.ErrBadCursor
	}
	var c cursor
	l, known := listings[name]
	if err := json.Unmarshal(b, &c); err != nil || !known || c.Index != name || c.Partition == "" {
		return cursor{}, query.ErrBadCursor
	}
	if c.Key == nil {
		return c, nil
	}
	want := keyPartition(l, c.Partition)
	if old, ok := c.Key["customerStatus"]; ok && l == byCustomerStatus && old == c.Partition {
		if _, both := c.Key[l.attr]; both {
			return cursor{}, query.ErrBadCursor
		}
		delete(c.Key, "customerStatus")
		c.Key[l.attr] = want
	}
	if want == "" || c.Key[l.attr] != want || c.Key["createdKey"] == "" || !strings.HasPrefix(c.Key["pk"], "ORDER#") ||
		c.Key["sk"] != "VIEW" || len(c.Key) != 4 {
		return cursor{}, query.ErrBadCursor
	}
	return c, nil
}
