package soak

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/orion-oss/orion/infra/engine/faults"
	"github.com/orion-oss/orion/infra/engine/localaws"
	"github.com/orion-oss/orion/internal/platform/awscfg"
)

// data is everything the checks read back, straight from the emulator.
type data struct {
	orders   map[string]orderRecord
	views    map[string]viewRecord
	events   map[string][]outboxEvent // by order id
	stock    map[string]stockRecord
	emails   []localaws.SentEmail
	dlq      map[string][]dlqMessage // by queue name
	claims   map[string]int          // email inbox: claims of each event not released (more than one: a holder died)
	redriven int
}

type historyEntry struct {
	Status string `dynamodbav:"status"`
	Reason string `dynamodbav:"reason"`
}

type orderRecord struct {
	OrderID    string         `dynamodbav:"orderId"`
	Status     string         `dynamodbav:"status"`
	Reason     string         `dynamodbav:"statusReason"`
	Version    int64          `dynamodbav:"version"`
	History    []historyEntry `dynamodbav:"history"`
	CancelAt   string         `dynamodbav:"cancelRequestedAt"`
	CustomerID string         `dynamodbav:"customerId"`
	Total      moneyRecord    `dynamodbav:"total"`
	Returns    []returnRecord `dynamodbav:"returns"`
}

type moneyRecord struct {
	Amount   int64  `dynamodbav:"amount" json:"amount"`
	Currency string `dynamodbav:"currency" json:"currency"`
}

// returnRecord is one of an order's returns (issue 21): REQUESTED, RECEIVED (units back on sale,
// refund due) or REFUNDED.
type returnRecord struct {
	ID     string      `dynamodbav:"id"`
	Status string      `dynamodbav:"status"`
	Amount moneyRecord `dynamodbav:"amount"`
	Lines  []struct {
		SKU      string `dynamodbav:"sku"`
		Quantity int64  `dynamodbav:"quantity"`
	} `dynamodbav:"lines"`
}

type viewRecord struct {
	Status  string
	History []historyEntry
}

// viewOf reads an order view: its history is one attribute per order version, h<version, 10 digits>
// (internal/adapter/dynamo/projections.go), so a status change projected twice would still be one entry.
func viewOf(item map[string]any) viewRecord {
	v := viewRecord{}
	v.Status, _ = item["status"].(string)
	var keys []string
	for k := range item {
		if len(k) == 11 && k[0] == 'h' && strings.Trim(k[1:], "0123456789") == "" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		e, _ := item[k].(map[string]any)
		st, _ := e["status"].(string)
		reason, _ := e["reason"].(string)
		v.History = append(v.History, historyEntry{Status: st, Reason: reason})
	}
	return v
}

type stockRecord struct {
	SKU       string `dynamodbav:"sku"`
	Available int64  `dynamodbav:"available"`
	Reserved  int64  `dynamodbav:"reserved"`
	Sold      int64  `dynamodbav:"sold"`
}

type outboxEvent struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	Data struct {
		OrderID      string `json:"orderId"`
		OrderVersion int64  `json:"orderVersion"`
		Status       string `json:"status"`
		// Amount is a payment event's (PaymentCaptured, PaymentRefunded); ReturnID a return's.
		Amount   *moneyRecord `json:"amount"`
		ReturnID string       `json:"returnId"`
	} `json:"data"`
}

type dlqMessage struct {
	body, receipt string
}

// mailing are the events that email the customer, once each; PaymentRefunded only for a return
// (mails, below).
var mailing = []string{"OrderConfirmed", "OrderRejected", "OrderCancelled", "OrderFailed", "OrderShipped", "OrderDelivered", "PaymentRefunded"}

// mails reports whether the event emails the customer.
func (e outboxEvent) mails() bool {
	return slices.Contains(mailing, e.Type) && (e.Type != "PaymentRefunded" || e.Data.ReturnID != "")
}

