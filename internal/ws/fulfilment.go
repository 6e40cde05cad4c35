package ws

// Shipment is how a shipped order travels: what the owner needs to follow it.
type Shipment struct {
	Carrier        string `json:"carrier"`
	TrackingNumber string `json:"trackingNumber"`
	// TrackingURL is the carrier's page, an https URL (order.Shipment.Validate), if the carrier has one.
	TrackingURL string `json:"trackingUrl,omitempty"`
}

// Return says which of the order's returns moved and where it is now.
type Return struct {
	ID string `json:"id"`
	// Status is REQUESTED, RECEIVED (units back in the warehouse, refund due) or REFUNDED.
	Status string `json:"status"`
}
