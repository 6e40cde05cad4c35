package console

import (
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/orion-oss/orion/infra/engine/sam"
)

func TestHandler(t *testing.T) {
	h, err := Handler(Config{APIURL: "http://127.0.0.1:3000", WebSocketURL: "ws://127.0.0.1:3001"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	tests := []struct {
		method, path string
		status       int
		contentType  string
		body         string
	}{
		{"GET", "/", 200, "text/html", `<script type="module" src="js/main.js">`},
		{"GET", "/config.json", 200, "application/json", `{"apiUrl":"http://127.0.0.1:3000","webSocketUrl":"ws://127.0.0.1:3001"}`},
		{"GET", "/js/main.js", 200, "text/javascript", "import"},
		{"GET", "/style.css", 200, "text/css", ":root"},
		{"GET", "/nothing", 404, "text/plain", "not found"},
		{"POST", "/", 405, "text/plain", "method not allowed"},
	}
	for _, tc := range tests {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || !strings.HasPrefix(resp.Header.Get("Content-Type"), tc.contentType) || !strings.Contains(string(b), tc.body) {
			t.Errorf("%s %s: %d %q %.80q; want %d %q containing %q", tc.method, tc.path, resp.StatusCode, resp.Header.Get("Content-Type"), b, tc.status, tc.contentType, tc.body)
		}
		csp := resp.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self';") || !strings.Contains(csp, "connect-src 'self' http://127.0.0.1:3000 ws://127.0.0.1:3001;") ||
			resp.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s %s: headers %v", tc.method, tc.path, resp.Header)
		}
	}
}

func TestHandlerRefusesURLsThatAreNotTheAPIs(t *testing.T) {
	for _, cfg := range []Config{
		{APIURL: "", WebSocketURL: "wss://x.execute-api.eu-west-1.amazonaws.com/prod"},
		{APIURL: "https://x.execute-api.eu-west-1.amazonaws.com", WebSocketURL: "https://x.execute-api.eu-west-1.amazonaws.com/prod"},
		{APIURL: "javascript:alert(1)", WebSocketURL: "wss://x"},
	} {
		if _, err := Handler(cfg); err == nil {
			t.Errorf("Handler(%+v) took it", cfg)
		}
	}
	csp, err := ContentSecurityPolicy(Config{APIURL: "https://a.execute-api.eu-west-1.amazonaws.com/", WebSocketURL: "wss://b.execute-api.eu-west-1.amazonaws.com/prod"})
	if err != nil || !strings.Contains(csp, "connect-src 'self' https://a.execute-api.eu-west-1.amazonaws.com wss://b.execute-api.eu-west-1.amazonaws.com;") {
		t.Errorf("csp = %q, %v", csp, err)
	}
}

// TestSiteKeepsToItsPolicy: what the Content-Security-Policy would block in a browser (inline scripts,
// event handler attributes, markup built from strings) is not in the site at all, and the whole site
// stays within the "a few tens of KB" (docs/adr/0027-web-console.md).
func TestSiteKeepsToItsPolicy(t *testing.T) {
	const budget = 64 << 10
	total := 0
	inlineScript := regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]`)
	handlerAttr := regexp.MustCompile(`\son[a-z]+\s*=`)
	err := fs.WalkDir(Site(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(Site(), path)
		if err != nil {
			return err
		}
		total += len(b)
		s := string(b)
		switch {
		case strings.HasSuffix(path, ".html"):
			if inlineScript.MatchString(s) || handlerAttr.MatchString(s) || strings.Contains(s, "style=") {
				t.Errorf("%s has an inline script, handler or style the policy blocks", path)
			}
		case strings.HasSuffix(path, ".js"):
			for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "localStorage", "sessionStorage", "document.cookie"} {
				if strings.Contains(s, bad) {
					t.Errorf("%s uses %s", path, bad)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if total == 0 || total > budget {
		t.Errorf("the site is %d bytes; budget %d", total, budget)
	}
}

func TestConfigJSONIsTheConfig(t *testing.T) {
	h, _ := Handler(Config{APIURL: "https://a.example", WebSocketURL: "wss://b.example/prod"})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/config.json", nil))
	var got Config
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || got.APIURL != "https://a.example" || got.WebSocketURL != "wss://b.example/prod" {
		t.Errorf("config.json = %s", rec.Body)
	}
}

// TestTemplateServesTheConsolesConfigAndPolicy: on AWS, CloudFront serves what Handler serves locally
// (template.yaml, Console*): the same Content-Security-Policy, and a config.json with the URLs of the
// stack's ApiUrl and WebSocketUrl outputs.
func TestTemplateServesTheConsolesConfigAndPolicy(t *testing.T) {
	tpl, err := sam.Load("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sub := func(v any) string {
		m, _ := v.(map[string]any)
		s, _ := m["Fn::Sub"].(string)
		return s
	}
	output := func(name string) string {
		o, _ := tpl.Outputs[name].(map[string]any)
		return sub(o["Value"])
	}
	api, ws := output("ApiUrl"), output("WebSocketUrl")
	if api == "" || ws == "" {
		t.Fatalf("template outputs ApiUrl %q, WebSocketUrl %q", api, ws)
	}

	fn := tpl.Resources["ConsoleConfigFunction"]
	code := sub(fn.Properties["FunctionCode"])
	for _, want := range []string{`apiUrl: "` + api + `"`, `webSocketUrl: "` + ws + `"`, `event.request.uri !== "/config.json"`} {
		if !strings.Contains(code, want) {
			t.Errorf("ConsoleConfigFunction's code lacks %s:\n%s", want, code)
		}
	}
	if fn.Condition != "DeploysConsole" {
		t.Errorf("ConsoleConfigFunction's condition %q", fn.Condition)
	}

	cfg, _ := tpl.Resources["ConsoleHeadersPolicy"].Properties["ResponseHeadersPolicyConfig"].(map[string]any)
	sec, _ := cfg["SecurityHeadersConfig"].(map[string]any)
	csp, _ := sec["ContentSecurityPolicy"].(map[string]any)
	got := sub(csp["ContentSecurityPolicy"])
	// The template names the APIs by their ids; the policy takes origins, so compare with stand-ins.
	apiHost, wsHost := strings.TrimPrefix(api, "https://"), strings.SplitN(ws, "/", 4)[2]
	got = strings.NewReplacer(apiHost, "api.example", wsHost, "ws.example").Replace(got)
	want, err := ContentSecurityPolicy(Config{APIURL: "https://api.example", WebSocketURL: "wss://ws.example/stage"})
	if err != nil || got != want {
		t.Errorf("the template's policy\n%s\nHandler's\n%s", got, want)
	}
}

// TestTemplateConfigFunctionRuns runs the template's CloudFront Function (which nothing runs locally) in
// Node, with the template's ${...} filled in as CloudFormation fills them: /config.json is the console's
// configuration, any other path goes on to the bucket unchanged.
func TestTemplateConfigFunctionRuns(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("no node (make lint's ASL validator needs it too)")
	}
	tpl, err := sam.Load("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := tpl.Resources["ConsoleConfigFunction"].Properties["FunctionCode"].(map[string]any)
	code, _ := m["Fn::Sub"].(string)
	code = strings.NewReplacer("${HttpApi}", "abc123", "${WebSocketApi}", "ws456", "${WebSocketStage}", "prod",
		"${AWS::Region}", "eu-west-1", "${AWS::URLSuffix}", "amazonaws.com").Replace(code)
	if strings.Contains(code, "${") {
		t.Fatalf("a substitution this test does not know:\n%s", code)
	}
	script := code + "\nconsole.log(JSON.stringify([handler({request: {uri: '/config.json'}}), handler({request: {uri: '/js/main.js'}})]));\n"
	out, err := exec.Command(node, "-e", script).CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, out)
	}
	var answers []struct {
		StatusCode int
		Headers    map[string]struct{ Value string }
		Body       struct{ Encoding, Data string }
		URI        string
	}
	if err := json.Unmarshal(out, &answers); err != nil || len(answers) != 2 {
		t.Fatalf("function answers %s (%v)", out, err)
	}
	var cfg Config
	if err := json.Unmarshal([]byte(answers[0].Body.Data), &cfg); err != nil || answers[0].StatusCode != 200 || answers[0].Body.Encoding != "text" ||
		answers[0].Headers["content-type"].Value != "application/json" {
		t.Fatalf("/config.json: %s", out)
	}
	want := Config{APIURL: "https://abc123.execute-api.eu-west-1.amazonaws.com", WebSocketURL: "wss://ws456.execute-api.eu-west-1.amazonaws.com/prod"}
	if cfg != want {
		t.Errorf("config = %+v; want %+v", cfg, want)
	}
	if _, err := Handler(cfg); err != nil {
		t.Errorf("the console would refuse its config: %v", err)
	}
	if answers[1].URI != "/js/main.js" || answers[1].StatusCode != 0 {
		t.Errorf("another path: %s; want the request unchanged", out)
	}
}
