//go:build linux

package uringfs_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/uringfs/uring/internal/testkit"
	"github.com/uringfs/uring/uringfs"
)

var bg = context.Background()

// waitGuard fails the test if h is not done in time: a hang shows where it
// is instead of eating the test timeout. The limit is far above what the
// work needs, so slowness does not fail the test.
func waitGuard(t *testing.T, what string, done <-chan struct{}) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(45 * time.Second):
		t.Fatalf("%s: not done after 45s", what)
	}
}

func sameErr(t *testing.T, what string, want, got error, dir string) {
	t.Helper()
	if w, g := testkit.FormatError(want, dir), testkit.FormatError(got, dir); w != g {
		t.Errorf("%s:\n    os:      %s\n    uringfs: %s", what, w, g)
	}
}

// TestAsyncAgainstOS runs each Async call and the os call it mirrors on the
// same files and compares results and errors.
func TestAsyncAgainstOS(t *testing.T) {
	testkit.Deadline(t, hangDeadline)
	dir := t.TempDir()
	data := bytes.Repeat([]byte("0123456789abcdef"), 1000)
	p := filepath.Join(dir, "f")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	of, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer of.Close()
	uf, err := uringfs.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer uf.Close()

	t.Run("ReadAt", func(t *testing.T) {
		for _, c := range []struct {
			n   int
			off int64
		}{{100, 0}, {len(data), 0}, {len(data) + 10, 0}, {100, int64(len(data)) - 50}, {10, int64(len(data))},
			{10, int64(len(data)) + 100}, {0, 5}, {10, -1}} {
			wb, gb := make([]byte, c.n), make([]byte, c.n)
			wn, werr := of.ReadAt(wb, c.off)
			gn, gerr := uf.ReadAtAsync(bg, gb, c.off).Wait()
			what := fmt.Sprintf("ReadAt(%d, %d)", c.n, c.off)
			if wn != gn || !bytes.Equal(wb, gb) {
				t.Errorf("%s: n %d vs %d, same bytes %v", what, wn, gn, bytes.Equal(wb, gb))
			}
			sameErr(t, what, werr, gerr, dir)
		}
	})

	t.Run("WriteAt", func(t *testing.T) {
		for _, flag := range []int{os.O_RDWR, os.O_RDONLY, os.O_RDWR | os.O_APPEND} {
			wp, gp := filepath.Join(dir, "w-os"), filepath.Join(dir, "w-u")
			wf, err := os.OpenFile(wp, flag|os.O_CREATE, 0o644)
			if err != nil {
				t.Fatal(err)
			}
			gf, err := uringfs.OpenFile(gp, flag|os.O_CREATE, 0o644)
			if err != nil {
				t.Fatal(err)
			}
			for _, off := range []int64{0, 5000, -3} {
				wn, werr := wf.WriteAt(data[:3000], off)
				gn, gerr := gf.WriteAtAsync(bg, data[:3000], off).Wait()
				what := fmt.Sprintf("WriteAt(flag %#x, off %d)", flag, off)
				if wn != gn {
					t.Errorf("%s: n %d vs %d", what, wn, gn)
				}
				sameErr(t, what, werr, renamePathErr(gerr, "w-u", "w-os"), dir)
			}
			wf.Close()
			gf.Close()
			wb, _ := os.ReadFile(wp)
			gb, _ := os.ReadFile(gp)
			if !bytes.Equal(wb, gb) {
				t.Errorf("WriteAt flag %#x: files differ", flag)
			}
			os.Remove(wp)
			os.Remove(gp)
		}
	})

	t.Run("ClosedAndNil", func(t *testing.T) {
		wf, _ := os.Open(p)
		gf, _ := uringfs.Open(p)
		wf.Close()
		gf.Close()
		b := make([]byte, 4)
		_, werr := wf.ReadAt(b, 0)
		_, gerr := gf.ReadAtAsync(bg, b, 0).Wait()
		sameErr(t, "ReadAt on closed", werr, gerr, dir)
		_, werr = wf.WriteAt(b, 0)
		_, gerr = gf.WriteAtAsync(bg, b, 0).Wait()
		sameErr(t, "WriteAt on closed", werr, gerr, dir)
		var nf *uringfs.File
		var nof *os.File
		_, werr = nof.ReadAt(b, 0)
		_, gerr = nf.ReadAtAsync(bg, b, 0).Wait()
		sameErr(t, "ReadAt on nil", werr, gerr, dir)
		// A done context: argument errors still come first, as in the
		// synchronous methods.
		done, cancel := context.WithCancel(bg)
		cancel()
		_, gerr = nf.WriteAtAsync(done, b, 0).Wait()
		sameErr(t, "WriteAt on nil, done ctx", os.ErrInvalid, gerr, dir)
		of2, _ := uringfs.Open(p)
		defer of2.Close()
		wn, werr := of2.ReadAtContext(done, nil, 0)
		gn, gerr := of2.ReadAtAsync(done, nil, 0).Wait()
		if wn != gn {
			t.Errorf("ReadAt(nil) with a done ctx: %d vs %d", wn, gn)
		}
		sameErr(t, "ReadAt(nil) with a done ctx", werr, gerr, dir)
		wn, werr = of2.ReadAtContext(done, b, 0)
		gn, gerr = of2.ReadAtAsync(done, b, 0).Wait()
		sameErr(t, "ReadAt with a done ctx", werr, gerr, dir)
		_, werr = uringfs.ReadFileContext(done, p)
		_, gerr = uringfs.ReadFileAsync(done, p).Wait()
		sameErr(t, "ReadFile with a done ctx", werr, gerr, dir)
	})

	t.Run("CloseInFlight", func(t *testing.T) {
		// Close while reads are in flight: Close waits for them, and each
		// ends with its data or with os.ErrClosed, never a hang.
		for range 20 {
			f, err := uringfs.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			var hs []*uringfs.Pending[int]
			bufs := make([][]byte, len(data)/1000)
			for i := range bufs {
				bufs[i] = make([]byte, 1000)
				hs = append(hs, f.ReadAtAsync(bg, bufs[i], int64(i*1000)))
			}
			f.Close()
			for i, h := range hs {
				waitGuard(t, "read racing Close", h.Done())
				n, err := h.Wait()
				if err == nil && (n != 1000 || !bytes.Equal(bufs[i], data[i*1000:i*1000+1000])) {
					t.Fatalf("read %d: %d bytes, wrong data", i, n)
				}
				if err != nil && !errors.Is(err, os.ErrClosed) {
					t.Fatalf("read %d racing Close: %v", i, err)
				}
			}
		}
	})

	t.Run("OpenFile", func(t *testing.T) {
		for _, c := range []struct {
			name string
			flag int
		}{{"f", os.O_RDONLY}, {"missing", os.O_RDONLY}, {"f", os.O_RDWR | os.O_CREATE | os.O_EXCL}, {"f/x", os.O_RDONLY}, {"new", os.O_RDWR | os.O_CREATE}} {
			name := filepath.Join(dir, c.name)
			wf, werr := os.OpenFile(name, c.flag, 0o600)
			if wf != nil {
				wf.Close()
				if c.name == "new" {
					os.Remove(name)
				}
			}
			gf, gerr := uringfs.OpenFileAsync(bg, name, c.flag, 0o600).Wait()
			sameErr(t, "OpenFile "+c.name, werr, gerr, dir)
			if (wf == nil) != (gf == nil) {
				t.Errorf("OpenFile %s: file %v vs %v", c.name, wf, gf)
			}
			if gf != nil {
				if gf.Name() != name {
					t.Errorf("Name %q", gf.Name())
				}
				gf.Close()
			}
		}
	})

	t.Run("Stat", func(t *testing.T) {
		for _, name := range []string{p, dir, filepath.Join(dir, "missing"), p + "/x", "/proc/self/status", ""} {
			wi, werr := os.Stat(name)
			gi, gerr := uringfs.StatAsync(bg, name).Wait()
			sameErr(t, "Stat "+name, werr, gerr, dir)
			if werr == nil && gerr == nil && name != "/proc/self/status" {
				compareInfo(t, "Stat "+name, wi, gi)
			}
		}
	})

	t.Run("ReadFile", func(t *testing.T) {
		empty := filepath.Join(dir, "empty")
		os.WriteFile(empty, nil, 0o644)
		for _, name := range []string{p, empty, dir, filepath.Join(dir, "missing"), "/proc/self/cmdline", "/sys/kernel/mm/transparent_hugepage/enabled"} {
			wb, werr := os.ReadFile(name)
			gb, gerr := uringfs.ReadFileAsync(bg, name).Wait()
			sameErr(t, "ReadFile "+name, werr, gerr, dir)
			if !bytes.Equal(wb, gb) || (wb == nil) != (gb == nil) {
				t.Errorf("ReadFile %s: %d bytes (nil %v) vs %d (nil %v)", name, len(wb), wb == nil, len(gb), gb == nil)
			}
		}
	})
}

