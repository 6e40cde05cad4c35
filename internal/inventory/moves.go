package inventory

import "fmt"

// A shard's counters can be written in two ways (docs/adr/0021-hot-sku-shards.md, "Counter-conditioned
// writes"): as the figures a step computed, conditional on the version it read (any write of the shard
// since the read cancels it), or as the change the step made, conditional only on what that change
// needs (each counter it lowers holds at least the units it takes). The second lets concurrent steps
// of a sale on one shard all succeed, in any order, as long as the stock is there. A Move is that
// change; Guard says what it needs.

// Move is the change of one shard's counters a step made: units added (positive) or taken (negative).
type Move struct {
	Shard                     int
	Available, Reserved, Sold int64
}

// MoveOf is the change from before to after, two snapshots of the same shard.
func MoveOf(before, after ShardSnapshot) Move {
	return Move{Shard: after.Index, Available: int64(after.Available - before.Available),
		Reserved: int64(after.Reserved - before.Reserved), Sold: int64(after.Sold - before.Sold)}
}

// IsZero reports whether the move changes nothing.
func (m Move) IsZero() bool { return m.Available == 0 && m.Reserved == 0 && m.Sold == 0 }

// Conserves reports whether the move keeps available + reserved + sold: every move of the saga and of
// a rebalance does (only an admin's restock or revision changes the total).
func (m Move) Conserves() bool { return m.Available+m.Reserved+m.Sold == 0 }

// Guard is the least each counter must hold for the move to leave none of them negative: the units it
// takes from each (0 for a counter it does not lower). A write conditional on the guard, applied to
// the shard as it is when the write lands (not as it was read), can never take a counter below zero,
// so no unit is oversold, whatever moved in between.
func (m Move) Guard() (available, reserved, sold Quantity) {
	need := func(d int64) Quantity { return Quantity(max(0, -d)) }
	return need(m.Available), need(m.Reserved), need(m.Sold)
}

// Apply is the move applied to s as DynamoDB applies a counter-conditioned write: refused (ok false, s
// unchanged) when s does not meet the guard, else every counter changed and the version one higher.
func (m Move) Apply(s ShardSnapshot) (ShardSnapshot, bool) {
	a, r, so := m.Guard()
	if s.Available < a || s.Reserved < r || s.Sold < so {
		return s, false
	}
	s.Available += Quantity(m.Available)
	s.Reserved += Quantity(m.Reserved)
	s.Sold += Quantity(m.Sold)
	s.Version++
	return s, true
}

func (m Move) String() string {
	return fmt.Sprintf("shard %d: available %+d, reserved %+d, sold %+d", m.Shard, m.Available, m.Reserved, m.Sold)
}
