package order

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/validation"
)

// Shipment is how an order left the warehouse: the carrier, its tracking number and, when the carrier
// has one, the tracking page the customer is mailed.
type Shipment struct {
	Carrier        string
	TrackingNumber string
	TrackingURL    string
	ShippedAt      time.Time
}

// Bounds of a shipment's fields; the event schema (common.v1.json Carrier, TrackingNumber, TrackingUrl)
// says the same.
const (
	CarrierMaxLength     = 64
	TrackingURLMaxLength = 2048
	// ClockSkew is how far in the future a partner's timestamp may be: its clock and ours differ.
	ClockSkew = 5 * time.Minute
)

var trackingNumber = regexp.MustCompile(`^[A-Za-z0-9-]{1,64}$`)

// Validate checks the shipment as an admin or a partner reported it.
func (s Shipment) Validate() error {
	var c validation.Collector
	switch n := utf8.RuneCountInString(strings.TrimSpace(s.Carrier)); {
	case n == 0 || n > CarrierMaxLength || !utf8.ValidString(s.Carrier):
		c.Add("carrier", "is required (at most %d characters)", CarrierMaxLength)
	case validation.PlainText(s.Carrier) != "":
		c.Add("carrier", "%s", validation.PlainText(s.Carrier))
	}
	if !trackingNumber.MatchString(s.TrackingNumber) {
		c.Add("trackingNumber", "must be 1 to 64 letters, digits or dashes")
	}
	if s.TrackingURL != "" {
		u, err := url.Parse(s.TrackingURL)
		if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || len(s.TrackingURL) > TrackingURLMaxLength {
			c.Add("trackingUrl", "must be an https URL of at most %d characters", TrackingURLMaxLength)
		}
	}
	return c.Err()
}

// Ship records that the order left the warehouse: CONFIRMED -> SHIPPED, OrderShipped. From here on
// the order cannot be cancelled (ErrShipped), only returned once delivered
// (docs/adr/0018-fulfilment-and-returns.md). A pending cancellation
// wins: ErrCancellationRequested, the warehouse must not send it. The same shipment reported again
// (SHIPPED or DELIVERED) is a no-op; another one is refused. ShippedAt zero means now; it may not lie
// in the future (beyond ClockSkew) or before the order was placed.
func (o *Order) Ship(s Shipment, now time.Time) ([]event.Payload, error) {
	s.Carrier = strings.TrimSpace(s.Carrier)
	if err := s.Validate(); err != nil {
		return nil, err
	}
	now = now.UTC()
	if s.ShippedAt.IsZero() {
		s.ShippedAt = now
	}
	s.ShippedAt = s.ShippedAt.UTC()
	if o.shipment != nil && (o.status == Shipped || o.status == Delivered) {
		if o.shipment.Carrier == s.Carrier && o.shipment.TrackingNumber == s.TrackingNumber {
			return nil, nil
		}
		return nil, fmt.Errorf("%w: order %s shipped already with %s %s", ErrInvalidTransition, o.id, o.shipment.Carrier, o.shipment.TrackingNumber)
	}
	if err := o.require("ship", Confirmed); err != nil {
		return nil, err
	}
	if o.cancellation != nil {
		return nil, ErrCancellationRequested
	}
	switch {
	case s.ShippedAt.After(now.Add(ClockSkew)):
		return nil, validation.New("shippedAt", "must not be in the future")
	case s.ShippedAt.Before(o.createdAt):
		return nil, validation.New("shippedAt", "must not be before the order was placed")
	}
	o.shipment = &s
	o.move(Shipped, "", now)
	return []event.Payload{event.OrderShipped{OrderRef: o.ref(), Carrier: s.Carrier, TrackingNumber: s.TrackingNumber,
		TrackingURL: s.TrackingURL, ShippedAt: s.ShippedAt}}, nil
}

// Deliver records that the carrier delivered the order: SHIPPED -> DELIVERED, OrderDelivered. The
// return window starts at at (zero: now), which may not lie in the future (beyond ClockSkew) or before
// the shipment. Reported again it is a no-op.
func (o *Order) Deliver(at, now time.Time) ([]event.Payload, error) {
	if o.status == Delivered {
		return nil, nil
	}
	if err := o.require("deliver", Shipped); err != nil {
		return nil, err
	}
	now = now.UTC()
	if at.IsZero() {
		at = now
	}
	at = at.UTC()
	switch {
	case at.After(now.Add(ClockSkew)):
		return nil, validation.New("deliveredAt", "must not be in the future")
	case o.shipment != nil && at.Before(o.shipment.ShippedAt):
		return nil, validation.New("deliveredAt", "must not be before the order shipped (%s)", o.shipment.ShippedAt.Format(time.RFC3339))
	}
	o.deliveredAt = at
	o.move(Delivered, "", now)
	return []event.Payload{event.OrderDelivered{OrderRef: o.ref(), DeliveredAt: at}}, nil
}
