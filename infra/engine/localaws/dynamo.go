package localaws

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/orion-oss/orion/infra/engine/loopback"
)

// DynamoDB and DynamoDB Streams are served locally by Dynoxide (a DynamoDB emulator on SQLite, from the
// npm package @dynoxide/<os>-<arch> that infra/tools pins), every other service by moto; a router on the
// endpoint's address sends each request to its emulator by X-Amz-Target. moto's DynamoDB was the local
// system's bottleneck and lost stream records after a cancelled transaction
// (docs/adr/0019-dynamodb-emulator.md has the profile and the figures). Without the binary (another
// platform, no `npm ci --prefix infra/tools`) or with ORION_LOCAL_DYNAMODB=moto, moto serves everything.

const (
	dynamoTarget  = "DynamoDB_20120810."
	streamsTarget = "DynamoDBStreams_20120810."

	// Dynoxide names every ARN with this region and account; moto and LocalStack use 123456789012 in the
	// request's region, which the runtime's IAM check and the template's ARNs assume.
	dynoxideARN = "arn:aws:dynamodb:dynoxide:000000000000:"
	localAcct   = "123456789012"
)

// dynoxideBinary finds Dynoxide: $ORION_DYNOXIDE, else infra/tools/node_modules/@dynoxide/<os>-<arch>/dynoxide
// in the working directory or one above it (go test runs in the package's directory). "" means moto only.
func dynoxideBinary() string {
	if strings.EqualFold(os.Getenv("ORION_LOCAL_DYNAMODB"), "moto") {
		return ""
	}
	if p := os.Getenv("ORION_DYNOXIDE"); p != "" {
		return p
	}
	arch := map[string]string{"amd64": "x64", "arm64": "arm64"}[runtime.GOARCH]
	rel := filepath.Join("infra", "tools", "node_modules", "@dynoxide", runtime.GOOS+"-"+arch, "dynoxide")
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if st, err := os.Stat(filepath.Join(dir, rel)); err == nil && st.Mode()&0o111 != 0 {
			return filepath.Join(dir, rel)
		}
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return "" // the module's root: no further up
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// startDynoxide runs Dynoxide on a free loopback port in the process group pgid (moto's, so that Close
// and the CPU accounting of ProcessGroup take both), in memory.
func startDynoxide(ctx context.Context, bin string, pgid int, log io.Writer) (*exec.Cmd, string, chan struct{}, error) {
	port, err := freePort("127.0.0.1")
	if err != nil {
		return nil, "", nil, err
	}
	cmd := exec.Command(bin, "serve", "--host", "127.0.0.1", "--port", port)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pgid: pgid, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return nil, "", nil, fmt.Errorf("localaws: start dynoxide: %w", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	addr := net.JoinHostPort("127.0.0.1", port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return cmd, "http://" + addr, exited, nil
		}
		select {
		case <-exited:
			return nil, "", nil, fmt.Errorf("%w: dynoxide exited", ErrNotReady)
		case <-ctx.Done():
			cmd.Process.Kill()
			return nil, "", nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			return nil, "", nil, fmt.Errorf("%w: dynoxide not answering at %s", ErrNotReady, addr)
		}
	}
}

// router is the endpoint's address when DynamoDB has its own emulator.
type router struct {
	moto      *httputil.ReverseProxy
	dynamoURL string
	client    *http.Client

	mu   sync.Mutex
	pitr map[string]bool // table → point-in-time recovery on (Dynoxide lacks the API)
}

func newRouter(motoURL, dynamoURL string) (*router, error) {
	mu, err := url.Parse(motoURL)
	if err != nil {
		return nil, err
	}
	tr := &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: 90 * time.Second}
	rt := &router{moto: httputil.NewSingleHostReverseProxy(mu), dynamoURL: dynamoURL, client: &http.Client{Transport: tr, Timeout: 60 * time.Second}, pitr: map[string]bool{}}
	rt.moto.Transport = tr
	// A client that went away (a test's context, a long poll at shutdown) is not worth a log line.
	rt.moto.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
		if r.Context().Err() == nil {
			awsError(w, http.StatusBadGateway, "ServiceUnavailable", "the local AWS emulator did not answer: "+err.Error())
		}
	}
	rt.moto.FlushInterval = -1 // SQS long polls and the like: pass bytes as they come
	return rt, nil
}