// statusEvent is the event each status change writes to the outbox with it.
var statusEvent = map[string]string{"PENDING": "OrderPlaced", "RESERVED": "InventoryReserved", "PAYMENT_AUTHORIZED": "PaymentAuthorized",
	"CONFIRMED": "OrderConfirmed", "REJECTED": "OrderRejected", "CANCELLED": "OrderCancelled", "FAILED": "OrderFailed",
	"SHIPPED": "OrderShipped", "DELIVERED": "OrderDelivered"}

// terminal reports whether the order has settled: ended, or confirmed (and perhaps shipped or
// delivered) with nothing pending, neither a cancellation nor a received return's refund.
func (o orderRecord) terminal() bool {
	switch o.Status {
	case "REJECTED", "CANCELLED", "FAILED":
		return true
	case "CONFIRMED":
		return o.CancelAt == "" // a pending cancellation will still move it
	case "SHIPPED", "DELIVERED":
		return !slices.ContainsFunc(o.Returns, func(r returnRecord) bool { return r.Status == "RECEIVED" })
	}
	return false
}

// kept reports whether the customer keeps the order (and pays for it, less refunded returns).
func (o orderRecord) kept() bool {
	return o.Status == "CONFIRMED" || o.Status == "SHIPPED" || o.Status == "DELIVERED"
}

func (r *run) clients(ctx context.Context) (*dynamodb.Client, *sqs.Client) {
	cfg, err := awscfg.Load(ctx)
	if err != nil {
		r.t.Fatal(err)
	}
	return dynamodb.NewFromConfig(cfg), sqs.NewFromConfig(cfg)
}

func scan[T any](ctx context.Context, r *run, db *dynamodb.Client, table string, each func(T)) {
	p := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			r.t.Fatalf("scan %s: %v", table, err)
		}
		for _, item := range page.Items {
			var v T
			if err := attributevalue.UnmarshalMap(item, &v); err != nil {
				r.t.Fatalf("scan %s: %v", table, err)
			}
			each(v)
		}
	}
}

// read collects the data; with queues, it also receives (and keeps invisible) every DLQ message.
func (r *run) read(ctx context.Context, queues bool) *data {
	db, q := r.clients(ctx)
	d := &data{orders: map[string]orderRecord{}, views: map[string]viewRecord{}, events: map[string][]outboxEvent{}, stock: map[string]stockRecord{}, dlq: map[string][]dlqMessage{}}
	out := func(k string) string { return fmt.Sprint(r.st.Outputs[k]) }
	scan(ctx, r, db, out("OrdersTableName"), func(o orderRecord) {
		if o.OrderID != "" {
			d.orders[o.OrderID] = o
		}
	})
	scan(ctx, r, db, out("ProjectionsTableName"), func(item map[string]any) {
		pk, _ := item["pk"].(string)
		id, ok := strings.CutPrefix(pk, "ORDER#")
		if !ok {
			return
		}
		d.views[id] = viewOf(item)
	})
	scan(ctx, r, db, out("OutboxTableName"), func(item struct {
		Envelope string `dynamodbav:"envelope"`
	}) {
		var e outboxEvent
		if json.Unmarshal([]byte(item.Envelope), &e) == nil && e.Data.OrderID != "" {
			d.events[e.Data.OrderID] = append(d.events[e.Data.OrderID], e)
		}
	})
	scan(ctx, r, db, out("InventoryTableName"), func(s stockRecord) { d.stock[s.SKU] = s })
	d.claims = map[string]int{}
	scan(ctx, r, db, out("ProcessedEventsTableName"), func(rec struct {
		PK       string `dynamodbav:"pk"`
		Attempts int    `dynamodbav:"attempts"`
		Releases int    `dynamodbav:"releases"`
	}) {
		if id, ok := strings.CutPrefix(rec.PK, "email#"); ok {
			d.claims[id] = rec.Attempts - rec.Releases // the claims not given back: one completed, the rest taken over
		}
	})
	emails, err := localaws.SentEmails(ctx, r.endpoint())
	if err != nil {
		r.t.Fatalf("sent emails: %v", err)
	}
	d.emails = emails
	if queues {
		list, err := q.ListQueues(ctx, &sqs.ListQueuesInput{})
		if err != nil {
			r.t.Fatal(err)
		}
		for _, u := range list.QueueUrls {
			name := u[strings.LastIndex(u, "/")+1:]
			if !strings.HasSuffix(name, "-dlq") && !strings.HasSuffix(name, "-rejected") {
				continue // a working queue (the fulfilment partner's): its messages are its consumer's
			}
			for {
				m, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(u), MaxNumberOfMessages: 10, VisibilityTimeout: 600})
				if err != nil {
					r.t.Fatal(err)
				}
				if len(m.Messages) == 0 {
					break
				}
				for _, msg := range m.Messages {
					d.dlq[name] = append(d.dlq[name], dlqMessage{body: aws.ToString(msg.Body), receipt: aws.ToString(msg.ReceiptHandle)})
				}
			}
		}
	}
	return d
}

