package conformance

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/uringfs/uring/internal/testkit"
)

// The differential harness runs one scenario twice, once on the oracle and
// once on the implementation, each in its own fresh temporary directory. A
// scenario records what it observes as a transcript of labelled, printed
// values; paths inside the temporary directory print as $DIR so the two
// transcripts compare as strings. After the scenario the directory's
// contents are appended, so the bytes left on disk are compared as well.

// entry is one observation in a transcript.
type entry struct {
	label string
	value string
}

// recorder collects a transcript for one run of one scenario.
type recorder struct {
	dir     string
	entries []entry
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

// rec records the values observed by one step.
func (r *recorder) rec(label string, vals ...any) {
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = r.format(v)
	}
	r.entries = append(r.entries, entry{label, strings.Join(parts, " | ")})
}

// track remembers c so it is closed before the directory is inspected.
func (r *recorder) track(c io.Closer) {
	if !isNil(c) {
		r.closers = append(r.closers, c)
	}
}

func (r *recorder) norm(s string) string {
	if r.dir == "" {
		return s
	}
	return strings.ReplaceAll(s, r.dir, "$DIR")
}

func (r *recorder) normAll(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = r.norm(s)
	}
	return out
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

var sentinels = []struct {
	name string
	err  error
}{
	{"ErrNotExist", fs.ErrNotExist},
	{"ErrExist", fs.ErrExist},
	{"ErrPermission", fs.ErrPermission},
	{"ErrClosed", fs.ErrClosed},
	{"ErrInvalid", fs.ErrInvalid},
	{"EOF", io.EOF},
	{"ErrUnexpectedEOF", io.ErrUnexpectedEOF},
	{"ErrShortWrite", io.ErrShortWrite},
	{"ErrNoDeadline", os.ErrNoDeadline},
	{"ErrDeadlineExceeded", os.ErrDeadlineExceeded},
}

// formatErr prints everything about err that callers can observe: its
// concrete type, the fields of the os error types and the concrete type of
// the error they hold, the errno it carries, the sentinels it matches and
// its message.
func (r *recorder) formatErr(err error) string {
	if err == nil {
		return "err=nil"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "err=%T", err)
	switch e := err.(type) {
	case *fs.PathError:
		fmt.Fprintf(&b, "{Op:%q Path:%q Err:%T}", e.Op, r.norm(e.Path), e.Err)
	case *os.LinkError:
		fmt.Fprintf(&b, "{Op:%q Old:%q New:%q Err:%T}", e.Op, r.norm(e.Old), r.norm(e.New), e.Err)
	case *os.SyscallError:
		fmt.Fprintf(&b, "{Syscall:%q Err:%T}", e.Syscall, e.Err)
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		fmt.Fprintf(&b, " errno=%d", int(errno))
	}
	var is []string
	for _, s := range sentinels {
		if errors.Is(err, s.err) {
			is = append(is, s.name)
		}
	}
	if err == io.EOF {
		is = append(is, "==io.EOF")
	}
	fmt.Fprintf(&b, " is=%v msg=%q", is, r.norm(err.Error()))
	return b.String()
}

func (r *recorder) formatInfo(fi fs.FileInfo, mtime bool) string {
	if isNil(fi) {
		return "info=nil"
	}
	s := fmt.Sprintf("info{%q %v dir=%v", r.norm(fi.Name()), fi.Mode(), fi.IsDir())
	if fi.Mode().IsRegular() {
		s += fmt.Sprintf(" size=%d", fi.Size())
	}
	if mtime {
		// As finely as the oracle's stat(2) reports it on this system.
		s += fmt.Sprintf(" mtime=%d", testkit.OracleTime(fi.ModTime()).UnixNano())
	}
	return s + "}"
}

func (r *recorder) formatEntry(d fs.DirEntry) string {
	s := fmt.Sprintf("%q:%v:dir=%v", d.Name(), d.Type(), d.IsDir())
	fi, err := d.Info()
	if err != nil {
		return s + ":" + r.formatErr(err)
	}
	return s + ":" + r.formatInfo(fi, false)
}

func nilness[T any](s []T) string {
	if s == nil {
		return "nil"
	}
	return fmt.Sprintf("len=%d", len(s))
}

