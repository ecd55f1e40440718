package main

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/uringfs/uring/uringfs"
)

// phaseSpec is one measurement: a workload at a goroutine count on an engine.
type phaseSpec struct {
	Workload   string        `json:"workload"`
	Goroutines int           `json:"goroutines"`
	Engine     string        `json:"engine"`
	Round      int           `json:"round"`
	Duration   time.Duration `json:"duration_ns"`
	BS         int64         `json:"bs"`
	Mix        int           `json:"mix_read_pct"` // mixed: share of reads, in percent
	FsyncEvery int           `json:"fsync_every"`  // write workloads: Sync after this many writes per goroutine; 0 never
	Files      fileSet       `json:"files"`
}

// phaseResult is what a phase measured. Counts are deltas over the measured
// window only (after warm-up).
type phaseResult struct {
	phaseSpec
	Ops     int64         `json:"ops"`
	Bytes   int64         `json:"bytes"`
	Elapsed time.Duration `json:"elapsed_ns"`
	CPU     time.Duration `json:"cpu_ns"`      // getrusage(RUSAGE_SELF) user+sys; -1 if unknown
	CPUUser time.Duration `json:"cpu_user_ns"` // the user part of CPU
	// Others is the CPU time other processes used during the window (all
	// CPUs busy time from /proc/stat less ours): a phase that shared the
	// machine is not comparable. -1 if unknown.
	Others    time.Duration `json:"others_cpu_ns"`
	Threads   int           `json:"threads"`      // peak OS threads minus those before the phase; -1 if unknown
	ThreadsAt int           `json:"threads_base"` // OS threads before the phase
	Backend   string        `json:"backend,omitempty"`
	Reason    string        `json:"fallback_reason,omitempty"`
	Loop      *loopDelta    `json:"loop,omitempty"` // uringfs loop counters, engines on uringfs only
	// Latency percentiles of the ops in the window, each op timed around
	// its one call; absent where an op is not one call (async workloads).
	LatP50     time.Duration `json:"lat_p50_ns,omitempty"`
	LatP99     time.Duration `json:"lat_p99_ns,omitempty"`
	LatP999    time.Duration `json:"lat_p999_ns,omitempty"`
	LatSamples int64         `json:"lat_samples,omitempty"`
	Writes     int64         `json:"writes,omitempty"` // writes in the window (write workloads)
	Syncs      int64         `json:"syncs,omitempty"`  // Sync calls in the window (-fsync, and seqwrite's last)
	// CachedPeak is, for randread-cold, the largest share of the file in
	// the page cache, in percent, of those measured before each of the
	// parent's drops during the phase and after it (see coldKeeper).
	CachedPeak *float64 `json:"cached_peak_pct,omitempty"`
	Err        string   `json:"error,omitempty"`
}

// loopDelta is the change in uringfs.LoopCounters over a measured window.
type loopDelta struct {
	Ops       uint64 `json:"ops"`
	Enters    uint64 `json:"enters"`
	SQEs      uint64 `json:"sqes"`
	Inline    uint64 `json:"inline"`
	Parks     uint64 `json:"parks"`
	Wakeups   uint64 `json:"wakeups"`
	Retries   uint64 `json:"retries"`
	SlotWaits uint64 `json:"slot_waits"`
	Fallbacks uint64 `json:"fallbacks"`
	// Buffered reads and writes the caller finished with RWF_NOWAIT, and
	// those that would have blocked and went to the ring.
	NowaitHits   uint64 `json:"nowait_hits"`
	NowaitMisses uint64 `json:"nowait_misses"`
	// Reads of files whose reads all hit the page cache, made with plain
	// pread on the caller.
	CachedReads uint64 `json:"cached_reads"`
	// Parks a lone caller spent asleep in io_uring_enter for its own
	// completion.
	KernelWaits uint64 `json:"kernel_waits"`
}

func counterDelta(a, b uringfs.Counters) *loopDelta {
	return &loopDelta{
		Ops: b.Ops - a.Ops, Enters: b.Enters - a.Enters, SQEs: b.SQEs - a.SQEs,
		Inline: b.Inline - a.Inline, Parks: b.Parks - a.Parks, Wakeups: b.Wakeups - a.Wakeups,
		Retries: b.Retries - a.Retries, SlotWaits: b.SlotWaits - a.SlotWaits, Fallbacks: b.Fallbacks - a.Fallbacks,
		NowaitHits: b.NowaitHits - a.NowaitHits, NowaitMisses: b.NowaitMisses - a.NowaitMisses,
		CachedReads: b.CachedReads - a.CachedReads, KernelWaits: b.KernelWaits - a.KernelWaits,
	}
}

// paddedCounter keeps each worker's count on its own cache line, so counting
// does not make the workers contend.
type paddedCounter struct {
	atomic.Int64
	_ [56]byte
}

// progressInterval is how often a phase reports its running count.
const progressInterval = 100 * time.Millisecond

// snapshot is the process state at one edge of the measured window.
type snapshot struct {
	at        time.Time
	ops       int64
	user, sys time.Duration
	busy      time.Duration
	loop      uringfs.Counters
}

