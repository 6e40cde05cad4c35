package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/orion-oss/orion/infra/engine/edge"
	"github.com/orion-oss/orion/infra/engine/localaws"
	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
	"github.com/orion-oss/orion/infra/orion/redrive"
	"github.com/orion-oss/orion/internal/email"
	"github.com/orion-oss/orion/internal/platform/awscfg"
)

// inbox is every message the emulator accepted for one address.
func inbox(t *testing.T, to string) []localaws.SentEmail {
	t.Helper()
	all, err := localaws.SentEmails(context.Background(), os.Getenv("AWS_ENDPOINT_URL"))
	// moto's state dump fails now and then while the system writes (a 500): try again before deciding
	// that the endpoint has no mailbox, or a test would skip by chance.
	for retry := 0; errors.Is(err, localaws.ErrNoMailbox) && retry < 10; retry++ {
		time.Sleep(200 * time.Millisecond)
		all, err = localaws.SentEmails(context.Background(), os.Getenv("AWS_ENDPOINT_URL"))
	}
	if errors.Is(err, localaws.ErrNoMailbox) {
		t.Skip("the AWS endpoint cannot show the messages it sent")
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []localaws.SentEmail
	for _, m := range all {
		for _, addr := range m.To {
			if strings.EqualFold(addr, to) {
				out = append(out, m)
			}
		}
	}
	return out
}

// expectMail waits until the address has n messages, then checks that no more arrive.
func expectMail(t *testing.T, to string, n int) []localaws.SentEmail {
	t.Helper()
	deadline := time.Now().Add(slack(10 * time.Second))
	for len(inbox(t, to)) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%s has %d messages after 10 s; want %d", to, len(inbox(t, to)), n)
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	got := inbox(t, to)
	if len(got) != n {
		subjects := make([]string, len(got))
		for i, m := range got {
			subjects[i] = m.Subject
		}
		t.Fatalf("%s has %d messages %q; want %d", to, len(got), subjects, n)
	}
	return got
}

// customerWithAddress creates a customer and returns the address and an access token.
func customerWithAddress(t *testing.T) (string, string) {
	t.Helper()
	addr := strings.ToLower(awstest.Name(t, "mail")) + "@example.com"
	tok, err := user(context.Background(), addr, false)
	if err != nil {
		t.Fatal(err)
	}
	return addr, tok
}

// Each outcome mails the customer exactly once, with a subject that says what happened.
func TestEmailPerOutcome(t *testing.T) {
	emulatorOnly(t, "reads the mail from the emulator's SES; SES on AWS keeps no mailbox to read")
	tests := []struct {
		name, token, status, subject, body string
		qty                                int
		cancel                             bool
	}{
		{name: "confirmed", token: "tok_visa", qty: 2, status: "CONFIRMED", subject: "confirmed", body: "$25.00"},
		{name: "declined", token: "tok_declined", qty: 1, status: "REJECTED", subject: "not placed: payment declined", body: "declined"},
		{name: "out of stock", token: "tok_visa", qty: 50, status: "REJECTED", subject: "not placed: out of stock", body: "stock"},
		{name: "failed", token: "tok_unavailable", qty: 1, status: "FAILED", subject: "could not be completed", body: "payment"},
		{name: "cancelled", token: "tok_visa", qty: 1, status: "CANCELLED", subject: "cancelled", cancel: true, body: "cancel"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addr, tok := customerWithAddress(t)
			s := stockItem(t, 10)
			id := order1(t, tok, s, tt.qty, tt.token)
			if tt.cancel {
				settle(t, tok, id, "CONFIRMED")
				if c := do(t, "POST", "/orders/"+id+"/cancel", tok, ""); c.status != 202 {
					t.Fatalf("cancel: %d %s", c.status, c.body)
				}
			}
			if o := settle(t, tok, id, tt.status); o["status"] != tt.status {
				t.Fatalf("order %v", o["status"])
			}
			// A cancelled order was confirmed first: two outcomes, two emails.
			n := 1
			if tt.cancel {
				n = 2
			}
			mails := expectMail(t, addr, n)
			last := mails[len(mails)-1]
			want := "Order " + email.ShortID(id) + " " + tt.subject
			if last.Subject != want || !strings.Contains(last.Body, id) || !strings.Contains(strings.ToLower(last.Body), tt.body) {
				t.Fatalf("mail %q\n%s\nwant subject %q, the order id and %q", last.Subject, last.Body, want, tt.body)
			}
			if last.Source != output("EmailSenderAddress") {
				t.Fatalf("sent from %q; want the EmailFrom identity %v", last.Source, output("EmailSenderAddress"))
			}
		})
	}
}

// The same event delivered three times sends one email.
func TestEmailOncePerEvent(t *testing.T) {
	emulatorOnly(t, "reads the mail from the emulator's SES; SES on AWS keeps no mailbox to read")
	addr, tok := customerWithAddress(t)
	s := stockItem(t, 10)
	id := order1(t, tok, s, 1, "tok_visa")
	settle(t, tok, id, "CONFIRMED")
	expectMail(t, addr, 1)
	confirmed, ok := bus.first(id, "OrderConfirmed")
	if !ok {
		t.Fatal("no OrderConfirmed on the bus")
	}
	for range 2 {
		putAgain(t, confirmed)
	}
	eventually(t, "the duplicates on the bus", func() bool {
		n := 0
		for _, typ := range bus.types(id) {
			if typ == "OrderConfirmed" {
				n++
			}
		}
		return n == 3
	})
	expectMail(t, addr, 1)
}

