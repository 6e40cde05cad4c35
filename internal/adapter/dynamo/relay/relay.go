// Package relay turns the outbox table's stream records into the events the outbox Pipes put on the
// bus (the outbox-relay function, the Pipes' enrichment). It is apart from package dynamo because it
// needs no DynamoDB client: the function that runs it should not link and initialize one at each cold
// start.
package relay

import (
	"errors"
	"fmt"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orion-oss/orion/internal/event"
)

// Records turns outbox stream records into the envelopes the outbox Pipes put on the bus, in stream
// order. An outbox item is one event (`envelope`) or, where a transaction had more events than
// DynamoDB's 100 items left room for, a batch of up to 10 of them (`envelopes`, in the order they were
// committed; internal/adapter/dynamo's outboxPuts): each of its envelopes becomes an event of its own, in its
// place. The Pipe of single items reads 10 records at a time and the batch Pipe one, so an answer never
// holds more than the 10 events a Pipe puts on a bus per invocation.
// Records that are not outbox INSERTs (TTL deletions) are skipped; the pipe's filter drops them
// already. A record whose envelopes cannot all be decoded fails the whole batch: the pipe retries and
// then dead-letters it, because skipping it would lose an event.
func Records(records []events.DynamoDBEventRecord) ([]event.Envelope, error) {
	out := make([]event.Envelope, 0, len(records))
	for i, r := range records {
		if r.EventName != "INSERT" {
			continue
		}
		envs, err := decode(r.Change.NewImage)
		if err != nil {
			return nil, fmt.Errorf("relay: outbox record %d (%s): %w", i, r.EventID, err)
		}
		out = append(out, envs...)
	}
	return out, nil
}

var errNoEnvelope = errors.New("has no envelope")

// decode reads the envelopes of one outbox item's image.
func decode(img map[string]events.DynamoDBAttributeValue) ([]event.Envelope, error) {
	one, single := img["envelope"]
	batch, batched := img["envelopes"]
	switch {
	case single && batched:
		return nil, errors.New("has both an envelope and a batch of envelopes")
	case single:
		env, err := decodeOne(one)
		if err != nil {
			return nil, err
		}
		return []event.Envelope{env}, nil
	case !batched || batch.DataType() != events.DataTypeList || len(batch.List()) == 0:
		return nil, errNoEnvelope
	}
	list := batch.List()
	envs := make([]event.Envelope, len(list))
	for j, av := range list {
		env, err := decodeOne(av)
		if err != nil {
			return nil, fmt.Errorf("envelope %d of %d: %w", j, len(list), err)
		}
		envs[j] = env
	}
	return envs, nil
}

func decodeOne(av events.DynamoDBAttributeValue) (event.Envelope, error) {
	if av.DataType() != events.DataTypeString {
		return event.Envelope{}, errNoEnvelope
	}
	return event.Decode([]byte(av.String()))
}
