// Package proxytest checks the engine's reverse proxies (the endpoint's router, the stack's edge) for
// what a proxy in front of an emulator must get right whatever the emulator: here, an answer that
// starts before the request's body ends.
package proxytest

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// AnswerBeforeTheRequestEnds fails the test unless the proxy that newProxy builds in front of an upstream
// passes on the whole of an answer that starts before the request's body has ended.
//
// Go's HTTP/1 server, unless the handler enables full duplex, reads the rest of a request's body when the
// handler starts its response, then closes it; a proxy's transport still reading that body to forward it
// (if only its final EOF) fails and drops the upstream's connection mid-answer (golang/go#40747). That
// happened between a test and moto on a loaded machine, the SDK seeing a 200 with a truncated body. Here
// the upstream answers before the request ends and the client holds the body's end until the answer's
// headers are in, which turns that rare race into a certain stall.
func AnswerBeforeTheRequestEnds(t *testing.T, newProxy func(upstream string) http.Handler, header http.Header) {
	t.Helper()
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := http.NewResponseController(w).EnableFullDuplex(); err != nil {
			t.Errorf("upstream: %v", err)
		}
		buf := make([]byte, 5)
		if _, err := io.ReadFull(r.Body, buf); err != nil {
			t.Errorf("upstream read: %v", err)
			return
		}
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		io.Copy(io.Discard, r.Body) // the client ends its body once it has the headers
		io.WriteString(w, "the whole answer")
	}))
	defer upstream.Close()
	srv := httptest.NewServer(newProxy(upstream.URL))
	defer srv.Close()

	pr, pw := io.Pipe()
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/", pr) // chunked: no length, ends when pw closes
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	go io.WriteString(pw, "hello")
	// A stalled proxy never sends the headers: end the wait (the transport waits for the body's reader).
	stall := time.AfterFunc(3*time.Second, func() { pw.CloseWithError(errors.New("no answer's headers within 3 s")) })
	defer stall.Stop()
	resp, err := http.DefaultClient.Do(req) // returns at the answer's headers, the body still open
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	pw.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK || string(got) != "the whole answer" {
		t.Fatalf("answer %s %q, %v; want 200 and the whole answer", resp.Status, got, err)
	}
}
