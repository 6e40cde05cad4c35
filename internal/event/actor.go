package event

// Roles an Actor acts in.
const (
	RoleAdmin    = "admin"
	RoleCustomer = "customer"
	// RolePartner is a fulfilment partner (a warehouse or carrier) reporting through its events; the
	// Actor's Sub is then the partner's event source.
	RolePartner = "partner"
)

// Actor is the person who asked for a change through the API, recorded in the change's events so
// that an admin action (a catalog edit, a restock, cancelling someone else's order) says who did it
// (issue 20). Sub is the caller's Cognito sub, the token's subject, which never changes and is the same
// id the HTTP API's access log records ($context.authorizer.claims.sub), so one joins the other. Never
// the email: the user can change it, and it is personal data that the bus archive would keep for
// years. Role is the authority the person used: admin, or customer for their own order.
type Actor struct {
	Sub  string `json:"sub"`
	Role string `json:"role"`
}

// attributable is a payload that records who asked for it.
type attributable interface {
	withActor(*Actor) Payload
}

func (p InventoryUpdated) withActor(a *Actor) Payload           { p.Actor = a; return p }
func (p OrderCancellationRequested) withActor(a *Actor) Payload { p.Actor = a; return p }
func (p OrderCancelled) withActor(a *Actor) Payload             { p.Actor = a; return p }

// Attribute sets the actor on the payloads that record one and returns them; the others, and every
// payload when the actor is unknown (no sub), are left as they are. Commands call it on what the
// aggregate returned, so the domain stays free of who is calling.
func Attribute(evs []Payload, a Actor) []Payload {
	if a.Sub == "" {
		return evs
	}
	for i, p := range evs {
		if w, ok := p.(attributable); ok {
			evs[i] = w.withActor(&Actor{Sub: a.Sub, Role: a.Role})
		}
	}
	return evs
}
