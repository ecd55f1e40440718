//go:build linux

package uringfs_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/uringfs/uring/uringfs"
)

// The benchmarks of the async face put one goroutine with many operations
// in flight against os with one goroutine per operation in flight, in the
// same run. Run them with -count to alternate the engines; noise on a small
// VM is about ±15%.

const (
	directFileSize = 256 << 20
	directBlock    = 4096
	asyncDepth     = 64
)

// alignedBlocks returns n blocks of size bytes, each aligned for O_DIRECT.
func alignedBlocks(n, size int) [][]byte {
	raw := make([]byte, (n+1)*size)
	skip := 0
	if r := int(uintptr(unsafe.Pointer(&raw[0])) % uintptr(size)); r != 0 {
		skip = size - r
	}
	bufs := make([][]byte, n)
	for i := range bufs {
		bufs[i] = raw[skip+i*size : skip+(i+1)*size : skip+(i+1)*size]
	}
	return bufs
}

// directFile makes a file for O_DIRECT reads, or skips when the temporary
// file system refuses O_DIRECT.
func directFile(b *testing.B) string {
	dir := b.TempDir()
	name := filepath.Join(dir, "direct")
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|syscall.O_DIRECT, 0o644)
	if err != nil {
		b.Skipf("O_DIRECT refused by the temporary file system: %v", err)
	}
	chunk := alignedBlocks(1, 1<<20)[0]
	for i := range chunk {
		chunk[i] = byte(i)
	}
	for off := 0; off < directFileSize; off += len(chunk) {
		if _, err := f.Write(chunk); err != nil {
			b.Fatal(err)
		}
	}
	f.Close()
	return name
}

// randOff is a cheap per-caller random block offset (xorshift).
func randOff(state *uint64) int64 {
	x := *state
	x ^= x << 13
	x ^= x >> 7
	x ^= x << 17
	*state = x
	return int64(x%(directFileSize/directBlock)) * directBlock
}

