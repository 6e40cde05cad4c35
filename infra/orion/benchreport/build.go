package benchreport

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
)

// Lambda's build, as the Makefile's build-lambda: the flags AWS recommends for provided.al2023.
var buildFlags = []string{"-tags", "lambda.norpc", "-trimpath", "-ldflags", "-s -w"}

// Binary is one function built twice: for Lambda (linux/arm64, measured for size) and for this host
// (the same flags, run for the cold start).
type Binary struct {
	Name         string // the folder under functions/, or "hello-world"
	Package      string
	LambdaPath   string
	HostPath     string
	LambdaBytes  int64
	IsBaseline   bool
	BuildFailure string
}

// functionPackages lists ./functions/* with a main.go, plus the hello-world baseline.
func functionPackages(root string) ([]Binary, error) {
	mains, err := filepath.Glob(filepath.Join(root, "functions", "*", "main.go"))
	if err != nil {
		return nil, err
	}
	var out []Binary
	for _, m := range mains {
		name := filepath.Base(filepath.Dir(m))
		out = append(out, Binary{Name: name, Package: "./functions/" + name})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	out = append(out, Binary{Name: "hello-world", Package: "./infra/orion/benchreport/testdata/hello", IsBaseline: true})
	return out, nil
}

// buildAll builds every binary for linux/arm64 and for the host into dir, one build per CPU at a time.
func buildAll(ctx context.Context, root, dir string, bins []Binary) error {
	sem := make(chan struct{}, max(1, runtime.NumCPU()))
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []string
	for i := range bins {
		b := &bins[i]
		b.LambdaPath = filepath.Join(dir, "lambda", b.Name, "bootstrap")
		b.HostPath = filepath.Join(dir, "host", b.Name, "bootstrap")
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			for _, target := range []struct{ out, goarch string }{{b.LambdaPath, "arm64"}, {b.HostPath, runtime.GOARCH}} {
				args := append([]string{"build"}, buildFlags...)
				args = append(args, "-o", target.out, b.Package)
				cmd := exec.CommandContext(ctx, "go", args...)
				cmd.Dir = root
				cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+target.goarch)
				if out, err := cmd.CombinedOutput(); err != nil {
					mu.Lock()
					errs = append(errs, fmt.Sprintf("%s (%s): %v\n%s", b.Name, target.goarch, err, out))
					mu.Unlock()
					return
				}
			}
			if fi, err := os.Stat(b.LambdaPath); err == nil {
				b.LambdaBytes = fi.Size()
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		return fmt.Errorf("benchreport: build:\n%s", strings.Join(errs, "\n"))
	}
	return nil
}
