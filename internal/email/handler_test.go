package email_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/smithy-go"

	"github.com/orion-oss/orion/internal/email"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/platform/metrics"
)

// fakeInbox is an in-memory Inbox with the DynamoDB inbox's rules (a live lease or DONE refuses a
// claim; complete and release need the claim's token). That adapter is tested against the emulator in
// internal/adapter/dynamo/inbox.
type fakeInbox struct {
	mu      sync.Mutex
	records map[string]*email.Claim
	n       int
	lease   time.Duration
}

func newFakeInbox() *fakeInbox {
	return &fakeInbox{records: map[string]*email.Claim{}, lease: time.Minute}
}

func (f *fakeInbox) Claim(_ context.Context, consumer, eventID string) (email.Claim, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	key := consumer + "#" + eventID
	attempts := int64(1)
	if r, ok := f.records[key]; ok {
		if r.Status == email.ClaimDone || r.LeaseUntil.After(time.Now()) {
			c := *r
			c.Token = ""
			if r.Status != email.ClaimDone {
				c.Status = email.ClaimBusy
			}
			return c, nil
		}
		attempts = r.Attempts + 1 // an expired lease: its attempt crashed
	}
	f.n++
	c := email.Claim{Consumer: consumer, EventID: eventID, Status: email.ClaimAcquired, Token: fmt.Sprint(f.n),
		LeaseUntil: time.Now().Add(f.lease), Attempts: attempts}
	f.records[key] = &c
	return c, nil
}

var errLeaseLost = errors.New("fake inbox: lease lost")

func (f *fakeInbox) owned(c email.Claim) (*email.Claim, error) {
	r, ok := f.records[c.Consumer+"#"+c.EventID]
	if !ok || r.Token != c.Token || r.Status != email.ClaimAcquired {
		return nil, errLeaseLost
	}
	return r, nil
}

func (f *fakeInbox) Complete(_ context.Context, c email.Claim, outcome string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, err := f.owned(c)
	if err != nil {
		return err
	}
	r.Status, r.Outcome = email.ClaimDone, outcome
	return nil
}

func (f *fakeInbox) Release(_ context.Context, c email.Claim) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.owned(c); err != nil {
		return err
	}
	delete(f.records, c.Consumer+"#"+c.EventID)
	return nil
}

// record is the state of an event: "" when there is none, else the status and the outcome.
func (f *fakeInbox) record(eventID string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.records[email.Consumer+"#"+eventID]
	if !ok {
		return ""
	}
	return string(r.Status) + " " + r.Outcome
}

type fakeSender struct {
	mu   sync.Mutex
	sent []email.Message
	errs []error // returned by the next sends, in order
}

func (f *fakeSender) Send(_ context.Context, m email.Message) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.errs) > 0 {
		err := f.errs[0]
		f.errs = f.errs[1:]
		if err != nil {
			return "", err
		}
	}
	f.sent = append(f.sent, m)
	return fmt.Sprintf("msg-%d", len(f.sent)), nil
}

func (f *fakeSender) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.sent)
}

type fakeRecipients map[string]string

func (f fakeRecipients) Email(_ context.Context, customerID string) (string, error) {
	addr, ok := f[customerID]
	if !ok {
		return "", fmt.Errorf("no user %s: %w", customerID, email.ErrPermanent)
	}
	if addr == "unreachable" {
		return "", errors.New("cognito: connection reset")
	}
	return addr, nil
}

type rig struct {
	h      email.Handler
	inbox  *fakeInbox
	sender *fakeSender
	logs   *bytes.Buffer
}

