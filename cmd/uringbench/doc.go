// Command uringbench compares file I/O through os.File with the same I/O
// through uringfs, side by side in one run.
//
// Usage:
//
//	go run ./cmd/uringbench [flags]
//
// With no flags it runs, in under a minute on two cores, 4 KiB random reads
// with O_DIRECT from 1, 32 and 128 goroutines and from the page cache with 1
// and 16 goroutines, on three engines:
//
//	os       os.File.ReadAt
//	uring    uringfs.File.ReadAt on the process loop (io_uring unless refused)
//	syscall  uringfs.File.ReadAt with URINGFS_BACKEND=syscall (the fallback)
//
// The engines alternate within each round (-rounds, default 3; each round
// starts with a different engine) and the table shows the median over the
// rounds, because runs differ by about ±15%. Every phase runs in a fresh
// child process (the binary re-executes itself), so that OS thread counts,
// CPU time and loop counters belong to one engine alone: Go never gives back
// a thread, so a phase that follows os's 128 blocked goroutines in the same
// process would look free of threads. The syscall engine always needs a
// child, as the loop's backend is chosen at process start; -isolate=false
// runs the other engines in the parent.
//
// For each workload, goroutine count and engine the table shows IOPS, the
// ratio to os, the spread over rounds, MiB/s, wall ns per op, the latency
// of one op at the 50th, 99th and 99.9th percentile, CPU time per
// op (getrusage user+sys over ops) and its user share, OS threads the phase
// added (peak of /proc/self/status Threads minus the count before), for
// uringfs the loop counters over the phase (share of buffered ops finished by
// RWF_NOWAIT on the caller, SQEs per io_uring_enter, share of ring
// submissions that completed inline, parks per op), and others%: the CPU
// time other processes took during the phase, from /proc/stat, as a share of
// all CPUs. A row with a high others% was measured on a shared machine.
// When randread-cold ran, a last column, cached%, says how cold its reads
// really were (see below).
//
// Latencies are taken by each goroutine around each single call (ReadAt,
// WriteAt, Read, Write, ReadFile; for the stat ops the whole op, Open to
// Close; for the walks the ReadFile of each file, not the walk between),
// for the ops of the measured window only,
// into a per-goroutine log-linear histogram (within about 3%), merged when
// the phase ends; the table shows the median over rounds of each
// percentile. Reading the clock before and after each op costs some tens
// of nanoseconds, paid by every engine alike. The async workloads, where one
// goroutine keeps many ops in flight, show "-".
//
// The workloads (-workloads):
//
//	randread-direct   O_DIRECT ReadAt of -bs at random offsets of one shared file
//	randread-hot      the same without O_DIRECT from a -hot-size file in the page cache
//	randread-cold     the same without O_DIRECT from -cold-size of a file kept
//	                  out of the page cache, at the -goroutines counts
//	randwrite-direct  O_DIRECT WriteAt of -bs at random offsets
//	mixed             O_DIRECT random ReadAt and WriteAt of -bs, -mix percent reads
//	seqread           1 MiB Reads from start to end of a -size file, over and
//	                  over, a handle per goroutine; hot: the file is written and
//	                  read once before the phases, so it is in the page cache
//	seqwrite          1 MiB Writes of -size to a new file, then Sync; one pass
//	readfile          os.ReadFile against uringfs.ReadFile of -files files of -bs
//	async-randread-direct, readfiles
//	                  uringfs's async API (a Batch, ReadFiles) from one
//	                  goroutine against os from g goroutines
//	stat              small calls from one goroutine on a -bs file and its
//	                  directory of 100 entries, all cached, each op a row of
//	                  its own (and a name -workloads takes alone):
//	                  stat/stat Stat, stat/lstat Lstat, stat/open-close
//	                  Open+Close, stat/read-small Open+io.ReadAll+Close,
//	                  stat/readdirnames Open+Readdirnames(-1)+Close of the
//	                  directory
//	walk-afero        afero.Walk over a tree of -tree-files files of -bs,
//	                  cached, reading every file with afero.ReadFile:
//	                  afero.NewOsFs() against uring.NewFs(); one goroutine,
//	                  an op is one file, so IOPS are files/s
//	walk-fs           the same with fs.WalkDir and fs.ReadFile over os.DirFS
//	                  against uringfs.DirFS
//
// The os engine calls os (os.Stat, os.Open, ...), the uring and syscall
// engines the same functions of uringfs; the walks use the file systems
// named above, the syscall engine uring.NewFs() and uringfs.DirFS on its
// backend. The tree has 100 files to a directory and 10 directories to a
// parent (d000/e0/f00), like a source tree; it and the stat files are
// written once before the phases, synced, and left in the page cache. A
// walk that runs to its end must find every file, or the phase fails.
//
// randread-cold measures reads that go to the device through the page cache,
// as a program's reads of a data set larger than memory do. Each phase drops
// the file's pages with posix_fadvise(POSIX_FADV_DONTNEED) before its clock
// starts; its reads bring pages back, so while it runs the parent (not the
// measured process, so that every engine and fio are treated alike) drops
// them again every 100 ms, first measuring with cachestat(2) (mincore(2)
// before Linux 6.5) how much of the file was cached. cached% is the largest
// of those measures: no more of the reads than that can have hit the cache
// (with the default 1 GiB, at 100k reads a second, about 4%). The reads stay
// within the first -cold-size bytes of the O_DIRECT test file when that is
// as large (and the O_DIRECT workloads run), else of a file of their own. A
// file system that keeps its pages whatever one advises (tmpfs) shows a high
// cached%, and a note says the rows were not cold.
//
// With -fsync N the writing workloads (randwrite-direct, mixed, seqwrite)
// call the file's Sync after every N writes on each goroutine: os.File.Sync
// or uringfs.File.Sync, fsync(2) either way. The Sync is in the phase's time
// and IOPS but not in the write latency; the JSON counts the Syncs.
//
// Flags:
//
//	-dir DIR          where the test files go (default os.TempDir())
//	-size N           O_DIRECT test file, seqread's file (whole MiBs) and
//	                  seqwrite's total (default 256MiB)
//	-hot-size N       page-cache test file (default 64MiB)
//	-cold-size N      how much of a file randread-cold reads (default 1GiB)
//	-tree-files N     files in the walks' tree (default 20000)
//	-bs N             block size, and the size of the small files (default 4KiB)
//	-goroutines L     goroutine counts for O_DIRECT workloads and
//	                  randread-cold (default 1,32,128)
//	-hot-goroutines L goroutine counts for randread-hot and seqread (default 1,16)
//	-readfile-goroutines N, -files N   readfile: 64 goroutines over 1000 files
//	-duration D       each timed phase, warm-up included (default 1s)
//	-rounds N         rounds (default 3)
//	-workloads L      randread-direct, randread-hot (default), randread-cold,
//	                  randwrite-direct, mixed, seqread, seqwrite, readfile,
//	                  async-randread-direct, readfiles, stat (or one of its
//	                  ops: stat/lstat ...), walk-afero, walk-fs, or all
//	-mix P            mixed: percentage of reads, 0-100 (default 70)
//	-fsync N          Sync after every N writes per goroutine (default 0: never)
//	-engines L        os, uring, syscall (default all three)
//	-json             JSON instead of the table (every phase and the medians;
//	                  lat_p50_ns, lat_p99_ns, lat_p999_ns, writes, syncs,
//	                  cached_peak_pct)
//	-benchfmt         Go benchmark format instead of the table, a line per
//	                  phase (BenchmarkRandreadDirect/g=32/uring N ns/op
//	                  ops/s MB/s cpu-ns/op p50-ns p99-ns p999-ns threads;
//	                  an op of stat is named BenchmarkStat/op=lstat/g=1/os,
//	                  and randread-cold adds cached-peak-pct),
//	                  for benchstat: benchstat old.txt new.txt compares two
//	                  builds, benchstat -col /engine new.txt the engines
//	-fio              also run randread-direct, randwrite-direct and mixed
//	                  through fio --ioengine=io_uring --direct=1, and
//	                  randread-cold with --direct=0, one job at
//	                  --iodepth=N for N goroutines, if fio is on PATH, and
//	                  add a "vs fio" column; skipped with a note otherwise
//	-isolate          run each phase in its own process (default true)
//	-direct           run the O_DIRECT workloads (default true)
//	-keep             keep the test files
//	-footprint        instead of the workloads, measure what the loop adds
//	                  to a process: rings, descriptors, RSS and threads
//	                  after reading a few files, at GOMAXPROCS 1 to 64, and
//	                  at GOMAXPROCS 64 after O_DIRECT random reads from 1 to
//	                  128 goroutines, each in a fresh child, next to os
//	-chart FILE       also write an SVG chart (off by default): one panel per
//	                  workload, a group of bars per goroutine count, a bar
//	                  per engine at its median IOPS, min-max whiskers, the
//	                  value above each bar and the ratio to os below it
//	-q                no progress reports on stderr
//
// With -fio, fio's io_uring engine runs the O_DIRECT random workloads as our
// engines do, on the same data file with the same -size and -bs:
// randread-direct as --rw=randread, randwrite-direct as --rw=randwrite and
// mixed as --rw=randrw --rwmixread=P for -mix P, from one job (one thread)
// with as many I/Os in flight as the phase has goroutines. It is a row of
// its own (engine fio), and the uring and syscall rows of the same workload
// and goroutine count get their IOPS as a share of fio's in the "vs fio"
// column (ratio_to_fio in the JSON). fio's writes land in the data file
// inside its size, as randwrite-direct's own do; the tool checks that the
// file's size is unchanged after each fio run. With -fsync N fio gets
// --fsync=N, an fsync after every N writes the job issues, the nearest it
// has to our Sync after every N writes per goroutine; but with more than
// one write in flight fio 3.33 syncs more often than that (at iodepth 32
// and --fsync=4 we saw an fsync every 1.3 to 1.5 writes for randwrite and
// more fsyncs than writes for randrw), so a note gives the writes per fsync
// fio and our engines really made and says when they differ: those rows
// are then not like for like. async-randread-direct gets no fio row of its
// own: its vs fio is against fio's randread-direct row at the same count,
// which is the same reads with the same number in flight. randread-cold runs
// as --rw=randread --direct=0 on its file and size, with --invalidate=1,
// fio's own drop of the file's cache before the job, and --fadvise_hint=0,
// so that fio does not advise POSIX_FADV_RANDOM, which turns readahead off,
// where our engines advise nothing; the parent drops the pages while fio
// runs as it does for the other engines.
//
// If the file system under -dir refuses O_DIRECT (tmpfs answers EINVAL), the
// tool says so and runs only the buffered workloads (randread-cold among
// them, though there its cached% will show that nothing was cold).
//
// The table goes to stdout, progress to stderr. When stderr is a terminal, a
// status line there shows the running phase, rewritten in place; otherwise
// (a pipe, a file, a CI log) each prepared test file and each finished phase
// gets a line of its own, with the phase's ops/s or why it failed, and no
// carriage returns. -q reports no progress at all. The exit status is 1 if
// any phase failed.
package main
