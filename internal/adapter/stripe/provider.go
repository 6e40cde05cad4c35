package stripe

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/orion-oss/orion/internal/payment"
)

var _ payment.Provider = (*Provider)(nil)

// Authorize creates and confirms a PaymentIntent with manual capture: the customer's payment method
// (the token the client got from Stripe.js) is authorized for the amount and nothing is taken until
// Capture (https://docs.stripe.com/payments/place-a-hold-on-a-payment-method).
//
// Only cards are offered (payment_method_types[]=card): without it the account's automatic payment
// methods apply (https://docs.stripe.com/payments/payment-methods/dynamic-payment-methods), and a
// token of another kind could confirm into a state this flow has no way through (an action Orion
// cannot present, processing) instead of being refused at once.
//
// Stripe answers a declined confirmation with a 402 card_error: a *payment.DeclinedError with the
// issuer's decline_code. amount_too_small and amount_too_large are declines here too (Stripe's
// minimum and maximum charge: https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts):
// they are this order's total, not Orion's setup. So is a token Stripe refuses (invalidPaymentMethod).
func (p *Provider) Authorize(ctx context.Context, r payment.AuthorizeRequest) (payment.Authorization, error) {
	if r.OrderID == "" || r.IdempotencyKey == "" || r.Token == "" {
		return payment.Authorization{}, fmt.Errorf("%w: stripe: authorize needs an order, an idempotency key and a token", payment.ErrMisconfigured)
	}
	if p.cfg.ReturnURL == nil {
		return payment.Authorization{}, fmt.Errorf("%w: stripe: no return URL for redirects", payment.ErrMisconfigured)
	}
	amount, currency, err := toStripe(r.Amount)
	if err != nil {
		return payment.Authorization{}, err
	}
	form := url.Values{
		"amount":                        {strconv.FormatInt(amount, 10)},
		"currency":                      {currency},
		"capture_method":                {"manual"},
		"confirm":                       {"true"},
		"payment_method":                {r.Token},
		"payment_method_types[]":        {"card"},
		"return_url":                    {p.cfg.ReturnURL(r.OrderID)},
		"metadata[" + metaOrderID + "]": {r.OrderID},
	}
	data, err := p.call(ctx, http.MethodPost, "/v1/payment_intents", form, r.IdempotencyKey, r.Token)
	if err != nil {
		return payment.Authorization{}, authorizeFailed(err)
	}
	var pi paymentIntent
	if err := decode(data, &pi); err != nil {
		return payment.Authorization{}, err
	}
	return authorization(pi)
}

// invalidPaymentMethod is the decline code of a payment method Stripe refuses at authorization.
const invalidPaymentMethod = "invalid_payment_method"

func authorizeFailed(err error) error {
	var se *Error
	if !errors.As(err, &se) {
		return err
	}
	switch {
	case se.Code == codeAmountTooSmall || se.Code == CodeAmountTooLarge:
		return se.decline()
	case se.refusesPaymentMethod():
		// The token is the customer's input, not Orion's setup: one that does not exist
		// (resource_missing: "No such PaymentMethod"), was used once already without a Customer, was
		// detached, or is of a type the intent does not accept is refused on param payment_method.
		// Read as configuration, any customer could page the operators at will (each counts
		// PaymentConfigurationErrors, which alarms at the first) and end their order FAILED
		// STEP_FAILED; it is the sandbox's invalid_token. The error's own code stays in its text.
		// A key of the wrong mode for the token (test token, live key: "a similar object exists in
		// test mode") is refused the same way and shows as every order declined, not as a page.
		return se.declineAs(invalidPaymentMethod)
	}
	return err
}

