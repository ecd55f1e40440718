//go:build linux

package uringfs_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/uringfs/uring/internal/sched"
	"github.com/uringfs/uring/internal/testkit"
	"github.com/uringfs/uring/uringfs"
)

// TestConcurrentReadWriteAt has many goroutines write and read back distinct
// regions of one file at once; every byte must end where it was written.
func TestConcurrentReadWriteAt(t *testing.T) {
	testkit.Deadline(t, hangDeadline)
	const (
		workers = 32
		region  = 3000 // not a multiple of the page size on purpose
		rounds  = 20
	)
	p := filepath.Join(t.TempDir(), "f")
	f, err := uringfs.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			off := int64(w * region)
			want := make([]byte, region)
			got := make([]byte, region)
			for r := 0; r < rounds; r++ {
				for i := range want {
					want[i] = byte(w*7 + r + i)
				}
				if n, err := f.WriteAt(want, off); n != region || err != nil {
					errs <- fmt.Errorf("worker %d: WriteAt = %d, %v", w, n, err)
					return
				}
				if n, err := f.ReadAt(got, off); n != region || (err != nil && err != io.EOF) {
					errs <- fmt.Errorf("worker %d: ReadAt = %d, %v", w, n, err)
					return
				}
				if !bytes.Equal(got, want) {
					errs <- fmt.Errorf("worker %d round %d: read back other bytes than written", w, r)
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
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) != workers*region {
		t.Fatalf("file is %d bytes, want %d", len(data), workers*region)
	}
	for w := 0; w < workers; w++ {
		for i := 0; i < region; i++ {
			if want := byte(w*7 + rounds - 1 + i); data[w*region+i] != want {
				t.Fatalf("byte %d of region %d is %d, want %d", i, w, data[w*region+i], want)
			}
		}
	}
}

// TestConcurrentReadWriteSeek mixes Write, Read and Seek on one File. Each
// Write is one call moving the shared offset, so whatever the interleaving
// every chunk must land whole and none twice.
func TestConcurrentReadWriteSeek(t *testing.T) {
	testkit.Deadline(t, hangDeadline)
	const (
		writers = 8
		chunks  = 50
		chunk   = 100
	)
	p := filepath.Join(t.TempDir(), "f")
	f, err := uringfs.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := bytes.Repeat([]byte{byte('A' + w)}, chunk)
			for i := 0; i < chunks; i++ {
				if n, err := f.Write(b); n != chunk || err != nil {
					t.Errorf("Write = %d, %v", n, err)
					return
				}
			}
		}()
	}
	// Readers and seekers on the same File meanwhile: they must not corrupt
	// what is written (with O_APPEND writes ignore the offset they move).
	stop := make(chan struct{})
	var rg sync.WaitGroup
	for r := 0; r < 4; r++ {
		rg.Add(1)
		go func() {
			defer rg.Done()
			buf := make([]byte, 333)
			for {
				select {
				case <-stop:
					return
				default:
				}
				if r%2 == 0 {
					f.Seek(0, io.SeekStart)
				}
				if _, err := f.Read(buf); err != nil && err != io.EOF {
					t.Errorf("Read: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	rg.Wait()
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) != writers*chunks*chunk {
		t.Fatalf("file is %d bytes, want %d", len(data), writers*chunks*chunk)
	}
	count := map[byte]int{}
	for i := 0; i < len(data); i += chunk {
		c := data[i : i+chunk]
		if !bytes.Equal(c, bytes.Repeat(c[:1], chunk)) {
			t.Fatalf("chunk at %d is torn: %q", i, c)
		}
		count[c[0]]++
	}
	for w := 0; w < writers; w++ {
		if count[byte('A'+w)] != chunks {
			t.Errorf("writer %c has %d chunks in the file, want %d", 'A'+w, count[byte('A'+w)], chunks)
		}
	}
}

// TestCloseRacesIO closes files while goroutines are in the middle of ReadAt
// and WriteAt on them and other goroutines open new files, which reuse the
// freed descriptor numbers. No byte may land in another file, and every call
// made after Close returned must fail with an error wrapping os.ErrClosed.
func TestCloseRacesIO(t *testing.T) {
	testkit.Deadline(t, hangDeadline)
	const (
		rounds   = 150
		ioers    = 4
		openers  = 3
		fileSize = 8192
	)
	dir := t.TempDir()
	var name atomic.Int32
	// Every file gets its own byte value, written everywhere in it.
	newFile := func() (*uringfs.File, byte, string) {
		id := name.Add(1)
		pat := byte(id%250 + 1)
		p := filepath.Join(dir, fmt.Sprintf("f%04d-%d", id, pat))
		f, err := uringfs.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteAt(bytes.Repeat([]byte{pat}, fileSize), 0); err != nil {
			t.Fatal(err)
		}
		return f, pat, p
	}
	for r := 0; r < rounds; r++ {
		f, pat, _ := newFile()
		var closed atomic.Bool
		var wg sync.WaitGroup
		for i := 0; i < ioers; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				buf := make([]byte, 512)
				wbuf := bytes.Repeat([]byte{pat}, 512)
				for k := 0; ; k++ {
					after := closed.Load()
					off := int64(k*512) % fileSize
					var err error
					if k%2 == 0 {
						_, err = f.WriteAt(wbuf, off)
					} else {
						var n int
						n, err = f.ReadAt(buf, off)
						if err == nil && !bytes.Equal(buf[:n], wbuf[:n]) {
							t.Errorf("ReadAt read bytes of another file")
						}
					}
					if err != nil {
						if !errors.Is(err, os.ErrClosed) {
							t.Errorf("I/O racing with Close failed with %v, want an error wrapping os.ErrClosed", err)
						}
						return
					}
					if after {
						t.Errorf("I/O started after Close returned succeeded")
						return
					}
				}
			}()
		}
		var og sync.WaitGroup
		for i := 0; i < openers; i++ {
			og.Add(1)
			go func() {
				defer og.Done()
				g, gpat, _ := newFile()
				g.WriteAt(bytes.Repeat([]byte{gpat}, 100), fileSize/2)
				if err := g.Close(); err != nil {
					t.Error(err)
				}
			}()
		}
		if err := f.Close(); err != nil {
			t.Errorf("Close = %v", err)
		}
		closed.Store(true)
		wg.Wait()
		og.Wait()
		if t.Failed() {
			break
		}
	}
	// Every file holds its own byte and nothing else.
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		var id, pat int
		if _, err := fmt.Sscanf(e.Name(), "f%d-%d", &id, &pat); err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if len(data) != fileSize {
			t.Errorf("%s is %d bytes, want %d", e.Name(), len(data), fileSize)
		}
		for i, c := range data {
			if c != byte(pat) {
				t.Errorf("%s has byte %d at %d: another file's write landed in it", e.Name(), c, i)
				break
			}
		}
	}
}

