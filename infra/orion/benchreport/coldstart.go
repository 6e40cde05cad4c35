package benchreport

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/orion-oss/orion/infra/engine/lambdahost"
	"github.com/orion-oss/orion/infra/engine/sam"
)

// ColdStart is one function's cold starts: exec of its binary to its first response under the Lambda
// Runtime API (lambdahost's Init, exec to the first /next, plus the first invocation's Duration).
type ColdStart struct {
	Name     string
	Case     string // "" for the quick answer every function is measured with; else what the event asks (ioCases)
	Runs     int
	Median   time.Duration
	Init     time.Duration // median of the init part alone
	Ratio    float64       // Median / hello-world's Median
	Outcome  string        // of the first invocation: ok, error (an answer all the same), init-error, crash
	InitIO   int           // AWS requests made before the runtime asked for its first event (should be 0)
	InvokeIO int           // AWS requests made by the first invocation
}

// coldPayload is what every function gets as its first event, one that each answers without calling
// AWS, so that the figure is init plus one quick invocation: HTTP handlers answer 401 (no authorizer
// context), the public catalog 400 (limit 0 is out of range), saga steps and consumers a validation error
// or an empty batch. The public catalog is the one handler whose empty request is a real read; ioCases
// measures that separately.
const coldPayload = `{"queryStringParameters":{"limit":"0"}}`

// ioCase is a first event whose answer needs AWS: its cold start then holds the process's first SDK
// call (dial, signing, the first request through the client), which no init work can remove.
type ioCase struct{ function, name, payload string }

var ioCases = []ioCase{{"list-inventory", "first page (one Query)", `{}`}}

// tripwire is the AWS endpoint the functions see during cold starts: it answers every request with a
// quick 400, and records when each came, so that network I/O at init is visible.
type tripwire struct {
	mu    sync.Mutex
	times []time.Time
	url   string
	srv   *http.Server
}

func newTripwire() (*tripwire, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	t := &tripwire{url: "http://" + ln.Addr().String()}
	t.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		t.mu.Lock()
		t.times = append(t.times, time.Now())
		t.mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Header().Set("X-Amzn-ErrorType", "ValidationException")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"__type":"com.amazon.coral.validate#ValidationException","message":"benchreport: no AWS here"}`)
	}), ReadHeaderTimeout: 5 * time.Second}
	go t.srv.Serve(ln)
	return t, nil
}

// between counts the requests that arrived in [from, to).
func (t *tripwire) between(from, to time.Time) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, at := range t.times {
		if !at.Before(from) && at.Before(to) {
			n++
		}
	}
	return n
}

// functionEnv gives each function the variables the template declares for it (Globals applied), with
// literals and parameter defaults kept, other references replaced by dummy names: tables and pools are
// not looked up at init, so their names do not matter.
func functionEnv(templatePath string) (map[string]map[string]string, error) {
	tpl, err := sam.Load(templatePath)
	if err != nil {
		return nil, err
	}
	fns, err := tpl.Functions()
	if err != nil {
		return nil, err
	}
	params, err := tpl.ParameterValues(nil) // the parameters' defaults
	if err != nil {
		return nil, err
	}
	out := map[string]map[string]string{}
	for _, f := range fns {
		code, _ := f.Properties["CodeUri"].(string)
		env := map[string]string{}
		for k, v := range sam.Map(sam.Map(f.Properties, "Environment"), "Variables") {
			m, _ := v.(map[string]any)
			ref, _ := m["Ref"].(string)
			if lit, ok := v.(string); ok {
				env[k] = lit // a literal is what the function parses
			} else if p, ok := params[ref]; ok && ref != "" {
				env[k] = fmt.Sprint(p) // a parameter's default (PAYMENT_PROVIDER: sandbox, EMAIL_FROM)
			} else {
				env[k] = "bench-" + k // a reference (table names, pool ids) only names something
			}
		}
		env["LOG_LEVEL"] = "WARN"
		env["STAGE"] = "bench"
		env["COGNITO_ISSUER"] = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_bench"
		out[baseName(code)] = env
	}
	return out, nil
}

func baseName(codeURI string) string {
	for len(codeURI) > 0 && codeURI[len(codeURI)-1] == '/' {
		codeURI = codeURI[:len(codeURI)-1]
	}
	for i := len(codeURI) - 1; i >= 0; i-- {
		if codeURI[i] == '/' {
			return codeURI[i+1:]
		}
	}
	return codeURI
}

// measureColdStarts runs each binary runs times, round robin (so that machine noise falls on every
// function alike), each run a fresh Host and a fresh process.
func measureColdStarts(ctx context.Context, bins []Binary, env map[string]map[string]string, runs int, logf func(string, ...any)) ([]ColdStart, error) {
	tw, err := newTripwire()
	if err != nil {
		return nil, err
	}
	defer tw.srv.Close()
	type sample struct {
		total, init      time.Duration
		outcome          string
		initIO, invokeIO int
	}
	type job struct {
		bin           Binary
		name, payload string
	}
	var jobs []job
	for _, b := range bins {
		jobs = append(jobs, job{bin: b, payload: coldPayload})
	}
	for _, c := range ioCases {
		for _, b := range bins {
			if b.Name == c.function {
				jobs = append(jobs, job{bin: b, name: c.name, payload: c.payload})
			}
		}
	}
	samples := make([][]sample, len(jobs))
	for run := 0; run < runs; run++ {
		for i, j := range jobs {
			b := j.bin
			var rec lambdahost.Record
			h := lambdahost.New(lambdahost.Options{Region: "us-east-1", OnInvoke: func(r lambdahost.Record) { rec = r },
				BaseEnv: []string{"AWS_ENDPOINT_URL=" + tw.url, "AWS_ACCESS_KEY_ID=bench", "AWS_SECRET_ACCESS_KEY=bench",
					"AWS_MAX_ATTEMPTS=1"}})
			if err := h.Register(lambdahost.Function{Name: b.Name, Binary: b.HostPath, Env: env[b.Name], Timeout: 10 * time.Second, MemoryMB: 256}); err != nil {
				return nil, err
			}
			start := time.Now()
			res, err := h.Invoke(ctx, b.Name, []byte(j.payload), lambdahost.InvokeOptions{Trigger: "bench"})
			end := time.Now()
			h.Close(context.Background())
			if err != nil {
				return nil, fmt.Errorf("benchreport: cold start of %s: %w", b.Name, err)
			}
			initEnd := start.Add(res.InitDuration)
			samples[i] = append(samples[i], sample{total: res.InitDuration + res.Duration, init: res.InitDuration, outcome: rec.Outcome,
				initIO: tw.between(start, initEnd), invokeIO: tw.between(initEnd, end)})
		}
		logf("cold start: run %d/%d", run+1, runs)
	}
	out := make([]ColdStart, len(jobs))
	var base time.Duration
	for i, j := range jobs {
		b := j.bin
		var totals, inits []time.Duration
		cs := ColdStart{Name: b.Name, Case: j.name, Runs: len(samples[i])}
		for _, s := range samples[i] {
			totals, inits = append(totals, s.total), append(inits, s.init)
			cs.InitIO = max(cs.InitIO, s.initIO)
			cs.InvokeIO = max(cs.InvokeIO, s.invokeIO)
			cs.Outcome = s.outcome
		}
		cs.Median, cs.Init = medianDur(totals), medianDur(inits)
		if b.IsBaseline {
			base = cs.Median
		}
		out[i] = cs
	}
	for i := range out {
		if base > 0 {
			out[i].Ratio = float64(out[i].Median) / float64(base)
		}
	}
	return out, nil
}

func medianDur(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