// authorization reads a confirmed PaymentIntent (https://docs.stripe.com/payments/paymentintents/lifecycle):
//
//   - requires_capture: the hold exists.
//   - requires_action: the customer must authenticate (3-D Secure). Orion confirms server-side with a
//     return_url and without use_stripe_sdk, so the action is a redirect_to_url; any other kind (a
//     voucher, a QR code: a payment method Orion's flow does not present) is ErrMisconfigured, since it
//     means the account offers payment methods Orion cannot complete.
//   - requires_payment_method, canceled: declined, with last_payment_error's reason.
//   - processing: Stripe has not decided yet. Only asynchronous payment methods (bank debits) stay
//     there; a card answers at once. ErrUnavailable, with the intent's id in the text: the saga's
//     retries get the same saved answer and the order fails as unavailable, without an authorization
//     to void, so an operator cancels the intent from the log line. Accepting such methods would need
//     the processing state in the order and the webhooks that end it.
//   - succeeded: captured at authorization, so capture_method=manual was not honoured:
//     ErrMisconfigured, as is any other status.
func authorization(pi paymentIntent) (payment.Authorization, error) {
	if pi.ID == "" {
		return payment.Authorization{}, fmt.Errorf("%w: stripe: the response is not a PaymentIntent", payment.ErrUnavailable)
	}
	switch pi.Status {
	case "requires_capture":
		return payment.Authorization{ID: pi.ID}, nil
	case "requires_action":
		na := pi.NextAction
		if na == nil || na.Type != "redirect_to_url" || na.RedirectToURL == nil || na.RedirectToURL.URL == "" {
			kind := "none"
			if na != nil {
				kind = na.Type
			}
			return payment.Authorization{}, fmt.Errorf("%w: stripe: %s requires an action Orion cannot present (%s)", payment.ErrMisconfigured, pi.ID, kind)
		}
		return payment.Authorization{ID: pi.ID, Action: &payment.Action{Type: na.Type, RedirectURL: na.RedirectToURL.URL}}, nil
	case "requires_payment_method", "canceled":
		code := pi.LastPaymentError.declineCode()
		if code == "" {
			code = pi.Status
		}
		return payment.Authorization{}, &payment.DeclinedError{Code: code}
	case "processing":
		return payment.Authorization{}, fmt.Errorf("%w: stripe: %s is still processing", payment.ErrUnavailable, pi.ID)
	}
	return payment.Authorization{}, fmt.Errorf("%w: stripe: %s is %s after a manual-capture confirmation", payment.ErrMisconfigured, pi.ID, pi.Status)
}

// Capture takes amount of the authorized PaymentIntent and returns the id of the charge that took
// it (the intent's latest_charge: what Stripe's dashboard and balance transactions name).
//
// A capture Stripe refuses because of the payment's state is a decline, not configuration: the
// authorization expired (charge_expired_for_capture; cards hold for about 7 days) or the intent was
// canceled meanwhile (payment_intent_unexpected_state). Compensation then voids (a no-op on a canceled
// intent) and rejects the order. https://docs.stripe.com/api/payment_intents/capture
func (p *Provider) Capture(ctx context.Context, r payment.CaptureRequest) (string, error) {
	if r.IdempotencyKey == "" {
		return "", fmt.Errorf("%w: stripe: capture needs an idempotency key", payment.ErrMisconfigured)
	}
	path, err := intentPath(r.AuthorizationID, "capture")
	if err != nil {
		return "", err
	}
	amount, _, err := toStripe(r.Amount)
	if err != nil {
		return "", err
	}
	data, err := p.call(ctx, http.MethodPost, path, url.Values{"amount_to_capture": {strconv.FormatInt(amount, 10)}}, r.IdempotencyKey)
	if err != nil {
		return "", captureFailed(err)
	}
	var pi paymentIntent
	if err := decode(data, &pi); err != nil {
		return "", err
	}
	if pi.LatestCharge != "" {
		return string(pi.LatestCharge), nil
	}
	// Stripe answered 2xx, so the money is taken; an intent without a charge id (stripe-mock's
	// fixture) is named by its own id rather than failing a capture that happened.
	return pi.ID, nil
}

func captureFailed(err error) error {
	var se *Error
	if errors.As(err, &se) && (se.Code == codeChargeExpired || se.Code == codeUnexpectedState) {
		return se.decline()
	}
	return err
}

