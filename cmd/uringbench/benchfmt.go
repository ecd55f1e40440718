package main

// -benchfmt: the phases in Go's benchmark format, for benchstat.

import (
	"fmt"
	"io"
	"strings"
	"unicode"
)

// writeBenchfmt prints r in the format of go test -bench (see
// golang.org/x/perf/benchfmt): configuration lines, then one result line
// per phase that succeeded, so that each round is one sample of its row:
//
//	BenchmarkRandreadDirect/g=32/uring 123456 8103 ns/op 123400 ops/s 2950 cpu-ns/op ...
//
// The name is the workload in camel case, the goroutine count and the
// engine; the iteration count is the phase's ops. Two runs, of two builds
// or on two machines, compare with benchstat old.txt new.txt; the engines
// of one run compare with benchstat -col /engine.
func writeBenchfmt(w io.Writer, r *report) {
	m := r.Machine
	fmt.Fprintf(w, "goos: %s\ngoarch: %s\npkg: github.com/uringfs/uring/cmd/uringbench\n", m.GOOS, m.GOARCH)
	for _, kv := range [][2]string{{"kernel", m.Kernel}, {"fs", m.FS}, {"o-direct", m.Direct}, {"uring-backend", m.Backend}} {
		if kv[1] != "" {
			fmt.Fprintf(w, "%s: %s\n", kv[0], configValue(kv[1]))
		}
	}
	fmt.Fprintf(w, "cpus: %d\ngomaxprocs: %d\n", m.NumCPU, m.GOMAXPROCS)
	for _, p := range r.Phases {
		if p.Err != "" || p.Ops <= 0 || p.Elapsed <= 0 {
			continue
		}
		fmt.Fprint(w, benchLine(p), "\n")
	}
}

// benchLine is the result line of one phase.
func benchLine(p phaseResult) string {
	ops := float64(p.Ops)
	var b strings.Builder
	fmt.Fprintf(&b, "Benchmark%s/g=%d/%s %d", benchName(p.Workload), p.Goroutines, p.Engine, p.Ops)
	unit := func(v float64, u string) {
		// Whole numbers from 100 up; three significant digits below.
		if v >= 100 {
			fmt.Fprintf(&b, " %.0f %s", v, u)
		} else {
			fmt.Fprintf(&b, " %.3g %s", v, u)
		}
	}
	unit(float64(p.Elapsed.Nanoseconds())/ops, "ns/op")
	unit(ops/p.Elapsed.Seconds(), "ops/s")
	if p.Bytes > 0 {
		unit(float64(p.Bytes)/1e6/p.Elapsed.Seconds(), "MB/s")
	}
	if p.CPU >= 0 {
		unit(float64(p.CPU.Nanoseconds())/ops, "cpu-ns/op")
	}
	if p.LatSamples > 0 {
		unit(float64(p.LatP50.Nanoseconds()), "p50-ns")
		unit(float64(p.LatP99.Nanoseconds()), "p99-ns")
		unit(float64(p.LatP999.Nanoseconds()), "p999-ns")
	}
	if p.Threads >= 0 {
		unit(float64(p.Threads), "threads")
	}
	if p.CachedPeak != nil {
		unit(*p.CachedPeak, "cached-peak-pct")
	}
	return b.String()
}

// benchName turns a workload name into the camel case of a benchmark
// name: randread-direct is RandreadDirect. An op of a group is a named part
// of the name, so that benchstat can put the ops in rows: stat/lstat is
// Stat/op=lstat.
func benchName(workload string) string {
	if group, op, ok := strings.Cut(workload, "/"); ok {
		return benchName(group) + "/op=" + op
	}
	var b strings.Builder
	up := true
	for _, r := range workload {
		if r == '-' || r == '_' || unicode.IsSpace(r) {
			up = true
			continue
		}
		if up {
			r = unicode.ToUpper(r)
			up = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// configValue keeps a configuration value on its line.
func configValue(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
