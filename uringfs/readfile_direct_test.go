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
	"reflect"
	"sync"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/uringfs/uring/internal/ring"
	"github.com/uringfs/uring/internal/sched"
	"github.com/uringfs/uring/internal/testkit"
	"github.com/uringfs/uring/uringfs"
)

// sameReadFile checks ReadFile(name) against os.ReadFile(name): same bytes,
// same error (type, Op, Path and errno).
func sameReadFile(t *testing.T, name string) {
	t.Helper()
	want, werr := os.ReadFile(name)
	got, gerr := uringfs.ReadFile(name)
	if (werr == nil) != (gerr == nil) {
		t.Fatalf("ReadFile(%q): err %v, os.ReadFile: %v", name, gerr, werr)
	}
	if werr != nil {
		if reflect.TypeOf(gerr) != reflect.TypeOf(werr) {
			t.Fatalf("ReadFile(%q): error %T %v, os: %T %v", name, gerr, gerr, werr, werr)
		}
		var gp, wp *fs.PathError
		if errors.As(gerr, &gp) && errors.As(werr, &wp) {
			if gp.Op != wp.Op || gp.Path != wp.Path || gp.Err != wp.Err {
				t.Fatalf("ReadFile(%q): %#v, os: %#v", name, gp, wp)
			}
		}
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("ReadFile(%q): %d bytes differ from os.ReadFile's %d", name, len(got), len(want))
	}
	if n := uringfs.DirectSlotsInUse(); n != 0 {
		t.Fatalf("ReadFile(%q) left %d direct descriptor slots taken", name, n)
	}
}

func fill(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i*7) + byte(i>>9)
	}
	return b
}

// TestReadFileDirect compares ReadFile with os.ReadFile on files of many
// kinds, through each of ReadFile's paths in turn: the caller's system
// calls for cached names (readFileCached), the ring's chain
// (readFileDirect), and on the fallback backend the plain path.
func TestReadFileDirect(t *testing.T) {
	t.Run("caller", testReadFileKinds)
	t.Run("chain", func(t *testing.T) {
		defer uringfs.SetCallerReadFile(false)()
		testReadFileKinds(t)
	})
}

func testReadFileKinds(t *testing.T) {
	dir := t.TempDir()
	sizes := []int{0, 1, 100, 4095, 4096, 4097, 16 << 10, 32 << 10, 32<<10 + 1, 64 << 10, 64<<10 + 1, 3<<20 + 5}
	for _, n := range sizes {
		name := filepath.Join(dir, fmt.Sprintf("f%d", n))
		if err := os.WriteFile(name, fill(n, byte(n)), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Run(fmt.Sprintf("size%d", n), func(t *testing.T) { sameReadFile(t, name) })
	}
	t.Run("proc", func(t *testing.T) {
		for _, p := range []string{"/proc/version", "/proc/self/cmdline", "/proc/filesystems", "/proc/self/limits"} {
			if _, err := os.Stat(p); err == nil {
				sameReadFile(t, p)
			}
		}
	})
	t.Run("dir", func(t *testing.T) {
		sameReadFile(t, dir)
		_, err := uringfs.ReadFile(dir)
		if !errors.Is(err, syscall.EISDIR) {
			t.Fatalf("ReadFile(dir): %v, want EISDIR", err)
		}
	})
	t.Run("missing", func(t *testing.T) {
		sameReadFile(t, filepath.Join(dir, "missing"))
		sameReadFile(t, filepath.Join(dir, "f1", "under-a-file"))
		sameReadFile(t, "")
	})
	t.Run("symlink", func(t *testing.T) {
		link := filepath.Join(dir, "link")
		if err := os.Symlink("f4096", link); err != nil {
			t.Fatal(err)
		}
		sameReadFile(t, link)
		dangling := filepath.Join(dir, "dangling")
		if err := os.Symlink("nowhere", dangling); err != nil {
			t.Fatal(err)
		}
		sameReadFile(t, dangling)
		loop := filepath.Join(dir, "loop")
		if err := os.Symlink("loop", loop); err != nil {
			t.Fatal(err)
		}
		sameReadFile(t, loop)
	})
	t.Run("permission", func(t *testing.T) {
		if rerunUnprivileged(t) {
			return // root reads a mode 000 file: the child runs unprivileged
		}
		name := filepath.Join(dir, "secret")
		if err := os.WriteFile(name, []byte("x"), 0o000); err != nil {
			t.Fatal(err)
		}
		sameReadFile(t, name)
		_, err := uringfs.ReadFile(name)
		if !errors.Is(err, fs.ErrPermission) {
			t.Fatalf("ReadFile of a mode 000 file: %v", err)
		}
	})
	t.Run("devnull", func(t *testing.T) { sameReadFile(t, os.DevNull) })
	t.Run("fifo", func(t *testing.T) {
		// A pipe's data can be read once only: ReadFile must not try a
		// read it might have to do over.
		name := filepath.Join(dir, "fifo")
		if err := syscall.Mkfifo(name, 0o600); err != nil {
			t.Skip(err)
		}
		data := fill(200<<10, 3)
		done := make(chan error, 1)
		go func() {
			w, err := os.OpenFile(name, os.O_WRONLY, 0)
			if err != nil {
				done <- err
				return
			}
			for off := 0; off < len(data); off += 1000 {
				if _, err := w.Write(data[off:min(off+1000, len(data))]); err != nil {
					w.Close()
					done <- err
					return
				}
			}
			done <- w.Close()
		}()
		got, err := uringfs.ReadFile(name)
		if werr := <-done; werr != nil {
			t.Fatalf("writer: %v", werr)
		}
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("ReadFile(fifo): %d bytes, err %v; want %d bytes", len(got), err, len(data))
		}
	})
}

