package ddbmodel

import (
	"time"

	"github.com/orion-oss/orion/internal/platform/awscfg/envcfg"
)

// Limits are DynamoDB's documented per-partition limits (README.md, "Citations").
type Limits struct {
	// PartitionWCU and PartitionRCU: a partition serves up to 1,000 write units or 3,000 read units a
	// second, or a linear combination of both, on-demand or provisioned alike; beyond that it throttles.
	PartitionWCU, PartitionRCU float64
	// Burst is how much unused capacity a partition's bucket keeps (DynamoDB does not document a
	// per-partition bucket; sustained figures do not depend on it).
	Burst time.Duration
}

// DefaultLimits are AWS's published figures.
func DefaultLimits() Limits {
	return Limits{PartitionWCU: 1000, PartitionRCU: 3000, Burst: 200 * time.Millisecond}
}

// Timing is how long things take. DynamoDB documents single-digit-millisecond latency but not the
// window in which a transaction holds its items; these are assumptions (README.md), printed with every
// report, and the conflict figures depend on them.
type Timing struct {
	ReadLatency  time.Duration // a GetItem or BatchGetItem, as the client sees it
	WriteLatency time.Duration // a TransactWriteItems, as the client sees it
	// Hold is the part of a transactional write during which its items are being written: another
	// write of one of them then is cancelled (TransactionConflict). It is centred in WriteLatency.
	Hold time.Duration
	// Task is Step Functions starting a Lambda task and getting its answer, on top of the step's calls.
	Task time.Duration
	// Authorize and Capture are the payment provider's answers between reservation and confirmation.
	Authorize, Capture time.Duration
}

// DefaultTiming: DynamoDB reads 4 ms, transactions 12 ms holding their items 4 ms, a task 20 ms, the
// provider 250 ms per call.
func DefaultTiming() Timing {
	return Timing{ReadLatency: 4 * time.Millisecond, WriteLatency: 12 * time.Millisecond, Hold: 4 * time.Millisecond,
		Task: 20 * time.Millisecond, Authorize: 250 * time.Millisecond, Capture: 250 * time.Millisecond}
}

// Retry is a Step Functions Retry field (statemachines/order-saga.asl.json).
type Retry struct {
	Interval    time.Duration
	MaxAttempts int // retries after the first attempt
	Backoff     float64
	MaxDelay    time.Duration // 0: none
	FullJitter  bool
}

// delay is the wait before retry number n (0-based): Interval × Backoff^n, capped at MaxDelay, and
// with full jitter a uniform draw below it
// (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html).
func (r Retry) delay(n int, u float64) time.Duration {
	d := float64(r.Interval)
	for range n {
		d *= r.Backoff
	}
	if r.MaxDelay > 0 {
		d = min(d, float64(r.MaxDelay))
	}
	if r.FullJitter {
		d *= u
	}
	return time.Duration(d)
}

// Retries are the retries stacked on a stock step, innermost first.
type Retries struct {
	// SDKAttempts is the SDK standard retryer's attempts (Orion's envcfg.MaxAttempts): it retries
	// throttling errors (ThrottlingException, ProvisionedThroughputExceededException, ...) with
	// exponential backoff and full jitter, but not a TransactionCanceledException, whatever its
	// reasons (aws-sdk-go-v2 aws/retry/standard.go DefaultThrottleErrorCodes, jitter_backoff.go).
	SDKAttempts int
	// StoreAttempts is internal/adapter/dynamo's conflictAttempts: a step whose transaction was
	// cancelled for a failed condition or a TransactionConflict reads again and retries, this many
	// attempts in all.
	StoreAttempts int
	// Forward is the Retry of ReserveStock and ConfirmOrder on States.ALL; Compensation that of
	// ReleaseStock.
	Forward, Compensation Retry
}

// DefaultRetries are the code's: the SDK retryer Orion configures, the store's loop, the state
// machine's Retry fields (record's test checks them against the code and the ASL).
func DefaultRetries() Retries {
	return Retries{SDKAttempts: envcfg.MaxAttempts, StoreAttempts: 5,
		Forward:      Retry{Interval: time.Second, MaxAttempts: 3, Backoff: 2, FullJitter: true},
		Compensation: Retry{Interval: time.Second, MaxAttempts: 6, Backoff: 2, MaxDelay: 30 * time.Second, FullJitter: true}}
}

// sdkBackoff is the standard retryer's wait after failed attempt n (1-based) in its default (legacy)
// mode: a uniform draw below 2^n seconds, capped at 20 s (aws/retry/jitter_backoff.go).
func sdkBackoff(n int, u float64) time.Duration {
	d := u * float64(int64(1)<<n) * float64(time.Second)
	return time.Duration(min(d, float64(20*time.Second)))
}