func newRig(t *testing.T, recipients fakeRecipients, sendErrs ...error) rig {
	t.Helper()
	r, err := email.NewRenderer(testConfig)
	if err != nil {
		t.Fatal(err)
	}
	logs := &bytes.Buffer{}
	inbox, sender := newFakeInbox(), &fakeSender{errs: sendErrs}
	h := email.Handler{Inbox: inbox, Recipients: recipients, Sender: sender, Renderer: r,
		Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	return rig{h: h, inbox: inbox, sender: sender, logs: logs}
}

// sendError is what the SES sender returns for SES's answer code with msg to ann (internal/adapter/ses
// decides which codes are permanent, and tests it).
func sendError(code, msg string, permanent bool) error {
	return email.NewSendError("ses send", &smithy.GenericAPIError{Code: code, Message: msg}, "ann.lee@example.org", code, permanent)
}

var ann = fakeRecipients{customerID: "ann.lee@example.org"}

func TestHandleDuplicateDeliverySendsOnce(t *testing.T) {
	ctx := context.Background()
	env := outcomes(t)["order-confirmed"]

	t.Run("sequential", func(t *testing.T) {
		r := newRig(t, ann)
		var emf bytes.Buffer
		r.h.Metrics = metrics.New(&emf)
		for i := range 3 {
			if err := r.h.Handle(ctx, env); err != nil {
				t.Fatalf("delivery %d: %v", i, err)
			}
		}
		if n := r.sender.count(); n != 1 {
			t.Fatalf("%d emails sent; want 1", n)
		}
		// One EmailsSent metric for the one email.
		if lines := strings.Split(strings.TrimSpace(emf.String()), "\n"); len(lines) != 1 || !strings.Contains(lines[0], `"EmailsSent":1`) {
			t.Fatalf("metrics %q; want one EmailsSent", emf.String())
		}
		if got := r.inbox.record(env.ID); got != "DONE SENT:msg-1" {
			t.Fatalf("inbox = %q", got)
		}
		if m := r.sender.sent[0]; m.To != "ann.lee@example.org" || m.Subject != "Order …4D5E6F7G confirmed" {
			t.Fatalf("sent %+v", m)
		}
	})
	t.Run("concurrent", func(t *testing.T) {
		r := newRig(t, ann)
		var wg sync.WaitGroup
		errs := make([]error, 10)
		for i := range errs {
			wg.Add(1)
			go func() { defer wg.Done(); errs[i] = r.h.Handle(ctx, env) }()
		}
		wg.Wait()
		if n := r.sender.count(); n != 1 {
			t.Fatalf("%d emails sent; want 1", n)
		}
		for _, err := range errs {
			// A delivery that met the live claim waited for it to be settled, then found the event done.
			if err != nil {
				t.Fatalf("Handle: %v", err)
			}
		}
	})
}

func TestHandlePermanentFailureIsSkipped(t *testing.T) {
	ctx := context.Background()
	malformed := sendError("BadRequestException", "Invalid recipient: ann.lee@example.org", true)
	tests := []struct {
		name       string
		recipients fakeRecipients
		sendErr    error
		outcome    string
	}{
		{"SES refuses the recipient", ann, malformed, "DONE SKIPPED:send:BadRequestException"},
		{"the customer is gone", fakeRecipients{}, nil, "DONE SKIPPED:recipient"},
		{"the stored address is unusable", fakeRecipients{customerID: "not an address"}, nil, "DONE SKIPPED:recipient"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, tt.recipients, tt.sendErr)
			env := outcomes(t)["order-rejected-payment-declined"]
			if err := r.h.Handle(ctx, env); err != nil {
				t.Fatalf("Handle = %v; want nil (skipped)", err)
			}
			if got := r.inbox.record(env.ID); got != tt.outcome {
				t.Fatalf("inbox = %q; want %q", got, tt.outcome)
			}
			// A redelivery neither sends nor fails.
			if err := r.h.Handle(ctx, env); err != nil || r.sender.count() != 0 {
				t.Fatalf("redelivery: %v, %d sent", err, r.sender.count())
			}
			if !strings.Contains(r.logs.String(), `"msg":"email: skipped"`) {
				t.Fatalf("no skip logged:\n%s", r.logs)
			}
			assertNoAddress(t, r.logs.String())
		})
	}
}

