package soak

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/coder/websocket"

	"github.com/orion-oss/orion/infra/engine/eventbus"
	"github.com/orion-oss/orion/infra/engine/faults"
	"github.com/orion-oss/orion/infra/engine/lambdahost"
	"github.com/orion-oss/orion/infra/engine/stack"
	"github.com/orion-oss/orion/internal/adapter/cognito"
	"github.com/orion-oss/orion/internal/platform/awscfg"
	"github.com/orion-oss/orion/internal/ws"
)

type soakConfig struct {
	orders, customers, workers, seed int
	rate                             float64 // orders placed per second; 0: as fast as the workers go
	deadline                         time.Duration
}

type customer struct {
	email, token string
	bounce       bool // SES refuses this address permanently: its mail ends in the DLQ
}

// order is one order the soak placed.
type order struct {
	id       string
	customer int
	lines    map[string]int64 // sku -> quantity
	token    string
	cancel   bool
	after    time.Duration // how long after placing the cancellation comes
	// fulfil is how far the order is taken after confirmation (fulfil_test.go); fulfilled is set by
	// the fulfiller once it is done with the order.
	fulfil    fulfilment
	returnAll bool
	fulfilled atomic.Bool
}

// stats are what the runtime observed while the soak ran; the checks themselves read the data.
type stats struct {
	mu                                     sync.Mutex
	invocations, failedAttempts, injected  int
	deliveries, duplicates, held           int
	httpRetries, wsConnects, wsConnectFail atomic.Int64
	// emailKills counts injected crashes and timeouts of the email function: the only way an email
	// may go out twice (an attempt killed after SES accepted the email, before the inbox recorded it).
	emailKills int
	// byEvent lists each event's deliveries ("<target> attempts=N err=..."): what a failed check shows.
	byEvent map[string][]string
}

func (s *stats) invoked(r lambdahost.Record) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.invocations++
	if r.Outcome != "ok" {
		s.failedAttempts++
	}
	if r.Injected {
		s.injected++
		if isEmailFunction(r.Function) {
			s.emailKills++
		}
	}
}

// isEmailFunction tells the email function by its local name (orion-<stage>-SendEmailFunction) or its
// directory's (send-email).
func isEmailFunction(name string) bool {
	return strings.HasSuffix(name, "SendEmailFunction") || strings.HasSuffix(name, "send-email")
}

func (s *stats) delivered(d eventbus.Delivery) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deliveries++
	if s.byEvent == nil {
		s.byEvent = map[string][]string{}
	}
	line := fmt.Sprintf("%s attempts=%d duplicate=%t held=%s", d.Target, d.Attempts, d.Duplicate, d.Held)
	if d.Err != nil {
		line += fmt.Sprintf(" err=%v dead-lettered=%t", d.Err, d.DeadLettered)
	}
	s.byEvent[d.EventID] = append(s.byEvent[d.EventID], line)
	if d.Duplicate {
		s.duplicates++
	}
	if d.Held > 0 {
		s.held++
	}
}

type run struct {
	t     *testing.T
	cfg   soakConfig
	inj   *faults.Injector
	st    *stack.Stack
	stats *stats
	rng   *rand.Rand
	http  *http.Client

	admin     string
	customers []*customer
	initial   map[string]int64 // sku -> stock at the start
	orders    []*order
	sockets   []*socket
	fulfiller *fulfiller

	dlqMessages                 int
	repeatedEmails              int   // emails sent again after their first sender was killed mid-send
	captured, refunded          int64 // the money of every order, from its payment events (checkMoney)
	started                     time.Time
	placedIn, settledIn, tookIn time.Duration
	// emulatorGroup is moto's process group; cpu is sampled when the run starts, then holds the CPU
	// used until it settled.
	emulatorGroup int
	cpu           cpuUse
}

func newRun(t *testing.T, cfg soakConfig, inj *faults.Injector) *run {
	return &run{t: t, cfg: cfg, inj: inj, stats: &stats{}, rng: rand.New(rand.NewPCG(uint64(cfg.seed), 2)),
		http: &http.Client{Timeout: 60 * time.Second}, initial: map[string]int64{}}
}

func (r *run) run() {
	r.started = time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.deadline)
	defer cancel()
	r.users(ctx)
	r.catalog()
	r.connectSockets(ctx)
	r.fulfiller = r.startFulfiller(ctx)
	r.place(ctx)
	r.fulfiller.close()
	r.placedIn = time.Since(r.started)
	d := r.settle(ctx)
	r.fulfiller.wait()
	r.settledIn = time.Since(r.started)
	r.cpu = sampleCPU(r.emulatorGroup).sub(r.cpu)
	for _, s := range r.sockets {
		s.stop()
	}
	r.check(context.WithoutCancel(ctx), d)
	r.tookIn = time.Since(r.started)
	r.summary(d)
}

