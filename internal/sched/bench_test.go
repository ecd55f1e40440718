//go:build linux

package sched_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/uringfs/uring/internal/sched"
)

// Benchmarks of 4 KiB random reads, os.File.ReadAt against the loop in the
// same run. Names end in the engine so benchstat lines them up:
// BenchmarkRandRead/hot/g=16/os versus .../uring. No assertions.

const (
	benchBlock   = 4096
	hotSize      = 16 << 20
	directSize   = 256 << 20
	benchDirName = "uring-sched-bench"
)

var (
	benchFilesMu sync.Mutex
	benchDir     string
)

// benchFile returns a file of size bytes in os.TempDir, made once per
// process and removed by TestMain.
func benchFile(b *testing.B, name string, size int) string {
	benchFilesMu.Lock()
	defer benchFilesMu.Unlock()
	if benchDir == "" {
		d, err := os.MkdirTemp(os.TempDir(), benchDirName)
		if err != nil {
			b.Fatal(err)
		}
		benchDir = d
	}
	p := filepath.Join(benchDir, name)
	if fi, err := os.Stat(p); err == nil && fi.Size() == int64(size) {
		return p
	}
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	chunk := pattern(1<<20, 1)
	for off := 0; off < size; off += len(chunk) {
		if _, err := f.Write(chunk); err != nil {
			b.Fatal(err)
		}
	}
	if err := f.Sync(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	return p
}

func removeBenchFiles() {
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
}

func osThreads() int {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "Threads:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return 0
}

// runReads spreads b.N random block reads over g goroutines, each with its
// own page-aligned buffer (O_DIRECT needs the alignment).
func runReads(b *testing.B, g int, size int, read func(buf []byte, off int64) error) {
	mem, err := unix.Mmap(-1, 0, g*benchBlock, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		b.Fatal(err)
	}
	defer unix.Munmap(mem)
	blocks := size / benchBlock
	var left atomic.Int64
	left.Store(int64(b.N))
	var failed atomic.Value
	threads := osThreads()
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for i := range g {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := mem[i*benchBlock : (i+1)*benchBlock]
			rng := rand.New(rand.NewPCG(uint64(i), 3))
			for left.Add(-1) >= 0 {
				if err := read(buf, int64(rng.IntN(blocks))*benchBlock); err != nil {
					failed.Store(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if err, ok := failed.Load().(error); ok {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "IOPS")
	b.ReportMetric(float64(osThreads()-threads), "threads-new")
}

func BenchmarkRandRead(b *testing.B) {
	for _, c := range []struct {
		kind string
		gs   []int
	}{{"hot", []int{1, 16}}, {"direct", []int{1, 32, 128}}} {
		b.Run(c.kind, func(b *testing.B) {
			size, flags := hotSize, 0
			if c.kind == "direct" {
				size, flags = directSize, unix.O_DIRECT
			}
			p := benchFile(b, c.kind, size)
			fd, err := unix.Open(p, unix.O_RDONLY|unix.O_CLOEXEC|flags, 0)
			if errors.Is(err, unix.EINVAL) {
				b.Skipf("O_DIRECT refused by the file system of %s: %v", os.TempDir(), err)
			}
			if err != nil {
				b.Fatal(err)
			}
			f := os.NewFile(uintptr(fd), p)
			defer f.Close()
			if c.kind == "hot" {
				os.ReadFile(p) // into the page cache
			}
			for _, g := range c.gs {
				b.Run(fmt.Sprintf("g=%d", g), func(b *testing.B) {
					b.Run("os", func(b *testing.B) {
						runReads(b, g, size, func(buf []byte, off int64) error {
							_, err := f.ReadAt(buf, off)
							return err
						})
					})
					b.Run("uring", func(b *testing.B) {
						l := newLoop(b, sched.BackendURing, sched.Config{})
						runReads(b, g, size, func(buf []byte, off int64) error {
							n, err := l.Pread(bg, fd, buf, off)
							if err == nil && n != len(buf) {
								err = fmt.Errorf("short read %d", n)
							}
							return err
						})
					})
					if c.kind == "hot" {
						// What uringfs does for buffered files: preadv2(RWF_NOWAIT)
						// first, the ring on a miss.
						b.Run("uring-nowait", func(b *testing.B) {
							l := newLoop(b, sched.BackendURing, sched.Config{})
							runReads(b, g, size, func(buf []byte, off int64) error {
								_, err := l.PreadCached(bg, fd, buf, off, nil)
								return err
							})
						})
						// With a CacheHint, as a File reads: plain pread once
						// the file's reads have all been hits.
						b.Run("uring-hint", func(b *testing.B) {
							l := newLoop(b, sched.BackendURing, sched.Config{})
							var h sched.CacheHint
							runReads(b, g, size, func(buf []byte, off int64) error {
								_, err := l.PreadCached(bg, fd, buf, off, &h)
								return err
							})
						})
					}
				})
			}
		})
	}
}
