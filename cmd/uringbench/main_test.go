package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/uringfs/uring/internal/testkit"
	"github.com/uringfs/uring/uringfs"
)

// TestMain lets the test binary stand in for the tool when it re-executes
// itself to run a phase in a child process, and for a fake fio.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == childFlag {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	if filepath.Base(os.Args[0]) == "fio" {
		os.Exit(fakeFio(os.Args[1:]))
	}
	// The test run, and only it, checks for leaks (see testkit.Run). The
	// in-process runs use the process-wide loop, which lives until exit by
	// design: asking for the backend starts it before the baseline, and
	// the rings it sets up later, as more Ps submit, are released by
	// Shutdown before the check.
	uringfs.Backend()
	testkit.Main(m, func() { uringfs.Shutdown() })
}

// tiny keeps the runs short; nothing here looks at timings.
func tiny(dir string, extra ...string) []string {
	return append([]string{
		"-dir", dir, "-duration", "50ms", "-size", "8MiB", "-hot-size", "1MiB", "-rounds", "1",
		"-goroutines", "1,4", "-hot-goroutines", "1,2", "-files", "20", "-readfile-goroutines", "4",
		"-cold-size", "2MiB", "-tree-files", "250",
	}, extra...)
}

func runTool(t *testing.T, args ...string) (stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	if code := run(args, &out, &errOut); code != 0 {
		t.Fatalf("run %q: exit %d\nstdout:\n%s\nstderr:\n%s", args, code, out.String(), errOut.String())
	}
	return out.String(), errOut.String()
}

// rowsOf returns the table rows (workload, goroutines, engine) of the output.
func rowsOf(table string) [][]string {
	var rows [][]string
	for _, line := range strings.Split(table, "\n") {
		f := strings.Fields(line)
		if len(f) >= 4 && slices.Contains(knownWorkloads(), f[0]) {
			rows = append(rows, f)
		}
	}
	return rows
}

func hasRow(rows [][]string, workload, gor, engine string) bool {
	for _, r := range rows {
		if r[0] == workload && r[1] == gor && r[2] == engine {
			return r[3] != "FAILED"
		}
	}
	return false
}

// directWorks says whether dir takes O_DIRECT, as the tool will find.
func directWorks(t *testing.T, dir string) bool {
	t.Helper()
	return probeDirect(dir, 4096) == nil
}

func TestAllWorkloadsTable(t *testing.T) {
	dir := t.TempDir()
	// In-process engines keep the test short; the syscall engine still
	// runs in child processes.
	out, errOut := runTool(t, tiny(dir, "-workloads", "all", "-isolate=false", "-goroutines", "4", "-hot-goroutines", "2")...)
	rows := rowsOf(out)
	direct := directWorks(t, dir)
	for _, e := range []string{engineOS, engineUring, engineSyscall} {
		for _, w := range []struct{ name, gor string }{
			{wRandReadHot, "2"}, {wSeqRead, "2"}, {wSeqWrite, "1"}, {wReadFile, "4"},
			{wRandReadDirect, "4"}, {wRandWriteDirect, "4"}, {wMixed, "4"},
			{wRandReadCold, "4"}, {"stat/stat", "1"}, {"stat/lstat", "1"}, {"stat/open-close", "1"},
			{"stat/read-small", "1"}, {"stat/readdirnames", "1"}, {wWalkAfero, "1"}, {wWalkFS, "1"},
		} {
			if needsDirect(w.name) && !direct {
				continue
			}
			if !hasRow(rows, w.name, w.gor, e) {
				t.Errorf("no result for %s g=%s %s in:\n%s", w.name, w.gor, e, out)
			}
		}
	}
	if !strings.Contains(out, "  p50  ") || !strings.Contains(out, "  p999  ") {
		t.Errorf("no latency columns in:\n%s", out)
	}
	// Fields 8-10 are p50, p99 and p999: workload, gor, engine, IOPS, vs
	// os, spread, MiB/s and ns/op come first. Rows from child processes
	// (syscall) carry them too.
	for _, r := range rows {
		async := r[0] == wAsyncRandRead || r[0] == wReadFiles
		if len(r) < 11 || async != (r[8] == "-") || async != (r[10] == "-") {
			t.Errorf("row %v: latency columns %v, want - only for the async workloads", r[:3], r[8:min(11, len(r))])
		}
	}
	// cached% is the last column, there for randread-cold alone.
	if !strings.Contains(out, "  others%  cached%\n") {
		t.Errorf("no cached%% column:\n%s", out)
	}
	for _, r := range rows {
		if last := r[len(r)-1]; (r[0] == wRandReadCold) == (last == "-") {
			t.Errorf("row %v: cached%% %q", r[:3], last)
		}
	}
	if !strings.Contains(out, "seqread: 1 MiB sequential Reads") || !strings.Contains(out, "from the page cache") {
		t.Errorf("seqread's note does not say where it reads from:\n%s", out)
	}
	if !direct && !strings.Contains(out, "O_DIRECT is unsupported") {
		t.Errorf("O_DIRECT refused but not said so:\n%s", out)
	}
	// stderr is not a terminal here: a line per phase, no live line.
	if strings.Contains(errOut, "\r") || !strings.Contains(errOut, "] round 1/1 ") {
		t.Errorf("want a progress line per phase and no carriage return on stderr: %q", errOut)
	}
	if ents, err := os.ReadDir(dir); err != nil || len(ents) != 0 {
		t.Errorf("test files left behind in %s: %v %v", dir, ents, err)
	}
}

