package apigateway_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/coder/websocket"

	"github.com/orion-oss/orion/infra/engine/wsapi"
	"github.com/orion-oss/orion/internal/adapter/apigateway"
	"github.com/orion-oss/orion/internal/ws"
)

// The closer ends a live connection through the local gateway's DeleteConnection (the client sees a
// normal closure), and tells a connection the gateway no longer knows, including the one it just
// closed, as ws.ErrGone; the prober (GetConnection) sees it alive, then gone.
func TestCloserEndsAndReportsGone(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	connects := make(chan string, 1)
	gw, err := wsapi.New(wsapi.Config{Stage: "dev", Routes: []wsapi.Route{{Key: "$connect", Function: "connect"}},
		OnRecord: func(r wsapi.Record) {
			if r.Kind == "CONNECT" {
				connects <- r.ConnectionID
			}
		}}, acceptAll{})
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	srv := httptest.NewServer(gw)
	defer srv.Close()
	mgmt := httptest.NewServer(gw.Management())
	defer mgmt.Close()

	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	var id string
	select {
	case id = <-connects:
	case <-ctx.Done():
		t.Fatal("the gateway recorded no connection")
	}
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
	client := apigateway.NewManagementClient(cfg, mgmt.URL+"/dev")
	cl, probe := apigateway.Closer{Client: client}, apigateway.Prober{Client: client}
	if alive, err := probe.Alive(ctx, id); err != nil || !alive {
		t.Fatalf("probe of a live connection: %v %v", alive, err)
	}
	if err := cl.Close(ctx, id); err != nil {
		t.Fatalf("close a live connection: %v", err)
	}
	if _, _, err := c.Read(ctx); websocket.CloseStatus(err) != websocket.StatusNormalClosure {
		t.Fatalf("client read %v; want a normal closure", err)
	}
	if err := cl.Close(ctx, id); !errors.Is(err, ws.ErrGone) {
		t.Fatalf("close again = %v; want ws.ErrGone", err)
	}
	if alive, err := probe.Alive(ctx, id); err != nil || alive {
		t.Fatalf("probe of a closed connection: %v %v", alive, err)
	}
}
