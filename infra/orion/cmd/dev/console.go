package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/orion-oss/orion/infra/console"
	"github.com/orion-oss/orion/infra/engine/loopback"
	"github.com/orion-oss/orion/infra/engine/stack"
)

// consoleOutput is the console's URL among the outputs, the key of template.yaml's output on AWS.
const consoleOutput = "ConsoleUrl"

// serveConsole serves the web console (infra/console) on addr, configured with the running system's
// API URLs, as CloudFront serves it on AWS (template.yaml, Console*). It returns the console's URL and
// the function that stops it.
//
// Unlike the AWS endpoint, the console is for browsers, so loopback.Guard's refusal of an Origin does not
// apply; the site is public files and public URLs, and only the Host is checked, so that a rebound DNS
// name reads nothing from it either.
func serveConsole(st *stack.Stack, addr string) (string, func(), error) {
	h, err := console.Handler(console.Config{APIURL: st.HTTPURL, WebSocketURL: st.WSURL})
	if err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("console: %w", err)
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.Host)
		if err != nil {
			host = r.Host
		}
		if !loopback.IsLoopbackName(host) {
			loopback.Refuse(w, "Host "+r.Host+" is not localhost, 127.0.0.1 or [::1]")
			return
		}
		h.ServeHTTP(w, r)
	})}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Println("orion-local: console:", err)
		}
	}()
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}
	return "http://" + ln.Addr().String(), stop, nil
}
