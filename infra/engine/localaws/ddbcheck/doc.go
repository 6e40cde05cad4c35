// Package ddbcheck holds the DynamoDB semantics Orion relies on, as tests with the real aws-sdk-go-v2
// against whatever serves DynamoDB locally: conditional transactions and their cancellation reasons,
// no lost update under concurrency, streams with old and new images in order per key (also across a
// cancelled transaction), TTL and global secondary indexes. Any emulator that would serve DynamoDB
// locally must pass them (docs/adr/0019-dynamodb-emulator.md):
//
//	go test ./infra/engine/localaws/ddbcheck                      # the local endpoint Orion starts
//	AWS_ENDPOINT_URL=http://127.0.0.1:8000 go test ./infra/engine/localaws/ddbcheck   # a candidate
//
// DynamoDB's documented behaviour is the spec; each test cites the page it checks.
package ddbcheck