// refusal is loopback.Refusal without the port check: the edge forwards requests with its own Host.
func refusal(r *http.Request) string {
	if r.Header.Get("Origin") != "" {
		return "cross-origin request (Origin header): this endpoint is for local processes, not web pages"
	}
	if s := r.Header.Get("Sec-Fetch-Site"); s != "" && s != "none" {
		return "request from a web page (Sec-Fetch-Site: " + s + ")"
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if !loopback.IsLoopbackName(strings.Trim(host, "[]")) {
		return "Host is not localhost, 127.0.0.1 or [::1]"
	}
	return ""
}

func (rt *router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if reason := refusal(r); reason != "" {
		loopback.Refuse(w, reason)
		return
	}
	target := r.Header.Get("X-Amz-Target")
	if !strings.HasPrefix(target, dynamoTarget) && !strings.HasPrefix(target, streamsTarget) {
		// Or moto's answer may be cut mid-body (golang/go#40747; infra/engine/proxytest says how). A writer
		// without the option (not HTTP/1's) has nothing to turn off.
		_ = http.NewResponseController(w).EnableFullDuplex()
		rt.moto.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	if err != nil {
		awsError(w, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	region := regionOf(r)
	ours := []byte("arn:aws:dynamodb:" + region + ":" + localAcct + ":")
	switch strings.TrimPrefix(target, dynamoTarget) {
	case "UpdateContinuousBackups", "DescribeContinuousBackups":
		rt.continuousBackups(w, r, strings.TrimPrefix(target, dynamoTarget), body)
		return
	}
	body = bytes.ReplaceAll(body, ours, []byte(dynoxideARN))
	req, err := http.NewRequestWithContext(r.Context(), r.Method, rt.dynamoURL+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		awsError(w, http.StatusInternalServerError, "InternalServerError", err.Error())
		return
	}
	req.Header = r.Header.Clone()
	req.Header.Del("Accept-Encoding")
	req.Host = r.Host
	resp, err := rt.client.Do(req)
	if err != nil {
		awsError(w, http.StatusBadGateway, "ServiceUnavailable", "the local DynamoDB emulator did not answer: "+err.Error())
		return
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		awsError(w, http.StatusBadGateway, "ServiceUnavailable", err.Error())
		return
	}
	if target == streamsTarget+"DescribeStream" && resp.StatusCode == http.StatusOK {
		out = openLastShards(out)
	}
	if bytes.Contains(out, []byte(":dynoxide:")) {
		out = bytes.ReplaceAll(out, []byte(dynoxideARN), ours)
		out = bytes.ReplaceAll(out, []byte(`"awsRegion":"dynoxide"`), []byte(`"awsRegion":"`+region+`"`))
	}
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	// The SDK checks DynamoDB's X-Amz-Crc32 against the body it receives.
	w.Header().Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(out)), 10))
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(resp.StatusCode)
	w.Write(out)
}

// openLastShards drops the EndingSequenceNumber that Dynoxide 1.2.1 gives a shard still written to (it
// reports its last record's). On AWS only a closed shard has one, and a consumer starting at LATEST skips
// closed shards (infra/engine/streams does): a shard is open unless another shard names it as its parent
// (https://docs.aws.amazon.com/amazondynamodbstreams/latest/APIReference/API_SequenceNumberRange.html,
// API_Shard.html).
func openLastShards(body []byte) []byte {
	var out map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if dec.Decode(&out) != nil {
		return body
	}
	desc, _ := out["StreamDescription"].(map[string]any)
	shards, _ := desc["Shards"].([]any)
	parents := map[string]bool{}
	for _, sh := range shards {
		if m, ok := sh.(map[string]any); ok {
			if p, ok := m["ParentShardId"].(string); ok {
				parents[p] = true
			}
		}
	}
	changed := false
	for _, sh := range shards {
		m, ok := sh.(map[string]any)
		if !ok {
			continue
		}
		id, _ := m["ShardId"].(string)
		rng, _ := m["SequenceNumberRange"].(map[string]any)
		if _, closed := rng["EndingSequenceNumber"]; closed && !parents[id] {
			delete(rng, "EndingSequenceNumber")
			changed = true
		}
	}
	if !changed {
		return body
	}
	b, err := json.Marshal(out)
	if err != nil {
		return body
	}
	return b
}

// continuousBackups answers the point-in-time recovery API, which Dynoxide lacks and the template's
// PointInTimeRecoverySpecification needs: the setting is kept and described, and means nothing locally
// (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateContinuousBackups.html).
func (rt *router) continuousBackups(w http.ResponseWriter, r *http.Request, op string, body []byte) {
	var in struct {
		TableName                        string
		PointInTimeRecoverySpecification *struct{ PointInTimeRecoveryEnabled bool }
	}
	if err := json.Unmarshal(body, &in); err != nil || in.TableName == "" {
		awsError(w, http.StatusBadRequest, "ValidationException", "TableName is required")
		return
	}
	name := in.TableName
	if i := strings.LastIndex(name, "table/"); strings.HasPrefix(name, "arn:") && i >= 0 {
		name = name[i+len("table/"):]
	}
	// The table must exist, as on AWS (TableNotFoundException otherwise).
	probe, _ := json.Marshal(map[string]string{"TableName": name})
	req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, rt.dynamoURL+"/", bytes.NewReader(probe))
	if err != nil {
		awsError(w, http.StatusInternalServerError, "InternalServerError", err.Error())
		return
	}
	req.Header = r.Header.Clone()
	req.Header.Set("X-Amz-Target", dynamoTarget+"DescribeTable")
	resp, err := rt.client.Do(req)
	if err != nil {
		awsError(w, http.StatusBadGateway, "ServiceUnavailable", err.Error())
		return
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		awsError(w, http.StatusBadRequest, "TableNotFoundException", "Table not found: "+name)
		return
	}
	rt.mu.Lock()
	if op == "UpdateContinuousBackups" {
		if in.PointInTimeRecoverySpecification == nil {
			rt.mu.Unlock()
			awsError(w, http.StatusBadRequest, "ValidationException", "PointInTimeRecoverySpecification is required")
			return
		}
		rt.pitr[name] = in.PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled
	}
	on := rt.pitr[name]
	rt.mu.Unlock()
	status := "DISABLED"
	if on {
		status = "ENABLED"
	}
	out, _ := json.Marshal(map[string]any{"ContinuousBackupsDescription": map[string]any{
		"ContinuousBackupsStatus":        "ENABLED",
		"PointInTimeRecoveryDescription": map[string]any{"PointInTimeRecoveryStatus": status},
	}})
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(out)), 10))
	w.Write(out)
}

// regionOf is the region of the request's SigV4 credential scope (us-east-1 without one).
func regionOf(r *http.Request) string {
	auth := r.Header.Get("Authorization")
	if _, cred, ok := strings.Cut(auth, "Credential="); ok {
		parts := strings.Split(strings.SplitN(cred, ",", 2)[0], "/")
		if len(parts) >= 3 && parts[2] != "" {
			return parts[2]
		}
	}
	return "us-east-1"
}

func awsError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}
