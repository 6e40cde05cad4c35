package inbox_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
	"github.com/orion-oss/orion/internal/adapter/dynamo/dynamotest"
	"github.com/orion-oss/orion/internal/adapter/dynamo/inbox"
	"github.com/orion-oss/orion/internal/email"
)

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

// newInboxTable creates the template's ProcessedEventsTable under a name unique to the test: the
// template is the truth about keys and TTL.
func newInboxTable(t *testing.T) (*dynamodb.Client, string) {
	t.Helper()
	return dynamodb.NewFromConfig(awstest.Config(t)), dynamotest.Table(t, "ProcessedEventsTable")
}

func inboxRecord(t *testing.T, db *dynamodb.Client, table, pk string) map[string]ddbtypes.AttributeValue {
	t.Helper()
	out, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true),
		Key: map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: pk}}})
	if err != nil {
		t.Fatal(err)
	}
	return out.Item
}

func inboxAttr(item map[string]ddbtypes.AttributeValue, name string) string {
	if v, ok := item[name].(*ddbtypes.AttributeValueMemberS); ok {
		return v.Value
	}
	if v, ok := item[name].(*ddbtypes.AttributeValueMemberN); ok {
		return v.Value
	}
	return ""
}

func TestInboxConcurrentDuplicateClaims(t *testing.T) {
	ctx := context.Background()
	db, table := newInboxTable(t)
	box := inbox.NewStore(db, table, time.Minute)

	const n = 20
	claims := make([]email.Claim, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			claims[i], errs[i] = box.Claim(ctx, "email", "evt-1")
		}()
	}
	close(start)
	wg.Wait()

	won := 0
	for i, c := range claims {
		if errs[i] != nil {
			t.Fatalf("claim %d: %v", i, errs[i])
		}
		switch c.Status {
		case email.ClaimAcquired:
			won++
		case email.ClaimBusy:
			if c.Token != "" {
				t.Errorf("a refused claim carries a token: %+v", c)
			}
		default:
			t.Errorf("claim %d status %s; want ACQUIRED or BUSY", i, c.Status)
		}
	}
	if won != 1 {
		t.Fatalf("%d of %d concurrent claims won; want exactly 1", won, n)
	}

	rec := inboxRecord(t, db, table, "email#evt-1")
	if inboxAttr(rec, "status") != "IN_PROGRESS" || inboxAttr(rec, "attempts") != "1" {
		t.Fatalf("record = %v", rec)
	}
	// The TTL attribute the template enables: epoch seconds about 30 days ahead.
	exp, err := strconv.ParseInt(inboxAttr(rec, "expiresAt"), 10, 64)
	if err != nil {
		t.Fatalf("expiresAt %q: %v", inboxAttr(rec, "expiresAt"), err)
	}
	if d := time.Until(time.Unix(exp, 0)); d < inbox.ProcessedRetention-time.Minute || d > inbox.ProcessedRetention {
		t.Fatalf("expiresAt is %v ahead; want %v", d, inbox.ProcessedRetention)
	}
}

func TestInboxLifecycle(t *testing.T) {
	ctx := context.Background()
	db, table := newInboxTable(t)

	tests := []struct {
		name string
		run  func(t *testing.T, box *inbox.Store)
	}{
		{"claim after complete is refused with the outcome", func(t *testing.T, box *inbox.Store) {
			c := mustAcquire(t, box, "email", "evt-done")
			if err := box.Complete(ctx, c, "SENT:msg-1"); err != nil {
				t.Fatal(err)
			}
			again, err := box.Claim(ctx, "email", "evt-done")
			if err != nil {
				t.Fatal(err)
			}
			if again.Status != email.ClaimDone || again.Outcome != "SENT:msg-1" || again.Acquired() {
				t.Fatalf("claim after complete = %+v; want DONE with the outcome", again)
			}
			// Completing twice is a lost lease, not a silent overwrite of the outcome.
			if err := box.Complete(ctx, c, "SENT:other"); !errors.Is(err, inbox.ErrLeaseLost) {
				t.Fatalf("second complete: %v; want ErrLeaseLost", err)
			}
			if rec := inboxRecord(t, db, table, "email#evt-done"); inboxAttr(rec, "outcome") != "SENT:msg-1" || inboxAttr(rec, "leaseUntil") != "" {
				t.Fatalf("record = %v", rec)
			}
		}},
		{"a live lease refuses a second claim", func(t *testing.T, box *inbox.Store) {
			mustAcquire(t, box, "email", "evt-busy")
			again, err := box.Claim(ctx, "email", "evt-busy")
			if err != nil {
				t.Fatal(err)
			}
			if again.Status != email.ClaimBusy || again.LeaseUntil.Before(time.Now()) {
				t.Fatalf("second claim = %+v; want BUSY with the live lease", again)
			}
		}},
		{"release then reclaim", func(t *testing.T, box *inbox.Store) {
			c := mustAcquire(t, box, "email", "evt-release")
			if err := box.Release(ctx, c); err != nil {
				t.Fatal(err)
			}
			// The record stays (its lease over, no token): it keeps the count of claims.
			if rec := inboxRecord(t, db, table, "email#evt-release"); rec == nil || inboxAttr(rec, "token") != "" || inboxAttr(rec, "leaseUntil") != "0" || inboxAttr(rec, "releases") != "1" {
				t.Fatalf("released record = %v; want it kept with its lease ended", rec)
			}
			again := mustAcquire(t, box, "email", "evt-release")
			if again.Token == c.Token || again.Attempts != 2 {
				t.Fatalf("reclaim = %+v; want a new token and attempt 2", again)
			}
			// The released attempt cannot release (or complete) the new claim.
			if err := box.Release(ctx, c); !errors.Is(err, inbox.ErrLeaseLost) {
				t.Fatalf("stale release: %v; want ErrLeaseLost", err)
			}
			if err := box.Complete(ctx, again, "SENT:m"); err != nil {
				t.Fatal(err)
			}
		}},
		{"consumers are independent", func(t *testing.T, box *inbox.Store) {
			mustAcquire(t, box, "email", "evt-shared")
			mustAcquire(t, box, "notifier", "evt-shared")
		}},
		{"invalid keys are refused before any write", func(t *testing.T, box *inbox.Store) {
			for _, k := range [][2]string{{"", "e"}, {"email", ""}, {"em#ail", "e"}} {
				if _, err := box.Claim(ctx, k[0], k[1]); err == nil {
					t.Errorf("Claim(%q, %q) succeeded", k[0], k[1])
				}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, inbox.NewStore(db, table, time.Minute)) })
	}
}

