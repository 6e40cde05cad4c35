package redrive_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/orion-oss/orion/infra/engine/sam"
	"github.com/orion-oss/orion/internal/adapter/dynamo"
)

// A failed outbox batch can be redriven only while its items are in the outbox, so they must outlive
// every message its Pipe's dead-letter queue keeps.
func TestOutboxItemsOutliveThePipesDeadLetters(t *testing.T) {
	tpl, err := sam.Load("../../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	pipes := 0
	for id, r := range tpl.Resources {
		if r.Type != "AWS::Pipes::Pipe" {
			continue
		}
		pipes++
		dlq := sam.Map(sam.Map(sam.Map(r.Properties, "SourceParameters"), "DynamoDBStreamParameters"), "DeadLetterConfig")
		att, _ := dlq["Arn"].(map[string]any)["Fn::GetAtt"].([]any)
		if len(att) != 2 {
			t.Fatalf("%s: DeadLetterConfig.Arn is %v; want a GetAtt of a queue", id, dlq["Arn"])
		}
		queue, ok := tpl.Resources[fmt.Sprint(att[0])]
		if !ok {
			t.Fatalf("%s: no resource %v", id, att[0])
		}
		// SQS keeps a message 4 days unless told otherwise.
		retention := 4 * 24 * time.Hour
		if v, ok := queue.Properties["MessageRetentionPeriod"]; ok {
			var secs int
			if _, err := fmt.Sscan(fmt.Sprint(v), &secs); err != nil {
				t.Fatalf("%s: MessageRetentionPeriod %v", att[0], v)
			}
			retention = time.Duration(secs) * time.Second
		}
		if dynamo.OutboxRetention <= retention {
			t.Errorf("%s's dead letters live %s, outbox items %s: a message could outlive the items it needs", id, retention, dynamo.OutboxRetention)
		}
	}
	if pipes < 2 {
		t.Fatalf("found %d Pipes in the template; want the two outbox Pipes", pipes)
	}
}
