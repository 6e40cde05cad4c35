package e2e

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
)

// runLog receives everything the local runtime writes while the package runs: every function's stdout
// and stderr (what CloudWatch Logs would keep) and the runtime's own line per request, invocation and
// delivery (what API Gateway, Lambda and EventBridge would log). It scans each line as it arrives and
// keeps only what must never be there, so the run's log costs no memory.
var runLog = logScanner{secrets: map[string]string{}}

// logScanner finds secrets and personal data in log lines: JWTs (access, id tokens), payment tokens,
// full email addresses (a masked "a***@example.com" is fine), and the exact strings tests register
// (passwords, refresh tokens).
type logScanner struct {
	mu       sync.Mutex
	partial  []byte
	lines    int
	secrets  map[string]string // value -> what it is
	findings []finding
}

type finding struct {
	seq  int // the line's number in the run
	what string
	line string
}

var (
	jwtLike      = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*`)
	paymentToken = regexp.MustCompile(`\btok_[A-Za-z0-9_]+`)
	fullEmail    = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}`)
	// The system's own configured addresses (the template's EmailFrom and AdminEmail defaults) are
	// configuration, not a customer's data.
	ownAddresses = map[string]bool{"orders@example.com": true, "admin@example.com": true}
)

// forbid registers a value that must never be logged from now on.
func (s *logScanner) forbid(value, what string) {
	if value == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.secrets[value] = what
}

func (s *logScanner) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.partial = append(s.partial, p...)
	for {
		i := bytes.IndexByte(s.partial, '\n')
		if i < 0 {
			break
		}
		s.scan(string(s.partial[:i]))
		s.partial = s.partial[i+1:]
	}
	if len(s.partial) > 1<<20 { // a line without end: scan what there is
		s.scan(string(s.partial))
		s.partial = nil
	}
	return len(p), nil
}

func (s *logScanner) scan(line string) {
	s.lines++
	emitted.observe(line) // the run's metrics (metrics_test.go)
	var what []string
	if jwtLike.MatchString(line) {
		what = append(what, "a JWT")
	}
	if m := paymentToken.FindString(line); m != "" {
		what = append(what, "the payment token "+m)
	}
	for _, m := range fullEmail.FindAllString(line, -1) {
		if !ownAddresses[strings.ToLower(m)] {
			what = append(what, "the email address "+m)
		}
	}
	for v, w := range s.secrets {
		if strings.Contains(line, v) {
			what = append(what, w)
		}
	}
	if len(what) > 0 && len(s.findings) < 50 {
		if len(line) > 400 {
			line = line[:400] + "..."
		}
		s.findings = append(s.findings, finding{seq: s.lines, what: strings.Join(what, ", "), line: line})
	}
}

// mark returns the number of lines scanned so far.
func (s *logScanner) mark() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lines
}

// since returns the findings in lines after mark, and how many lines that was.
func (s *logScanner) since(mark int) ([]finding, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []finding
	for _, f := range s.findings {
		if f.seq > mark {
			out = append(out, f)
		}
	}
	return out, s.lines - mark
}

// The scanner catches each kind of secret and lets masked forms through (so the tests below can fail).
func TestLogScannerCatchesSecrets(t *testing.T) {
	tests := []struct {
		line string
		bad  bool
	}{
		{`{"msg":"request","authorization":"Bearer eyJraWQiOiJkdW1teSJ9.eyJzdWIiOiIxMjM0NTYifQ.c2ln"}`, true},
		{`{"msg":"charge","paymentToken":"tok_visa"}`, true},
		{`{"msg":"mail","to":"ann.smith@example.com"}`, true},
		{`{"msg":"login","password":"Hunter2-registered"}`, true},
		{`{"msg":"mail","to":"a***@example.com"}`, false},
		{`{"msg":"mail","from":"orders@example.com"}`, false},
		{`{"msg":"request","status":202,"orderId":"01JDQ7Z3M6X9V0YB2C4D5E6F7G"}`, false},
	}
	for _, tt := range tests {
		s := logScanner{secrets: map[string]string{"Hunter2-registered": "a password"}}
		fmt.Fprintln(&s, tt.line)
		if got := len(s.findings) > 0; got != tt.bad {
			t.Errorf("%s: flagged %v; want %v", tt.line, got, tt.bad)
		}
	}
}

// One customer's whole story, from registration to the confirmation email, through the HTTP API, the
// WebSocket API (whose token travels in the Sec-WebSocket-Protocol header) and every function behind
// them, leaves no token, password, payment token or full email address in any log line.
func TestLogsOfAFullOrderHoldNoSecrets(t *testing.T) {
	inProcessOnly(t, "scans the runtime's log as it is written (runLog)")
	mark := runLog.mark()
	email := strings.ToLower(awstest.Name(t, "private")) + "@example.com"
	pass := "Secret-" + awstest.Name(t, "pw") + "-9"
	runLog.forbid(pass, "the password")
	runLog.forbid(email, "the customer's email address")
	register(t, email, pass, "Private Person")
	problemOf(t, do(t, "POST", "/auth/login", "", fmt.Sprintf(`{"email":%q,"password":"Wrong-%s"}`, email, pass)), 401)
	login := do(t, "POST", "/auth/login", "", fmt.Sprintf(`{"email":%q,"password":%q}`, email, pass)).json(t)
	tok, _ := login["accessToken"].(string)
	for _, k := range []string{"accessToken", "refreshToken", "idToken"} {
		v, _ := login[k].(string)
		runLog.forbid(v, "the "+k)
	}
	refreshed := do(t, "POST", "/auth/refresh", "", refreshBody(t, login)).json(t)
	runLog.forbid(fmt.Sprint(refreshed["accessToken"]), "the refreshed access token")

	ws := connect(t, tok)
	s := stockItem(t, 10)
	id := order1(t, tok, s, 1, "tok_visa")
	expectStory(t, ws.statuses(t, id))
	expectMail(t, email, 1)
	// A refused token is not logged either.
	forged := tok[:len(tok)-4] + "AAAA"
	runLog.forbid(forged, "a refused token")
	problemOf(t, do(t, "GET", "/orders/"+id, forged, ""), 401)
	if c, status := dial(t, forged); c != nil || status != 401 {
		t.Fatalf("forged token connected: %d", status)
	}
	time.Sleep(300 * time.Millisecond) // the last lines of the last invocations

	findings, lines := runLog.since(mark)
	if lines < 20 {
		t.Fatalf("only %d log lines captured: is the harness still teeing the runtime's output?", lines)
	}
	for _, f := range findings {
		t.Errorf("log line %d holds %s:\n  %s", f.seq, f.what, f.line)
	}
}
