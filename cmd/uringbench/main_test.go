package main

import (
	"bytes"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/uringfs/uring/uringfs"
)

// TestMain lets the test binary stand in for the tool when it re-executes
// itself to run a phase in a child process.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == childFlag {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// tiny keeps the runs short; nothing here looks at timings.
func tiny(dir string, extra ...string) []string {
	return append([]string{
		"-dir", dir, "-duration", "50ms", "-size", "8MiB", "-hot-size", "1MiB", "-rounds", "1",
		"-goroutines", "1,4", "-hot-goroutines", "1,2", "-files", "20", "-readfile-goroutines", "4",
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
		if len(f) >= 4 && slices.Contains(allWorkloads, f[0]) {
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
			{wRandReadHot, "2"}, {wSeqWrite, "1"}, {wReadFile, "4"},
			{wRandReadDirect, "4"}, {wRandWriteDirect, "4"},
		} {
			if needsDirect(w.name) && !direct {
				continue
			}
			if !hasRow(rows, w.name, w.gor, e) {
				t.Errorf("no result for %s g=%s %s in:\n%s", w.name, w.gor, e, out)
			}
		}
	}
	if !direct && !strings.Contains(out, "O_DIRECT is unsupported") {
		t.Errorf("O_DIRECT refused but not said so:\n%s", out)
	}
	if !strings.Contains(errOut, "\r") {
		t.Errorf("no progress line on stderr: %q", errOut)
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

// TestTmpfs runs on /dev/shm, a tmpfs that may refuse O_DIRECT.
func TestTmpfs(t *testing.T) {
	var st syscall.Statfs_t
	if err := syscall.Statfs("/dev/shm", &st); err != nil || st.Type != 0x01021994 {
		t.Skip("no tmpfs at /dev/shm")
	}
	dir, err := os.MkdirTemp("/dev/shm", "uringbench-test-")
	if err != nil {
		t.Skip("/dev/shm not writable:", err)
	}
	defer os.RemoveAll(dir)
	out, _ := runTool(t, tiny(dir, "-engines", "os,uring", "-goroutines", "2", "-hot-goroutines", "1", "-isolate=false")...)
	if !hasRow(rowsOf(out), wRandReadHot, "1", engineUring) {
		t.Errorf("no hot-cache result on tmpfs:\n%s", out)
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
		{"-goroutines", "0"}, {"-rounds", "0"}, {"stray"},
	} {
		var out, errOut bytes.Buffer
		if code := run(args, &out, &errOut); code != 2 {
			t.Errorf("run %q: exit %d, want 2", args, code)
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
	out, _ := runTool(t, tiny(dir, "-fio", "-workloads", "randread-direct", "-goroutines", "4", "-engines", "os,uring")...)
	if fioPath() == "" {
		if !strings.Contains(out, "fio: skipped (not found on PATH)") {
			t.Errorf("missing fio not reported:\n%s", out)
		}
		return
	}
	if !hasRow(rowsOf(out), wRandReadDirect, "4", engineFio) {
		t.Errorf("no fio row:\n%s", out)
	}
}
