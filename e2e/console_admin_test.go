package e2e

// The console's admin pages in headless Chromium (console_test.go has the customer's and the harness).

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
	"github.com/orion-oss/orion/infra/orion/totp"
)

// adminInBrowser signs a new admin in through the console: password, then the TOTP code.
func adminInBrowser(t *testing.T, b *browser, base string) {
	t.Helper()
	email := strings.ToLower(awstest.Name(t, "webadmin")) + "@example.com"
	if _, err := user(context.Background(), email, true); err != nil {
		t.Fatal(err)
	}
	b.open(base + "/#/login")
	b.fill(`input[name="email"]`, email)
	b.fill(`input[name="password"]`, testPassword)
	b.click(`form[aria-label="Sign in"] button`)
	b.waitFor(`input[name="code"]`, slack(10*time.Second), nil)
	b.screenshot("admin-mfa")
	// A code is good in its own 30-second step only (moto checks the step exactly): one read just
	// before the step ends could reach Cognito in the next.
	if left := totp.Step - time.Since(time.Now().Truncate(totp.Step)); left < 3*time.Second {
		time.Sleep(left + 100*time.Millisecond)
	}
	code, err := adminCode(email)
	if err != nil {
		t.Fatal(err)
	}
	b.fill(`input[name="code"]`, code)
	b.click(`form[aria-label="Authenticator code"] button`)
	b.waitFor("#who", slack(10*time.Second), func(s string) bool { return s == "Signed in (admin)" })
}

func TestConsoleAdminRestocksAndSeesTheCatalogChange(t *testing.T) {
	t.Parallel()
	b := newBrowser(t)
	base := consoleURL(t)
	s, _ := consoleItem(t, 2)
	// 8 units is IN_STOCK to the public (5 and up), but under this item's own alert line of 10.
	own := sku(t)
	if r := do(t, "PUT", "/inventory/"+own, sys.adminTok,
		`{"name":"Console threshold item","description":"made by e2e/console_admin_test.go","price":{"amount":900,"currency":"USD"},"available":8,"lowStockThreshold":10}`); r.status != 201 {
		t.Fatalf("put item: %d %s", r.status, r.body)
	}
	adminInBrowser(t, b, base)
	b.open(base + "/#/admin/catalog")
	row := `tr[data-sku="` + s + `"]`
	b.waitFor(row+` td.available`, slack(10*time.Second), func(x string) bool { return x == "2" })
	// 2 left is under the low-stock line: the warning names the item; so is 8 under the other's own 10.
	b.waitFor("#low-stock", slack(5*time.Second), func(x string) bool { return strings.Contains(x, s) })
	if w := b.text("#low-stock"); !strings.Contains(w, own) || !strings.Contains(w, "alert below 10") {
		t.Errorf("8 units under the item's own threshold of 10, not warned: %q", w)
	}
	b.screenshot("admin-catalog")
	b.fill(row+` input[name="quantity"]`, "7")
	b.click(row + ` form[aria-label^="Restock"] button`)
	b.waitFor(row+` td.available`, slack(10*time.Second), func(x string) bool { return x == "9" })
	if got := do(t, "GET", "/inventory/"+s, sys.adminTok, "").json(t)["available"]; got != 9.0 {
		t.Errorf("the API says available %v after the restock; want 9", got)
	}
	if strings.Contains(b.text("#low-stock"), s) {
		t.Errorf("restocked to 9, still warned: %q", b.text("#low-stock"))
	}
	b.screenshot("admin-catalog-restocked")
	// Edit: a new name, through PUT /inventory/{sku}, shown in the table and served to everyone.
	b.click(row + ` button.secondary`)
	b.fill(`form[aria-label="Edit `+s+`"] input[name="name"]`, "Renamed "+s)
	b.screenshot("admin-edit")
	b.click(`form[aria-label="Edit ` + s + `"] button`)
	b.waitFor(row+` strong`, slack(10*time.Second), func(x string) bool { return x == "Renamed "+s })
	if got := do(t, "GET", "/inventory/"+s, "", "").json(t)["name"]; got != "Renamed "+s {
		t.Errorf("the public catalog names it %v after the edit", got)
	}
}

func TestConsoleAdminWatchesOrdersLiveAndReadsTheirStory(t *testing.T) {
	t.Parallel()
	b := newBrowser(t)
	base := consoleURL(t)
	s, _ := consoleItem(t, 20)
	adminInBrowser(t, b, base)
	b.open(base + "/#/admin/feed")
	b.waitFor("#feed-state", slack(10*time.Second), func(x string) bool { return strings.Contains(x, "every order") })
	// A customer orders through the API; the admin's feed shows it move without a reload.
	tok := customerToken(t)
	r := place(t, tok, awstest.Name(t, "k"), fmt.Sprintf(`{"items":[{"sku":%q,"quantity":1}],"paymentToken":"tok_visa"}`, s))
	if r.status != 202 {
		t.Fatalf("place: %d %s", r.status, r.body)
	}
	id, _ := r.json(t)["orderId"].(string)
	b.waitFor(`#feed tr[data-order="`+id+`"]`, slack(20*time.Second), func(x string) bool { return strings.Contains(x, "Confirmed") })
	b.screenshot("admin-feed")
	b.click(`#feed tr[data-order="` + id + `"] a`)
	svg := b.waitFor("svg.story", slack(10*time.Second), nil)
	if label := b.attr(svg, "aria-label"); !strings.Contains(label, "Confirmed") || !strings.Contains(label, "Pending") {
		t.Errorf("story picture's label %q; want its statuses", label)
	}
	// The admin story (GET /orders/{orderId}/story) adds the events and the saga's steps, each in its lane.
	if step := b.waitFor(`svg.story circle[data-lane="saga"]`, slack(5*time.Second), nil); step == "" {
		t.Error("the story picture has no saga lane")
	}
	// A push may have redrawn the picture since: read it afresh.
	label := b.attr(b.waitFor("svg.story", slack(5*time.Second), nil), "aria-label")
	for _, want := range []string{"OrderPlaced", "ReserveStock", "ConfirmOrder"} {
		if !strings.Contains(label, want) {
			t.Errorf("story picture's label %q lacks %s", label, want)
		}
	}
	if n := len(b.find(`svg.story circle[data-lane="events"]`)); n < 3 {
		t.Errorf("the story picture draws %d events; want the order's (placed, reserved, authorized, confirmed...)", n)
	}
	// Moments milliseconds apart must not print their labels over each other: the browser's own
	// layout of the labels (getBBox) says whether any two intersect.
	var overlaps []string
	json.Unmarshal(b.cmd("POST", "/execute/sync", map[string]any{"args": []any{}, "script": `
		const boxes = [...document.querySelectorAll("svg.story text")].map((t) => ({ t: t.textContent, b: t.getBBox() }));
		const out = [];
		boxes.forEach((p, i) => boxes.slice(i + 1).forEach((q) => {
			if (p.b.x < q.b.x + q.b.width && q.b.x < p.b.x + p.b.width && p.b.y < q.b.y + q.b.height && q.b.y < p.b.y + p.b.height) out.push(p.t + " / " + q.t);
		}));
		return out;`}), &overlaps)
	if len(overlaps) > 0 {
		t.Errorf("story picture labels overlap: %q", overlaps)
	}
	points, _ := strconv.Atoi(b.attr(svg, "data-points"))
	if points < 2 {
		t.Errorf("story has %d points; want the order's statuses", points)
	}
	b.screenshot("admin-story")
}
