package faults

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestParseInline(t *testing.T) {
	s, err := Parse("seed=7; crash rate=0.05 target=reserve-stock,confirm-order; ses match=bounce@ permanent=true; delay rate=0.1 delay=500ms; throttle nth=3 code=ProvisionedThroughputExceededException")
	if err != nil {
		t.Fatal(err)
	}
	if s.Seed != 7 || len(s.Rules) != 4 {
		t.Fatalf("spec %+v", s)
	}
	if r := s.Rules[0]; r.Kind != Crash || r.Rate != 0.05 || r.Target != "reserve-stock,confirm-order" {
		t.Fatalf("crash rule %+v", r)
	}
	if r := s.Rules[1]; !r.Permanent || r.Match != "bounce@" {
		t.Fatalf("ses rule %+v", r)
	}
	if r := s.Rules[2]; time.Duration(r.Delay) != 500*time.Millisecond {
		t.Fatalf("delay rule %+v", r)
	}
	if r := s.Rules[3]; r.Nth != 3 || r.Code != "ProvisionedThroughputExceededException" {
		t.Fatalf("throttle rule %+v", r)
	}
	for _, bad := range []string{"crash rate=2", "explode", "crash rate", "crash colour=red", "seed=x", "ses nth=2 permanent=true"} {
		s, err := Parse(bad)
		if err == nil {
			_, err = New(s)
		}
		if err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestLoadFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "faults.yaml")
	os.WriteFile(p, []byte("seed: 3\nfaults:\n  - kind: timeout\n    target: \"*\"\n    rate: 0.1\n    delay: 50ms\n  - kind: ws-drop\n    nth: 2\n"), 0o600)
	s, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if s.Seed != 3 || len(s.Rules) != 2 || s.Rules[0].Kind != Timeout || time.Duration(s.Rules[0].Delay) != 50*time.Millisecond || s.Rules[1].Nth != 2 {
		t.Fatalf("spec %+v", s)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Fatal("a missing file was accepted")
	}
}

func TestNilInjectorStrikesNothing(t *testing.T) {
	var in *Injector
	if _, hit := in.Strike(Crash, "f", nil); hit || in.Has(Crash) || len(in.Counts()) != 0 {
		t.Fatal("a nil injector struck")
	}
	t.Setenv(EnvVar, "")
	if in, err := FromEnv(); in != nil || err != nil {
		t.Fatalf("FromEnv without the switch: %v %v", in, err)
	}
}

// strikes runs n distinct calls and returns which were struck.
func strikes(t *testing.T, spec string, kind Kind, target string, n int) []bool {
	t.Helper()
	s, err := Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	in, err := New(s)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]bool, n)
	for i := range out {
		_, out[i] = in.Strike(kind, target, []byte(fmt.Sprint("request ", i)))
	}
	return out
}

func TestRateIsReproducibleAndNearItsValue(t *testing.T) {
	a := strikes(t, "seed=11; crash rate=0.1", Crash, "orion-dev-reserve-stock", 5000)
	b := strikes(t, "seed=11; crash rate=0.1", Crash, "orion-dev-reserve-stock", 5000)
	c := strikes(t, "seed=12; crash rate=0.1", Crash, "orion-dev-reserve-stock", 5000)
	hits, same := 0, true
	for i := range a {
		if a[i] {
			hits++
		}
		same = same && a[i] == c[i]
		if a[i] != b[i] {
			t.Fatalf("call %d decided differently with the same seed", i)
		}
	}
	if hits < 400 || hits > 600 {
		t.Fatalf("%d of 5000 struck at rate 0.1", hits)
	}
	if same {
		t.Fatal("another seed struck the same calls")
	}
}

func TestNthAndTargetAndMax(t *testing.T) {
	got := strikes(t, "crash nth=3 target=reserve-stock", Crash, "orion-dev-reserve-stock", 6)
	if fmt.Sprint(got) != "[false false true false false false]" {
		t.Fatalf("nth=3 struck %v", got)
	}
	if got := strikes(t, "crash target=confirm-order", Crash, "orion-dev-reserve-stock", 3); got[0] || got[1] || got[2] {
		t.Fatal("a rule for another function struck")
	}
	if got := strikes(t, "throttle max=2", Throttle, "dynamodb", 5); fmt.Sprint(got) != "[true true false false false]" {
		t.Fatalf("max=2 struck %v", got)
	}
	if got := strikes(t, "throttle", Throttle, "ses", 2); got[0] {
		t.Fatal("throttle struck ses without naming it (its default target is dynamodb)")
	}
}

func TestTransientNeverStrikesTheSameRequestTwice(t *testing.T) {
	in, _ := New(Spec{Rules: []Rule{{Kind: Crash}}})
	if _, hit := in.Strike(Crash, "f", []byte("same")); !hit {
		t.Fatal("rate 1 did not strike")
	}
	if _, hit := in.Strike(Crash, "f", []byte("same")); hit {
		t.Fatal("a transient fault struck the retry of the same request")
	}
	if _, hit := in.Strike(Crash, "f", []byte("other")); !hit {
		t.Fatal("another request was not struck")
	}
}

func TestPermanentStrikesTheSameRequestEveryTime(t *testing.T) {
	in, _ := New(Spec{Seed: 1, Rules: []Rule{{Kind: SES, Match: "bounce@", Permanent: true}}})
	for range 3 {
		if _, hit := in.Strike(SES, "ses", []byte(`{"To":["bounce@example.com"]}`)); !hit {
			t.Fatal("a permanent fault let a retry through")
		}
	}
	if _, hit := in.Strike(SES, "ses", []byte(`{"To":["ok@example.com"]}`)); hit {
		t.Fatal("struck a request its match excludes")
	}
	if c, p := in.Counts()[SES], in.Permanent()[SES]; c != 3 || p != 3 {
		t.Fatalf("counts %d, permanent %d; want 3, 3", c, p)
	}
	in.Stop()
	if _, hit := in.Strike(SES, "ses", []byte(`{"To":["bounce@example.com"]}`)); hit {
		t.Fatal("struck after Stop")
	}
}

func TestDelayIsBounded(t *testing.T) {
	in, _ := New(Spec{Rules: []Rule{{Kind: Delay, Delay: Duration(300 * time.Millisecond)}}})
	var distinct = map[time.Duration]bool{}
	for i := range 50 {
		r, hit := in.Strike(Delay, "rule", []byte(fmt.Sprint(i)))
		if !hit || r.Delay < 0 || time.Duration(r.Delay) > 300*time.Millisecond {
			t.Fatalf("delay %v (hit %v)", time.Duration(r.Delay), hit)
		}
		distinct[time.Duration(r.Delay)] = true
	}
	if len(distinct) < 10 {
		t.Fatalf("only %d distinct delays in 50", len(distinct))
	}
}
