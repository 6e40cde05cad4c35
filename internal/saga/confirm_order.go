package saga

import (
	"context"
	"fmt"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/order"
)

// Confirm takes the authorized total, then turns the held stock into sold stock and confirms the order,
// the capture recorded in the same transaction as the confirmation (docs/adr/0022): no order is
// confirmed on money only held, and the capture costs no write and no state transition of its own.
//
// It captures only when a capture is due (order.Order.CaptureDue); a repeated step finds the order
// captured or confirmed and goes on. A declined capture is recorded and answered *PaymentDeclined,
// which compensation turns into a void, the stock's release and REJECTED PAYMENT_DECLINED; an
// unavailable provider is *PaymentUnavailable, which the state machine retries before it voids and fails
// the order. A cancellation that arrives after the capture leaves the order captured and unconfirmed
// (*CancellationRequested), so that compensation refunds it.
func (s *Steps) Confirm(ctx context.Context, in Input) (Result, error) {
	return s.step(ctx, in, func(ctx context.Context, id order.ID, cause event.Cause) (Result, error) {
		o, err := s.store.Get(ctx, id)
		if err != nil {
			return Result{}, err
		}
		if o.Payment().DeclineCode != "" {
			return confirmedEnd(o, nil) // a declined capture recorded by an earlier attempt: the same answer
		}
		captureID := ""
		if o.CaptureDue() {
			var declined bool
			captureID, o, declined, err = s.capture(ctx, in, cause, o)
			switch {
			case declined:
				return confirmedEnd(o, err)
			case err != nil:
				return Result{}, err
			}
		}
		confirmed, err := s.store.UpdateOrderStockFrom(ctx, o, cause, order.ConfirmStock.Applies, func(o *order.Order, stock *inventory.OrderStock) ([]event.Payload, error) {
			var evs []event.Payload
			if captureID != "" {
				// A cancellation may have arrived meanwhile: the capture is recorded all the same, so that
				// compensation refunds it.
				capture, err := o.CapturePayment(captureID, s.now())
				if err != nil {
					return nil, err
				}
				evs = capture
			}
			if o.Cancellation() != nil {
				// Checked before the stock moves: on its error ConfirmStock may have moved the stock it
				// was given, which must then not be written.
				return evs, nil // the capture alone; confirmedEnd answers CancellationRequested
			}
			confirm, err := order.ConfirmStock.Apply(o, stock, s.now())
			return append(evs, confirm...), err
		})
		if captureID != "" && (err != nil || confirmed.Payment().CaptureID == "") {
			// The provider holds a capture the order does not show (the transaction failed, or the order
			// moved on meanwhile): record it alone, as a capture step would, so that compensation refunds
			// rather than voids it. A retry of the step then finds it captured.
			recorded, rerr := s.store.Update(ctx, id, cause, func(o *order.Order) ([]event.Payload, error) {
				return o.CapturePayment(captureID, s.now())
			})
			switch {
			case rerr != nil:
				return Result{}, fmt.Errorf("record capture of %s: %w (confirming: %v)", id, rerr, err)
			case err != nil:
				return Result{}, fmt.Errorf("confirm order %s after its capture: %w", id, err)
			}
			confirmed = recorded
		}
		return confirmedEnd(confirmed, err)
	})
}

// confirmedEnd ends the confirm step from where the order is: a declined capture is *PaymentDeclined,
// anything else as next says (only a sold order goes on: this is the saga's last step).
func confirmedEnd(o *order.Order, err error) (Result, error) {
	if err == nil && o.Status() == order.PaymentAuthorized && o.Payment().DeclineCode != "" && o.Cancellation() == nil {
		return Result{}, &PaymentDeclined{Code: o.Payment().DeclineCode}
	}
	return forward(o, err)
}
