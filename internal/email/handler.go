package email

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orion-oss/orion/internal/customer"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/platform/logging"
	"github.com/orion-oss/orion/internal/platform/metrics"
)

// Consumer is the email function's name in the processed-events inbox (<Consumer>#<eventId>).
const Consumer = "email"

// ErrInProgress means another attempt held the event's claim for as long as this attempt could wait
// (see Handler.claim). The handler returns it (a retryable error) rather than nil: the holder may have
// crashed, and Lambda's retry then comes after the lease and sends the email; if the holder finishes,
// the retry finds the event done and sends nothing.
var ErrInProgress = errors.New("email: event is being handled by another attempt")

// errNoTimeToSend: the invocation is too close to its deadline to send and record the email.
var errNoTimeToSend = errors.New("email: too close to the deadline to send")

// Waiting for another attempt's claim (Handler.claim), and the time a send needs.
const (
	// busyWaitWithoutDeadline bounds the wait when the context has no deadline (tests, tools).
	busyWaitWithoutDeadline = 5 * time.Second
	// workReserve is what an attempt keeps of its time for its own work after waiting: the recipient
	// lookup, the send and the settling write (settleTimeout).
	workReserve = 4 * time.Second
	// sendBudget is the time an attempt must have left to send: SES's answer and the settling write.
	sendBudget = 2 * time.Second
	// busyPollMax caps the interval between two looks at a held claim.
	busyPollMax = time.Second
)

// Handler mails one event exactly once (within the Inbox's guarantee): it ignores events that send
// no email, claims the event, finds the recipient, renders, sends and records the outcome.
//
// Errors: a permanent failure (ErrPermanent from Recipients or Sender, an unusable address) is recorded
// as SKIPPED and answered with nil; any other failure releases the claim and is returned, so that
// Lambda's asynchronous retries and then its dead-letter queue take over.
type Handler struct {
	Inbox      Inbox
	Recipients Recipients
	Sender     Sender
	Renderer   *Renderer
	Logger     *slog.Logger
	// Metrics receives EmailsSent and EmailsFailed (nil: none).
	Metrics *metrics.Emitter
}

// Handle processes one envelope.
func (h Handler) Handle(ctx context.Context, env event.Envelope) error {
	ctx = logging.With(ctx, env.CorrelationID, env.OrderID())
	log := h.logger().With("eventId", env.ID, "eventType", env.Type)
	n, err := Parse(env)
	if errors.Is(err, ErrNotMailed) {
		return nil // no claim either: the inbox holds only events that mail
	}
	if err != nil {
		return err // malformed: nothing to claim; the retries end in the DLQ, where it can be inspected
	}

	claim, err := h.claim(ctx, env.ID)
	if err != nil {
		return fmt.Errorf("email: claim %s: %w", env.ID, err)
	}
	switch claim.Status {
	case ClaimAcquired:
	case ClaimDone:
		log.InfoContext(ctx, "email: duplicate delivery ignored", "outcome", claim.Outcome)
		return nil
	default:
		log.InfoContext(ctx, "email: event held by another attempt", "leaseUntil", claim.LeaseUntil)
		return fmt.Errorf("%w: %s until %s", ErrInProgress, env.ID, claim.LeaseUntil.UTC().Format("15:04:05.000"))
	}
	if claim.Attempts > 1 {
		// A reclaimed lease: an earlier attempt crashed or timed out, perhaps after SES accepted its
		// email. This is the one case where a customer may get the email twice.
		log.WarnContext(ctx, "email: reclaimed an expired claim", "attempts", claim.Attempts)
	}

	to, err := h.recipient(ctx, n)
	if err != nil {
		return h.fail(ctx, log, claim, "recipient", "", err)
	}
	log = log.With("to", to.Masked())
	msg, err := h.Renderer.Render(n, to.String())
	if err != nil {
		return h.fail(ctx, log, claim, "render", to.String(), err)
	}
	if d, ok := ctx.Deadline(); ok && time.Until(d) < sendBudget {
		// Lambda would end the attempt between SES's acceptance and the inbox's record of it: the one
		// way to send an email twice. Give the event back now; the retry has a whole invocation.
		return h.fail(ctx, log, claim, "send", to.String(), fmt.Errorf("%w: %v left", errNoTimeToSend, time.Until(d).Round(time.Millisecond)))
	}
	id, err := h.Sender.Send(ctx, msg)
	if err != nil {
		return h.fail(ctx, log, claim, "send", to.String(), err)
	}
	sctx, cancel := settleContext(ctx)
	defer cancel()
	if err := h.Inbox.Complete(sctx, claim, "SENT:"+id); err != nil {
		// The email is out: releasing would invite a second one, and a retry could only find the lease
		// held and later reclaim it. Report and stop; the record expires as IN_PROGRESS.
		log.ErrorContext(ctx, "email: sent but not recorded", "messageId", id, "err", err)
		return nil
	}
	log.InfoContext(ctx, "email: sent", "kind", n.Kind, "messageId", id)
	h.Metrics.Emit(map[string]string{"Kind": n.Kind}, metrics.Metric{Name: "EmailsSent", Unit: metrics.Count, Value: 1})
	return nil
}