func (r *run) endpoint() string {
	return strings.TrimSuffix(os.Getenv("AWS_ENDPOINT_URL"), "/")
}

// mailsOf counts the emails about each order (the body names the order).
func (d *data) mailsOf(r *run) map[string][]string {
	byShort := map[string]string{}
	for _, o := range r.orders {
		if o.id != "" {
			byShort[o.id[len(o.id)-8:]] = o.id
		}
	}
	out := map[string][]string{}
	for _, m := range d.emails {
		for short, id := range byShort {
			if strings.Contains(m.Subject, short) || strings.Contains(m.Body, id) {
				out[id] = append(out[id], m.Subject)
				break
			}
		}
	}
	return out
}

func (d *data) mailingEvents(id string) []string {
	var out []string
	for _, e := range d.events[id] {
		if e.mails() {
			out = append(out, e.ID)
		}
	}
	return out
}

// settle waits until every order is terminal and everything downstream has caught up: views match the
// orders, every customer that can receive mail has one email per mailing event, every bounced one is in
// the email DLQ. It returns the data it last read.
func (r *run) settle(ctx context.Context) *data {
	var d *data
	var why string
	said := time.Now()
	for {
		d = r.read(context.WithoutCancel(ctx), false)
		why = r.behind(d)
		if why == "" {
			break
		}
		if ctx.Err() != nil {
			r.t.Fatalf("soak: not settled within %s: %s", r.cfg.deadline, why)
		}
		if time.Since(said) > 20*time.Second {
			r.t.Logf("soak: waiting (%s in): %s", time.Since(r.started).Round(time.Second), why)
			said = time.Now()
		}
		time.Sleep(2 * time.Second)
	}
	// Late duplicates would arrive now: wait a little and read again.
	time.Sleep(3 * time.Second)
	return r.read(ctx, true)
}

// behind says what has not caught up yet ("" when nothing).
func (r *run) behind(d *data) string {
	mails := d.mailsOf(r)
	for _, o := range r.orders {
		if o.id == "" {
			continue
		}
		rec, ok := d.orders[o.id]
		switch {
		case !ok:
			return "order " + o.id + " is missing"
		case !rec.terminal():
			return fmt.Sprintf("order %s is %s (cancellation requested: %v, returns %v)", o.id, rec.Status, rec.CancelAt != "", rec.Returns)
		case o.fulfil != fulfilNone && !o.fulfilled.Load():
			return fmt.Sprintf("order %s is not fulfilled yet (%s)", o.id, rec.Status)
		case !viewMatches(d.views[o.id], rec):
			return fmt.Sprintf("view of %s is %s %v, order %s %v", o.id, d.views[o.id].Status, d.views[o.id].History, rec.Status, rec.History)
		case !r.customers[o.customer].bounce && len(mails[o.id]) < len(d.mailingEvents(o.id)):
			return fmt.Sprintf("order %s has %d emails for %d mailing events", o.id, len(mails[o.id]), len(d.mailingEvents(o.id)))
		}
	}
	return ""
}