// Stock falling below its item's threshold alerts the admins, once.
func TestEmailLowStockAlert(t *testing.T) {
	emulatorOnly(t, "reads the mail from the emulator's SES; SES on AWS keeps no mailbox to read")
	tok := customerToken(t)
	s := sku(t)
	body := `{"name":"Scarce","price":{"amount":500,"currency":"USD"},"available":10,"lowStockThreshold":8}`
	if r := do(t, "PUT", "/inventory/"+s, sys.adminTok, body); r.status != 201 {
		t.Fatalf("item: %d %s", r.status, r.body)
	}
	for _, qty := range []int{3, 1} { // 10 -> 7 crosses 8; 7 -> 6 is already low
		settle(t, tok, order1(t, tok, s, qty, "tok_visa"), "CONFIRMED")
	}
	admin := output("AdminEmailAddress")
	want := fmt.Sprintf("Low stock: %s (7 left)", s)
	deadline := time.Now().Add(slack(10 * time.Second))
	for {
		n := 0
		for _, m := range inbox(t, admin) {
			if m.Subject == want {
				n++
			}
		}
		if n == 1 {
			time.Sleep(500 * time.Millisecond)
			for _, m := range inbox(t, admin) {
				if strings.HasPrefix(m.Subject, "Low stock: "+s+" ") && m.Subject != want {
					t.Fatalf("a second alert %q", m.Subject)
				}
			}
			break
		}
		if n > 1 || time.Now().After(deadline) {
			t.Fatalf("%d alerts %q for the admins; want 1", n, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// A send that keeps failing (SES sending paused) is retried, then kept in the function's DLQ with its
// event: nothing is lost, and redriving the event once SES is back mails the customer exactly once.
func TestEmailFailureLandsInTheDLQ(t *testing.T) {
	inProcessOnly(t, "injects an SES fault into the runtime's AWS endpoint (Stack.InjectFault)")
	addr, tok := customerWithAddress(t)
	remove := sys.stack.InjectFault(edge.Fault{Service: "ses", Status: 400, Code: "SendingPausedException",
		Message: "sending is paused for this account", Match: func(_ *http.Request, body []byte) bool { return bytes.Contains(body, []byte(addr)) }})
	defer remove()
	s := stockItem(t, 10)
	id := order1(t, tok, s, 1, "tok_visa")
	settle(t, tok, id, "CONFIRMED")

	cfg, err := awscfg.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	q := sqs.NewFromConfig(cfg)
	queue := output("EmailDeadLetterQueueUrl")
	var record struct {
		RequestContext struct {
			Condition              string `json:"condition"`
			ApproximateInvokeCount int    `json:"approximateInvokeCount"`
		} `json:"requestContext"`
		RequestPayload json.RawMessage `json:"requestPayload"`
	}
	eventually(t, "the failed event in the email DLQ", func() bool {
		out, err := q.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: &queue, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, m := range out.Messages {
			found = found || strings.Contains(aws.ToString(m.Body), id) && json.Unmarshal([]byte(aws.ToString(m.Body)), &record) == nil
			// Peek only: visible again at once, for the redrive below.
			q.ChangeMessageVisibility(context.Background(), &sqs.ChangeMessageVisibilityInput{QueueUrl: &queue, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0})
		}
		return found
	})
	if record.RequestContext.Condition != "RetriesExhausted" || record.RequestContext.ApproximateInvokeCount != 3 {
		t.Fatalf("DLQ record context %+v; want RetriesExhausted after 3 attempts", record.RequestContext)
	}
	if n := len(inbox(t, addr)); n != 0 {
		t.Fatalf("%d emails sent while SES failed", n)
	}
	// SES is back: redrive the queue (make redrive does the same), then once more by mistake.
	remove()
	edgeCfg := cfg.Copy()
	edgeCfg.BaseEndpoint = aws.String(sys.stack.EdgeURL)
	for round := range 2 {
		outcomes, err := redrive.Run(context.Background(), q, lambda.NewFromConfig(edgeCfg), queue, redrive.Options{})
		if err != nil {
			t.Fatal(err)
		}
		redriven := 0
		for _, o := range outcomes {
			if o.Err != nil {
				t.Fatalf("round %d: %s: %v", round, o.MessageID, o.Err)
			}
			if o.Redriven && strings.HasSuffix(o.Function, "SendEmailFunction") {
				redriven++
			}
		}
		if want := 1 - round; redriven != want { // the first round empties the queue
			t.Fatalf("round %d redrove %d messages; want %d", round, redriven, want)
		}
	}
	fn := lambda.NewFromConfig(edgeCfg)
	if out, err := fn.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String(functionName(t, "SendEmailFunction")), Payload: record.RequestPayload}); err != nil || out.FunctionError != nil {
		t.Fatalf("a repeated redrive: %v", err)
	}
	if got := expectMail(t, addr, 1); !strings.Contains(got[0].Subject, "confirmed") {
		t.Fatalf("redriven mail %q", got[0].Subject)
	}
}