// renamePathErr swaps the uringfs file's name for the os one in a PathError, so
// the two can be compared.
func renamePathErr(err error, from, to string) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		c := *pe
		c.Path = filepath.Join(filepath.Dir(pe.Path), to)
		if filepath.Base(pe.Path) != from {
			c.Path = pe.Path
		}
		return &c
	}
	return err
}

// TestBatch10000 reads 10,000 blocks in one batch, far more than the ring
// has room for, and collects them with WaitAny.
func TestBatch10000(t *testing.T) {
	testkit.Deadline(t, hangDeadline)
	const n, blk, blocks = 10000, 512, 1000
	data := make([]byte, blk*blocks)
	for i := range data {
		data[i] = byte(i*13 + i/blk)
	}
	p := filepath.Join(t.TempDir(), "f")
	os.WriteFile(p, data, 0o644)
	f, err := uringfs.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := uringfs.NewBatch()
	bufs := make([][]byte, n)
	hs := make(map[uringfs.Handle]int, n)
	for i := range n {
		bufs[i] = make([]byte, blk)
		hs[b.ReadAt(f, bufs[i], int64(i%blocks*blk))] = i
	}
	if err := b.Submit(bg); err != nil {
		t.Fatal(err)
	}
	seen := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		for h := b.WaitAny(); h != nil; h = b.WaitAny() {
			i, ok := hs[h]
			if !ok {
				t.Errorf("WaitAny returned an unknown or repeated handle")
				return
			}
			delete(hs, h)
			seen++
			n, err := h.(*uringfs.Pending[int]).Wait()
			if n != blk || err != nil {
				t.Errorf("op %d: %d, %v", i, n, err)
			}
			if !bytes.Equal(bufs[i], data[i%blocks*blk:][:blk]) {
				t.Errorf("op %d: wrong data", i)
			}
		}
	}()
	waitGuard(t, "10,000 reads", done)
	if seen != n {
		t.Errorf("WaitAny returned %d handles, want %d", seen, n)
	}
	if err := b.Wait(); err != nil {
		t.Errorf("Wait: %v", err)
	}
}

