package testkit

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Tree is a snapshot of a directory tree: what Snapshot found under a root,
// an Entry per file, in lexical order of their paths. Two trees built by
// the same program in two directories compare equal with Diff.
type Tree struct {
	Root    string
	Entries []Entry
}

// Entry is one file of a Tree.
type Entry struct {
	Path   string      // slash-separated, relative to the root; "." is the root itself
	Mode   fs.FileMode // type and permission bits, from Lstat
	Size   int64       // regular files only
	Hash   string      // regular files: hex SHA-256 of the content ("" when volatile)
	Target string      // symbolic links: the target, aliases replaced
	Extra  string      // what the options add: owner, link count, time check
	Err    string      // why the entry, or the directory's listing, could not be read

	short string // the content, quoted, when it is short: for reading a diff
}

// String renders e without its path.
func (e Entry) String() string {
	var b strings.Builder
	b.WriteString(e.Mode.String())
	if e.Mode.IsRegular() {
		fmt.Fprintf(&b, " size=%d", e.Size)
		switch {
		case e.Hash == "":
			b.WriteString(" (content not compared)")
		case e.short != "":
			b.WriteString(" " + e.short)
		default:
			fmt.Fprintf(&b, " sha256=%s", e.Hash)
		}
	}
	if e.Mode&fs.ModeSymlink != 0 {
		b.WriteString(" -> " + e.Target)
	}
	if e.Extra != "" {
		b.WriteString(" " + e.Extra)
	}
	if e.Err != "" {
		b.WriteString(" error: " + e.Err)
	}
	return b.String()
}

func (e Entry) equal(o Entry) bool {
	return e.Path == o.Path && e.Mode == o.Mode && e.Size == o.Size && e.Hash == o.Hash &&
		e.Target == o.Target && e.Extra == o.Extra && e.Err == o.Err
}

// SnapshotOptions choose what Snapshot records beyond names, types,
// permissions, sizes, content hashes and link targets. The zero value
// records only those.
type SnapshotOptions struct {
	// Owner records each file's uid and gid, where files have them.
	Owner bool
	// Nlink records the link count of regular files, where files have one.
	Nlink bool
	// ModTimeIs, when not zero, records whether each file's modification
	// time is this one: fixtures set it, so a call that changes it shows.
	ModTimeIs time.Time
	// Aliases replaces absolute paths in link targets and errors by
	// placeholders. An absolute root always reads as $ROOT.
	Aliases map[string]string
	// Omit leaves out the files it reports true for (relative paths, as
	// in Entry.Path), with everything beneath them.
	Omit func(rel string) bool
	// Opaque records the directories it reports true for but not what
	// they hold.
	Opaque func(rel string) bool
	// Volatile records the size of the regular files it reports true for
	// but not their content, for files whose bytes legitimately differ
	// between runs and that the test checks itself.
	Volatile func(rel string) bool
}

// Snapshot walks the tree under root without following symbolic links and
// records every file in it, root included. What it cannot read (an
// unreadable directory, a file gone while walking) becomes the Err of an
// entry, so that it is compared like the rest. opts may be nil.
func Snapshot(root string, opts *SnapshotOptions) Tree {
	if opts == nil {
		opts = &SnapshotOptions{}
	}
	var al aliases
	if filepath.IsAbs(root) {
		al.add(root, "$ROOT")
	}
	for path, name := range opts.Aliases {
		al.add(path, name)
	}
	t := Tree{Root: root}
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if err != nil {
			// A directory that could not be listed is reported a second
			// time, after the entry made for it.
			msg := al.apply(err.Error())
			if n := len(t.Entries); n > 0 && t.Entries[n-1].Path == rel {
				t.Entries[n-1].Err = msg
			} else {
				t.Entries = append(t.Entries, Entry{Path: rel, Err: msg})
			}
			return nil
		}
		if rel != "." && opts.Omit != nil && opts.Omit(rel) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		t.Entries = append(t.Entries, snapshotEntry(path, rel, opts, al))
		if d.IsDir() && rel != "." && opts.Opaque != nil && opts.Opaque(rel) {
			return filepath.SkipDir
		}
		return nil
	})
	return t
}

func snapshotEntry(path, rel string, opts *SnapshotOptions, al aliases) Entry {
	e := Entry{Path: rel}
	fi, err := os.Lstat(path)
	if err != nil {
		e.Err = al.apply(err.Error())
		return e
	}
	e.Mode = fi.Mode()
	var extra []string
	if opts.Owner {
		extra = append(extra, owner(fi))
	}
	if opts.Nlink && fi.Mode().IsRegular() {
		extra = append(extra, nlink(fi))
	}
	if !opts.ModTimeIs.IsZero() {
		extra = append(extra, "fixedmtime="+strconv.FormatBool(fi.ModTime().Equal(opts.ModTimeIs)))
	}
	e.Extra = strings.Join(slices.DeleteFunc(extra, func(s string) bool { return s == "" }), " ")
	switch {
	case fi.Mode().IsRegular():
		e.Size = fi.Size()
		if opts.Volatile != nil && opts.Volatile(rel) {
			break
		}
		data, err := os.ReadFile(path)
		if err != nil {
			e.Err = al.apply(err.Error())
			break
		}
		e.Size = int64(len(data))
		e.Hash = fmt.Sprintf("%x", sha256.Sum256(data))
		if len(data) <= 64 {
			e.short = strconv.Quote(string(data))
		}
	case fi.Mode()&fs.ModeSymlink != 0:
		target, err := os.Readlink(path)
		if err != nil {
			e.Err = al.apply(err.Error())
		}
		e.Target = al.apply(target)
	}
	return e
}

// Lines renders the tree, one "path entry" line per file.
func (t Tree) Lines() []string {
	out := make([]string, len(t.Entries))
	for i, e := range t.Entries {
		out[i] = e.Path + " " + e.String()
	}
	return out
}

// Equal reports whether t and o hold the same entries, wherever their roots.
func (t Tree) Equal(o Tree) bool {
	return slices.EqualFunc(t.Entries, o.Entries, Entry.equal)
}

// Diff returns "" when t and got hold the same entries, and otherwise a
// description of every path where they differ, the two sides named by
// wantName (t) and gotName (got):
//
//	a/b:
//		os:      -rw-r--r-- size=5 "hello"
//		uringfs: -rw-r--r-- size=4 "hell"
//	c:
//		os:      (missing)
//		uringfs: drwxr-xr-x
func (t Tree) Diff(got Tree, wantName, gotName string) string {
	w := max(len(wantName), len(gotName)) + 1
	want := map[string]Entry{}
	for _, e := range t.Entries {
		want[e.Path] = e
	}
	have := map[string]Entry{}
	for _, e := range got.Entries {
		have[e.Path] = e
	}
	var paths []string
	for p := range want {
		paths = append(paths, p)
	}
	for p := range have {
		if _, ok := want[p]; !ok {
			paths = append(paths, p)
		}
	}
	slices.Sort(paths)
	var b strings.Builder
	show := func(e Entry, ok bool) string {
		if !ok {
			return "(missing)"
		}
		return e.String()
	}
	for _, p := range paths {
		we, wok := want[p]
		ge, gok := have[p]
		if wok && gok && we.equal(ge) {
			continue
		}
		fmt.Fprintf(&b, "\n%s:\n\t%-*s %s\n\t%-*s %s", p, w, wantName+":", show(we, wok), w, gotName+":", show(ge, gok))
	}
	return strings.TrimPrefix(b.String(), "\n")
}
