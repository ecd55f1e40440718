//go:build linux

package uring_test

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/spf13/afero"

	"github.com/uringfs/uring"
)

var benchFs = []struct {
	name string
	fs   afero.Fs
}{{"os", afero.NewOsFs()}, {"uring", uring.NewFs()}}

// BenchmarkAfero compares uring.NewFs() with afero.OsFs on a page-cache-hot
// tree: afero.ReadFile of one 4 KiB file, and a walk of 20,000 4 KiB files
// with afero.Walk reading each with afero.ReadFile (one op is the whole
// walk). Compare the os and uring lines of each case:
//
//	go test -run - -bench Afero -count 5 .
func BenchmarkAfero(b *testing.B) {
	dir := b.TempDir()
	const files = 20000
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
	one := filepath.Join(dir, "d00", "e00", "f00000")
	for _, c := range benchFs {
		b.Run("readfile/"+c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := afero.ReadFile(c.fs, one); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	for _, c := range benchFs {
		b.Run("walk/"+c.name, func(b *testing.B) {
			for b.Loop() {
				n := 0
				err := afero.Walk(c.fs, dir, func(p string, info fs.FileInfo, err error) error {
					if err != nil || info.IsDir() {
						return err
					}
					data, err := afero.ReadFile(c.fs, p)
					n += len(data)
					return err
				})
				if err != nil || n != files*len(data) {
					b.Fatal(n, err)
				}
			}
		})
	}
}
