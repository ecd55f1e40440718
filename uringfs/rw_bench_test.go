//go:build linux

package uringfs_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/uringfs/uring/uringfs"
)

// randomAccess is what the ReadAt and WriteAt benchmarks need of a file.
type randomAccess interface {
	ReadAt([]byte, int64) (int, error)
	WriteAt([]byte, int64) (int, error)
	Close() error
}

// openBoth opens name with flag through os and through uringfs.
func openBoth(b *testing.B, name string, flag int) map[string]randomAccess {
	of, err := os.OpenFile(name, flag, 0)
	if err != nil {
		b.Fatal(err)
	}
	uf, err := uringfs.OpenFile(name, flag, 0)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { of.Close(); uf.Close() })
	return map[string]randomAccess{"os": of, "uringfs": uf}
}

// runRandom runs op at random 4 KiB offsets from g goroutines (b.N ops in
// all), each with its own aligned buffer.
func runRandom(b *testing.B, g int, op func(buf []byte, off int64) error) {
	b.SetBytes(directBlock)
	var seed atomic.Uint64
	b.SetParallelism(max(1, g/max(1, runtimeProcs())))
	b.RunParallel(func(pb *testing.PB) {
		buf := alignedBlocks(1, directBlock)[0]
		state := seed.Add(0x9e3779b97f4a7c15) | 1
		for pb.Next() {
			if err := op(buf, randOff(&state)); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkReadAt compares File.ReadAt with os.File.ReadAt: 4 KiB random
// reads of a 256 MiB file, from the page cache (hot) and with O_DIRECT
// (direct), by 1 and 32 goroutines. For benchstat, run with -count and
// compare the os and uringfs lines of the same case.
//
//	go test -run - -bench 'ReadAt|WriteAt' -count 5 ./uringfs
func BenchmarkReadAt(b *testing.B) {
	name := directFile(b)
	hot := filepath.Join(filepath.Dir(name), "hot")
	data, err := os.ReadFile(name)
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(hot, data, 0o644); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		mode, path string
		flag       int
	}{{"hot", hot, os.O_RDONLY}, {"direct", name, os.O_RDONLY | syscall.O_DIRECT}} {
		files := openBoth(b, c.path, c.flag)
		for _, g := range []int{1, 32} {
			for _, engine := range []string{"os", "uringfs"} {
				f := files[engine]
				b.Run(fmt.Sprintf("%s/g=%d/%s", c.mode, g, engine), func(b *testing.B) {
					runRandom(b, g, func(buf []byte, off int64) error {
						_, err := f.ReadAt(buf, off)
						return err
					})
				})
			}
		}
	}
}

// BenchmarkWriteAt is BenchmarkReadAt for 4 KiB random writes: buffered
// (into the page cache) and O_DIRECT.
func BenchmarkWriteAt(b *testing.B) {
	name := directFile(b)
	for _, c := range []struct {
		mode string
		flag int
	}{{"buffered", os.O_RDWR}, {"direct", os.O_RDWR | syscall.O_DIRECT}} {
		files := openBoth(b, name, c.flag)
		for _, g := range []int{1, 32} {
			for _, engine := range []string{"os", "uringfs"} {
				f := files[engine]
				b.Run(fmt.Sprintf("%s/g=%d/%s", c.mode, g, engine), func(b *testing.B) {
					runRandom(b, g, func(buf []byte, off int64) error {
						_, err := f.WriteAt(buf, off)
						return err
					})
				})
			}
		}
	}
}

func runtimeProcs() int { return runtime.GOMAXPROCS(0) }
