package uringfs_test

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing/fstest"

	"github.com/uringfs/uring/uringfs"
)

// DirFS serves a directory tree as an fs.FS whose files are read on the
// loop; fstest.TestFS checks it behaves as the io/fs contract asks.
func ExampleDirFS() {
	dir, err := os.MkdirTemp("", "dirfs")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	os.MkdirAll(filepath.Join(dir, "docs"), 0o755)
	os.WriteFile(filepath.Join(dir, "docs", "readme.txt"), []byte("read me\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n"), 0o644)

	fsys := uringfs.DirFS(dir)
	if err := fstest.TestFS(fsys, "docs/readme.txt", "main.go"); err != nil {
		fmt.Println(err)
		return
	}
	fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fmt.Println(path, d.IsDir())
		return nil
	})
	data, _ := fs.ReadFile(fsys, "docs/readme.txt")
	fmt.Printf("%s", data)
	_, err = fs.ReadFile(fsys, "../escape")
	fmt.Println(err)
	// Output:
	// . true
	// docs true
	// docs/readme.txt false
	// main.go false
	// read me
	// readfile ../escape: invalid argument
}
