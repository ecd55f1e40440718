package uringfs_test

import (
	"encoding/json"
	"expvar"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/uringfs/uring/uringfs"
)

var _ expvar.Var = uringfs.StatsVar{}

// TestStatsDocumented: every field of the stats types has a doc comment of
// its own that starts with its name.
func TestStatsDocumented(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "stats.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"LoopStats": true, "RingStats": true, "OpStats": true, "Histogram": true}
	ast.Inspect(f, func(n ast.Node) bool {
		ts, ok := n.(*ast.TypeSpec)
		if !ok || !want[ts.Name.Name] {
			return true
		}
		delete(want, ts.Name.Name)
		st, ok := ts.Type.(*ast.StructType)
		if !ok || ts.Assign.IsValid() {
			t.Errorf("%s is not a struct type of its own", ts.Name.Name)
			return false
		}
		for _, field := range st.Fields.List {
			if len(field.Names) != 1 {
				t.Errorf("%s: fields %v share one declaration", ts.Name.Name, field.Names)
				continue
			}
			name := field.Names[0].Name
			doc := strings.TrimSpace(field.Doc.Text())
			if !strings.HasPrefix(doc, name+" ") || len(strings.Fields(doc)) < 8 {
				t.Errorf("%s.%s: doc comment %q does not say what it is", ts.Name.Name, name, doc)
			}
		}
		return false
	})
	for name := range want {
		t.Errorf("no type %s in stats.go", name)
	}
}

func opTable(s uringfs.LoopStats, op string) uringfs.OpStats {
	for _, o := range s.Ops {
		if o.Op == op {
			return o
		}
	}
	return uringfs.OpStats{}
}

// TestStatsMove: Stats follows the work done through uringfs on whichever
// backend runs; ring gauges and op tables are empty on the syscall
// backend, and everything is where no loop runs.
func TestStatsMove(t *testing.T) {
	const n = 8
	f, err := uringfs.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s0 := uringfs.Stats()
	for range n {
		if err := f.Sync(); err != nil {
			t.Fatal(err)
		}
	}
	s1 := uringfs.Stats()
	if runtime.GOOS != "linux" {
		if !reflect.DeepEqual(s1, uringfs.LoopStats{}) {
			t.Errorf("stats on %s, where no loop runs: %+v", runtime.GOOS, s1)
		}
		return
	}
	backend, _ := uringfs.Backend()
	if s1.Backend != backend {
		t.Errorf("Backend %q, want %q", s1.Backend, backend)
	}
	// Other tests may run at the same time: the counts can only be larger.
	if d := s1.Counters.Ops - s0.Counters.Ops; d < n {
		t.Errorf("%d Syncs: Ops grew by %d", n, d)
	}
	if len(s1.Ops) != 20 {
		t.Errorf("%d op tables, want 20", len(s1.Ops))
	}
	fs0, fs1 := opTable(s0, "fsync"), opTable(s1, "fsync")
	if backend == "syscall" {
		if len(s1.Rings) != 0 || fs1.Ops != 0 {
			t.Errorf("syscall backend: rings %+v, fsync table %+v; want none", s1.Rings, fs1)
		}
		return
	}
	if len(s1.Rings) == 0 {
		t.Fatal("io_uring backend: no ring gauges")
	}
	for i, r := range s1.Rings {
		if r.Slots <= 0 || r.SlotsInUse < 0 || r.SlotsInUse > r.Slots || r.InFlight < 0 || r.DirectInUse > r.DirectSlots {
			t.Errorf("ring %d: %+v", i, r)
		}
	}
	if d := fs1.Ops - fs0.Ops; d < n {
		t.Errorf("%d Syncs on io_uring: fsync Ops grew by %d", n, d)
	}
	if fs1.Errors != fs0.Errors {
		t.Errorf("%d good Syncs: fsync Errors grew by %d", n, fs1.Errors-fs0.Errors)
	}
}

