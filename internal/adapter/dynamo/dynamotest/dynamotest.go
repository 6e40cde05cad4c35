// Package dynamotest creates template.yaml's DynamoDB tables in the local AWS emulator for tests, under
// names unique to the test, so that keys, indexes, streams and TTL are exactly what the template
// declares (the template is the truth) and tests sharing one emulator never collide. Use it with
// infra/engine/localaws/awstest in TestMain.
package dynamotest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
	"github.com/orion-oss/orion/infra/engine/provision"
	"github.com/orion-oss/orion/infra/engine/sam"
	"github.com/orion-oss/orion/internal/adapter/dynamo"
)

// Table creates the table of one template resource (e.g. "OrdersTable") and returns its name.
func Table(t testing.TB, logicalID string) string {
	t.Helper()
	tpl, params, err := template()
	if err != nil {
		t.Fatal(err)
	}
	r, ok := tpl.Resources[logicalID]
	if !ok || r.Type != "AWS::DynamoDB::Table" {
		t.Fatalf("dynamotest: %s is not a table of template.yaml", logicalID)
	}
	env := sam.Env{Region: "us-east-1", AccountID: "123456789012", StackName: "test", Partition: "aws", Parameters: params}
	props, err := tpl.Resolve(r.Properties, env, logicalID)
	if err != nil {
		t.Fatal(err)
	}
	m := props.(map[string]any)
	m["TableName"] = awstest.Name(t, logicalID)
	if _, err := provision.New(awstest.Config(t), "123456789012").Create(context.Background(), "AWS::DynamoDB::Table", logicalID, m); err != nil {
		t.Fatal(err)
	}
	return m["TableName"].(string)
}

// Tables creates the command side's tables (orders, inventory, reservations, outbox) and returns a client
// for them.
func Tables(t testing.TB) (*dynamodb.Client, dynamo.Tables) {
	t.Helper()
	tables := dynamo.Tables{Orders: Table(t, "OrdersTable"), Inventory: Table(t, "InventoryTable"),
		Reservations: Table(t, "ReservationsTable"), Outbox: Table(t, "OutboxTable")}
	return dynamodb.NewFromConfig(awstest.Config(t)), tables
}

// template finds and parses the module's template.yaml once per test binary: a package's tests create
// tables by the dozen, and parsing it for each was most of their CPU under -race (docs/adr/0025). Resolve
// copies what it returns, so callers never write into the shared template.
func template() (*sam.Template, map[string]any, error) {
	parsed.once.Do(func() {
		path, err := templatePath()
		if err == nil {
			parsed.tpl, err = sam.Load(path)
		}
		if err == nil {
			parsed.params, err = parsed.tpl.ParameterValues(nil)
		}
		parsed.err = err
	})
	return parsed.tpl, parsed.params, parsed.err
}

var parsed struct {
	once   sync.Once
	tpl    *sam.Template
	params map[string]any
	err    error
}

// templatePath finds template.yaml at the module root, whichever package's directory the test runs in.
func templatePath() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "template.yaml"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("dynamotest: no go.mod above the test's directory")
		}
		dir = parent
	}
}
