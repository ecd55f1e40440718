package testkit

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// A Recorder collects the transcript of one run of a differential test: one
// Step per call, holding the call's results rendered as text in which
// everything a caller can observe shows and nothing that legitimately
// differs between two runs does. Paths under the run's directory read
// $DIR (more placeholders can be added with Alias), times are cut to what
// os.Stat reports here (OracleTime), and errors show their whole chain:
// concrete types, the fields of the os error types, the errno, the
// sentinels errors.Is matches and the message.
//
// The same program run once against the oracle and once against the
// implementation gives two transcripts; Differences compares them.
//
// A Recorder is not safe for concurrent use.
type Recorder struct {
	aliases aliases
	steps   []Step
}

// Step is one recorded call: a label naming it and its rendered results.
type Step struct {
	Label, Value string
}

func (s Step) String() string { return s.Label + ": " + s.Value }

// NewRecorder returns a Recorder whose transcript shows dir as $DIR. With
// dir "" nothing is replaced.
func NewRecorder(dir string) *Recorder {
	r := &Recorder{}
	r.Alias(dir, "$DIR")
	return r
}

// Alias makes path read as name in what r records, for paths other than the
// run's directory that differ between runs (a fixture's parent, say).
// Longer paths are replaced first, so an alias may lie inside another.
func (r *Recorder) Alias(path, name string) { r.aliases.add(path, name) }

// Record appends a step: label and each of vals rendered by Format,
// separated by " | ".
func (r *Recorder) Record(label string, vals ...any) {
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = r.Format(v)
	}
	r.steps = append(r.steps, Step{label, strings.Join(parts, " | ")})
}

// Steps returns the transcript so far.
func (r *Recorder) Steps() []Step { return r.steps }

// Lines returns the transcript as "label: value" lines.
func (r *Recorder) Lines() []string {
	out := make([]string, len(r.steps))
	for i, s := range r.steps {
		out[i] = s.String()
	}
	return out
}

// Norm replaces the aliased paths in s by their placeholders.
func (r *Recorder) Norm(s string) string { return r.aliases.apply(s) }

// Wrappers that choose a rendering other than the default for a value.
type (
	sorted   struct{ v any }
	modTime  struct{ fi fs.FileInfo }
	verbatim string
)

// Verbatim records s as it is, unquoted, for a value a test has rendered
// itself ("fd=valid"); aliases are still replaced.
func Verbatim(s string) any { return verbatim(s) }

// Sorted renders a []string, []fs.DirEntry or []fs.FileInfo as a set: its
// elements in sorted order. Directory order belongs to the file system;
// results in that order from two directories are compared with Sorted.
// By default slices keep their order.
func Sorted(v any) any { return sorted{v} }

// WithModTime renders fi with its modification time, cut to the precision
// os.Stat has here.
func WithModTime(fi fs.FileInfo) any { return modTime{fi} }