// TestConcurrentReadDirSeek reads a directory from several goroutines while
// another rewinds it: no crash, no race, no entry outside the directory.
func TestConcurrentReadDirSeek(t *testing.T) {
	testkit.Deadline(t, hangDeadline)
	dir := t.TempDir()
	want := map[string]bool{}
	for i := 0; i < 100; i++ {
		n := fmt.Sprintf("e%03d", i)
		want[n] = true
		mustWrite(t, dir, n, nil)
	}
	f, err := uringfs.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				if g == 0 {
					if _, err := f.Seek(0, io.SeekStart); err != nil {
						t.Errorf("Seek: %v", err)
					}
					continue
				}
				names, err := f.Readdirnames(7)
				if err != nil && err != io.EOF {
					t.Errorf("Readdirnames: %v", err)
				}
				for _, n := range names {
					if !want[n] {
						t.Errorf("Readdirnames returned %q", n)
					}
				}
			}
		}()
	}
	wg.Wait()
}

// TestCloseWaitsForInflightRead closes a FIFO while a Read on it is waiting
// for data, against os and against ours. As with os, Close must not return
// before the Read has let go of the descriptor: the Read returns an error
// wrapping os.ErrClosed without data, and the FIFO then has no reader, so a
// write to it fails with EPIPE instead of feeding a read that outlived Close.
// For ours it also checks, from the inside, that no operation still holds the
// descriptor when Close returns: a Close that only cancels and does not wait
// passes the outside checks most of the time.
func TestCloseWaitsForInflightRead(t *testing.T) {
	testkit.Deadline(t, hangDeadline)
	type reader interface {
		Read([]byte) (int, error)
		Close() error
	}
	opens := []struct {
		name string
		open func(string) (reader, error)
	}{
		{"os", func(p string) (reader, error) { return os.OpenFile(p, os.O_RDWR, 0) }},
		{"uringfs", func(p string) (reader, error) { return uringfs.OpenFile(p, os.O_RDWR, 0) }},
	}
	for _, o := range opens {
		t.Run(o.name, func(t *testing.T) {
			for round := 0; round < 20; round++ {
				p := filepath.Join(t.TempDir(), "fifo")
				if err := syscall.Mkfifo(p, 0o600); err != nil {
					t.Fatal(err)
				}
				// O_RDWR opens without waiting for a peer; the writer below is a
				// second descriptor, so the reader's Close leaves no reader.
				r, err := o.open(p)
				if err != nil {
					t.Fatal(err)
				}
				w, err := os.OpenFile(p, os.O_WRONLY|syscall.O_NONBLOCK, 0)
				if err != nil {
					t.Fatal(err)
				}
				got := make(chan string, 4)
				errc := make(chan error, 1)
				go func() {
					buf := make([]byte, 8)
					for {
						n, err := r.Read(buf)
						if err != nil {
							errc <- err
							return
						}
						got <- string(buf[:n])
					}
				}()
				// The first byte proves the reader runs; its next Read is then
				// in flight, or about to be, when Close comes.
				if _, err := w.Write([]byte("a")); err != nil {
					t.Fatal(err)
				}
				if s := <-got; s != "a" {
					t.Fatalf("first read = %q, want \"a\"", s)
				}
				uf, _ := r.(*uringfs.File)
				if uf != nil {
					// The next Read holds the descriptor from its start.
					for deadline := time.Now().Add(10 * time.Second); uringfs.FileRefs(uf) == 0; {
						if time.Now().After(deadline) {
							t.Fatal("the reader's second Read never started")
						}
						time.Sleep(100 * time.Microsecond)
					}
				} else {
					time.Sleep(time.Millisecond)
				}
				if err := r.Close(); err != nil {
					t.Fatalf("Close = %v", err)
				}
				if uf != nil {
					if n := uringfs.FileRefs(uf); n != 0 {
						t.Errorf("Close returned while %d operations still held the descriptor", n)
					}
				}
				select {
				case err := <-errc:
					if !errors.Is(err, os.ErrClosed) {
						t.Errorf("Read in flight at Close returned %v, want an error wrapping os.ErrClosed", err)
					}
				case s := <-got:
					t.Errorf("Read in flight at Close returned data %q", s)
				case <-time.After(10 * time.Second):
					t.Fatal("Read in flight at Close still running 10s after Close returned")
				}
				if _, err := w.Write([]byte("b")); !errors.Is(err, syscall.EPIPE) {
					t.Errorf("write after the reader's Close = %v, want EPIPE: the FIFO still has a reader", err)
				}
				w.Close()
				if t.Failed() {
					return
				}
			}
		})
	}
}

