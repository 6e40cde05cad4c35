package benchreport

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// GoBench is one benchmark's median over -count runs.
type GoBench struct {
	Package, Name      string
	NsPerOp            float64
	BytesPerOp, Allocs float64
	Runs               int
}

// benchPackages finds the packages that declare Benchmark functions (by their _test.go files), without
// compiling every test package to ask it.
func benchPackages(root string) ([]string, error) {
	seen := map[string]bool{}
	decl := regexp.MustCompile(`(?m)^func Benchmark\w*\(b \*testing\.B\)`)
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "node_modules", "testdata", "build", ".aws-sam":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if decl.Match(b) {
			rel, _ := filepath.Rel(root, filepath.Dir(path))
			seen["./"+filepath.ToSlash(rel)] = true
		}
		return nil
	})
	var out []string
	for p := range seen {
		out = append(out, p)
	}
	sort.Strings(out)
	return out, err
}

// runGoBench runs `go test -run '^$' -bench . -benchmem -count N` over pkgs with env added, and
// returns each benchmark's medians.
func runGoBench(ctx context.Context, root string, pkgs []string, count int, benchtime string, env []string, logf func(string, ...any)) ([]GoBench, string, error) {
	args := []string{"test", "-run", "^$", "-bench", ".", "-benchmem", "-count", strconv.Itoa(count)}
	if benchtime != "" {
		args = append(args, "-benchtime", benchtime)
	}
	args = append(args, pkgs...)
	cmdline := "go " + strings.Join(quoteArgs(args), " ")
	logf("%s", cmdline)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	res := parseGoBench(out.String())
	if err != nil {
		return res, cmdline, fmt.Errorf("benchreport: %s: %v: %s\n%s", cmdline, err, failures(out.String()), tailOf(out.String(), 4000))
	}
	return res, cmdline, nil
}

var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+(\d+)\s+([\d.]+) ns/op(.*)$`)

// parseGoBench reads `go test -bench` output: "pkg: ..." lines name the package of the lines after them.
func parseGoBench(out string) []GoBench {
	type key struct{ pkg, name string }
	samples := map[key][][3]float64{}
	var order []key
	pkg := ""
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimPrefix(p, "github.com/orion-oss/orion/")
			continue
		}
		m := benchLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		ns, _ := strconv.ParseFloat(m[3], 64)
		var bytesOp, allocs float64
		fields := strings.Fields(m[4])
		for i := 1; i < len(fields); i++ {
			v, err := strconv.ParseFloat(fields[i-1], 64)
			if err != nil {
				continue
			}
			switch fields[i] {
			case "B/op":
				bytesOp = v
			case "allocs/op":
				allocs = v
			}
		}
		k := key{pkg, m[1]}
		if _, ok := samples[k]; !ok {
			order = append(order, k)
		}
		samples[k] = append(samples[k], [3]float64{ns, bytesOp, allocs})
	}
	var res []GoBench
	for _, k := range order {
		s := samples[k]
		col := func(i int) float64 {
			v := make([]float64, len(s))
			for j := range s {
				v[j] = s[j][i]
			}
			return median(v)
		}
		res = append(res, GoBench{Package: k.pkg, Name: k.name, NsPerOp: col(0), BytesPerOp: col(1), Allocs: col(2), Runs: len(s)})
	}
	return res
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func quoteArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if strings.ContainsAny(a, " ^$*") {
			a = "'" + a + "'"
		}
		out[i] = a
	}
	return out
}

// failures picks out of go test's output what says which package or benchmark failed and why (the
// tail alone shows only the last package's output).
func failures(out string) string {
	var lines []string
	for l := range strings.Lines(out) {
		if strings.HasPrefix(l, "--- FAIL") || strings.HasPrefix(l, "FAIL\t") || strings.HasPrefix(l, "panic:") ||
			strings.Contains(l, "_test.go:") || strings.HasPrefix(l, "# ") {
			lines = append(lines, strings.TrimRight(l, "\n"))
		}
	}
	if len(lines) == 0 {
		return "no failing package named in the output"
	}
	return strings.Join(lines, "; ")
}

func tailOf(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}
