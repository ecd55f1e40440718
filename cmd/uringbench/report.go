package main

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// summary is one row of the report: the medians over the rounds of one
// workload, goroutine count and engine.
type summary struct {
	Workload   string  `json:"workload"`
	Goroutines int     `json:"goroutines"`
	Engine     string  `json:"engine"`
	Backend    string  `json:"backend,omitempty"`
	Rounds     int     `json:"rounds"` // rounds that succeeded
	IOPS       float64 `json:"iops"`   // median
	MinIOPS    float64 `json:"iops_min"`
	MaxIOPS    float64 `json:"iops_max"`
	RatioOS    float64 `json:"ratio_to_os,omitempty"`  // median IOPS / median os IOPS, same workload and run
	RatioFio   float64 `json:"ratio_to_fio,omitempty"` // median IOPS / fio's, same workload and gor; uringfs engines and fio (-fio)
	MiBps      float64 `json:"mib_per_s"`
	NsPerOp    float64 `json:"ns_per_op"`               // wall time / ops (all goroutines together)
	CPUPerOp   float64 `json:"cpu_ns_per_op,omitempty"` // getrusage user+sys / ops
	UserPct    float64 `json:"cpu_user_pct"`            // user share of that CPU time; -1 if unknown
	Threads    int     `json:"threads_created"`         // -1: not measured
	// Latency percentiles of single ops, medians over rounds of each
	// phase's percentile; absent for the async workloads.
	LatP50  float64 `json:"lat_p50_ns,omitempty"`
	LatP99  float64 `json:"lat_p99_ns,omitempty"`
	LatP999 float64 `json:"lat_p999_ns,omitempty"`
	Syncs   float64 `json:"syncs,omitempty"` // Sync calls per phase, median
	// Loop counters, medians; -1 where not measured: engines not on
	// uringfs, and ratios the syscall backend leaves undefined.
	SQEPerEnter float64 `json:"sqes_per_enter"`
	InlinePct   float64 `json:"inline_pct"`
	ParksPerOp  float64 `json:"parks_per_op"`
	WakesPerOp  float64 `json:"wakeups_per_op"`
	CallerPct   float64 `json:"caller_pct"` // share of buffered ops finished on the caller, not the ring
	OthersPct   float64 `json:"others_pct"` // CPU other processes used, % of all CPUs (max over rounds); -1 unknown
	// CachedPct is randread-cold's largest share of the file in the page
	// cache over the rounds (phaseResult.CachedPeak); -1 for the others.
	CachedPct float64  `json:"cached_peak_pct"`
	Errors    []string `json:"errors,omitempty"`
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// medianOr is the median, or -1 for no values.
func medianOr(v []float64) float64 {
	if len(v) == 0 {
		return -1
	}
	return median(v)
}

type rowKey struct {
	workload   string
	goroutines int
	engine     string
}

// summarize groups results by workload, goroutines and engine, in the order
// the plan ran them, and takes medians over rounds.
func summarize(results []phaseResult) []summary {
	var keys []rowKey
	groups := map[rowKey][]phaseResult{}
	for _, r := range results {
		k := rowKey{r.Workload, r.Goroutines, r.Engine}
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], r)
	}
	slices.SortStableFunc(keys, func(a, b rowKey) int {
		if c := workloadRank(a.workload) - workloadRank(b.workload); c != 0 {
			return c
		}
		if c := a.goroutines - b.goroutines; c != 0 {
			return c
		}
		return engineRank(a.engine) - engineRank(b.engine)
	})
	var out []summary
	baseIOPS := map[rowKey]float64{} // os's and fio's rows, the ratios' denominators
	for _, k := range keys {
		s := summary{Workload: k.workload, Goroutines: k.goroutines, Engine: k.engine, Threads: -1,
			SQEPerEnter: -1, InlinePct: -1, ParksPerOp: -1, WakesPerOp: -1, CallerPct: -1, UserPct: -1, OthersPct: -1, CachedPct: -1}
		var iops, mibps, nsop, cpuop, userPct, thr, sqe, inl, parks, wakes, nowait, p50, p99, p999, syncs []float64
		for _, r := range groups[k] {
			if r.Err != "" {
				s.Errors = append(s.Errors, fmt.Sprintf("round %d: %s", r.Round, r.Err))
				continue
			}
			if r.Ops == 0 || r.Elapsed <= 0 {
				s.Errors = append(s.Errors, fmt.Sprintf("round %d: no operations completed", r.Round))
				continue
			}
			s.Rounds++
			if r.CachedPeak != nil {
				s.CachedPct = max(s.CachedPct, *r.CachedPeak)
			}
			sec := r.Elapsed.Seconds()
			if r.Others >= 0 {
				s.OthersPct = max(s.OthersPct, 100*r.Others.Seconds()/(sec*float64(runtime.NumCPU())))
			}
			s.Backend = r.Backend
			ops := float64(r.Ops)
			iops = append(iops, ops/sec)
			mibps = append(mibps, float64(r.Bytes)/sec/(1<<20))
			nsop = append(nsop, float64(r.Elapsed.Nanoseconds())/ops)
			if r.CPU >= 0 {
				cpuop = append(cpuop, float64(r.CPU.Nanoseconds())/ops)
				if r.CPU > 0 {
					userPct = append(userPct, 100*float64(r.CPUUser)/float64(r.CPU))
				}
			}
			if r.Threads >= 0 {
				thr = append(thr, float64(r.Threads))
			}
			if r.LatSamples > 0 {
				p50 = append(p50, float64(r.LatP50))
				p99 = append(p99, float64(r.LatP99))
				p999 = append(p999, float64(r.LatP999))
			}
			syncs = append(syncs, float64(r.Syncs))
			if l := r.Loop; l != nil && r.Backend == "uring" {
				if l.Enters > 0 {
					sqe = append(sqe, float64(l.SQEs)/float64(l.Enters))
				}
				if l.Inline+l.Parks > 0 {
					inl = append(inl, 100*float64(l.Inline)/float64(l.Inline+l.Parks))
				}
				if all := l.NowaitHits + l.NowaitMisses + l.CachedReads; all > 0 {
					nowait = append(nowait, 100*float64(l.NowaitHits+l.CachedReads)/float64(all))
				}
				parks = append(parks, float64(l.Parks)/ops)
				wakes = append(wakes, float64(l.Wakeups)/ops)
			}
		}
		if s.Rounds > 0 {
			s.IOPS, s.MinIOPS, s.MaxIOPS = median(iops), slices.Min(iops), slices.Max(iops)
			s.MiBps, s.NsPerOp, s.CPUPerOp, s.UserPct = median(mibps), median(nsop), median(cpuop), medianOr(userPct)
			if len(thr) > 0 {
				s.Threads = int(median(thr) + 0.5)
			}
			s.SQEPerEnter, s.InlinePct, s.ParksPerOp, s.WakesPerOp = medianOr(sqe), medianOr(inl), medianOr(parks), medianOr(wakes)
			s.CallerPct = medianOr(nowait)
			s.LatP50, s.LatP99, s.LatP999, s.Syncs = median(p50), median(p99), median(p999), median(syncs)
		}
		if k.engine == engineOS || k.engine == engineFio {
			baseIOPS[rowKey{k.workload, k.goroutines, k.engine}] = s.IOPS
		}
		out = append(out, s)
	}
	for i := range out {
		s := &out[i]
		if s.IOPS <= 0 {
			continue
		}
		if o := baseIOPS[rowKey{s.Workload, s.Goroutines, engineOS}]; o > 0 {
			s.RatioOS = s.IOPS / o
		}
		// fio is io_uring at queue depth gor from one thread: the
		// question it answers is how close uringfs comes, so os, which
		// is not on a ring, gets no ratio to it.
		if f := baseIOPS[rowKey{fioBaseline(s.Workload), s.Goroutines, engineFio}]; f > 0 && s.Engine != engineOS {
			s.RatioFio = s.IOPS / f
		}
	}
	return out
}

