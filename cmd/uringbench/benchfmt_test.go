package main

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// parseBenchLine reads a result line as golang.org/x/perf/benchfmt does:
// a name starting with Benchmark, an iteration count, then value-unit
// pairs. It returns the name and the values by unit.
func parseBenchLine(t *testing.T, line string) (string, map[string]float64) {
	t.Helper()
	f := strings.Fields(line)
	if len(f) < 4 || len(f)%2 != 0 || !strings.HasPrefix(f[0], "Benchmark") {
		t.Fatalf("not a benchmark result line: %q", line)
	}
	if n, err := strconv.Atoi(f[1]); err != nil || n <= 0 {
		t.Fatalf("%q: iterations %q", line, f[1])
	}
	vals := map[string]float64{}
	for i := 2; i < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			t.Fatalf("%q: value %q: %v", line, f[i], err)
		}
		if _, dup := vals[f[i+1]]; dup {
			t.Fatalf("%q: unit %s twice", line, f[i+1])
		}
		vals[f[i+1]] = v
	}
	return f[0], vals
}

func TestBenchLine(t *testing.T) {
	p := phaseResult{
		phaseSpec: phaseSpec{Workload: "randread-direct", Goroutines: 32, Engine: engineUring},
		Ops:       1000, Bytes: 1000 * 4096, Elapsed: 100 * time.Millisecond, CPU: 20 * time.Millisecond,
		LatSamples: 1000, LatP50: 90 * time.Microsecond, LatP99: 200 * time.Microsecond, LatP999: 300 * time.Microsecond,
		Threads: 3,
	}
	line := benchLine(p)
	want := "BenchmarkRandreadDirect/g=32/uring 1000 100000 ns/op 10000 ops/s 41 MB/s 20000 cpu-ns/op 90000 p50-ns 200000 p99-ns 300000 p999-ns 3 threads"
	if line != want {
		t.Errorf("benchLine:\n got %s\nwant %s", line, want)
	}
	parseBenchLine(t, line)
	// Unknown CPU, no latency (async workloads), threads not measured.
	p.CPU, p.LatSamples, p.Threads, p.Bytes = -1, 0, -1, 0
	p.Workload = "async-randread-direct"
	_, vals := parseBenchLine(t, benchLine(p))
	if len(vals) != 2 || vals["ns/op"] != 100000 || vals["ops/s"] != 10000 {
		t.Errorf("without CPU, latency and threads: %q", benchLine(p))
	}
	if got := benchName("async-randread-direct"); got != "AsyncRandreadDirect" {
		t.Errorf("benchName = %q", got)
	}
}

// TestBenchfmtRun: -benchfmt prints configuration lines and one result
// line per phase and round, as benchstat reads them.
func TestBenchfmtRun(t *testing.T) {
	out, _ := runTool(t, tiny(t.TempDir(), "-benchfmt", "-isolate=false", "-rounds", "2", "-workloads", "randread-hot,readfile")...)
	var names []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if k, v, ok := strings.Cut(line, ": "); ok && !strings.HasPrefix(line, "Benchmark") {
			if k == "" || strings.ContainsAny(k, " \t") || v == "" {
				t.Errorf("bad configuration line %q", line)
			}
			continue
		}
		name, vals := parseBenchLine(t, line)
		names = append(names, name)
		if vals["ns/op"] <= 0 || vals["ops/s"] <= 0 {
			t.Errorf("%q: no time or rate", line)
		}
	}
	// (2 hot counts + 1 readfile) x 3 engines x 2 rounds.
	if len(names) != 18 {
		t.Errorf("%d result lines, want 18:\n%s", len(names), out)
	}
	for _, want := range []string{"BenchmarkRandreadHot/g=2/uring", "BenchmarkRandreadHot/g=1/os", "BenchmarkReadfile/g=4/syscall"} {
		if slices.Index(names, want) < 0 {
			t.Errorf("no line for %s in\n%s", want, out)
		}
	}
	var stdout, stderr strings.Builder
	if code := run([]string{"-json", "-benchfmt"}, &stdout, &stderr); code != 2 {
		t.Errorf("-json -benchfmt: exit %d, want 2", code)
	}
}
