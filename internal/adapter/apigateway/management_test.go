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
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi"
	"github.com/coder/websocket"

	"github.com/orion-oss/orion/infra/engine/wsapi"
	"github.com/orion-oss/orion/internal/adapter/apigateway"
	"github.com/orion-oss/orion/internal/ws"
)

// acceptAll is the gateway's $connect: every connection is accepted.
type acceptAll struct{}

func (acceptAll) Invoke(context.Context, string, []byte) ([]byte, error) {
	return []byte(`{"statusCode":200}`), nil
}

// The poster reaches a connected client through the local gateway's @connections API, and tells a
// connection the gateway no longer knows (410 GoneException) as ws.ErrGone, the notifier's cue to
// forget it.
func TestPosterPostsAndReportsGone(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, id, client := connected(ctx, t)
	p := apigateway.Poster{Client: client}
	if err := p.Post(ctx, id, []byte(`{"type":"order.status"}`)); err != nil {
		t.Fatalf("post to a live connection: %v", err)
	}
	if _, got, err := c.Read(ctx); err != nil || string(got) != `{"type":"order.status"}` {
		t.Fatalf("client read %q, %v", got, err)
	}
	if err := p.Post(ctx, "bm9Db25uZWN0aW9uPQ", []byte("x")); !errors.Is(err, ws.ErrGone) {
		t.Fatalf("post to an unknown connection = %v; want ws.ErrGone", err)
	}
}

// connected starts the local gateway with its @connections API, dials it, and returns the client's
// connection, the id the gateway gave it, and a Management API client for the gateway's stage.
func connected(ctx context.Context, t *testing.T) (*websocket.Conn, string, *apigatewaymanagementapi.Client) {
	t.Helper()
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
	t.Cleanup(func() { gw.Close() })
	srv := httptest.NewServer(gw)
	t.Cleanup(srv.Close)
	mgmt := httptest.NewServer(gw.Management())
	t.Cleanup(mgmt.Close)

	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	var id string
	select {
	case id = <-connects:
	case <-ctx.Done():
		t.Fatal("the gateway recorded no connection")
	}
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
	return c, id, apigateway.NewManagementClient(cfg, mgmt.URL+"/dev")
}
