// Package ddbmodel simulates a flash sale on one SKU against DynamoDB's documented limits: a seeded
// discrete-event model of orders running the saga's stock steps, as recorded from the real code
// (package record, patterns/single.json and patterns/sharded.json), on partitions of 1,000 WCU / 3,000 RCU a second, with
// transaction conflicts, billed failures, throttling and the code's retries (SDK, store, state
// machine). README.md gives its rules with their citations, its assumptions and its limits;
// infra/orion/benchreport reports it in `make bench`.
package ddbmodel
