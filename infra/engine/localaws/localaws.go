// Package localaws finds or starts the local AWS endpoint that Orion's local runs and integration tests
// talk to: LocalStack when it already answers on 127.0.0.1:4566, otherwise a moto_server that this
// package starts, owns and stops.
package localaws

import (
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// DefaultAddr is LocalStack's port, which moto also takes when LocalStack is not running.
const DefaultAddr = "127.0.0.1:4566"

// Kind names the emulator behind an endpoint.
type Kind string

const (
	KindLocalStack Kind = "localstack"
	KindMoto       Kind = "moto"
)

var (
	// ErrNothingListening means no process accepts connections at the address.
	ErrNothingListening = errors.New("localaws: nothing listening")
	// ErrForeign means the address is taken by something that is neither LocalStack nor moto.
	ErrForeign = errors.New("localaws: address is used by something that is not an AWS emulator")
	// ErrMotoMissing means moto_server is not installed, so no endpoint can be started.
	ErrMotoMissing = errors.New("localaws: moto_server not found on PATH; install it with " +
		"`pip install 'moto[server]'` or start LocalStack on 127.0.0.1:4566")
	// ErrNotReady means a started moto_server did not become ready in time or exited.
	ErrNotReady = errors.New("localaws: moto_server did not become ready")
)

// Endpoint is a reachable local AWS endpoint. Close stops it when this package started it.
type Endpoint struct {
	URL  string
	Kind Kind
	// DynamoDB names the emulator serving DynamoDB and its streams when it is not Kind's ("Dynoxide
	// 1.2.1", dynamo.go); empty when Kind serves everything or the endpoint was not started here.
	DynamoDB string

	cmd     *exec.Cmd
	exited  chan struct{}
	log     *tailBuffer
	router  *http.Server  // when DynamoDB has its own emulator (dynamo.go)
	dynamo  chan struct{} // closed when that emulator exited
	closeMu sync.Once
	waitErr error
}

// Started reports whether this process owns the emulator (and so stops it on Close).
func (e *Endpoint) Started() bool { return e.cmd != nil }

// ProcessGroup is the process group of the emulator this process started (the launcher and its
// children), or 0: what a tool sums to tell the emulator's share of the CPU.
func (e *Endpoint) ProcessGroup() int {
	if e == nil || e.cmd == nil || e.cmd.Process == nil {
		return 0
	}
	return e.cmd.Process.Pid
}

// Env is the environment a client process needs to reach the endpoint with the standard SDK settings.
// Credentials are dummies: emulators accept any, and real ones must never be sent to a local endpoint.
func (e *Endpoint) Env() []string {
	return []string{
		"AWS_ENDPOINT_URL=" + e.URL,
		"AWS_REGION=us-east-1",
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test",
		"AWS_SESSION_TOKEN=",
	}
}

var probeClient = &http.Client{Timeout: 2 * time.Second}

// Probe tells what answers at addr (host:port).
func Probe(ctx context.Context, addr string) (Kind, error) {
	conn, err := (&net.Dialer{Timeout: time.Second}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return "", fmt.Errorf("%w at %s: %v", ErrNothingListening, addr, err)
	}
	conn.Close()
	if ok(ctx, "http://"+addr+"/_localstack/health") {
		return KindLocalStack, nil
	}
	if ok(ctx, "http://"+addr+"/moto-api/") {
		return KindMoto, nil
	}
	return "", fmt.Errorf("%w: %s", ErrForeign, addr)
}

func ok(ctx context.Context, url string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	resp, err := probeClient.Do(req)
	if err != nil {
		return false
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// Ensure returns the emulator answering at addr, or starts moto_server there.
func Ensure(ctx context.Context, addr string) (*Endpoint, error) {
	kind, err := Probe(ctx, addr)
	switch {
	case err == nil:
		return &Endpoint{URL: "http://" + addr, Kind: kind}, nil
	case errors.Is(err, ErrNothingListening):
		return StartMoto(ctx, addr)
	default:
		return nil, err
	}
}

//go:embed motoserver.py
var motoLauncher []byte

// motoCommand runs moto with DynamoDB requests serialised (motoserver.py says why) through the
// Python that has moto installed; without such a Python it falls back to plain moto_server.
func motoCommand(host, port string) (*exec.Cmd, error) {
	if py, err := exec.LookPath("python3"); err == nil && exec.Command(py, "-c", "import moto.server, werkzeug").Run() == nil {
		// One file per launcher version, shared by every start on this machine.
		sum := sha256.Sum256(motoLauncher)
		path := filepath.Join(os.TempDir(), "orion-moto-"+hex.EncodeToString(sum[:6])+".py")
		if _, err := os.Stat(path); err != nil {
			tmp := path + "." + strconv.Itoa(os.Getpid())
			if err := os.WriteFile(tmp, motoLauncher, 0o644); err != nil {
				return nil, err
			}
			if err := os.Rename(tmp, path); err != nil {
				return nil, err
			}
		}
		return exec.Command(py, path, "-H", host, "-p", port), nil
	}
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, ErrMotoMissing
	}
	return exec.Command(bin, "-H", host, "-p", port), nil
}

// StartMoto starts the local emulators on addr; a port of 0 picks a free one: moto, and, where its binary
// is installed, Dynoxide for DynamoDB and DynamoDB Streams behind a router on addr (dynamo.go). They are
// stopped by Close, and, should this process die first, by the kernel (Pdeathsig), so no emulator
// outlives its owner.
func StartMoto(ctx context.Context, addr string) (*Endpoint, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("localaws: address %q: %w", addr, err)
	}
	bin := dynoxideBinary()
	if bin == "" {
		if port == "0" {
			if port, err = freePort(host); err != nil {
				return nil, err
			}
		}
		return startMoto(ctx, net.JoinHostPort(host, port))
	}
	// Listen first: a taken address fails here, before anything is started.
	l, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		return nil, fmt.Errorf("%w: cannot listen on %s: %v", ErrNotReady, addr, err)
	}
	motoPort, err := freePort("127.0.0.1")
	if err != nil {
		l.Close()
		return nil, err
	}
	e, err := startMoto(ctx, net.JoinHostPort("127.0.0.1", motoPort))
	if err != nil {
		l.Close()
		return nil, err
	}
	_, durl, dexited, err := startDynoxide(ctx, bin, e.cmd.Process.Pid, e.log)
	if err != nil {
		l.Close()
		e.Close()
		return nil, err
	}
	rt, err := newRouter(e.URL, durl)
	if err != nil {
		l.Close()
		e.Close()
		return nil, err
	}
	e.dynamo = dexited
	e.DynamoDB = "Dynoxide"
	if out, err := exec.Command(bin, "--version").Output(); err == nil {
		// "dynoxide 1.2.1"
		if _, v, ok := strings.Cut(strings.TrimSpace(string(out)), " "); ok {
			e.DynamoDB += " " + v
		}
	}
	e.router = &http.Server{Handler: rt, ReadHeaderTimeout: 10 * time.Second}
	go e.router.Serve(l)
	e.URL = "http://" + l.Addr().String()
	return e, nil
}

