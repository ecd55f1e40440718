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
	"time"
)

// fakeFioLog names the file where the fake fio appends its command lines.
const fakeFioLog = "URINGBENCH_FAKE_FIO_LOG"

// fakeFio stands in for fio when the test binary runs under the name fio
// (TestFakeFio puts such a link first on PATH): it checks the data file as
// fio would find it and prints a JSON report of a fixed 1000 I/Os in one
// second, split between reads and writes as --rw and --rwmixread say.
func fakeFio(args []string) int {
	if log := os.Getenv(fakeFioLog); log != "" {
		f, err := os.OpenFile(log, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err == nil {
			fmt.Fprintln(f, strings.Join(args, " "))
			f.Close()
		}
	}
	opt := map[string]string{}
	for _, a := range args {
		k, v, _ := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		opt[k] = v
	}
	name := strings.ReplaceAll(opt["filename"], `\:`, ":")
	st, err := os.Stat(name)
	// fio works on the first --size bytes of a larger file.
	if size, _ := strconv.ParseInt(opt["size"], 10, 64); err != nil || size <= 0 || st.Size() < size {
		fmt.Fprintf(os.Stderr, "fake fio: %s: %v, want at least --size=%s\n", name, err, opt["size"])
		return 1
	}
	bs, _ := strconv.ParseInt(opt["bs"], 10, 64)
	readPct := 0
	switch opt["rw"] {
	case "randread":
		readPct = 100
	case "randwrite":
	case "randrw":
		if readPct, err = strconv.Atoi(opt["rwmixread"]); err != nil {
			fmt.Fprintln(os.Stderr, "fake fio: bad --rwmixread")
			return 1
		}
	default:
		fmt.Fprintln(os.Stderr, "fake fio: unknown --rw", opt["rw"])
		return 1
	}
	reads := int64(10 * readPct)
	dir := func(n int64) map[string]any {
		rt := 0
		if n > 0 {
			rt = 1000
		}
		return map[string]any{"io_bytes": n * bs, "total_ios": n, "iops": float64(n), "runtime": rt}
	}
	syncs := int64(0)
	if n, _ := strconv.ParseInt(opt["fsync"], 10, 64); n > 0 {
		syncs = (1000 - reads) / n
		if opt["rw"] == "randrw" {
			syncs *= 2 // as the real fio syncs more than asked with many I/Os in flight
		}
	}
	job := map[string]any{
		"error": 0, "job_runtime": 1000, "usr_cpu": 10.0, "sys_cpu": 30.0,
		"read": dir(reads), "write": dir(1000 - reads), "sync": map[string]any{"total_ios": syncs},
	}
	// fio may print a note before the JSON; so does the fake.
	fmt.Println("note: fake fio")
	json.NewEncoder(os.Stdout).Encode(map[string]any{"jobs": []any{job}})
	return 0
}

func TestFioArgs(t *testing.T) {
	spec := phaseSpec{Goroutines: 32, Duration: time.Second, BS: 4096, Mix: 70, FsyncEvery: 8,
		Files: fileSet{Data: "/tmp/a:b/data", DataSize: 1 << 20}}
	for _, c := range []struct {
		workload string
		want     []string
		not      []string
	}{
		{wRandReadDirect, []string{"--rw=randread"}, []string{"--fsync", "--rwmixread"}},
		{wRandWriteDirect, []string{"--rw=randwrite", "--fsync=8"}, []string{"--rwmixread"}},
		{wMixed, []string{"--rw=randrw", "--rwmixread=70", "--fsync=8"}, nil},
	} {
		spec.Workload = c.workload
		args, err := fioArgs(spec)
		if err != nil {
			t.Fatalf("%s: %v", c.workload, err)
		}
		want := append([]string{"--ioengine=io_uring", "--direct=1", "--bs=4096", "--size=1048576",
			"--iodepth=32", "--numjobs=1", `--filename=/tmp/a\:b/data`}, c.want...)
		for _, w := range want {
			if !slices.Contains(args, w) {
				t.Errorf("%s: no %s in %q", c.workload, w, args)
			}
		}
		for _, n := range c.not {
			if slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, n) }) {
				t.Errorf("%s: %s in %q", c.workload, n, args)
			}
		}
	}
	spec.Workload, spec.FsyncEvery = wMixed, 0
	if args, _ := fioArgs(spec); slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "--fsync") }) {
		t.Errorf("mixed without -fsync: %q", args)
	}
	for _, w := range []string{wAsyncRandRead, wRandReadHot, wSeqWrite} {
		spec.Workload = w
		if args, err := fioArgs(spec); err == nil {
			t.Errorf("%s: fio args %q, want an error", w, args)
		}
	}
}