// BenchmarkAsyncRandReadDirect: 4 KiB O_DIRECT random reads, 64 in
// flight, from one goroutine with a Batch used as a completion queue, and
// from 64 goroutines calling os.File.ReadAt.
func BenchmarkAsyncRandReadDirect(b *testing.B) {
	name := directFile(b)
	// The modes differ in how many refills gather before a Submit: at most
	// 8, all the completions already there (up to 64), or none (each refill
	// goes out at once, as with 64 goroutines). With the batch waiting in
	// io_uring_enter (sched.Loop.Await) the three run within a few percent
	// of each other; before it, 8 was best. The last mode spreads the 64
	// reads over 4 goroutines with a batch of 16 each, which share the rings.
	for _, mode := range []struct {
		name       string
		goroutines int
		gather     int // refills gathered before a Submit, at most
	}{{"1goroutine-qd64", 1, 8}, {"1goroutine-qd64-batch64", 1, asyncDepth}, {"1goroutine-qd64-eager", 1, 1}, {"4goroutines-qd16", 4, 8}} {
		b.Run("uringfs-"+mode.name, func(b *testing.B) {
			f, err := uringfs.OpenFile(name, os.O_RDONLY|syscall.O_DIRECT, 0)
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			b.ResetTimer()
			c0 := uringfs.LoopCounters()
			t0 := time.Now()
			var wg sync.WaitGroup
			for g := range mode.goroutines {
				n := b.N / mode.goroutines
				if g == 0 {
					n += b.N % mode.goroutines
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					if err := asyncReads(f, n, asyncDepth/mode.goroutines, mode.gather); err != nil {
						b.Error(err)
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/time.Since(t0).Seconds(), "IOPS")
			reportLoop(b, c0)
		})
	}
	// 64 goroutines, each with one read in flight through the async face:
	// the company that a waiter asleep in the kernel would hold back.
	b.Run("uringfs-64goroutines-ReadAtAsync-Wait", func(b *testing.B) {
		f, err := uringfs.OpenFile(name, os.O_RDONLY|syscall.O_DIRECT, 0)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		c0 := uringfs.LoopCounters()
		readers64(b, func(buf []byte, off int64) error {
			_, err := f.ReadAtAsync(bg, buf, off).Wait()
			return err
		})
		reportLoop(b, c0)
	})
	b.Run("os-64goroutines", func(b *testing.B) {
		f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_DIRECT, 0)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		readers64(b, func(buf []byte, off int64) error {
			_, err := f.ReadAt(buf, off)
			return err
		})
	})
}

// readers64 makes b.N random block reads with read from 64 goroutines,
// each with a buffer of its own, and reports IOPS.
func readers64(b *testing.B, read func(buf []byte, off int64) error) {
	bufs := alignedBlocks(asyncDepth, directBlock)
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	t0 := time.Now()
	for g := range asyncDepth {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := uint64(g+1) * 0x9E3779B97F4A7C15
			for next.Add(1) <= int64(b.N) {
				if err := read(bufs[g], randOff(&rng)); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(t0).Seconds(), "IOPS")
}

// asyncReads makes n random O_DIRECT reads of f, keeping depth in flight
// with one Batch: it refills for every completion and submits the refills
// once gather of them wait or nothing has completed.
func asyncReads(f *uringfs.File, n, depth, gather int) error {
	bufs := alignedBlocks(depth, directBlock)
	slot := make(map[uringfs.Handle]int, depth)
	batch := uringfs.NewBatch()
	rng := uint64(time.Now().UnixNano()) | 1
	started := 0
	start := func(i int) {
		slot[batch.ReadAt(f, bufs[i], randOff(&rng))] = i
		started++
	}
	for i := 0; i < depth && started < n; i++ {
		start(i)
	}
	for {
		var h uringfs.Handle
		if batch.Len() < gather {
			h = batch.Poll()
		}
		if h == nil {
			batch.Submit(bg)
			if h = batch.WaitAny(); h == nil {
				return nil
			}
		}
		i := slot[h]
		delete(slot, h)
		if err := h.Err(); err != nil {
			batch.Cancel()
			batch.Wait()
			return err
		}
		if started < n {
			start(i)
		}
	}
}

// smallFiles makes 10,000 files of 4 KiB in a directory removed when b
// ends.
func smallFiles(b *testing.B) []string {
	dir := b.TempDir()
	data := make([]byte, 4096)
	names := make([]string, 0, 10000)
	for i := range 10000 {
		name := filepath.Join(dir, fmt.Sprintf("%05d", i))
		data[0] = byte(i)
		if err := os.WriteFile(name, data, 0o644); err != nil {
			b.Fatal(err)
		}
		names = append(names, name)
	}
	return names
}

// reportLoop adds the loop's SQEs per io_uring_enter, worker wake-ups
// per op and waits inside io_uring_enter per op since c0.
func reportLoop(b *testing.B, c0 uringfs.Counters) {
	c := uringfs.LoopCounters()
	if enters := c.Enters - c0.Enters; enters > 0 {
		b.ReportMetric(float64(c.SQEs-c0.SQEs)/float64(enters), "SQEs/enter")
	}
	b.ReportMetric(float64(c.Wakeups-c0.Wakeups)/float64(b.N), "wakeups/op")
	b.ReportMetric(float64(c.KernelWaits-c0.KernelWaits)/float64(b.N), "kwaits/op")
}

// BenchmarkReadFiles: 10,000 files of 4 KiB (page cache hot after the
// first round) read by ReadFiles from one goroutine and by os.ReadFile
// from 64 goroutines. One op is one file.
func BenchmarkReadFiles(b *testing.B) {
	names := smallFiles(b)
	b.Run("uringfs-ReadFiles-1goroutine", func(b *testing.B) {
		b.SetBytes(4096)
		c0 := uringfs.LoopCounters()
		t0 := time.Now()
		done := 0
		for done < b.N {
			batch := names[:min(len(names), b.N-done)]
			for _, err := range uringfs.ReadFiles(bg, batch) {
				if err != nil {
					b.Fatal(err)
				}
			}
			done += len(batch)
		}
		b.ReportMetric(float64(b.N)/time.Since(t0).Seconds(), "files/s")
		reportLoop(b, c0)
	})
	b.Run("os-ReadFile-64goroutines", func(b *testing.B) {
		files64(b, names, func(name string, _ []byte) error {
			_, err := os.ReadFile(name)
			return err
		})
	})
}

// files64 runs fn on b.N of names (round and round) from 64 goroutines,
// each with a 4 KiB buffer of its own, and reports files/s.
func files64(b *testing.B, names []string, fn func(name string, buf []byte) error) {
	b.SetBytes(4096)
	var next atomic.Int64
	var wg sync.WaitGroup
	t0 := time.Now()
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 4096)
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				if err := fn(names[i%int64(len(names))], buf); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(t0).Seconds(), "files/s")
}

// BenchmarkLinkedRead: the first 4 KiB of each of 10,000 cached files,
// through a chain per file (OpenLinked, ReadAt, Close) with 32 chains per
// Batch from one goroutine per P (as ReadFiles runs one driver per P), and
// through os.Open, ReadAt, Close from 64 goroutines. One op is one file.
func BenchmarkLinkedRead(b *testing.B) {
	names := smallFiles(b)
	const perBatch = 32
	b.Run("uringfs-chains-GOMAXPROCS-goroutines", func(b *testing.B) {
		b.SetBytes(4096)
		c0 := uringfs.LoopCounters()
		t0 := time.Now()
		var next atomic.Int64
		var wg sync.WaitGroup
		for range runtime.GOMAXPROCS(0) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				bufs := make([][]byte, perBatch)
				for i := range bufs {
					bufs[i] = make([]byte, 4096)
				}
				for {
					first := int(next.Add(perBatch)) - perBatch
					if first >= b.N {
						return
					}
					batch := uringfs.NewBatch()
					for j := range min(perBatch, b.N-first) {
						lf := batch.Chain().OpenLinked(names[(first+j)%len(names)], os.O_RDONLY, 0)
						lf.ReadAt(bufs[j], 0)
						lf.Close()
					}
					batch.Submit(bg)
					if err := batch.Wait(); err != nil {
						b.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		b.ReportMetric(float64(b.N)/time.Since(t0).Seconds(), "files/s")
		reportLoop(b, c0)
	})
	b.Run("os-Open-ReadAt-Close-64goroutines", func(b *testing.B) {
		files64(b, names, func(name string, buf []byte) error {
			f, err := os.Open(name)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = f.ReadAt(buf, 0)
			return err
		})
	})
}
