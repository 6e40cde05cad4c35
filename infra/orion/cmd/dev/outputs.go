package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/orion-oss/orion/infra/engine/stack"
)

// devOutputs are the running system's outputs in the format of CloudFormation's DescribeStacks (a JSON
// object OutputKey -> OutputValue), so that whatever reads a deployed stack's outputs reads the local
// system's too (the e2e suite's external mode: ORION_STACK_OUTPUTS). The URLs are the local ones, and two
// keys no template output has tell a client what AWS does not need to: AwsEndpointUrl, the endpoint to
// use as AWS_ENDPOINT_URL (Lambda Invoke, Step Functions, and the emulator behind it), and StackName,
// the prefix of the functions' names. ConsoleUrl is the local console's, as the template's output of that
// name is the CloudFront one when a stack deploys the console.
func devOutputs(st *stack.Stack, stackName, consoleURL string) map[string]string {
	out := make(map[string]string, len(st.Outputs)+2)
	for k, v := range st.Outputs {
		out[k] = fmt.Sprint(v)
	}
	out["ApiUrl"] = st.HTTPURL
	if st.WSURL != "" {
		out["WebSocketUrl"] = st.WSURL
	}
	if consoleURL != "" {
		out[consoleOutput] = consoleURL
	}
	out["AwsEndpointUrl"] = st.EdgeURL
	out["StackName"] = stackName
	return out
}

// writeJSON writes v to path (creating its directory) through a temporary file and a rename, so that a
// reader waiting for the file never reads half of it.
func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

var (
	outputsFile = flag.String("outputs", "build/dev/outputs.json", "where to write the running system's outputs (DescribeStacks' format, plus AwsEndpointUrl and StackName); removed on exit")
	callsFile   = flag.String("record-calls", "", "on exit, write each function's AWS calls (logical id -> \"service:operation\" -> count) to this file: make test checks them against the functions' IAM policies (e2e/iam_test.go)")
)

// publish writes the outputs file (the banner says where); the returned func removes it, since the URLs in it
// answer no more once the system stops.
func publish(st *stack.Stack, consoleURL string) (func(), error) {
	if *outputsFile == "" {
		return func() {}, nil
	}
	if err := writeJSON(*outputsFile, devOutputs(st, st.Name(), consoleURL)); err != nil {
		return nil, fmt.Errorf("outputs: %w", err)
	}
	return func() { os.Remove(*outputsFile) }, nil
}

// recordCalls writes the functions' AWS calls of the whole run, when asked to.
func recordCalls(st *stack.Stack) {
	if *callsFile == "" {
		return
	}
	if err := writeJSON(*callsFile, st.Calls()); err != nil {
		fmt.Fprintln(os.Stderr, "orion-local: record calls:", err)
	}
}