func startMoto(ctx context.Context, addr string) (*Endpoint, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	log := &tailBuffer{max: 8 << 10}
	cmd, err := motoCommand(host, port)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("localaws: start moto_server: %w", err)
	}
	e := &Endpoint{URL: "http://" + addr, Kind: KindMoto, cmd: cmd, exited: make(chan struct{}), log: log}
	go func() { e.waitErr = cmd.Wait(); close(e.exited) }()

	deadline := time.NewTimer(20 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			e.Close()
			return nil, ctx.Err()
		case <-e.exited:
			return nil, fmt.Errorf("%w: it exited (%v) at %s:\n%s", ErrNotReady, e.waitErr, addr, log.String())
		case <-deadline.C:
			e.Close()
			return nil, fmt.Errorf("%w: not answering at %s after 20s:\n%s", ErrNotReady, addr, log.String())
		case <-tick.C:
			if ok(ctx, e.URL+"/moto-api/") {
				return e, nil
			}
		}
	}
}

// Close stops the emulator if this process started it: SIGTERM to its process group (the moto_server
// launcher may be a shim with a child), then SIGKILL after 5 s.
func (e *Endpoint) Close() error {
	if e == nil || e.cmd == nil {
		return nil
	}
	e.closeMu.Do(func() {
		if e.router != nil {
			e.router.Close()
		}
		pgid := e.cmd.Process.Pid
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-e.exited:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			<-e.exited
		}
		if e.dynamo != nil {
			select {
			case <-e.dynamo:
			case <-time.After(5 * time.Second):
				_ = syscall.Kill(-pgid, syscall.SIGKILL)
				<-e.dynamo
			}
		}
	})
	return nil
}

// Logs returns the tail of moto_server's output, for error messages.
func (e *Endpoint) Logs() string {
	if e.log == nil {
		return ""
	}
	return e.log.String()
}

func freePort(host string) (string, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return "", fmt.Errorf("localaws: find a free port: %w", err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port, nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	max int
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf.Write(p)
	if over := t.buf.Len() - t.max; over > 0 {
		t.buf.Next(over)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(t.buf.String())
}

// FromEnv returns the endpoint named by AWS_ENDPOINT_URL, if any, without probing it.
func FromEnv() (*Endpoint, bool) {
	u := os.Getenv("AWS_ENDPOINT_URL")
	if u == "" {
		return nil, false
	}
	return &Endpoint{URL: strings.TrimRight(u, "/")}, true
}
