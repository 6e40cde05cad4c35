package e2e

// The web console (infra/console, docs/console.md) in headless Chromium, driven over WebDriver
// (webdriver_test.go), against the same system as the rest of the suite: a customer registers, signs
// in, orders and watches the status move live over the WebSocket API; a declined card shows its
// reason; an admin signs in with TOTP, restocks and sees the catalog change, watches every order live
// and reads one order's story. Each page is written to build/console/*.png for review.
//
// The console is the stack's own when its outputs have one (ConsoleUrl: the `make dev` system in
// make test's external run, or a stack deployed with Console=true); in process, the test serves the
// embedded site with the runtime's URLs, as make dev does.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/orion-oss/orion/infra/console"
	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
)

// enterKey is WebDriver's Enter key (https://www.w3.org/TR/webdriver2/#keyboard-actions).
const enterKey = "\uE007"

// consoleURL is the console the tests open.
func consoleURL(t *testing.T) string {
	t.Helper()
	if u := output("ConsoleUrl"); u != "" {
		return strings.TrimRight(u, "/")
	}
	h, err := console.Handler(console.Config{APIURL: sys.api, WebSocketURL: sys.ws})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// consoleItem puts an item of the test's own into the catalog (the in-process stack has no demo
// catalog) and returns its SKU and name.
func consoleItem(t *testing.T, available int) (string, string) {
	t.Helper()
	s := sku(t)
	name := "Console test item " + s[len(s)-6:]
	r := do(t, "PUT", "/inventory/"+s, sys.adminTok,
		fmt.Sprintf(`{"name":%q,"description":"made by e2e/console_test.go","price":{"amount":1500,"currency":"USD"},"available":%d}`, name, available))
	if r.status != 201 {
		t.Fatalf("put item: %d %s", r.status, r.body)
	}
	return s, name
}

// signUpInBrowser registers a customer through the console's forms and signs in. Where the stack
// confirms users at once (every emulated run) the registration form is used; against AWS, whose
// confirmation code goes by mail, the user is made with the admin APIs and only signs in here.
func signUpInBrowser(t *testing.T, b *browser, base string) {
	t.Helper()
	email := strings.ToLower(awstest.Name(t, "web")) + "@example.com"
	if sys.emulated {
		if sys.external {
			madeUser(email)
		}
		b.open(base + "/#/register")
		b.fill(`input[name="name"]`, "Console Tester")
		b.fill(`input[name="email"]`, email)
		b.fill(`input[name="password"]`, testPassword)
		b.screenshot("register")
		b.click(`form[aria-label="Register"] button`)
		b.waitFor("#flash", slack(10*time.Second), func(s string) bool { return strings.Contains(s, "Check your mail") })
		b.open(base + "/#/login")
	} else {
		if _, err := user(context.Background(), email, false); err != nil {
			t.Fatal(err)
		}
		b.open(base + "/#/login")
	}
	b.fill(`input[name="email"]`, email)
	b.fill(`input[name="password"]`, testPassword)
	b.screenshot("login")
	// From the keyboard: Enter in the password field signs in (a real form, not a click handler).
	b.fill(`input[name="password"]`, testPassword+enterKey)
	b.waitFor("#who", slack(10*time.Second), func(s string) bool { return s == "Signed in" })
	b.waitFor("#live-state", slack(10*time.Second), func(s string) bool { return s == "Live updates: on" })
}

// orderInBrowser adds the item to the cart, pays with card and returns the new order's id, on its page.
func orderInBrowser(t *testing.T, b *browser, base, s, card string) string {
	t.Helper()
	b.open(base + "/#/")
	b.click(`li[data-sku="` + s + `"] button`)
	b.waitFor("#cart-summary", slack(5*time.Second), func(x string) bool { return strings.Contains(x, "(1 item)") })
	b.cmd("POST", "/execute/sync", map[string]any{"script": `document.querySelector('select[name="card"]').value = arguments[0]`, "args": []any{card}})
	b.screenshot("catalog-with-cart")
	b.click(`form[aria-label="Checkout"] button`)
	b.waitFor("#order-status", slack(10*time.Second), nil)
	id := strings.TrimPrefix(b.hash(), "#/orders/")
	if !regexp.MustCompile(`^[0-9A-Z]{26}$`).MatchString(id) {
		t.Fatalf("after checkout the page is %q", b.hash())
	}
	return id
}

func TestConsoleCustomerSeesTheOrderConfirmedLive(t *testing.T) {
	t.Parallel()
	b := newBrowser(t)
	base := consoleURL(t)
	s, _ := consoleItem(t, 20)
	signUpInBrowser(t, b, base)
	id := orderInBrowser(t, b, base, s, "tok_visa")
	// The page started from POST /orders' answer (PENDING) and reads nothing over HTTP after it: CONFIRMED
	// can only have come over the WebSocket API.
	el := b.waitFor("#order-status", slack(20*time.Second), func(x string) bool { return x == "Confirmed" })
	if st, via := b.attr(el, "data-status"), b.attr(el, "data-via"); st != "CONFIRMED" || !strings.HasPrefix(via, "websocket") {
		t.Errorf("status %q via %q; want CONFIRMED over the WebSocket", st, via)
	}
	if steps := b.text(`ol[aria-label="Progress"]`); !strings.Contains(steps, "✓ Confirmed") && !strings.Contains(steps, "Confirmed") {
		t.Errorf("progress shows %q", steps)
	}
	b.screenshot("order-confirmed")
	// Readable on a phone: at 390 CSS pixels wide nothing runs off the side of the page.
	b.cmd("POST", "/window/rect", map[string]int{"width": 390, "height": 844})
	var fits bool
	json.Unmarshal(b.cmd("POST", "/execute/sync", map[string]any{"script": "return document.documentElement.scrollWidth <= window.innerWidth", "args": []any{}}), &fits)
	if !fits {
		t.Error("the order page is wider than a phone's screen")
	}
	b.screenshot("order-confirmed-phone")
	b.cmd("POST", "/window/rect", map[string]int{"width": 1100, "height": 900})
	// The order is in the history, with its status.
	b.open(base + "/#/orders")
	row := b.waitFor("tbody tr", slack(10*time.Second), func(x string) bool { return strings.Contains(x, id) })
	if !strings.Contains(b.textOf(row), "Confirmed") {
		t.Errorf("history row %q", b.textOf(row))
	}
	b.screenshot("orders")
	// A confirmed order may still be cancelled (the cancellation workflow refunds and restocks): the
	// page offers it, and the end arrives live too.
	b.open(base + "/#/orders/" + id)
	b.click(`form[aria-label="Cancel the order"] button`)
	b.waitFor("#flash", slack(10*time.Second), func(x string) bool { return strings.Contains(x, "Cancellation requested") })
	b.waitFor("#order-status", slack(20*time.Second), func(x string) bool { return x == "Cancelled" })
	if why := b.text("#order-reason"); !strings.Contains(why, "CUSTOMER_REQUEST") {
		t.Errorf("reason shown: %q; want the customer's request", why)
	}
	b.screenshot("order-cancelled")
}

func TestConsoleShowsWhyACardWasDeclined(t *testing.T) {
	t.Parallel()
	b := newBrowser(t)
	base := consoleURL(t)
	s, _ := consoleItem(t, 20)
	signUpInBrowser(t, b, base)
	orderInBrowser(t, b, base, s, "tok_declined")
	b.waitFor("#order-status", slack(20*time.Second), func(x string) bool { return x == "Rejected" })
	if why := b.text("#order-reason"); !strings.Contains(why, "the payment was declined") || !strings.Contains(why, "PAYMENT_DECLINED") {
		t.Errorf("reason shown: %q; want the declined payment", why)
	}
	if len(b.find(`form[aria-label="Cancel the order"]`)) > 0 {
		t.Error("a rejected order offers a cancellation")
	}
	b.screenshot("order-declined")
}