// TestBufferedOnly runs as on a file system that refuses O_DIRECT.
func TestBufferedOnly(t *testing.T) {
	out, _ := runTool(t, tiny(t.TempDir(), "-direct=false", "-workloads", "randread-direct,randread-hot", "-engines", "os,uring", "-isolate=false")...)
	rows := rowsOf(out)
	for _, r := range rows {
		if r[0] == wRandReadDirect {
			t.Errorf("O_DIRECT workload ran with -direct=false: %v", r)
		}
	}
	if !hasRow(rows, wRandReadHot, "2", engineUring) || !hasRow(rows, wRandReadHot, "2", engineOS) {
		t.Errorf("buffered workload missing:\n%s", out)
	}
	if !strings.Contains(out, "O_DIRECT workloads skipped") {
		t.Errorf("skipping O_DIRECT not reported:\n%s", out)
	}
}

func TestJSONInProcess(t *testing.T) {
	out, _ := runTool(t, tiny(t.TempDir(), "-json", "-isolate=false", "-workloads", "randread-hot,readfile")...)
	var rep report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	if len(rep.Phases) != 3*3 { // (2 hot counts + 1 readfile) x 3 engines
		t.Errorf("got %d phases, want 9", len(rep.Phases))
	}
	for _, p := range rep.Phases {
		if p.Err != "" || p.Ops <= 0 || p.Elapsed <= 0 {
			t.Errorf("phase %s g=%d %s: ops %d elapsed %v err %q", p.Workload, p.Goroutines, p.Engine, p.Ops, p.Elapsed, p.Err)
		}
		switch p.Engine {
		case engineOS:
			if p.Loop != nil {
				t.Errorf("os phase has loop counters")
			}
		case engineSyscall:
			if p.Backend != "syscall" {
				t.Errorf("syscall engine ran on backend %q", p.Backend)
			}
		}
		// The loop may count an op a moment before the worker does, so
		// allow one op per goroutine at each edge of the window.
		if p.Loop != nil && p.Loop.Ops+p.Loop.NowaitHits+p.Loop.CachedReads+uint64(2*p.Goroutines) < uint64(p.Ops) {
			t.Errorf("%s %s: loop ran %d ops (%d more by RWF_NOWAIT, %d by cached pread), phase counted %d", p.Workload, p.Engine, p.Loop.Ops, p.Loop.NowaitHits, p.Loop.CachedReads, p.Ops)
		}
	}
	for _, s := range rep.Rows {
		if s.Engine == engineOS && s.RatioOS != 1 {
			t.Errorf("os ratio to itself is %v", s.RatioOS)
		}
	}
}

func TestFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-bs", "1000"}, {"-size", "lots"}, {"-workloads", "nope"}, {"-engines", "os,zig"},
		{"-goroutines", "0"}, {"-rounds", "0"}, {"stray"}, {"-fsync", "-1"},
		{"-cold-size", "0"}, {"-cold-size", "1000"}, {"-tree-files", "0"}, {"-workloads", "stat/chmod"},
	} {
		var out, errOut bytes.Buffer
		if code := run(args, &out, &errOut); code != 2 {
			t.Errorf("run %q: exit %d, want 2", args, code)
		}
	}
	for _, mix := range []string{"101", "-1", "seventy"} {
		var out, errOut bytes.Buffer
		code := run([]string{"-mix", mix}, &out, &errOut)
		if code != 2 || !strings.Contains(errOut.String(), "-mix") {
			t.Errorf("-mix %s: exit %d, stderr %q; want exit 2 and an error naming -mix", mix, code, errOut.String())
		}
	}
	for in, want := range map[string]int64{"4096": 4096, "4K": 4096, "4KiB": 4096, "256MiB": 256 << 20, "1g": 1 << 30, "8MB": 8 << 20} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
}

func TestFioSkippedOrRun(t *testing.T) {
	dir := t.TempDir()
	if !directWorks(t, dir) {
		t.Skip("O_DIRECT refused in", dir)
	}
	if fioPath() != "" {
		if b, _ := uringfs.Backend(); b != "uring" {
			t.Skip("fio's io_uring engine needs io_uring, and this process runs on the syscall backend")
		}
	}
	out, _ := runTool(t, tiny(dir, "-fio", "-workloads", "randread-direct,randwrite-direct,mixed,randread-cold", "-goroutines", "4", "-engines", "os,uring", "-isolate=false")...)
	if fioPath() == "" {
		if !strings.Contains(out, "fio: skipped (not found on PATH)") {
			t.Errorf("missing fio not reported:\n%s", out)
		}
		return
	}
	// The real fio: a row for each workload, and a vs fio column (field
	// 5) with a ratio on the uring rows. TestFakeFio checks the values.
	rows := rowsOf(out)
	for _, w := range fioWorkloads {
		if !hasRow(rows, w, "4", engineFio) {
			t.Errorf("no fio row for %s:\n%s", w, out)
		}
		for _, r := range rows {
			if r[0] == w && r[2] == engineUring && (len(r) < 6 || !strings.HasSuffix(r[5], "x")) {
				t.Errorf("%s uring row has no ratio to fio: %v", w, r)
			}
		}
	}
}

// TestFioSkippedForOtherWorkloads checks that -fio without any workload fio
// can run says so and adds no fio rows.
func TestFioSkippedForOtherWorkloads(t *testing.T) {
	out, _ := runTool(t, tiny(t.TempDir(), "-fio", "-workloads", "randread-hot", "-hot-goroutines", "1", "-engines", "os", "-isolate=false")...)
	if !strings.Contains(out, "fio: skipped (it runs only randread-direct, randwrite-direct, mixed, randread-cold, none of which is running)") {
		t.Errorf("skipping fio not reported:\n%s", out)
	}
	if strings.Contains(out, "vs fio") || slices.ContainsFunc(rowsOf(out), func(r []string) bool { return r[2] == engineFio }) {
		t.Errorf("fio rows or column without fio:\n%s", out)
	}
}

// decode parses the tool's -json output.
func decode(t *testing.T, out string) *report {
	t.Helper()
	var rep report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	return &rep
}

