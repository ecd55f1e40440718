package main

import (
	"fmt"
	"math"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"
)

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

// run makes the test files, runs the plan one phase at a time (in a child
// process where needed) and builds the report from the results.
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
	workloads := phaseNames(cfg.workloads)
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
		case !slices.ContainsFunc(workloads, fioRuns):
			b.notef("fio: skipped (it runs only %s, none of which is running)", strings.Join(fioWorkloads, ", "))
		default:
			if b.fio = fioPath(); b.fio == "" {
				b.notef("fio: skipped (not found on PATH)")
			} else if err := ioURingRefused(); err != nil {
				b.fio = ""
				b.notef("fio: skipped (its io_uring engine cannot run: io_uring is refused here: %v)", err)
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
		var keeper *coldKeeper
		if spec.Workload == wRandReadCold {
			keeper = keepCold(spec.Files.Cold, spec.Files.ColdSize)
		}
		var r phaseResult
		switch {
		case spec.Engine == engineFio:
			r = runFio(b.fio, spec, onProgress)
		case cfg.isolate || spec.Engine == engineSyscall:
			r = runChild(spec, onProgress)
		default:
			r = runPhase(spec, onProgress)
		}
		if keeper != nil {
			peak, err := keeper.end()
			if err != nil && r.Err == "" {
				r.Err = "keeping the file out of the page cache: " + err.Error()
			}
			if err == nil {
				r.CachedPeak = &peak
			}
		}
		results = append(results, r)
		b.prog.done("%s", phaseDone(label, r, time.Since(started)))
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
			"mix_read_pct": cfg.mix, "fsync_every": cfg.fsync, "cold_size": cfg.coldSize, "tree_files": cfg.treeFiles,
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
	b.fioNotes(rows, results)
	if slices.Contains(workloads, wSeqRead) {
		b.notef("seqread: 1 MiB sequential Reads of a %d MiB file, a handle per goroutine, hot: from the page cache (the file is written and read once before the phases)", b.files.SeqReadSize>>20)
	}
	if slices.Contains(workloads, wMixed) {
		b.notef("mixed: O_DIRECT random %d-byte ReadAt/WriteAt on one shared file, %d%% reads", cfg.bs, cfg.mix)
	}
	if cfg.fsync > 0 && slices.ContainsFunc(workloads, writes) {
		b.notef("-fsync %d: randwrite-direct, mixed and seqwrite Sync after every %d writes per goroutine; the Sync is in the phase's time, not in the write latency", cfg.fsync, cfg.fsync)
	}
	if slices.Contains(workloads, wReadFile) {
		b.notef("readfile: os.ReadFile against uringfs.ReadFile, %d files of %d bytes", cfg.files, cfg.bs)
	}
	b.coldNotes(rows, workloads)
	b.metaNotes(workloads)
	rep.Notes = b.notes
	return rep, nil
}

// phaseDone is the progress report of a finished phase: its rate, or why it
// failed.
func phaseDone(label string, r phaseResult, total time.Duration) string {
	switch {
	case r.Err != "":
		return fmt.Sprintf("%s: FAILED: %s (total %.0fs)", label, r.Err, total.Seconds())
	case r.Elapsed > 0:
		return fmt.Sprintf("%s: %s ops/s over %.1fs (total %.0fs)", label, fmtCount(float64(r.Ops)/r.Elapsed.Seconds()), r.Elapsed.Seconds(), total.Seconds())
	}
	return fmt.Sprintf("%s: done, nothing measured (total %.0fs)", label, total.Seconds())
}

// plan lists the phases: for each round, workload and goroutine count, every
// engine once, starting with a different engine each round so that none
// always runs first or last.
func (b *bench) plan(workloads []string) []phaseSpec {
	cfg := b.cfg
	var plan []phaseSpec
	for round := 1; round <= cfg.rounds; round++ {
		for _, w := range workloads {
			counts := cfg.counts(w)
			engines := slices.Clone(cfg.engines)
			if fioRuns(w) && b.fio != "" {
				engines = append(engines, engineFio)
			}
			k := (round - 1) % len(engines)
			engines = append(engines[k:], engines[:k]...)
			for _, g := range counts {
				for _, e := range engines {
					plan = append(plan, phaseSpec{
						Workload: w, Goroutines: g, Engine: e, Round: round,
						Duration: cfg.duration, BS: cfg.bs, Mix: cfg.mix, FsyncEvery: cfg.fsync, Files: b.files,
					})
				}
			}
		}
	}
	return plan
}

