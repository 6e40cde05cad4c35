package benchreport

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"net"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// meter sits between the local runtime and the emulator. moto does not report ConsumedCapacity, so the
// meter computes DynamoDB's request units from the items themselves (see capacityRules), and it times
// every request the emulator serves: the emulator's busy time against the wall clock shows whether it is
// the bottleneck.
//
// In exact mode (the sequential work-per-order runs) it reads each written item before and after the
// write, straight from the emulator and outside the counts, because a write is billed on the larger of
// the two images, and because the two images tell which global secondary index entries the write
// changed (meter_gsi.go); otherwise a write's size is the last one the meter saw for that key, and the
// index writes are not counted.
type meter struct {
	upstream string
	client   *http.Client
	srv      *http.Server
	URL      string

	mu       sync.Mutex
	exact    bool
	keys     map[string][]string // table -> key attribute names
	gsis     map[string][]gsi    // table -> global secondary indexes (meter_gsi.go)
	sizes    map[string]int      // table + key -> last known item size
	usage    map[string]*usage   // caller (access key) -> usage
	errs     map[string]int      // "operation code" -> count (functions' requests only)
	keyWRU   map[string]float64  // table + key -> write request units (the hot item's load)
	inflight int
	busyFrom time.Time
	busy     time.Duration // time with at least one emulator request in flight
	ddbBusy  time.Duration // same, DynamoDB requests only (moto serialises them)
	ddbIn    int
	ddbFrom  time.Time
	requests int
	reqTime  time.Duration
}

// usage is one caller's DynamoDB consumption.
type usage struct {
	RRU, WRU       float64
	StreamReads    int // GetRecords calls (DynamoDB Streams read request units)
	FailedWrites   int // conditional failures and cancelled transactions (still consume capacity)
	ItemsWritten   int
	MaxItemBytes   int
	MaxItemByTable map[string]int
	// Reads counts read requests by what they read ("Query orders/ByCustomer"; readTarget), first pages
	// only: a read of the same table and index twice in one invocation is a redundant one.
	Reads map[string]int
	// GSIWRU: write request units of the tables' global secondary indexes (exact mode only), apart from
	// WRU, the tables' own; GSIWRUTransact is the part of it written by transactions (counted twice);
	// GSIWRUByIndex splits it by "table/index".
	GSIWRU, GSIWRUTransact float64
	GSIWRUByIndex          map[string]float64
}

func newMeter(upstream string) (*meter, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	m := &meter{upstream: strings.TrimRight(upstream, "/"), client: &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256}},
		URL: "http://" + ln.Addr().String(), keys: map[string][]string{}, gsis: map[string][]gsi{}, sizes: map[string]int{}, usage: map[string]*usage{}, errs: map[string]int{}, keyWRU: map[string]float64{}}
	m.srv = &http.Server{Handler: m, ReadHeaderTimeout: 10 * time.Second}
	go m.srv.Serve(ln)
	return m, nil
}

func (m *meter) Close() { m.srv.Close() }

func (m *meter) setExact(on bool) {
	m.mu.Lock()
	m.exact = on
	m.mu.Unlock()
}

var accessKey = regexp.MustCompile(`Credential=([^/]+)/[^/]+/[^/]+/([^/]+)/`)

