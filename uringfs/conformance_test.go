//go:build linux

package uringfs_test

import (
	"io/fs"
	"testing"

	"github.com/uringfs/uring/conformance"
	"github.com/uringfs/uring/uringfs"
)

// TestConformance runs the conformance package's File and fs.FS suites over
// uringfs's own functions, so a deviation from os shows up here on whichever
// backend the run uses (URINGFS_BACKEND), not only through the adapters
// built on top of uringfs.
func TestConformance(t *testing.T) {
	t.Run("File", func(t *testing.T) {
		conformance.TestFile(t, conformance.FileSystem{
			OpenFile:  conformance.AdaptOpenFile(uringfs.OpenFile),
			Open:      conformance.AdaptOpen(uringfs.Open),
			Create:    conformance.AdaptOpen(uringfs.Create),
			Mkdir:     uringfs.Mkdir,
			MkdirAll:  uringfs.MkdirAll,
			Remove:    uringfs.Remove,
			RemoveAll: uringfs.RemoveAll,
			Rename:    uringfs.Rename,
			Stat:      uringfs.Stat,
			Lstat:     uringfs.Lstat,
			Symlink:   uringfs.Symlink,
			Readlink:  uringfs.Readlink,
			Link:      uringfs.Link,
			Chmod:     uringfs.Chmod,
			Chtimes:   uringfs.Chtimes,
			Truncate:  uringfs.Truncate,
			ReadFile:  uringfs.ReadFile,
			WriteFile: uringfs.WriteFile,
			ReadDir:   uringfs.ReadDir,
			NilFile:   (*uringfs.File)(nil),
		})
	})
	t.Run("FS", func(t *testing.T) {
		conformance.TestFS(t, func(dir string) fs.FS { return uringfs.DirFS(dir) })
	})
}
