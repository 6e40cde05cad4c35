package localaws

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestStartMotoOwnsAndStopsTheServer(t *testing.T) {
	ctx := context.Background()
	ep, err := StartMoto(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimPrefix(ep.URL, "http://")
	if kind, err := Probe(ctx, addr); err != nil || kind != KindMoto {
		t.Fatalf("Probe = %q, %v; want moto", kind, err)
	}
	if !ep.Started() {
		t.Fatal("Started() = false for a server this process launched")
	}

	// Ensure must reuse what answers rather than start a second server.
	again, err := Ensure(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	if again.Started() || again.Kind != KindMoto {
		t.Fatalf("Ensure on a running moto: started=%v kind=%q", again.Started(), again.Kind)
	}

	if err := ep.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Probe(ctx, addr); !errors.Is(err, ErrNothingListening) {
		t.Fatalf("after Close, Probe err = %v; want ErrNothingListening", err)
	}
	if err := ep.Close(); err != nil { // idempotent
		t.Fatal(err)
	}
}

func TestProbe(t *testing.T) {
	ctx := context.Background()
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.NotFound(w, r)
	}))
	defer foreign.Close()
	localstack := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/_localstack/health" {
			w.Write([]byte(`{"services":{}}`))
			return
		}
		http.NotFound(w, r)
	}))
	defer localstack.Close()

	tests := []struct {
		name     string
		addr     string
		wantKind Kind
		wantErr  error
	}{
		{"foreign server", strings.TrimPrefix(foreign.URL, "http://"), "", ErrForeign},
		{"localstack health answers", strings.TrimPrefix(localstack.URL, "http://"), KindLocalStack, nil},
		{"nothing listening", closedAddr(t), "", ErrNothingListening},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind, err := Probe(ctx, tt.addr)
			if !errors.Is(err, tt.wantErr) || kind != tt.wantKind {
				t.Fatalf("Probe = %q, %v; want %q, %v", kind, err, tt.wantKind, tt.wantErr)
			}
		})
	}
}

func TestEnsureRefusesAForeignServer(t *testing.T) {
	foreign := httptest.NewServer(http.NotFoundHandler())
	defer foreign.Close()
	ep, err := Ensure(context.Background(), strings.TrimPrefix(foreign.URL, "http://"))
	if !errors.Is(err, ErrForeign) {
		t.Fatalf("Ensure = %v, %v; want ErrForeign", ep, err)
	}
}

func TestStartMotoWithoutMotoSaysHowToGetIt(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := StartMoto(context.Background(), "127.0.0.1:0")
	if !errors.Is(err, ErrMotoMissing) {
		t.Fatalf("err = %v; want ErrMotoMissing", err)
	}
	for _, hint := range []string{"pip install", "LocalStack"} {
		if !strings.Contains(err.Error(), hint) {
			t.Errorf("message %q lacks %q", err, hint)
		}
	}
}

func TestStartMotoOnATakenPortFailsWithItsOutput(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err = StartMoto(ctx, l.Addr().String())
	if !errors.Is(err, ErrNotReady) {
		t.Fatalf("err = %v; want ErrNotReady", err)
	}
}

func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// The launcher (and the router in front of Dynoxide) keeps the emulators for local processes: a web page's request (Origin) or a DNS-rebound name
// (foreign Host) is refused; what the SDK sends, directly or through the edge (its own port), passes.
func TestMotoRefusesBrowsersAndForeignHosts(t *testing.T) {
	if cmd, err := motoCommand("127.0.0.1", "0"); err != nil || !strings.HasSuffix(cmd.Args[1], ".py") {
		t.Skip("moto runs without Orion's launcher (plain moto_server)")
	}
	ep, err := StartMoto(context.Background(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	for _, tc := range []struct {
		host, origin string
		want         int
	}{
		{strings.TrimPrefix(ep.URL, "http://"), "", 200},
		{"localhost:4567", "", 200},
		{"[::1]:4567", "", 200},
		{"rebind.evil.example:4567", "", 421},
		{strings.TrimPrefix(ep.URL, "http://"), "https://evil.example", 403},
	} {
		req, _ := http.NewRequest(http.MethodPost, ep.URL+"/", strings.NewReader("{}"))
		req.Host = tc.host
		req.Header.Set("X-Amz-Target", "DynamoDB_20120810.ListTables")
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		req.Header.Set("X-Amz-Date", "20260101T000000Z")
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x")
		if tc.origin != "" {
			req.Header.Set("Origin", tc.origin)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want || resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("Host %s Origin %q: %d %v; want %d and no CORS", tc.host, tc.origin, resp.StatusCode, resp.Header, tc.want)
		}
	}
}