func (m *meter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	target := r.Header.Get("X-Amz-Target")
	op := target[strings.LastIndexByte(target, '.')+1:]
	ddb := strings.HasPrefix(target, "DynamoDB_20120810.")
	caller := ""
	if a := accessKey.FindStringSubmatch(r.Header.Get("Authorization")); a != nil {
		caller = a[1]
	}
	m.mu.Lock()
	exact := m.exact
	m.mu.Unlock()
	var before map[string]map[string]any
	if ddb && exact && isWrite(op) {
		before = m.images(body, op)
	}

	// Long polls (SQS ReceiveMessage of the event source mappings and DLQ readers) wait by design and
	// would make the emulator look always busy: they are forwarded untimed.
	timed := !strings.HasSuffix(target, "ReceiveMessage") && !bytes.Contains(body, []byte("Action=ReceiveMessage"))
	if timed {
		m.begin(ddb)
	}
	start := time.Now()
	status, header, resp, err := m.forward(r, body)
	if timed {
		m.end(ddb, time.Since(start))
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	for k, v := range header {
		w.Header()[k] = v
	}
	w.WriteHeader(status)
	w.Write(resp)

	switch {
	case ddb:
		var after map[string]map[string]any
		if exact && isWrite(op) && status == http.StatusOK {
			after = m.images(body, op)
		}
		m.account(caller, op, body, resp, status, before, after)
	case strings.HasPrefix(target, "DynamoDBStreams_20120810.") && op == "GetRecords":
		m.mu.Lock()
		m.usageOf(caller).StreamReads++
		m.mu.Unlock()
	}
}

func (m *meter) begin(ddb bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.inflight == 0 {
		m.busyFrom = time.Now()
	}
	m.inflight++
	if ddb {
		if m.ddbIn == 0 {
			m.ddbFrom = time.Now()
		}
		m.ddbIn++
	}
}

func (m *meter) end(ddb bool, took time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.inflight--
	if m.inflight == 0 {
		m.busy += time.Since(m.busyFrom)
	}
	if ddb {
		m.ddbIn--
		if m.ddbIn == 0 {
			m.ddbBusy += time.Since(m.ddbFrom)
		}
	}
	m.requests++
	m.reqTime += took
}

// busyStats is the emulator's load so far: busy time (all requests, DynamoDB alone), requests and
// their summed latency.
type busyStats struct {
	Busy, DDBBusy, ReqTime time.Duration
	Requests               int
}

// stats counts a busy period still open as busy up to now: under steady load requests overlap without
// a gap, so the period that began before a measurement would otherwise be credited only after it ends
// (a saturated emulator read as 1% busy).
func (m *meter) stats() busyStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := busyStats{Busy: m.busy, DDBBusy: m.ddbBusy, ReqTime: m.reqTime, Requests: m.requests}
	if m.inflight > 0 {
		st.Busy += time.Since(m.busyFrom)
	}
	if m.ddbIn > 0 {
		st.DDBBusy += time.Since(m.ddbFrom)
	}
	return st
}

func (m *meter) forward(r *http.Request, body []byte) (int, http.Header, []byte, error) {
	req, err := http.NewRequestWithContext(r.Context(), r.Method, m.upstream+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header = r.Header.Clone()
	resp, err := m.client.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	resp.Header.Del("Content-Length")
	return resp.StatusCode, resp.Header, b, err
}

// raw calls the emulator's DynamoDB directly (outside the counts).
func (m *meter) raw(op string, in any) (map[string]any, error) {
	b, _ := json.Marshal(in)
	req, _ := http.NewRequest(http.MethodPost, m.upstream+"/", bytes.NewReader(b))
	req.Header.Set("X-Amz-Target", "DynamoDB_20120810."+op)
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=benchreport/20250101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0")
	// An Authorization header without a date is an IncompleteSignatureException to DynamoDB, and to
	// Dynoxide (moto let it pass): the meter's own reads of the images failed silently without it.
	req.Header.Set("X-Amz-Date", time.Now().UTC().Format("20060102T150405Z"))
	resp, err := m.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("dynamodb %s: %d %v", op, resp.StatusCode, out)
	}
	return out, nil
}

func (m *meter) keySchema(table string) []string {
	m.mu.Lock()
	k, ok := m.keys[table]
	m.mu.Unlock()
	if ok {
		return k
	}
	out, err := m.raw("DescribeTable", map[string]any{"TableName": table})
	if err != nil {
		return nil
	}
	t, _ := out["Table"].(map[string]any)
	ks, _ := t["KeySchema"].([]any)
	for _, e := range ks {
		if em, ok := e.(map[string]any); ok {
			k = append(k, fmt.Sprint(em["AttributeName"]))
		}
	}
	// The same description names the table's global secondary indexes: learnt once, with the key.
	ix := parseGSIs(t)
	m.mu.Lock()
	m.keys[table] = k
	m.gsis[table] = ix
	m.mu.Unlock()
	return k
}