// Void cancels the PaymentIntent, releasing the hold (https://docs.stripe.com/api/payment_intents/cancel).
// An intent that is already canceled is success, so a void repeated after its idempotency key
// expired (24 hours), or after Stripe canceled an expired authorization itself, does not fail the
// compensation.
//
// Stripe refuses to cancel an intent that was captured (payment_intent_unexpected_state): a capture
// Stripe made but Orion never recorded, because its answer was lost on every attempt or the order's
// write failed after it. The order then holds an authorization it believes uncaptured, and
// compensation voids it. Failing there would fail compensation on every retry and leave the customer
// charged for an order that did not go through; the money is refunded instead (voidRefused).
func (p *Provider) Void(ctx context.Context, r payment.VoidRequest) error {
	if r.IdempotencyKey == "" {
		return fmt.Errorf("%w: stripe: void needs an idempotency key", payment.ErrMisconfigured)
	}
	path, err := intentPath(r.AuthorizationID, "cancel")
	if err != nil {
		return err
	}
	_, err = p.call(ctx, http.MethodPost, path, url.Values{}, r.IdempotencyKey)
	err = voidFailed(err)
	var se *Error
	if errors.As(err, &se) && se.Code == codeUnexpectedState {
		return p.voidRefused(ctx, r, err)
	}
	return err
}

func voidFailed(err error) error {
	var se *Error
	if errors.As(err, &se) && se.Code == codeUnexpectedState && se.PaymentIntentStatus == "canceled" {
		return nil
	}
	return err
}

// voidRefused follows a cancel Stripe refused because of the intent's state (refusal). The intent is
// read, not the refusal's copy of it nor its message: canceled meanwhile is a void done; succeeded
// (captured) has its captured money refunded, less what is refunded already (an earlier attempt of
// this void, the dashboard), and is then a void done too. That is what the port's Void asks: give back
// what Orion holds, never captured as far as Orion knows. Stripe can only release a hold that still
// is one; for money it took, a refund of all of it is the same outcome for the customer, and the
// order is recorded as voided, which is what Orion believed it held.
//
// The refund has its own idempotency key, derived from the void's, so a retried void refunds once:
// a retry whose refund went through reads nothing left and stops there. (Should a dashboard refund
// come between an attempt Stripe answered with an error and its retry, the retry's other amount under
// the same key is an idempotency_error: ErrMisconfigured, for an operator.) It carries Orion's
// metadata like Refund's, so its refund.created event is not taken for a dashboard refund. Any other
// status is the refusal.
func (p *Provider) voidRefused(ctx context.Context, r payment.VoidRequest, refusal error) error {
	pi, err := p.intentWithCharge(ctx, r.AuthorizationID)
	if err != nil {
		return err
	}
	switch pi.Status {
	case "canceled":
		return nil
	case "succeeded":
		left, err := pi.unrefunded()
		if err != nil || left == 0 {
			return err
		}
		_, err = p.refund(ctx, r.AuthorizationID, r.OrderID, "", left, r.IdempotencyKey+"-refund")
		if refundedInFull(err) {
			return nil // refunded in full between the read and the refund: the money is back all the same
		}
		return err
	}
	return refusal
}

// charge is the part of a Charge Orion reads: https://docs.stripe.com/api/charges/object.
type charge struct {
	ID             string `json:"id"`
	AmountCaptured int64  `json:"amount_captured"`
	AmountRefunded int64  `json:"amount_refunded"`
}

// chargedIntent is a PaymentIntent read with its latest charge expanded (https://docs.stripe.com/expand).
type chargedIntent struct {
	ID             string  `json:"id"`
	Status         string  `json:"status"`
	AmountReceived int64   `json:"amount_received"`
	LatestCharge   *charge `json:"latest_charge"`
}

// intentWithCharge reads a PaymentIntent and its latest charge
// (https://docs.stripe.com/api/payment_intents/retrieve).
func (p *Provider) intentWithCharge(ctx context.Context, id string) (chargedIntent, error) {
	path, err := intentPath(id, "")
	if err != nil {
		return chargedIntent{}, err
	}
	q := url.Values{"expand[]": {"latest_charge"}}
	data, err := p.call(ctx, http.MethodGet, path+"?"+q.Encode(), nil, "")
	if err != nil {
		return chargedIntent{}, err
	}
	var pi chargedIntent
	if err := decode(data, &pi); err != nil {
		return chargedIntent{}, err
	}
	if pi.ID == "" {
		return chargedIntent{}, fmt.Errorf("%w: stripe: the response is not a PaymentIntent", payment.ErrUnavailable)
	}
	return pi, nil
}

