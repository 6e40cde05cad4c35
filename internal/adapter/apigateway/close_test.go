package apigateway_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/orion-oss/orion/internal/adapter/apigateway"
	"github.com/orion-oss/orion/internal/ws"
)

// The closer ends a live connection through the local gateway's DeleteConnection (the client sees a
// normal closure), and tells a connection the gateway no longer knows, including the one it just
// closed, as ws.ErrGone; the prober (GetConnection) sees it alive, then gone.
func TestCloserEndsAndReportsGone(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, id, client := connected(ctx, t)
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
