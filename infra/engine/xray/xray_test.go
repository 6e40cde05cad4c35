package xray_test

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/orion-oss/orion/infra/engine/xray"
)

const (
	root   = "1-6745c1a0-0123456789abcdef01234567"
	parent = "53995c3f42cd8ad8"
)

func TestHeaders(t *testing.T) {
	in := "Root=" + root + ";Parent=" + parent + ";Sampled=1;Lineage=a87bd80c:1"
	h, ok := xray.ParseHeader(in)
	if !ok || h.Root != root || h.Parent != parent || !h.IsSampled() || h.Lineage != "a87bd80c:1" {
		t.Fatalf("ParseHeader = %+v, %v", h, ok)
	}
	if h.String() != in {
		t.Errorf("String = %q; want %q", h.String(), in)
	}
	if got, want := (xray.Header{Root: root, Sampled: "1"}).String(), "Root="+root+";Sampled=1"; got != want {
		t.Errorf("String = %q; want %q (empty fields left out)", got, want)
	}
	if h, ok := xray.ParseHeader(" Sampled=0; Root=" + root); !ok || h.Root != root || h.IsSampled() {
		t.Errorf("fields in any order, with spaces: %+v, %v", h, ok)
	}
	for _, bad := range []string{"", "Parent=" + parent, "Root=1-6745c1a0-0123", "Root=2-6745c1a0-0123456789abcdef01234567", "Root=1-6745C1A0-0123456789abcdef01234567"} {
		if _, ok := xray.ParseHeader(bad); ok {
			t.Errorf("ParseHeader(%q) accepted", bad)
		}
	}
	now := time.Unix(0x6745c1a0, 0)
	r := xray.NewRoot(now)
	if !strings.HasPrefix(r, "1-6745c1a0-") {
		t.Errorf("NewRoot = %q; want the time in hex", r)
	}
	if _, ok := xray.ParseHeader("Root=" + r); !ok || r == xray.NewRoot(now) {
		t.Errorf("NewRoot = %q: invalid or not random", r)
	}
	if id := xray.NewID(); len(id) != 16 || id == xray.NewID() {
		t.Errorf("NewID = %q: want 16 random hex digits", id)
	}
	ctx := xray.WithHeader(context.Background(), h.String())
	if xray.Carried(ctx) != h.String() || xray.Carried(context.Background()) != "" {
		t.Error("Carried does not return exactly what WithHeader set")
	}
}

func TestDaemonSendsOneDocumentPerDatagram(t *testing.T) {
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	d := xray.NewDaemon(c.LocalAddr().String())
	d.Send(map[string]any{"name": "fn", "id": parent})
	d.Send(map[string]string{"big": strings.Repeat("x", 70<<10)}) // over the daemon's limit: dropped
	buf := make([]byte, 128<<10)
	_ = c.SetReadDeadline(time.Now().Add(time.Second))
	n, _, err := c.ReadFrom(buf)
	if err != nil {
		t.Fatal(err)
	}
	head, body, ok := strings.Cut(string(buf[:n]), "\n")
	var doc map[string]any
	if !ok || head != `{"format":"json","version":1}` || json.Unmarshal([]byte(body), &doc) != nil || doc["id"] != parent {
		t.Fatalf("datagram %q", buf[:n])
	}
	_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if n, _, err := c.ReadFrom(buf); err == nil {
		t.Fatalf("an oversized document was sent (%d bytes)", n)
	}
}
