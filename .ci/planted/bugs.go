// The list of bugs: parsing bugs.txt into bugs and their edits, and
// applying an edit to a tree. An edit must match exactly once, so that a
// stale entry is reported instead of planted in the wrong place.

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

type bug struct {
	id, layer, imitates string
	edits               []*edit
	line                int
}

type edit struct {
	file          string
	find, replace string
}

// parseBugsFile reads the format described at the top of bugs.txt.
func parseBugsFile(name string) ([]*bug, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	var (
		bugs       []*bug
		cur        *bug
		ed         *edit    // the edit being read
		find, repl []string // its text so far
		mode       string   // "find" or "replace" while | lines belong to one, else ""
		sawRepl    bool
	)
	lines := strings.Split(string(data), "\n")
	errAt := func(i int, format string, args ...any) error {
		return fmt.Errorf("%s:%d: %s", name, i+1, fmt.Sprintf(format, args...))
	}
	// finish closes the edit being read.
	finish := func(i int) error {
		if ed == nil {
			return nil
		}
		if !sawRepl {
			return errAt(i, "%s: the edit of %s needs find: and replace:", cur.id, ed.file)
		}
		ed.find, ed.replace = strings.Join(find, "\n"), strings.Join(repl, "\n")
		if strings.TrimSpace(ed.find) == "" {
			return errAt(i, "%s: the edit of %s has an empty find text", cur.id, ed.file)
		}
		if ed.find == ed.replace {
			return errAt(i, "%s: the edit of %s replaces its find text by itself", cur.id, ed.file)
		}
		cur.edits = append(cur.edits, ed)
		ed, find, repl, mode, sawRepl = nil, nil, nil, "", false
		return nil
	}
	for i, ln := range lines {
		if rest, ok := strings.CutPrefix(ln, "|"); ok {
			switch mode {
			case "find":
				find = append(find, rest)
			case "replace":
				repl = append(repl, rest)
			default:
				return nil, errAt(i, "a | line outside find: or replace:")
			}
			continue
		}
		t := strings.TrimSpace(ln)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		if strings.HasPrefix(t, "[") && strings.HasSuffix(t, "]") {
			if err := finish(i); err != nil {
				return nil, err
			}
			cur = &bug{id: strings.TrimSpace(t[1 : len(t)-1]), line: i + 1}
			if cur.id == "" || strings.ContainsAny(cur.id, " ,\t") {
				return nil, errAt(i, "bad id %q", cur.id)
			}
			if slices.ContainsFunc(bugs, func(b *bug) bool { return b.id == cur.id }) {
				return nil, errAt(i, "id %s used twice", cur.id)
			}
			bugs = append(bugs, cur)
			continue
		}
		key, val, ok := strings.Cut(t, ":")
		if !ok || cur == nil {
			return nil, errAt(i, "expected [id], key: value or a | line, got %q", ln)
		}
		val = strings.TrimSpace(val)
		mode = ""
		switch key {
		case "layer":
			cur.layer = val
		case "imitates":
			cur.imitates = val
		case "file":
			if err := finish(i); err != nil {
				return nil, err
			}
			ed = &edit{file: val}
		case "find":
			if ed == nil || find != nil || sawRepl {
				return nil, errAt(i, "%s: find: must follow a file: line", cur.id)
			}
			mode, find = "find", []string{}
		case "replace":
			if find == nil || sawRepl {
				return nil, errAt(i, "%s: replace: must follow find:", cur.id)
			}
			mode, repl, sawRepl = "replace", []string{}, true
		default:
			return nil, errAt(i, "unknown key %q", key)
		}
	}
	if err := finish(len(lines) - 1); err != nil {
		return nil, err
	}
	for _, b := range bugs {
		if b.layer == "" || b.imitates == "" || len(b.edits) == 0 {
			return nil, fmt.Errorf("%s:%d: %s needs layer:, imitates: and at least one file:/find:/replace: edit", name, b.line, b.id)
		}
	}
	return bugs, nil
}

// check reports whether the edit applies to the tree at dir.
func (e *edit) check(dir string) error {
	_, err := e.apply(dir, false)
	return err
}

func (e *edit) apply(dir string, write bool) (string, error) {
	p := filepath.Join(dir, filepath.FromSlash(e.file))
	data, err := os.ReadFile(p)
	if err != nil {
		return "", err
	}
	s := string(data)
	if n := strings.Count(s, e.find); n != 1 {
		first, _, _ := strings.Cut(e.find, "\n")
		return "", fmt.Errorf("find text (%q...) occurs %d times in %s, want exactly once", strings.TrimSpace(first), n, e.file)
	}
	s = strings.Replace(s, e.find, e.replace, 1)
	if write {
		fi, err := os.Stat(p)
		if err != nil {
			return "", err
		}
		if err := os.WriteFile(p, []byte(s), fi.Mode().Perm()); err != nil {
			return "", err
		}
	}
	return s, nil
}
