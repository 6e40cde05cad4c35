// Command benchreport measures Orion's performance and cost drivers (issue 10) and writes
// docs/benchmarks.md and, priced from the same run's counts, docs/cost.md; `make bench` runs it. It starts a moto_server of its own (or uses -endpoint) and
// stops by itself.
//
//	go run ./infra/orion/cmd/benchreport                       # everything, writes docs/benchmarks.md
//	go run ./infra/orion/cmd/benchreport -sections sizes,cold  # some of it
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/orion-oss/orion/infra/orion/benchreport"
)

func main() {
	var o benchreport.Options
	var sections, levels, costOut string
	flag.StringVar(&o.Out, "out", "docs/benchmarks.md", "the report to write (- for stdout)")
	flag.StringVar(&costOut, "cost-out", "docs/cost.md", "the cost per million orders, priced from the run's work per order (empty: not written)")
	flag.StringVar(&o.Template, "template", "template.yaml", "the SAM template")
	flag.StringVar(&o.Endpoint, "endpoint", "", "an AWS emulator to use (default: a private moto_server, so that nothing else loads it)")
	flag.StringVar(&sections, "sections", "", "comma-separated: sizes, cold, gobench, work, load, hot (default all)")
	flag.IntVar(&o.ColdRuns, "cold-runs", 20, "cold starts per function")
	flag.IntVar(&o.BenchCount, "bench-count", 5, "go test -count for the Go benchmarks")
	flag.StringVar(&o.BenchTime, "benchtime", "", "go test -benchtime (default Go's 1s)")
	flag.IntVar(&o.Orders, "orders", 10, "orders per path for the work per order")
	flag.DurationVar(&o.LoadFor, "load-for", 20*time.Second, "duration of each throughput level")
	flag.StringVar(&levels, "concurrency", "1,4,16", "throughput levels: concurrent clients")
	flag.IntVar(&o.HotOrders, "hot-orders", 500, "flash-sale orders on one SKU")
	flag.IntVar(&o.HotStock, "hot-stock", 100, "flash-sale stock")
	flag.IntVar(&o.HotConcurrency, "hot-concurrency", 50, "flash-sale orders in flight at once (client side)")
	flag.Parse()
	if sections != "" {
		o.Sections = strings.Split(sections, ",")
	}
	for _, l := range strings.Split(levels, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(l)); err == nil && n > 0 {
			o.Concurrency = append(o.Concurrency, n)
		}
	}
	o.Command = "go run ./infra/orion/cmd/benchreport " + strings.Join(os.Args[1:], " ")
	o.Command = strings.TrimSpace(o.Command)
	start := time.Now()
	o.Logf = func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "benchreport %6.1fs  %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	r, err := benchreport.Run(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
	var buf bytes.Buffer
	r.Markdown(&buf)
	if o.Out == "-" {
		os.Stdout.Write(buf.Bytes())
		return
	}
	if err := os.WriteFile(o.Out, buf.Bytes(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
	fmt.Fprintln(os.Stderr, "benchreport: wrote", o.Out)
	// cost.md prices this run's counts, so it is written only by a run that measured them.
	if costOut == "" || len(r.Work) == 0 {
		return
	}
	memory, err := benchreport.FunctionMemory(o.Template)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
	buf.Reset()
	r.CostMarkdown(&buf, memory)
	if err := os.WriteFile(costOut, buf.Bytes(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
	fmt.Fprintln(os.Stderr, "benchreport: wrote", costOut)
}
