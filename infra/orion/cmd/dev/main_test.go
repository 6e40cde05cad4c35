package main_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/orion-oss/orion/infra/engine/localaws"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// `make dev` from the project's template: ready, answering, and gone without a trace after Ctrl-C,
// including the moto_server it started itself.
func TestDevRunsTheTemplateAndStopsCleanly(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the whole system")
	}
	bin := filepath.Join(t.TempDir(), "orion-local")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	awsAddr, httpAddr, edgeAddr, wsAddr := freeAddr(t), freeAddr(t), freeAddr(t), freeAddr(t)
	_, httpPort, _ := net.SplitHostPort(httpAddr)
	_, edgePort, _ := net.SplitHostPort(edgeAddr)
	_, wsPort, _ := net.SplitHostPort(wsAddr)
	outputs, calls := filepath.Join(t.TempDir(), "dev", "outputs.json"), filepath.Join(t.TempDir(), "calls.json")
	cmd := exec.Command(bin, "-template", "../../../../template.yaml", "-bin", "../../../../build/host", "-outputs", outputs, "-record-calls", calls)
	cmd.Env = append(os.Environ(), "ORION_AWS_ADDR="+awsAddr, "ORION_HTTP_PORT="+httpPort, "ORION_EDGE_PORT="+edgePort, "ORION_WS_PORT="+wsPort, "AWS_ENDPOINT_URL=")
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()

	ready := make(chan string, 1)
	lines := make(chan string, 10000)
	go func() {
		sc := bufio.NewScanner(stdout)
		var all []string
		for sc.Scan() {
			all = append(all, sc.Text())
			lines <- sc.Text()
			if strings.Contains(sc.Text(), "Ctrl-C stops everything") {
				ready <- strings.Join(all, "\n")
			}
		}
		close(lines)
		close(ready) // the process ended before it was ready
	}()
	var banner string
	select {
	case b, ok := <-ready:
		if !ok {
			t.Fatal("orion-local exited before it was ready (its error is above)")
		}
		banner = b
	case <-time.After(60 * time.Second):
		t.Fatal("not ready within 60s")
	}
	for _, want := range []string{"http://" + httpAddr, "http://" + edgeAddr, "ws://" + wsAddr, "subscribe -> ", "admin@orion.local", "demo catalog   6 items", "UserPoolId", regexp.QuoteMeta("ready in"),
		"payments       sandbox", "webhooks       POST http://" + regexp.QuoteMeta(httpAddr) + "/webhooks/stripe, signing secret in SSM /orion-local/stripe/webhook-secret"} {
		if !regexp.MustCompile(want).MatchString(banner) {
			t.Errorf("banner lacks %q:\n%s", want, banner)
		}
	}
	// The outputs file has the template's outputs with the local URLs, in DescribeStacks' shape.
	var out map[string]string
	if b, err := os.ReadFile(outputs); err != nil || json.Unmarshal(b, &out) != nil {
		t.Fatalf("outputs file: %v %s", err, b)
	}
	for k, want := range map[string]string{"ApiUrl": "http://" + httpAddr, "WebSocketUrl": "ws://" + wsAddr, "AwsEndpointUrl": "http://" + edgeAddr, "StackName": "orion-local"} {
		if out[k] != want {
			t.Errorf("outputs %s = %q; want %q", k, out[k], want)
		}
	}
	if out["UserPoolId"] == "" || out["OrderSagaStateMachineArn"] == "" || out["EventBusName"] == "" {
		t.Errorf("outputs lack the template's own: %v", out)
	}
	if kind, err := localaws.Probe(context.Background(), awsAddr); err != nil || kind != localaws.KindMoto {
		t.Fatalf("emulator at %s: %q %v", awsAddr, kind, err)
	}
	resp, err := http.Get("http://" + httpAddr + "/nothing")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("unknown route: %d", resp.StatusCode)
	}

	// The seeded catalog's events travel outbox -> stream -> pipe -> bus (with no AWS_ENDPOINT_URL in
	// the runtime's own environment, as under `make dev`).
	deadline := time.After(15 * time.Second)
	waitForLine(t, lines, deadline, "✉ InventoryUpdated", "no InventoryUpdated event reached the bus within 15s")
	// ... and the projector writes the catalog from them: calls for -record-calls to write.
	waitForLine(t, lines, deadline, "λ orion-local-ProjectOrdersFunction", "the projector did not run within 15s")

	cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after Ctrl-C: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("did not stop within 20s of Ctrl-C")
	}
	// Its URLs answer no more: the outputs file is gone. The calls file has the projector's calls for
	// the seeded catalog.
	if _, err := os.Stat(outputs); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("outputs file after Ctrl-C: %v", err)
	}
	var recorded map[string]map[string]int
	if b, err := os.ReadFile(calls); err != nil || json.Unmarshal(b, &recorded) != nil || len(recorded["ProjectOrdersFunction"]) == 0 {
		t.Errorf("recorded calls: %v %v", err, recorded)
	}
	for _, addr := range []string{awsAddr, httpAddr, edgeAddr, wsAddr} {
		if _, err := localaws.Probe(context.Background(), addr); !errors.Is(err, localaws.ErrNothingListening) {
			t.Errorf("%s still answers after Ctrl-C: %v", addr, err)
		}
	}
}

// waitForLine reads output lines until one contains want, failing with timeout once deadline fires.
func waitForLine(t *testing.T, lines <-chan string, deadline <-chan time.Time, want, timeout string) {
	t.Helper()
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("output ended")
			}
			if strings.Contains(l, want) {
				return
			}
		case <-deadline:
			t.Fatal(timeout)
		}
	}
}
