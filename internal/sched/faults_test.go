//go:build linux

package sched_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/uringfs/uring/internal/ring"
	"github.com/uringfs/uring/internal/sched"
	"github.com/uringfs/uring/internal/testkit"
)

// faultLoop builds a one-ring io_uring loop for a fault test and installs
// plan for the length of the test. The plan is removed before the loop is
// closed, once every op of the test has returned.
func faultLoop(t *testing.T, cfg sched.Config, plan *sched.FaultPlan) *sched.Loop {
	t.Helper()
	if cfg.Rings == 0 {
		cfg.Rings = 1
	}
	l := newLoop(t, sched.BackendURing, cfg)
	restore := sched.InjectFaults(plan)
	t.Cleanup(restore)
	return l
}

// onFd picks the ops on fd only, so a plan never touches another test's ops.
func onFd(fd int) func(ring.Opcode, int) bool {
	return func(_ ring.Opcode, f int) bool { return f == fd }
}

func faultFile(t *testing.T, data []byte) (string, int) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	fd, err := unix.Open(p, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return p, fd
}

// TestFaultSetup makes io_uring_setup fail. EPERM (seccomp, sysctl) and
// ENOMEM (locked-memory limit, kernel memory) both make the default
// configuration fall back to syscalls with the reason kept, and make
// Backend "uring" fail with ErrUnavailable; a failure on the second ring
// releases the first. Nothing hangs and nothing leaks (TestMain checks fds).
func TestFaultSetup(t *testing.T) {
	if syscallForced() {
		t.Skip("URINGFS_BACKEND=syscall: io_uring variant skipped")
	}
	if l, err := sched.New(sched.Config{Backend: sched.BackendURing, Rings: 1}); err != nil {
		t.Skipf("io_uring refused: %v", err)
	} else {
		l.Close()
	}
	for _, errno := range []syscall.Errno{unix.EPERM, unix.ENOMEM, unix.ENOSYS} {
		for _, ok := range []int{0, 1} {
			restore := sched.InjectFaults(&sched.FaultPlan{SetupErr: errno, SetupOK: ok})
			l, err := sched.New(sched.Config{Rings: 2})
			if err != nil {
				restore()
				t.Fatalf("%v after %d rings: New = %v, want a syscall fallback", errno, ok, err)
			}
			if l.Backend() != sched.BackendSyscall || !errors.Is(l.FallbackReason(), errno) {
				t.Errorf("%v after %d rings: backend %q, reason %v", errno, ok, l.Backend(), l.FallbackReason())
			}
			// The fallback loop works.
			_, fd := faultFile(t, []byte("hello"))
			buf := make([]byte, 5)
			if n, err := l.Pread(context.Background(), fd, buf, 0); n != 5 || err != nil || string(buf) != "hello" {
				t.Errorf("%v: Pread on the fallback = %d, %v, %q", errno, n, err, buf)
			}
			l.Close()
			_, err = sched.New(sched.Config{Backend: sched.BackendURing, Rings: 2})
			restore()
			if !errors.Is(err, sched.ErrUnavailable) || !errors.Is(err, errno) {
				t.Errorf("%v after %d rings: New(uring) = %v, want ErrUnavailable wrapping it", errno, ok, err)
			}
		}
	}
}

// TestFaultEnter makes io_uring_enter fail with EINTR, EAGAIN and EBUSY
// before it enters the kernel, and makes it consume one SQE at a time: ops
// still complete, with the right bytes, and the loop counts the retries.
func TestFaultEnter(t *testing.T) {
	testkit.Deadline(t, hangDeadline)
	plan := &sched.FaultPlan{
		EnterErrs:     []syscall.Errno{unix.EINTR, unix.EAGAIN, unix.EBUSY, unix.EINTR, unix.EINTR, unix.EAGAIN},
		PartialEnters: 50,
	}
	l := faultLoop(t, sched.Config{Entries: 16}, plan)
	want := pattern(64<<10, 3)
	_, fd := faultFile(t, want)
	before := l.Counters().Retries
	var wg sync.WaitGroup
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				off := int64((g*20+i)*512) % int64(len(want)-512)
				buf := make([]byte, 512)
				n, err := l.Pread(context.Background(), fd, buf, off)
				if err != nil || n != 512 || !bytes.Equal(buf, want[off:off+512]) {
					t.Errorf("Pread(%d) = %d, %v (bytes match: %v)", off, n, err, bytes.Equal(buf[:max(n, 0)], want[off:off+int64(max(n, 0))]))
					return
				}
			}
		}()
	}
	wg.Wait()
	if got := plan.Injected(); got < int64(len(plan.EnterErrs)) {
		t.Errorf("only %d faults injected", got)
	}
	if l.Counters().Retries-before < uint64(len(plan.EnterErrs)) {
		t.Errorf("Retries went from %d to %d, want at least %d more", before, l.Counters().Retries, len(plan.EnterErrs))
	}
}

