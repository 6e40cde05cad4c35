package email

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"github.com/orion-oss/orion/internal/event"
)

// The emails are written as templates (templates/*.tmpl: text/template for the text part, html/template
// for the HTML part) and compiled into Go code in render_templates.go, which this file calls. The function
// links neither template package: executing a template looks fields up by name through reflection, and
// that alone makes the linker keep every exported method of every type the binary can reach, the SDK
// clients' included (docs/adr/0007-email-templates-compiled-to-go.md has the sizes).
//
// The compiled code writes what html/template would: each value goes through the escapers html/template
// chose for the spot the value lands in (HTML text, the <title>, a URL attribute), taken from
// html/template's own escaping of the template; a template that puts a value anywhere the compiled
// renderer has no escaper for (a script, a style, an unquoted attribute) is refused by the generator. Tests
// check that the output matches text/template and html/template byte for byte, hostile values included,
// and that render_templates.go is up to date (render_templates_test.go).
//
// After editing a template: go generate ./internal/email
//
//go:generate go run render_generate.go

// Renderer makes messages from notices. It is safe for concurrent use.
type Renderer struct {
	cfg Config
}

// NewRenderer validates the configuration.
func NewRenderer(cfg Config) (*Renderer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Renderer{cfg: cfg}, nil
}

// Config is the configuration the renderer was made with.
func (r *Renderer) Config() Config { return r.cfg }

// orderCopy is the wording of one order outcome. because is a sentence with a %s for the reason's
// plain words; plain is the same sentence for a reason this build cannot put in words.
type orderCopy struct {
	subject, headline, because, plain, after string
}

var orderCopies = map[string]orderCopy{
	event.TypeOrderConfirmed: {subject: "Order %s confirmed", headline: "Your order is confirmed",
		plain: "Thank you! Your payment went through and your order is confirmed."},
	event.TypeOrderRejected: {subject: "Order %s not placed", headline: "Your order was not placed",
		because: "We could not place your order because %s.", plain: "We could not place your order.",
		after: "You have not been charged."},
	event.TypeOrderCancelled: {subject: "Order %s cancelled", headline: "Your order is cancelled",
		because: "Your order has been cancelled because %s.", plain: "Your order has been cancelled.",
		after: "Any payment for it has been refunded."},
	event.TypeOrderFailed: {subject: "Order %s could not be completed", headline: "Your order could not be completed",
		because: "We could not complete your order because %s.", plain: "We could not complete your order.",
		after: "Any payment for it has been refunded. We are sorry for the trouble."},
}

// rejectedSubjects make a rejection's subject say why in two words.
var rejectedSubjects = map[string]string{
	"OUT_OF_STOCK":     "Order %s not placed: out of stock",
	"PAYMENT_DECLINED": "Order %s not placed: payment declined",
}

// orderView and stockView are what the templates see: every value already a display string (the
// generated code writes string fields only, as text/template would print them).
type orderView struct {
	Subject, Headline, Summary string
	OrderID, ShortID           string
	Lines                      []lineView
	Total                      string
	Link                       string
}

type lineView struct {
	Name, SKU            string
	Quantity             string
	UnitPrice, LineTotal string
}

type stockView struct {
	Subject              string
	SKU, Name            string
	Available, Threshold string
}

// Render makes the message of a notice. to is the customer's address for an order notice; a stock
// notice goes to the configured admins whatever to says.
func (r *Renderer) Render(n Notice, to string) (Message, error) {
	var (
		subj, text, html string
		tags             = []Tag{{"eventType", n.EventType}, {"eventId", n.EventID}}
	)
	switch {
	case n.Order != nil:
		c, ok := orderCopies[n.EventType]
		if !ok {
			return Message{}, fmt.Errorf("%w: %s", ErrNotMailed, n.EventType)
		}
		v := r.orderView(n.Order, c)
		if s, ok := rejectedSubjects[n.Order.Reason]; ok && n.EventType == event.TypeOrderRejected {
			v.Subject = fmt.Sprintf(s, v.ShortID)
		}
		subj, text, html = v.Subject, orderText(&v), orderHTML(&v)
		tags = append(tags, Tag{"orderId", n.Order.OrderID})
	case n.Fulfilment != nil:
		v, err := r.fulfilmentView(n.Kind, n.Fulfilment)
		if err != nil {
			return Message{}, err
		}
		subj, text, html = v.Subject, fulfilmentText(&v), fulfilmentHTML(&v)
		tags = append(tags, Tag{"orderId", n.Fulfilment.OrderID})
	case n.Stock != nil:
		v := stockView{SKU: n.Stock.SKU, Name: n.Stock.Name,
			Available: strconv.FormatInt(n.Stock.Available, 10), Threshold: strconv.FormatInt(n.Stock.Threshold, 10)}
		v.Subject = fmt.Sprintf("Low stock: %s (%d left)", n.Stock.SKU, n.Stock.Available)
		subj, text, html, to = v.Subject, inventoryLowText(&v), inventoryLowHTML(&v), r.cfg.AdminTo
		tags = append(tags, Tag{"sku", n.Stock.SKU})
	default:
		return Message{}, fmt.Errorf("%w: %s", ErrNotMailed, n.EventType)
	}
	if to == "" {
		return Message{}, fmt.Errorf("email: render %s %s: no recipient", n.EventType, n.EventID)
	}
	return Message{To: to, Subject: oneLine(subj), Text: text, HTML: html, Tags: tags}, nil
}

func (r *Renderer) orderView(o *OrderNotice, c orderCopy) orderView {
	short := ShortID(o.OrderID)
	summary := c.plain
	if c.because != "" && o.ReasonText != "" {
		summary = fmt.Sprintf(c.because, o.ReasonText)
	}
	if c.after != "" {
		summary += " " + c.after
	}
	v := orderView{
		Subject: fmt.Sprintf(c.subject, short), Headline: c.headline, Summary: summary,
		OrderID: o.OrderID, ShortID: short, Total: o.Total,
		Link: r.cfg.linkBase() + "/orders/" + url.PathEscape(o.OrderID),
	}
	for _, l := range o.Lines {
		v.Lines = append(v.Lines, lineView{Name: l.Name, SKU: l.SKU, Quantity: strconv.FormatInt(l.Quantity, 10),
			UnitPrice: FormatMoney(l.UnitPrice), LineTotal: FormatMoney(l.LineTotal)})
	}
	return v
}

// ShortID is the order id as a subject shows it: "…" and its last 8 characters. An order id is a ULID,
// whose first characters are its timestamp and are shared by every order placed in the same second or
// so; the tail is random, so it tells a customer's orders apart.
func ShortID(orderID string) string {
	r := []rune(orderID)
	if len(r) <= 12 {
		return orderID
	}
	return "…" + string(r[len(r)-8:])
}

// oneLine keeps a subject on one line: a control character from data could otherwise break it.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}
