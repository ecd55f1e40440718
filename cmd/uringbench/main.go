package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// config is the parsed command line.
type config struct {
	dir         string
	size        int64
	hotSize     int64
	bs          int64
	goroutines  []int
	hotGor      []int
	readFileGor int
	files       int
	duration    time.Duration
	rounds      int
	workloads   []string
	engines     []string
	json        bool
	fio         bool
	isolate     bool
	direct      bool
	keep        bool
}

// run is the whole tool behind main, with its exit code; tests call it.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == childFlag {
		return childMain(args[1:], stdout, stderr)
	}
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "uringbench:", err)
		return 2
	}
	b := &bench{cfg: cfg, prog: &progress{w: stderr}}
	rep, err := b.run()
	b.prog.clear()
	if err != nil {
		fmt.Fprintln(stderr, "uringbench:", err)
		return 1
	}
	if cfg.json {
		if err := writeJSON(stdout, rep); err != nil {
			fmt.Fprintln(stderr, "uringbench:", err)
			return 1
		}
	} else {
		writeTable(stdout, rep, cfg.rounds, cfg.duration)
	}
	for _, s := range rep.Rows {
		if len(s.Errors) > 0 {
			return 1
		}
	}
	return 0
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("uringbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := &config{}
	var size, hotSize, bs, gor, hotGor, workloads, engines string
	fs.StringVar(&cfg.dir, "dir", os.TempDir(), "directory for the test files (a temporary subdirectory is made and removed)")
	fs.StringVar(&size, "size", "256MiB", "size of the O_DIRECT test file and of what seqwrite writes")
	fs.StringVar(&hotSize, "hot-size", "64MiB", "size of the page-cache test file")
	fs.StringVar(&bs, "bs", "4KiB", "block size of the random reads and writes and size of the readfile files")
	fs.StringVar(&gor, "goroutines", "1,32,128", "goroutine counts for the O_DIRECT workloads")
	fs.StringVar(&hotGor, "hot-goroutines", "1,16", "goroutine counts for randread-hot")
	fs.IntVar(&cfg.readFileGor, "readfile-goroutines", 64, "goroutines for readfile")
	fs.IntVar(&cfg.files, "files", 1000, "number of small files for readfile")
	fs.DurationVar(&cfg.duration, "duration", time.Second, "length of each timed phase, warm-up (a tenth, at most 200ms) included")
	fs.IntVar(&cfg.rounds, "rounds", 3, "rounds; engines alternate within each round and the median is reported")
	fs.StringVar(&workloads, "workloads", strings.Join(defaultWorkloads, ","), "workloads to run, or \"all\": "+strings.Join(allWorkloads, ","))
	fs.StringVar(&engines, "engines", "os,uring,syscall", "engines to compare: os, uring, syscall")
	fs.BoolVar(&cfg.json, "json", false, "print the results as JSON instead of a table")
	fs.BoolVar(&cfg.fio, "fio", false, "also run randread-direct through fio --ioengine=io_uring, if fio is on PATH")
	fs.BoolVar(&cfg.isolate, "isolate", true, "run every phase in a fresh child process (clean thread counts and counters)")
	fs.BoolVar(&cfg.direct, "direct", true, "run the O_DIRECT workloads (false: only buffered ones, as on a file system that refuses O_DIRECT)")
	fs.BoolVar(&cfg.keep, "keep", false, "keep the test files")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: uringbench [flags]\n\nCompares os.File with uringfs on the same workloads in the same run.\n\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	var err error
	if cfg.size, err = parseSize(size); err != nil {
		return nil, fmt.Errorf("-size: %w", err)
	}
	if cfg.hotSize, err = parseSize(hotSize); err != nil {
		return nil, fmt.Errorf("-hot-size: %w", err)
	}
	if cfg.bs, err = parseSize(bs); err != nil {
		return nil, fmt.Errorf("-bs: %w", err)
	}
	if cfg.bs%512 != 0 {
		return nil, fmt.Errorf("-bs %d: want a multiple of 512 (O_DIRECT)", cfg.bs)
	}
	if cfg.size < cfg.bs || cfg.hotSize < cfg.bs {
		return nil, errors.New("-size and -hot-size must hold at least one block")
	}
	if cfg.goroutines, err = parseInts(gor); err != nil {
		return nil, fmt.Errorf("-goroutines: %w", err)
	}
	if cfg.hotGor, err = parseInts(hotGor); err != nil {
		return nil, fmt.Errorf("-hot-goroutines: %w", err)
	}
	if cfg.readFileGor < 1 || cfg.files < 1 || cfg.rounds < 1 || cfg.duration <= 0 {
		return nil, errors.New("-readfile-goroutines, -files, -rounds and -duration must be positive")
	}
	if workloads == "all" {
		cfg.workloads = allWorkloads
	} else if cfg.workloads, err = parseNames(workloads, allWorkloads); err != nil {
		return nil, fmt.Errorf("-workloads: %w", err)
	}
	if cfg.engines, err = parseNames(engines, []string{engineOS, engineUring, engineSyscall}); err != nil {
		return nil, fmt.Errorf("-engines: %w", err)
	}
	return cfg, nil
}

