// Package loopback keeps the runtime's own local listeners (the AWS endpoint, the Lambda Runtime API)
// for the processes of this machine. Binding 127.0.0.1 is not enough: any web page the developer visits
// can make the browser send a request there, by a cross-site form post or fetch (the browser adds an
// Origin header), or by DNS rebinding (a name of the attacker's that now resolves to 127.0.0.1, which the
// browser sends as Host). AWS SDK clients send neither: no Origin, and the endpoint's own host:port.
//
// The HTTP and WebSocket APIs are not guarded: they behave like API Gateway, CORS configuration included.
package loopback

import (
	"net"
	"net/http"
	"strings"
)

// Guard refuses, before h sees it, a request that a browser sent (an Origin header, or a Sec-Fetch-Site
// other than "none") with 403, and one whose Host is not a loopback name or address with the listener's
// port with 421.
func Guard(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if reason := Refusal(r); reason != "" {
			Refuse(w, reason)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// Refuse answers a request that Refusal refused: 421 for a foreign Host, else 403, with a short body.
func Refuse(w http.ResponseWriter, reason string) {
	status := http.StatusForbidden
	if strings.HasPrefix(reason, "Host") {
		status = http.StatusMisdirectedRequest
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write([]byte("orion-local: refused: " + reason + "\n"))
}

// Refusal says why r is refused, or "" when it may pass. The listener's port comes from the server's
// local address (http.LocalAddrContextKey); without one (a handler called directly) any port is taken.
func Refusal(r *http.Request) string {
	if r.Header.Get("Origin") != "" {
		return "cross-origin request (Origin header): this endpoint is for local processes, not web pages"
	}
	if s := r.Header.Get("Sec-Fetch-Site"); s != "" && s != "none" {
		return "request from a web page (Sec-Fetch-Site: " + s + ")"
	}
	host, port := splitHost(r.Host)
	if !IsLoopbackName(host) {
		return "Host " + quote(r.Host) + " is not localhost, 127.0.0.1 or [::1]"
	}
	if want := listenerPort(r); want != "" && port != want {
		return "Host " + quote(r.Host) + " does not name this listener's port " + want
	}
	return ""
}

// IsLoopbackName reports whether host (without port or brackets) can only mean this machine: localhost
// and its subdomains (RFC 6761; browsers never ask DNS for them) or a loopback address.
func IsLoopbackName(host string) bool {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

func splitHost(hostport string) (host, port string) {
	if h, p, err := net.SplitHostPort(hostport); err == nil {
		return h, p
	}
	// No port: HTTP's default.
	return strings.TrimSuffix(strings.TrimPrefix(hostport, "["), "]"), "80"
}

func listenerPort(r *http.Request) string {
	addr, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok || addr == nil {
		return ""
	}
	_, p, err := net.SplitHostPort(addr.String())
	if err != nil {
		return ""
	}
	return p
}

func quote(s string) string {
	if len(s) > 100 {
		s = s[:100] + "..."
	}
	return "\"" + strings.Map(func(c rune) rune {
		if c < ' ' || c == 0x7f || c == '"' {
			return '?'
		}
		return c
	}, s) + "\""
}
