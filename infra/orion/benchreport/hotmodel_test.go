package benchreport

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/orion-oss/orion/infra/orion/ddbmodel"
)

// The modelled sale renders every design at every load, never oversells, and says which designs reach
// the target (a smaller run than make bench's, which runs hotModelDesigns at four loads).
func TestHotModelReport(t *testing.T) {
	single := ddbmodel.SingleItem()
	designs := []HotDesign{{Name: "single item", Pattern: single, Shards: 1},
		{Name: "64 shards, best case", Pattern: ddbmodel.Sharded(single, 64), Shards: 64},
		{Name: "8 shards hashed onto 8 partitions", Pattern: ddbmodel.Sharded(single, 8), Shards: 8, Partitions: 8}}
	m, err := runHotModel(designs, []float64{100, 2500}, 2*time.Second, t.Logf)
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