// unrefunded is the captured money of the intent that is not refunded yet: its charge's
// amount_captured less amount_refunded (a manual-capture intent has one charge, whose
// amount_captured is the intent's amount_received).
func (pi chargedIntent) unrefunded() (int64, error) {
	if pi.LatestCharge == nil {
		return 0, fmt.Errorf("%w: stripe: %s is %s without a charge", payment.ErrUnavailable, pi.ID, pi.Status)
	}
	return max(pi.LatestCharge.AmountCaptured-pi.LatestCharge.AmountRefunded, 0), nil
}

// refund is the part of a Refund Orion reads: https://docs.stripe.com/api/refunds/object.
type refund struct {
	ID            string            `json:"id"`
	Object        string            `json:"object"`
	Amount        int64             `json:"amount"`
	Currency      string            `json:"currency"`
	Status        string            `json:"status"`
	FailureReason string            `json:"failure_reason"`
	PaymentIntent expandable        `json:"payment_intent"`
	Metadata      map[string]string `json:"metadata"`
}

// Refund gives amount of a captured PaymentIntent back and returns the refund's id. The refund carries
// metadata[source]=orion, so that its refund.created event is not mistaken for one made in Stripe's
// dashboard (webhook.go). A return's refund (r.ReturnID) is refundReturn's: exact, and found again
// after its idempotency key is forgotten.
//
// A refund of the order's total made in Stripe's dashboard before compensation came to the order is
// taken into account:
//
//   - in full: Stripe refuses Orion's (charge_already_refunded). The money is back with the customer,
//     which is what this call is for, so that refund stands for Orion's (lastRefund) and compensation
//     completes instead of failing until an operator steps in.
//   - in part: Stripe refuses the order's total as more than the charge has left (refusesRefundAmount).
//     What is left is refunded instead (refundRemaining), and that refund is the answer.
//
// A refund Stripe reports as failed (failure_reason) is a decline, and so is one Stripe refuses
// because the charge is disputed (charge_disputed): final for this payment, with nothing to fix in
// Orion (refundFailed says what an operator does about a dispute).
func (p *Provider) Refund(ctx context.Context, r payment.RefundRequest) (string, error) {
	if r.IdempotencyKey == "" || r.AuthorizationID == "" {
		return "", fmt.Errorf("%w: stripe: refund needs an idempotency key and a PaymentIntent", payment.ErrMisconfigured)
	}
	amount, _, err := toStripe(r.Amount)
	if err != nil {
		return "", err
	}
	if r.ReturnID != "" {
		return p.refundReturn(ctx, r, amount)
	}
	id, err := p.refund(ctx, r.AuthorizationID, r.OrderID, "", amount, r.IdempotencyKey)
	var se *Error
	switch {
	case refundedInFull(err):
		return p.lastRefundFor(ctx, r.AuthorizationID, err)
	case errors.As(err, &se) && se.refusesRefundAmount():
		return p.refundRemaining(ctx, r, amount, err)
	}
	return id, err
}

// refundRemaining follows a refund of asked that Stripe refused as more than the charge has left
// (refusal): it reads the intent with its charge and refunds what is left, under a key of its own
// (the refund's key + "-remaining": the amount differs from the refused request's, and a key names
// one request). A retried step is refused again, finds nothing left once that refund went through,
// and answers with it (lastRefundFor). If the charge has what was asked, the refusal was about
// something else and stands.
func (p *Provider) refundRemaining(ctx context.Context, r payment.RefundRequest, asked int64, refusal error) (string, error) {
	pi, err := p.intentWithCharge(ctx, r.AuthorizationID)
	if err != nil {
		return "", err
	}
	left, err := pi.unrefunded()
	switch {
	case err != nil:
		return "", err
	case left >= asked:
		return "", refusal
	case left == 0:
		return p.lastRefundFor(ctx, r.AuthorizationID, refusal)
	}
	id, err := p.refund(ctx, r.AuthorizationID, r.OrderID, "", left, r.IdempotencyKey+"-remaining")
	if refundedInFull(err) {
		return p.lastRefundFor(ctx, r.AuthorizationID, err) // refunded in full between the read and this refund
	}
	return id, err
}

