package order

import (
	"fmt"
	"net/url"
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

// validTrackingNumber reports whether s is 1-64 letters, digits or dashes (common.v1.json
// TrackingNumber). A loop, not a regexp: the order package is in almost every function, and a compiled
// program is built at every cold start (docs/adr/0009-package-splits-for-cold-start.md).
func validTrackingNumber(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// ValidTrackingURL reports whether s can be the tracking page mailed to the customer and published in
// OrderShipped: common.v1.json's TrackingUrl, ^https://host(:port)?([/?#]...)?$ with only the characters
// RFC 3986 allows in a URI (no white space, quote, angle bracket or backslash, which url.Parse lets
// through), a host name without credentials, at most TrackingURLMaxLength bytes. The admin's route and
// the partner's events both check it.
func ValidTrackingURL(s string) bool {
	rest, ok := strings.CutPrefix(s, "https://")
	if !ok || len(s) > TrackingURLMaxLength {
		return false
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	host, port, hasPort := strings.Cut(rest[:end], ":")
	if host == "" || (hasPort && (len(port) == 0 || len(port) > 5)) {
		return false
	}
	for i := 0; i < len(host); i++ {
		if c := host[i]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	for i := 0; i < len(port); i++ {
		if port[i] < '0' || port[i] > '9' {
			return false
		}
	}
	for i := end; i < len(rest); i++ {
		c := rest[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("._~:/?#[]@!$&'()*+,;=%-", c) >= 0) {
			return false
		}
	}
	_, err := url.Parse(s)
	return err == nil
}

// Validate checks the shipment as an admin or a partner reported it.
func (s Shipment) Validate() error {
	var c validation.Collector
	switch n := utf8.RuneCountInString(strings.TrimSpace(s.Carrier)); {
	case n == 0 || n > CarrierMaxLength || !utf8.ValidString(s.Carrier):
		c.Add("carrier", "is required (at most %d characters)", CarrierMaxLength)
	case validation.PlainText(s.Carrier) != "":
		c.Add("carrier", "%s", validation.PlainText(s.Carrier))
	}
	if !validTrackingNumber(s.TrackingNumber) {
		c.Add("trackingNumber", "must be 1 to 64 letters, digits or dashes")
	}
	if s.TrackingURL != "" && !ValidTrackingURL(s.TrackingURL) {
		c.Add("trackingUrl", "must be an https URL of at most %d characters", TrackingURLMaxLength)
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
