// Package faults describes the faults the local runtime injects (ORION_FAULTS, docs/faults.md) and
// decides, reproducibly, which calls they strike. The runtime's parts ask an Injector at their own
// hook points (the Lambda host, the event bus, the WebSocket gateway, the AWS endpoint); a nil
// Injector strikes nothing, so a runtime without faults pays one nil check per call.
//
// Decisions are reproducible: for a given seed, whether the k-th call a rule sees is struck depends only
// on the seed, the rule's position and k (a hash, not a shared random stream), so concurrent rules do
// not perturb each other. Which request is the k-th still depends on scheduling, as it does on AWS.
package faults

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"
)

// Kind is what a fault does.
type Kind string

const (
	// Crash lets a function's handler finish (its side effects happen), then kills the instance before
	// the answer leaves: the caller sees Runtime.ExitError and retries into work already done.
	Crash Kind = "crash"
	// Timeout kills a function at a point of its run (Delay into it, or when it answers, whichever is
	// first) and reports Sandbox.Timedout, at once rather than after the configured timeout.
	Timeout Kind = "timeout"
	// Throttle answers an AWS call (DynamoDB by default) with 400 ThrottlingException or
	// ProvisionedThroughputExceededException, alternately; the SDK backs off and retries.
	Throttle Kind = "throttle"
	// ServerError answers an AWS call (DynamoDB by default) with 500 InternalServerError.
	ServerError Kind = "server-error"
	// Duplicate makes the event bus deliver an event to a rule target twice.
	Duplicate Kind = "duplicate"
	// Delay holds a delivery of the event bus back by a random time up to Delay, so later events
	// overtake it: out-of-order delivery.
	Delay Kind = "delay"
	// Drop closes a WebSocket client's connection abruptly (no close frame: the client sees 1006) when
	// the server is about to push to it; the push answers 410 GoneException.
	Drop Kind = "ws-drop"
	// SES fails an SES call (400 SendingPausedException by default; the SDK does not retry it).
	SES Kind = "ses"
)

// Kinds lists every kind, in the order summaries print them.
var Kinds = []Kind{Crash, Timeout, Throttle, ServerError, Duplicate, Delay, Drop, SES}

// Rule is one fault: what, where, how often.
type Rule struct {
	Kind Kind `yaml:"kind" json:"kind"`
	// Target narrows the rule: a function name for crash and timeout ("reserve-stock" matches
	// orion-dev-reserve-stock), a rule name for duplicate and delay, the AWS service signing name for
	// throttle and server-error (default dynamodb). Globs (*) and comma-separated lists; empty: all.
	Target string `yaml:"target" json:"target"`
	// Match narrows the rule to requests whose body contains this text (an address, a table name).
	Match string `yaml:"match" json:"match"`
	// Rate is the fraction of matching calls struck (default 1); Nth strikes only the Nth matching call.
	Rate float64 `yaml:"rate" json:"rate"`
	Nth  int     `yaml:"nth" json:"nth"`
	// Permanent strikes the same request every time it is made (a rate then picks requests, by
	// content). Otherwise a fault is transient: it never strikes the same request twice, so retries
	// get through, as they do on AWS.
	Permanent bool `yaml:"permanent" json:"permanent"`
	// Max bounds how many times the rule strikes (0: no bound).
	Max int `yaml:"max" json:"max"`
	// Delay is the longest hold of a delay fault (default 2s) and the latest kill of a timeout fault
	// (default 200ms).
	Delay Duration `yaml:"delay" json:"delay"`
	// Status and Code override the AWS error of throttle, server-error and ses faults.
	Status int    `yaml:"status" json:"status"`
	Code   string `yaml:"code" json:"code"`
}

// Spec is a whole fault configuration.
type Spec struct {
	Seed  uint64 `yaml:"seed" json:"seed"`
	Rules []Rule `yaml:"faults" json:"faults"`
}

// Duration reads "250ms", "2s" in YAML and inline specs.
type Duration time.Duration

func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("faults: line %d: %w", n.Line, err)
	}
	*d = Duration(v)
	return nil
}

// EnvVar is the switch `make dev` and the soak read.
const EnvVar = "ORION_FAULTS"

// FromEnv builds the injector ORION_FAULTS describes; nil when it is unset.
func FromEnv() (*Injector, error) {
	v := strings.TrimSpace(os.Getenv(EnvVar))
	if v == "" {
		return nil, nil
	}
	spec, err := Load(v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvVar, err)
	}
	return New(spec)
}

// Load reads a spec from a YAML (or JSON) file when v names one, else parses v as an inline spec.
func Load(v string) (Spec, error) {
	if b, err := os.ReadFile(v); err == nil {
		var s Spec
		if err := yaml.Unmarshal(b, &s); err != nil {
			return Spec{}, fmt.Errorf("faults: %s: %w", v, err)
		}
		return s, nil
	} else if strings.HasSuffix(v, ".yaml") || strings.HasSuffix(v, ".yml") || strings.HasSuffix(v, ".json") {
		return Spec{}, fmt.Errorf("faults: %w", err)
	}
	return Parse(v)
}