// Format renders one value the way Record does:
//
//   - nil, and a nil pointer in an interface ("typed nil"), are told apart
//     and never called;
//   - an error by FormatError;
//   - a string quoted, with aliases replaced; a []byte quoted, or when
//     longer than 64 bytes its length, first bytes and SHA-256; nil
//     slices apart from empty ones;
//   - an fs.FileInfo as name, mode, IsDir, size (of a regular file) and
//     the type of Sys();
//     an fs.DirEntry as name, type, IsDir and its Info (or error);
//   - a file (anything with a Name() string method) as its name only,
//     since the oracle's type differs from the implementation's;
//   - a time.Time as Unix nanoseconds at OracleTime precision;
//   - anything else as %T(%v), aliases replaced.
func (r *Recorder) Format(v any) string {
	if v == nil {
		return "nil"
	}
	if nilPointer(v) {
		switch v.(type) {
		case fs.FileInfo:
			return "FileInfo(typed nil)"
		case error:
			return fmt.Sprintf("err=typed nil %T", v)
		case interface{ Name() string }:
			return "File(typed nil)"
		}
		return fmt.Sprintf("typed nil %T", v)
	}
	switch v := v.(type) {
	case error:
		return r.formatErr(v)
	case string:
		return strconv.Quote(r.Norm(v))
	case verbatim:
		return r.Norm(string(v))
	case []byte:
		return formatBytes(v)
	case time.Time:
		return strconv.FormatInt(OracleTime(v).UnixNano(), 10)
	case fs.FileMode:
		return v.String()
	case modTime:
		if v.fi == nil {
			return "FileInfo(nil)" // a failed Stat: no time to show
		}
		if nilPointer(v.fi) {
			return "FileInfo(typed nil)"
		}
		return r.formatInfo(v.fi, true)
	case sorted:
		return r.formatSlice(v.v, true)
	case fs.FileInfo:
		return r.formatInfo(v, false)
	case fs.DirEntry:
		return r.formatEntry(v)
	case []fs.DirEntry, []fs.FileInfo, []string:
		return r.formatSlice(v, false)
	case interface{ Name() string }:
		return fmt.Sprintf("File(name=%q)", r.Norm(v.Name()))
	}
	return r.Norm(fmt.Sprintf("%T(%v)", v, v))
}

func (r *Recorder) formatSlice(v any, sort bool) string {
	var parts []string
	var isNil bool
	switch v := v.(type) {
	case []string:
		isNil = v == nil
		for _, s := range v {
			parts = append(parts, strconv.Quote(r.Norm(s)))
		}
	case []fs.DirEntry:
		isNil = v == nil
		for _, d := range v {
			parts = append(parts, r.Format(d))
		}
	case []fs.FileInfo:
		isNil = v == nil
		for _, fi := range v {
			parts = append(parts, r.Format(fi))
		}
	default:
		return fmt.Sprintf("Sorted(unsupported %T)", v)
	}
	typ := reflect.TypeOf(v).String()
	if isNil {
		return typ + "(nil)"
	}
	if sort {
		slices.Sort(parts)
	}
	return fmt.Sprintf("%s(len=%d){%s}", typ, len(parts), strings.Join(parts, ", "))
}

func (r *Recorder) formatInfo(fi fs.FileInfo, mtime bool) string {
	s := fmt.Sprintf("FileInfo{%q %v dir=%v", r.normName(fi.Name()), fi.Mode(), fi.IsDir())
	if fi.Mode().IsRegular() {
		// Only here is the size the program's doing: a link's is its
		// target's length (an absolute one names the run's directory), a
		// directory's depends on the file system.
		s += fmt.Sprintf(" size=%d", fi.Size())
	}
	s += fmt.Sprintf(" sys=%T", fi.Sys())
	if mtime {
		s += fmt.Sprintf(" mtime=%d", OracleTime(fi.ModTime()).UnixNano())
	}
	return s + "}"
}

func (r *Recorder) formatEntry(d fs.DirEntry) string {
	s := fmt.Sprintf("%q:%v:dir=%v:", r.normName(d.Name()), d.Type(), d.IsDir())
	fi, err := d.Info()
	if err != nil {
		return s + r.formatErr(err)
	}
	return s + r.Format(fi)
}

// normName is a base name as FileInfo.Name gives it: the base name of an
// aliased directory (the run's own, when a test stats it) reads as its
// placeholder.
func (r *Recorder) normName(name string) string {
	for _, a := range r.aliases {
		if b := filepath.Base(a.path); b == name && b != "/" && b != "." {
			return "base(" + a.name + ")"
		}
	}
	return name
}

func formatBytes(b []byte) string {
	switch {
	case b == nil:
		return "[]byte(nil)"
	case len(b) <= 64:
		return strconv.Quote(string(b))
	}
	return fmt.Sprintf("%d bytes %q... sha256=%x", len(b), b[:32], sha256.Sum256(b))
}