func (r *recorder) format(v any) string {
	switch v := v.(type) {
	case nil:
		return "nil"
	case error:
		return r.formatErr(v)
	case string:
		return strconv.Quote(r.norm(v))
	case []byte:
		return formatBytes(v)
	case uintptr:
		if v == ^uintptr(0) {
			return "fd=^0"
		}
		return "fd=valid"
	case fs.FileMode:
		return v.String()
	case time.Time:
		return strconv.FormatInt(v.UnixNano(), 10)
	case withTime:
		return r.formatInfo(v.FileInfo, true)
	case fs.FileInfo:
		return r.formatInfo(v, false)
	case fileResult:
		switch {
		case v.v == nil:
			return "file=nil"
		case isNil(v.v):
			return fmt.Sprintf("file=typed-nil(%T)", v.v)
		}
		return "file=ok"
	case []fs.DirEntry:
		parts := make([]string, len(v))
		for i, d := range v {
			parts[i] = r.formatEntry(d)
		}
		slices.Sort(parts)
		return nilness(v) + "[" + strings.Join(parts, " ") + "]"
	case orderedEntries:
		parts := make([]string, len(v))
		for i, d := range v {
			parts[i] = r.formatEntry(d)
		}
		return nilness(v) + "[" + strings.Join(parts, " ") + "]"
	case []fs.FileInfo:
		parts := make([]string, len(v))
		for i, fi := range v {
			parts[i] = r.formatInfo(fi, false)
		}
		slices.Sort(parts)
		return nilness(v) + "[" + strings.Join(parts, " ") + "]"
	case []string:
		s := r.normAll(v)
		slices.Sort(s)
		return nilness(v) + fmt.Sprintf("%q", s)
	case ordered:
		return nilness(v) + fmt.Sprintf("%q", r.normAll(v))
	}
	return fmt.Sprintf("%v", v)
}

func formatBytes(b []byte) string {
	if b == nil {
		return "bytes=nil"
	}
	if len(b) <= 64 {
		return fmt.Sprintf("bytes=%q", b)
	}
	return fmt.Sprintf("bytes(len=%d sha256=%x)", len(b), sha256.Sum256(b))
}

// snapshot records the tree under r.dir: type, permissions, size, content
// digest and link target of every entry.
func (r *recorder) snapshot() {
	var lines []string
	filepath.WalkDir(r.dir, func(path string, d fs.DirEntry, err error) error {
		rel, _ := filepath.Rel(r.dir, path)
		if err != nil {
			lines = append(lines, rel+": "+r.formatErr(err))
			return nil
		}
		fi, err := os.Lstat(path)
		if err != nil {
			lines = append(lines, rel+": "+r.formatErr(err))
			return nil
		}
		line := fmt.Sprintf("%s %v", rel, fi.Mode())
		switch {
		case fi.Mode().IsRegular() && r.volatile[rel]:
			line += fmt.Sprintf(" size=%d (content checked by the scenario)", fi.Size())
		case fi.Mode().IsRegular():
			data, err := os.ReadFile(path)
			if err != nil {
				line += " " + r.formatErr(err)
			} else {
				line += fmt.Sprintf(" size=%d sha256=%x", len(data), sha256.Sum256(data))
			}
		case fi.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(path)
			line += " -> " + r.norm(target)
		}
		lines = append(lines, line)
		return nil
	})
	r.entries = append(r.entries, entry{"disk", strings.Join(lines, "\n\t\t")})
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
	r := &recorder{dir: dir}
	func() {
		defer func() {
			if v := recover(); v != nil {
				if s, ok := v.(skipScenario); ok {
					skipped = s.reason
					return
				}
				r.entries = append(r.entries, entry{"panic", fmt.Sprint(v)})
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
	return r.entries, skipped
}

// maxMismatches bounds the report for one scenario: after the first
// divergence later steps usually differ as a consequence.
const maxMismatches = 3

// compare returns one error per differing step, at most maxMismatches.
func compare(scenario, implName string, want, got []entry) []error {
	var errs []error
	n := max(len(want), len(got))
	for i := 0; i < n && len(errs) < maxMismatches; i++ {
		var w, g entry
		if i < len(want) {
			w = want[i]
		} else {
			w = entry{"(none)", "(transcript ended)"}
		}
		if i < len(got) {
			g = got[i]
		} else {
			g = entry{"(none)", "(transcript ended)"}
		}
		if w == g {
			continue
		}
		if w.label == g.label {
			errs = append(errs, fmt.Errorf("%s: step %d %s:\n\tos:   %s\n\t%s: %s", scenario, i, w.label, w.value, implName, g.value))
		} else {
			errs = append(errs, fmt.Errorf("%s: step %d diverged:\n\tos:   %s: %s\n\t%s: %s: %s", scenario, i, w.label, w.value, implName, g.label, g.value))
		}
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
