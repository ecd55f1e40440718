package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestWorkloadNames(t *testing.T) {
	ops := []string{"stat/stat", "stat/lstat", "stat/open-close", "stat/read-small", "stat/readdirnames"}
	if got := phaseNames([]string{wStat}); !slices.Equal(got, ops) {
		t.Errorf("phaseNames(stat) = %q, want %q", got, ops)
	}
	if got := phaseNames([]string{"stat/lstat", wStat, wWalkFS}); !slices.Equal(got, append([]string{"stat/lstat", "stat/stat", "stat/open-close", "stat/read-small", "stat/readdirnames"}, wWalkFS)) {
		t.Errorf("phaseNames kept a duplicate or lost the order: %q", got)
	}
	for _, w := range []string{wRandReadCold, wStat, wWalkAfero, wWalkFS} {
		if !slices.Contains(allWorkloads, w) {
			t.Errorf("%s is not in -workloads all", w)
		}
	}
	cfg, err := parseFlags([]string{"-workloads", "all"}, &strings.Builder{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.workloads, allWorkloads) || cfg.coldSize != 1<<30 || cfg.treeFiles != 20000 {
		t.Errorf("all: workloads %q, cold size %d, tree files %d", cfg.workloads, cfg.coldSize, cfg.treeFiles)
	}
	cfg, err = parseFlags([]string{"-workloads", "stat/read-small,walk-fs", "-cold-size", "64M", "-tree-files", "7"}, &strings.Builder{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.workloads, []string{"stat/read-small", wWalkFS}) || cfg.coldSize != 64<<20 || cfg.treeFiles != 7 {
		t.Errorf("workloads %q, cold size %d, tree files %d", cfg.workloads, cfg.coldSize, cfg.treeFiles)
	}
	// Each op of stat sits next to the others, after randread-hot's
	// neighbours and before the walks.
	order := phaseNames(allWorkloads)
	for i := 1; i < len(order); i++ {
		if workloadRank(order[i-1]) >= workloadRank(order[i]) {
			t.Errorf("rank of %s not below that of %s", order[i-1], order[i])
		}
	}
	if !(workloadRank(wRandReadHot) < workloadRank(wRandReadCold) && workloadRank("stat/readdirnames") < workloadRank(wWalkAfero)) {
		t.Errorf("report order %q", order)
	}
	for w, want := range map[string]string{"stat/lstat": "Stat/op=lstat", "stat/read-small": "Stat/op=read-small", wWalkAfero: "WalkAfero", wRandReadCold: "RandreadCold"} {
		if got := benchName(w); got != want {
			t.Errorf("benchName(%s) = %s, want %s", w, got, want)
		}
	}
	var usage strings.Builder
	parseFlags([]string{"-h"}, &usage)
	for _, s := range []string{"-cold-size", "-tree-files", "randread-cold", "walk-afero", "walk-fs", "stat/readdirnames"} {
		if !strings.Contains(usage.String(), s) {
			t.Errorf("usage does not mention %s", s)
		}
	}
}

// TestPlanNewWorkloads: randread-cold runs at the O_DIRECT counts and with
// fio where fio is, the stat ops and walks on one goroutine and never
// with fio.
func TestPlanNewWorkloads(t *testing.T) {
	cfg, err := parseFlags([]string{"-goroutines", "1,32", "-rounds", "2", "-engines", "os,uring"}, &strings.Builder{})
	if err != nil {
		t.Fatal(err)
	}
	b := &bench{cfg: cfg, fio: "/usr/bin/fio"}
	workloads := phaseNames([]string{wRandReadCold, wStat, wWalkAfero, wWalkFS})
	plan := b.plan(workloads)
	count := map[string]int{}
	for _, p := range plan {
		count[p.Workload]++
		switch {
		case p.Workload == wRandReadCold:
			if p.Goroutines != 1 && p.Goroutines != 32 {
				t.Errorf("%s at g=%d", p.Workload, p.Goroutines)
			}
		case p.Goroutines != 1 || p.Engine == engineFio:
			t.Errorf("%s at g=%d on %s", p.Workload, p.Goroutines, p.Engine)
		}
	}
	// Two rounds; cold: two counts on three engines (fio too), the others
	// once on two.
	if count[wRandReadCold] != 2*2*3 || count["stat/open-close"] != 2*2 || count[wWalkFS] != 2*2 || len(count) != 8 {
		t.Errorf("phases per workload: %v", count)
	}
}

// TestPrepareMeta checks the tree and the stat files: every file there,
// of -bs bytes, 100 to a leaf directory, and nothing else.
func TestPrepareMeta(t *testing.T) {
	cfg, err := parseFlags([]string{"-tree-files", "1234", "-bs", "1024"}, &strings.Builder{})
	if err != nil {
		t.Fatal(err)
	}
	b := &bench{cfg: cfg, prog: newProgress(&strings.Builder{}, true)}
	work := t.TempDir()
	if err := b.prepare(work, phaseNames([]string{wStat, wWalkAfero})); err != nil {
		t.Fatal(err)
	}
	if b.files.TreeFiles != 1234 || b.files.StatFiles != statDirFiles || b.files.Cold != "" || b.files.SmallCount != 0 {
		t.Fatalf("files %+v", b.files)
	}
	files, dirs := 0, 0
	perDir := map[string]int{}
	err = filepath.WalkDir(b.files.Tree, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != b.files.Tree {
				dirs++
			}
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if !info.Mode().IsRegular() || info.Size() != 1024 {
			t.Errorf("%s: mode %v size %d", path, info.Mode(), info.Size())
		}
		files++
		perDir[filepath.Dir(path)]++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// 13 leaves (12 full, one of 34) under 2 parents.
	if files != 1234 || dirs != treeDirs(1234) || dirs != 13+2 || len(perDir) != 13 {
		t.Errorf("%d files in %d directories (%d leaves), want 1234 in %d", files, dirs, len(perDir), treeDirs(1234))
	}
	for d, n := range perDir {
		if n != treeDirFiles && n != 34 {
			t.Errorf("%s holds %d files", d, n)
		}
	}
	if _, err := os.Stat(treeName(b.files.Tree, 1233)); err != nil {
		t.Errorf("last file: %v", err)
	}
	names, err := os.ReadDir(b.files.StatDir)
	if err != nil || len(names) != statDirFiles {
		t.Errorf("stat directory: %d entries, %v; want %d", len(names), err, statDirFiles)
	}
	if st, err := os.Stat(smallName(b.files.StatDir, 0)); err != nil || st.Size() != 1024 {
		t.Errorf("stat file: %v", err)
	}
}

// TestPrepareCold: randread-cold reads a prefix of the O_DIRECT data file
// when that is big enough, else a file of its own, always -cold-size.
func TestPrepareCold(t *testing.T) {
	for _, c := range []struct {
		args  []string
		works []string
		reuse bool
	}{
		{[]string{"-size", "4MiB", "-cold-size", "2MiB"}, []string{wRandReadDirect, wRandReadCold}, true},
		{[]string{"-size", "1MiB", "-cold-size", "2MiB"}, []string{wRandReadDirect, wRandReadCold}, false},
		{[]string{"-size", "4MiB", "-cold-size", "2MiB"}, []string{wRandReadCold}, false},
	} {
		cfg, err := parseFlags(c.args, &strings.Builder{})
		if err != nil {
			t.Fatal(err)
		}
		b := &bench{cfg: cfg, prog: newProgress(&strings.Builder{}, true)}
		if err := b.prepare(t.TempDir(), c.works); err != nil {
			t.Fatal(err)
		}
		if b.files.ColdSize != 2<<20 || (b.files.Cold == b.files.Data) != c.reuse {
			t.Errorf("%q %q: cold %s of %d, data %s", c.args, c.works, b.files.Cold, b.files.ColdSize, b.files.Data)
		}
		if st, err := os.Stat(b.files.Cold); err != nil || st.Size() < b.files.ColdSize {
			t.Errorf("%q %q: cold file %v", c.args, c.works, err)
		}
	}
}

// TestNewWorkloadsIsolated runs the new workloads as the tool runs them
// by default, each phase in a child process, and checks what the report
// says of them.
func TestNewWorkloadsIsolated(t *testing.T) {
	out, _ := runTool(t, tiny(t.TempDir(), "-json", "-engines", "os,uring", "-goroutines", "2",
		"-workloads", "randread-cold,stat,walk-afero,walk-fs")...)
	rep := decode(t, out)
	seen := map[string]int{}
	for _, p := range rep.Phases {
		name := p.Workload + " " + p.Engine
		seen[p.Workload]++
		if p.Err != "" || p.Ops <= 0 {
			t.Errorf("%s: ops %d, error %q", name, p.Ops, p.Err)
			continue
		}
		if p.LatSamples <= 0 || p.Threads < 0 || p.CPU < 0 {
			t.Errorf("%s: %d latency samples, threads %d, cpu %v", name, p.LatSamples, p.Threads, p.CPU)
		}
		if (p.Engine == engineUring) != (p.Loop != nil) {
			t.Errorf("%s: loop counters %v", name, p.Loop)
		}
		if (p.Workload == wRandReadCold) != (p.CachedPeak != nil) {
			t.Errorf("%s: cached share %v", name, p.CachedPeak)
		}
		wantBytes := p.Ops * 4096
		if isStatPhase(p.Workload) && p.Workload != "stat/read-small" {
			wantBytes = 0
		}
		if p.Bytes != wantBytes {
			t.Errorf("%s: %d bytes in %d ops", name, p.Bytes, p.Ops)
		}
	}
	for _, w := range phaseNames([]string{wRandReadCold, wStat, wWalkAfero, wWalkFS}) {
		if seen[w] != 2 {
			t.Errorf("%s: %d phases, want one per engine", w, seen[w])
		}
	}
	notes := strings.Join(rep.Notes, "\n")
	for _, s := range []string{"randread-cold: random 4096-byte ReadAt without O_DIRECT over the first 2 MiB",
		"stat/read-small Open+io.ReadAll+Close", "on a tree of 250 files of 4096 bytes in 4 directories"} {
		if !strings.Contains(notes, s) {
			t.Errorf("notes lack %q:\n%s", s, notes)
		}
	}
}
