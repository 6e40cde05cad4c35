package e2e

// External mode: the suite drives a stack that runs elsewhere (a `make dev` system, or a stack
// deployed to AWS) as a client and as its deployer, from the stack's outputs alone:
//
//	ORION_STACK_OUTPUTS=build/dev/outputs.json go test ./e2e     (make dev's file; make test does this)
//	make e2e-aws STACK=orion-dev [REGION=eu-west-1]            (DescribeStacks' outputs of a deployed stack)
//
// The file is a JSON object OutputKey -> OutputValue, as CloudFormation's DescribeStacks gives the
// template's Outputs, plus optional keys that no template output has: AwsEndpointUrl (the local AWS
// endpoint a `make dev` system serves; absent for AWS) and StackName (to find functions by name).
//
// What the runner needs that a client cannot do it does with its own AWS credentials, as the deployer:
// Cognito admin calls for users, DynamoDB reads of stock counters, Step Functions histories, SQS
// dead-letter queues, PutEvents of duplicates to the stack's bus, and a tap of the bus (an SQS queue and a
// rule of this run) that shows the tests what reached the bus. Everything it creates it deletes at the end.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/orion-oss/orion/infra/engine/eventbus"
	"github.com/orion-oss/orion/internal/platform/awscfg"
)

// output is one of the stack's outputs (in-process: the template's resolved Outputs).
func output(key string) string { return sys.out[key] }

// inProcessOnly skips a test that needs the in-process runtime itself (its fault injection, call meter,
// X-Ray daemon, log or routes), which no client of a running stack can reach.
func inProcessOnly(t *testing.T, why string) {
	t.Helper()
	if sys.stack == nil {
		t.Skip("in-process only: " + why)
	}
}

// emulatorOnly skips a test that reads what only an emulator shows (moto's SES mailbox, its Cognito
// signing key): it runs in-process and against `make dev`, not against AWS.
func emulatorOnly(t *testing.T, why string) {
	t.Helper()
	if !sys.emulated {
		t.Skip("emulator only: " + why)
	}
}

// atEdge points a client at the endpoint that has the runtime behind it (Lambda Invoke, Step Functions,
// PutEvents that reach the rules): in-process the stack's edge; externally the configuration's own
// endpoint (AWS_ENDPOINT_URL, which is the dev system's edge, or AWS).
func atEdge(base **string) {
	if sys.edge != "" {
		*base = aws.String(sys.edge)
	}
}

func awsConfig(t *testing.T) aws.Config {
	t.Helper()
	cfg, err := awscfg.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func eventsClient(t *testing.T) *eventbridge.Client {
	return eventbridge.NewFromConfig(awsConfig(t), func(o *eventbridge.Options) { atEdge(&o.BaseEndpoint) })
}

func lambdaClient(t *testing.T) *lambda.Client {
	return lambda.NewFromConfig(awsConfig(t), func(o *lambda.Options) { atEdge(&o.BaseEndpoint) })
}

// putAgain puts an event on the stack's bus once more, as EventBridge's at-least-once delivery may.
func putAgain(t *testing.T, ev eventbus.Event) {
	t.Helper()
	out, err := eventsClient(t).PutEvents(context.Background(), &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
		EventBusName: aws.String(output("EventBusName")), Source: aws.String(ev.Source),
		DetailType: aws.String(ev.DetailType), Detail: aws.String(string(ev.Detail))}}})
	if err != nil {
		t.Fatal(err)
	}
	if out.FailedEntryCount != 0 {
		t.Fatalf("PutEvents refused the duplicate: %+v", out.Entries)
	}
}

// slack widens a wait that the in-process runtime meets for a stack elsewhere: its functions run in
// their own process or on AWS (cold starts, the Step Functions retries' real intervals), and the bus
// reaches the tests through the tap's queue. The in-process run keeps the figures that are its targets.
func slack(d time.Duration) time.Duration {
	if sys.external {
		return 3 * d
	}
	return d
}

// made is what the run created on a stack it does not own, to delete at the end.
var made struct {
	mu    sync.Mutex
	users []string
	skus  map[string]bool
}

func madeUser(name string) {
	made.mu.Lock()
	defer made.mu.Unlock()
	made.users = append(made.users, name)
}

func madeSKU(s string) {
	made.mu.Lock()
	defer made.mu.Unlock()
	if made.skus == nil {
		made.skus = map[string]bool{}
	}
	made.skus[s] = true
}