// fioBaseline is the workload whose fio row a workload is compared with:
// its own, except for the async reads, which are fio's randread-direct at
// the same depth (one goroutine keeping gor reads in flight, as fio's one
// job does).
func fioBaseline(w string) string {
	if w == wAsyncRandRead {
		return wRandReadDirect
	}
	return w
}

func engineRank(e string) int {
	if i := slices.Index([]string{engineOS, engineUring, engineSyscall, engineFio}, e); i >= 0 {
		return i
	}
	return 99
}

// report is everything the tool prints at the end.
type report struct {
	Machine machineInfo    `json:"machine"`
	Notes   []string       `json:"notes,omitempty"`
	Rows    []summary      `json:"summary"`
	Phases  []phaseResult  `json:"phases"`
	Config  map[string]any `json:"config"`
}

// machineInfo describes where the numbers were taken.
type machineInfo struct {
	GoVersion  string `json:"go_version"`
	GOOS       string `json:"goos"`
	GOARCH     string `json:"goarch"`
	NumCPU     int    `json:"num_cpu"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	Kernel     string `json:"kernel"`
	Dir        string `json:"dir"`
	FS         string `json:"fs"`
	Direct     string `json:"o_direct"` // "supported", "unsupported (why)" or "not tried"
	Backend    string `json:"uring_backend"`
	// LoadStart and LoadEnd are the one-minute load averages when the
	// run began and ended: other work on the machine skews every number.
	LoadStart float64 `json:"loadavg_start"`
	LoadEnd   float64 `json:"loadavg_end"`
}

func writeJSON(w io.Writer, r *report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// writeTable prints the report as a plain text table.
func writeTable(w io.Writer, r *report, rounds int, d time.Duration) {
	m := r.Machine
	fmt.Fprintf(w, "uringbench: %s %s/%s, %d CPUs (GOMAXPROCS %d), kernel %s\n", m.GoVersion, m.GOOS, m.GOARCH, m.NumCPU, m.GOMAXPROCS, m.Kernel)
	fmt.Fprintf(w, "load average %.2f at start, %.2f at end (it counts this tool's threads blocked on the disk too)\n", m.LoadStart, m.LoadEnd)
	fmt.Fprintf(w, "dir %s (%s), O_DIRECT %s, uring engine backend %s; %d round(s) of %v per phase, median shown\n",
		m.Dir, m.FS, m.Direct, m.Backend, rounds, d)
	for _, n := range r.Notes {
		fmt.Fprintln(w, "note:", n)
	}
	fmt.Fprintln(w)
	// The vs fio column is there only when fio ran, so that the usual
	// table keeps its shape.
	withFio := slices.ContainsFunc(r.Rows, func(s summary) bool { return s.RatioFio > 0 })
	// So is cached%, only when randread-cold ran.
	withCached := slices.ContainsFunc(r.Rows, func(s summary) bool { return s.CachedPct >= 0 })
	head := []string{"workload", "gor", "engine", "IOPS", "vs os", "spread", "MiB/s", "ns/op", "p50", "p99", "p999", "cpu/op", "usr%", "threads", "caller%", "sqe/enter", "inline%", "parks/op", "others%"}
	if withFio {
		head = slices.Insert(head, 5, "vs fio")
	}
	if withCached {
		head = append(head, "cached%")
	}
	rows := [][]string{head}
	for _, s := range r.Rows {
		row := []string{s.Workload, strconv.Itoa(s.Goroutines), s.Engine}
		if s.Rounds == 0 {
			row = append(row, "FAILED")
			rows = append(rows, row)
			continue
		}
		row = append(row, fmtCount(s.IOPS))
		if s.RatioOS > 0 {
			row = append(row, fmt.Sprintf("%.2fx", s.RatioOS))
		} else {
			row = append(row, "-")
		}
		if withFio {
			if s.RatioFio > 0 {
				row = append(row, fmt.Sprintf("%.2fx", s.RatioFio))
			} else {
				row = append(row, "-")
			}
		}
		spread := "-"
		if s.Rounds > 1 && s.IOPS > 0 {
			spread = fmt.Sprintf("±%.0f%%", 50*(s.MaxIOPS-s.MinIOPS)/s.IOPS)
		}
		mibps := "-" // ops that move no data (the stat ops)
		if s.MiBps > 0 {
			mibps = fmt.Sprintf("%.0f", s.MiBps)
		}
		row = append(row, spread, mibps, fmtNs(s.NsPerOp),
			fmtLat(s.LatP50), fmtLat(s.LatP99), fmtLat(s.LatP999), fmtNs(s.CPUPerOp), fmtOpt("%.0f", s.UserPct))
		if s.Threads >= 0 {
			row = append(row, strconv.Itoa(s.Threads))
		} else {
			row = append(row, "-")
		}
		row = append(row, fmtOpt("%.0f", s.CallerPct), fmtOpt("%.2f", s.SQEPerEnter), fmtOpt("%.0f", s.InlinePct), fmtOpt("%.2f", s.ParksPerOp), fmtOpt("%.0f", s.OthersPct))
		if withCached {
			row = append(row, fmtOpt("%.1f", s.CachedPct))
		}
		rows = append(rows, row)
	}
	printColumns(w, rows, 3)
	var errs []string
	for _, s := range r.Rows {
		for _, e := range s.Errors {
			errs = append(errs, fmt.Sprintf("%s g=%d %s: %s", s.Workload, s.Goroutines, s.Engine, e))
		}
	}
	if len(errs) > 0 {
		fmt.Fprintln(w, "\nerrors:")
		for _, e := range errs {
			fmt.Fprintln(w, "  "+e)
		}
	}
	fmt.Fprintln(w, "\nvs os: median IOPS / median os IOPS, same workload, same run. spread: half the min-max range over rounds.")
	if withFio {
		fmt.Fprintln(w, "vs fio: median IOPS / median IOPS of fio's io_uring engine, one job at iodepth gor, same workload and gor.")
	}
	fmt.Fprintln(w, "ns/op: wall time / ops, all goroutines together. p50 p99 p999: latency percentiles of one op (one call,")
	fmt.Fprintln(w, "timed on its goroutine; - where an op is not one call). cpu/op: process user+sys CPU / ops, usr% its user share.")
	fmt.Fprintln(w, "threads: OS threads the phase added. uringfs loop counters over the phase: caller% of buffered ops done on")
	fmt.Fprintln(w, "the caller (preadv2/pwritev2 RWF_NOWAIT hits, pread of files whose reads all hit the page cache);")
	fmt.Fprintln(w, "SQEs per io_uring_enter; inline% of ring submissions that")
	fmt.Fprintln(w, "completed without parking the caller; parks per op. others%: CPU other processes used during the phase,")
	fmt.Fprintln(w, "as % of all CPUs, worst round: above a few % the machine was shared and the row is suspect.")
	if withCached {
		fmt.Fprintln(w, "cached%: randread-cold, the largest share of the file found in the page cache before one of the drops")
		fmt.Fprintln(w, "made while the phase ran, worst round: no more of the reads than that can have hit the cache.")
	}
}

// printColumns lays rows out in columns, the first left text columns
// aligned left and the rest (numbers) aligned right.
func printColumns(w io.Writer, rows [][]string, left int) {
	var width []int
	for _, r := range rows {
		for i, c := range r {
			if i >= len(width) {
				width = append(width, 0)
			}
			width[i] = max(width[i], len([]rune(c)))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		for i, c := range r {
			pad := strings.Repeat(" ", width[i]-len([]rune(c)))
			if i > 0 {
				b.WriteString("  ")
			}
			if i < left {
				b.WriteString(c + pad)
			} else {
				b.WriteString(pad + c)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

func fmtOpt(format string, v float64) string {
	if v < 0 {
		return "-"
	}
	return fmt.Sprintf(format, v)
}

func fmtCount(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e4:
		return fmt.Sprintf("%.1fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

// fmtLat writes a latency in at most about five characters, three
// significant digits, so that three columns of them fit the table.
func fmtLat(ns float64) string {
	switch {
	case ns <= 0:
		return "-"
	case ns < 1e3:
		return fmt.Sprintf("%.0fns", ns)
	case ns < 1e4:
		return fmt.Sprintf("%.2fµs", ns/1e3)
	case ns < 1e5:
		return fmt.Sprintf("%.1fµs", ns/1e3)
	case ns < 1e6:
		return fmt.Sprintf("%.0fµs", ns/1e3)
	case ns < 1e7:
		return fmt.Sprintf("%.2fms", ns/1e6)
	case ns < 1e8:
		return fmt.Sprintf("%.1fms", ns/1e6)
	case ns < 1e9:
		return fmt.Sprintf("%.0fms", ns/1e6)
	}
	return fmt.Sprintf("%.2fs", ns/1e9)
}

func fmtNs(v float64) string {
	switch {
	case v <= 0:
		return "-"
	case v >= 1e6:
		return fmt.Sprintf("%.2fms", v/1e6)
	case v >= 1e4:
		return fmt.Sprintf("%.1fµs", v/1e3)
	}
	return fmt.Sprintf("%.0fns", v)
}
