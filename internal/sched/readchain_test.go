//go:build linux

package sched_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/uringfs/uring/internal/sched"
)

// TestOpConstructors runs the ops that ReadOp, WriteOp, FsyncOp, OpenatOp,
// StatxOp and CloseOp describe, on each backend.
func TestOpConstructors(t *testing.T) {
	eachBackend(t, sched.Config{Rings: 1, Entries: 16}, func(t *testing.T, l *sched.Loop) {
		ctx := context.Background()
		name := filepath.Join(t.TempDir(), "f")
		do := func(what string, op *sched.Op) int {
			t.Helper()
			if err := l.Do(ctx, op); err != nil {
				t.Fatalf("%s: Do: %v", what, err)
			}
			if err := op.Err(); err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			return int(op.Res)
		}
		op := sched.OpenatOp(unix.AT_FDCWD, name, unix.O_RDWR|unix.O_CREAT|unix.O_CLOEXEC, 0o600)
		fd := do("openat", &op)
		data := pattern(5000, 3)
		op = sched.WriteOp(fd, data, 100)
		if n := do("write", &op); n != len(data) {
			t.Fatalf("write: %d bytes, want %d", n, len(data))
		}
		op = sched.FsyncOp(fd, true)
		do("fdatasync", &op)
		op = sched.FsyncOp(fd, false)
		do("fsync", &op)
		got := make([]byte, len(data))
		op = sched.ReadOp(fd, got, 100)
		if n := do("read", &op); n != len(data) || !bytes.Equal(got, data) {
			t.Fatalf("read: %d bytes, equal %v", n, bytes.Equal(got, data))
		}
		var st unix.Statx_t
		op = sched.StatxOp(unix.AT_FDCWD, name, 0, unix.STATX_SIZE, &st)
		do("statx", &op)
		if st.Size != uint64(100+len(data)) {
			t.Fatalf("statx: size %d, want %d", st.Size, 100+len(data))
		}
		op = sched.CloseOp(fd)
		do("close", &op)
		op = sched.ReadOp(fd, got, 0)
		if err := l.Do(ctx, &op); err != nil || op.Err() != unix.EBADF {
			t.Fatalf("read after close: Do %v, op %v; want EBADF", err, op.Err())
		}
	})
}

// TestDirectOpenCloexec checks that a direct OPENAT asked for O_CLOEXEC, as
// every open of the package is, opens into its slot: the loop drops the
// flag, which a slot has no use for and the kernel refuses.
func TestDirectOpenCloexec(t *testing.T) {
	l := directLoop(t)
	name := filepath.Join(t.TempDir(), "f")
	data := pattern(300, 5)
	writeFile(t, name, data)
	open := sched.OpenatOp(unix.AT_FDCWD, name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	buf := make([]byte, len(data)) // a short READ would cut the chain before its CLOSE
	read := sched.ReadOp(-1, buf, 0)
	closeOp := sched.CloseOp(-1)
	ops := []*sched.Op{&open, &read, &closeOp}
	for _, op := range ops {
		op.Direct = true
	}
	ran, err := l.ChainDirect(context.Background(), ops, nil)
	if !ran || err != nil {
		t.Fatalf("ChainDirect: ran %v, err %v", ran, err)
	}
	for i, op := range ops {
		if op.Res < 0 {
			t.Fatalf("op %d: %v", i, op.Err())
		}
	}
	if !bytes.Equal(buf[:read.Res], data) {
		t.Fatalf("read %d bytes, not the file's", read.Res)
	}
	if n := l.DirectSlotsInUse(); n != 0 {
		t.Fatalf("%d direct slots in use after the chain", n)
	}
}

func readChainLoop(t *testing.T) *sched.Loop {
	t.Helper()
	l := directLoop(t)
	if !l.CanReadChain() {
		t.Skip("kernel lacks FADVISE")
	}
	return l
}

// TestReadChain runs a ReadChain on files it settles and files it leaves
// to the plain path.
func TestReadChain(t *testing.T) {
	l := readChainLoop(t)
	dir := t.TempDir()
	small := pattern(3000, 9)
	writeFile(t, filepath.Join(dir, "small"), small)
	writeFile(t, filepath.Join(dir, "empty"), nil)
	writeFile(t, filepath.Join(dir, "exact"), pattern(4095, 1))
	cases := []struct {
		name   string
		done   bool
		data   []byte
		errno  syscall.Errno
		filled bool
	}{
		{"small", true, small, 0, false},
		{"empty", true, []byte{}, 0, false},
		{"exact", false, nil, 0, true}, // fills the READ: may be longer
		{"missing", true, nil, unix.ENOENT, false},
		{".", false, nil, 0, false}, // a directory: the READ fails
	}
	var c sched.ReadChain
	defer c.Release()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c.Set(filepath.Join(dir, tc.name), make([]byte, 4096))
			ran, err := l.ChainDirect(context.Background(), c.Ops(), nil)
			if !ran || err != nil {
				t.Fatalf("ChainDirect: ran %v, err %v", ran, err)
			}
			data, done, err := c.Result()
			if done != tc.done || !bytes.Equal(data, tc.data) || (tc.errno == 0) != (err == nil) ||
				(tc.errno != 0 && err != tc.errno) {
				t.Fatalf("Result: %d bytes, done %v, err %v; want %d bytes, done %v, errno %v",
					len(data), done, err, len(tc.data), tc.done, tc.errno)
			}
			if tc.errno == 0 && c.Filled() != tc.filled {
				t.Fatalf("Filled %v, want %v", c.Filled(), tc.filled)
			}
			if n := l.DirectSlotsInUse(); n != 0 {
				t.Fatalf("%d direct slots in use after the chain", n)
			}
		})
	}
}