// check asserts every invariant on the settled data, then redrives the DLQ and checks again.
func (r *run) check(ctx context.Context, d *data) {
	t := r.t
	mails := d.mailsOf(r)
	sold := map[string]int64{}
	for _, o := range r.orders {
		if o.id == "" {
			continue // already reported
		}
		rec := d.orders[o.id]
		// Exactly one terminal status in the history, and it is the order's status.
		terminals := 0
		for _, h := range rec.History {
			if h.Status == "REJECTED" || h.Status == "CANCELLED" || h.Status == "FAILED" {
				terminals++
			}
		}
		if !rec.terminal() || (!rec.kept() && terminals != 1) || (rec.kept() && terminals != 0) {
			t.Errorf("order %s: status %s with history %v", o.id, rec.Status, rec.History)
		}
		if rec.kept() {
			for sku, q := range o.lines {
				sold[sku] += q
			}
			// A return's units are back on sale once received, not before (asked is not enough).
			for _, rt := range rec.Returns {
				if rt.Status == "RECEIVED" || rt.Status == "REFUNDED" {
					for _, l := range rt.Lines {
						sold[l.SKU] -= l.Quantity
					}
				}
			}
		}
		r.checkMoney(o.id, rec, d.events[o.id])
		// One outbox event per status change, and no event twice.
		want := map[string]int{}
		for _, h := range rec.History {
			want[statusEvent[h.Status]]++
		}
		got := map[string]int{}
		ids := map[string]bool{}
		for _, e := range d.events[o.id] {
			if _, ok := want[e.Type]; ok || slices.Contains(slices.Collect(maps.Values(statusEvent)), e.Type) {
				got[e.Type]++
			}
			if ids[e.ID] {
				t.Errorf("order %s: event %s twice in the outbox", o.id, e.ID)
			}
			ids[e.ID] = true
		}
		if !maps.Equal(want, got) {
			t.Errorf("order %s: status changes %v but status events %v", o.id, want, got)
		}
		// One projection update per change: the view's history is the order's.
		if v := d.views[o.id]; !viewMatches(v, rec) {
			t.Errorf("order %s: view %s %v; order %s %v", o.id, v.Status, v.History, rec.Status, rec.History)
		}
		// One email per mailing outcome (bounced addresses are checked after the redrive). The one
		// exception is the documented window of the inbox (internal/adapter/dynamo/inbox): an attempt
		// killed after SES accepted the email and before the inbox recorded it; the retry that takes the claim over sends it again. The
		// inbox record shows it (more than one claim), and only an injected kill can cause it.
		if !r.customers[o.customer].bounce {
			n, m, taken := len(mails[o.id]), 0, 0
			for _, id := range d.mailingEvents(o.id) {
				m++
				taken += max(d.claims[id]-1, 0)
			}
			if n < m || n > m+taken {
				t.Errorf("order %s: %d emails %q for %d mailing events (%d claims taken over from a killed attempt)", o.id, n, mails[o.id], m, taken)
			}
			r.repeatedEmails += n - m
		}
	}
	if r.repeatedEmails > r.stats.emailKills {
		t.Errorf("%d emails repeated, but only %d attempts of the email function were killed", r.repeatedEmails, r.stats.emailKills)
	}
	// Stock: conserved, never negative, nothing left reserved, sold exactly what was confirmed less
	// the returns received.
	for sku, initial := range r.initial {
		s := d.stock[sku]
		if s.Available < 0 || s.Reserved != 0 || s.Sold < 0 || s.Available+s.Reserved+s.Sold != initial || s.Sold != sold[sku] {
			t.Errorf("%s: available %d + reserved %d + sold %d (initial %d); confirmed orders bought %d", sku, s.Available, s.Reserved, s.Sold, initial, sold[sku])
		}
	}
	r.checkSockets(d)
	r.checkDeadLetters(ctx, d)
}

