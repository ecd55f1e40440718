//go:build linux

package uringfs_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/uringfs/uring/uringfs"
)

// rootDirFdOpen reports whether this process holds a descriptor on dir.
func rootDirFdOpen(t *testing.T, dir string) bool {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	for _, e := range ents {
		if l, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil && l == dir {
			return true
		}
	}
	return false
}

// TestRootCloseDuringMethod closes a Root while a method waits (opening a
// FIFO with no writer): Close returns at once, as os.Root's does, the
// waiting method keeps the descriptor it resolves against until it
// returns, and the descriptor is released then.
func TestRootCloseDuringMethod(t *testing.T) {
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	r, err := uringfs.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if uringfs.RootUsesOS(r) {
		t.Skip("the os.Root fallback keeps its own descriptor")
	}
	if b, _ := uringfs.Backend(); b == "uring" {
		// IORING_OP_OPENAT2 opens a FIFO without waiting for a writer, so
		// no method stays in flight.
		t.Skip("Root.Open of a FIFO does not wait for a writer on io_uring")
	}
	type result struct {
		f   *uringfs.File
		err error
	}
	done := make(chan result, 1)
	go func() {
		f, err := r.Open("fifo")
		done <- result{f, err}
	}()
	time.Sleep(20 * time.Millisecond) // let Open take its reference

	closeWithin(t, r, 10*time.Second, "Close waited for a method blocked on a FIFO")
	heldAfterClose := rootDirFdOpen(t, dir)
	if _, err := r.Stat("fifo"); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("Stat after Close = %v, want os.ErrClosed", err)
	}

	// Open waits for a writer, so if it succeeds it held its reference
	// across Close and the check above. If it came too late to take one it
	// has failed, and no writer can open.
	var res result
	deadline := time.Now().Add(10 * time.Second)
	for waiting := true; waiting; {
		select {
		case res = <-done:
			waiting = false
		default:
			if w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
				res = <-done
				w.Close()
				waiting = false
				continue
			}
			if time.Now().After(deadline) {
				t.Fatal("Open of the FIFO never returned")
			}
			time.Sleep(time.Millisecond)
		}
	}
	switch {
	case res.err == nil:
		res.f.Close()
		if !heldAfterClose {
			t.Error("the Root's descriptor was released while Open still used it")
		}
	case !errors.Is(res.err, fs.ErrClosed):
		t.Errorf("Open = %v, want success or os.ErrClosed", res.err)
	}
	if rootDirFdOpen(t, dir) {
		t.Error("the Root's descriptor is still open after its last method returned")
	}
}
