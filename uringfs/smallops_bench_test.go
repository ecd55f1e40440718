//go:build linux

package uringfs_test

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/uringfs/uring/uringfs"
)

// smallOpsAPI is what BenchmarkSmallOps needs of os and of uringfs.
type smallOpsAPI struct {
	name         string
	stat, lstat  func(string) (fs.FileInfo, error)
	open         func(string) (smallOpsFile, error)
	dirFS        func(string) fs.FS
	openReadAtFn func(string) (io.ReaderAt, func() error, error)
}

type smallOpsFile interface {
	io.ReadCloser
	Readdirnames(int) ([]string, error)
}

var smallOpsAPIs = []smallOpsAPI{
	{
		name: "os", stat: os.Stat, lstat: os.Lstat,
		open:  func(n string) (smallOpsFile, error) { return os.Open(n) },
		dirFS: os.DirFS,
		openReadAtFn: func(n string) (io.ReaderAt, func() error, error) {
			f, err := os.Open(n)
			if err != nil {
				return nil, nil, err
			}
			return f, f.Close, nil
		},
	},
	{
		name: "uring", stat: uringfs.Stat, lstat: uringfs.Lstat,
		open: func(n string) (smallOpsFile, error) {
			f, err := uringfs.Open(n)
			if err != nil {
				return nil, err // a nil interface, not a nil *File in one
			}
			return f, nil
		},
		dirFS: uringfs.DirFS,
		openReadAtFn: func(n string) (io.ReaderAt, func() error, error) {
			f, err := uringfs.Open(n)
			if err != nil {
				return nil, nil, err
			}
			return f, f.Close, nil
		},
	},
}

// BenchmarkSmallOps compares single-goroutine small operations with os's on
// a page-cache-hot tree: Stat, Lstat, Open+Close, Open+ReadAll+Close of a
// 4 KiB file, Readdirnames(-1) of a 1000-entry directory, and 4 KiB
// ReadAt at random offsets of a 64 MiB cached file from 1 and 16
// goroutines. Compare the os and uring lines of each case:
//
//	go test -run - -bench SmallOps -count 5 ./uringfs
func BenchmarkSmallOps(b *testing.B) {
	dir := b.TempDir()
	small := filepath.Join(dir, "small")
	if err := os.WriteFile(small, make([]byte, 4096), 0o644); err != nil {
		b.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink("small", link); err != nil {
		b.Fatal(err)
	}
	many := filepath.Join(dir, "many")
	if err := os.Mkdir(many, 0o755); err != nil {
		b.Fatal(err)
	}
	for i := range 1000 {
		if err := os.WriteFile(filepath.Join(many, fmt.Sprintf("entry-%04d", i)), nil, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, make([]byte, 64<<20), 0o644); err != nil {
		b.Fatal(err)
	}
	if _, err := os.ReadFile(big); err != nil { // into the page cache
		b.Fatal(err)
	}

	for _, a := range smallOpsAPIs {
		b.Run("stat/"+a.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := a.stat(small); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	for _, a := range smallOpsAPIs {
		b.Run("lstat/"+a.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := a.lstat(link); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	for _, a := range smallOpsAPIs {
		b.Run("open-close/"+a.name, func(b *testing.B) {
			for b.Loop() {
				f, err := a.open(small)
				if err != nil {
					b.Fatal(err)
				}
				if err := f.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	for _, a := range smallOpsAPIs {
		b.Run("open-readall-close/"+a.name, func(b *testing.B) {
			for b.Loop() {
				f, err := a.open(small)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.ReadAll(f); err != nil {
					b.Fatal(err)
				}
				if err := f.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	for _, a := range smallOpsAPIs {
		b.Run("readdirnames/"+a.name, func(b *testing.B) {
			for b.Loop() {
				f, err := a.open(many)
				if err != nil {
					b.Fatal(err)
				}
				names, err := f.Readdirnames(-1)
				if err != nil || len(names) != 1000 {
					b.Fatal(len(names), err)
				}
				f.Close()
			}
		})
	}
	for _, g := range []int{1, 16} {
		for _, a := range smallOpsAPIs {
			b.Run(fmt.Sprintf("readat-hot/g=%d/%s", g, a.name), func(b *testing.B) {
				r, closeFn, err := a.openReadAtFn(big)
				if err != nil {
					b.Fatal(err)
				}
				defer closeFn()
				benchReadAtHot(b, r, g, 64<<20)
			})
		}
	}
}

// benchReadAtHot runs b.N 4 KiB ReadAts at random aligned offsets below size
// from g goroutines (g=1: the benchmark's own, as RunParallel would start
// one per P).
func benchReadAtHot(b *testing.B, r io.ReaderAt, g int, size int64) {
	b.SetBytes(4096)
	blocks := uint64(size / 4096)
	read := func(buf []byte, state *uint64) error {
		*state ^= *state << 13
		*state ^= *state >> 7
		*state ^= *state << 17
		_, err := r.ReadAt(buf, int64(*state%blocks)*4096)
		return err
	}
	if g == 1 {
		buf, state := make([]byte, 4096), uint64(0x9e3779b97f4a7c15)
		for b.Loop() {
			if err := read(buf, &state); err != nil {
				b.Fatal(err)
			}
		}
		return
	}
	var seed atomic.Uint64
	b.SetParallelism(max(1, g/max(1, runtimeProcs())))
	b.RunParallel(func(pb *testing.PB) {
		buf := make([]byte, 4096)
		state := seed.Add(0x9e3779b97f4a7c15) | 1
		for pb.Next() {
			if err := read(buf, &state); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// makeTree writes files 4 KiB files in a two-level tree under dir: 20
// directories of 10 directories of files/200 files each (100 for 20,000).
func makeTree(b *testing.B, dir string, files int) {
	data := make([]byte, 4096)
	per := files / 200
	for i := range files {
		d := filepath.Join(dir, fmt.Sprintf("d%02d", i/per/10), fmt.Sprintf("e%02d", i/per%10))
		if i%per == 0 {
			if err := os.MkdirAll(d, 0o755); err != nil {
				b.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(d, fmt.Sprintf("f%05d", i)), data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWalkDirFS walks a page-cache-hot tree of 20,000 4 KiB files with
// fs.WalkDir and reads each with fs.ReadFile, over os.DirFS and
// uringfs.DirFS. One op is the whole walk.
//
//	go test -run - -bench WalkDirFS -count 5 ./uringfs
func BenchmarkWalkDirFS(b *testing.B) {
	dir := b.TempDir()
	makeTree(b, dir, 20000)
	for _, a := range smallOpsAPIs {
		b.Run(a.name, func(b *testing.B) {
			fsys := a.dirFS(dir)
			for b.Loop() {
				n := 0
				err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
					if err != nil || d.IsDir() {
						return err
					}
					data, err := fs.ReadFile(fsys, p)
					n += len(data)
					return err
				})
				if err != nil || n != 20000*4096 {
					b.Fatal(n, err)
				}
			}
		})
	}
}
