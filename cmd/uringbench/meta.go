package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/afero"
)

// The metadata and tree workloads: one goroutine making small calls on
// files in the page cache, where what a call costs beyond the kernel's own
// work sets the rate, as in a build tool, a static site generator or a test
// runner walking its inputs.
const (
	// wStat is the group of statOps: -workloads stat runs each of them as
	// a phase and a row of its own, stat/<op>.
	wStat = "stat"
	// wWalkAfero: afero.Walk and afero.ReadFile of every file of the tree,
	// over afero.NewOsFs() or uring.NewFs().
	wWalkAfero = "walk-afero"
	// wWalkFS: fs.WalkDir and fs.ReadFile of every file of the tree, over
	// os.DirFS or uringfs.DirFS.
	wWalkFS = "walk-fs"
)

// statOps are the ops of the stat group, in the order of the report. Each
// is one call, or the calls a program makes together, on a -bs file or
// the directory of statDirFiles files that holds it.
var statOps = []string{
	"stat",         // Stat of the file
	"lstat",        // Lstat of the file
	"open-close",   // Open and Close of the file
	"read-small",   // Open, io.ReadAll and Close of the file
	"readdirnames", // Open, Readdirnames(-1) and Close of the directory
}

// statDirFiles is how many entries the stat ops' directory has: about what
// a directory of a source tree holds.
const statDirFiles = 100

// treeDirFiles is how many files each leaf directory of the tree holds, and
// treeFanout how many leaf directories share a parent.
const (
	treeDirFiles = 100
	treeFanout   = 10
)

// treeName is the name of the i-th file of the tree under root:
// d000/e0/f00 to d000/e0/f99, then d000/e1/f00, and a new top directory
// after every treeFanout leaves.
func treeName(root string, i int) string {
	leaf := i / treeDirFiles
	return filepath.Join(root, fmt.Sprintf("d%03d", leaf/treeFanout), fmt.Sprintf("e%d", leaf%treeFanout), fmt.Sprintf("f%02d", i%treeDirFiles))
}

// treeDirs is how many directories a tree of n files has, the root not
// counted.
func treeDirs(n int) int {
	leaves := (n + treeDirFiles - 1) / treeDirFiles
	return leaves + (leaves+treeFanout-1)/treeFanout
}

func statPhase(op string) string { return wStat + "/" + op }

// phasesOf is what -workloads w runs: the group stat its ops, any other
// name (stat/lstat too) itself.
func phasesOf(w string) []string {
	if w != wStat {
		return []string{w}
	}
	out := make([]string, len(statOps))
	for i, op := range statOps {
		out[i] = statPhase(op)
	}
	return out
}