// HandleEventBridge is the Lambda handler of the email function's EventBridge rule: the detail is an
// event envelope. An envelope that does not decode is returned as an error, so that after Lambda's
// retries it waits in the dead-letter queue for a look rather than vanishing.
func (h Handler) HandleEventBridge(ctx context.Context, ev events.EventBridgeEvent) error {
	env, err := event.Decode(ev.Detail)
	if err != nil {
		h.logger().ErrorContext(ctx, "email: event not decoded", "eventId", ev.ID, "detailType", ev.DetailType, "err", err)
		return fmt.Errorf("email: decode %s: %w", ev.ID, err)
	}
	return h.Handle(ctx, env)
}

// claim claims the event and, when another attempt holds it, waits within this attempt's time for the
// holder to settle it: done (nothing to send), released after a failure, or its lease run out after a
// crash (this attempt takes over). Duplicate deliveries usually arrive together, and the holder then
// finishes in milliseconds; answering ErrInProgress at once would cost the duplicate a retry a minute
// later and, when the retries keep meeting each other, a needless trip to the dead-letter queue.
func (h Handler) claim(ctx context.Context, eventID string) (Claim, error) {
	stop := time.Now().Add(busyWaitWithoutDeadline)
	if d, ok := ctx.Deadline(); ok {
		stop = d.Add(-workReserve)
	}
	for poll := 50 * time.Millisecond; ; poll = min(2*poll, busyPollMax) {
		c, err := h.Inbox.Claim(ctx, Consumer, eventID)
		if err != nil || c.Status != ClaimBusy {
			return c, err
		}
		wake := time.Now().Add(poll)
		if c.LeaseUntil.After(time.Now()) && c.LeaseUntil.Before(wake) {
			wake = c.LeaseUntil.Add(10 * time.Millisecond) // just past the lease: a crashed holder's claim is free
		}
		if wake.After(stop) {
			return c, nil
		}
		t := time.NewTimer(time.Until(wake))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return c, nil
		}
	}
}

// recipient is the admins' address for a stock notice, the customer's for an order notice. An address
// that does not parse is permanent: no retry will fix what Cognito holds.
func (h Handler) recipient(ctx context.Context, n Notice) (customer.Email, error) {
	raw := h.Renderer.Config().AdminTo
	if !n.ForAdmins() {
		var err error
		if raw, err = h.Recipients.Email(ctx, n.CustomerID); err != nil {
			return customer.Email{}, fmt.Errorf("email: recipient of customer %s: %w", n.CustomerID, err)
		}
	}
	e, err := customer.ParseEmail(raw)
	if err != nil {
		return customer.Email{}, fmt.Errorf("%w: unusable address: %v", ErrPermanent, err)
	}
	return e, nil
}

// fail settles a claim after a failed step: skipped for good when permanent, released for the retry
// otherwise. to is redacted from anything logged or returned.
func (h Handler) fail(ctx context.Context, log *slog.Logger, claim Claim, step, to string, err error) error {
	text := redact(err.Error(), to)
	ctx, cancel := settleContext(ctx)
	defer cancel()
	h.Metrics.Emit(map[string]string{"Step": step, "Permanent": fmt.Sprint(errors.Is(err, ErrPermanent))},
		metrics.Metric{Name: "EmailsFailed", Unit: metrics.Count, Value: 1})
	if errors.Is(err, ErrPermanent) {
		outcome := "SKIPPED:" + step
		var se *SendError
		if errors.As(err, &se) && se.Code != "" {
			outcome += ":" + se.Code
		}
		if cerr := h.Inbox.Complete(ctx, claim, outcome); cerr != nil {
			// Not recorded: the lease runs out and a retry meets the same permanent failure again.
			return fmt.Errorf("email: record %s: %w", outcome, cerr)
		}
		log.WarnContext(ctx, "email: skipped", "step", step, "outcome", outcome, "err", text)
		return nil
	}
	log.ErrorContext(ctx, "email: failed, will be retried", "step", step, "err", text)
	if rerr := h.Inbox.Release(ctx, claim); rerr != nil {
		// The lease runs out instead; the retry then reclaims.
		log.ErrorContext(ctx, "email: release failed", "err", rerr)
	}
	return &redactedError{msg: "email: " + step + ": " + text, err: err}
}

// settleTimeout bounds the inbox write that settles a claim.
const settleTimeout = 3 * time.Second

// settleContext outlives the invocation's cancellation: an email sent just before the deadline must
// still be recorded, and a failed one released, or the next attempt waits for the lease.
func settleContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
}

// redactedError keeps the chain of err for errors.Is and errors.As but shows a text with the recipient
// masked: Lambda logs the error a handler returns.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

func (h Handler) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}
