// Package benchreport measures Orion's performance and cost drivers and writes docs/benchmarks.md
// (issue 10): binary sizes, cold starts beside a hello-world function, the repository's Go
// benchmarks, the work each order causes per path (AWS calls, invocations, billed time, state
// transitions, events, emails, WebSocket posts, DynamoDB request units), local throughput and a
// hot-SKU flash sale. Every figure is a median of repeated runs and every comparison is taken in the
// same run. Loads are bounded and on loopback only; a run stops by itself.
package benchreport

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/orion-oss/orion/infra/engine/localaws"
)

// Options choose what to measure and how much.
type Options struct {
	Root     string // the repository
	Template string // template.yaml
	// Endpoint is the AWS emulator to use; empty starts a private moto_server.
	Endpoint string
	Out      string // docs/benchmarks.md
	// Sections to run: sizes, cold, gobench, work, load, hot (all when empty).
	Sections []string

	ColdRuns       int           // cold starts per function (20)
	BenchCount     int           // go test -count (5)
	BenchTime      string        // go test -benchtime ("" = Go's 1s)
	Orders         int           // orders per path for the work per order (10)
	LoadFor        time.Duration // each throughput level (20s)
	Concurrency    []int         // throughput levels (1, 4, 16)
	HotOrders      int           // flash-sale orders (500)
	HotStock       int           // flash-sale stock (100)
	HotConcurrency int           // flash-sale client concurrency (50)
	Command        string        // the command line that produced the report, for the reproduce section
	Logf           func(format string, args ...any)
}

// Report is everything one run measured.
type Report struct {
	Started, Finished time.Time
	Machine           Machine
	Binaries          []Binary
	ColdStarts        []ColdStart
	GoBenches         []GoBench
	BenchPackages     []string
	BenchCommand      string
	Work              []PathWork
	Throughput        []Throughput
	Hot               *HotSKU
	HotModel          *HotModel // the sale on AWS, modelled (hotmodel.go)
	Opts              Options
	Notes             []string
}

// Machine is where the figures were taken.
type Machine struct {
	CPU, OS, Go, Emulator string
	Cores                 int
}

