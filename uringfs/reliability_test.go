//go:build linux

package uringfs_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
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
	"github.com/uringfs/uring/uringfs"
)

// The tests here inject kernel faults at the ring boundary (see
// internal/sched/faults_linux.go) under the os-shaped API and check that each
// File method answers as os would: EINTR retried, short transfers continued,
// -EAGAIN on a regular file finished, real errors (EIO, ENOSPC) reported in
// the *PathError os would build, and never a byte in the wrong place.

func needRing(t *testing.T) {
	t.Helper()
	if b, _ := uringfs.Backend(); b != sched.BackendURing {
		t.Skipf("fault injection works at the ring; backend is %q", b)
	}
}

// ioOn picks the data and metadata ops on fd, never its close or a cancel,
// so that a plan touches only the calls under test.
func ioOn(fd int) func(ring.Opcode, int) bool {
	return func(c ring.Opcode, f int) bool {
		return f == fd && c != ring.OpClose && c != ring.OpAsyncCancel
	}
}

func inject(t *testing.T, p *sched.FaultPlan) *sched.FaultPlan {
	t.Helper()
	t.Cleanup(sched.InjectFaults(p))
	return p
}

func relPattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*31+i>>8) ^ seed
	}
	return b
}

func openRW(t *testing.T, data []byte) (*uringfs.File, string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := uringfs.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f, p
}