// itemRef is one item a write touches.
type itemRef struct {
	table string
	key   map[string]any
	put   map[string]any // the new item of a Put
	kind  string         // Put, Update, Delete, ConditionCheck
}

func (r itemRef) id() string {
	b, _ := json.Marshal(r.key) // map keys marshal sorted
	return r.table + "|" + string(b)
}

func isWrite(op string) bool {
	switch op {
	case "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems":
		return true
	}
	return false
}

// writeRefs lists the items of a write request.
func (m *meter) writeRefs(op string, body []byte) []itemRef {
	var req map[string]any
	if json.Unmarshal(body, &req) != nil {
		return nil
	}
	keyOf := func(table string, item map[string]any) map[string]any {
		k := map[string]any{}
		for _, name := range m.keySchema(table) {
			k[name] = item[name]
		}
		return k
	}
	one := func(kind string, p map[string]any) itemRef {
		table, _ := p["TableName"].(string)
		r := itemRef{table: table, kind: kind}
		if item, ok := p["Item"].(map[string]any); ok {
			r.put, r.key = item, keyOf(table, item)
		} else {
			r.key, _ = p["Key"].(map[string]any)
		}
		return r
	}
	var out []itemRef
	switch op {
	case "PutItem":
		out = append(out, one("Put", req))
	case "UpdateItem":
		out = append(out, one("Update", req))
	case "DeleteItem":
		out = append(out, one("Delete", req))
	case "TransactWriteItems":
		items, _ := req["TransactItems"].([]any)
		for _, it := range items {
			im, _ := it.(map[string]any)
			for kind, p := range im {
				if pm, ok := p.(map[string]any); ok {
					out = append(out, one(kind, pm))
				}
			}
		}
	case "BatchWriteItem":
		ri, _ := req["RequestItems"].(map[string]any)
		for table, reqs := range ri {
			list, _ := reqs.([]any)
			for _, x := range list {
				xm, _ := x.(map[string]any)
				if p, ok := xm["PutRequest"].(map[string]any); ok {
					item, _ := p["Item"].(map[string]any)
					out = append(out, itemRef{table: table, kind: "Put", put: item, key: keyOf(table, item)})
				}
				if d, ok := xm["DeleteRequest"].(map[string]any); ok {
					k, _ := d["Key"].(map[string]any)
					out = append(out, itemRef{table: table, kind: "Delete", key: k})
				}
			}
		}
	}
	return out
}

// images reads the current image of every item a write touches (nil: absent; no entry: unread).
func (m *meter) images(body []byte, op string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, r := range m.writeRefs(op, body) {
		m.keySchema(r.table) // and its indexes, for the index writes
		got, err := m.raw("GetItem", map[string]any{"TableName": r.table, "Key": r.key, "ConsistentRead": true})
		if err != nil {
			continue
		}
		item, _ := got["Item"].(map[string]any)
		out[r.id()] = item
	}
	return out
}

func (m *meter) usageOf(caller string) *usage {
	if caller == "" {
		caller = "(unsigned)"
	}
	u := m.usage[caller]
	if u == nil {
		u = &usage{MaxItemByTable: map[string]int{}, Reads: map[string]int{}, GSIWRUByIndex: map[string]float64{}}
		m.usage[caller] = u
	}
	return u
}

