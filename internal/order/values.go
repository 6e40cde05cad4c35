// Package order holds the Order aggregate: its lines and total, its status machine, and the
// compensation bookkeeping that lets every saga step be repeated without effect.
package order

import (
	"crypto/rand"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/oklog/ulid/v2"

	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/money"
	"github.com/orion-oss/orion/internal/validation"
)

// ID is a ULID: unique, and sortable by creation time, which keeps "newest first" listings cheap.
type ID string

// NewID makes an ID for an order created at now. entropy nil means crypto/rand.
func NewID(now time.Time, entropy io.Reader) (ID, error) {
	if entropy == nil {
		entropy = rand.Reader
	}
	id, err := ulid.New(ulid.Timestamp(now), entropy)
	if err != nil {
		return "", err
	}
	return ID(id.String()), nil
}

// ParseID validates an ID from a URL or storage.
func ParseID(s string) (ID, error) {
	id, err := ulid.ParseStrict(s)
	if err != nil {
		return "", validation.New("orderId", "must be an order id")
	}
	return ID(id.String()), nil
}

func (id ID) String() string { return string(id) }

// Status is where an order is in its life.
type Status string

const (
	Pending           Status = "PENDING"
	Reserved          Status = "RESERVED"
	PaymentAuthorized Status = "PAYMENT_AUTHORIZED"
	Confirmed         Status = "CONFIRMED"
	Shipped           Status = "SHIPPED"
	Delivered         Status = "DELIVERED"
	Rejected          Status = "REJECTED"
	Cancelled         Status = "CANCELLED"
	Failed            Status = "FAILED"
)

// Statuses lists every status, in life order.
var Statuses = []Status{Pending, Reserved, PaymentAuthorized, Confirmed, Shipped, Delivered, Rejected, Cancelled, Failed}

// ParseStatus validates a status filter.
func ParseStatus(s string) (Status, error) {
	for _, st := range Statuses {
		if string(st) == s {
			return st, nil
		}
	}
	names := make([]string, len(Statuses))
	for i, st := range Statuses {
		names[i] = string(st)
	}
	return "", validation.New("status", "must be one of %s", strings.Join(names, ", "))
}

// IsTerminal reports whether nothing more happens to the order by itself. CONFIRMED is not terminal:
// a confirmed order can still be cancelled (and compensated) until it ships; neither are SHIPPED and
// DELIVERED: a delivered order takes returns.
func (s Status) IsTerminal() bool { return s == Rejected || s == Cancelled || s == Failed }

// IsSold reports whether the order was confirmed, paid for and its stock sold: CONFIRMED and the
// fulfilment statuses after it. For the saga each is a success it has nothing more to do for.
func (s Status) IsSold() bool { return s == Confirmed || s == Shipped || s == Delivered }

// Reason explains a REJECTED, CANCELLED or FAILED status.
type Reason string

const (
	OutOfStock         Reason = "OUT_OF_STOCK"
	PaymentDeclined    Reason = "PAYMENT_DECLINED"
	CustomerRequest    Reason = "CUSTOMER_REQUEST"
	AdminRequest       Reason = "ADMIN_REQUEST"
	PaymentUnavailable Reason = "PAYMENT_UNAVAILABLE"
	StepFailed         Reason = "STEP_FAILED"
	SagaFailed         Reason = "SAGA_FAILED"
)

// FailureReasons are the reasons Fail accepts.
var FailureReasons = []Reason{PaymentUnavailable, StepFailed, SagaFailed}

// Requester is who asked for a cancellation.
type Requester string

const (
	ByCustomer Requester = "CUSTOMER"
	ByAdmin    Requester = "ADMIN"
)

func (r Requester) reason() Reason {
	if r == ByAdmin {
		return AdminRequest
	}
	return CustomerRequest
}

// Line limits.
const (
	MaxLines        = 50
	MaxLineQuantity = 1000
)

// Line is one SKU of an order, priced from the catalog when the order is placed.
type Line struct {
	SKU       inventory.SKU
	Name      string
	Quantity  inventory.Quantity
	UnitPrice money.Money
	LineTotal money.Money
}

// NewLine prices a line: quantity 1-1000, unit price from the catalog, line total overflow-checked.
func NewLine(sku inventory.SKU, name string, qty int64, unitPrice money.Money) (Line, error) {
	var c validation.Collector
	if _, err := inventory.ParseSKU(string(sku)); err != nil {
		c.Merge("", err)
	}
	if qty < 1 || qty > MaxLineQuantity {
		c.Add("quantity", "must be between 1 and %d", MaxLineQuantity)
	}
	if unitPrice.IsZero() || unitPrice.Amount() < 0 {
		c.Add("unitPrice", "must be a non-negative catalog price")
	}
	if strings.TrimSpace(name) == "" || !utf8.ValidString(name) {
		c.Add("name", "is required")
	}
	if err := c.Err(); err != nil {
		return Line{}, err
	}
	total, err := unitPrice.Mul(qty)
	if err != nil {
		return Line{}, validation.New("quantity", "line total is too large")
	}
	return Line{SKU: sku, Name: name, Quantity: inventory.Quantity(qty), UnitPrice: unitPrice, LineTotal: total}, nil
}

// Address is where an order ships. It is optional: digital goods have none.
type Address struct {
	Name       string `json:"name"`
	Line1      string `json:"line1"`
	Line2      string `json:"line2,omitempty"`
	City       string `json:"city"`
	Region     string `json:"region,omitempty"`
	PostalCode string `json:"postalCode"`
	Country    string `json:"country"`
}

// Trimmed is the address with leading and trailing white space removed from every field, as it is stored.
func (a Address) Trimmed() Address {
	for _, f := range []*string{&a.Name, &a.Line1, &a.Line2, &a.City, &a.Region, &a.PostalCode, &a.Country} {
		*f = strings.TrimSpace(*f)
	}
	return a
}

// Validate checks the address; Country is an ISO 3166-1 alpha-2 code. No field may hold a control or a
// bidirectional formatting character (validation.UnsafeRune).
func (a Address) Validate() error {
	var c validation.Collector
	for _, f := range []struct {
		field, value string
		required     bool
		max          int
	}{
		{"name", a.Name, true, 200}, {"line1", a.Line1, true, 200}, {"line2", a.Line2, false, 200},
		{"city", a.City, true, 100}, {"region", a.Region, false, 100}, {"postalCode", a.PostalCode, true, 20},
	} {
		n := utf8.RuneCountInString(strings.TrimSpace(f.value))
		switch {
		case f.required && n == 0:
			c.Add(f.field, "is required")
		case n > f.max || !utf8.ValidString(f.value):
			c.Add(f.field, "must be at most %d characters", f.max)
		case validation.PlainText(f.value) != "":
			c.Add(f.field, "%s", validation.PlainText(f.value))
		}
	}
	if len(a.Country) != 2 || strings.ToUpper(a.Country) != a.Country || strings.IndexFunc(a.Country, func(r rune) bool { return r < 'A' || r > 'Z' }) >= 0 {
		c.Add("country", "must be an ISO 3166-1 alpha-2 code like US")
	}
	return c.Err()
}

// HistoryEntry is one status change.
type HistoryEntry struct {
	Status Status
	Reason Reason
	At     time.Time
}