// sentinels are the errors whose errors.Is answers FormatError shows.
var sentinels = sync.OnceValue(func() []struct {
	name string
	err  error
} {
	s := []struct {
		name string
		err  error
	}{
		{"fs.ErrNotExist", fs.ErrNotExist},
		{"fs.ErrExist", fs.ErrExist},
		{"fs.ErrPermission", fs.ErrPermission},
		{"fs.ErrClosed", fs.ErrClosed},
		{"fs.ErrInvalid", fs.ErrInvalid},
		{"io.EOF", io.EOF},
		{"io.ErrUnexpectedEOF", io.ErrUnexpectedEOF},
		{"io.ErrShortWrite", io.ErrShortWrite},
		{"os.ErrNoDeadline", os.ErrNoDeadline},
		{"os.ErrDeadlineExceeded", os.ErrDeadlineExceeded},
		{"context.Canceled", context.Canceled},
		{"context.DeadlineExceeded", context.DeadlineExceeded},
	}
	if err := pollErrFileClosing(); err != nil {
		s = append(s, struct {
			name string
			err  error
		}{"poll.ErrFileClosing", err})
	}
	return s
})

// pollErrFileClosing is internal/poll's closing error, which os returns
// unwrapped from a few methods of a closed File; nil if it cannot be had.
func pollErrFileClosing() error {
	f, err := os.Open(os.DevNull)
	if err != nil {
		return nil
	}
	f.Close()
	return f.SetDeadline(time.Time{})
}

// FormatError renders err as a Recorder for dir does (dir "" replaces
// nothing): the chain of concrete types, with Op and Path of
// *fs.PathError, Op, Old and New of *os.LinkError, Syscall of
// *os.SyscallError and the number of a syscall.Errno; the sentinels it is
// (==) and matches (errors.Is); and its message. Two errors with the same
// rendering cannot be told apart by a caller that does not compare
// pointers.
func FormatError(err error, dir string) string { return NewRecorder(dir).Format(err) }

// DiffErrors returns "" when want and got render the same (see
// FormatError), and both renderings otherwise.
func DiffErrors(want, got error) string {
	w, g := FormatError(want, ""), FormatError(got, "")
	if w == g {
		return ""
	}
	return fmt.Sprintf("\n\twant: %s\n\tgot:  %s", w, g)
}

func (r *Recorder) formatErr(err error) string {
	var b strings.Builder
	b.WriteString("err=")
	r.writeChain(&b, err)
	var eq, is []string
	for _, s := range sentinels() {
		switch {
		case reflect.TypeOf(err).Comparable() && err == s.err:
			eq = append(eq, s.name)
		case safeIs(err, s.err):
			is = append(is, s.name)
		}
	}
	if len(eq) > 0 {
		fmt.Fprintf(&b, " ==%s", strings.Join(eq, ","))
	}
	fmt.Fprintf(&b, " is[%s] %q", strings.Join(is, ","), r.Norm(errorText(err)))
	return b.String()
}

// writeChain writes the concrete types along err's Unwrap chain, with the
// fields of the os error types.
func (r *Recorder) writeChain(b *strings.Builder, err error) {
	for e := err; e != nil; {
		if nilPointer(e) {
			fmt.Fprintf(b, "typed nil %T", e)
			return
		}
		switch x := e.(type) {
		case *fs.PathError:
			fmt.Fprintf(b, "*fs.PathError{Op:%q Path:%q}", x.Op, r.Norm(x.Path))
			e = x.Err
		case *os.LinkError:
			fmt.Fprintf(b, "*os.LinkError{Op:%q Old:%q New:%q}", x.Op, r.Norm(x.Old), r.Norm(x.New))
			e = x.Err
		case *os.SyscallError:
			fmt.Fprintf(b, "*os.SyscallError{Syscall:%q}", x.Syscall)
			e = x.Err
		case syscall.Errno:
			fmt.Fprintf(b, "Errno(%d)", int(x))
			return
		case interface{ Unwrap() []error }:
			fmt.Fprintf(b, "%T[", x)
			for i, c := range x.Unwrap() {
				if i > 0 {
					b.WriteString("; ")
				}
				r.writeChain(b, c)
			}
			b.WriteString("]")
			return
		default:
			fmt.Fprintf(b, "%T", x)
			e = errors.Unwrap(x)
		}
		if e != nil {
			b.WriteString(" > ")
		}
	}
}

