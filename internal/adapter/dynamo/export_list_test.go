package dynamo

// WithPageKeyBudget sets how many index keys a list page may read, so that a test can make pages
// short without writing hundreds of views.
func (p *Projections) WithPageKeyBudget(n int) *Projections {
	p.pageKeys = n
	return p
}
