package edge

import (
	"bytes"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"

	faultspec "github.com/orion-oss/orion/infra/engine/faults"
)

// Fault makes the edge answer some requests with an AWS error instead of forwarding them, the way a
// throttled or failing service answers: tests prove with it that retries, dead-letter queues and
// compensation do what they promise.
type Fault struct {
	// Service is the SigV4 signing name of the service: "ses", "dynamodb", "events", "sqs", ...
	Service string
	// Match narrows the fault to some requests (one recipient, one table); nil matches them all.
	Match func(r *http.Request, body []byte) bool
	// Status and Code are the answer (500 and InternalFailure when zero), Message its text.
	Status        int
	Code, Message string
	// Times is how many requests fail; 0 means every one until the fault is removed.
	Times int
	// Rate is the fraction of matching requests that fail (0 means every one); Nth fails only the Nth
	// matching request. Which ones is decided from Seed (faultspec.Chance), so a run is reproducible.
	Rate float64
	Nth  int
	Seed uint64
	// OnInject is called after each request the fault answered (to count injected faults).
	OnInject func()

	seen uint64 // matching requests so far, under faults.mu
}

type faultList struct {
	mu   sync.Mutex
	list []*Fault
}

// Inject adds a fault and returns the function that removes it.
func (e *Edge) Inject(f Fault) (remove func()) {
	if f.Status == 0 {
		f.Status = http.StatusInternalServerError
	}
	if f.Code == "" {
		f.Code = "InternalFailure"
	}
	p := &f
	e.faults.mu.Lock()
	e.faults.list = append(e.faults.list, p)
	e.faults.mu.Unlock()
	return func() {
		e.faults.mu.Lock()
		defer e.faults.mu.Unlock()
		for i, x := range e.faults.list {
			if x == p {
				e.faults.list = append(e.faults.list[:i], e.faults.list[i+1:]...)
				return
			}
		}
	}
}

// credentialScope finds the access key and the signing service in
// "Credential=AKID/20261125/us-east-1/ses/aws4_request".
var credentialScope = regexp.MustCompile(`Credential=([^/]+)/[0-9]{8}/[^/]+/([^/]+)/aws4_request`)

// Call is one signed AWS request that reached the edge.
type Call struct {
	// AccessKey is the caller's access key id; the local runtime gives each function its own (its
	// name), as each function has its own role on AWS.
	AccessKey string
	// Service is the SigV4 signing name ("dynamodb", "ses", "execute-api", ...).
	Service string
	// Operation is the JSON protocols' X-Amz-Target operation (e.g. "TransactWriteItems"), or
	// "METHOD /path" for REST protocols.
	Operation string
}

func callOf(r *http.Request) (Call, bool) {
	m := credentialScope.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil {
		return Call{}, false
	}
	c := Call{AccessKey: m[1], Service: m[2], Operation: r.Method + " " + r.URL.Path}
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		c.Operation = t[strings.LastIndexByte(t, '.')+1:]
	}
	return c, true
}

// injected answers r with a fault if one applies; the request body stays readable either way.
func (e *Edge) injected(w http.ResponseWriter, r *http.Request) bool {
	e.faults.mu.Lock()
	none := len(e.faults.list) == 0
	e.faults.mu.Unlock()
	if none {
		return false
	}
	call, ok := callOf(r)
	if !ok {
		return false
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		return false
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	e.faults.mu.Lock()
	var hit *Fault
	for i, f := range e.faults.list {
		if f.Service != call.Service || (f.Match != nil && !f.Match(r, body)) {
			continue
		}
		f.seen++
		if (f.Nth > 0 && f.seen != uint64(f.Nth)) || (f.Rate > 0 && faultspec.Chance(f.Seed, 0, f.seen) >= f.Rate) {
			continue
		}
		hit = f
		if f.Times > 0 {
			if f.Times--; f.Times == 0 {
				e.faults.list = append(e.faults.list[:i], e.faults.list[i+1:]...)
			}
		}
		break
	}
	e.faults.mu.Unlock()
	if hit == nil {
		return false
	}
	if hit.OnInject != nil {
		hit.OnInject()
	}
	e.logger.Warn("edge: injected fault", "service", hit.Service, "code", hit.Code, "path", r.URL.Path)
	writeAWSError(w, hit.Status, hit.Code, hit.Message)
	return true
}