// TestBatchOneEnter checks that a batch goes to the kernel in one
// io_uring_enter.
func TestBatchOneEnter(t *testing.T) {
	if be, _ := uringfs.Backend(); be != "uring" {
		t.Skip("io_uring backend only")
	}
	p := filepath.Join(t.TempDir(), "f")
	os.WriteFile(p, make([]byte, 64<<10), 0o644)
	f, err := uringfs.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := uringfs.NewBatch()
	for i := range 64 {
		b.ReadAt(f, make([]byte, 1024), int64(i)*1024)
	}
	before := uringfs.LoopCounters()
	b.Submit(bg)
	if err := b.Wait(); err != nil {
		t.Fatal(err)
	}
	after := uringfs.LoopCounters()
	if d := after.SQEs - before.SQEs; d < 64 {
		t.Errorf("SQEs: %d, want at least 64", d)
	}
	if d := after.Enters - before.Enters; d != 1 {
		t.Errorf("io_uring_enter calls for one batch: %d, want 1", d)
	}
}

// TestBatchChain checks link semantics: write→sync→read runs in order; a
// chain whose first op fails completes the rest with ECANCELED and leaves
// other operations alone.
func TestBatchChain(t *testing.T) {
	testkit.Deadline(t, hangDeadline)
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	f, err := uringfs.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ro, err := uringfs.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	msg := []byte("durable bytes")
	got := make([]byte, len(msg))

	b := uringfs.NewBatch()
	c := b.Chain()
	w := c.WriteAt(f, msg, 0)
	s := c.Sync(f)
	r := c.ReadAt(f, got, 0)
	bad := b.Chain()
	bw := bad.WriteAt(ro, msg, 0) // EBADF: opened read-only
	bs := bad.Sync(ro)
	st := b.Stat(p)
	if err := b.Submit(bg); err != nil {
		t.Fatal(err)
	}
	if n, err := w.Wait(); n != len(msg) || err != nil {
		t.Errorf("write: %d, %v", n, err)
	}
	if err := s.Err(); err != nil {
		t.Errorf("sync: %v", err)
	}
	if n, err := r.Wait(); n != len(msg) || err != nil || !bytes.Equal(got, msg) {
		t.Errorf("read: %d, %v, %q", n, err, got)
	}
	if _, err := bw.Wait(); !errors.Is(err, syscall.EBADF) {
		t.Errorf("write to a read-only file: %v", err)
	}
	if err := bs.Err(); !errors.Is(err, syscall.ECANCELED) {
		t.Errorf("sync after a failed link: %v, want ECANCELED", err)
	}
	var pe *fs.PathError
	if err := bs.Err(); !errors.As(err, &pe) || pe.Op != "sync" {
		t.Errorf("sync error shape: %#v", err)
	}
	// Nothing orders the Stat after the write chain: it sees the file
	// before or after the write, never in between.
	if fi, err := st.Wait(); err != nil || (fi.Size() != 0 && fi.Size() != int64(len(msg))) {
		t.Errorf("stat outside the chains: %v, %v", fi, err)
	}
	if err := b.Wait(); !errors.Is(err, syscall.EBADF) {
		t.Errorf("Wait: %v, want the first error (EBADF)", err)
	}
	// The batch is reusable: a second Submit carries what was added since.
	again := b.Stat(p)
	if err := b.Submit(bg); err != nil {
		t.Fatal(err)
	}
	if h := b.WaitAny(); h != uringfs.Handle(again) {
		t.Errorf("WaitAny after reuse: %v", h)
	}
	if h := b.WaitAny(); h != nil {
		t.Errorf("WaitAny with nothing left: %v", h)
	}
}