// parseSize reads a byte count with an optional binary suffix: 4096, 4K,
// 4KiB, 256M, 1GiB.
func parseSize(s string) (int64, error) {
	t := strings.TrimSuffix(strings.TrimSuffix(strings.ToUpper(strings.TrimSpace(s)), "B"), "I")
	mult := int64(1)
	if t != "" {
		switch t[len(t)-1] {
		case 'K':
			mult = 1 << 10
		case 'M':
			mult = 1 << 20
		case 'G':
			mult = 1 << 30
		}
		if mult > 1 {
			t = t[:len(t)-1]
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("bad size %q", s)
	}
	return n * mult, nil
}

func parseInts(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("bad count %q", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func parseNames(s string, known []string) ([]string, error) {
	var out []string
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		if !slices.Contains(known, f) {
			return nil, fmt.Errorf("unknown %q (known: %s)", f, strings.Join(known, ", "))
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out, nil
}

// bench is one run of the tool.
type bench struct {
	cfg   *config
	prog  *progress
	files fileSet
	notes []string
	fio   string // path of fio when -fio found it
}

func (b *bench) notef(format string, args ...any) {
	b.notes = append(b.notes, fmt.Sprintf(format, args...))
}

func (b *bench) run() (*report, error) {
	cfg := b.cfg
	work, err := os.MkdirTemp(cfg.dir, "uringbench-")
	if err != nil {
		return nil, err
	}
	if cfg.keep {
		b.notef("test files kept in %s", work)
	} else {
		defer os.RemoveAll(work)
		// An interrupted run must not leave hundreds of MiB in -dir.
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		done := make(chan struct{})
		defer func() { signal.Stop(sig); close(done) }()
		go func() {
			select {
			case <-sig:
				b.prog.clear()
				os.RemoveAll(work)
				fmt.Fprintln(b.prog.w, "uringbench: interrupted; removed", work)
				os.Exit(130)
			case <-done:
			}
		}()
	}
	workloads := slices.Clone(cfg.workloads)
	wantDirect := slices.ContainsFunc(workloads, needsDirect)
	direct, directState := false, "not tried"
	if wantDirect {
		if !cfg.direct {
			b.notef("-direct=false: O_DIRECT workloads skipped")
		} else if err := probeDirect(work, cfg.bs); err != nil {
			b.notef("O_DIRECT is unsupported on %s (%v): running only the buffered workloads", cfg.dir, err)
			directState = "UNSUPPORTED"
		} else {
			direct, directState = true, "supported"
		}
		if !direct {
			workloads = slices.DeleteFunc(workloads, needsDirect)
		}
	}
	if cfg.fio {
		switch {
		case !direct || !slices.Contains(workloads, wRandReadDirect):
			b.notef("fio: skipped (it runs only %s, which is not running)", wRandReadDirect)
		default:
			if b.fio = fioPath(); b.fio == "" {
				b.notef("fio: skipped (not found on PATH)")
			}
		}
	}
	if err := b.prepare(work, workloads); err != nil {
		return nil, err
	}

	loadStart := loadAvg()
	plan := b.plan(workloads)
	results := make([]phaseResult, 0, len(plan))
	started := time.Now()
	for i, spec := range plan {
		label := fmt.Sprintf("[%d/%d] round %d/%d %s g=%d %s", i+1, len(plan), spec.Round, cfg.rounds, spec.Workload, spec.Goroutines, spec.Engine)
		onProgress := func(ops int64, elapsed time.Duration) {
			if ops < 0 || elapsed <= 0 {
				b.prog.show("%s: %.1fs (total %.0fs)", label, elapsed.Seconds(), time.Since(started).Seconds())
				return
			}
			b.prog.show("%s: %.1fs %s ops/s (total %.0fs)", label, elapsed.Seconds(), fmtCount(float64(ops)/elapsed.Seconds()), time.Since(started).Seconds())
		}
		onProgress(-1, 0)
		var r phaseResult
		switch {
		case spec.Engine == engineFio:
			r = runFio(b.fio, spec, onProgress)
		case cfg.isolate || spec.Engine == engineSyscall:
			r = runChild(spec, onProgress)
		default:
			r = runPhase(spec, onProgress)
		}
		results = append(results, r)
	}
	b.prog.clear()

	rows := summarize(results)
	rep := &report{
		Machine: machineInfo{
			GoVersion: runtime.Version(), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH,
			NumCPU: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0),
			Kernel: kernelRelease(), Dir: cfg.dir, FS: fsType(cfg.dir), Direct: directState, Backend: "-",
			LoadStart: loadStart, LoadEnd: loadAvg(),
		},
		Rows:   rows,
		Phases: results,
		Config: map[string]any{
			"size": cfg.size, "hot_size": cfg.hotSize, "bs": cfg.bs, "duration_ns": cfg.duration,
			"rounds": cfg.rounds, "workloads": workloads, "engines": cfg.engines, "isolate": cfg.isolate,
			"goroutines": cfg.goroutines, "hot_goroutines": cfg.hotGor, "readfile_goroutines": cfg.readFileGor, "files": cfg.files,
		},
	}
	worst := 0.0
	for _, s := range rows {
		worst = max(worst, s.OthersPct)
	}
	if worst > 10 {
		b.notef("other processes used up to %.0f%% of the CPUs during some phases (others%% column): those rows are suspect", worst)
	}
	b.backendNotes(rep, results)
	b.fioNotes(rows)
	if slices.Contains(workloads, wReadFile) {
		b.notef("readfile: os.ReadFile against uringfs.ReadFile, %d files of %d bytes", cfg.files, cfg.bs)
	}
	rep.Notes = b.notes
	return rep, nil
}

// plan lists the phases: for each round, workload and goroutine count, every
// engine once, starting with a different engine each round so that none
// always runs first or last.
func (b *bench) plan(workloads []string) []phaseSpec {
	cfg := b.cfg
	var plan []phaseSpec
	for round := 1; round <= cfg.rounds; round++ {
		for _, w := range workloads {
			var counts []int
			switch w {
			case wRandReadHot:
				counts = cfg.hotGor
			case wSeqWrite:
				counts = []int{1}
			case wReadFile:
				counts = []int{cfg.readFileGor}
			default:
				counts = cfg.goroutines
			}
			engines := slices.Clone(cfg.engines)
			if w == wRandReadDirect && b.fio != "" {
				engines = append(engines, engineFio)
			}
			k := (round - 1) % len(engines)
			engines = append(engines[k:], engines[:k]...)
			for _, g := range counts {
				for _, e := range engines {
					plan = append(plan, phaseSpec{
						Workload: w, Goroutines: g, Engine: e, Round: round,
						Duration: cfg.duration, BS: cfg.bs, Files: b.files,
					})
				}
			}
		}
	}
	return plan
}

// probeDirect checks that the file system under dir takes O_DIRECT opens and
// reads; tmpfs and some FUSE file systems refuse them with EINVAL.
func probeDirect(dir string, bs int64) error {
	name := filepath.Join(dir, "direct-probe")
	defer os.Remove(name)
	if err := os.WriteFile(name, make([]byte, bs), 0o644); err != nil {
		return err
	}
	if oDirect == 0 {
		return errors.New("no O_DIRECT on " + runtime.GOOS)
	}
	f, err := os.OpenFile(name, os.O_RDONLY|oDirect, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.ReadAt(alignedBuf(bs), 0); err != nil {
		return err
	}
	return nil
}

// prepare writes the test files the workloads need, outside any measurement.
func (b *bench) prepare(work string, workloads []string) error {
	cfg := b.cfg
	if slices.ContainsFunc(workloads, needsDirect) {
		b.files.Data, b.files.DataSize = filepath.Join(work, "data"), cfg.size/cfg.bs*cfg.bs
		if err := b.writeFile(b.files.Data, b.files.DataSize); err != nil {
			return err
		}
	}
	if slices.Contains(workloads, wRandReadHot) {
		b.files.Hot, b.files.HotSize = filepath.Join(work, "hot"), cfg.hotSize/cfg.bs*cfg.bs
		if err := b.writeFile(b.files.Hot, b.files.HotSize); err != nil {
			return err
		}
		// Read it once so that every page is cached, whatever the writes left.
		if _, err := os.ReadFile(b.files.Hot); err != nil {
			return err
		}
	}
	if slices.Contains(workloads, wSeqWrite) {
		b.files.SeqDir, b.files.SeqSize = work, cfg.size
	}
	if slices.Contains(workloads, wReadFile) {
		b.files.SmallDir, b.files.SmallCount = filepath.Join(work, "small"), cfg.files
		if err := os.Mkdir(b.files.SmallDir, 0o755); err != nil {
			return err
		}
		data := make([]byte, cfg.bs)
		for i := range cfg.files {
			if i%100 == 0 {
				b.prog.show("preparing %d small files: %d", cfg.files, i)
			}
			data[0] = byte(i)
			if err := os.WriteFile(smallName(b.files.SmallDir, i), data, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeFile writes size bytes of varied (not compressible, not all zero)
// data and syncs them, so that O_DIRECT reads find them on the device.
func (b *bench) writeFile(name string, size int64) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	buf := make([]byte, 1<<20)
	var x uint64 = 0x9E3779B97F4A7C15
	for i := range buf {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		buf[i] = byte(x)
	}
	for off := int64(0); off < size; off += int64(len(buf)) {
		if off%(16<<20) == 0 {
			b.prog.show("preparing %s: %d/%d MiB", name, off>>20, size>>20)
		}
		copy(buf, strconv.FormatInt(off, 16)) // every MiB differs
		if _, err := f.Write(buf[:min(int64(len(buf)), size-off)]); err != nil {
			f.Close()
			return err
		}
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// backendNotes says which backend the uringfs engines really ran on.
func (b *bench) backendNotes(rep *report, results []phaseResult) {
	seen := map[string]bool{}
	for _, r := range results {
		if r.Engine == engineOS || r.Engine == engineFio || r.Backend == "" {
			continue
		}
		if r.Engine == engineUring && rep.Machine.Backend == "-" {
			rep.Machine.Backend = r.Backend
		}
		key := r.Engine + "/" + r.Backend
		if seen[key] {
			continue
		}
		seen[key] = true
		if r.Engine == engineUring && r.Backend != "uring" {
			b.notef("engine uring ran on the %s backend (%s)", r.Backend, r.Reason)
		}
		if r.Engine == engineSyscall && r.Backend != "syscall" {
			b.notef("engine syscall ran on the %s backend: URINGFS_BACKEND=syscall was not honoured", r.Backend)
		}
	}
}

// fioNotes puts uring's standing against fio in words.
func (b *bench) fioNotes(rows []summary) {
	if b.fio == "" {
		return
	}
	fioIOPS := map[int]float64{}
	for _, s := range rows {
		if s.Workload == wRandReadDirect && s.Engine == engineFio {
			fioIOPS[s.Goroutines] = s.IOPS
		}
	}
	for _, s := range rows {
		if s.Workload == wRandReadDirect && s.Engine != engineFio && s.Engine != engineOS && fioIOPS[s.Goroutines] > 0 {
			b.notef("%s g=%d: %s is %.2fx fio (io_uring, iodepth %d)", s.Workload, s.Goroutines, s.Engine, s.IOPS/fioIOPS[s.Goroutines], s.Goroutines)
		}
	}
}
