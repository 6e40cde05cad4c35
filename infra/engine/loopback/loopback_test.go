package loopback

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestGuard(t *testing.T) {
	srv := httptest.NewServer(Guard(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	})))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))

	for _, tc := range []struct {
		name   string
		host   string
		header map[string]string
		want   int
	}{
		{"SDK style, 127.0.0.1", "127.0.0.1:" + port, nil, 200},
		{"SDK style, localhost", "localhost:" + port, nil, 200},
		{"SDK style, [::1]", "[::1]:" + port, nil, 200},
		{"S3 virtual host under localhost", "bucket.localhost:" + port, nil, 200},
		{"address bar", "localhost:" + port, map[string]string{"Sec-Fetch-Site": "none"}, 200},
		{"DNS rebinding", "rebind.attacker.example:" + port, nil, 421},
		{"foreign IP", "10.0.0.1:" + port, nil, 421},
		{"another port", "127.0.0.1:1", nil, 421},
		{"no port", "localhost", nil, 421},
		{"cross-site form post", "127.0.0.1:" + port, map[string]string{"Origin": "https://evil.example"}, 403},
		{"null origin", "127.0.0.1:" + port, map[string]string{"Origin": "null"}, 403},
		{"cross-site fetch without Origin", "127.0.0.1:" + port, map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/2015-03-31/functions/f/invocations", strings.NewReader("{}"))
			req.Host = tc.host
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d (%s), want %d", resp.StatusCode, body, tc.want)
			}
			if resp.Header.Get("Access-Control-Allow-Origin") != "" {
				t.Fatal("Access-Control-Allow-Origin set")
			}
			if tc.want != 200 && (string(body) == "ok" || !strings.HasPrefix(string(body), "orion-local: refused: ")) {
				t.Fatalf("body %q", body)
			}
		})
	}
}

func TestIsLoopbackName(t *testing.T) {
	for h, want := range map[string]bool{"localhost": true, "LOCALHOST.": true, "a.localhost": true, "127.0.0.1": true, "127.1.2.3": true,
		"::1": true, "localhost.attacker.example": false, "0.0.0.0": false, "192.168.1.1": false, "": false, "notlocalhost": false} {
		if got := IsLoopbackName(h); got != want {
			t.Errorf("IsLoopbackName(%q) = %v", h, got)
		}
	}
}
