package states

import (
	"fmt"
	"sync"
	"testing"
)

// TestJSONataConcurrentEvaluations: Parallel branches and Map iterations evaluate the same
// expressions at once, with their own variables; each evaluation must see only its own, and under
// -race none may race (jsonata-go's shared callables; evalMu).
func TestJSONataConcurrentEvaluations(t *testing.T) {
	const src = `$exists($x) ? $x & '/' & $states.input.n : 'none/' & $states.input.n`
	var wg sync.WaitGroup
	errs := make(chan error, 800)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				n := float64(g*1000 + i)
				bind := map[string]any{"states": map[string]any{"input": map[string]any{"n": n}}}
				want := fmt.Sprintf("none/%d", int(n))
				if i%2 == 0 { // every other evaluation binds $x, the others must not see it
					bind["x"] = fmt.Sprintf("x%d%d", g, i)
					want = fmt.Sprintf("x%d%d/%d", g, i, int(n))
				}
				v, err := evalJSONata(src, "Output", bind)
				if err != nil || v != want {
					errs <- fmt.Errorf("goroutine %d, evaluation %d: %v, %v; want %s", g, i, v, err, want)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