func onDisk(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestFaultRetried: EINTR, posted any number of times, and -EAGAIN on a
// regular file, never reach the caller: every method completes with the
// right bytes, as os's do.
func TestFaultRetried(t *testing.T) {
	needRing(t)
	for _, errno := range []syscall.Errno{unix.EINTR, unix.EAGAIN} {
		t.Run(errno.Error(), func(t *testing.T) {
			want := relPattern(20000, 1)
			f, p := openRW(t, want)
			fault := sched.Fault{Errno: errno}
			match := ioOn(int(f.Fd()))
			if errno == unix.EAGAIN {
				// The kernel posts -EAGAIN only for reads and writes (of a
				// file in non-blocking mode); fsync and the rest always run
				// to completion on an io-wq worker.
				match = func(c ring.Opcode, fd int) bool {
					return fd == int(f.Fd()) && (c == ring.OpRead || c == ring.OpWrite)
				}
			}
			plan := inject(t, &sched.FaultPlan{Match: match, Ops: []sched.Fault{fault, fault, {}, fault}, Repeat: true})

			buf := make([]byte, 5000)
			if n, err := f.ReadAt(buf, 1000); n != 5000 || err != nil || !bytes.Equal(buf, want[1000:6000]) {
				t.Errorf("ReadAt = %d, %v", n, err)
			}
			if n, err := f.Read(buf); n != 5000 || err != nil || !bytes.Equal(buf, want[:5000]) {
				t.Errorf("Read = %d, %v", n, err)
			}
			w := bytes.Repeat([]byte{0x5A}, 3000)
			if n, err := f.WriteAt(w, 7000); n != 3000 || err != nil {
				t.Errorf("WriteAt = %d, %v", n, err)
			}
			if n, err := f.Write(w); n != 3000 || err != nil {
				t.Errorf("Write = %d, %v", n, err)
			}
			if err := f.Sync(); err != nil {
				t.Errorf("Sync = %v", err)
			}
			if fi, err := f.Stat(); err != nil || fi.Size() != int64(len(want)) {
				t.Errorf("Stat = %v, %v", fi, err)
			}
			if plan.Injected() == 0 {
				t.Fatal("no fault injected")
			}
			exp := append([]byte(nil), want...)
			copy(exp[7000:], w)
			copy(exp[5000:], w) // Write at the offset Read left
			if got := onDisk(t, p); !bytes.Equal(got, exp) {
				t.Errorf("file contents wrong after retried %v faults", errno)
			}
		})
	}
}

// TestFaultShortTransfers makes every transfer the kernel performs half as
// long as asked: ReadAt, Read, WriteAt and Write loop on as os's do and the
// file ends up with exactly the bytes written where they were written.
func TestFaultShortTransfers(t *testing.T) {
	needRing(t)
	want := relPattern(1<<16, 2)
	f, p := openRW(t, want)
	plan := inject(t, &sched.FaultPlan{Match: ioOn(int(f.Fd())), Ops: []sched.Fault{{Short: true}}, Repeat: true})
	buf := make([]byte, 10000)
	if n, err := f.ReadAt(buf, 333); n != len(buf) || err != nil || !bytes.Equal(buf, want[333:10333]) {
		t.Errorf("ReadAt = %d, %v", n, err)
	}
	// ReadAt at the end: a short count with io.EOF, as os.
	if n, err := f.ReadAt(buf, int64(len(want)-100)); n != 100 || err != io.EOF || !bytes.Equal(buf[:100], want[len(want)-100:]) {
		t.Errorf("ReadAt at the end = %d, %v, want 100, EOF", n, err)
	}
	// Read may return a short count, as os's may; the bytes must be right.
	n, err := f.Read(buf)
	if err != nil || n == 0 || !bytes.Equal(buf[:n], want[:n]) {
		t.Errorf("Read = %d, %v", n, err)
	}
	pos := n
	w := relPattern(9999, 3)
	if n, err := f.WriteAt(w, 20000); n != len(w) || err != nil {
		t.Errorf("WriteAt = %d, %v", n, err)
	}
	if n, err := f.Write(w); n != len(w) || err != nil {
		t.Errorf("Write = %d, %v", n, err)
	}
	if plan.Injected() < 4 {
		t.Errorf("only %d short transfers injected", plan.Injected())
	}
	exp := append([]byte(nil), want...)
	copy(exp[20000:], w)
	copy(exp[pos:], w)
	if got := onDisk(t, p); !bytes.Equal(got, exp) {
		t.Errorf("file contents wrong after short transfers")
	}
}

// TestFaultErrors: an error the kernel posts (EIO, ENOSPC; ECANCELED with
// no Close or context behind it) reaches the caller in the *PathError os
// builds for the method, and a failed write changes nothing on disk.
func TestFaultErrors(t *testing.T) {
	needRing(t)
	for _, errno := range []syscall.Errno{unix.EIO, unix.ENOSPC, unix.ECANCELED} {
		t.Run(errno.Error(), func(t *testing.T) {
			want := relPattern(8192, 4)
			f, p := openRW(t, want)
			inject(t, &sched.FaultPlan{Match: ioOn(int(f.Fd())), Ops: []sched.Fault{{Errno: errno}}, Repeat: true})
			check := func(method, op string, n int, err error) {
				t.Helper()
				var pe *fs.PathError
				if n != 0 || !errors.As(err, &pe) || pe.Op != op || pe.Path != p || pe.Err != errno {
					t.Errorf("%s = %d, %#v; want 0, &PathError{Op: %q, Path: %q, Err: %v}", method, n, err, op, p, errno)
				}
			}
			buf := make([]byte, 100)
			n, err := f.ReadAt(buf, 0)
			check("ReadAt", "read", n, err)
			n, err = f.Read(buf)
			check("Read", "read", n, err)
			n, err = f.WriteAt(bytes.Repeat([]byte{1}, 100), 0)
			check("WriteAt", "write", n, err)
			n, err = f.Write(bytes.Repeat([]byte{1}, 100))
			check("Write", "write", n, err)
			check("Sync", "sync", 0, f.Sync())
			// Stat is left out: statx runs on the caller, not the ring, while
			// few operations are in flight.
			check("Truncate", "truncate", 0, f.Truncate(1))
			if got := onDisk(t, p); !bytes.Equal(got, want) {
				t.Errorf("failed calls changed the file")
			}
			// The offset did not move.
			if off, err := f.Seek(0, io.SeekCurrent); off != 0 || err != nil {
				t.Errorf("offset after failed Read/Write = %d, %v", off, err)
			}
		})
	}
}

// TestFaultWriteAtPartial fails the second half of a WriteAt after the
// first was done short: like os, WriteAt reports 0 and the error; the bytes
// that did go out are the caller's, at the caller's offsets, and nowhere
// else.
func TestFaultWriteAtPartial(t *testing.T) {
	needRing(t)
	want := relPattern(8192, 5)
	f, p := openRW(t, want)
	inject(t, &sched.FaultPlan{Match: ioOn(int(f.Fd())), Ops: []sched.Fault{{Short: true}, {Errno: unix.ENOSPC}}})
	w := bytes.Repeat([]byte{0xC3}, 1000)
	n, err := f.WriteAt(w, 4000)
	if n != 0 || !errors.Is(err, unix.ENOSPC) {
		t.Errorf("WriteAt = %d, %v; want 0, ENOSPC", n, err)
	}
	got := onDisk(t, p)
	exp := append([]byte(nil), want...)
	copy(exp[4000:4500], w)
	if !bytes.Equal(got, exp) {
		t.Errorf("WriteAt that failed half way wrote outside its first 500 bytes")
	}
}

// TestFaultOpen fails openat and statx of package functions with EINTR
// (retried, as os does) and EIO (reported in os's *PathError).
func TestFaultOpen(t *testing.T) {
	needRing(t)
	dir := t.TempDir()
	p := filepath.Join(dir, "g")
	if err := os.WriteFile(p, []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	onDirOps := func(c ring.Opcode, fd int) bool {
		return fd == unix.AT_FDCWD && (c == ring.OpOpenat || c == ring.OpStatx)
	}
	plan := inject(t, &sched.FaultPlan{Match: onDirOps, Ops: []sched.Fault{{Errno: unix.EINTR}, {Errno: unix.EINTR}}})
	f, err := uringfs.Open(p)
	if err != nil {
		t.Fatalf("Open after EINTR = %v", err)
	}
	f.Close()
	if plan.Injected() != 2 {
		t.Errorf("%d faults injected, want 2", plan.Injected())
	}
	inject(t, &sched.FaultPlan{Match: onDirOps, Ops: []sched.Fault{{Errno: unix.EIO}}})
	f, err = uringfs.Open(p)
	var pe *fs.PathError
	if f != nil || !errors.As(err, &pe) || pe.Op != "open" || pe.Path != p || pe.Err != unix.EIO {
		t.Errorf("Open with EIO = %v, %#v", f, err)
		if f != nil {
			f.Close()
		}
	}
}

// TestFaultEnterAPI fails io_uring_enter itself (EINTR, EAGAIN, EBUSY)
// and makes it take one SQE at a time while many goroutines write and read
// their own regions: every call completes and every byte is in place.
func TestFaultEnterAPI(t *testing.T) {
	testkit.Deadline(t, hangDeadline)
	needRing(t)
	f, p := openRW(t, nil)
	var errs []syscall.Errno
	for i := 0; i < 20; i++ {
		errs = append(errs, []syscall.Errno{unix.EINTR, unix.EAGAIN, unix.EBUSY}[i%3])
	}
	inject(t, &sched.FaultPlan{EnterErrs: errs, PartialEnters: 200})
	const workers, size = 16, 4096
	done := make(chan error, workers)
	for w := 0; w < workers; w++ {
		go func() {
			data := bytes.Repeat([]byte{byte(w + 1)}, size)
			if _, err := f.WriteAt(data, int64(w*size)); err != nil {
				done <- err
				return
			}
			got := make([]byte, size)
			if _, err := f.ReadAt(got, int64(w*size)); err != nil {
				done <- err
				return
			}
			if !bytes.Equal(got, data) {
				done <- errors.New("read back another region's bytes")
				return
			}
			done <- nil
		}()
	}
	for w := 0; w < workers; w++ {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
	got := onDisk(t, p)
	for w := 0; w < workers; w++ {
		if !bytes.Equal(got[w*size:(w+1)*size], bytes.Repeat([]byte{byte(w + 1)}, size)) {
			t.Errorf("region %d holds the wrong bytes", w)
		}
	}
}

// TestCloseRacesIOWithFaults is TestCloseRacesIO (file_race_test.go) with
// the kernel misbehaving: every other transfer comes back -EINTR or short
// while files are closed under ReadAt, WriteAt, Read and Write and other
// goroutines open new files that reuse the descriptor numbers. Retrying
// EINTR must stop at Close, and no byte may land in another file.
func TestCloseRacesIOWithFaults(t *testing.T) {
	testkit.Deadline(t, hangDeadline)
	needRing(t)
	transfers := func(c ring.Opcode, _ int) bool { return c == ring.OpRead || c == ring.OpWrite }
	inject(t, &sched.FaultPlan{Match: transfers, Ops: []sched.Fault{{Errno: unix.EINTR}, {}, {Short: true}, {}}, Repeat: true})
	const rounds, ioers, openers, size = 30, 4, 3, 4096
	dir := t.TempDir()
	var mu sync.Mutex
	pats := map[string]byte{}
	next := 0
	create := func() (*uringfs.File, byte) {
		mu.Lock()
		next++
		pat := byte(next%250 + 1)
		p := filepath.Join(dir, fmt.Sprintf("f%04d", next))
		pats[p] = pat
		mu.Unlock()
		f, err := uringfs.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := f.WriteAt(bytes.Repeat([]byte{pat}, size), 0); n != size || err != nil {
			t.Fatalf("WriteAt = %d, %v", n, err)
		}
		return f, pat
	}
	for r := 0; r < rounds && !t.Failed(); r++ {
		f, pat := create()
		var wg sync.WaitGroup
		for i := 0; i < ioers; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				w := bytes.Repeat([]byte{pat}, 300)
				buf := make([]byte, 300)
				for k := 0; ; k++ {
					var n int
					var err error
					off := int64(k*300) % (size - 300)
					switch (i + k) % 4 {
					case 0:
						_, err = f.WriteAt(w, off)
					case 1:
						n, err = f.ReadAt(buf, off)
					case 2:
						// Read and Write move the shared offset: keep it
						// inside the file.
						f.Seek(off, io.SeekStart)
						n, err = f.Read(buf)
					case 3:
						f.Seek(off, io.SeekStart)
						_, err = f.Write(w)
					}
					if n > 0 && !bytes.Equal(buf[:n], w[:n]) {
						t.Errorf("read another file's bytes")
					}
					if err != nil {
						if !errors.Is(err, os.ErrClosed) && err != io.EOF {
							t.Errorf("I/O racing with Close: %v", err)
						}
						return
					}
				}
			}()
		}
		for i := 0; i < openers; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				g, gpat := create()
				g.Write(bytes.Repeat([]byte{gpat}, 100))
				g.Close()
			}()
		}
		time.Sleep(time.Millisecond)
		if err := f.Close(); err != nil {
			t.Errorf("Close = %v", err)
		}
		wg.Wait()
	}
	for p, pat := range pats {
		data := onDisk(t, p)
		// Seek then Write is not atomic among goroutines sharing the
		// offset, so a Write may extend the file: with its own byte.
		if len(data) < size {
			t.Errorf("%s is %d bytes, want at least %d", p, len(data), size)
		}
		if i := bytes.IndexFunc(data, func(r rune) bool { return r != rune(pat) }); i >= 0 {
			t.Errorf("%s holds byte %#x at %d, not its own %#x", p, data[i], i, pat)
		}
	}
}