// TestBatchQueue uses a Batch as a completion queue that keeps 16 reads in
// flight: each completion adds and submits one more.
func TestBatchQueue(t *testing.T) {
	testkit.Deadline(t, hangDeadline)
	const total, depth, blk = 3000, 16, 512
	data := make([]byte, 256*blk)
	for i := range data {
		data[i] = byte(i*5 + i/blk)
	}
	p := filepath.Join(t.TempDir(), "f")
	os.WriteFile(p, data, 0o644)
	f, err := uringfs.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := uringfs.NewBatch()
	type req struct {
		buf []byte
		off int64
	}
	reqs := map[uringfs.Handle]req{}
	started, finished := 0, 0
	add := func() {
		r := req{make([]byte, blk), int64(rand.IntN(256) * blk)}
		reqs[b.ReadAt(f, r.buf, r.off)] = r
		started++
	}
	for range depth {
		add()
	}
	b.Submit(bg)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for h := b.WaitAny(); h != nil; h = b.WaitAny() {
			r := reqs[h]
			delete(reqs, h)
			finished++
			if err := h.Err(); err != nil || !bytes.Equal(r.buf, data[r.off:r.off+blk]) {
				t.Errorf("read at %d: %v or wrong bytes", r.off, err)
				return
			}
			if started < total {
				add()
				b.Submit(bg)
			}
		}
	}()
	waitGuard(t, "queue of reads", done)
	if finished != total || len(reqs) != 0 {
		t.Errorf("finished %d of %d, %d left", finished, total, len(reqs))
	}
}

// TestBatchWaitAny checks that WaitAny returns operations in completion
// order: a ReadFile of a FIFO, which waits for a writer, comes after a
// Stat submitted with it.
func TestBatchWaitAny(t *testing.T) {
	testkit.Deadline(t, hangDeadline)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	b := uringfs.NewBatch()
	rf := b.ReadFile(fifo)
	st := b.Stat(dir)
	b.Submit(bg)
	done := make(chan uringfs.Handle)
	go func() { done <- b.WaitAny() }()
	var first uringfs.Handle
	select {
	case first = <-done:
	case <-time.After(45 * time.Second):
		t.Fatal("WaitAny hung")
	}
	if first != uringfs.Handle(st) {
		t.Fatalf("first handle is not the Stat")
	}
	if h := b.Poll(); h != nil {
		t.Fatalf("Poll returned %v while the FIFO read waits for a writer", h)
	}
	w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	w.WriteString("through the pipe")
	w.Close()
	if h := b.WaitAny(); h != uringfs.Handle(rf) {
		t.Fatalf("second handle is not the ReadFile")
	}
	if data, err := rf.Wait(); string(data) != "through the pipe" || err != nil {
		t.Errorf("ReadFile of fifo: %q, %v", data, err)
	}
	if h := b.WaitAny(); h != nil {
		t.Errorf("third WaitAny: %v", h)
	}
}