// checkSockets: each connection got each status change at most once, in order, only for its
// customer's orders, and only changes the order really went through.
func (r *run) checkSockets(d *data) {
	mine := map[string]int{}
	for _, o := range r.orders {
		mine[o.id] = o.customer
	}
	for _, s := range r.sockets {
		s.mu.Lock()
		for n, conn := range s.conns {
			seen := map[string]bool{}
			last := map[string]int64{}
			for _, p := range conn {
				if p.Type != "order.status" {
					continue
				}
				owner, ok := mine[p.OrderID]
				switch {
				case !ok || owner != s.customer:
					r.t.Errorf("customer %d connection %d: pushed order %s of customer %d", s.customer, n, p.OrderID, owner)
				case seen[p.EventID]:
					r.t.Errorf("customer %d connection %d: event %s pushed twice", s.customer, n, p.EventID)
				case p.OrderVersion <= last[p.OrderID]:
					r.t.Errorf("customer %d connection %d: order %s version %d after %d", s.customer, n, p.OrderID, p.OrderVersion, last[p.OrderID])
				case !slices.ContainsFunc(d.orders[p.OrderID].History, func(h historyEntry) bool { return h.Status == p.Status }):
					r.t.Errorf("customer %d connection %d: pushed %s for order %s whose history is %v", s.customer, n, p.Status, p.OrderID, d.orders[p.OrderID].History)
				}
				seen[p.EventID] = true
				last[p.OrderID] = max(last[p.OrderID], p.OrderVersion)
			}
		}
		s.mu.Unlock()
	}
}

// checkDeadLetters: the only DLQ messages are emails to bounced addresses (the permanent SES fault),
// every such email is there, and redriving them (faults stopped) mails each outcome exactly once.
func (r *run) checkDeadLetters(ctx context.Context, d *data) {
	t := r.t
	owner := map[string]*order{}
	for _, o := range r.orders {
		owner[o.id] = o
	}
	emailQueue := fmt.Sprint(r.st.Outputs["EmailDeadLetterQueueUrl"])
	emailQueue = emailQueue[strings.LastIndex(emailQueue, "/")+1:]
	expected := map[string]bool{} // mailing event ids of bounced customers
	for _, o := range r.orders {
		if o.id != "" && r.customers[o.customer].bounce {
			for _, id := range d.mailingEvents(o.id) {
				expected[id] = true
			}
		}
	}
	_, q := r.clients(ctx)
	var payloads []json.RawMessage
	found := map[string]bool{}
	deadline := time.Now().Add(3*asyncRetryBase + time.Minute) // two asynchronous retries, one and two bases apart
	for {
		for name, msgs := range d.dlq {
			for _, m := range msgs {
				if name != emailQueue {
					t.Errorf("DLQ %s holds a message no permanent fault explains: %.300s", name, m.body)
					continue
				}
				var rec struct {
					RequestPayload json.RawMessage `json:"requestPayload"`
				}
				var ev struct {
					Detail outboxEvent `json:"detail"`
				}
				if json.Unmarshal([]byte(m.body), &rec) != nil || json.Unmarshal(rec.RequestPayload, &ev) != nil {
					t.Errorf("email DLQ message is not a failure record: %.300s", m.body)
					continue
				}
				o := owner[ev.Detail.Data.OrderID]
				switch {
				case o != nil && r.customers[o.customer].bounce:
				case r.mailedPerInbox(ctx, ev.Detail.ID):
					// The event's last attempt sent the email and recorded it, then a crash fault killed the
					// instance before it answered (docs/faults.md, crash): Lambda counts the attempt failed
					// and, with no retry left, keeps the event. The redrive finds it done and mails nothing;
					// the email checks count it once.
					t.Logf("email DLQ keeps event %s (%s), mailed and recorded before its last attempt crashed", ev.Detail.ID, ev.Detail.Type)
				default:
					t.Errorf("email DLQ holds event %s (%s) of order %s, whose customer's mail no permanent fault refuses; %s",
						ev.Detail.ID, ev.Detail.Type, ev.Detail.Data.OrderID, r.story(ctx, ev.Detail.ID))
				}
				found[ev.Detail.ID] = true
				payloads = append(payloads, rec.RequestPayload)
				u, _ := q.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
				if u != nil {
					q.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: u.QueueUrl, ReceiptHandle: aws.String(m.receipt)})
				}
			}
		}
		keptExpected := 0 // only the bounced customers' events count: a crashed last attempt adds others
		for id := range expected {
			if found[id] {
				keptExpected++
			}
		}
		if keptExpected == len(expected) || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
		d.dlq = r.read(ctx, true).dlq
	}
	for id := range expected {
		if !found[id] {
			t.Errorf("mailing event %s of a bounced customer is neither mailed nor in the email DLQ; %s", id, r.story(ctx, id))
		}
	}
	r.dlqMessages = len(payloads)
	// Redrive: SES accepts the bounced addresses again (faults stop); each kept event mails once even
	// if it was kept twice (a duplicated delivery fails twice).
	r.inj.Stop()
	cfg, err := awscfg.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fn := lambda.NewFromConfig(cfg, func(o *lambda.Options) { o.BaseEndpoint = aws.String(r.st.EdgeURL) })
	var sendEmail string
	for _, name := range r.st.Functions() {
		if isEmailFunction(name) {
			sendEmail = name
		}
	}
	for _, p := range payloads {
		// An attempt killed on its last try leaves its claim leased until its deadline and a margin
		// (about 12 s): the redrive waits it out, as an operator redriving later would never notice.
		for wait := time.Now().Add(30 * time.Second); ; time.Sleep(2 * time.Second) {
			out, err := fn.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(sendEmail), Payload: p})
			if err == nil && out.FunctionError != nil && strings.Contains(string(out.Payload), "being handled by another attempt") && time.Now().Before(wait) {
				continue
			}
			if err != nil {
				t.Errorf("redrive to %q: %v", sendEmail, err)
			} else if out.FunctionError != nil {
				t.Errorf("redrive to %q: %s", sendEmail, out.Payload)
			}
			break
		}
	}
	after := r.read(ctx, false)
	mails := after.mailsOf(r)
	for _, o := range r.orders {
		if o.id != "" && r.customers[o.customer].bounce {
			if n, m := len(mails[o.id]), len(after.mailingEvents(o.id)); n != m {
				t.Errorf("bounced order %s after the redrive: %d emails %q for %d mailing events", o.id, n, mails[o.id], m)
			}
		}
	}
}