// phaseNames expands a -workloads list into the phases' workload names.
func phaseNames(workloads []string) []string {
	var out []string
	for _, w := range workloads {
		for _, p := range phasesOf(w) {
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}

// knownWorkloads are the names -workloads accepts: allWorkloads and each
// op of stat alone.
func knownWorkloads() []string {
	return append(append([]string(nil), allWorkloads...), phasesOf(wStat)...)
}

// workloadRank orders phases' workloads as the report shows them.
func workloadRank(w string) int {
	if i := slices.Index(phaseNames(allWorkloads), w); i >= 0 {
		return i
	}
	return len(allWorkloads) + len(statOps)
}

func isStatPhase(w string) bool { return strings.HasPrefix(w, wStat+"/") }

func isWalk(w string) bool { return w == wWalkAfero || w == wWalkFS }

// prepareMeta is prepare for the stat ops and the walks; ok is false for
// the other workloads.
func prepareMeta(e *engine, s phaseSpec) (w *phaseWork, ok bool, err error) {
	switch {
	case isStatPhase(s.Workload):
		if s.Files.StatFiles == 0 {
			return nil, true, fmt.Errorf("%s: no files prepared", s.Workload)
		}
		op, bytes, err := statOp(e, strings.TrimPrefix(s.Workload, wStat+"/"), s.Files, s.BS)
		if err != nil {
			return nil, true, err
		}
		return &phaseWork{worker: repeatOp(op), bytesPerOp: bytes, close: func() error { return nil }, perOp: true}, true, nil
	case isWalk(s.Workload):
		if s.Files.TreeFiles == 0 {
			return nil, true, fmt.Errorf("%s: no tree prepared", s.Workload)
		}
		t := aferoTree(e.afero, s.Files.Tree)
		if s.Workload == wWalkFS {
			t = dirFSTree(e.dirFS(s.Files.Tree))
		}
		return &phaseWork{worker: walkRead(t, s.Files.TreeFiles, s.BS), bytesPerOp: s.BS, close: func() error { return nil }, perOp: true}, true, nil
	}
	return nil, false, nil
}

// statOp is one op of the stat group on e, and the bytes it reads.
func statOp(e *engine, op string, files fileSet, bs int64) (func() error, int64, error) {
	name, dir := smallName(files.StatDir, 0), files.StatDir
	switch op {
	case "stat":
		return func() error { _, err := e.stat(name); return err }, 0, nil
	case "lstat":
		return func() error { _, err := e.lstat(name); return err }, 0, nil
	case "open-close":
		return func() error {
			f, err := e.open(name, os.O_RDONLY, 0)
			if err != nil {
				return err
			}
			return f.Close()
		}, 0, nil
	case "read-small":
		return func() error {
			f, err := e.open(name, os.O_RDONLY, 0)
			if err != nil {
				return err
			}
			// io.ReadAll, not ReadFile: it knows no size and reads in
			// growing pieces until io.EOF, as a program handed an
			// io.Reader does, so the cost of each Read shows.
			b, err := io.ReadAll(f)
			if err != nil {
				f.Close()
				return err
			}
			if int64(len(b)) != bs {
				f.Close()
				return fmt.Errorf("%s: read %d bytes, want %d", name, len(b), bs)
			}
			return f.Close()
		}, bs, nil
	case "readdirnames":
		return func() error {
			f, err := e.open(dir, os.O_RDONLY, 0)
			if err != nil {
				return err
			}
			names, err := f.Readdirnames(-1)
			if err != nil {
				f.Close()
				return err
			}
			if len(names) != files.StatFiles {
				f.Close()
				return fmt.Errorf("%s: %d names, want %d", dir, len(names), files.StatFiles)
			}
			return f.Close()
		}, 0, nil
	}
	return nil, 0, fmt.Errorf("unknown stat op %q", op)
}

// repeatOp calls op until stopped, each call one op.
func repeatOp(op func() error) workerFunc {
	return func(w *worker) error {
		for !w.stop.Load() {
			start := time.Now()
			if err := op(); err != nil {
				return err
			}
			w.done(start)
		}
		return nil
	}
}

// tree is a way to walk the tree and read its files.
type tree struct {
	// walk calls file for every regular file, in the walk's order, and
	// stops with file's error.
	walk func(file func(name string) error) error
	read func(name string) ([]byte, error)
}

func aferoTree(fsys afero.Fs, root string) tree {
	return tree{
		walk: func(file func(string) error) error {
			return afero.Walk(fsys, root, func(path string, info fs.FileInfo, err error) error {
				if err != nil {
					return err
				}
				if info.Mode().IsRegular() {
					return file(path)
				}
				return nil
			})
		},
		read: func(name string) ([]byte, error) { return afero.ReadFile(fsys, name) },
	}
}

func dirFSTree(fsys fs.FS) tree {
	return tree{
		walk: func(file func(string) error) error {
			return fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				if d.Type().IsRegular() {
					return file(path)
				}
				return nil
			})
		},
		read: func(name string) ([]byte, error) { return fs.ReadFile(fsys, name) },
	}
}

// errStopped ends a walk when the phase is over.
var errStopped = errors.New("phase over")

// walkRead walks t over and over, reading every file, until stopped. An op
// is one file read; its latency is the read's alone, while the phase's
// time also holds the walk's directory reads and stats. A pass that ran to
// its end must have found every file, so that an engine that lists less
// does not look faster.
func walkRead(t tree, files int, size int64) workerFunc {
	return func(w *worker) error {
		if w.id != 0 {
			return nil
		}
		for !w.stop.Load() {
			found := 0
			err := t.walk(func(name string) error {
				if w.stop.Load() {
					return errStopped
				}
				start := time.Now()
				b, err := t.read(name)
				if err != nil {
					return err
				}
				if int64(len(b)) != size {
					return fmt.Errorf("%s: read %d bytes, want %d", name, len(b), size)
				}
				w.done(start)
				found++
				return nil
			})
			if errors.Is(err, errStopped) {
				return nil
			}
			if err != nil {
				return err
			}
			if found != files {
				return fmt.Errorf("the walk found %d files, want %d", found, files)
			}
		}
		return nil
	}
}

// metaNotes says what the stat ops and the walks did.
func (b *bench) metaNotes(workloads []string) {
	if slices.ContainsFunc(workloads, isStatPhase) {
		b.notef("stat: from one goroutine, on a file of %d bytes and its directory of %d entries, all in the page cache: "+
			"stat/stat Stat, stat/lstat Lstat, stat/open-close Open+Close, stat/read-small Open+io.ReadAll+Close of the file, "+
			"stat/readdirnames Open+Readdirnames(-1)+Close of the directory; os's functions against uringfs's; the latency is of the whole op",
			b.cfg.bs, b.files.StatFiles)
	}
	var walks []string
	if slices.Contains(workloads, wWalkAfero) {
		walks = append(walks, "walk-afero: afero.Walk and afero.ReadFile over afero.NewOsFs() (os) or uring.NewFs() (uring, syscall)")
	}
	if slices.Contains(workloads, wWalkFS) {
		walks = append(walks, "walk-fs: fs.WalkDir and fs.ReadFile over os.DirFS or uringfs.DirFS")
	}
	if len(walks) > 0 {
		b.notef("%s; on a tree of %d files of %d bytes in %d directories, in the page cache, from one goroutine. "+
			"An op is one file: IOPS are files/s, ns/op holds the walk's directory reads and stats too, the latency is the ReadFile's alone",
			strings.Join(walks, "; "), b.files.TreeFiles, b.cfg.bs, treeDirs(b.files.TreeFiles))
	}
}