// refundReturn refunds one received return of the order (r.ReturnID), exactly amount.
//
// Stripe forgets an idempotency key after 24 hours (https://docs.stripe.com/api/idempotent_requests).
// A return's refund Stripe made and Orion never recorded (the answer lost on every attempt, the
// order's write failed, the event dead-lettered and redriven days later) would then be made again:
// unlike the order's total, a return's amount fits in what the charge has left, so no
// charge_already_refunded stops it. So the refund carries metadata[return_id], and before creating one
// the intent's refunds are listed (refundOfReturn): the return's own refund, if Stripe has it, is the
// answer. Two deliveries racing within the 24 hours still meet the idempotency key.
//
// None of the whole order's fallbacks apply: its refund is "give back what Orion holds", a return's is
// "give back this return's amount". A refusal of the amount (more than the charge has left, or
// nothing left: refunded in the dashboard) is payment.ErrRefundExceedsRemaining, neither answered with
// what is left (refundRemaining) nor with somebody else's refund (lastRefundFor): saga.RefundReturn
// records nothing, the event ends in refund-dlq, and an operator settles what is owed
// (docs/operations.md). Other errors are Refund's (a disputed charge is a decline, a failed refund too).
func (p *Provider) refundReturn(ctx context.Context, r payment.RefundRequest, amount int64) (string, error) {
	id, err := p.refundOfReturn(ctx, r.AuthorizationID, r.ReturnID, amount)
	if err != nil || id != "" {
		return id, err
	}
	id, err = p.refund(ctx, r.AuthorizationID, r.OrderID, r.ReturnID, amount, r.IdempotencyKey)
	var se *Error
	if errors.As(err, &se) && (se.Code == codeChargeAlreadyRefunded || se.refusesRefundAmount()) {
		se.kind = payment.ErrRefundExceedsRemaining
		return "", se
	}
	return id, err
}

// refundListPages bounds refundOfReturn's walk: 20 pages of 100 refunds. An order has at most 20
// returns and one refund of its total; a charge with more than 2,000 refunds is not Orion's, and
// answering "none" there could refund twice, so it is an error instead.
const refundListPages = 20

// refundOfReturn returns the id of the refund Orion made of the intent for returnID (metadata source
// orion and return_id returnID) that did not fail or get canceled, "" if it has none. One for another
// amount than the return's (an operator tagged a partial refund by hand) is not taken for it: the
// return would be recorded as refunded in full; ErrRefundExceedsRemaining sends it back to the
// operator instead. It walks every
// page of the intent's refunds (https://docs.stripe.com/api/refunds/list, newest first, limit 100,
// starting_after: https://docs.stripe.com/api/pagination), since dashboard refunds may push Orion's
// past the first.
func (p *Provider) refundOfReturn(ctx context.Context, intent, returnID string, amount int64) (string, error) {
	q := url.Values{"payment_intent": {intent}, "limit": {"100"}}
	for range refundListPages {
		data, err := p.call(ctx, http.MethodGet, "/v1/refunds?"+q.Encode(), nil, "")
		if err != nil {
			return "", err
		}
		var list struct {
			Data    []refund `json:"data"`
			HasMore bool     `json:"has_more"`
		}
		if err := decode(data, &list); err != nil {
			return "", err
		}
		for _, re := range list.Data {
			if re.ID != "" && re.Metadata[metaSource] == sourceOrion && re.Metadata[metaReturnID] == returnID &&
				re.Status != "failed" && re.Status != "canceled" {
				if re.Amount != amount {
					return "", fmt.Errorf("%w: stripe: refund %s of return %s is for %d, the return for %d", payment.ErrRefundExceedsRemaining,
						re.ID, returnID, re.Amount, amount)
				}
				return re.ID, nil
			}
		}
		if !list.HasMore || len(list.Data) == 0 {
			return "", nil
		}
		q.Set("starting_after", list.Data[len(list.Data)-1].ID)
	}
	return "", fmt.Errorf("stripe: %s has more than %d refunds: return %s's refund not looked for in all of them", intent, refundListPages*100, returnID)
}

// refundedInFull: Stripe refused a refund because the charge is refunded in full already.
func refundedInFull(err error) bool {
	var d *payment.DeclinedError
	return errors.As(err, &d) && d.Code == codeChargeAlreadyRefunded
}