// Parse reads the inline form: rules separated by ";", each a kind followed by key=value fields, and
// an optional "seed=N":
//
//	seed=7; crash rate=0.05; throttle rate=0.1 target=dynamodb; ses match=bounce@ permanent=true
func Parse(s string) (Spec, error) {
	var spec Spec
	for part := range strings.SplitSeq(s, ";") {
		fields := strings.Fields(part)
		if len(fields) == 0 {
			continue
		}
		if v, ok := strings.CutPrefix(fields[0], "seed="); ok && len(fields) == 1 {
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return Spec{}, fmt.Errorf("faults: seed %q is not a number", v)
			}
			spec.Seed = n
			continue
		}
		r := Rule{Kind: Kind(fields[0])}
		for _, f := range fields[1:] {
			k, v, ok := strings.Cut(f, "=")
			if !ok {
				return Spec{}, fmt.Errorf("faults: %q in %q is not key=value", f, strings.TrimSpace(part))
			}
			var err error
			switch k {
			case "target":
				r.Target = v
			case "match":
				r.Match = v
			case "rate":
				r.Rate, err = strconv.ParseFloat(v, 64)
			case "nth":
				r.Nth, err = strconv.Atoi(v)
			case "max":
				r.Max, err = strconv.Atoi(v)
			case "permanent":
				r.Permanent, err = strconv.ParseBool(v)
			case "delay":
				var d time.Duration
				d, err = time.ParseDuration(v)
				r.Delay = Duration(d)
			case "status":
				r.Status, err = strconv.Atoi(v)
			case "code":
				r.Code = v
			default:
				return Spec{}, fmt.Errorf("faults: unknown field %q (target, match, rate, nth, max, permanent, delay, status, code)", k)
			}
			if err != nil {
				return Spec{}, fmt.Errorf("faults: %s=%s: %w", k, v, err)
			}
		}
		spec.Rules = append(spec.Rules, r)
	}
	return spec, nil
}

// Validate checks kinds and numbers.
func (s Spec) Validate() error {
	var errs []error
	for i, r := range s.Rules {
		known := false
		for _, k := range Kinds {
			known = known || r.Kind == k
		}
		switch {
		case !known:
			errs = append(errs, fmt.Errorf("faults: rule %d: unknown kind %q (one of %v)", i+1, r.Kind, Kinds))
		case r.Rate < 0 || r.Rate > 1:
			errs = append(errs, fmt.Errorf("faults: rule %d (%s): rate %v is not between 0 and 1", i+1, r.Kind, r.Rate))
		case r.Nth < 0 || r.Max < 0 || r.Delay < 0:
			errs = append(errs, fmt.Errorf("faults: rule %d (%s): nth, max and delay cannot be negative", i+1, r.Kind))
		case r.Nth > 0 && r.Permanent:
			errs = append(errs, fmt.Errorf("faults: rule %d (%s): nth strikes one call; it cannot be permanent", i+1, r.Kind))
		}
	}
	return errors.Join(errs...)
}

// Has reports whether the spec has a rule of any of the kinds, so the runtime installs only the hooks
// it needs.
func (s Spec) Has(kinds ...Kind) bool {
	for _, r := range s.Rules {
		for _, k := range kinds {
			if r.Kind == k {
				return true
			}
		}
	}
	return false
}

// Injector decides which calls faults strike and counts what it injected.
type Injector struct {
	spec Spec

	mu     sync.Mutex
	off    bool
	seen   []uint64              // matching calls per rule
	struck []int                 // strikes per rule
	once   []map[uint64]struct{} // requests a transient rule struck
	counts map[Kind]int
	perm   map[Kind]int
}

// New checks a spec and returns its injector.
func New(spec Spec) (*Injector, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	n := len(spec.Rules)
	in := &Injector{spec: spec, seen: make([]uint64, n), struck: make([]int, n), once: make([]map[uint64]struct{}, n),
		counts: map[Kind]int{}, perm: map[Kind]int{}}
	for i := range in.once {
		in.once[i] = map[uint64]struct{}{}
	}
	return in, nil
}

// Spec returns the injector's spec.
func (in *Injector) Spec() Spec {
	if in == nil {
		return Spec{}
	}
	return in.spec
}

// Has reports whether the injector has rules of any of the kinds; false for nil.
func (in *Injector) Has(kinds ...Kind) bool { return in != nil && in.spec.Has(kinds...) }