// TestFioArgsCold: randread-cold runs buffered, on the cold file and its
// size, with fio's cache drop and without its readahead advice, and never
// syncs.
func TestFioArgsCold(t *testing.T) {
	spec := phaseSpec{Workload: wRandReadCold, Goroutines: 128, Duration: time.Second, BS: 4096, FsyncEvery: 8,
		Files: fileSet{Data: "/tmp/data", DataSize: 1 << 20, Cold: "/tmp/a:b/cold", ColdSize: 1 << 30}}
	args, err := fioArgs(spec)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"--ioengine=io_uring", "--direct=0", "--rw=randread", "--invalidate=1", "--fadvise_hint=0",
		"--bs=4096", "--size=1073741824", "--iodepth=128", "--numjobs=1", `--filename=/tmp/a\:b/cold`, "--output-format=json"} {
		if !slices.Contains(args, w) {
			t.Errorf("no %s in %q", w, args)
		}
	}
	for _, n := range []string{"--direct=1", "--fsync", "--rwmixread", "--filename=/tmp/data"} {
		if slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, n) }) {
			t.Errorf("%s in %q", n, args)
		}
	}
	if slices.Index(args, "--direct=0") != slices.IndexFunc(args, func(a string) bool { return strings.HasPrefix(a, "--direct") }) {
		t.Errorf("two --direct options in %q", args)
	}
	if file, size := fioFile(spec); file != spec.Files.Cold || size != spec.Files.ColdSize {
		t.Errorf("fioFile = %s %d, want the cold file", file, size)
	}
}

