//go:build linux

package uringfs_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uringfs/uring/internal/testkit"
	"github.com/uringfs/uring/uringfs"
)

// soakEnv sets the soak's length when run by hand, e.g. URINGFS_SOAK=60s.
// Without it the soak runs for soakShort, enough to catch a regression in
// CI on both backends under -race.
const (
	soakEnv   = "URINGFS_SOAK"
	soakShort = 3 * time.Second
)

// TestSoak runs 256 goroutines for a bounded time over 1,000 files: each
// turn opens a file, does a few reads (checked against a model of the
// file), writes (applied to the model), stats, reads at the file offset,
// reads and writes whose context is cancelled while they run, a Batch of
// reads with a linked open-read-close of the same file beside them, and
// linked open-write-close chains, then closes it. At the end every file's SHA-256 must equal its model's, and
// the process must hold no more goroutines or descriptors than before and
// about the same heap.
func TestSoak(t *testing.T) {
	d := soakShort
	if s := os.Getenv(soakEnv); s != "" {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			t.Fatalf("%s=%q: %v", soakEnv, s, err)
		}
	}
	testkit.Deadline(t, d+hangDeadline)
	const (
		workers  = 256
		files    = 1000
		initSize = 4096
		maxOff   = 3 * initSize // writes may grow a file up to here
	)
	dir := t.TempDir()
	type model struct {
		mu   sync.Mutex
		data []byte
	}
	models := make([]*model, files)
	for i := range models {
		data := relPattern(initSize, byte(i))
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprint(i)), data, 0o644); err != nil {
			t.Fatal(err)
		}
		models[i] = &model{data: data}
	}
	name := func(i int) string { return filepath.Join(dir, fmt.Sprint(i)) }

	gsBefore, fdsBefore, heapBefore := soakSample()

	var counts [10]atomic.Int64
	labels := [...]string{"open", "close", "readat", "writeat", "stat", "read", "cancelled read", "cancelled write",
		"batch read", "linked write"}
	var failed atomic.Bool
	fail := func(format string, args ...any) {
		failed.Store(true)
		t.Errorf(format, args...)
	}
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 0x50a4))
			buf := make([]byte, 2*initSize)
			for !failed.Load() && time.Now().Before(deadline) {
				i := rng.IntN(files)
				m := models[i]
				m.mu.Lock()
				f, err := uringfs.OpenFile(name(i), os.O_RDWR, 0)
				counts[0].Add(1)
				if err != nil {
					m.mu.Unlock()
					fail("open %d: %v", i, err)
					return
				}
				for k := rng.IntN(4) + 1; k > 0; k-- {
					off := rng.IntN(maxOff)
					n := rng.IntN(len(buf)) + 1
					switch op := rng.IntN(12); {
					case op < 3: // ReadAt, checked
						got, err := f.ReadAt(buf[:n], int64(off))
						counts[2].Add(1)
						want := soakSlice(m.data, off, n)
						if got != len(want) || !bytes.Equal(buf[:got], want) || (err != nil && (err != io.EOF || got == n)) || (got < n && err != io.EOF) {
							fail("file %d ReadAt(%d, %d) = %d, %v; model has %d bytes there (match %v)", i, n, off, got, err, len(want), bytes.Equal(buf[:got], want))
						}
					case op < 6: // WriteAt, applied to the model
						p := soakBytes(rng, n)
						if got, err := f.WriteAt(p, int64(off)); got != n || err != nil {
							fail("file %d WriteAt(%d, %d) = %d, %v", i, n, off, got, err)
						}
						counts[3].Add(1)
						m.data = soakApply(m.data, p, off)
					case op < 7:
						fi, err := f.Stat()
						counts[4].Add(1)
						if err != nil || fi.Size() != int64(len(m.data)) {
							fail("file %d Stat = %v, %v; model size %d", i, fi, err, len(m.data))
						}
					case op < 8: // Read from the offset, which starts at 0
						got, err := f.Read(buf[:n])
						counts[5].Add(1)
						if err != nil || got > len(m.data) || !bytes.Equal(buf[:got], m.data[:got]) {
							fail("file %d Read = %d, %v", i, got, err)
						}
						f.Seek(0, io.SeekStart)
					case op < 9: // ReadAt cancelled in flight: whatever it returns is right
						ctx, cancel := context.WithCancel(context.Background())
						go cancel()
						got, err := f.ReadAtContext(ctx, buf[:n], int64(off))
						cancel()
						counts[6].Add(1)
						want := soakSlice(m.data, off, n)
						if got > len(want) || !bytes.Equal(buf[:got], want[:got]) {
							fail("file %d cancelled ReadAt(%d, %d) = %d, %v: wrong bytes", i, n, off, got, err)
						}
						if err != nil && err != io.EOF && !errors.Is(err, context.Canceled) {
							fail("file %d cancelled ReadAt = %v", i, err)
						}
					case op < 10: // WriteAt cancelled in flight: each byte is old or new, nothing beyond
						ctx, cancel := context.WithCancel(context.Background())
						p := soakBytes(rng, n)
						go cancel()
						_, err := f.WriteAtContext(ctx, p, int64(off))
						cancel()
						counts[7].Add(1)
						if err != nil && !errors.Is(err, context.Canceled) {
							fail("file %d cancelled WriteAt = %v", i, err)
						}
						disk, rerr := os.ReadFile(name(i))
						if rerr != nil {
							fail("%v", rerr)
							break
						}
						if msg := soakCheckPartial(m.data, disk, p, off); msg != "" {
							fail("file %d cancelled WriteAt(%d, %d): %s", i, n, off, msg)
						}
						m.data = disk
					case op < 11: // a Batch of ReadAts, and a linked open, ReadAt, close of the same file
						b := uringfs.NewBatch()
						type want struct {
							h   *uringfs.Pending[int]
							buf []byte
							off int
						}
						var reads []want
						for j := rng.IntN(4) + 1; j > 0; j-- {
							w := want{buf: make([]byte, rng.IntN(initSize)+1), off: rng.IntN(maxOff)}
							w.h = b.ReadAt(f, w.buf, int64(w.off))
							reads = append(reads, w)
						}
						lf := b.Chain().OpenLinked(name(i), os.O_RDONLY, 0)
						lw := want{buf: make([]byte, rng.IntN(initSize)+1), off: rng.IntN(maxOff)}
						lw.h = lf.ReadAt(lw.buf, int64(lw.off))
						lf.Close()
						reads = append(reads, lw)
						if err := b.Submit(context.Background()); err != nil {
							fail("file %d batch Submit: %v", i, err)
						}
						for h := b.WaitAny(); h != nil; h = b.WaitAny() {
						}
						for _, w := range reads {
							got, err := w.h.Wait()
							exp := soakSlice(m.data, w.off, len(w.buf))
							if got != len(exp) || !bytes.Equal(w.buf[:got], exp) || (got < len(w.buf)) != (err == io.EOF) || (err != nil && err != io.EOF) {
								fail("file %d batch ReadAt(%d, %d) = %d, %v; model has %d bytes there", i, len(w.buf), w.off, got, err, len(exp))
							}
						}
						counts[8].Add(1)
					default: // a linked open, WriteAt, close
						p := soakBytes(rng, n)
						b := uringfs.NewBatch()
						lf := b.Chain().OpenLinked(name(i), os.O_WRONLY, 0)
						w := lf.WriteAt(p, int64(off))
						lf.Close()
						b.Submit(context.Background())
						if err := b.Wait(); err != nil {
							fail("file %d linked WriteAt(%d, %d): %v", i, n, off, err)
							break
						}
						if got, _ := w.Wait(); got != n {
							fail("file %d linked WriteAt(%d, %d) = %d", i, n, off, got)
						}
						counts[9].Add(1)
						m.data = soakApply(m.data, p, off)
					}
				}
				if err := f.Close(); err != nil {
					fail("close %d: %v", i, err)
				}
				counts[1].Add(1)
				m.mu.Unlock()
			}
		}()
	}
	wg.Wait()

	var total int64
	var report bytes.Buffer
	for k, l := range labels {
		fmt.Fprintf(&report, " %s %d", l, counts[k].Load())
		total += counts[k].Load()
	}
	t.Logf("soak %v, %d goroutines, %d files: %d ops (%s)", d, workers, files, total, report.String()[1:])
	if failed.Load() {
		return
	}
	for i, m := range models {
		disk, err := os.ReadFile(name(i))
		if err != nil {
			t.Fatal(err)
		}
		if sha256.Sum256(disk) != sha256.Sum256(m.data) {
			t.Errorf("file %d: checksum differs from the model (%d bytes on disk, %d in the model)", i, len(disk), len(m.data))
		}
	}
	models = nil
	gsAfter, fdsAfter, heapAfter := soakSample()
	t.Logf("goroutines %d -> %d, fds %d -> %d, heap in use %d KiB -> %d KiB", gsBefore, gsAfter, fdsBefore, fdsAfter, heapBefore>>10, heapAfter>>10)
	if gsAfter > gsBefore {
		t.Errorf("goroutines grew from %d to %d", gsBefore, gsAfter)
	}
	if fdsAfter > fdsBefore {
		t.Errorf("open descriptors grew from %d to %d", fdsBefore, fdsAfter)
	}
	// Generous: the pools of ops and buffers may keep a few MiB.
	if heapAfter > 2*heapBefore+64<<20 {
		t.Errorf("heap in use grew from %d KiB to %d KiB", heapBefore>>10, heapAfter>>10)
	}
}

