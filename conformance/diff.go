package conformance

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/uringfs/uring/internal/testkit"
)

// The differential harness runs one scenario twice, once on the oracle and
// once on the implementation, each in its own fresh temporary directory. A
// scenario records what it observes as a transcript of labelled, printed
// values; paths inside the temporary directory print as $DIR so the two
// transcripts compare as strings. After the scenario the directory's
// contents are appended, so the bytes left on disk are compared as well.

// entry is one observation in a transcript.
type entry = testkit.Step

// recorder collects a transcript for one run of one scenario.
type recorder struct {
	*testkit.Recorder
	dir     string
	closers []io.Closer
	// volatile names files whose bytes legitimately differ between runs
	// (concurrent appends); the scenario compares their content itself.
	volatile map[string]bool
}

// unordered marks a file under the directory as volatile.
func (r *recorder) unordered(name string) {
	if r.volatile == nil {
		r.volatile = map[string]bool{}
	}
	r.volatile[name] = true
}

// skipScenario is panicked to abandon a scenario that the implementation
// cannot run (a missing function or optional interface).
type skipScenario struct{ reason string }

func (r *recorder) skip(reason string) { panic(skipScenario{reason}) }

// rec records the values observed by one step, as testkit renders them;
// unwrapped slices are compared as sets.
func (r *recorder) rec(label string, vals ...any) {
	for i, v := range vals {
		switch v := v.(type) {
		case ordered:
			vals[i] = []string(v)
		case orderedEntries:
			vals[i] = []fs.DirEntry(v)
		case []string, []fs.DirEntry, []fs.FileInfo:
			vals[i] = testkit.Sorted(v)
		case withTime:
			vals[i] = testkit.WithModTime(v.FileInfo)
		case uintptr:
			vals[i] = testkit.Verbatim(map[bool]string{true: "fd=^0", false: "fd=valid"}[v == ^uintptr(0)])
		case fileResult:
			switch {
			case v.v == nil:
				vals[i] = testkit.Verbatim("file=nil")
			case isNil(v.v):
				vals[i] = testkit.Verbatim(fmt.Sprintf("file=typed-nil(%T)", v.v))
			default:
				vals[i] = testkit.Verbatim("file=ok")
			}
		}
	}
	r.Record(label, vals...)
}

// track remembers c so it is closed before the directory is inspected.
func (r *recorder) track(c io.Closer) {
	if !isNil(c) {
		r.closers = append(r.closers, c)
	}
}

func (r *recorder) norm(s string) string { return r.Norm(s) }

// format and formatErr render one value as rec would (for scenarios that
// build a value of several results).
func (r *recorder) format(v any) string        { return r.Format(v) }
func (r *recorder) formatErr(err error) string { return r.Format(err) }

func nilness[T any](s []T) string {
	if s == nil {
		return "nil"
	}
	return fmt.Sprintf("len=%d", len(s))
}

// Wrapper types select a non-default rendering for a recorded value.
type (
	// ordered keeps a []string in its order instead of sorting it.
	ordered []string
	// orderedEntries keeps directory entries in their order.
	orderedEntries []fs.DirEntry
	// withTime renders a FileInfo including its modification time.
	withTime struct{ fs.FileInfo }
	// fileResult renders an open result: nil interface, typed nil or a file.
	fileResult struct{ v any }
)

// snapshot records the tree under r.dir (testkit.Snapshot) as one step.
func (r *recorder) snapshot() {
	t := testkit.Snapshot(r.dir, &testkit.SnapshotOptions{Volatile: func(rel string) bool { return r.volatile[rel] }})
	r.Record("disk", testkit.Verbatim(strings.Join(t.Lines(), "\n\t\t")))
}

// transcript runs fn in a fresh temporary directory and returns what it
// recorded, or the reason the scenario was skipped.
func transcript(fn func(r *recorder), keepDisk bool) (entries []entry, skipped string, err error) {
	dir, err := tempDir()
	if err != nil {
		return nil, "", err
	}
	defer os.RemoveAll(dir)
	entries, skipped = transcriptIn(dir, fn, keepDisk)
	return entries, skipped, nil
}

// tempDir makes a fresh directory, with symlinks in its path resolved (a
// /tmp that is a link) so that paths reported by the kernel and by the
// caller agree.
func tempDir() (string, error) {
	dir, err := os.MkdirTemp("", "conformance-")
	if err != nil {
		return "", err
	}
	if d, err := filepath.EvalSymlinks(dir); err == nil {
		dir = d
	}
	return dir, nil
}

// transcriptIn runs fn with paths under dir, which it does not remove.
func transcriptIn(dir string, fn func(r *recorder), keepDisk bool) (entries []entry, skipped string) {
	r := &recorder{Recorder: testkit.NewRecorder(dir), dir: dir}
	func() {
		defer func() {
			if v := recover(); v != nil {
				if s, ok := v.(skipScenario); ok {
					skipped = s.reason
					return
				}
				r.Record("panic", testkit.Verbatim(fmt.Sprint(v)))
			}
		}()
		fn(r)
	}()
	for i := len(r.closers) - 1; i >= 0; i-- {
		func() {
			defer func() { recover() }()
			r.closers[i].Close()
		}()
	}
	if skipped == "" && keepDisk {
		r.snapshot()
	}
	return r.Steps(), skipped
}

// maxMismatches bounds the report for one scenario: after the first
// divergence later steps usually differ as a consequence.
const maxMismatches = 3

// compare returns one error per differing step, at most maxMismatches.
func compare(scenario, implName string, want, got []entry) []error {
	var errs []error
	for _, m := range testkit.Mismatches(want, got) {
		if len(errs) == maxMismatches {
			break
		}
		errs = append(errs, fmt.Errorf("%s: %s", scenario, m.Describe("os", implName)))
	}
	return errs
}

// scenario is one named program run against both sides of a suite.
type scenario[T any] struct {
	name string
	run  func(r *recorder, x T)
}

// result is what running a suite produced.
type result struct {
	errs    []error
	skipped []string
}

func (res *result) err(suite string) error {
	if len(res.errs) == 0 {
		return nil
	}
	return fmt.Errorf("conformance: %s found %d problem(s):\n%w", suite, len(res.errs), errors.Join(res.errs...))
}

// runDiff runs every scenario on the implementation first (so that a
// scenario it cannot run is skipped without running the oracle), then on
// the oracle, and compares the transcripts.
func runDiff[T any](scenarios []scenario[T], oracle, impl T, implName string, keepDisk bool) *result {
	res := &result{}
	for _, sc := range scenarios {
		got, skipped, err := transcript(func(r *recorder) { sc.run(r, impl) }, keepDisk)
		if err != nil {
			res.errs = append(res.errs, fmt.Errorf("%s: %w", sc.name, err))
			continue
		}
		if skipped != "" {
			res.skipped = append(res.skipped, sc.name+": "+skipped)
			continue
		}
		want, skipped, err := transcript(func(r *recorder) { sc.run(r, oracle) }, keepDisk)
		if err != nil {
			res.errs = append(res.errs, fmt.Errorf("%s: %w", sc.name, err))
			continue
		}
		if skipped != "" {
			res.errs = append(res.errs, fmt.Errorf("%s: oracle skipped the scenario: %s", sc.name, skipped))
			continue
		}
		res.errs = append(res.errs, compare(sc.name, implName, want, got)...)
	}
	return res
}