// TestFaultCQE gives single ops the errors a kernel can post. The loop is
// raw: it hands each errno back as is (uringfs retries EINTR, as os does),
// except -EAGAIN for a positional read or write, which it finishes with the
// syscall as os would.
func TestFaultCQE(t *testing.T) {
	want := pattern(8192, 7)
	for _, errno := range []syscall.Errno{unix.EIO, unix.ENOSPC, unix.ECANCELED, unix.EINTR, unix.EAGAIN} {
		t.Run(errno.Error(), func(t *testing.T) {
			_, fd := faultFile(t, want)
			plan := &sched.FaultPlan{Match: onFd(fd), Ops: []sched.Fault{{Errno: errno}}}
			l := faultLoop(t, sched.Config{}, plan)
			ctx := context.Background()

			buf := make([]byte, 4096)
			n, err := l.Pread(ctx, fd, buf, 100)
			if errno == unix.EAGAIN {
				if err != nil || n != 4096 || !bytes.Equal(buf, want[100:4196]) {
					t.Errorf("Pread after a -EAGAIN CQE = %d, %v, want the bytes", n, err)
				}
			} else {
				wantErrno(t, "Pread", err, errno)
			}
			// The next op runs normally: one fault per planned entry.
			if n, err := l.Pread(ctx, fd, buf, 0); n != 4096 || err != nil || !bytes.Equal(buf, want[:4096]) {
				t.Errorf("Pread after the fault = %d, %v", n, err)
			}

			// A write the kernel failed wrote nothing.
			plan2 := &sched.FaultPlan{Match: onFd(fd), Ops: []sched.Fault{{Errno: errno}}}
			restore := sched.InjectFaults(plan2)
			n, err = l.Pwrite(ctx, fd, bytes.Repeat([]byte{0xEE}, 100), 0)
			restore()
			got := make([]byte, len(want))
			if _, err := unix.Pread(fd, got, 0); err != nil {
				t.Fatal(err)
			}
			if errno == unix.EAGAIN {
				if n != 100 || err != nil || !bytes.Equal(got[:100], bytes.Repeat([]byte{0xEE}, 100)) || !bytes.Equal(got[100:], want[100:]) {
					t.Errorf("Pwrite after a -EAGAIN CQE = %d, %v; file wrong: %v", n, err, !bytes.Equal(got[100:], want[100:]))
				}
			} else {
				wantErrno(t, "Pwrite", err, errno)
				if !bytes.Equal(got, want) {
					t.Errorf("a failed Pwrite changed the file")
				}
			}

			// Every op kind reports the posted errno.
			plan3 := &sched.FaultPlan{Match: onFd(fd), Ops: []sched.Fault{{Errno: errno}, {Errno: errno}, {Errno: errno}}}
			restore = sched.InjectFaults(plan3)
			// (Statx is left out: it runs on the caller while few ops are
			// in flight, never reaching the ring.)
			errs := []error{
				l.Fsync(ctx, fd, false),
				l.Fallocate(ctx, fd, 0, 0, 1<<20),
				l.Ftruncate(ctx, fd, 1),
			}
			restore()
			for i, err := range errs {
				wantErrno(t, []string{"Fsync", "Fallocate", "Ftruncate"}[i], err, errno)
			}
			if fi, err := os.Stat(fmt.Sprintf("/proc/self/fd/%d", fd)); err != nil || fi.Size() != int64(len(want)) {
				t.Errorf("failed Fallocate or Ftruncate changed the size: %v, %v", fi.Size(), err)
			}
		})
	}
}