func TestHandleRetryableFailureIsReleased(t *testing.T) {
	ctx := context.Background()
	throttled := sendError("TooManyRequestsException", "slow down sending to ann.lee@example.org", false)
	unverified := sendError("MessageRejected", "Email address is not verified: ann.lee@example.org", false)
	tests := []struct {
		name       string
		recipients fakeRecipients
		sendErr    error
	}{
		{"SES throttles", ann, throttled},
		// The sender (or, in the SES sandbox, the recipient) is not verified yet: fixed by an operator,
		// so the email must wait in the retries and the DLQ, not be dropped.
		{"SES rejects an unverified identity", ann, unverified},
		{"Cognito is unreachable", fakeRecipients{customerID: "unreachable"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, tt.recipients, tt.sendErr)
			env := outcomes(t)["order-cancelled-customer-request"]
			err := r.h.Handle(ctx, env)
			if err == nil || errors.Is(err, email.ErrPermanent) {
				t.Fatalf("Handle = %v; want a retryable error", err)
			}
			if tt.sendErr != nil && !errors.Is(err, tt.sendErr) {
				t.Fatalf("Handle = %v; want it to wrap the send error", err)
			}
			assertNoAddress(t, err.Error())
			assertNoAddress(t, r.logs.String())
			if got := r.inbox.record(env.ID); got != "" {
				t.Fatalf("inbox = %q; want the claim released", got)
			}
			// Lambda's retry: the claim is free again and the email goes out once.
			if tt.recipients[customerID] == "unreachable" {
				r.h.Recipients = ann
			}
			if err := r.h.Handle(ctx, env); err != nil {
				t.Fatal(err)
			}
			if r.sender.count() != 1 || r.inbox.record(env.ID) != "DONE SENT:msg-1" {
				t.Fatalf("after the retry: %d sent, inbox %q", r.sender.count(), r.inbox.record(env.ID))
			}
		})
	}
}

func TestHandleIgnoresEventsItDoesNotMail(t *testing.T) {
	r := newRig(t, ann)
	ls, total := lines(t, "USD", item{"Widget", "SKU-1", 1, 100})
	for _, p := range []event.Payload{
		&event.OrderPlaced{OrderRef: ref("PENDING", "", 1), Lines: ls, Total: total, CreatedAt: ls0time},
		&event.OrderCancellationRequested{OrderRef: ref("CONFIRMED", "", 5), RequestedBy: "CUSTOMER"},
		&event.InventoryUpdated{SKU: "SKU-1", Name: "Widget", Description: "d", Price: total, Available: 3, ItemVersion: 1},
	} {
		if err := r.h.Handle(context.Background(), envelope(t, "evt-"+p.EventType(), p)); err != nil {
			t.Fatalf("%s: %v", p.EventType(), err)
		}
	}
	if len(r.inbox.records) != 0 || r.sender.count() != 0 {
		t.Fatalf("ignored events claimed %d records and sent %d emails", len(r.inbox.records), r.sender.count())
	}
}

func TestHandleInventoryLowGoesToAdmins(t *testing.T) {
	r := newRig(t, fakeRecipients{}) // no customer lookup may happen
	env := outcomes(t)["inventory-low"]
	if err := r.h.Handle(context.Background(), env); err != nil {
		t.Fatal(err)
	}
	if r.sender.count() != 1 || r.sender.sent[0].To != "admin@example.com" {
		t.Fatalf("sent %+v", r.sender.sent)
	}
}

func TestHandleLiveClaimAsksForRetry(t *testing.T) {
	// An invocation too short to wait out another attempt's claim (or the crashed one's lease).
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	r := newRig(t, ann)
	env := outcomes(t)["order-failed-saga-failed"]
	if _, err := r.inbox.Claim(ctx, email.Consumer, env.ID); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := r.h.Handle(ctx, env); !errors.Is(err, email.ErrInProgress) {
		t.Fatalf("Handle = %v; want ErrInProgress", err)
	}
	if r.sender.count() != 0 {
		t.Fatal("sent while another attempt held the claim")
	}
	if time.Since(start) > time.Second {
		t.Fatalf("waited %v with no time to spare", time.Since(start))
	}
}