// Strike decides whether a fault of the kind strikes this call of target with this request body, and
// returns the rule that struck. It is safe for concurrent use; a nil injector never strikes.
func (in *Injector) Strike(kind Kind, target string, request []byte) (Rule, bool) {
	if in == nil {
		return Rule{}, false
	}
	var h uint64
	hashed := false
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.off {
		return Rule{}, false
	}
	for i, r := range in.spec.Rules {
		if r.Kind != kind {
			continue
		}
		if r, hit := in.strike(i, target, request, &h, &hashed); hit {
			return r, true
		}
	}
	return Rule{}, false
}

// StrikeRule is Strike for one rule, by its position in the spec (for hooks that install one fault
// per rule, like the AWS endpoint's).
func (in *Injector) StrikeRule(i int, target string, request []byte) (Rule, bool) {
	if in == nil || i < 0 || i >= len(in.spec.Rules) {
		return Rule{}, false
	}
	var h uint64
	hashed := false
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.off {
		return Rule{}, false
	}
	return in.strike(i, target, request, &h, &hashed)
}

// strike decides for rule i; callers hold in.mu. The request hash is computed once per call.
func (in *Injector) strike(i int, target string, request []byte, h *uint64, hashed *bool) (Rule, bool) {
	r := in.spec.Rules[i]
	kind := r.Kind
	if !Targets(r.Target, defaultTarget(kind), target) || (r.Match != "" && !strings.Contains(string(request), r.Match)) {
		return Rule{}, false
	}
	if r.Max > 0 && in.struck[i] >= r.Max {
		return Rule{}, false
	}
	in.seen[i]++
	k := in.seen[i]
	if !*hashed {
		*h, *hashed = requestHash(target, request), true
	}
	rate := r.Rate
	if rate == 0 {
		rate = 1
	}
	var hit bool
	switch {
	case r.Nth > 0:
		hit = k == uint64(r.Nth)
	case r.Permanent:
		hit = Chance(in.spec.Seed, uint64(i), *h) < rate
	default:
		_, before := in.once[i][*h]
		hit = !before && Chance(in.spec.Seed, uint64(i), k) < rate
	}
	if !hit {
		return Rule{}, false
	}
	if !r.Permanent {
		in.once[i][*h] = struct{}{}
	} else {
		in.perm[kind]++
	}
	in.struck[i]++
	in.counts[kind]++
	if r.Kind == Delay || r.Kind == Timeout {
		// The amount is drawn from the same hash, so it is as reproducible as the decision.
		max := time.Duration(r.Delay)
		if max == 0 {
			max = 2 * time.Second
			if r.Kind == Timeout {
				max = 200 * time.Millisecond
			}
		}
		r.Delay = Duration(time.Duration(Chance(in.spec.Seed, uint64(i)+1<<32, k) * float64(max)))
	}
	return r, true
}

// DefaultTarget is the target a rule of the kind has without one: dynamodb for throttle and
// server-error, ses for ses, everything otherwise.
func DefaultTarget(k Kind) string { return defaultTarget(k) }

func defaultTarget(k Kind) string {
	switch k {
	case Throttle, ServerError:
		return "dynamodb"
	case SES:
		return "ses"
	}
	return ""
}

// Targets reports whether a rule's target pattern (or, when empty, the kind's default) names target:
// a glob, a comma-separated list of them, or a suffix after "-" (reserve-stock names
// orion-dev-reserve-stock).
func Targets(pattern, def, target string) bool {
	if pattern == "" {
		pattern = def
	}
	if pattern == "" || pattern == "*" {
		return true
	}
	for p := range strings.SplitSeq(pattern, ",") {
		p = strings.TrimSpace(p)
		if ok, _ := path.Match(p, target); ok || strings.HasSuffix(target, "-"+p) {
			return true
		}
	}
	return false
}

// Stop ends every injection (before a redrive, or to check recovery); counts are kept.
func (in *Injector) Stop() {
	if in == nil {
		return
	}
	in.mu.Lock()
	in.off = true
	in.mu.Unlock()
}

// Counts returns how many faults were injected, by kind.
func (in *Injector) Counts() map[Kind]int {
	if in == nil {
		return map[Kind]int{}
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	return maps.Clone(in.counts)
}

// Permanent returns how many of the injected faults were permanent ones, by kind.
func (in *Injector) Permanent() map[Kind]int {
	if in == nil {
		return map[Kind]int{}
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	return maps.Clone(in.perm)
}

// Chance maps (seed, stream, n) to a number in [0, 1), uniformly (SplitMix64).
func Chance(seed, stream, n uint64) float64 {
	x := seed ^ (stream+1)*0x9e3779b97f4a7c15 ^ n*0xbf58476d1ce4e5b9
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	x ^= x >> 31
	return float64(x>>11) / (1 << 53)
}

func requestHash(target string, body []byte) uint64 {
	h := fnv.New64a()
	h.Write([]byte(target))
	var sep [8]byte
	binary.LittleEndian.PutUint64(sep[:], uint64(len(body)))
	h.Write(sep[:])
	h.Write(body)
	return h.Sum64()
}