func TestLatencyAndFsyncJSON(t *testing.T) {
	dir := t.TempDir()
	direct := directWorks(t, dir)
	workloads := "randread-hot,seqread,seqwrite,readfiles"
	if direct {
		workloads += ",randwrite-direct,mixed"
	}
	const every = 2
	// os and uring run in this process; the syscall engine's results
	// travel from a child in TestAllWorkloadsTable.
	out, _ := runTool(t, tiny(dir, "-json", "-isolate=false", "-engines", "os,uring", "-goroutines", "2", "-hot-goroutines", "2",
		"-readfile-goroutines", "2", "-workloads", workloads, "-fsync", strconv.Itoa(every))...)
	rep := decode(t, out)
	seen := map[string]bool{}
	for _, p := range rep.Phases {
		name := fmt.Sprintf("%s g=%d %s", p.Workload, p.Goroutines, p.Engine)
		seen[p.Workload] = true
		if p.Err != "" || p.Ops <= 0 {
			t.Errorf("%s: ops %d, error %q", name, p.Ops, p.Err)
			continue
		}
		if p.Workload == wReadFiles {
			if p.LatSamples != 0 || p.LatP50 != 0 {
				t.Errorf("%s: latency %v from %d samples, but its ops are not single calls", name, p.LatP50, p.LatSamples)
			}
		} else if p.LatSamples <= 0 || p.LatP50 <= 0 || p.LatP50 > p.LatP99 || p.LatP99 > p.LatP999 {
			t.Errorf("%s: latency p50 %v p99 %v p999 %v from %d samples; want 0 < p50 <= p99 <= p999", name, p.LatP50, p.LatP99, p.LatP999, p.LatSamples)
		}
		g := int64(p.Goroutines)
		switch p.Workload {
		case wSeqWrite:
			// One pass of 8 writes, all in the window: a Sync after
			// every second one and the final one.
			if want := p.Ops/every + 1; p.Syncs != want || p.Writes != p.Ops {
				t.Errorf("%s: %d writes, %d syncs; want %d writes and %d syncs", name, p.Writes, p.Syncs, p.Ops, want)
			}
		case wRandWriteDirect, wMixed:
			// The window cuts each goroutine's count anywhere, so allow
			// one Sync either way per goroutine.
			if p.Writes <= 0 || p.Syncs < p.Writes/every-g || p.Syncs > p.Writes/every+g {
				t.Errorf("%s: %d writes and %d syncs with -fsync %d", name, p.Writes, p.Syncs, every)
			}
			if p.Workload == wMixed && p.Writes >= p.Ops {
				t.Errorf("%s: %d writes in %d ops with -mix 70", name, p.Writes, p.Ops)
			}
		default:
			if p.Syncs != 0 || p.Writes != 0 {
				t.Errorf("%s: a read workload wrote %d times and synced %d", name, p.Writes, p.Syncs)
			}
		}
	}
	for w := range strings.SplitSeq(workloads, ",") {
		if !seen[w] {
			t.Errorf("no phases of %s", w)
		}
	}
	for _, s := range rep.Rows {
		if s.Workload != wReadFiles && !(s.LatP50 > 0 && s.LatP50 <= s.LatP99 && s.LatP99 <= s.LatP999) {
			t.Errorf("summary %s g=%d %s: latency p50 %v p99 %v p999 %v", s.Workload, s.Goroutines, s.Engine, s.LatP50, s.LatP99, s.LatP999)
		}
	}
}

// TestMix checks that -mix steers mixed between all reads and all writes,
// and that without -fsync nothing syncs.
func TestMix(t *testing.T) {
	dir := t.TempDir()
	if !directWorks(t, dir) {
		t.Skip("O_DIRECT refused in", dir, "and mixed needs it")
	}
	for _, mix := range []string{"100", "0"} {
		out, _ := runTool(t, tiny(dir, "-json", "-isolate=false", "-engines", "os,uring", "-goroutines", "2", "-workloads", "mixed", "-mix", mix)...)
		for _, p := range decode(t, out).Phases {
			if p.Err != "" || p.Ops <= 0 {
				t.Errorf("-mix %s %s: ops %d, error %q", mix, p.Engine, p.Ops, p.Err)
				continue
			}
			if p.Syncs != 0 {
				t.Errorf("-mix %s %s: %d syncs without -fsync", mix, p.Engine, p.Syncs)
			}
			// Writes are counted by the workers and ops by the phase at
			// the window's edges: allow an op per goroutine at each.
			if mix == "100" && p.Writes != 0 || mix == "0" && p.Writes < p.Ops-2*int64(p.Goroutines) {
				t.Errorf("-mix %s %s: %d writes in %d ops", mix, p.Engine, p.Writes, p.Ops)
			}
		}
	}
}
