package xray

import (
	"encoding/json"
	"net"
	"sync"
)

// EnvDaemonAddress is the variable Lambda sets, with active tracing on, to the X-Ray daemon's UDP
// address (169.254.79.129:2000); the runtime sets it in the functions' environment to a listener of
// its own when asked.
const EnvDaemonAddress = "AWS_XRAY_DAEMON_ADDRESS"

// daemonHeader precedes every document sent to the daemon.
// https://docs.aws.amazon.com/xray/latest/devguide/xray-api-sendingdata.html#xray-api-daemon
const daemonHeader = `{"format":"json","version":1}` + "\n"

// maxDocument is the daemon's limit on one datagram (a segment document is at most 64 KB).
const maxDocument = 64 << 10

// Daemon sends segment documents to the X-Ray daemon over UDP. It opens its socket on the first send,
// sends on the caller's goroutine and never fails the caller: tracing is best effort, as the daemon
// protocol itself is.
type Daemon struct {
	addr string

	once sync.Once
	conn net.Conn
}

// NewDaemon returns a sender to addr (host:port). It does no I/O.
func NewDaemon(addr string) *Daemon { return &Daemon{addr: addr} }

// Addr is the daemon's address.
func (d *Daemon) Addr() string { return d.addr }

// Send marshals doc and sends it as one datagram. Errors are dropped: a lost segment must never fail
// the invocation it describes.
func (d *Daemon) Send(doc any) {
	body, err := json.Marshal(doc)
	if err != nil || len(body)+len(daemonHeader) > maxDocument {
		return
	}
	d.once.Do(func() { d.conn, _ = net.Dial("udp", d.addr) })
	if d.conn == nil {
		return
	}
	_, _ = d.conn.Write(append([]byte(daemonHeader), body...))
}
