package boot_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// Every package a function links is initialized at each of its cold starts, before main runs: a
// package's init (the SDK's endpoint tables and schemas, a compiled regexp) costs its time whether the
// function calls into it or not, and its code makes the binary larger. These are the links that cost
// the functions the most, and that nothing but an import keeps in (docs/benchmarks.md, cold start).
func TestFunctionsLinkOnlyWhatTheyUse(t *testing.T) {
	out, err := exec.Command("go", "list", "-tags", "lambda.norpc", "-f", `{{.ImportPath}} {{join .Deps " "}}`,
		"github.com/orion-oss/orion/functions/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	const (
		sdkLoader   = "github.com/aws/aws-sdk-go-v2/config"
		dynamoDB    = "github.com/aws/aws-sdk-go-v2/service/dynamodb"
		webSocket   = "github.com/orion-oss/orion/internal/ws"
		managingAPI = "github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi"
		cognito     = "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
		sesV2       = "github.com/aws/aws-sdk-go-v2/service/sesv2"
	)
	// The services held at their last release before schema-based serialization (go.mod says why).
	heldServices := []string{dynamoDB, dynamoDB + "streams", "github.com/aws/aws-sdk-go-v2/service/sesv2"}
	webSocketFunctions := []string{"notify-order-status", "ws-connect", "ws-disconnect", "ws-message"}
	// The account endpoints talk to Cognito only; the relay and the saga starter get their data in the event.
	noDynamoDB := []string{"outbox-relay", "start-order-saga", "login", "register", "refresh-token", "confirm-registration"}
	// Registration and sign-in call the user pool; send-email looks up the customer's address there.
	cognitoFunctions := []string{"confirm-registration", "login", "refresh-token", "register", "send-email"}
	functions := 0
	for line := range strings.Lines(strings.TrimSpace(string(out))) {
		fields := strings.Fields(line)
		name := fields[0][strings.LastIndex(fields[0], "/")+1:]
		deps := fields[1:]
		functions++
		if slices.Contains(deps, sdkLoader) {
			t.Errorf("%s links %s (the whole credential chain): build its aws.Config with envcfg (boot.AWS)", name, sdkLoader)
		}
		if !slices.Contains(webSocketFunctions, name) && slices.Contains(deps, webSocket) {
			t.Errorf("%s links %s, which only the WebSocket functions use", name, webSocket)
		}
		// Only the notifier posts to connections.
		if name != "notify-order-status" && slices.Contains(deps, managingAPI) {
			t.Errorf("%s links %s, which only notify-order-status calls", name, managingAPI)
		}
		// Only the email function sends (internal/adapter/ses).
		if name != "send-email" && slices.Contains(deps, sesV2) {
			t.Errorf("%s links %s, which only send-email calls", name, sesV2)
		}
		if slices.Contains(noDynamoDB, name) && slices.Contains(deps, dynamoDB) {
			t.Errorf("%s links %s without calling DynamoDB", name, dynamoDB)
		}
		if !slices.Contains(cognitoFunctions, name) && slices.Contains(deps, cognito) {
			t.Errorf("%s links %s without calling Cognito (web and ws need only package customer and auth's token check)", name, cognito)
		}
		for _, p := range deps {
			if strings.HasSuffix(p, "/schemas") && slices.Contains(heldServices, strings.TrimSuffix(p, "/schemas")) {
				t.Errorf("%s links %s, whose init builds every shape's schema (~0.6 ms of each cold start): "+
					"keep the SDK module at the release go.mod's comment names", name, p)
			}
		}
	}
	if functions < 20 {
		t.Fatalf("listed %d functions:\n%s", functions, out)
	}
}