// TestAsyncCancelBlocked cancels ReadFiles of a FIFO without a writer,
// which wait for one (io_uring opens a FIFO without waiting, then its read
// waits; open(2) waits in the open), through Cancel and through a batch's
// context. Only io_uring can interrupt them.
func TestAsyncCancelBlocked(t *testing.T) {
	testkit.Deadline(t, hangDeadline)
	if be, _ := uringfs.Backend(); be != "uring" {
		t.Skip("a blocked FIFO open or read cannot be cancelled on the syscall backend")
	}
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	h := uringfs.ReadFileAsync(bg, fifo)
	select {
	case <-h.Done():
		t.Fatal("ReadFile of a FIFO without writer completed")
	case <-time.After(20 * time.Millisecond):
	}
	h.Cancel()
	waitGuard(t, "cancelled ReadFile", h.Done())
	if _, err := h.Wait(); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled ReadFile: %v", err)
	}

	ctx, cancel := context.WithCancel(bg)
	b := uringfs.NewBatch()
	var hs []*uringfs.Pending[[]byte]
	for range 4 {
		hs = append(hs, b.ReadFile(fifo))
	}
	b.Submit(ctx)
	time.Sleep(10 * time.Millisecond)
	cancel()
	for _, h := range hs {
		waitGuard(t, "batch cancelled by its context", h.Done())
		var pe *fs.PathError
		if err := h.Err(); !errors.Is(err, context.Canceled) || !errors.As(err, &pe) || pe.Path != fifo {
			t.Errorf("cancelled by context: %v", err)
		}
	}
}

// TestAsyncCancelStorm cancels reads and writes at random moments. Each one
// ends with either its full result (and correct bytes) or an error wrapping
// context.Canceled, and no buffer changes once its handle is done.
func TestAsyncCancelStorm(t *testing.T) {
	testkit.Deadline(t, hangDeadline)
	const n, blk, rounds = 256, 1024, 20
	dir := t.TempDir()
	data := make([]byte, n*blk)
	for i := range data {
		data[i] = byte(i*7 + 1)
	}
	p := filepath.Join(dir, "f")
	os.WriteFile(p, data, 0o644)
	f, err := uringfs.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cancelled, completed int
	for round := range rounds {
		ctx, cancel := context.WithCancel(bg)
		bufs := make([][]byte, n)
		hs := make([]*uringfs.Pending[int], n)
		b := uringfs.NewBatch()
		for i := range n {
			bufs[i] = bytes.Repeat([]byte{0xEE}, blk)
			if i%4 == 3 {
				// Writes put the same bytes back: the file never changes.
				copy(bufs[i], data[i*blk:])
				hs[i] = b.WriteAt(f, bufs[i], int64(i*blk))
			} else {
				hs[i] = b.ReadAt(f, bufs[i], int64(i*blk))
			}
		}
		b.Submit(ctx)
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				time.Sleep(time.Duration(rand.IntN(100)) * time.Microsecond)
				hs[rand.IntN(n)].Cancel()
			}()
		}
		if round%2 == 0 {
			time.Sleep(time.Duration(rand.IntN(300)) * time.Microsecond)
			cancel()
		}
		wg.Wait()
		b.Wait()
		cancel()
		snap := make([][]byte, n)
		for i, h := range hs {
			snap[i] = bytes.Clone(bufs[i])
			got, err := h.Wait()
			switch {
			case err == nil && got == blk:
				completed++
				if !bytes.Equal(bufs[i], data[i*blk:(i+1)*blk]) {
					t.Fatalf("round %d op %d: completed with wrong bytes", round, i)
				}
			case errors.Is(err, context.Canceled):
				cancelled++
				if got != 0 && i%4 == 3 {
					t.Fatalf("round %d op %d: cancelled write reports %d", round, i, got)
				}
			default:
				t.Fatalf("round %d op %d: %d, %v", round, i, got, err)
			}
		}
		time.Sleep(time.Millisecond)
		for i := range bufs {
			if !bytes.Equal(snap[i], bufs[i]) {
				t.Fatalf("round %d op %d: buffer written after Wait", round, i)
			}
		}
	}
	if b, _ := os.ReadFile(p); !bytes.Equal(b, data) {
		t.Error("file changed")
	}
	t.Logf("%d completed, %d cancelled", completed, cancelled)
}