// lastRefundFor answers a refund of an intent that is refunded in full already with the intent's
// latest refund; without one (or if the list cannot be read), with err.
func (p *Provider) lastRefundFor(ctx context.Context, intent string, err error) (string, error) {
	if id, lerr := p.lastRefund(ctx, intent); lerr == nil && id != "" {
		return id, nil
	}
	return "", err
}

// refund creates a refund of amount (Stripe's minor units) of the intent, with Orion's metadata (and
// the return's id, for a return's refund), and returns its id
// (https://docs.stripe.com/api/refunds/create). Its errors are refundFailed's; one Stripe answers as
// failed or canceled is a decline with its failure_reason.
func (p *Provider) refund(ctx context.Context, intent, orderID, returnID string, amount int64, idempotencyKey string) (string, error) {
	form := url.Values{
		"payment_intent":                {intent},
		"amount":                        {strconv.FormatInt(amount, 10)},
		"metadata[" + metaSource + "]":  {sourceOrion},
		"metadata[" + metaOrderID + "]": {orderID},
	}
	if returnID != "" {
		form.Set("metadata["+metaReturnID+"]", returnID)
	}
	data, err := p.call(ctx, http.MethodPost, "/v1/refunds", form, idempotencyKey)
	if err != nil {
		return "", refundFailed(err)
	}
	var re refund
	if err := decode(data, &re); err != nil {
		return "", err
	}
	if re.ID == "" {
		return "", fmt.Errorf("%w: stripe: the response is not a Refund", payment.ErrUnavailable)
	}
	switch re.Status {
	case "failed", "canceled":
		code := re.FailureReason
		if code == "" {
			code = "refund_" + re.Status
		}
		return "", &payment.DeclinedError{Code: code}
	}
	return re.ID, nil
}

// lastRefund returns the id of the PaymentIntent's latest refund that did not fail, "" if it has none
// (https://docs.stripe.com/api/refunds/list).
func (p *Provider) lastRefund(ctx context.Context, intent string) (string, error) {
	q := url.Values{"payment_intent": {intent}, "limit": {"10"}}
	data, err := p.call(ctx, http.MethodGet, "/v1/refunds?"+q.Encode(), nil, "")
	if err != nil {
		return "", err
	}
	var list struct {
		Data []refund `json:"data"`
	}
	if err := decode(data, &list); err != nil {
		return "", err
	}
	for _, re := range list.Data { // newest first
		if re.ID != "" && re.Status != "failed" && re.Status != "canceled" {
			return re.ID, nil
		}
	}
	return "", nil
}

// refundFailed narrows a refused refund. charge_already_refunded is a decline (Refund answers it with
// the refund that came first, Void with success). So is charge_disputed: Stripe does not refund a charge under
// dispute (https://docs.stripe.com/disputes), and the money's fate is the dispute's, not Orion's.
// Compensation stops at the payment, and an operator, told by the order's PaymentDisputed
// (charge.dispute.created), answers the dispute in Stripe's dashboard: the disputed amount left the
// shop's balance when it opened, so accepting it (or losing it) leaves the money with the customer,
// which is what the refund was for; a dispute won brings it back to the shop, to refund from the
// dashboard if the customer is still owed it. Then they finish the order.
func refundFailed(err error) error {
	var se *Error
	if errors.As(err, &se) && (se.Code == codeChargeAlreadyRefunded || se.Code == codeChargeDisputed) {
		return se.decline()
	}
	return err
}

// OrderOf returns the order id Orion set on the PaymentIntent's metadata, or "" for a PaymentIntent
// Orion did not create. Webhook uses it for the events whose object does not carry the intent's
// metadata (a refund made in the dashboard, a dispute).
func (p *Provider) OrderOf(ctx context.Context, authorizationID string) (string, error) {
	path, err := intentPath(authorizationID, "")
	if err != nil {
		return "", err
	}
	data, err := p.call(ctx, http.MethodGet, path, nil, "")
	if err != nil {
		return "", err
	}
	var pi paymentIntent
	if err := decode(data, &pi); err != nil {
		return "", err
	}
	return pi.Metadata[metaOrderID], nil
}
