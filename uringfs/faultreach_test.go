//go:build linux

package uringfs_test

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/uringfs/uring/internal/ring"
	"github.com/uringfs/uring/internal/sched"
	"github.com/uringfs/uring/internal/testkit"
	"github.com/uringfs/uring/uringfs"
)

// The tests here check that a FaultPlan reaches the operations that go to
// the ring as a sched.Flight (Batch, the Async methods, chains and
// LinkedFile), not only those of the synchronous methods
// (reliability_test.go): an errno the kernel posts for one of them comes
// back in the *PathError os would build for the call, a chain ends at the
// failed step, and a failed write leaves the file as it was.

// opOn picks the ops of opcode code on fd only, so that a plan touches the
// operation under test and nothing else.
func opOn(code ring.Opcode, fd int) func(ring.Opcode, int) bool {
	return func(c ring.Opcode, f int) bool { return c == code && f == fd }
}

// wantPathErr fails unless err is the error os reports for a call op on
// path that the kernel failed with errno: &PathError{Op: op, Path: path,
// Err: errno}.
func wantPathErr(t *testing.T, what string, err error, op, path string, errno syscall.Errno) {
	t.Helper()
	var pe *fs.PathError
	if !errors.As(err, &pe) || pe.Op != op || pe.Path != path || pe.Err != errno || !errors.Is(err, errno) {
		t.Errorf("%s: %#v (%v); want &PathError{Op: %q, Path: %q, Err: %v}", what, err, err, op, path, errno)
	}
}

// wantInjected fails the test unless plan injected n faults: a plan that
// never reached the ring would let every other check pass vacuously.
func wantInjected(t *testing.T, plan *sched.FaultPlan, n int64) {
	t.Helper()
	if got := plan.Injected(); got != n {
		t.Fatalf("the plan injected %d faults, want %d: it did not reach the operation under test", got, n)
	}
}

// TestFaultReachesBatchReadAt fails a Batch's ReadAt with EIO: its handle
// and the batch's Wait report what os's ReadAt would (0 bytes and a "read"
// *PathError wrapping EIO), and a read of the next batch, once the plan is
// used up, returns the file's bytes.
func TestFaultReachesBatchReadAt(t *testing.T) {
	testkit.Deadline(t, hangDeadline)
	needRing(t)
	want := relPattern(8192, 21)
	f, p := openRW(t, want)
	plan := inject(t, &sched.FaultPlan{Match: opOn(ring.OpRead, int(f.Fd())), Ops: []sched.Fault{{Errno: syscall.EIO}}})

	b := uringfs.NewBatch()
	buf := make([]byte, 4096)
	h := b.ReadAt(f, buf, 100)
	if err := b.Submit(bg); err != nil {
		t.Fatalf("Submit: %v", err)
	}
	waitGuard(t, "Batch.ReadAt", h.Done())
	n, err := h.Wait()
	if n != 0 {
		t.Errorf("Batch.ReadAt failed with EIO returned %d bytes, os's ReadAt 0", n)
	}
	wantPathErr(t, "Batch.ReadAt", err, "read", p, syscall.EIO)
	wantPathErr(t, "Batch.Wait", b.Wait(), "read", p, syscall.EIO)
	wantInjected(t, plan, 1)

	b = uringfs.NewBatch()
	h = b.ReadAt(f, buf, 100)
	if err := b.Submit(bg); err != nil {
		t.Fatalf("Submit: %v", err)
	}
	if n, err := h.Wait(); n != len(buf) || err != nil || !bytes.Equal(buf, want[100:100+len(buf)]) {
		t.Errorf("Batch.ReadAt after the plan's faults = %d, %v (bytes match: %v)", n, err, bytes.Equal(buf, want[100:100+len(buf)]))
	}
}

// TestFaultReachesAsync fails File.WriteAtAsync and File.ReadAtAsync with
// EIO: Wait reports what os's WriteAt and ReadAt would (0 bytes, a "write"
// or "read" *PathError wrapping EIO), and the file on disk keeps every
// byte it had.
func TestFaultReachesAsync(t *testing.T) {
	testkit.Deadline(t, hangDeadline)
	needRing(t)
	want := relPattern(8192, 22)
	f, p := openRW(t, want)
	fd := int(f.Fd())

	t.Run("WriteAtAsync", func(t *testing.T) {
		plan := inject(t, &sched.FaultPlan{Match: opOn(ring.OpWrite, fd), Ops: []sched.Fault{{Errno: syscall.EIO}}})
		h := f.WriteAtAsync(bg, bytes.Repeat([]byte{0xEE}, 1000), 500)
		waitGuard(t, "WriteAtAsync", h.Done())
		n, err := h.Wait()
		if n != 0 {
			t.Errorf("WriteAtAsync failed with EIO reported %d bytes written, os's WriteAt 0", n)
		}
		wantPathErr(t, "WriteAtAsync", err, "write", p, syscall.EIO)
		wantInjected(t, plan, 1)
		if got := onDisk(t, p); !bytes.Equal(got, want) {
			t.Errorf("a WriteAtAsync that failed with EIO changed the file on disk")
		}
	})

	t.Run("ReadAtAsync", func(t *testing.T) {
		plan := inject(t, &sched.FaultPlan{Match: opOn(ring.OpRead, fd), Ops: []sched.Fault{{Errno: syscall.EIO}}})
		h := f.ReadAtAsync(bg, make([]byte, 1000), 500)
		waitGuard(t, "ReadAtAsync", h.Done())
		n, err := h.Wait()
		if n != 0 {
			t.Errorf("ReadAtAsync failed with EIO returned %d bytes, os's ReadAt 0", n)
		}
		wantPathErr(t, "ReadAtAsync", err, "read", p, syscall.EIO)
		wantInjected(t, plan, 1)
	})
}