// users creates the customers (every tenth a "bounce" address) and an admin, straight in the user pool.
func (r *run) users(ctx context.Context) {
	cfg, err := awscfg.Load(ctx)
	if err != nil {
		r.t.Fatal(err)
	}
	c := cip.NewFromConfig(cfg)
	pool, client := fmt.Sprint(r.st.Outputs["UserPoolId"]), fmt.Sprint(r.st.Outputs["UserPoolClientId"])
	// The sign-in client has a secret (template.yaml UserPoolClient): read as the deployer may.
	secret, err := cognito.ClientSecret(ctx, c, pool, client)
	if err != nil {
		r.t.Fatal(err)
	}
	mk := func(email string, admin bool) string {
		pass := "Str0ng!Passw0rd-soak"
		// A verified address: order mail goes to verified addresses only (internal/adapter/cognito/directory).
		if _, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: &pool, Username: &email, MessageAction: ciptypes.MessageActionTypeSuppress,
			UserAttributes: []ciptypes.AttributeType{{Name: aws.String("email"), Value: &email}, {Name: aws.String("email_verified"), Value: aws.String("true")}}}); err != nil {
			r.t.Fatal(err)
		}
		if _, err := c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: &pool, Username: &email, Password: &pass, Permanent: true}); err != nil {
			r.t.Fatal(err)
		}
		if admin {
			if _, err := c.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{UserPoolId: &pool, Username: &email, GroupName: aws.String("admin")}); err != nil {
				r.t.Fatal(err)
			}
		}
		out, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: &client, AuthFlow: ciptypes.AuthFlowTypeUserPasswordAuth,
			AuthParameters: map[string]string{"USERNAME": email, "PASSWORD": pass, "SECRET_HASH": cognito.SecretHash(secret, email, client)}})
		if err != nil {
			r.t.Fatal(err)
		}
		return aws.ToString(out.AuthenticationResult.AccessToken)
	}
	r.admin = mk("soak-admin@example.com", true)
	for i := range r.cfg.customers {
		cu := &customer{email: fmt.Sprintf("soak-%02d@example.com", i)}
		if i%10 == 9 {
			cu.bounce = true
			cu.email = fmt.Sprintf("soak-bounce-%02d@example.com", i)
		}
		cu.token = mk(cu.email, false)
		r.customers = append(r.customers, cu)
	}
}

// Scarce SKUs run out (orders are rejected OUT_OF_STOCK, and race for the last units); plentiful ones
// never do.
var (
	scarce    = []string{"SOAK-SCARCE-1", "SOAK-SCARCE-2", "SOAK-SCARCE-3"}
	plentiful = []string{"SOAK-PLENTY-1", "SOAK-PLENTY-2", "SOAK-PLENTY-3", "SOAK-PLENTY-4", "SOAK-PLENTY-5"}
)

func (r *run) catalog() {
	stock := func(sku string, n int64) {
		body := fmt.Sprintf(`{"name":"Soak %s","price":{"amount":%d,"currency":"USD"},"available":%d}`, sku, 500+len(sku)*10, n)
		if st, b := r.call("PUT", "/inventory/"+sku, r.admin, body, ""); st != 200 && st != 201 {
			r.t.Fatalf("stock %s: %d %s", sku, st, b)
		}
		r.initial[sku] = n
	}
	for _, s := range scarce {
		stock(s, int64(max(4, r.cfg.orders/40)))
	}
	for _, s := range plentiful {
		stock(s, 1_000_000)
	}
}