// account adds one DynamoDB request's request units to its caller, by capacityRules.
func (m *meter) account(caller, op string, reqBody, respBody []byte, status int, before, after map[string]map[string]any) {
	var req, resp map[string]any
	_ = json.Unmarshal(reqBody, &req)
	_ = json.Unmarshal(respBody, &resp)
	var refs []itemRef
	if isWrite(op) {
		refs = m.writeRefs(op, reqBody)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	u := m.usageOf(caller)
	failed := status != http.StatusOK
	if failed {
		code, _ := resp["__type"].(string)
		m.errs[op+" "+code[strings.LastIndexByte(code, '#')+1:]]++
	}
	if t, ok := readTarget(op, req); ok {
		u.Reads[op+" "+t]++
	}
	consistent, _ := req["ConsistentRead"].(bool)
	readFactor := 0.5
	if consistent {
		readFactor = 1
	}
	seen := func(table string, item map[string]any) int {
		n := itemSize(item)
		if n > u.MaxItemByTable[table] {
			u.MaxItemByTable[table] = n
		}
		u.MaxItemBytes = max(u.MaxItemBytes, n)
		if keys := m.keys[table]; len(keys) > 0 {
			k := map[string]any{}
			for _, name := range keys {
				k[name] = item[name]
			}
			r := itemRef{table: table, key: k}
			m.sizes[r.id()] = max(m.sizes[r.id()], n)
		}
		return n
	}
	table, _ := req["TableName"].(string)
	switch op {
	case "GetItem":
		if failed {
			return
		}
		item, _ := resp["Item"].(map[string]any)
		u.RRU += readFactor * units(seen(table, item), 4096)
	case "BatchGetItem":
		if failed {
			return
		}
		ri, _ := req["RequestItems"].(map[string]any)
		rs, _ := resp["Responses"].(map[string]any)
		for t, spec := range ri {
			sm, _ := spec.(map[string]any)
			keys, _ := sm["Keys"].([]any)
			f := 0.5
			if c, _ := sm["ConsistentRead"].(bool); c {
				f = 1
			}
			items, _ := rs[t].([]any)
			for _, it := range items {
				im, _ := it.(map[string]any)
				u.RRU += f * units(seen(t, im), 4096)
			}
			if missing := len(keys) - len(items); missing > 0 {
				u.RRU += f * float64(missing)
			}
		}
	case "Query", "Scan":
		if failed {
			return
		}
		items, _ := resp["Items"].([]any)
		total := 0
		for _, it := range items {
			im, _ := it.(map[string]any)
			total += seen(table, im)
		}
		u.RRU += readFactor * units(total, 4096)
	case "TransactGetItems":
		if failed {
			return
		}
		rs, _ := resp["Responses"].([]any)
		for _, r := range rs {
			rm, _ := r.(map[string]any)
			im, _ := rm["Item"].(map[string]any)
			u.RRU += 2 * units(itemSize(im), 4096)
		}
	case "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems":
		factor := 1.0
		if op == "TransactWriteItems" {
			factor = 2
		}
		if failed {
			u.FailedWrites++
		}
		for _, r := range refs {
			id := r.id()
			size := m.sizes[id]
			b, readBefore := before[id]
			if readBefore {
				size = itemSize(b)
			}
			if r.put != nil {
				size = max(size, itemSize(r.put))
			}
			a, readAfter := after[id]
			if readAfter {
				size = max(size, itemSize(a))
			}
			if !failed {
				switch {
				case r.kind == "Delete":
					delete(m.sizes, id)
				case r.put != nil:
					m.sizes[id] = itemSize(r.put)
				case after != nil:
					m.sizes[id] = itemSize(after[id])
				}
				// A failed write changes no item and so no index entry; without both images (not
				// exact mode, or a read that failed) the index writes are unknown and left out.
				if readBefore && readAfter && r.kind != "ConditionCheck" {
					gsiFactor := 1.0
					if op == "TransactWriteItems" {
						gsiFactor = gsiTransactFactor
					}
					for ix, n := range m.gsiWrite(r.table, gsiFactor, b, a) {
						u.GSIWRU += n
						u.GSIWRUByIndex[ix] += n
						if op == "TransactWriteItems" {
							u.GSIWRUTransact += n
						}
					}
				}
				if r.kind != "ConditionCheck" {
					u.ItemsWritten++
				}
			}
			u.MaxItemByTable[r.table] = max(u.MaxItemByTable[r.table], size)
			u.MaxItemBytes = max(u.MaxItemBytes, size)
			u.WRU += factor * units(size, 1024)
			m.keyWRU[id] += factor * units(size, 1024)
		}
	}
}

// readTarget names what a read request reads: its tables (short names) and index, "orders" or
// "projections/Catalog"; ok is false for writes and for the continuation pages of a Query or Scan.
func readTarget(op string, req map[string]any) (string, bool) {
	var tables []string
	switch op {
	case "GetItem", "Query", "Scan":
		if _, more := req["ExclusiveStartKey"]; more {
			return "", false
		}
		t, _ := req["TableName"].(string)
		t = shortTable(t)
		if ix, _ := req["IndexName"].(string); ix != "" {
			t += "/" + ix
		}
		return t, true
	case "BatchGetItem":
		ri, _ := req["RequestItems"].(map[string]any)
		for t := range ri {
			tables = append(tables, shortTable(t))
		}
	case "TransactGetItems":
		items, _ := req["TransactItems"].([]any)
		for _, it := range items {
			get, _ := it.(map[string]any)["Get"].(map[string]any)
			if t, _ := get["TableName"].(string); t != "" && !slices.Contains(tables, shortTable(t)) {
				tables = append(tables, shortTable(t))
			}
		}
	default:
		return "", false
	}
	sort.Strings(tables)
	return strings.Join(tables, "+"), true
}

// units is DynamoDB's rounding: whole units of unit bytes, at least one.
func units(size, unit int) float64 {
	return math.Max(1, math.Ceil(float64(size)/float64(unit)))
}

// itemSize is DynamoDB's item size: each attribute's name plus its value
// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html).
func itemSize(item map[string]any) int {
	n := 0
	for name, v := range item {
		n += len(name) + valueSize(v)
	}
	return n
}

func valueSize(v any) int {
	av, _ := v.(map[string]any)
	for typ, x := range av {
		switch typ {
		case "S":
			s, _ := x.(string)
			return len(s)
		case "N":
			s, _ := x.(string)
			return numberSize(s)
		case "B":
			s, _ := x.(string)
			b, _ := base64.StdEncoding.DecodeString(s)
			return len(b)
		case "BOOL", "NULL":
			return 1
		case "SS", "NS", "BS":
			list, _ := x.([]any)
			n := 0
			for _, e := range list {
				s, _ := e.(string)
				switch typ {
				case "SS":
					n += len(s)
				case "NS":
					n += numberSize(s)
				default:
					b, _ := base64.StdEncoding.DecodeString(s)
					n += len(b)
				}
			}
			return n
		case "L":
			list, _ := x.([]any)
			n := 3
			for _, e := range list {
				n += 1 + valueSize(e)
			}
			return n
		case "M":
			mm, _ := x.(map[string]any)
			n := 3
			for k, e := range mm {
				n += 1 + len(k) + valueSize(e)
			}
			return n
		}
	}
	return 0
}

// numberSize: about one byte per two significant digits, plus one.
func numberSize(s string) int {
	digits := 0
	for _, c := range strings.TrimLeft(strings.TrimLeft(s, "-+"), "0.") {
		if c >= '0' && c <= '9' {
			digits++
		}
	}
	return (digits+1)/2 + 1
}

// snapshot copies the per-caller usage and the error counts.
func (m *meter) snapshot() (map[string]usage, map[string]int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u := make(map[string]usage, len(m.usage))
	for k, v := range m.usage {
		c := *v
		c.MaxItemByTable = maps.Clone(v.MaxItemByTable)
		c.Reads = maps.Clone(v.Reads)
		c.GSIWRUByIndex = maps.Clone(v.GSIWRUByIndex)
		u[k] = c
	}
	e := make(map[string]int, len(m.errs))
	for k, v := range m.errs {
		e[k] = v
	}
	return u, e
}

// hottest returns the item with the most write request units so far, and its units.
func (m *meter) hottest() (string, float64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	best, units := "", 0.0
	for id, u := range m.keyWRU {
		if u > units {
			best, units = id, u
		}
	}
	return best, units
}

// keyUnits sums the write request units of table's items whose key contains contains.
func (m *meter) keyUnits(table, contains string) float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := 0.0
	for id, u := range m.keyWRU {
		if strings.HasPrefix(id, table+"|") && strings.Contains(id, contains) {
			t += u
		}
	}
	return t
}