// TestFaultShort makes the kernel transfer half of what was asked: Pread
// and Pwrite report the short count and the bytes that moved are the right
// ones, in the right place.
func TestFaultShort(t *testing.T) {
	want := pattern(8192, 9)
	_, fd := faultFile(t, want)
	plan := &sched.FaultPlan{Match: onFd(fd), Ops: []sched.Fault{{Short: true}, {Short: true}}}
	l := faultLoop(t, sched.Config{}, plan)
	ctx := context.Background()
	buf := make([]byte, 1000)
	n, err := l.Pread(ctx, fd, buf, 10)
	if err != nil || n != 500 || !bytes.Equal(buf[:n], want[10:510]) {
		t.Errorf("short Pread = %d, %v", n, err)
	}
	src := bytes.Repeat([]byte{0xAB}, 1000)
	n, err = l.Pwrite(ctx, fd, src, 2000)
	if err != nil || n != 500 {
		t.Errorf("short Pwrite = %d, %v", n, err)
	}
	got := make([]byte, len(want))
	if _, err := unix.Pread(fd, got, 0); err != nil {
		t.Fatal(err)
	}
	exp := append([]byte(nil), want...)
	copy(exp[2000:2500], src)
	if !bytes.Equal(got, exp) {
		t.Errorf("short Pwrite wrote outside its first %d bytes", n)
	}
}

// TestFaultTinyRing runs many goroutines with cancellations and injected
// errors on a two-entry ring (one op slot) whose enters consume one SQE at a
// time: every op returns (no hang), with its own result.
func TestFaultTinyRing(t *testing.T) {
	testkit.Deadline(t, hangDeadline)
	want := pattern(16384, 11)
	_, fd := faultFile(t, want)
	plan := &sched.FaultPlan{
		Match:         onFd(fd),
		Ops:           []sched.Fault{{}, {Errno: unix.EIO}, {}, {Short: true}, {}, {Errno: unix.EINTR}},
		Repeat:        true,
		PartialEnters: 1000,
	}
	l := faultLoop(t, sched.Config{Entries: 2}, plan)
	done := make(chan struct{})
	var wg sync.WaitGroup
	for g := 0; g < 32; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 30; i++ {
				ctx := context.Background()
				var cancel context.CancelFunc = func() {}
				if (g+i)%5 == 0 {
					ctx, cancel = context.WithTimeout(ctx, time.Duration(i)*time.Microsecond)
				}
				off := int64((g*31+i)*97) % int64(len(want)-256)
				buf := make([]byte, 256)
				n, err := l.Pread(ctx, fd, buf, off)
				cancel()
				if n > 0 && !bytes.Equal(buf[:n], want[off:off+int64(n)]) {
					t.Errorf("Pread(%d) returned %d wrong bytes", off, n)
				}
				if err != nil && !errors.Is(err, unix.EIO) && !errors.Is(err, unix.EINTR) && !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("Pread(%d) = %v", off, err)
				}
			}
		}()
	}
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		t.Fatal("ops on a tiny ring with faults did not all return")
	}
	if plan.Injected() == 0 {
		t.Error("no fault injected")
	}
}

// TestNonblockingRegularFile reads, through the ring, a regular file opened
// with O_NONBLOCK whose pages were dropped from the cache. The ring may
// answer -EAGAIN there (kernels honour O_NONBLOCK on some file systems;
// ext4 on this machine's 6.x kernel does not), where pread(2) blocks. The
// loop must answer as pread does; TestFaultCQE forces the -EAGAIN case.
func TestNonblockingRegularFile(t *testing.T) {
	l := newLoop(t, sched.BackendURing, sched.Config{Rings: 1})
	want := pattern(1<<20, 5)
	p, fd0 := faultFile(t, want)
	if err := unix.Fsync(fd0); err != nil {
		t.Fatal(err)
	}
	fd, err := unix.Open(p, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	for i := 0; i < 4; i++ {
		unix.Fadvise(fd, 0, 0, unix.FADV_DONTNEED)
		buf := make([]byte, 64<<10)
		off := int64(i) * 200 << 10
		n, err := l.Pread(context.Background(), fd, buf, off)
		if err != nil || n != len(buf) || !bytes.Equal(buf, want[off:off+int64(n)]) {
			t.Fatalf("Pread of an uncached O_NONBLOCK file = %d, %v; pread(2) would block and read it", n, err)
		}
		unix.Fadvise(fd, 0, 0, unix.FADV_DONTNEED)
		n, err = l.Pwrite(context.Background(), fd, want[off:off+4096], off)
		if err != nil || n != 4096 {
			t.Fatalf("Pwrite to an O_NONBLOCK file = %d, %v", n, err)
		}
	}
}