// call makes one API request, retrying what a client retries: network errors, 5xx (a crashed or timed
// out function answers 502/503/504) and 429. The same Idempotency-Key makes a repeated place safe.
func (r *run) call(method, path, tok, body, key string) (int, []byte) {
	var status int
	var b []byte
	for attempt := 1; attempt <= 12; attempt++ {
		req, err := http.NewRequest(method, r.st.HTTPURL+path, strings.NewReader(body))
		if err != nil {
			r.t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		resp, err := r.http.Do(req)
		if err == nil {
			b, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			status = resp.StatusCode
			if status < 500 && status != http.StatusTooManyRequests {
				return status, b
			}
		}
		r.stats.httpRetries.Add(1)
		time.Sleep(time.Duration(attempt*50) * time.Millisecond)
	}
	r.t.Errorf("%s %s: still %d after 12 attempts: %s", method, path, status, b)
	return status, b
}

// place sends every order through a bounded pool of workers (moto serialises DynamoDB: more
// concurrency only queues there). Some orders are cancelled a moment after they are placed.
func (r *run) place(ctx context.Context) {
	tokens := []string{"tok_visa", "tok_visa", "tok_visa", "tok_visa", "tok_visa", "tok_visa", "tok_declined", "tok_flaky", "tok_flaky", "tok_unavailable"}
	for i := range r.cfg.orders {
		o := &order{customer: i % r.cfg.customers, lines: map[string]int64{}, token: tokens[r.rng.IntN(len(tokens))], cancel: r.rng.IntN(10) == 0,
			after: time.Duration(r.rng.IntN(1500)) * time.Millisecond}
		o.lines[plentiful[r.rng.IntN(len(plentiful))]] = int64(1 + r.rng.IntN(3))
		if r.rng.IntN(4) == 0 {
			o.lines[scarce[r.rng.IntN(len(scarce))]] = int64(1 + r.rng.IntN(2))
		}
		r.orders = append(r.orders, o)
	}
	r.planFulfilment()
	work := make(chan int)
	var wg sync.WaitGroup
	for range r.cfg.workers {
		wg.Go(func() {
			for i := range work {
				r.placeOne(i, r.orders[i])
			}
		})
	}
	// A soak is sustained load: orders arrive at a steady rate the local system can keep up with. A burst
	// of thousands would only measure the emulator drowning (its calls slower than the functions'
	// timeouts, retries on top), not Orion.
	var tick <-chan time.Time
	if r.cfg.rate > 0 {
		t := time.NewTicker(time.Duration(float64(time.Second) / r.cfg.rate))
		defer t.Stop()
		tick = t.C
	}
	for i := range r.orders {
		if tick != nil && i > 0 {
			select {
			case <-tick:
			case <-ctx.Done():
			}
		}
		select {
		case work <- i:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(work)
	wg.Wait()
	if ctx.Err() != nil {
		r.t.Fatalf("soak: placing orders ran past the deadline of %s", r.cfg.deadline)
	}
}

func (r *run) placeOne(i int, o *order) {
	cu := r.customers[o.customer]
	var items []string
	for sku, q := range o.lines {
		items = append(items, fmt.Sprintf(`{"sku":%q,"quantity":%d}`, sku, q))
	}
	body := fmt.Sprintf(`{"items":[%s],"paymentToken":%q}`, strings.Join(items, ","), o.token)
	status, b := r.call("POST", "/orders", cu.token, body, fmt.Sprintf("soak-%d-%d", r.cfg.seed, i))
	var res struct{ OrderID string }
	if status != http.StatusAccepted || json.Unmarshal(b, &res) != nil || res.OrderID == "" {
		r.t.Errorf("place order %d: %d %s", i, status, b)
		return
	}
	o.id = res.OrderID
	if o.cancel {
		time.Sleep(o.after)
		switch status, b := r.call("POST", "/orders/"+o.id+"/cancel", cu.token, "", ""); status {
		case http.StatusAccepted, http.StatusConflict: // requested, or already final
		default:
			r.t.Errorf("cancel %s: %d %s", o.id, status, b)
		}
	}
	r.fulfiller.offer(o)
}

// socket is one customer's WebSocket client: it reconnects when its connection drops and keeps every
// message of every connection it had.
type socket struct {
	r        *run
	customer int
	mu       sync.Mutex
	conns    [][]push
	done     chan struct{}
	ended    chan struct{}
}

type push struct {
	Type         string `json:"type"`
	OrderID      string `json:"orderId"`
	Status       string `json:"status"`
	EventID      string `json:"eventId"`
	OrderVersion int64  `json:"orderVersion"`
}

func (r *run) connectSockets(ctx context.Context) {
	for i := range min(5, len(r.customers)) {
		s := &socket{r: r, customer: i, done: make(chan struct{}), ended: make(chan struct{})}
		r.sockets = append(r.sockets, s)
		go s.loop(ctx)
	}
}

func (s *socket) loop(ctx context.Context) {
	defer close(s.ended)
	// The token travels as a subprotocol (docs/adr/0016); a URL with ?token= is refused.
	offer := &websocket.DialOptions{Subprotocols: ws.Offer(s.r.customers[s.customer].token)}
	for {
		select {
		case <-s.done:
			return
		default:
		}
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		conn, _, err := websocket.Dial(dctx, s.r.st.WSURL, offer)
		cancel()
		if err != nil {
			// $connect's function crashed or timed out (an injected fault): try again.
			s.r.stats.wsConnectFail.Add(1)
			time.Sleep(100 * time.Millisecond)
			continue
		}
		s.r.stats.wsConnects.Add(1)
		s.mu.Lock()
		s.conns = append(s.conns, nil)
		n := len(s.conns) - 1
		s.mu.Unlock()
		go func() {
			<-s.done
			conn.Close(websocket.StatusNormalClosure, "soak over")
		}()
		for {
			_, data, err := conn.Read(ctx)
			if err != nil {
				break // dropped (1006) or closed by stop
			}
			var p push
			if json.Unmarshal(data, &p) == nil {
				s.mu.Lock()
				s.conns[n] = append(s.conns[n], p)
				s.mu.Unlock()
			}
		}
	}
}

func (s *socket) stop() {
	close(s.done)
	<-s.ended
}
