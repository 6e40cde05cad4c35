// Package inbox is the DynamoDB adapter of the email function's idempotent inbox (internal/email's Inbox
// port) over the processed-events table. It is apart from package dynamo because it speaks the port's
// types, and so imports package email: the functions that link package dynamo for the command side need
// none of it.
package inbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orion-oss/orion/internal/email"
)

// ProcessedRetention is how long an inbox record lives (the table's TTL, expiresAt): longer than
// EventBridge's 24-hour retry window and the archive replays an operator is likely to run, so a late
// duplicate still finds the record.
const ProcessedRetention = 30 * 24 * time.Hour

// DefaultLease is how long a claim keeps other attempts away from an event when the claiming context
// has no deadline. It must exceed the consumer function's timeout (template.yaml: 10 s), because only
// then can no live attempt still be working on the event after the lease; it is shorter than Lambda's
// first asynchronous retry (about a minute later), so the retry of a crashed attempt takes over.
const DefaultLease = 45 * time.Second

// DeadlineMargin is how long a claim outlives the claiming attempt's deadline. Lambda ends an invocation
// at its deadline, so an attempt cannot work past it; the margin covers the clock difference between
// two Lambdas (NTP keeps it to milliseconds) and the settling write's round trip.
const DeadlineMargin = 2 * time.Second

// Inbox errors callers check with errors.Is.
var (
	// ErrLeaseLost means the claim is no longer this attempt's: its lease expired and another attempt
	// claimed the event, or the record changed under it. Complete and Release change nothing then.
	ErrLeaseLost = errors.New("inbox: lease lost")
	// errInboxKey means a consumer or event id that cannot form an unambiguous key.
	errInboxKey = errors.New("inbox: invalid key")
)

// Record states stored in the status attribute.
const (
	inboxInProgress = "IN_PROGRESS"
	inboxDone       = "DONE"
)

// Store is the processed-events table used as an idempotent inbox by an at-least-once consumer with a
// side effect that cannot be rolled back or deduplicated downstream (an email). One record per
// <consumer>#<eventId> moves IN_PROGRESS (with a lease) → DONE (with an outcome); a release ends the
// lease early, and the record counts every claim.
//
// The protocol is: Claim; if acquired, perform the side effect; then Complete with its outcome, or
// Release after a failure worth retrying. What it guarantees:
//
//   - At most one attempt holds a live lease, so concurrent duplicate deliveries perform the side
//     effect at most once per lease (the claim is one conditional write).
//   - After Complete, every later delivery is refused for ProcessedRetention.
//   - After Release (a retryable failure that did not perform the effect), the next delivery claims
//     again at once; Lambda's retries and dead-letter queue take over from there.
//   - A crashed or timed-out attempt leaves a lease that expires; the next delivery then reclaims, so a
//     crash before the side effect loses nothing.
//
// Hence exactly once in every case but one: a crash (or a failed Complete) after the side effect
// happened and before Complete recorded it. A delivery after the lease then repeats the effect. No
// storage can close that window for SES, which takes no idempotency key; it is as small as one
// request. Leases compare wall clocks of different Lambdas, which NTP keeps within milliseconds of each
// other — far below the lease's margin over the function timeout.
type Store struct {
	db    *dynamodb.Client
	table string
	lease time.Duration
	now   func() time.Time
}

// NewStore builds the inbox on the processed-events table; lease <= 0 means DefaultLease.
func NewStore(db *dynamodb.Client, table string, lease time.Duration) *Store {
	if lease <= 0 {
		lease = DefaultLease
	}
	return &Store{db: db, table: table, lease: lease, now: time.Now}
}

var _ email.Inbox = (*Store)(nil)

// inboxKey is the record's key. The consumer must not contain '#', so that the split is unambiguous
// whatever the event id holds.
func inboxKey(consumer, eventID string) (map[string]types.AttributeValue, error) {
	if consumer == "" || eventID == "" || strings.Contains(consumer, "#") {
		return nil, fmt.Errorf("%w: consumer %q, event %q", errInboxKey, consumer, eventID)
	}
	return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: consumer + "#" + eventID}}, nil
}