// TestFakeFioCold runs randread-cold with -fio against the fake fio: a fio
// row at each count, the uringfs rows' ratio to it, and a cached share
// measured for every row, fio's too.
func TestFakeFioCold(t *testing.T) {
	if err := ioURingRefused(); err != nil {
		t.Skip("the tool skips fio where io_uring is refused:", err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	if err := os.Symlink(exe, filepath.Join(bin, "fio")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	log := filepath.Join(bin, "args")
	t.Setenv(fakeFioLog, log)

	// -direct=false: no O_DIRECT workload runs, and fio still does.
	out, _ := runTool(t, tiny(t.TempDir(), "-json", "-fio", "-direct=false", "-isolate=false", "-engines", "os,uring",
		"-goroutines", "1,4", "-workloads", "randread-cold")...)
	rep := decode(t, out)
	fio := map[int]float64{}
	for _, s := range rep.Rows {
		if s.Engine == engineFio {
			fio[s.Goroutines] = s.IOPS
		}
	}
	if len(fio) != 2 || fio[1] == 0 || fio[4] == 0 {
		t.Fatalf("fio rows at %v, want g=1 and g=4", fio)
	}
	for _, s := range rep.Rows {
		if s.Workload != wRandReadCold || s.Rounds != 1 {
			t.Errorf("row %s g=%d %s: %d rounds %v", s.Workload, s.Goroutines, s.Engine, s.Rounds, s.Errors)
		}
		if s.CachedPct < 0 || s.CachedPct > 100 {
			t.Errorf("row g=%d %s: cached%% %v", s.Goroutines, s.Engine, s.CachedPct)
		}
		if want := s.IOPS / fio[s.Goroutines]; s.Engine == engineUring && s.RatioFio != want {
			t.Errorf("uring g=%d: vs fio %v, want %v", s.Goroutines, s.RatioFio, want)
		}
	}
	for _, p := range rep.Phases {
		if p.CachedPeak == nil {
			t.Errorf("phase g=%d %s: no cached share", p.Goroutines, p.Engine)
		}
	}
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		args := strings.Fields(l)
		for _, w := range []string{"--direct=0", "--invalidate=1", "--rw=randread", "--size=2097152", "--filename=" + rep.Phases[0].Files.Cold} {
			if !slices.Contains(args, w) {
				t.Errorf("fio %s: no %s", l, w)
			}
		}
	}
	if notes := strings.Join(rep.Notes, "\n"); !strings.Contains(notes, "fio: randread-cold through fio --ioengine=io_uring --direct=0") {
		t.Errorf("no note on fio's randread-cold:\n%s", notes)
	}
}

func TestParseFio(t *testing.T) {
	const mixed = `fio: some note
{"jobs": [{"error": 0, "job_runtime": 2000, "usr_cpu": 10, "sys_cpu": 40,
  "read": {"io_bytes": 28672, "total_ios": 7, "iops": 3.5, "runtime": 1999},
  "write": {"io_bytes": 12288, "total_ios": 3, "iops": 1.5, "runtime": 2000},
  "sync": {"total_ios": 2}}]}`
	var res phaseResult
	if err := parseFio([]byte(mixed), &res); err != nil {
		t.Fatal(err)
	}
	if res.Ops != 10 || res.Bytes != 40960 || res.Elapsed != 2*time.Second || res.Writes != 3 || res.Syncs != 2 ||
		res.CPU != time.Second || res.CPUUser != 200*time.Millisecond || res.Backend != "fio" || res.Threads != 1 {
		t.Errorf("mixed: ops %d bytes %d elapsed %v writes %d syncs %d cpu %v user %v backend %q threads %d",
			res.Ops, res.Bytes, res.Elapsed, res.Writes, res.Syncs, res.CPU, res.CPUUser, res.Backend, res.Threads)
	}
	// A write-only job reports a read runtime of 0; without runtimes
	// the IOPS give the time.
	const write = `{"jobs": [{"read": {}, "write": {"io_bytes": 8192, "total_ios": 2, "iops": 4, "runtime": 0}}]}`
	res = phaseResult{}
	if err := parseFio([]byte(write), &res); err != nil {
		t.Fatal(err)
	}
	if res.Ops != 2 || res.Elapsed != 500*time.Millisecond || res.Writes != 2 {
		t.Errorf("randwrite: ops %d elapsed %v writes %d; want 2, 500ms, 2", res.Ops, res.Elapsed, res.Writes)
	}
	for _, bad := range []string{`{"jobs": [{"error": 5}]}`, `{"jobs": []}`, `not json`} {
		if err := parseFio([]byte(bad), &phaseResult{}); err == nil {
			t.Errorf("parseFio(%q): no error", bad)
		}
	}
}

// TestFakeFio runs the tool with -fio against the fake fio: every fio
// workload gets a fio row and its uringfs rows a ratio to it, fio is told
// the same file, size, depth, mix and fsync, and the table grows its
// vs fio column.
func TestFakeFio(t *testing.T) {
	dir := t.TempDir()
	if !directWorks(t, dir) {
		t.Skip("O_DIRECT refused in", dir, "and fio runs only O_DIRECT workloads")
	}
	if err := ioURingRefused(); err != nil {
		t.Skip("the tool skips fio where io_uring is refused:", err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	if err := os.Symlink(exe, filepath.Join(bin, "fio")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	log := filepath.Join(bin, "args")
	t.Setenv(fakeFioLog, log)

	out, _ := runTool(t, tiny(dir, "-json", "-fio", "-isolate=false", "-engines", "os,uring", "-goroutines", "4",
		"-workloads", "randread-direct,randread-hot,randwrite-direct,mixed,async-randread-direct", "-fsync", "2", "-mix", "60")...)
	rep := decode(t, out)
	fioIOPS := map[string]float64{}
	for _, s := range rep.Rows {
		if s.Engine == engineFio {
			if s.Goroutines != 4 || s.Rounds != 1 || s.RatioFio != 1 || s.IOPS < 990 || s.IOPS > 1010 {
				t.Errorf("fio row %s g=%d: rounds %d IOPS %v vs fio %v; want g=4, 1 round, 1000 IOPS, 1.00x", s.Workload, s.Goroutines, s.Rounds, s.IOPS, s.RatioFio)
			}
			fioIOPS[s.Workload] = s.IOPS
		}
	}
	for _, w := range []string{wRandReadDirect, wRandWriteDirect, wMixed} {
		if fioIOPS[w] == 0 {
			t.Errorf("no fio row for %s", w)
		}
	}
	if _, ok := fioIOPS[wRandReadHot]; ok {
		t.Errorf("fio ran %s", wRandReadHot)
	}
	for _, s := range rep.Rows {
		switch {
		case s.Engine == engineUring && fioRuns(s.Workload):
			if want := s.IOPS / fioIOPS[s.Workload]; s.IOPS <= 0 || s.RatioFio != want {
				t.Errorf("%s uring: IOPS %v, vs fio %v, want %v", s.Workload, s.IOPS, s.RatioFio, want)
			}
		case s.Engine == engineUring && s.Workload == wAsyncRandRead:
			if want := s.IOPS / fioIOPS[wRandReadDirect]; s.IOPS <= 0 || s.RatioFio != want {
				t.Errorf("%s uring: IOPS %v, vs fio %v, want %v (fio's %s)", s.Workload, s.IOPS, s.RatioFio, want, wRandReadDirect)
			}
		case s.Engine != engineFio && s.RatioFio != 0:
			t.Errorf("%s g=%d %s: vs fio %v, want none", s.Workload, s.Goroutines, s.Engine, s.RatioFio)
		}
	}
	for _, p := range rep.Phases {
		if p.Engine != engineFio {
			continue
		}
		want := map[string][2]int64{wRandReadDirect: {0, 0}, wRandWriteDirect: {1000, 500}, wMixed: {400, 400}}[p.Workload]
		if p.Writes != want[0] || p.Syncs != want[1] {
			t.Errorf("fio %s: writes %d syncs %d, want %v", p.Workload, p.Writes, p.Syncs, want)
		}
	}
	notes := strings.Join(rep.Notes, "\n")
	for _, s := range []string{"--rwmixread=60", "async-randread-direct's vs fio is against fio's randread-direct", "fio randwrite-direct g=4: --fsync=2, fio issued an fsync every 2.0 writes, our engines every",
		"fio mixed g=4: --fsync=2, fio issued an fsync every 1.0 writes, our engines every", "not like for like"} {
		if !strings.Contains(notes, s) {
			t.Errorf("notes lack %q:\n%s", s, notes)
		}
	}
	// Only mixed, where the fake synced twice as often as asked, is
	// flagged: randwrite-direct's fio kept to --fsync=2.
	for _, n := range rep.Notes {
		if strings.HasPrefix(n, "fio randwrite-direct") && strings.Contains(n, "not like for like") {
			t.Errorf("randwrite-direct flagged though fio kept to --fsync: %s", n)
		}
	}

	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 3 {
		t.Fatalf("fio ran %d times, want 3:\n%s", len(lines), b)
	}
	for _, l := range lines {
		args := strings.Fields(l)
		for _, w := range []string{"--direct=1", "--ioengine=io_uring", "--iodepth=4", "--bs=4096", "--size=8388608",
			"--filename=" + rep.Phases[0].Files.Data} {
			if !slices.Contains(args, w) {
				t.Errorf("fio %s: no %s", l, w)
			}
		}
		write := !slices.Contains(args, "--rw=randread")
		if write != slices.Contains(args, "--fsync=2") {
			t.Errorf("fio %s: --fsync=2 wanted for the writing workloads only", l)
		}
	}

	var table bytes.Buffer
	writeTable(&table, rep, 1, 50*time.Millisecond)
	rows := rowsOf(table.String())
	if !strings.Contains(table.String(), "  vs fio  ") || len(rows) == 0 {
		t.Fatalf("no vs fio column:\n%s", table.String())
	}
	for _, r := range rows {
		// workload, gor, engine, IOPS, vs os, vs fio.
		want := "-"
		if r[2] == engineFio {
			want = "1.00x"
		} else if s := rowFor(rep, r[0], r[2]); s.RatioFio > 0 {
			want = fmt.Sprintf("%.2fx", s.RatioFio)
		}
		if r[5] != want {
			t.Errorf("row %v: vs fio %q, want %q", r[:3], r[5], want)
		}
	}
}

func rowFor(rep *report, workload, engine string) summary {
	for _, s := range rep.Rows {
		if s.Workload == workload && s.Engine == engine && s.Goroutines == 4 {
			return s
		}
	}
	return summary{}
}
