package benchreport

import (
	"bytes"
	"strings"
	"testing"
)

// The modelled sale renders every design at every load, never oversells, and says which designs reach
// the target.
func TestHotModelReport(t *testing.T) {
	m, err := modelHotSKU(t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	if want := len(m.Designs) * len(m.Loads); len(m.Rows) != want || len(m.SellOut) != len(m.Designs) {
		t.Fatalf("%d rows, %d sell-outs; want %d and %d", len(m.Rows), len(m.SellOut), want, len(m.Designs))
	}
	for _, r := range append(m.Rows, m.SellOut...) {
		if r.Oversold != 0 {
			t.Errorf("%s at %.0f/s oversold %d", r.Design, r.Load, r.Oversold)
		}
	}
	if c := m.ceiling("single item"); c <= 0 || c >= 250 {
		t.Errorf("single item sustains %.0f orders/s; want some, below its 250 WCU ceiling", c)
	}
	var b bytes.Buffer
	m.markdown(&b)
	out := b.String()
	for _, want := range []string{"## Hot SKU on AWS, modelled", "| single item |", "| 64 shards, best case |", "confirmed orders/s on one SKU"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	t.Log("\n" + out)
}
