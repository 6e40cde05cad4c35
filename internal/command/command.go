// Package command holds the write side's use cases, one file each: a command type, the handler that
// carries it out with Handle(ctx, cmd), and the repository ports the handler needs (the DynamoDB
// adapter implements them). A handler checks who may act and asks the aggregates (internal/order,
// internal/inventory) to change; the aggregates guard their invariants and return their events, which
// the repository writes in the same transaction (the transactional outbox). The query side is package
// query; the HTTP endpoints over both are package api.
package command