// inboxRecord reads the email inbox record of an event (nil without one), strongly consistent.
func (r *run) inboxRecord(ctx context.Context, eventID string) (map[string]types.AttributeValue, error) {
	db, _ := r.clients(ctx)
	rec, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(fmt.Sprint(r.st.Outputs["ProcessedEventsTableName"])),
		Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "email#" + eventID}}, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, err
	}
	return rec.Item, nil
}

// mailedPerInbox reports whether the email inbox records the event as done with its email sent.
func (r *run) mailedPerInbox(ctx context.Context, eventID string) bool {
	item, err := r.inboxRecord(ctx, eventID)
	if err != nil || item == nil {
		return false
	}
	var m struct {
		Status  string `dynamodbav:"status"`
		Outcome string `dynamodbav:"outcome"`
	}
	return attributevalue.UnmarshalMap(item, &m) == nil && m.Status == "DONE" && strings.HasPrefix(m.Outcome, "SENT")
}

// story tells what became of an event, for a failed check: its deliveries and its email inbox record.
func (r *run) story(ctx context.Context, eventID string) string {
	r.stats.mu.Lock()
	deliveries := slices.Clone(r.stats.byEvent[eventID])
	r.stats.mu.Unlock()
	item, err := r.inboxRecord(ctx, eventID)
	inbox := "none"
	switch {
	case err != nil:
		inbox = err.Error()
	case item != nil:
		var m map[string]any
		_ = attributevalue.UnmarshalMap(item, &m)
		inbox = fmt.Sprint(m)
	}
	return fmt.Sprintf("deliveries %q; email inbox record %s", deliveries, inbox)
}