func (o *Options) defaults() {
	if o.Root == "" {
		o.Root = "."
	}
	if o.Template == "" {
		o.Template = filepath.Join(o.Root, "template.yaml")
	}
	if o.ColdRuns <= 0 {
		o.ColdRuns = 20
	}
	if o.BenchCount <= 0 {
		o.BenchCount = 5
	}
	if o.Orders <= 0 {
		o.Orders = 10
	}
	if o.LoadFor <= 0 {
		o.LoadFor = 20 * time.Second
	}
	if len(o.Concurrency) == 0 {
		o.Concurrency = []int{1, 4, 16}
	}
	if o.HotOrders <= 0 {
		o.HotOrders = 500
	}
	if o.HotStock <= 0 {
		o.HotStock = 100
	}
	if o.HotConcurrency <= 0 {
		o.HotConcurrency = 50
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
}

func (o Options) want(section string) bool {
	if len(o.Sections) == 0 {
		return true
	}
	for _, s := range o.Sections {
		if s == section {
			return true
		}
	}
	return false
}

// Run measures what opts ask for.
func Run(ctx context.Context, opts Options) (*Report, error) {
	opts.defaults()
	r := &Report{Started: time.Now(), Opts: opts}
	logf := opts.Logf

	ep, err := endpoint(ctx, opts)
	if err != nil {
		return nil, err
	}
	defer ep.Close()
	r.Machine = machine(ctx, opts.Root, ep)

	bins, err := functionPackages(opts.Root)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "orion-bench")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	logf("building %d functions for linux/arm64 and for this host", len(bins))
	if err := buildAll(ctx, opts.Root, dir, bins); err != nil {
		return nil, err
	}
	r.Binaries = bins

	if opts.want("cold") {
		env, err := functionEnv(opts.Template)
		if err != nil {
			return nil, err
		}
		if r.ColdStarts, err = measureColdStarts(ctx, bins, env, opts.ColdRuns, logf); err != nil {
			return nil, err
		}
	}
	if opts.want("gobench") {
		if r.BenchPackages, err = benchPackages(opts.Root); err != nil {
			return nil, err
		}
		var berr error
		r.GoBenches, r.BenchCommand, berr = runGoBench(ctx, opts.Root, r.BenchPackages, opts.BenchCount, opts.BenchTime, []string{"AWS_ENDPOINT_URL=" + ep.URL}, logf)
		if berr != nil {
			r.Notes = append(r.Notes, "go test -bench failed; the table holds what it measured before failing: "+firstLine(berr.Error()))
			logf("%v", berr)
		}
	}
	if opts.want("work") || opts.want("load") || opts.want("hot") {
		logf("starting the local stack from %s", opts.Template)
		s, err := startSystem(ctx, opts.Template, filepath.Join(dir, "host"), ep.URL)
		if err != nil {
			return nil, fmt.Errorf("benchreport: start the stack: %w", err)
		}
		defer s.Close()
		if opts.want("work") {
			if r.Work, err = measureWork(ctx, s, opts.Orders, logf); err != nil {
				return nil, err
			}
		}
		if opts.want("load") {
			for _, c := range opts.Concurrency {
				t, err := measureThroughput(ctx, s, c, opts.LoadFor, logf)
				r.Throughput = append(r.Throughput, t)
				if err != nil {
					r.Notes = append(r.Notes, fmt.Sprintf("throughput at concurrency %d stopped early: %v", c, err))
				}
			}
		}
		if opts.want("hot") {
			h, err := measureHotSKU(ctx, s, opts.HotOrders, opts.HotStock, opts.HotConcurrency, logf)
			r.Hot = &h
			if err != nil {
				r.Notes = append(r.Notes, fmt.Sprintf("hot SKU stopped early: %v", err))
			}
		}
	}
	if opts.want("hot") {
		m, err := modelHotSKU(logf)
		r.HotModel = m
		if err != nil {
			r.Notes = append(r.Notes, fmt.Sprintf("hot SKU model: %v", err))
		}
	}
	r.Finished = time.Now()
	return r, nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// endpoint is the emulator: Options.Endpoint if set, else a private moto_server for this run. A shared
// emulator (make test's on 127.0.0.1:4566) is not used by default: other stacks' tables, buses and
// streams in it would feed this run's functions and load the emulator being measured.
func endpoint(ctx context.Context, opts Options) (*localaws.Endpoint, error) {
	if opts.Endpoint != "" {
		ep := &localaws.Endpoint{URL: strings.TrimRight(opts.Endpoint, "/")}
		if kind, err := localaws.Probe(ctx, strings.TrimPrefix(ep.URL, "http://")); err == nil {
			ep.Kind = kind
		}
		return ep, nil
	}
	start, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	opts.Logf("starting a private moto_server")
	return localaws.StartMoto(start, "127.0.0.1:0")
}

func machine(ctx context.Context, root string, ep *localaws.Endpoint) Machine {
	m := Machine{Cores: runtime.NumCPU(), OS: runtime.GOOS + "/" + runtime.GOARCH}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if out, err := exec.CommandContext(ctx, "go", "version").Output(); err == nil {
		m.Go = strings.TrimSpace(string(out))
	}
	m.Emulator = string(ep.Kind)
	if out, err := exec.CommandContext(ctx, "python3", "-c", "import moto; print(moto.__version__)").Output(); err == nil {
		m.Emulator = strings.TrimSpace(fmt.Sprintf("%s (python moto %s)", ep.Kind, strings.TrimSpace(string(out))))
	}
	if ep.DynamoDB != "" {
		m.Emulator += ", DynamoDB and its streams on " + ep.DynamoDB
	}
	return m
}