// counts are the goroutine counts w runs at.
func (cfg *config) counts(w string) []int {
	switch {
	case w == wRandReadHot || w == wSeqRead:
		return cfg.hotGor
	case w == wSeqWrite || isStatPhase(w) || isWalk(w):
		return []int{1}
	case w == wReadFile || w == wReadFiles:
		return []int{cfg.readFileGor}
	}
	return cfg.goroutines
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

// fioNotes says what the fio rows ran and where they are not like ours.
func (b *bench) fioNotes(rows []summary, results []phaseResult) {
	if b.fio == "" {
		return
	}
	var ran []string
	cold := false
	for _, s := range rows {
		if s.Engine != engineFio || slices.Contains(ran, s.Workload) {
			continue
		}
		if s.Workload == wRandReadCold {
			cold = true
		} else {
			ran = append(ran, s.Workload)
		}
	}
	if len(ran) > 0 {
		b.notef("fio: %s through fio --ioengine=io_uring --direct=1, one job at iodepth = gor, on the same file with the same -bs (mixed: --rw=randrw --rwmixread=%d); vs fio is IOPS / fio's IOPS at the same gor",
			strings.Join(ran, ", "), b.cfg.mix)
	}
	if cold {
		b.notef("fio: %s through fio --ioengine=io_uring --direct=0 --rw=randread --invalidate=1 --fadvise_hint=0, one job at iodepth = gor, on the same file and size with the same -bs, its cache dropped by the parent as for the other engines",
			wRandReadCold)
	}
	if slices.Contains(ran, wRandReadDirect) && slices.ContainsFunc(rows, func(s summary) bool { return s.Workload == wAsyncRandRead }) {
		b.notef("fio: %s's vs fio is against fio's %s row at the same gor (the same reads, gor of them in flight)", wAsyncRandRead, wRandReadDirect)
	}
	if b.cfg.fsync <= 0 {
		return
	}
	// fio issues --fsync's syncs from one job with many writes in flight,
	// and then syncs more often than once per N writes: say by how much,
	// from its own counts, next to ours.
	type key struct {
		w string
		g int
	}
	type counts struct{ writes, syncs int64 }
	fio, ours := map[key]*counts{}, map[key]*counts{}
	var keys []key
	for _, r := range results {
		if r.Err != "" || !fioRuns(r.Workload) || !writes(r.Workload) {
			continue
		}
		k := key{r.Workload, r.Goroutines}
		m := ours
		if r.Engine == engineFio {
			m = fio
			if fio[k] == nil {
				keys = append(keys, k)
			}
		}
		if m[k] == nil {
			m[k] = &counts{}
		}
		m[k].writes += r.Writes
		m[k].syncs += r.Syncs
	}
	for _, k := range keys {
		f, o := fio[k], ours[k]
		if f.syncs == 0 {
			b.notef("fio %s g=%d: --fsync=%d, but fio issued no fsync", k.w, k.g, b.cfg.fsync)
			continue
		}
		per := float64(f.writes) / float64(f.syncs)
		line := fmt.Sprintf("fio %s g=%d: --fsync=%d, fio issued an fsync every %.1f writes", k.w, k.g, b.cfg.fsync, per)
		if o != nil && o.syncs > 0 {
			line += fmt.Sprintf(", our engines every %.1f", float64(o.writes)/float64(o.syncs))
		}
		if math.Abs(per-float64(b.cfg.fsync)) > 0.1*float64(b.cfg.fsync) {
			line += ": not like for like, and nor is its vs fio"
		}
		b.notef("%s", line)
	}
}
