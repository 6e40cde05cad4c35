package email

import (
	"fmt"
	"net/url"
	"strings"
)

// fulfilmentView is what templates/fulfilment.*.tmpl see: a confirmed order's later news. Tracking
// holds the carrier's tracking page when there is a safe one, and is empty otherwise: the compiled
// templates have no {{if}} (docs/adr/0007), and a range over none or one element is the same thing.
type fulfilmentView struct {
	Subject, Headline, Summary string
	OrderID                    string
	Details                    []detailView
	Tracking                   []trackingView
	Link                       string
}

type detailView struct{ Label, Value string }

type trackingView struct{ URL string }

// fulfilmentCopy is the wording of each fulfilment email, by notice kind.
var fulfilmentCopy = map[string]struct{ subject, headline, summary string }{
	"order-shipped": {subject: "Order %s has shipped", headline: "Your order is on its way",
		summary: "Good news: your order has left our warehouse."},
	"order-delivered": {subject: "Order %s was delivered", headline: "Your order was delivered",
		summary: "The carrier reports your order delivered. If something is not right, you can request a return from your order page."},
	"return-refunded": {subject: "Refund for order %s", headline: "Your refund is on its way",
		summary: "We received the items you sent back and refunded them to your original payment method. Banks take a few days to show it."},
}

func (r *Renderer) fulfilmentView(kind string, f *FulfilmentNotice) (fulfilmentView, error) {
	c, ok := fulfilmentCopy[kind]
	if !ok {
		return fulfilmentView{}, fmt.Errorf("%w: %s", ErrNotMailed, kind)
	}
	short := ShortID(f.OrderID)
	v := fulfilmentView{Subject: fmt.Sprintf(c.subject, short), Headline: c.headline, Summary: c.summary, OrderID: f.OrderID,
		Link: r.cfg.linkBase() + "/orders/" + url.PathEscape(f.OrderID)}
	add := func(label, value string) {
		if value != "" {
			v.Details = append(v.Details, detailView{Label: label, Value: value})
		}
	}
	switch kind {
	case "order-shipped":
		add("Carrier", f.Carrier)
		add("Tracking number", f.TrackingNumber)
		if u, ok := trackingURL(f.TrackingURL); ok {
			v.Tracking = []trackingView{{URL: u}}
		}
	case "order-delivered":
		if !f.DeliveredAt.IsZero() {
			add("Delivered", f.DeliveredAt.UTC().Format("2 January 2006, 15:04 UTC"))
		}
	case "return-refunded":
		add("Return", f.ReturnID)
		add("Refunded", f.Refunded)
	}
	return v, nil
}

// trackingURL is the carrier's tracking page as the email links it: an absolute https URL without
// credentials, re-serialized so that what the customer sees in the text part is percent-encoded as in
// the HTML link. Anything else is left out, and the email shows the carrier and tracking number
// alone: the URL comes from a partner's event or an admin's form, and a mail client would follow
// javascript:, data: or plain-http links as readily as the real one. The domain refuses such URLs
// already (order.Shipment.Validate); this holds for events it did not check (an older schema, a bug).
// The HTML part escapes it again through html/template's URL escapers (render_escape.go).
func trackingURL(raw string) (string, bool) {
	if raw == "" || len(raw) > 2048 || strings.ContainsAny(raw, " \t\r\n") {
		return "", false
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.Opaque != "" {
		return "", false
	}
	return u.String(), true
}