// TestReadFileDirectConcurrent reads 1,000 files from 64 goroutines and
// checks every result and that no direct descriptor slot is left taken.
func TestReadFileDirectConcurrent(t *testing.T) {
	testkit.Deadline(t, hangDeadline)
	dir := t.TempDir()
	const files = 1000
	for i := 0; i < files; i++ {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%04d", i)), fill(1+i*13%9000, byte(i)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 64; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < files; i += 64 / 4 { // every file read by 4 goroutines
				got, err := uringfs.ReadFile(filepath.Join(dir, fmt.Sprintf("f%04d", i)))
				if err != nil || !bytes.Equal(got, fill(1+i*13%9000, byte(i))) {
					errs <- fmt.Errorf("file %d: %d bytes, err %v", i, len(got), err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := uringfs.DirectSlotsInUse(); n != 0 {
		t.Fatalf("%d direct descriptor slots taken after the run", n)
	}
	b, _ := uringfs.Backend()
	t.Logf("backend %s, direct descriptors %v", b, uringfs.DirectFiles())
}

// TestReadFileDirectFaults makes the ring fail the fast path's OPENAT and
// shorten or fail its READ: the open error comes back as os shapes it, a
// short or failed READ sends ReadFile to the plain path, and no slot leaks.
func TestReadFileDirectFaults(t *testing.T) {
	if !uringfs.DirectFiles() {
		t.Skip("no direct descriptors (syscall backend or old kernel)")
	}
	dir := t.TempDir()
	name := filepath.Join(dir, "f")
	data := fill(10000, 9)
	if err := os.WriteFile(name, data, 0o644); err != nil {
		t.Fatal(err)
	}
	isOpen := func(code ring.Opcode, fd int) bool { return code == ring.OpOpenat }
	inject(t, &sched.FaultPlan{Match: isOpen, Ops: []sched.Fault{{Errno: syscall.EACCES}}})
	_, err := uringfs.ReadFile(name)
	var pe *fs.PathError
	if !errors.As(err, &pe) || pe.Op != "open" || pe.Path != name || pe.Err != syscall.EACCES {
		t.Fatalf("ReadFile with OPENAT failing EACCES: %#v", err)
	}
	if n := uringfs.DirectSlotsInUse(); n != 0 {
		t.Fatalf("%d slots taken after a failed open", n)
	}
	for _, f := range []sched.Fault{{Short: true}, {Errno: syscall.EIO}} {
		isRead := func(code ring.Opcode, fd int) bool { return code == ring.OpRead }
		// The first READ of the chain is the empty probe: the fault goes to
		// the one after it, the READ of the data.
		plan := inject(t, &sched.FaultPlan{Match: isRead, Ops: []sched.Fault{{}, f}})
		got, err := uringfs.ReadFile(name)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("fault %+v on the READ: %d bytes, err %v", f, len(got), err)
		}
		if plan.Injected() == 0 {
			t.Fatalf("fault %+v was not injected", f)
		}
		if n := uringfs.DirectSlotsInUse(); n != 0 {
			t.Fatalf("%d slots taken after fault %+v", n, f)
		}
	}
}

// TestReadFilesDirect runs ReadFiles over names of every kind ReadFile's
// fast path must settle or hand on (sizes around its buffer, /proc, a
// directory, missing names, symlinks, /dev/null, a FIFO with a writer), so
// that they share groups of direct chains, and checks each result against
// os.ReadFile, that no slot is left taken, and that the files in the page
// cache shared their io_uring_enter calls.
func TestReadFilesDirect(t *testing.T) {
	dir := t.TempDir()
	var names []string
	for i, n := range []int{0, 1, 100, 4095, 4096, 4097, 16 << 10, 20<<10 - 2, 20<<10 - 1, 20 << 10, 64<<10 - 1, 64 << 10, 64<<10 + 1, 300 << 10} {
		name := filepath.Join(dir, fmt.Sprintf("size%d", n))
		if err := os.WriteFile(name, fill(n, byte(i)), 0o644); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	for i := range 200 {
		name := filepath.Join(dir, fmt.Sprintf("small%03d", i))
		if err := os.WriteFile(name, fill(1+i*53%6000, byte(i)), 0o644); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	if err := os.Symlink("size4096", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("nowhere", filepath.Join(dir, "dangling")); err != nil {
		t.Fatal(err)
	}
	names = append(names, filepath.Join(dir, "link"), filepath.Join(dir, "dangling"), filepath.Join(dir, "missing"),
		dir, "", os.DevNull, "/proc/version", "/proc/self/limits")
	fifo := filepath.Join(dir, "fifo")
	fifoData := fill(100<<10, 9)
	writerDone := make(chan error, 1)
	if err := syscall.Mkfifo(fifo, 0o600); err == nil {
		// In the middle of a group, so its chain runs beside cached ones.
		names = append(names[:50], append([]string{fifo}, names[50:]...)...)
		go func() {
			w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
			if err != nil {
				writerDone <- err
				return
			}
			_, err = w.Write(fifoData)
			w.Close()
			writerDone <- err
		}()
	} else {
		writerDone <- nil
	}

	before := uringfs.LoopCounters()
	seen := make([]int, len(names))
	for fd, err := range uringfs.ReadFiles(bg, names) {
		seen[fd.Index]++
		if fd.Name != names[fd.Index] {
			t.Fatalf("index %d: name %q, want %q", fd.Index, fd.Name, names[fd.Index])
		}
		if fd.Name == fifo {
			if err != nil || !bytes.Equal(fd.Data, fifoData) {
				t.Errorf("fifo: %d bytes, err %v; want %d bytes", len(fd.Data), err, len(fifoData))
			}
			continue
		}
		want, werr := os.ReadFile(fd.Name)
		if (werr == nil) != (err == nil) {
			t.Errorf("%q: err %v, os: %v", fd.Name, err, werr)
			continue
		}
		if werr != nil {
			var gp, wp *fs.PathError
			if !errors.As(err, &gp) || !errors.As(werr, &wp) || gp.Op != wp.Op || gp.Path != wp.Path || gp.Err != wp.Err {
				t.Errorf("%q: %#v, os: %#v", fd.Name, err, werr)
			}
		}
		if fd.Name != "/proc/self/limits" && !bytes.Equal(fd.Data, want) {
			t.Errorf("%q: %d bytes differ from os.ReadFile's %d", fd.Name, len(fd.Data), len(want))
		}
	}
	if err := <-writerDone; err != nil {
		t.Fatalf("fifo writer: %v", err)
	}
	for i, c := range seen {
		if c != 1 {
			t.Errorf("%q yielded %d times", names[i], c)
		}
	}
	if n := uringfs.DirectSlotsInUse(); n != 0 {
		t.Fatalf("ReadFiles left %d direct descriptor slots taken", n)
	}
	after := uringfs.LoopCounters()
	if b, _ := uringfs.Backend(); b == "uring" && uringfs.DirectFiles() {
		// About 220 files in groups of 32: the ones the chain settles
		// share an enter, so there are far fewer enters than files.
		t.Logf("%d enters for %d files", after.Enters-before.Enters, len(names))
		if enters := after.Enters - before.Enters; enters > uint64(len(names))/2 {
			t.Errorf("%d io_uring_enter calls for %d files: the groups did not share them", enters, len(names))
		}
	}
}

// TestReadFilesCold reads files whose pages were dropped from the page
// cache (where the file system allows it): the chains cannot settle them
// and they are read on the ring; every result must still match os.
func TestReadFilesCold(t *testing.T) {
	dir := t.TempDir()
	var names []string
	for i := range 100 {
		name := filepath.Join(dir, fmt.Sprintf("cold%03d", i))
		if err := os.WriteFile(name, fill(1000+i*311, byte(i)), 0o644); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	evicted := 0
	for _, name := range names {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		f.Sync()
		if unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED) == nil {
			iov := [][]byte{make([]byte, 1)}
			if _, err := unix.Preadv2(int(f.Fd()), iov, 0, unix.RWF_NOWAIT); err != nil {
				evicted++
			}
		}
		f.Close()
	}
	t.Logf("%d of %d files out of the page cache", evicted, len(names))
	seen := 0
	for fd, err := range uringfs.ReadFiles(bg, names) {
		seen++
		i := fd.Index
		if err != nil || !bytes.Equal(fd.Data, fill(1000+i*311, byte(i))) {
			t.Errorf("%s: %d bytes, err %v", fd.Name, len(fd.Data), err)
		}
	}
	if seen != len(names) {
		t.Errorf("%d results for %d names", seen, len(names))
	}
	if n := uringfs.DirectSlotsInUse(); n != 0 {
		t.Fatalf("%d direct descriptor slots taken", n)
	}

	// Stopping early while such reads are in flight cancels and drains
	// them: TestMain fails the package if a descriptor is left open.
	for _, name := range names {
		if f, err := os.Open(name); err == nil {
			unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
			f.Close()
		}
	}
	k := 0
	for range uringfs.ReadFiles(bg, names) {
		if k++; k == 3 {
			break
		}
	}
	if n := uringfs.DirectSlotsInUse(); n != 0 {
		t.Fatalf("%d direct descriptor slots taken after stopping early", n)
	}
}

// writeFilled writes n files in a temporary directory, file i holding
// fill(size(i), byte(i)), and returns their names.
func writeFilled(t *testing.T, n int, size func(i int) int) []string {
	dir := t.TempDir()
	names := make([]string, n)
	for i := range names {
		names[i] = filepath.Join(dir, fmt.Sprintf("f%02d", i))
		if err := os.WriteFile(names[i], fill(size(i), byte(i)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return names
}

// TestReadFileCaller checks that cached files are read on the caller,
// with no io_uring_enter, when ReadFile's caller path is on, and through
// the ring when it is off (so the count can tell the two apart).
func TestReadFileCaller(t *testing.T) {
	if !uringfs.CallerReadFile() {
		t.Skip("no caller-side ReadFile here (fallback backend, or openat2 without RESOLVE_CACHED)")
	}
	names := writeFilled(t, 50, func(i int) int { return 100 + i*97 })
	readAll := func() uint64 {
		before := uringfs.LoopCounters().Enters
		for i, name := range names {
			got, err := uringfs.ReadFile(name)
			if err != nil || !bytes.Equal(got, fill(100+i*97, byte(i))) {
				t.Fatalf("%s: %d bytes, err %v", name, len(got), err)
			}
		}
		return uringfs.LoopCounters().Enters - before
	}
	readAll() // names and pages into the caches
	c0 := uringfs.LoopCounters()
	if enters := readAll(); enters > uint64(len(names))/10 {
		t.Errorf("%d io_uring_enter calls for %d cached files on the caller path, want almost none", enters, len(names))
	}
	// One read a file: the short read that stops at fstat's size is the
	// end, with no second read to see 0.
	if reads := uringfs.LoopCounters().NowaitHits - c0.NowaitHits; reads != uint64(len(names)) {
		t.Errorf("%d RWF_NOWAIT reads for %d cached files, want one each", reads, len(names))
	}
	restore := uringfs.SetCallerReadFile(false)
	enters := readAll()
	restore()
	if enters < uint64(len(names)) {
		t.Errorf("%d io_uring_enter calls for %d files with the caller path off, want one a file at least", enters, len(names))
	}
}

// TestOpenCaller checks that Open of a cached name runs no ring op for
// the open when the caller path is on, and one when it is off, with the
// same results either way.
func TestOpenCaller(t *testing.T) {
	if !uringfs.CallerReadFile() {
		t.Skip("no caller-side open here (fallback backend, or openat2 without RESOLVE_CACHED)")
	}
	names := writeFilled(t, 40, func(i int) int { return 10 + i })
	openAll := func() uint64 {
		before := uringfs.LoopCounters().Ops
		for i, name := range names {
			f, err := uringfs.Open(name)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(f)
			f.Close()
			if err != nil || !bytes.Equal(got, fill(10+i, byte(i))) {
				t.Fatalf("%s: %d bytes, err %v", name, len(got), err)
			}
		}
		return uringfs.LoopCounters().Ops - before
	}
	openAll() // names into the dentry cache
	on := openAll()
	restore := uringfs.SetCallerReadFile(false)
	off := openAll()
	restore()
	if off < on+uint64(len(names)) {
		t.Errorf("ring ops for %d opens: %d with the caller path, %d without; want one open op a file fewer with it", len(names), on, off)
	}
}
