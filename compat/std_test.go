package compat_test

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"testing/fstest"

	"github.com/uringfs/uring/compat"
)

// TestStdStreams pins the documented choice: the standard streams are Files
// over duplicates of descriptors 0 to 2, the same files as os's, and Args is
// os's.
func TestStdStreams(t *testing.T) {
	for _, c := range []struct {
		ours   *compat.File
		theirs *os.File
	}{{compat.Stdin, os.Stdin}, {compat.Stdout, os.Stdout}, {compat.Stderr, os.Stderr}} {
		if c.ours == nil {
			t.Fatalf("%s is nil", c.theirs.Name())
		}
		if c.ours.Name() != c.theirs.Name() {
			t.Errorf("Name = %q, os has %q", c.ours.Name(), c.theirs.Name())
		}
		if c.ours.Fd() == c.theirs.Fd() {
			t.Errorf("%s: File owns os's descriptor %d, not a duplicate", c.ours.Name(), c.ours.Fd())
		}
		fi1, err1 := c.ours.Stat()
		fi2, err2 := c.theirs.Stat()
		if err1 != nil || err2 != nil || !compat.SameFile(fi1, fi2) {
			t.Errorf("%s: Stat %v %v, same file: %v", c.ours.Name(), err1, err2, err1 == nil && err2 == nil && compat.SameFile(fi1, fi2))
		}
	}
	if !slices.Equal(compat.Args, os.Args) {
		t.Errorf("Args = %q, os.Args = %q", compat.Args, os.Args)
	}
	// The idiom of issue 18 compiles: one variable for a stream and a file.
	var w *compat.File = compat.Stdout
	w, err := compat.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
}

// Closing a standard-stream File closes its duplicate only: os's descriptor
// stays open and usable, and the closed File answers ErrClosed as os's would.
func TestStdFileCloseKeepsDescriptor(t *testing.T) {
	f := compat.StdFile(os.Stdout, os.Stdout.Fd(), "/dev/stdout")
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("x")); !errors.Is(err, compat.ErrClosed) {
		t.Errorf("Write after Close: %v, want ErrClosed", err)
	}
	if _, err := os.Stdout.Stat(); err != nil {
		t.Errorf("os.Stdout after closing the compat File: %v", err)
	}
	// A regular file as a stream: the duplicate shares the offset, so reads
	// through it and through os's File continue each other.
	p := filepath.Join(t.TempDir(), "in")
	if err := os.WriteFile(p, []byte("abcdef"), 0o644); err != nil {
		t.Fatal(err)
	}
	of, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer of.Close()
	cf := compat.StdFile(of, of.Fd(), "/dev/stdin")
	defer cf.Close()
	buf := make([]byte, 3)
	if _, err := io.ReadFull(cf, buf); err != nil || string(buf) != "abc" {
		t.Fatalf("compat read: %q %v", buf, err)
	}
	if _, err := io.ReadFull(of, buf); err != nil || string(buf) != "def" {
		t.Fatalf("os read after compat read: %q %v", buf, err)
	}
}

func TestPipe(t *testing.T) {
	r, w, err := compat.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	done := make(chan error, 1)
	go func() {
		_, err := w.Write([]byte("hello through the pipe"))
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		done <- err
	}()
	got, err := io.ReadAll(r)
	if err != nil || string(got) != "hello through the pipe" {
		t.Errorf("ReadAll: %q %v", got, err)
	}
	if err := <-done; err != nil {
		t.Errorf("write end: %v", err)
	}
	fi, err := r.Stat()
	if err != nil || fi.Mode()&fs.ModeNamedPipe == 0 {
		t.Errorf("Stat of the read end: %v %v", fi, err)
	}
	if r.Name() != "|0" || w.Name() != "|1" {
		t.Errorf("names %q %q, os has |0 and |1", r.Name(), w.Name())
	}
}

// TestCopyFS compares compat.CopyFS with os.CopyFS: the same tree, the same
// modes, and the same refusal to overwrite.
func TestCopyFS(t *testing.T) {
	fsys := fstest.MapFS{
		"a.txt":       {Data: []byte("a"), Mode: 0o644},
		"bin/run":     {Data: []byte("#!/bin/sh\n"), Mode: 0o755},
		"dir/sub/b":   {Data: []byte("bb"), Mode: 0o600},
		"dir/link":    {Data: []byte("sub/b"), Mode: fs.ModeSymlink},
		"empty":       {Mode: fs.ModeDir | 0o755},
		"dir/sub/big": {Data: make([]byte, 300<<10), Mode: 0o640},
	}
	mine, theirs := filepath.Join(t.TempDir(), "mine"), filepath.Join(t.TempDir(), "theirs")
	if err := compat.CopyFS(mine, fsys); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(theirs, fsys); err != nil {
		t.Fatal(err)
	}
	walk := func(root string) map[string]string {
		m := map[string]string{}
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				t.Fatal(err)
			}
			rel, _ := filepath.Rel(root, p)
			fi, _ := d.Info()
			v := fi.Mode().String()
			if fi.Mode().IsRegular() {
				b, _ := os.ReadFile(p)
				v += " " + string(b[:min(len(b), 16)]) + " " + fi.Name()
			} else if fi.Mode()&fs.ModeSymlink != 0 {
				l, _ := os.Readlink(p)
				v += " -> " + l
			}
			m[rel] = v
			return nil
		})
		return m
	}
	a, b := walk(mine), walk(theirs)
	if len(a) != 10 {
		t.Errorf("copied %d entries: %v", len(a), a)
	}
	for k, v := range b {
		if a[k] != v {
			t.Errorf("%s: compat %q, os %q", k, a[k], v)
		}
	}
	err1 := compat.CopyFS(mine, fsys)
	err2 := os.CopyFS(theirs, fsys)
	if !errors.Is(err1, fs.ErrExist) || err2 == nil {
		t.Fatalf("second copy: compat %v, os %v", err1, err2)
	}
	var pe1, pe2 *fs.PathError
	if !errors.As(err1, &pe1) || !errors.As(err2, &pe2) || pe1.Op != pe2.Op || filepath.Base(pe1.Path) != filepath.Base(pe2.Path) {
		t.Errorf("second copy: compat %v, os %v", err1, err2)
	}
}
