package email

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"net/url"
	"strings"
	"sync"
	texttemplate "text/template"
	"unicode"

	"github.com/orion-oss/orion/internal/event"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

// Templates are parsed once per process (the first NewRenderer), not per email. The HTML ones go
// through html/template, which escapes every value for where it lands (text, attribute, URL), so an
// item name like "<script>" arrives as text.
type templateSet struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

var parseTemplates = sync.OnceValues(func() (templateSet, error) {
	text, err := texttemplate.New("text").Option("missingkey=error").ParseFS(templateFS, "templates/*.txt.tmpl")
	if err != nil {
		return templateSet{}, fmt.Errorf("email: parse text templates: %w", err)
	}
	html, err := htmltemplate.New("html").Option("missingkey=error").ParseFS(templateFS, "templates/*.html.tmpl")
	if err != nil {
		return templateSet{}, fmt.Errorf("email: parse html templates: %w", err)
	}
	return templateSet{text: text, html: html}, nil
})

// Renderer makes messages from notices. It is safe for concurrent use.
type Renderer struct {
	cfg Config
	t   templateSet
}

// NewRenderer validates the configuration and parses the templates.
func NewRenderer(cfg Config) (*Renderer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	t, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	return &Renderer{cfg: cfg, t: t}, nil
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

// orderView and stockView are what the templates see: every value already a display string.
type orderView struct {
	Subject, Headline, Summary string
	OrderID, ShortID           string
	Lines                      []lineView
	Total                      string
	Link                       string
}

type lineView struct {
	Name, SKU            string
	Quantity             int64
	UnitPrice, LineTotal string
}

type stockView struct {
	Subject              string
	SKU, Name            string
	Available, Threshold int64
}

// Render makes the message of a notice. to is the customer's address for an order notice; a stock
// notice goes to the configured admins whatever to says.
func (r *Renderer) Render(n Notice, to string) (Message, error) {
	var (
		name string
		data any
		subj string
		tags = []Tag{{"eventType", n.EventType}, {"eventId", n.EventID}}
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
		name, data, subj = "order", v, v.Subject
		tags = append(tags, Tag{"orderId", n.Order.OrderID})
	case n.Stock != nil:
		v := stockView{SKU: n.Stock.SKU, Name: n.Stock.Name, Available: n.Stock.Available, Threshold: n.Stock.Threshold}
		v.Subject = fmt.Sprintf("Low stock: %s (%d left)", n.Stock.SKU, n.Stock.Available)
		name, data, subj, to = "inventory-low", v, v.Subject, r.cfg.AdminTo
		tags = append(tags, Tag{"sku", n.Stock.SKU})
	default:
		return Message{}, fmt.Errorf("%w: %s", ErrNotMailed, n.EventType)
	}
	if to == "" {
		return Message{}, fmt.Errorf("email: render %s %s: no recipient", n.EventType, n.EventID)
	}
	var text, html bytes.Buffer
	if err := r.t.text.ExecuteTemplate(&text, name+".txt.tmpl", data); err != nil {
		return Message{}, fmt.Errorf("email: render %s text: %w", name, err)
	}
	if err := r.t.html.ExecuteTemplate(&html, name+".html.tmpl", data); err != nil {
		return Message{}, fmt.Errorf("email: render %s html: %w", name, err)
	}
	return Message{To: to, Subject: oneLine(subj), Text: text.String(), HTML: html.String(), Tags: tags}, nil
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
		v.Lines = append(v.Lines, lineView{Name: l.Name, SKU: l.SKU, Quantity: l.Quantity,
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
