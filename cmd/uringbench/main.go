package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
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
	coldSize    int64 // randread-cold reads this much of its file
	treeFiles   int   // files in the tree of the walk workloads
	bs          int64
	goroutines  []int
	hotGor      []int
	readFileGor int
	files       int
	mix         int // mixed: percentage of reads
	fsync       int // Sync after this many writes per goroutine; 0 never
	duration    time.Duration
	rounds      int
	workloads   []string
	engines     []string
	json        bool
	fio         bool
	isolate     bool
	direct      bool
	keep        bool
	chart       string // SVG file to write, "" for none
	quiet       bool   // no progress reports on stderr
	benchfmt    bool   // Go benchmark format instead of the table (benchfmt.go)
	footprint   bool   // measure the loop's footprint instead (footprint_linux.go)
}

// run is the whole tool behind main, with its exit code; tests call it.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == childFlag {
		return childMain(args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == footprintChildFlag {
		return footprintChild(args[1:], stdout, stderr)
	}
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "uringbench:", err)
		return 2
	}
	if cfg.footprint {
		if err := runFootprint(cfg.dir, stdout, stderr); err != nil {
			fmt.Fprintln(stderr, "uringbench: footprint:", err)
			return 1
		}
		return 0
	}
	b := &bench{cfg: cfg, prog: newProgress(stderr, cfg.quiet)}
	rep, err := b.run()
	b.prog.clear()
	if err != nil {
		fmt.Fprintln(stderr, "uringbench:", err)
		return 1
	}
	if cfg.benchfmt {
		writeBenchfmt(stdout, rep)
	} else if cfg.json {
		if err := writeJSON(stdout, rep); err != nil {
			fmt.Fprintln(stderr, "uringbench:", err)
			return 1
		}
	} else {
		writeTable(stdout, rep, cfg.rounds, cfg.duration)
	}
	if cfg.chart != "" {
		if err := writeChartFile(cfg.chart, rep); err != nil {
			fmt.Fprintln(stderr, "uringbench: chart:", err)
			return 1
		}
		fmt.Fprintln(stderr, "uringbench: chart written to", cfg.chart)
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
	var size, hotSize, coldSize, bs, gor, hotGor, workloads, engines string
	fs.StringVar(&cfg.dir, "dir", os.TempDir(), "directory for the test files (a temporary subdirectory is made and removed)")
	fs.StringVar(&size, "size", "256MiB", "size of the O_DIRECT test file, of seqread's file and of what seqwrite writes")
	fs.StringVar(&hotSize, "hot-size", "64MiB", "size of the page-cache test file")
	fs.StringVar(&coldSize, "cold-size", "1GiB", "how much of a file randread-cold reads at random, kept out of the page cache (the O_DIRECT test file if -size is as large, else a file of its own)")
	fs.IntVar(&cfg.treeFiles, "tree-files", 20000, "files in the tree that walk-afero and walk-fs walk and read (100 to a directory, 10 directories to a parent)")
	fs.StringVar(&bs, "bs", "4KiB", "block size of the random reads and writes (randread-*, randwrite-direct, mixed) and size of the small files (readfile, stat, walk-*)")
	fs.StringVar(&gor, "goroutines", "1,32,128", "goroutine counts for the O_DIRECT workloads (randread-direct, randwrite-direct, mixed, async-randread-direct) and randread-cold")
	fs.StringVar(&hotGor, "hot-goroutines", "1,16", "goroutine counts for the page-cache workloads randread-hot and seqread")
	fs.IntVar(&cfg.readFileGor, "readfile-goroutines", 64, "goroutines for readfile")
	fs.IntVar(&cfg.files, "files", 1000, "number of small files for readfile")
	fs.IntVar(&cfg.mix, "mix", 70, "mixed: percentage of the ops that are reads (0-100), the rest writes")
	fs.IntVar(&cfg.fsync, "fsync", 0, "in randwrite-direct, mixed and seqwrite, Sync the file after every N writes per goroutine (0: never; seqwrite always syncs at its end)")
	fs.DurationVar(&cfg.duration, "duration", time.Second, "length of each timed phase, warm-up (a tenth, at most 200ms) included")
	fs.IntVar(&cfg.rounds, "rounds", 3, "rounds; engines alternate within each round and the median is reported")
	fs.StringVar(&workloads, "workloads", strings.Join(defaultWorkloads, ","), "workloads to run, or \"all\": "+strings.Join(allWorkloads, ",")+
		" (stat runs "+strings.Join(phasesOf(wStat), ",")+", each of which can also be named alone)")
	fs.StringVar(&engines, "engines", "os,uring,syscall", "engines to compare: os, uring, syscall")
	fs.BoolVar(&cfg.json, "json", false, "print the results as JSON instead of a table")
	fs.BoolVar(&cfg.benchfmt, "benchfmt", false, "print every phase as a line of Go's benchmark format instead of a table, for benchstat (BenchmarkRandreadDirect/g=32/uring N ns/op ops/s cpu-ns/op ...)")
	fs.BoolVar(&cfg.fio, "fio", false, "also run randread-direct, randwrite-direct and mixed through fio --ioengine=io_uring --direct=1, and randread-cold with --direct=0 --invalidate=1 (one job, iodepth = goroutines, same file, -bs, -mix and -fsync), if fio is on PATH, and show each uringfs row's ratio to it")
	fs.BoolVar(&cfg.isolate, "isolate", true, "run every phase in a fresh child process (clean thread counts and counters)")
	fs.BoolVar(&cfg.direct, "direct", true, "run the O_DIRECT workloads (false: only buffered ones, as on a file system that refuses O_DIRECT)")
	fs.BoolVar(&cfg.keep, "keep", false, "keep the test files")
	fs.BoolVar(&cfg.footprint, "footprint", false, "instead of the workloads, measure what the loop adds to a process (rings, descriptors, RSS, threads) against GOMAXPROCS 1-64 and against O_DIRECT load, next to os")
	fs.StringVar(&cfg.chart, "chart", "", "also write an SVG bar chart of IOPS per goroutine count and engine, one panel per workload, to this file")
	fs.BoolVar(&cfg.quiet, "q", false, "no progress reports on stderr (by default a live status line on a terminal, otherwise a line per finished phase)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: uringbench [flags]\n\nCompares os.File with uringfs on the same workloads in the same run: IOPS, ratio to os,\nMiB/s, latency p50/p99/p999, CPU per op, OS threads created (go doc ./cmd/uringbench for more).\n\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if cfg.json && cfg.benchfmt {
		return nil, errors.New("-json and -benchfmt: choose one output format")
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
	if cfg.coldSize, err = parseSize(coldSize); err != nil {
		return nil, fmt.Errorf("-cold-size: %w", err)
	}
	if cfg.bs, err = parseSize(bs); err != nil {
		return nil, fmt.Errorf("-bs: %w", err)
	}
	if cfg.bs%512 != 0 {
		return nil, fmt.Errorf("-bs %d: want a multiple of 512 (O_DIRECT)", cfg.bs)
	}
	if cfg.size < cfg.bs || cfg.hotSize < cfg.bs || cfg.coldSize < cfg.bs {
		return nil, errors.New("-size, -hot-size and -cold-size must hold at least one block")
	}
	if cfg.goroutines, err = parseInts(gor); err != nil {
		return nil, fmt.Errorf("-goroutines: %w", err)
	}
	if cfg.hotGor, err = parseInts(hotGor); err != nil {
		return nil, fmt.Errorf("-hot-goroutines: %w", err)
	}
	if cfg.readFileGor < 1 || cfg.files < 1 || cfg.treeFiles < 1 || cfg.rounds < 1 || cfg.duration <= 0 {
		return nil, errors.New("-readfile-goroutines, -files, -tree-files, -rounds and -duration must be positive")
	}
	if cfg.mix < 0 || cfg.mix > 100 {
		return nil, fmt.Errorf("-mix %d: want a percentage of reads from 0 to 100", cfg.mix)
	}
	if cfg.fsync < 0 {
		return nil, fmt.Errorf("-fsync %d: want a count of writes, or 0 for no Sync", cfg.fsync)
	}
	if workloads == "all" {
		cfg.workloads = allWorkloads
	} else if cfg.workloads, err = parseNames(workloads, knownWorkloads()); err != nil {
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