func TestInboxExpiredLeaseReclaim(t *testing.T) {
	ctx := context.Background()
	db, table := newInboxTable(t)
	const lease = 300 * time.Millisecond
	box := inbox.NewStore(db, table, lease)

	crashed := mustAcquire(t, box, "email", "evt-crash")
	if busy, err := box.Claim(ctx, "email", "evt-crash"); err != nil || busy.Status != email.ClaimBusy {
		t.Fatalf("claim within the lease = %+v, %v; want BUSY", busy, err)
	}
	time.Sleep(lease + 200*time.Millisecond) // the first attempt "crashed": its lease runs out

	retry := mustAcquire(t, box, "email", "evt-crash")
	if retry.Attempts != 2 {
		t.Fatalf("attempts = %d; want 2", retry.Attempts)
	}
	// The crashed attempt comes back to life: it must not record over, or delete, the retry's claim.
	if err := box.Complete(ctx, crashed, "SENT:late"); !errors.Is(err, inbox.ErrLeaseLost) {
		t.Fatalf("stale complete: %v; want ErrLeaseLost", err)
	}
	if err := box.Release(ctx, crashed); !errors.Is(err, inbox.ErrLeaseLost) {
		t.Fatalf("stale release: %v; want ErrLeaseLost", err)
	}
	if err := box.Complete(ctx, retry, "SENT:retry"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(lease + 200*time.Millisecond)
	// A finished event stays finished: lease expiry concerns only IN_PROGRESS records.
	if done, err := box.Claim(ctx, "email", "evt-crash"); err != nil || done.Status != email.ClaimDone || done.Outcome != "SENT:retry" {
		t.Fatalf("claim after completion = %+v, %v", done, err)
	}
}

func mustAcquire(t *testing.T, box *inbox.Store, consumer, eventID string) email.Claim {
	t.Helper()
	c, err := box.Claim(context.Background(), consumer, eventID)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Acquired() || c.Token == "" {
		t.Fatalf("claim %s#%s = %+v; want ACQUIRED", consumer, eventID, c)
	}
	return c
}

// A claim made under a deadline lasts until that deadline plus DeadlineMargin, not the whole lease:
// Lambda ends the attempt at its deadline, so the event is free for a retry or a waiting duplicate
// seconds later.
func TestInboxLeaseEndsAfterTheDeadline(t *testing.T) {
	db, table := newInboxTable(t)
	box := inbox.NewStore(db, table, time.Hour)
	tests := []struct {
		name     string
		deadline time.Duration // 0: none
		want     time.Duration // lease from now
	}{
		{"no deadline: the inbox's lease", 0, time.Hour},
		{"deadline: deadline plus margin", 10 * time.Second, 10*time.Second + inbox.DeadlineMargin},
		{"deadline past the lease: the lease", 2 * time.Hour, time.Hour},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			if tt.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.deadline)
				defer cancel()
			}
			start := time.Now()
			c, err := box.Claim(ctx, "email", fmt.Sprintf("evt-deadline-%d", i))
			if err != nil || !c.Acquired() {
				t.Fatalf("claim = %+v, %v", c, err)
			}
			if got := c.LeaseUntil.Sub(start); got < tt.want-time.Second || got > tt.want+time.Second {
				t.Fatalf("lease %v from now; want %v", got, tt.want)
			}
			// The stored lease is the one reported: a second claim sees it.
			busy, err := box.Claim(context.Background(), "email", fmt.Sprintf("evt-deadline-%d", i))
			if err != nil || busy.Status != email.ClaimBusy || !busy.LeaseUntil.Equal(c.LeaseUntil.Truncate(time.Millisecond)) {
				t.Fatalf("second claim = %+v, %v; want BUSY until %v", busy, err, c.LeaseUntil)
			}
		})
	}
}