// TestReadChainFIFO checks that a chain on a FIFO stops with the FIFO open
// in its slot, where ReadOn reads it to its end and CloseOn closes it.
func TestReadChainFIFO(t *testing.T) {
	l := readChainLoop(t)
	name := filepath.Join(t.TempDir(), "fifo")
	if err := unix.Mkfifo(name, 0o600); err != nil {
		t.Fatal(err)
	}
	// The data waits in the FIFO, written through a descriptor that opens
	// both ends without waiting and is closed once the chain has the FIFO
	// open, so that the reads end at the data's end.
	w, err := unix.Open(name, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := pattern(10000, 4)
	if n, err := unix.Write(w, want); n != len(want) || err != nil {
		unix.Close(w)
		t.Fatalf("write: %d, %v", n, err)
	}
	var c sched.ReadChain
	defer c.Release()
	c.Set(name, make([]byte, 1024))
	var got []byte
	var rerr, cerr error
	ran, err := l.ChainDirect(context.Background(), c.Ops(), func(run func(...*sched.Op) error) {
		unix.Close(w)
		w = -1
		if !c.Opened() {
			t.Errorf("FIFO not opened: %v", c.Ops()[0].Err())
			return
		}
		buf := make([]byte, 4096)
		for {
			n, err := c.ReadOn(run, buf)
			if err == unix.EINTR {
				continue
			}
			got = append(got, buf[:n]...)
			if err != nil || n == 0 {
				rerr = err
				break
			}
		}
		cerr = c.CloseOn(run)
	})
	if w >= 0 {
		unix.Close(w)
	}
	if !ran || err != nil {
		t.Fatalf("ChainDirect: ran %v, err %v", ran, err)
	}
	if rerr != nil || cerr != nil || !bytes.Equal(got, want) {
		t.Fatalf("read %d bytes (equal %v), read err %v, close err %v", len(got), bytes.Equal(got, want), rerr, cerr)
	}
	if n := l.DirectSlotsInUse(); n != 0 {
		t.Fatalf("%d direct slots in use after the chain", n)
	}
}

// TestOpenCached checks the caller-side open: a cached name opens, a
// missing one fails with ENOENT, and the syscall backend does not offer it.
func TestOpenCached(t *testing.T) {
	eachBackend(t, sched.Config{Rings: 1, Entries: 16}, func(t *testing.T, l *sched.Loop) {
		if l.Backend() == sched.BackendSyscall {
			if l.CachedOpens() {
				t.Fatal("CachedOpens on the syscall backend")
			}
			return
		}
		if !l.CachedOpens() {
			t.Skip("kernel lacks RESOLVE_CACHED")
		}
		dir := t.TempDir()
		name := filepath.Join(dir, "f")
		writeFile(t, name, []byte("x"))
		if _, err := os.Stat(name); err != nil { // the lookup is now cached
			t.Fatal(err)
		}
		fd, errno := l.OpenCached(unix.AT_FDCWD, name, unix.O_RDONLY|unix.O_CLOEXEC)
		if errno != 0 {
			t.Fatalf("OpenCached: %v", errno)
		}
		unix.Close(fd)
		// A missing name's lookup is cached only where the file system
		// keeps negative entries: EAGAIN is an answer too.
		missing := filepath.Join(dir, "nope")
		os.Stat(missing)
		if _, errno := l.OpenCached(unix.AT_FDCWD, missing, unix.O_RDONLY); errno != unix.ENOENT && errno != unix.EAGAIN {
			t.Fatalf("OpenCached of a missing name: %v, want ENOENT or EAGAIN", errno)
		}
		if _, errno := l.OpenCached(unix.AT_FDCWD, "a\x00b", unix.O_RDONLY); errno != unix.EINVAL {
			t.Fatalf("OpenCached of a name with NUL: %v, want EINVAL", errno)
		}
	})
}
