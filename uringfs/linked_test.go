//go:build linux

package uringfs_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/uringfs/uring/internal/testkit"
	"github.com/uringfs/uring/uringfs"
)

// linkedCancelled checks that err is what an operation after a failed link
// reports: a *fs.PathError for op on name wrapping ECANCELED.
func linkedCancelled(t *testing.T, what string, err error, op, name string) {
	t.Helper()
	var pe *fs.PathError
	if !errors.Is(err, syscall.ECANCELED) || !errors.As(err, &pe) || pe.Op != op || pe.Path != name {
		t.Errorf("%s: %v, want a %q PathError wrapping ECANCELED", what, err, op)
	}
}

func noDirectSlots(t *testing.T, what string) {
	t.Helper()
	if n := uringfs.DirectSlotsInUse(); n != 0 {
		t.Errorf("%s: %d direct slots still in use", what, n)
	}
}

// TestLinkedFileRead runs open, ReadAt, Close as one linked chain and
// compares each step with os: reads that fill the buffer, reads that reach
// end of file (which end the chain, so its Close reports ECANCELED), a
// missing file, a negative offset.
func TestLinkedFileRead(t *testing.T) {
	testkit.Deadline(t, hangDeadline)
	dir := t.TempDir()
	name := filepath.Join(dir, "f")
	content := bytes.Repeat([]byte("linked chains "), 300)
	if err := os.WriteFile(name, content, 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		path string
		size int
		off  int64
	}{
		{"whole file", name, len(content), 0},
		{"middle", name, 1000, 7},
		{"past the end", name, 1000, int64(len(content)) - 10},
		{"at the end", name, 10, int64(len(content))},
		{"empty buffer", name, 0, 0},
		{"negative offset", name, 10, -1},
		{"missing", filepath.Join(dir, "missing"), 10, 0},
		{"directory", dir, 10, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := make([]byte, c.size)
			var wantN int
			var wantErr error
			of, wantOpenErr := os.Open(c.path)
			if wantOpenErr == nil {
				wantN, wantErr = of.ReadAt(want, c.off)
				of.Close()
			}

			got := make([]byte, c.size)
			b := uringfs.NewBatch()
			ch := b.Chain()
			lf := ch.OpenLinked(c.path, os.O_RDONLY, 0)
			r := lf.ReadAt(got, c.off)
			cl := lf.Close()
			if err := b.Submit(bg); err != nil {
				t.Fatal(err)
			}
			waitGuard(t, "chain", cl.Done())
			sameErr(t, "open", wantOpenErr, lf.Opened().Err(), dir)
			n, err := r.Wait()
			switch {
			case wantOpenErr != nil:
				linkedCancelled(t, "read after a failed open", err, "read", c.path)
				linkedCancelled(t, "close after a failed open", cl.Err(), "close", c.path)
				return
			case n != wantN || !bytes.Equal(got, want):
				t.Errorf("read %d bytes %q..., os read %d", n, got[:min(n, 20)], wantN)
			}
			sameErr(t, "read", wantErr, err, dir)
			if wantErr == nil {
				if err := cl.Err(); err != nil {
					t.Errorf("close: %v", err)
				}
			} else if c.size > 0 && c.off >= 0 {
				// io.EOF, or an error from the kernel: the read ended
				// the chain before the close.
				linkedCancelled(t, "close after a short read", cl.Err(), "close", c.path)
			}
			noDirectSlots(t, c.name)
		})
	}
}