// runPhase runs spec in this process. The engine's setup (opening files,
// starting the uringfs loop) happens before the baseline thread count;
// timed workloads then warm up for a tenth of the duration (at most 200 ms)
// before the window opens, and the window closes while the workers still
// run, so neither start-up nor shutdown is measured.
func runPhase(spec phaseSpec, onProgress func(ops int64, elapsed time.Duration)) phaseResult {
	res := phaseResult{phaseSpec: spec, Threads: -1, CPU: -1, Others: -1}
	e, err := engineByName(spec.Engine)
	if err != nil {
		res.Err = err.Error()
		return res
	}
	onUring := e.name != engineOS
	if onUring {
		b, err := uringfs.Backend()
		if err != nil {
			res.Err = "uringfs loop: " + err.Error()
			return res
		}
		res.Backend = b
		if r := uringfs.FallbackReason(); r != nil {
			res.Reason = r.Error()
		}
	}
	work, err := prepare(e, spec)
	if err != nil {
		res.Err = err.Error()
		return res
	}
	defer func() {
		if err := work.close(); err != nil && res.Err == "" {
			res.Err = "close: " + err.Error()
		}
	}()

	n := max(spec.Goroutines, 1)
	counts := make([]paddedCounter, n)
	var window atomic.Bool
	var stop atomic.Bool
	workers := make([]worker, n)
	for i := range workers {
		workers[i] = worker{id: i, ops: &counts[i].Int64, stop: &stop, window: &window, every: spec.FsyncEvery}
		if work.perOp {
			workers[i].lat = new(histogram)
		}
	}
	total := func() int64 {
		var s int64
		for i := range counts {
			s += counts[i].Load()
		}
		return s
	}
	// The loop counters are read outside the clock and the op count at the
	// start and after them at the end, so the window they cover contains
	// the measured one.
	openWindow := func() snapshot {
		var s snapshot
		if onUring {
			s.loop = uringfs.LoopCounters()
		}
		s.user, s.sys = cpuTime()
		s.busy = machineBusy()
		s.at = time.Now()
		s.ops = total()
		return s
	}
	closeWindow := func() snapshot {
		var s snapshot
		s.ops = total()
		s.at = time.Now()
		s.busy = machineBusy()
		s.user, s.sys = cpuTime()
		if onUring {
			s.loop = uringfs.LoopCounters()
		}
		return s
	}

	base := threadCount()
	peak := base
	var wg sync.WaitGroup
	var errOnce sync.Once
	var firstErr error
	failed := make(chan struct{})
	var s0, s1 snapshot
	if !timed(spec.Workload) {
		window.Store(true)
		s0 = openWindow()
	}
	start := time.Now()
	for i := range n {
		wg.Go(func() {
			if err := work.worker(&workers[i]); err != nil {
				errOnce.Do(func() { firstErr = err; close(failed) })
				stop.Store(true)
			}
		})
	}
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()

	// wait sleeps until d has passed, reporting progress and sampling the
	// thread count as it goes; it returns early if the workers end.
	wait := func(d time.Duration) {
		deadline := time.NewTimer(d)
		defer deadline.Stop()
		tick := time.NewTicker(progressInterval)
		defer tick.Stop()
		for {
			select {
			case <-deadline.C:
				return
			case <-failed:
				return
			case <-finished:
				return
			case <-tick.C:
				if t := threadCount(); t > peak {
					peak = t
				}
				if onProgress != nil {
					onProgress(total(), time.Since(start))
				}
			}
		}
	}

	if timed(spec.Workload) {
		wait(min(spec.Duration/10, 200*time.Millisecond))
		window.Store(true)
		s0 = openWindow()
		wait(spec.Duration - time.Since(start))
		// A window without one finished op measures nothing: on a slow
		// device or a loaded machine keep it open until there is one.
		for total() == s0.ops && !stop.Load() && !isClosed(finished) {
			wait(progressInterval)
		}
		s1 = closeWindow()
		window.Store(false)
		stop.Store(true)
		<-finished
	} else {
		wait(24 * time.Hour)
		<-finished
		s1 = closeWindow()
		window.Store(false)
	}
	if t := threadCount(); t > peak {
		peak = t
	}
	if firstErr != nil {
		res.Err = firstErr.Error()
		return res
	}
	res.Ops = s1.ops - s0.ops
	res.Bytes = res.Ops * work.bytesPerOp
	res.Elapsed = s1.at.Sub(s0.at)
	if s0.user >= 0 && s1.user >= 0 {
		res.CPU = s1.user + s1.sys - s0.user - s0.sys
		res.CPUUser = s1.user - s0.user
		if s0.busy >= 0 && s1.busy >= 0 {
			res.Others = max(s1.busy-s0.busy-res.CPU, 0)
		}
	}
	if base >= 0 {
		res.Threads, res.ThreadsAt = peak-base, base
	}
	if onUring {
		res.Loop = counterDelta(s0.loop, s1.loop)
	}
	// The workers have ended (finished is closed), so their fields are
	// ours to read.
	var lat histogram
	for i := range workers {
		w := &workers[i]
		res.Writes += w.writes
		res.Syncs += w.syncs
		if w.lat != nil {
			lat.merge(w.lat)
		}
	}
	if lat.n > 0 {
		res.LatP50, res.LatP99, res.LatP999 = lat.quantile(0.50), lat.quantile(0.99), lat.quantile(0.999)
		res.LatSamples = int64(lat.n)
	}
	return res
}

func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
