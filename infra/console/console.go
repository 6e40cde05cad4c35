// Package console serves Orion's web console (site/): a static single-page client of the public HTTP
// and WebSocket APIs, written as plain ES modules so that it needs no build step and no framework
// runtime (docs/console.md, docs/adr/0027-web-console.md).
//
// The site reads the APIs' URLs from /config.json. On AWS a CloudFront Function answers that path with
// the stack's URLs (template.yaml, ConsoleConfigFunction); locally Handler does, for `make dev` and the
// browser tests (e2e/console_test.go). Either way the same files run unchanged.
package console

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
)

//go:embed site
var files embed.FS

// Site is the console's files, as they are copied to the S3 bucket on AWS (make console-publish).
func Site() fs.FS {
	sub, err := fs.Sub(files, "site")
	if err != nil {
		panic(err) // the embedded tree always has site/
	}
	return sub
}

// Config is what the console needs to know of the stack: the stack outputs ApiUrl and WebSocketUrl.
type Config struct {
	APIURL       string `json:"apiUrl"`
	WebSocketURL string `json:"webSocketUrl"`
}

// Handler serves the site and its /config.json, with the response headers CloudFront's response
// headers policy sets on AWS (template.yaml, ConsoleHeadersPolicy).
func Handler(cfg Config) (http.Handler, error) {
	csp, err := ContentSecurityPolicy(cfg)
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	static := http.FileServerFS(Site())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if r.URL.Path == "/config.json" {
			h.Set("Content-Type", "application/json")
			h.Set("Cache-Control", "no-cache")
			w.Write(body)
			return
		}
		// The files change with every release and are tiny: revalidate rather than pin a version in
		// every URL, which would need a build step.
		h.Set("Cache-Control", "no-cache")
		static.ServeHTTP(w, r)
	}), nil
}

// ContentSecurityPolicy is the console's policy: scripts and styles from its own origin only (no inline
// script, so an injected <script> or on* attribute does not run), connections to its own origin (config.json)
// and the two APIs only. It is the main defence of the tokens the page holds in memory (docs/security.md,
// "The web console's tokens").
func ContentSecurityPolicy(cfg Config) (string, error) {
	api, err := origin(cfg.APIURL, "http", "https")
	if err != nil {
		return "", fmt.Errorf("console: apiUrl: %w", err)
	}
	ws, err := origin(cfg.WebSocketURL, "ws", "wss")
	if err != nil {
		return "", fmt.Errorf("console: webSocketUrl: %w", err)
	}
	return strings.Join([]string{
		"default-src 'none'",
		"script-src 'self'",
		"style-src 'self'",
		"img-src 'self' data:",
		"connect-src 'self' " + api + " " + ws,
		"base-uri 'none'",
		"form-action 'none'",
		"frame-ancestors 'none'",
	}, "; "), nil
}

// origin is scheme://host[:port] of raw, whose scheme must be one of schemes.
func origin(raw string, schemes ...string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	ok := false
	for _, s := range schemes {
		ok = ok || u.Scheme == s
	}
	if !ok || u.Host == "" {
		return "", fmt.Errorf("%q is not a %s URL", raw, strings.Join(schemes, " or "))
	}
	return u.Scheme + "://" + u.Host, nil
}