// external runs the package against the stack whose outputs are in the file ORION_STACK_OUTPUTS names.
func external(m *testing.M, path string) int {
	if !filepath.IsAbs(path) {
		// go test runs the package in e2e/; a relative path is the repository's, where
		// `ORION_STACK_OUTPUTS=build/dev/outputs.json go test ./e2e` is typed.
		path = filepath.Join("..", path)
	}
	out, err := readOutputs(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	for _, k := range []string{"ApiUrl", "WebSocketUrl", "UserPoolId", "UserPoolClientId", "EventBusName", "OrderSagaStateMachineArn"} {
		if out[k] == "" {
			fmt.Fprintf(os.Stderr, "e2e: %s has no %s output\n", path, k)
			return 1
		}
	}
	if ep := out["AwsEndpointUrl"]; ep != "" {
		// A local system: the emulator takes any key, and the runner's own (perhaps real) credentials
		// have no business being sent to it.
		os.Setenv("AWS_ENDPOINT_URL", ep)
		os.Setenv("AWS_ACCESS_KEY_ID", "test")
		os.Setenv("AWS_SECRET_ACCESS_KEY", "test")
		os.Unsetenv("AWS_SESSION_TOKEN")
		os.Unsetenv("AWS_PROFILE")
	}
	if os.Getenv("AWS_REGION") == "" && os.Getenv("AWS_DEFAULT_REGION") == "" {
		// arn:aws:states:<region>:<account>:stateMachine:<name>
		if parts := strings.Split(out["OrderSagaStateMachineArn"], ":"); len(parts) > 3 && parts[3] != "" {
			os.Setenv("AWS_REGION", parts[3])
		}
	}
	sys.out, sys.external, sys.emulated = out, true, out["AwsEndpointUrl"] != ""
	sys.api, sys.ws = strings.TrimRight(out["ApiUrl"], "/"), strings.TrimRight(out["WebSocketUrl"], "/")
	sys.pool, sys.client = out["UserPoolId"], out["UserPoolClientId"]
	fmt.Fprintf(os.Stderr, "e2e: external mode: %s (%s), AWS endpoint %s\n", sys.api, path, or(out["AwsEndpointUrl"], "AWS, region "+os.Getenv("AWS_REGION")))

	ctx := context.Background()
	stopTap, err := tapBus(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: tap the bus:", err)
		return 1
	}
	defer stopTap()
	defer cleanUp(ctx)
	tok, err := user(ctx, "admin-"+fmt.Sprint(time.Now().UnixNano())+"@example.com", true)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: admin user:", err)
		return 1
	}
	sys.adminTok = tok
	return runSuite(m) // the whole-run checks skip here, as in-process only
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// readOutputs reads the outputs file. ORION_STACK_OUTPUTS_WAIT (a duration) lets it wait for the file to
// appear: make test starts the dev system beside the other packages' tests, and the dev system writes
// the file once it is ready.
func readOutputs(path string) (map[string]string, error) {
	wait, _ := time.ParseDuration(os.Getenv("ORION_STACK_OUTPUTS_WAIT"))
	deadline := time.Now().Add(wait)
	var b []byte
	for {
		var err error
		b, err = os.ReadFile(path)
		if err == nil || !errors.Is(err, os.ErrNotExist) || time.Now().After(deadline) {
			if err != nil {
				return nil, fmt.Errorf("stack outputs: %w", err)
			}
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("stack outputs %s: want a JSON object OutputKey -> OutputValue: %w", path, err)
	}
	out := make(map[string]string, len(raw))
	for k, v := range raw {
		out[k] = fmt.Sprint(v)
	}
	return out, nil
}

// tapBus shows the tests what reaches the stack's bus, as the in-process runtime's OnEvent does: a rule
// of this run on the bus sends every event of the stack's sources to a queue of this run, which a
// goroutine drains into the same recorder. EventBridge delivers to SQS at least once and the queue is
// not FIFO, so a test that counts deliveries could see one too many, and the order of events
// milliseconds apart is the queue's: the saga's events are causally ordered (each step waits for the
// one before), which is all expectEvents relies on.
func tapBus(ctx context.Context) (stop func(), err error) {
	cfg, err := awscfg.Load(ctx)
	if err != nil {
		return nil, err
	}
	q, eb := sqs.NewFromConfig(cfg), eventbridge.NewFromConfig(cfg)
	name := fmt.Sprintf("orion-e2e-tap-%d", time.Now().UnixNano())
	busName := output("EventBusName")
	created, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: &name,
		Attributes: map[string]string{"MessageRetentionPeriod": "3600"}})
	if err != nil {
		return nil, err
	}
	queue := aws.ToString(created.QueueUrl)
	cleanups := []func(){func() { q.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: &queue}) }}
	stop = func() {
		for _, c := range slices.Backward(cleanups) {
			c()
		}
	}
	fail := func(err error) (func(), error) { stop(); return nil, err }
	attrs, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &queue, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		return fail(err)
	}
	queueArn := attrs.Attributes["QueueArn"]
	rule, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: &name, EventBusName: &busName,
		Description:  aws.String("e2e run: copies the bus's events to the run's queue; deleted at the end of the run"),
		EventPattern: aws.String(`{"source":[{"prefix":"orion."},{"prefix":"aws."}]}`)})
	if err != nil {
		return fail(err)
	}
	cleanups = append(cleanups, func() {
		eb.RemoveTargets(context.Background(), &eventbridge.RemoveTargetsInput{Rule: &name, EventBusName: &busName, Ids: []string{"queue"}})
		eb.DeleteRule(context.Background(), &eventbridge.DeleteRuleInput{Name: &name, EventBusName: &busName})
	})
	// On AWS the queue must let the rule send to it.
	policy := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},`+
		`"Action":"sqs:SendMessage","Resource":%q,"Condition":{"ArnEquals":{"aws:SourceArn":%q}}}]}`, queueArn, aws.ToString(rule.RuleArn))
	if _, err := q.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: &queue, Attributes: map[string]string{"Policy": policy}}); err != nil {
		return fail(err)
	}
	if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: &name, EventBusName: &busName,
		Targets: []ebtypes.Target{{Id: aws.String("queue"), Arn: &queueArn}}}); err != nil {
		return fail(err)
	}
	drain, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for drain.Err() == nil {
			got, err := q.ReceiveMessage(drain, &sqs.ReceiveMessageInput{QueueUrl: &queue, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
			if err != nil {
				time.Sleep(100 * time.Millisecond)
				continue
			}
			var del []sqstypes.DeleteMessageBatchRequestEntry
			for i, msg := range got.Messages {
				var ev eventbus.Event
				if json.Unmarshal([]byte(aws.ToString(msg.Body)), &ev) == nil {
					bus.record(busName, ev)
				}
				del = append(del, sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), ReceiptHandle: msg.ReceiptHandle})
			}
			if len(del) > 0 {
				q.DeleteMessageBatch(drain, &sqs.DeleteMessageBatchInput{QueueUrl: &queue, Entries: del})
			}
		}
	}()
	cleanups = append(cleanups, func() { cancel(); <-done })
	return stop, nil
}

// cleanUp deletes what the run made: its users (the admin too) and its test items, from the inventory
// table and from the catalog projection, so that the stack's catalog shows none of them. Orders stay:
// they are the stack's record of what happened, spread over the orders, outbox, reservations and
// projections tables and Step Functions' executions (which cannot be deleted); a run's orders belong
// to users that no longer exist, the outbox's items expire by themselves (TTL), and deleting the rest
// by hand would be a second implementation of the data model to keep in step.
func cleanUp(ctx context.Context) {
	cfg, err := awscfg.Load(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: clean up:", err)
		return
	}
	made.mu.Lock()
	defer made.mu.Unlock()
	c := cip.NewFromConfig(cfg)
	failed := 0
	users := 0
	for _, u := range made.users {
		_, err := c.AdminDeleteUser(ctx, &cip.AdminDeleteUserInput{UserPoolId: &sys.pool, Username: aws.String(u)})
		switch {
		case errors.As(err, new(*ciptypes.UserNotFoundException)): // a registration the API refused, as the test wanted
		case err != nil:
			fmt.Fprintf(os.Stderr, "e2e: clean up: user %s: %v\n", u, err)
			failed++
		default:
			users++
		}
	}
	db := dynamodb.NewFromConfig(cfg)
	str := func(s string) ddbtypes.AttributeValue { return &ddbtypes.AttributeValueMemberS{Value: s} }
	items := 0
	for s := range made.skus {
		_, err1 := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(output("InventoryTableName")),
			Key: map[string]ddbtypes.AttributeValue{"sku": str(s)}})
		_, err2 := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(output("ProjectionsTableName")),
			Key: map[string]ddbtypes.AttributeValue{"pk": str("SKU#" + s), "sk": str("CATALOG")}})
		if err := errors.Join(err1, err2); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: clean up: item %s: %v\n", s, err)
			failed++
		}
		items++
	}
	fmt.Fprintf(os.Stderr, "e2e: cleaned up %d users and %d test items (%d failures)\n", users, items, failed)
}

// functionName finds a function's name by its logical id: on AWS `<stack>-<LogicalId>-<suffix>` (or
// a name the template gives it), in the local runtime `<stack>-<LogicalId>`.
func functionName(t *testing.T, logicalID string) string {
	t.Helper()
	if sys.stack != nil {
		for _, f := range sys.stack.Functions() {
			if strings.HasSuffix(f, "-"+logicalID) {
				return f
			}
		}
		t.Fatalf("no function %s in %v", logicalID, sys.stack.Functions())
	}
	stack := output("StackName")
	if stack == "" {
		t.Fatalf("the outputs file has no StackName: functions cannot be found by name")
	}
	if !sys.emulated {
		p := lambda.NewListFunctionsPaginator(lambdaClient(t), &lambda.ListFunctionsInput{})
		for p.HasMorePages() {
			page, err := p.NextPage(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range page.Functions {
				if n := aws.ToString(f.FunctionName); strings.HasPrefix(n, stack+"-"+logicalID) {
					return n
				}
			}
		}
		t.Fatalf("no function of stack %s named after %s", stack, logicalID)
	}
	return stack + "-" + logicalID
}