// TestLinkedFileWrite runs open (create, truncate), WriteAt, Sync, Close
// as one chain beside the same steps through os, and compares the files
// they leave, then the errors of WriteAt on a file opened with O_APPEND.
func TestLinkedFileWrite(t *testing.T) {
	testkit.Deadline(t, hangDeadline)
	dir := t.TempDir()
	osName, ourName := filepath.Join(dir, "os"), filepath.Join(dir, "ours")
	data := []byte("written through a linked chain\n")
	for _, n := range []string{osName, ourName} {
		os.WriteFile(n, bytes.Repeat([]byte("old content "), 10), 0o600)
	}

	of, err := os.OpenFile(osName, os.O_WRONLY|os.O_TRUNC, 0o640)
	if err != nil {
		t.Fatal(err)
	}
	wantN, wantErr := of.WriteAt(data, 5)
	of.Sync()
	of.Close()

	b := uringfs.NewBatch()
	ch := b.Chain()
	lf := ch.OpenLinked(ourName, os.O_WRONLY|os.O_TRUNC, 0o640)
	w := lf.WriteAt(data, 5)
	s := lf.Sync()
	cl := lf.Close()
	if err := b.Submit(bg); err != nil {
		t.Fatal(err)
	}
	if err := b.Wait(); err != nil {
		t.Fatalf("chain: %v", err)
	}
	if n, err := w.Wait(); n != wantN || err != wantErr {
		t.Errorf("WriteAt: %d, %v; os: %d, %v", n, err, wantN, wantErr)
	}
	if s.Err() != nil || cl.Err() != nil {
		t.Errorf("Sync: %v, Close: %v", s.Err(), cl.Err())
	}
	wantBytes, _ := os.ReadFile(osName)
	gotBytes, _ := os.ReadFile(ourName)
	if !bytes.Equal(gotBytes, wantBytes) {
		t.Errorf("file left: %q, os left %q", gotBytes, wantBytes)
	}
	wantFi, _ := os.Stat(osName)
	gotFi, _ := os.Stat(ourName)
	if gotFi.Mode() != wantFi.Mode() {
		t.Errorf("mode %v, os %v", gotFi.Mode(), wantFi.Mode())
	}

	// A new file: O_CREATE with perm, as os.
	osNew, ourNew := filepath.Join(dir, "os-new"), filepath.Join(dir, "ours-new")
	if f, err := os.OpenFile(osNew, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o604); err == nil {
		f.WriteAt(data, 0)
		f.Close()
	}
	b = uringfs.NewBatch()
	ch = b.Chain()
	lf = ch.OpenLinked(ourNew, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o604)
	lf.WriteAt(data, 0)
	b.Submit(bg)
	if err := b.Wait(); err != nil {
		t.Fatalf("create chain without Close: %v", err)
	}
	wantFi, _ = os.Stat(osNew)
	gotFi, err = os.Stat(ourNew)
	if err != nil || gotFi.Mode() != wantFi.Mode() || gotFi.Size() != wantFi.Size() {
		t.Errorf("created file: %v, %v; os: %v", gotFi, err, wantFi)
	}
	noDirectSlots(t, "chain without Close")

	// O_EXCL on the file that now exists: the open fails as os's does.
	_, wantErr = os.OpenFile(osNew, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o604)
	b = uringfs.NewBatch()
	ch = b.Chain()
	lf = ch.OpenLinked(osNew, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o604)
	w = lf.WriteAt(data, 0)
	b.Submit(bg)
	sameErr(t, "O_EXCL open", wantErr, lf.Opened().Err(), dir)
	linkedCancelled(t, "write after a failed open", w.Err(), "write", osNew)

	// WriteAt on a file opened with O_APPEND fails as os's does, before
	// the kernel sees it, and ends the chain.
	af, err := os.OpenFile(osName, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, wantErr = af.WriteAt(data, 0)
	af.Close()
	b = uringfs.NewBatch()
	ch = b.Chain()
	lf = ch.OpenLinked(ourName, os.O_WRONLY|os.O_APPEND, 0)
	w = lf.WriteAt(data, 0)
	cl = lf.Close()
	b.Submit(bg)
	if _, err := w.Wait(); err == nil || wantErr == nil || err.Error() != wantErr.Error() {
		t.Errorf("WriteAt with O_APPEND: %v; os: %v", err, wantErr)
	}
	if err := lf.Opened().Err(); err != nil {
		t.Errorf("open with O_APPEND: %v", err)
	}
	linkedCancelled(t, "close after a refused write", cl.Err(), "close", ourName)
	noDirectSlots(t, "O_APPEND")
}

// TestLinkedFileMany reads 1,000 files with a chain each, in one batch:
// more chains than a ring has direct slots. Then it cancels such a batch
// through its context: every handle ends, with its result or a
// cancellation, and no slot is left in use.
func TestLinkedFileMany(t *testing.T) {
	testkit.Deadline(t, hangDeadline)
	dir := t.TempDir()
	const n = 1000
	names := make([]string, n)
	for i := range names {
		names[i] = filepath.Join(dir, fmt.Sprintf("f%04d", i))
		if err := os.WriteFile(names[i], []byte(names[i]), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for round, cancelled := range []bool{false, true} {
		ctx, cancel := context.WithCancel(bg)
		b := uringfs.NewBatch()
		bufs := make([][]byte, n)
		reads := make([]*uringfs.Pending[int], n)
		closes := make([]*uringfs.Pending[struct{}], n)
		for i, name := range names {
			bufs[i] = make([]byte, len(name))
			lf := b.Chain().OpenLinked(name, os.O_RDONLY, 0)
			reads[i] = lf.ReadAt(bufs[i], 0)
			closes[i] = lf.Close()
		}
		if err := b.Submit(ctx); err != nil {
			t.Fatal(err)
		}
		if cancelled {
			cancel()
		}
		waitGuard(t, "batch", closes[n-1].Done())
		b.Wait()
		for i := range names {
			n, err := reads[i].Wait()
			switch {
			case err == nil && n == len(names[i]) && string(bufs[i]) == names[i]:
				if cerr := closes[i].Err(); cerr != nil && !(cancelled && errors.Is(cerr, context.Canceled)) {
					t.Fatalf("round %d: close %d: %v", round, i, cerr)
				}
			case cancelled && (errors.Is(err, context.Canceled) || errors.Is(err, syscall.ECANCELED)):
			default:
				t.Fatalf("round %d: read %d: %d, %v, %q", round, i, n, err, bufs[i])
			}
		}
		cancel()
		noDirectSlots(t, fmt.Sprintf("round %d", round))
	}
}

// TestLinkedFileMisuse: OpenLinked belongs to chains, one per chain.
func TestLinkedFileMisuse(t *testing.T) {
	mustPanic := func(what string, fn func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s did not panic", what)
			}
		}()
		fn()
	}
	mustPanic("OpenLinked on a batch", func() { uringfs.NewBatch().OpenLinked("x", os.O_RDONLY, 0) })
	mustPanic("two OpenLinked in a chain", func() {
		c := uringfs.NewBatch().Chain()
		c.OpenLinked("x", os.O_RDONLY, 0)
		c.OpenLinked("y", os.O_RDONLY, 0)
	})
}