// A delivery that finds the event held waits, within its own time, for the holder to settle it.
func TestHandleWaitsForTheHolder(t *testing.T) {
	env := outcomes(t)["order-confirmed"]
	tests := []struct {
		name   string
		holder func(r rig, c email.Claim) // what the holding attempt does while the delivery waits
		lease  time.Duration
		sent   int    // emails the waiting delivery sends
		record string // the inbox afterwards
	}{
		{"holder sends: nothing to do", func(r rig, c email.Claim) {
			if err := r.inbox.Complete(context.Background(), c, "SENT:holder"); err != nil {
				panic(err)
			}
		}, time.Minute, 0, "DONE SENT:holder"},
		{"holder fails and releases: the delivery sends", func(r rig, c email.Claim) {
			if err := r.inbox.Release(context.Background(), c); err != nil {
				panic(err)
			}
		}, time.Minute, 1, "DONE SENT:msg-1"},
		{"holder crashes: the delivery takes over after the lease", nil, 700 * time.Millisecond, 1, "DONE SENT:msg-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // Lambda's timeout
			defer cancel()
			r := newRig(t, ann)
			r.inbox.lease = tt.lease
			c, err := r.inbox.Claim(ctx, email.Consumer, env.ID)
			if err != nil {
				t.Fatal(err)
			}
			if tt.holder != nil {
				time.AfterFunc(300*time.Millisecond, func() { tt.holder(r, c) })
			}
			if err := r.h.Handle(ctx, env); err != nil {
				t.Fatalf("Handle = %v; want nil", err)
			}
			if n := r.sender.count(); n != tt.sent {
				t.Fatalf("%d emails sent; want %d", n, tt.sent)
			}
			if got := r.inbox.record(env.ID); got != tt.record {
				t.Fatalf("inbox = %q; want %q", got, tt.record)
			}
		})
	}
}

func TestHandleLogsMaskTheAddress(t *testing.T) {
	r := newRig(t, ann)
	if err := r.h.Handle(context.Background(), outcomes(t)["order-confirmed"]); err != nil {
		t.Fatal(err)
	}
	logs := r.logs.String()
	if !strings.Contains(logs, `"to":"a***@example.org"`) || !strings.Contains(logs, `"messageId":"msg-1"`) {
		t.Fatalf("logs lack the masked address or the message id:\n%s", logs)
	}
	assertNoAddress(t, logs)
}

func assertNoAddress(t *testing.T, s string) {
	t.Helper()
	if strings.Contains(strings.ToLower(s), "ann.lee@example.org") {
		t.Fatalf("a full email address was written:\n%s", s)
	}
}

// An attempt too close to its deadline does not start a send it may not live to record (the one way to
// mail twice): it gives the event back for the retry.
func TestHandleNoSendNearTheDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	r := newRig(t, ann)
	env := outcomes(t)["order-confirmed"]
	if err := r.h.Handle(ctx, env); err == nil {
		t.Fatal("Handle = nil; want a retryable error")
	} else if errors.Is(err, email.ErrPermanent) {
		t.Fatalf("Handle = %v; want a retryable error", err)
	}
	if r.sender.count() != 0 {
		t.Fatal("sent with no time left to record it")
	}
	if got := r.inbox.record(env.ID); got != "" {
		t.Fatalf("inbox = %q; want the claim released", got)
	}
	// The retry, with a whole invocation, sends it once.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel2()
	if err := r.h.Handle(ctx2, env); err != nil || r.sender.count() != 1 {
		t.Fatalf("retry = %v, %d sent", err, r.sender.count())
	}
}