// TestStatsVarJSON: what expvar publishes decodes into LoopStats.
func TestStatsVarJSON(t *testing.T) {
	var s uringfs.LoopStats
	js := uringfs.StatsVar{}.String()
	if err := json.Unmarshal([]byte(js), &s); err != nil {
		t.Fatalf("StatsVar JSON %.200s: %v", js, err)
	}
	now := uringfs.Stats()
	if s.Backend != now.Backend || len(s.Rings) != len(now.Rings) || len(s.Ops) != len(now.Ops) || s.Counters.Ops > now.Counters.Ops {
		t.Errorf("decoded %+v\nnow %+v", s, now)
	}
}

func TestHistogram(t *testing.T) {
	for i := 0; i < uringfs.LatencyBuckets-1; i++ {
		if got, want := uringfs.LatencyBucketLimit(i), time.Duration(1024)<<i; got != want {
			t.Errorf("LatencyBucketLimit(%d) = %v, want %v", i, got, want)
		}
	}
	for _, i := range []int{-1, uringfs.LatencyBuckets - 1, uringfs.LatencyBuckets} {
		if got := uringfs.LatencyBucketLimit(i); got != 0 {
			t.Errorf("LatencyBucketLimit(%d) = %v, want 0", i, got)
		}
	}
	var h uringfs.Histogram
	if h.Count() != 0 || h.Quantile(0.5) != 0 {
		t.Errorf("empty histogram: count %d, median %v", h.Count(), h.Quantile(0.5))
	}
	h.Buckets[0], h.Buckets[3], h.Buckets[uringfs.LatencyBuckets-1] = 50, 49, 1
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0, 1024}, {0.5, 1024}, {0.51, 8192}, {0.99, 8192}, {1, 0}} {
		if got := h.Quantile(c.q); got != c.want {
			t.Errorf("Quantile(%v) = %v, want %v", c.q, got, c.want)
		}
	}
	if h.Count() != 100 {
		t.Errorf("Count = %d, want 100", h.Count())
	}
}

func TestMetrics(t *testing.T) {
	s := uringfs.LoopStats{
		Backend:  "uring",
		Counters: uringfs.Counters{Ops: 7, NowaitHits: 2, SQEs: 5},
		Rings:    []uringfs.RingStats{{InFlight: 1, SlotsInUse: 2, Slots: 504}},
		Ops:      []uringfs.OpStats{{Op: "read", Ops: 5, Errors: 1}, {Op: "write"}},
	}
	s.Ops[0].Latency.Buckets[2] = 2
	s.Ops[0].Latency.Buckets[uringfs.LatencyBuckets-1] = 1
	s.Ops[0].Latency.Sum = 5 * time.Second
	got := map[string]float64{}
	counters := 0
	for _, m := range s.Metrics() {
		got[m.String()[:strings.LastIndexByte(m.String(), ' ')]] = m.Value
		if strings.HasSuffix(m.Name, "_total") && len(m.Labels) == 0 {
			counters++
		}
	}
	if n := reflect.TypeOf(uringfs.Counters{}).NumField(); counters != n {
		t.Errorf("%d counter metrics for %d Counters fields", counters, n)
	}
	for name, want := range map[string]float64{
		"uringfs_ops_total":                                           7,
		"uringfs_sqes_total":                                          5,
		"uringfs_nowait_hits_total":                                   2,
		"uringfs_on_caller_total":                                     0,
		`uringfs_ring_in_flight{ring="0"}`:                            1,
		`uringfs_ring_slots{ring="0"}`:                                504,
		`uringfs_op_completions_total{op="read"}`:                     5,
		`uringfs_op_errors_total{op="read"}`:                          1,
		`uringfs_op_latency_seconds_bucket{op="read",le="2.048e-06"}`: 0,
		`uringfs_op_latency_seconds_bucket{op="read",le="4.096e-06"}`: 2,
		`uringfs_op_latency_seconds_bucket{op="read",le="+Inf"}`:      3,
		`uringfs_op_latency_seconds_count{op="read"}`:                 3,
		`uringfs_op_latency_seconds_sum{op="read"}`:                   5,
	} {
		if v, ok := got[name]; !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v", name, v, ok, want)
		}
	}
	if _, ok := got[`uringfs_op_completions_total{op="write"}`]; ok {
		t.Error("a kind that never ran has metrics")
	}
}