// soakSample counts goroutines and descriptors once the ones on their way
// out are gone, and measures the heap after a collection.
func soakSample() (gs, fds int, heap uint64) {
	for i := 0; i < 50; i++ {
		runtime.GC()
		gs, fds = runtime.NumGoroutine(), len(openFds())
		time.Sleep(10 * time.Millisecond)
		if gs2, fds2 := runtime.NumGoroutine(), len(openFds()); gs2 == gs && fds2 == fds {
			break
		}
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return gs, fds, ms.HeapInuse
}

func soakSlice(data []byte, off, n int) []byte {
	if off >= len(data) {
		return nil
	}
	return data[off:min(off+n, len(data))]
}

func soakBytes(rng *rand.Rand, n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(rng.Uint32())
	}
	return p
}

func soakApply(data, p []byte, off int) []byte {
	if end := off + len(p); end > len(data) {
		data = append(data, make([]byte, end-len(data))...)
	}
	copy(data[off:], p)
	return data
}

// soakCheckPartial checks a file after a write of p at off that may have
// been cut short anywhere: outside the range nothing changed, inside it each
// byte is the old or the new one, and the file grew at most to off+len(p).
func soakCheckPartial(old, disk, p []byte, off int) string {
	if len(disk) < len(old) || len(disk) > max(len(old), off+len(p)) {
		return fmt.Sprintf("size %d, was %d", len(disk), len(old))
	}
	for i, c := range disk {
		var was byte
		if i < len(old) {
			was = old[i]
		}
		if i >= off && i < off+len(p) {
			if c != was && c != p[i-off] {
				return fmt.Sprintf("byte %d is %#x, neither old %#x nor new %#x", i, c, was, p[i-off])
			}
		} else if c != was {
			return fmt.Sprintf("byte %d outside the write changed from %#x to %#x", i, was, c)
		}
	}
	return ""
}
