package e2e

// A small W3C WebDriver client (https://www.w3.org/TR/webdriver2/) over HTTP to chromedriver, for the
// console's browser tests (console_test.go): a session, navigation, finding elements by CSS, clicks,
// keys, text, attributes and screenshots. Some 150 lines instead of a browser automation module or a
// Node toolchain: docs/adr/0027-web-console.md.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// elementKey is the W3C web element identifier's key in JSON.
const elementKey = "element-6066-11e4-a52e-4f735466cecf"

// browserBinaries finds Debian's chromium and chromium-driver (which .ci/run installs).
func browserBinaries() (chromium, chromedriver string, err error) {
	chromium = os.Getenv("ORION_CHROMIUM")
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if chromium != "" {
			break
		}
		chromium, _ = exec.LookPath(name)
	}
	chromedriver = os.Getenv("ORION_CHROMEDRIVER")
	if chromedriver == "" {
		chromedriver, _ = exec.LookPath("chromedriver")
	}
	if chromium == "" || chromedriver == "" {
		return "", "", errors.New("no chromium and chromedriver (apt-get install chromium chromium-driver)")
	}
	return chromium, chromedriver, nil
}

func startDriver(path string) (string, *exec.Cmd, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(path, fmt.Sprintf("--port=%d", port))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // the test's cleanup ends chromedriver and any browser it left
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		var st struct{ Value struct{ Ready bool } }
		if wd(context.Background(), "GET", url+"/status", nil, &st) == nil && st.Value.Ready {
			return url, cmd, nil
		}
	}
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	cmd.Wait()
	return "", nil, errors.New("chromedriver not ready within 10s")
}

// wd sends one WebDriver command and decodes its answer's JSON into out.
func wd(ctx context.Context, method, url string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		var e struct {
			Value struct{ Error, Message string }
		}
		json.Unmarshal(b, &e)
		return fmt.Errorf("webdriver %s %s: %d %s: %s", method, url, resp.StatusCode, e.Value.Error, firstLine(e.Value.Message))
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}

// browser is one headless Chromium session of a test.
type browser struct {
	t    *testing.T
	base string // the session's URL
}

// newBrowser opens a session, or skips the test where the machine has no Chromium (fails instead when
// ORION_REQUIRE_BROWSER is set, as .ci/run sets it). The session ends with the test.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	chromium, chromedriver, err := browserBinaries()
	if err != nil {
		if os.Getenv("ORION_REQUIRE_BROWSER") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	// A chromedriver per test (it starts in some 50 ms): nothing outlives the test, whichever way it ends.
	url, cmd, err := startDriver(chromedriver)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
	})
	caps := map[string]any{"capabilities": map[string]any{"alwaysMatch": map[string]any{
		"browserName": "chrome",
		"goog:chromeOptions": map[string]any{"binary": chromium, "args": []string{
			"--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1100,900",
			"--no-first-run", "--disable-extensions", "--disable-background-networking"}},
	}}}
	var s struct{ Value struct{ SessionID string } }
	if err := wd(context.Background(), "POST", url+"/session", caps, &s); err != nil {
		t.Fatal(err)
	}
	b := &browser{t: t, base: url + "/session/" + s.Value.SessionID}
	t.Cleanup(func() {
		if t.Failed() {
			b.screenshot("FAILED-" + t.Name())
		}
		wd(context.Background(), "DELETE", b.base, nil, nil)
	})
	return b
}

func (b *browser) cmd(method, path string, body any) json.RawMessage {
	b.t.Helper()
	var out struct{ Value json.RawMessage }
	if err := wd(context.Background(), method, b.base+path, body, &out); err != nil {
		b.t.Fatal(err)
	}
	return out.Value
}

func (b *browser) open(url string) {
	b.t.Helper()
	b.cmd("POST", "/url", map[string]string{"url": url})
}

// find returns the elements that match css now.
func (b *browser) find(css string) []string {
	b.t.Helper()
	var els []map[string]string
	json.Unmarshal(b.cmd("POST", "/elements", map[string]string{"using": "css selector", "value": css}), &els)
	ids := make([]string, len(els))
	for i, e := range els {
		ids[i] = e[elementKey]
	}
	return ids
}

// waitFor waits until an element matches css and ok(its text) holds, and returns that element; the
// test fails with what the page shows if none does within d.
func (b *browser) waitFor(css string, d time.Duration, ok func(text string) bool) string {
	b.t.Helper()
	deadline := time.Now().Add(d)
	for {
		for _, el := range b.find(css) {
			if ok == nil {
				return el
			}
			// The page may replace the element between the find and the read (a live update): a
			// stale element is one that no longer matches.
			var out struct{ Value string }
			if wd(context.Background(), "GET", b.base+"/element/"+el+"/text", nil, &out) == nil && ok(out.Value) {
				return el
			}
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("no %q as wanted within %s; the page shows:\n%s", css, d, b.text("body"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (b *browser) textOf(el string) string {
	var s string
	json.Unmarshal(b.cmd("GET", "/element/"+el+"/text", nil), &s)
	return s
}

// text is the visible text of the first element matching css ("" if none).
func (b *browser) text(css string) string {
	if els := b.find(css); len(els) > 0 {
		return b.textOf(els[0])
	}
	return ""
}

func (b *browser) attr(el, name string) string {
	var s string
	json.Unmarshal(b.cmd("GET", "/element/"+el+"/attribute/"+name, nil), &s)
	return s
}

func (b *browser) click(css string) {
	b.t.Helper()
	b.onFresh(css, func(el string) error {
		return wd(context.Background(), "POST", b.base+"/element/"+el+"/click", map[string]any{}, nil)
	})
}

// fill types text into the field css names, after clearing it.
func (b *browser) fill(css, text string) {
	b.t.Helper()
	b.onFresh(css, func(el string) error {
		if err := wd(context.Background(), "POST", b.base+"/element/"+el+"/clear", map[string]any{}, nil); err != nil {
			return err
		}
		return wd(context.Background(), "POST", b.base+"/element/"+el+"/value", map[string]string{"text": text}, nil)
	})
}

// onFresh runs act on the element css names, finding it again when the page replaced it between the find
// and the act (a live update re-renders the order page while a test reaches for its buttons); any other
// error fails the test.
func (b *browser) onFresh(css string, act func(el string) error) {
	b.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := act(b.waitFor(css, 5*time.Second, nil))
		if err == nil {
			return
		}
		if !strings.Contains(err.Error(), "stale element reference") || time.Now().After(deadline) {
			b.t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (b *browser) hash() string {
	var s string
	json.Unmarshal(b.cmd("POST", "/execute/sync", map[string]any{"script": "return location.hash", "args": []any{}}), &s)
	return s
}

// screenshot writes the page as build/console/<name>.png, for review (not committed: build/ is ignored).
func (b *browser) screenshot(name string) {
	var s string
	var out struct{ Value json.RawMessage }
	if err := wd(context.Background(), "GET", b.base+"/screenshot", nil, &out); err != nil || json.Unmarshal(out.Value, &s) != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	png, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return
	}
	dir := os.Getenv("ORION_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join("..", "build", "console")
	}
	os.MkdirAll(dir, 0o755)
	name = strings.NewReplacer("/", "-", " ", "-").Replace(name)
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
	}
}