// summary prints what the soak did; `make soak` shows it, `go test -v` too.
func (r *run) summary(d *data) {
	var b strings.Builder
	outcomes := map[string]int{}
	for _, o := range r.orders {
		rec := d.orders[o.id]
		k := rec.Status
		if rec.Reason != "" {
			k += " " + rec.Reason
		}
		outcomes[k]++
	}
	rate := "unpaced"
	if r.cfg.rate > 0 {
		rate = fmt.Sprintf("%.1f orders/s", r.cfg.rate)
	}
	fmt.Fprintf(&b, "\nsoak: %d orders (%s), %d customers, %d workers, seed %d\n", len(r.orders), rate, r.cfg.customers, r.cfg.workers, r.cfg.seed)
	fmt.Fprintf(&b, "  %-50s %9s\n", "orders by outcome", "count")
	for _, k := range slices.Sorted(maps.Keys(outcomes)) {
		fmt.Fprintf(&b, "  %-50s %9d\n", k, outcomes[k])
	}
	counts, perm := r.inj.Counts(), r.inj.Permanent()
	total := 0
	fmt.Fprintf(&b, "  %-50s %9s\n", "faults injected by kind", "count")
	for _, k := range faults.Kinds {
		label := string(k)
		if perm[k] > 0 {
			label += fmt.Sprintf(" (%d permanent)", perm[k])
		}
		fmt.Fprintf(&b, "  %-50s %9d\n", label, counts[k])
		total += counts[k]
	}
	r.stats.mu.Lock()
	inv, failed, deliveries, dups, held := r.stats.invocations, r.stats.failedAttempts, r.stats.deliveries, r.stats.duplicates, r.stats.held
	r.stats.mu.Unlock()
	ddb := 0
	for _, ops := range r.st.Calls() {
		for op, n := range ops {
			if strings.HasPrefix(op, "dynamodb:") {
				ddb += n
			}
		}
	}
	pushes, conns := 0, 0
	for _, s := range r.sockets {
		conns += len(s.conns)
		for _, c := range s.conns {
			pushes += len(c)
		}
	}
	rows := []struct {
		k string
		v any
	}{
		{"faults injected (all kinds)", total},
		{"function invocations", inv},
		{"  failed attempts, retried", failed},
		{"  HTTP client retries (5xx)", r.stats.httpRetries.Load()},
		{"  SDK retries (throttle + 5xx)", counts[faults.Throttle] + counts[faults.ServerError]},
		{"event deliveries", deliveries},
		{"  duplicates delivered, suppressed", dups},
		{"  held back (out of order)", held},
		{"WebSocket connections (drops: reconnects)", conns},
		{"  messages received", pushes},
		{"orders shipped (twice each: no-op)", r.fulfiller.shipped.Load()},
		{"  units asked back / received (twice each)", fmt.Sprintf("%d / %d", r.fulfiller.asked.Load(), r.fulfiller.received.Load())},
		{"money captured / refunded (cents)", fmt.Sprintf("%d / %d", r.captured, r.refunded)},
		{"DLQ messages (all redriven)", r.dlqMessages},
		{"emails repeated: sender killed mid-send", r.repeatedEmails},
		{"DynamoDB calls by functions", ddb},
		{"time: placing", r.placedIn.Round(time.Second)},
		{"time: settled", r.settledIn.Round(time.Second)},
		{"time: checked and redriven", r.tookIn.Round(time.Second)},
		{"orders per second (placed to settled)", fmt.Sprintf("%.1f", float64(len(r.orders))/r.settledIn.Seconds())},
	}
	// Where the CPU went until everything settled: the emulator's share is what a real AWS takes off the
	// machine; the runtime's is this repository's local plumbing (and the soak's own clients).
	share := func(d time.Duration) string {
		return fmt.Sprintf("%.0fs %3.0f%%", d.Seconds(), 100*d.Seconds()/max(r.cpu.total().Seconds(), 1e-9))
	}
	rows = append(rows, []struct {
		k string
		v any
	}{
		{"CPU until settled (2 cores: 2 s per s)", fmt.Sprintf("%.0fs", r.cpu.total().Seconds())},
		{"  emulator (moto, Dynoxide)", share(r.cpu.emulator)},
		{"  functions", share(r.cpu.functions)},
		{"  runtime (gateway, bus, states, host) and clients", share(r.cpu.runtime)},
	}...)
	for _, row := range rows {
		fmt.Fprintf(&b, "  %-50s %9v\n", row.k, row.v)
	}
	r.t.Log(b.String())
	if p := os.Getenv("ORION_SOAK_SUMMARY"); p != "" {
		os.WriteFile(p, []byte(b.String()), 0o644)
	}
}