// safeIs is errors.Is, false where it panics: the Unwrap or Is method of
// a nil pointer in the chain may dereference it.
func safeIs(err, target error) (is bool) {
	defer func() {
		if recover() != nil {
			is = false
		}
	}()
	return errors.Is(err, target)
}

// errorText is err.Error(), or a description of its panic: the Error method
// of a nil pointer, or of an error wrapping one, may dereference it.
func errorText(err error) (text string) {
	defer func() {
		if p := recover(); p != nil {
			text = fmt.Sprintf("Error() panicked: %v", p)
		}
	}()
	return err.Error()
}

// nilPointer reports whether v holds a nil pointer, whose methods the
// renderers must not call: a difference must become a line of the
// transcript, not a panic that ends the test binary.
func nilPointer(v any) bool {
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}

// Mismatch is one step where two transcripts differ. Want or Got is nil
// where that transcript had already ended.
type Mismatch struct {
	Index     int
	Want, Got *Step
}

// Mismatches compares two transcripts step by step.
func Mismatches(want, got []Step) []Mismatch {
	var out []Mismatch
	for i := range max(len(want), len(got)) {
		m := Mismatch{Index: i}
		if i < len(want) {
			m.Want = &want[i]
		}
		if i < len(got) {
			m.Got = &got[i]
		}
		if m.Want == nil || m.Got == nil || *m.Want != *m.Got {
			out = append(out, m)
		}
	}
	return out
}

// Describe renders m with the two sides named, aligned for reading:
//
//	step 3 write:
//		os:      3, err=nil ...
//		uringfs: 2, err=nil ...
func (m Mismatch) Describe(wantName, gotName string) string {
	w := max(len(wantName), len(gotName)) + 1
	show := func(s *Step, full bool) string {
		switch {
		case s == nil:
			return "(transcript ended)"
		case full:
			return s.String()
		}
		return s.Value
	}
	if m.Want != nil && m.Got != nil && m.Want.Label == m.Got.Label {
		return fmt.Sprintf("step %d %s:\n\t%-*s %s\n\t%-*s %s", m.Index, m.Want.Label,
			w, wantName+":", show(m.Want, false), w, gotName+":", show(m.Got, false))
	}
	return fmt.Sprintf("step %d diverged:\n\t%-*s %s\n\t%-*s %s", m.Index,
		w, wantName+":", show(m.Want, true), w, gotName+":", show(m.Got, true))
}

// Differences describes, with Describe, each step where got differs from
// want, at most limit of them (all when limit <= 0): after the first
// divergence later steps often differ only as a consequence.
func Differences(wantName, gotName string, want, got []Step, limit int) []string {
	var out []string
	for _, m := range Mismatches(want, got) {
		if limit > 0 && len(out) == limit {
			out = append(out, "(further steps differ too)")
			break
		}
		out = append(out, m.Describe(wantName, gotName))
	}
	return out
}

// aliases are absolute paths that differ between two runs, with the
// placeholders they read as.
type aliases []struct{ path, name string }

func (a *aliases) add(path, name string) {
	if path == "" {
		return
	}
	*a = append(*a, struct{ path, name string }{path, name})
	slices.SortStableFunc(*a, func(x, y struct{ path, name string }) int { return len(y.path) - len(x.path) })
}

func (a aliases) apply(s string) string {
	for _, x := range a {
		s = strings.ReplaceAll(s, x.path, x.name)
	}
	return s
}