// TestCloseCatchesReadReachingRingAfterCancel holds a FIFO Read between its
// page-cache miss and the ring until Close has sent its cancel, so that the
// read reaches the ring after it: Close must still cancel it and return, as
// os's Close does, instead of waiting for good behind a read that the one
// cancel missed.
func TestCloseCatchesReadReachingRingAfterCancel(t *testing.T) {
	testkit.Deadline(t, hangDeadline)
	if b, _ := uringfs.Backend(); b != "uring" {
		t.Skip("the window between the page-cache try and the ring exists on the io_uring backend only")
	}
	p := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := uringfs.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	fd := int(r.Fd())
	atRing := make(chan struct{})
	var once sync.Once
	restore := sched.HookPreadMiss(func(missFd int) {
		if missFd != fd {
			return
		}
		once.Do(func() {
			cancels := uringfs.LoopCounters().Cancels
			close(atRing)
			// Hold the read until Close has asked the kernel to cancel
			// what is on the descriptor.
			for deadline := time.Now().Add(10 * time.Second); uringfs.LoopCounters().Cancels == cancels; {
				if time.Now().After(deadline) {
					t.Error("Close sent no cancel")
					return
				}
				time.Sleep(100 * time.Microsecond)
			}
		})
	})
	defer restore()
	errc := make(chan error, 1)
	go func() {
		_, err := r.Read(make([]byte, 8))
		errc <- err
	}()
	<-atRing
	closeWithin(t, r, 10*time.Second, "the read that reached the ring after its cancel was never cancelled")
	if err := <-errc; !errors.Is(err, os.ErrClosed) {
		t.Errorf("Read racing with Close = %v, want an error wrapping os.ErrClosed", err)
	}
}

// closeWithin closes c and fails the test if Close reports an error, or
// fatally if it has not returned after d (why says what that means).
func closeWithin(t *testing.T, c io.Closer, d time.Duration, why string) {
	t.Helper()
	closed := make(chan error, 1)
	go func() { closed <- c.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("Close = %v", err)
		}
	case <-time.After(d):
		t.Fatalf("Close still waiting after %v: %s", d, why)
	}
}