// TestReadFiles compares ReadFiles with os.ReadFile over many files, a
// missing one, a directory and files of odd sizes.
func TestReadFiles(t *testing.T) {
	testkit.Deadline(t, hangDeadline)
	dir := t.TempDir()
	var names []string
	for i := range 400 {
		name := filepath.Join(dir, fmt.Sprintf("f%03d", i))
		os.WriteFile(name, bytes.Repeat([]byte{byte(i)}, i*37%5000), 0o644)
		names = append(names, name)
	}
	names = append(names, filepath.Join(dir, "missing"), dir, "/proc/self/stat", names[3])
	seen := make([]int, len(names))
	for fd, err := range uringfs.ReadFiles(bg, names) {
		seen[fd.Index]++
		if fd.Name != names[fd.Index] {
			t.Errorf("index %d: name %q", fd.Index, fd.Name)
		}
		want, werr := os.ReadFile(fd.Name)
		sameErr(t, "ReadFiles "+fd.Name, werr, err, dir)
		if fd.Name != "/proc/self/stat" && (!bytes.Equal(want, fd.Data) || (want == nil) != (fd.Data == nil)) {
			t.Errorf("%s: %d bytes, want %d", fd.Name, len(fd.Data), len(want))
		}
	}
	for i, c := range seen {
		if c != 1 {
			t.Errorf("%s yielded %d times", names[i], c)
		}
	}

	// Stopping early cancels and drains the rest (TestMain sees any
	// descriptor left open).
	k := 0
	for range uringfs.ReadFiles(bg, names) {
		if k++; k == 5 {
			break
		}
	}

	// A cancelled context: every name still gets its error.
	ctx, cancel := context.WithCancel(bg)
	cancel()
	k = 0
	for _, err := range uringfs.ReadFiles(ctx, names[:300]) {
		k++
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled ReadFiles: %v", err)
		}
	}
	if k != 300 {
		t.Errorf("cancelled ReadFiles yielded %d, want 300", k)
	}
}

// TestBatchWaitAnyOffRing covers a handle that completes off the ring
// while WaitAny may be asleep in the kernel waiting for the ring: a ReadAt
// that reaches end of file part way finishes on a goroutine, beside a
// ReadFile of a FIFO that stays in flight until a writer comes. WaitAny
// must return the ReadAt without waiting for the FIFO.
func TestBatchWaitAnyOffRing(t *testing.T) {
	testkit.Deadline(t, hangDeadline)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(dir, "short")
	content := bytes.Repeat([]byte("0123456789abcdef"), 256)
	if err := os.WriteFile(name, content, 0o600); err != nil {
		t.Fatal(err)
	}
	of, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer of.Close()
	wantBuf := make([]byte, 2*len(content))
	wantN, wantErr := of.ReadAt(wantBuf, 0)
	f, err := uringfs.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c0 := uringfs.LoopCounters()
	for i := range 50 {
		b := uringfs.NewBatch()
		rf := b.ReadFile(fifo)
		buf := make([]byte, 2*len(content))
		ra := b.ReadAt(f, buf, 0)
		if err := b.Submit(bg); err != nil {
			t.Fatal(err)
		}
		got := make(chan uringfs.Handle, 1)
		go func() { got <- b.WaitAny() }()
		select {
		case h := <-got:
			if h != uringfs.Handle(ra) {
				t.Fatalf("round %d: first handle is not the ReadAt", i)
			}
		case <-time.After(45 * time.Second):
			t.Fatalf("round %d: WaitAny still waiting 45s after the ReadAt", i)
		}
		n, err := ra.Wait()
		if n != wantN || !errors.Is(err, wantErr) || !bytes.Equal(buf, wantBuf) {
			t.Fatalf("round %d: ReadAt = %d, %v; os: %d, %v", i, n, err, wantN, wantErr)
		}
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		w.WriteString("x")
		w.Close()
		go func() { got <- b.WaitAny() }()
		select {
		case h := <-got:
			if h != uringfs.Handle(rf) {
				t.Fatalf("round %d: second handle is not the ReadFile", i)
			}
		case <-time.After(45 * time.Second):
			t.Fatalf("round %d: WaitAny hung after the FIFO was written", i)
		}
		if data, err := rf.Wait(); string(data) != "x" || err != nil {
			t.Fatalf("round %d: ReadFile of the FIFO: %q, %v", i, data, err)
		}
	}
	c := uringfs.LoopCounters()
	t.Logf("kernel waits %d, wakes %d", c.KernelWaits-c0.KernelWaits, c.Wakes-c0.Wakes)
}
