package wsapi

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// Close codes and the disconnectReason texts that go with them in $disconnect events.
const (
	statusNormal    = websocket.StatusNormalClosure   // 1000: @connections DELETE
	statusGoingAway = websocket.StatusGoingAway       // 1001: idle, max lifetime, server closing
	statusAbnormal  = websocket.StatusAbnormalClosure // 1006: no close frame (never sent on the wire)
	statusTooBig    = websocket.StatusMessageTooBig   // 1009: message over 128 KB

	reasonGoingAway = "Going away"
	reasonIdle      = "Going away: idle timeout"
	reasonLifetime  = "Going away: maximum connection duration"
	reasonDeleted   = "Connection deleted through the @connections API"
	reasonNoStatus  = "Client-side close frame status not set"
	reasonAbnormal  = "Connection closed abnormally"
	reasonSlow      = "Client did not read its messages in time"
	reasonTooBig    = "Message too big"
	reasonDropped   = "Connection lost (injected fault)"
)

var (
	// errGone: the connection ended before the frame was written (GoneException).
	errGone = errors.New("wsapi: connection is gone")
	// errQueueFull: too many frames already wait for this client (LimitExceededException).
	errQueueFull = errors.New("wsapi: send queue is full")
)

// frame is one message on its way to a client.
type frame struct {
	typ    websocket.MessageType
	data   []byte
	result chan error // buffered 1: the writer never blocks on it
}

// conn is one accepted connection. Three kinds of goroutine serve it: the upgrade handler reads,
// one writer owns every write, the close and the idle and lifetime timers, and message handlers
// run functions. Only the reader and the writer touch ws.
type conn struct {
	s           *Server
	id          string
	ws          *websocket.Conn
	peer        peer
	connectedAt time.Time
	lastActive  atomic.Int64 // unix nanoseconds of the last data frame in either direction

	queue   chan *frame
	handler chan struct{} // semaphore bounding running message handlers

	once sync.Once
	// Set inside once, before done is closed, and read only after done: why the connection ended
	// and whether we send the close frame (we ended it) or the socket is already finished.
	code      websocket.StatusCode
	reason    string
	sendClose bool
	done      chan struct{} // closed when the connection starts ending
	drained   chan struct{} // closed when the writer has answered every queued frame
	writerEnd chan struct{} // closed when the writer has closed the socket
}

func newConn(s *Server, id string, p peer, at time.Time) *conn {
	c := &conn{
		s: s, id: id, peer: p, connectedAt: at,
		queue: make(chan *frame, s.cfg.SendQueue), handler: make(chan struct{}, inFlight),
		done: make(chan struct{}), drained: make(chan struct{}), writerEnd: make(chan struct{}),
	}
	c.touch()
	return c
}

func (c *conn) touch() { c.lastActive.Store(time.Now().UnixNano()) }

func (c *conn) lastActiveAt() time.Time { return time.Unix(0, c.lastActive.Load()) }

// shutdown starts ending the connection; only the first cause counts, so $disconnect reports why
// it really ended. It unregisters the id at once, so @connections answers 410 from here on.
func (c *conn) shutdown(code websocket.StatusCode, reason string, sendClose bool) {
	c.once.Do(func() {
		c.code, c.reason, c.sendClose = code, reason, sendClose
		c.s.forget(c.id)
		close(c.done)
	})
}

// writeLoop owns every write to the socket, so a slow client only ever holds up its own queue.
func (c *conn) writeLoop() {
	defer close(c.writerEnd)
	idle := time.NewTimer(c.s.cfg.IdleTimeout)
	defer idle.Stop()
	life := time.NewTimer(c.s.cfg.MaxLifetime - time.Since(c.connectedAt))
	defer life.Stop()
	for {
		select {
		case <-c.done:
			c.finish()
			return
		case f := <-c.queue:
			c.write(f)
		case <-idle.C:
			// API Gateway's idle timeout counts data frames either way; pings do not keep a
			// connection open.
			if left := c.s.cfg.IdleTimeout - time.Since(c.lastActiveAt()); left > 0 {
				idle.Reset(left)
				continue
			}
			c.shutdown(statusGoingAway, reasonIdle, true)
		case <-life.C:
			c.shutdown(statusGoingAway, reasonLifetime, true)
		}
	}
}

func (c *conn) write(f *frame) {
	select {
	case <-c.done:
		f.result <- errGone
		return
	default:
	}
	// coder/websocket closes the socket when a write's context expires, so a client that
	// stopped reading loses its connection, as it does behind API Gateway.
	ctx, cancel := context.WithTimeout(context.Background(), c.s.cfg.WriteTimeout)
	err := c.ws.Write(ctx, f.typ, f.data)
	cancel()
	if err != nil {
		c.shutdown(statusAbnormal, reasonSlow, false)
		f.result <- fmt.Errorf("%w: %w", errGone, err)
		return
	}
	c.touch()
	f.result <- nil
}

// finish answers the frames still queued and closes the socket. A write stuck on a client
// that stopped reading has already ended by its own timeout.
func (c *conn) finish() {
	c.drain()
	if c.sendClose {
		// Close performs the close handshake; the reader sees the client's answer and returns.
		c.ws.Close(c.code, c.reason)
		return
	}
	c.ws.CloseNow()
}

// drain answers every queued frame with errGone; senders that queue later see drained.
func (c *conn) drain() {
drain:
	for {
		select {
		case f := <-c.queue:
			f.result <- errGone
		default:
			break drain
		}
	}
	close(c.drained)
}

// send queues one frame and waits until it is written, at most WriteTimeout in all: a client too
// slow for that loses its connection. It never blocks on a full queue.
func (c *conn) send(ctx context.Context, typ websocket.MessageType, data []byte) error {
	select {
	case <-c.done:
		return errGone
	default:
	}
	f := &frame{typ: typ, data: data, result: make(chan error, 1)}
	select {
	case c.queue <- f:
	default:
		return errQueueFull
	}
	timer := time.NewTimer(c.s.cfg.WriteTimeout)
	defer timer.Stop()
	select {
	case err := <-f.result:
		return err
	case <-c.drained:
		// Every frame queued before the drain has its answer; one queued after it never will.
		select {
		case err := <-f.result:
			return err
		default:
			return errGone
		}
	case <-timer.C:
		c.shutdown(statusAbnormal, reasonSlow, false)
		return errGone
	case <-ctx.Done():
		return fmt.Errorf("wsapi: waiting for the write: %w", ctx.Err())
	}
}

// peerClose turns the reader's error into the status and reason of the $disconnect event.
func peerClose(err error) (websocket.StatusCode, string) {
	if errors.Is(err, websocket.ErrMessageTooBig) {
		return statusTooBig, reasonTooBig
	}
	var ce websocket.CloseError
	if errors.As(err, &ce) {
		if ce.Code == websocket.StatusNoStatusRcvd {
			return ce.Code, reasonNoStatus
		}
		return ce.Code, ce.Reason
	}
	return statusAbnormal, reasonAbnormal
}
