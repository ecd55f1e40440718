package uringfs_test

import (
	"encoding/json"
	"expvar"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"github.com/uringfs/uring/uringfs"
)

// Publishing the loop's stats with expvar: they appear under the chosen
// name at /debug/vars, as JSON that decodes into LoopStats.
func ExampleStatsVar() {
	expvar.Publish("uringfs", uringfs.StatsVar{})

	// Some work for the loop to count.
	dir, err := os.MkdirTemp("", "stats")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	if err := uringfs.WriteFile(filepath.Join(dir, "f"), []byte("hello"), 0o644); err != nil {
		panic(err)
	}

	// A program serving http.DefaultServeMux has /debug/vars already;
	// here the handler is served on its own.
	srv := httptest.NewServer(expvar.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/debug/vars")
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var vars map[string]json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&vars); err != nil {
		panic(err)
	}
	var stats uringfs.LoopStats
	err = json.Unmarshal(vars["uringfs"], &stats)
	fmt.Println("uringfs in /debug/vars:", vars["uringfs"] != nil)
	fmt.Println("decodes into LoopStats:", err == nil)
	// Output:
	// uringfs in /debug/vars: true
	// decodes into LoopStats: true
}

// Feeding a monitoring system: Metrics turns the stats into named samples,
// with no dependency on the system's client library. For Prometheus, a
// handler writes them in its text format:
//
//	http.HandleFunc("/metrics", func(w http.ResponseWriter, _ *http.Request) {
//		for _, m := range uringfs.Stats().Metrics() {
//			fmt.Fprintln(w, m)
//		}
//	})
//
// For OpenTelemetry, the callback of an observable instrument (or of a
// metric.Registration covering several) observes each sample, its Labels
// as attributes. Here the samples of a made-up snapshot are printed, less
// the zero ones.
func ExampleLoopStats_Metrics() {
	s := uringfs.LoopStats{
		Backend:  "uring",
		Counters: uringfs.Counters{Ops: 3, Enters: 2, SQEs: 3, Inline: 2, Parks: 1},
		Rings:    []uringfs.RingStats{{InFlight: 1, SlotsInUse: 1, Slots: 504}},
		Ops:      []uringfs.OpStats{{Op: "read", Ops: 3, Errors: 1}},
	}
	s.Ops[0].Latency.Buckets[3] = 1 // one timed read, between 4.096µs and 8.192µs
	s.Ops[0].Latency.Sum = 5000     // of 5µs
	for _, m := range s.Metrics() {
		if m.Value != 0 && !strings.HasSuffix(m.Name, "_bucket") || m.Name == "uringfs_op_latency_seconds_bucket" && m.Labels[1].Value == "8.192e-06" {
			fmt.Println(m)
		}
	}
	// Output:
	// uringfs_ops_total 3
	// uringfs_enters_total 2
	// uringfs_sqes_total 3
	// uringfs_inline_total 2
	// uringfs_parks_total 1
	// uringfs_ring_in_flight{ring="0"} 1
	// uringfs_ring_slots_in_use{ring="0"} 1
	// uringfs_ring_slots{ring="0"} 504
	// uringfs_op_completions_total{op="read"} 3
	// uringfs_op_errors_total{op="read"} 1
	// uringfs_op_latency_seconds_bucket{op="read",le="8.192e-06"} 1
	// uringfs_op_latency_seconds_sum{op="read"} 5e-06
	// uringfs_op_latency_seconds_count{op="read"} 1
}