// TestFaultReachesLinkedChain fails the write of a linked chain with EIO,
// in a chain of File operations (Batch.Chain) and in a LinkedFile's chain:
// the write reports the "write" *PathError os would, the file on disk keeps
// every byte it had, and each later step of the chain reports ECANCELED as
// after any failed link (where the kernel can fail the fault's NOP:
// faultsBreakChains).
func TestFaultReachesLinkedChain(t *testing.T) {
	testkit.Deadline(t, hangDeadline)
	needRing(t)

	t.Run("Chain", func(t *testing.T) {
		want := relPattern(8192, 23)
		f, p := openRW(t, want)
		plan := inject(t, &sched.FaultPlan{Match: opOn(ring.OpWrite, int(f.Fd())), Ops: []sched.Fault{{Errno: syscall.EIO}}})

		b := uringfs.NewBatch()
		ch := b.Chain()
		w := ch.WriteAt(f, bytes.Repeat([]byte{0xEE}, 1000), 0)
		s := ch.Sync(f)
		r := ch.ReadAt(f, make([]byte, 1000), 0)
		if err := b.Submit(bg); err != nil {
			t.Fatalf("Submit: %v", err)
		}
		waitGuard(t, "chain", r.Done())
		n, err := w.Wait()
		if n != 0 {
			t.Errorf("WriteAt failed with EIO reported %d bytes written, os's WriteAt 0", n)
		}
		wantPathErr(t, "WriteAt", err, "write", p, syscall.EIO)
		wantPathErr(t, "Batch.Wait", b.Wait(), "write", p, syscall.EIO)
		wantInjected(t, plan, 1)
		if got := onDisk(t, p); !bytes.Equal(got, want) {
			t.Errorf("a chain whose WriteAt failed with EIO changed the file on disk")
		}
		skipUnlessFaultsBreakChains(t)
		wantPathErr(t, "Sync after the failed WriteAt", s.Err(), "sync", p, syscall.ECANCELED)
		n, err = r.Wait()
		if n != 0 {
			t.Errorf("ReadAt after the failed WriteAt returned %d bytes", n)
		}
		wantPathErr(t, "ReadAt after the failed WriteAt", err, "read", p, syscall.ECANCELED)
	})

	t.Run("LinkedFile", func(t *testing.T) {
		if !uringfs.DirectFiles() {
			t.Skip("no direct descriptors (old kernel): LinkedFile chains run on goroutines, where no plan applies")
		}
		want := relPattern(8192, 24)
		_, p := openRW(t, want)
		// A LinkedFile's write names its chain's direct slot, not a
		// descriptor: its op carries fd -1.
		plan := inject(t, &sched.FaultPlan{Match: opOn(ring.OpWrite, -1), Ops: []sched.Fault{{Errno: syscall.EIO}}})

		b := uringfs.NewBatch()
		ch := b.Chain()
		lf := ch.OpenLinked(p, os.O_RDWR, 0)
		w := lf.WriteAt(bytes.Repeat([]byte{0xEE}, 1000), 0)
		s := lf.Sync()
		cl := lf.Close()
		if err := b.Submit(bg); err != nil {
			t.Fatalf("Submit: %v", err)
		}
		waitGuard(t, "LinkedFile chain", cl.Done())
		if err := lf.Opened().Err(); err != nil {
			t.Errorf("OpenLinked: %v", err)
		}
		n, err := w.Wait()
		if n != 0 {
			t.Errorf("LinkedFile.WriteAt failed with EIO reported %d bytes written, os's WriteAt 0", n)
		}
		wantPathErr(t, "LinkedFile.WriteAt", err, "write", p, syscall.EIO)
		wantInjected(t, plan, 1)
		if got := onDisk(t, p); !bytes.Equal(got, want) {
			t.Errorf("a LinkedFile chain whose WriteAt failed with EIO changed the file on disk")
		}
		noDirectSlots(t, "LinkedFile chain with a failed WriteAt")
		skipUnlessFaultsBreakChains(t)
		wantPathErr(t, "LinkedFile.Sync after the failed WriteAt", s.Err(), "sync", p, syscall.ECANCELED)
		wantPathErr(t, "LinkedFile.Close after the failed WriteAt", cl.Err(), "close", p, syscall.ECANCELED)
	})
}

// skipUnlessFaultsBreakChains skips the rest of a test on a kernel where
// a faulted op does not break its chain. The plan replaces the op by a NOP
// that fails with the chosen errno (IORING_NOP_INJECT_RESULT, Linux 6.10),
// which breaks the chain as a real failure does; earlier kernels complete
// that NOP with 0, and the plan substitutes the errno only at the CQE,
// after the ops linked to it were started.
func skipUnlessFaultsBreakChains(t *testing.T) {
	t.Helper()
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		t.Fatal(err)
	}
	rel := unix.ByteSliceToString(u.Release[:])
	var major, minor int
	if _, err := fmt.Sscanf(rel, "%d.%d", &major, &minor); err != nil {
		t.Fatalf("kernel release %q: %v", rel, err)
	}
	if major < 6 || major == 6 && minor < 10 {
		t.Skipf("Linux %s completes the fault's NOP with 0 (IORING_NOP_INJECT_RESULT is 6.10), so the steps linked after it run: not checked", rel)
	}
}