func newToken() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("inbox: token: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// Claim tries to take the event for this attempt. It succeeds when no record exists or the record is
// an IN_PROGRESS whose lease has expired (its attempt crashed); otherwise it reports DONE or BUSY. The
// lease ends DeadlineMargin after ctx's deadline, or after the inbox's lease when that comes first or
// ctx has none.
func (i *Store) Claim(ctx context.Context, consumer, eventID string) (email.Claim, error) {
	key, err := inboxKey(consumer, eventID)
	if err != nil {
		return email.Claim{}, err
	}
	token, err := newToken()
	if err != nil {
		return email.Claim{}, err
	}
	now := i.now()
	until := now.Add(i.lease)
	if d, ok := ctx.Deadline(); ok && d.Add(DeadlineMargin).Before(until) {
		// The attempt cannot outlive its deadline, so neither need its claim: a crashed attempt's event
		// is free again seconds later instead of a lease later, and a duplicate waiting for it (the
		// email handler waits) can take it over within its own invocation.
		until = d.Add(DeadlineMargin)
	}
	c := email.Claim{Consumer: consumer, EventID: eventID, Token: token, LeaseUntil: until}
	// One conditional update: it creates the record or takes over an expired lease, and never touches a
	// live or finished one. The retention restarts with every claim.
	out, err := i.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(i.table),
		Key:       key,
		UpdateExpression: aws.String("SET #status = :inProgress, #token = :token, leaseUntil = :until, claimedAt = :now, " +
			"expiresAt = :expires, attempts = if_not_exists(attempts, :zero) + :one"),
		ConditionExpression:      aws.String("attribute_not_exists(pk) OR (#status = :inProgress AND leaseUntil < :nowMs)"),
		ExpressionAttributeNames: map[string]string{"#status": "status", "#token": "token"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":inProgress": &types.AttributeValueMemberS{Value: inboxInProgress},
			":token":      &types.AttributeValueMemberS{Value: token},
			":until":      inboxNum(until.UnixMilli()),
			":nowMs":      inboxNum(now.UnixMilli()),
			":now":        &types.AttributeValueMemberS{Value: now.UTC().Format(time.RFC3339Nano)},
			":expires":    inboxNum(now.Add(ProcessedRetention).Unix()),
			":zero":       inboxNum(0),
			":one":        inboxNum(1),
		},
		ReturnValues:                        types.ReturnValueUpdatedNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var taken *types.ConditionalCheckFailedException
	switch {
	case err == nil:
		c.Status = email.ClaimAcquired
		c.Attempts = inboxInt(out.Attributes, "attempts")
		return c, nil
	case errors.As(err, &taken):
		old := taken.Item
		if old == nil { // an emulator that does not return the item: read it
			got, gerr := i.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(i.table), Key: key, ConsistentRead: aws.Bool(true)})
			if gerr != nil {
				return email.Claim{}, fmt.Errorf("inbox: read %s#%s: %w", consumer, eventID, gerr)
			}
			old = got.Item
		}
		return existingClaim(c, old), nil
	default:
		return email.Claim{}, fmt.Errorf("inbox: claim %s#%s: %w", consumer, eventID, err)
	}
}

// existingClaim describes the record that refused a claim.
func existingClaim(c email.Claim, old map[string]types.AttributeValue) email.Claim {
	c.Token = ""
	c.Attempts = inboxInt(old, "attempts")
	c.LeaseUntil = time.UnixMilli(inboxInt(old, "leaseUntil"))
	if s, ok := old["status"].(*types.AttributeValueMemberS); ok && s.Value == inboxDone {
		c.Status = email.ClaimDone
		if o, ok := old["outcome"].(*types.AttributeValueMemberS); ok {
			c.Outcome = o.Value
		}
		return c
	}
	// IN_PROGRESS with a live lease, or a record that vanished or expired between the write and the
	// read: either way another attempt is (or was just) at work, and a later delivery will see.
	c.Status = email.ClaimBusy
	return c
}

// Complete records the outcome of the side effect (e.g. "SENT:<messageId>", "SKIPPED:<reason>") and
// makes the event DONE. It fails with ErrLeaseLost when another attempt has taken the event over.
func (i *Store) Complete(ctx context.Context, c email.Claim, outcome string) error {
	key, err := inboxKey(c.Consumer, c.EventID)
	if err != nil {
		return err
	}
	_, err = i.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(i.table),
		Key:                      key,
		UpdateExpression:         aws.String("SET #status = :done, outcome = :outcome, completedAt = :now REMOVE leaseUntil"),
		ConditionExpression:      aws.String("#status = :inProgress AND #token = :token"),
		ExpressionAttributeNames: map[string]string{"#status": "status", "#token": "token"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":done":       &types.AttributeValueMemberS{Value: inboxDone},
			":inProgress": &types.AttributeValueMemberS{Value: inboxInProgress},
			":token":      &types.AttributeValueMemberS{Value: c.Token},
			":outcome":    &types.AttributeValueMemberS{Value: outcome},
			":now":        &types.AttributeValueMemberS{Value: i.now().UTC().Format(time.RFC3339Nano)},
		},
	})
	return leaseErr(err, "complete", c)
}

// Release gives the event back after a failure that did not perform the side effect, so that the retry
// can claim at once instead of waiting for the lease: the lease ends now. The record stays, with its
// count of claims, so that the story of an event (how many attempts held it) survives a release. It
// fails with ErrLeaseLost when the claim is no longer this attempt's (and then changes nothing).
func (i *Store) Release(ctx context.Context, c email.Claim) error {
	key, err := inboxKey(c.Consumer, c.EventID)
	if err != nil {
		return err
	}
	_, err = i.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(i.table),
		Key:                      key,
		UpdateExpression:         aws.String("SET leaseUntil = :zero, releasedAt = :now, releases = if_not_exists(releases, :zero) + :one REMOVE #token"),
		ConditionExpression:      aws.String("#status = :inProgress AND #token = :token"),
		ExpressionAttributeNames: map[string]string{"#status": "status", "#token": "token"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":inProgress": &types.AttributeValueMemberS{Value: inboxInProgress},
			":token":      &types.AttributeValueMemberS{Value: c.Token},
			":zero":       inboxNum(0),
			":one":        inboxNum(1),
			":now":        &types.AttributeValueMemberS{Value: i.now().UTC().Format(time.RFC3339Nano)},
		},
	})
	return leaseErr(err, "release", c)
}

func leaseErr(err error, op string, c email.Claim) error {
	var lost *types.ConditionalCheckFailedException
	switch {
	case err == nil:
		return nil
	case errors.As(err, &lost):
		return fmt.Errorf("%w: %s %s#%s", ErrLeaseLost, op, c.Consumer, c.EventID)
	default:
		return fmt.Errorf("inbox: %s %s#%s: %w", op, c.Consumer, c.EventID, err)
	}
}

func inboxNum(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

func inboxInt(item map[string]types.AttributeValue, name string) int64 {
	v, ok := item[name].(*types.AttributeValueMemberN)
	if !ok {
		return 0
	}
	n, _ := strconv.ParseInt(v.Value, 10, 64)
	return n
}
