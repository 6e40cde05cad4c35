package inventory

// Availability is how the public catalog describes an item's stock: coarse on purpose, so that nobody
// but an admin can watch exact counts (a competitor tracking sales, a hoarder timing a buy-out).
type Availability string

// The public availabilities.
const (
	InStock    Availability = "IN_STOCK"
	Low        Availability = "LOW"
	OutOfStock Availability = "OUT_OF_STOCK"
)

// PublicLowStock is the count below which the public sees LOW. It is the default alert threshold
// (DefaultLowStockThreshold), not each item's own: the catalog view does not carry per-item
// thresholds, an admin's alert threshold is an operational choice rather than a shop-window signal,
// and one figure keeps GET /inventory and GET /inventory/{sku} from disagreeing about the same item.
const PublicLowStock = DefaultLowStockThreshold

// AvailabilityOf classifies a count of available units: 0 or less is OUT_OF_STOCK, below
// PublicLowStock is LOW, the rest IN_STOCK.
func AvailabilityOf(available int64) Availability {
	switch {
	case available <= 0:
		return OutOfStock
	case available < int64(PublicLowStock):
		return Low
	}
	return InStock
}

// Availability is the item's public availability.
func (it *Item) Availability() Availability { return AvailabilityOf(int64(it.Available())) }
