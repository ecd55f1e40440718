package conformance_test

import (
	"fmt"
	"io/fs"
	"os"

	"github.com/uringfs/uring/conformance"
)

// os.DirFS is the oracle of the fs.FS suite, so it passes.
func ExampleCheckFS() {
	err := conformance.CheckFS(func(dir string) fs.FS { return os.DirFS(dir) })
	fmt.Println("problems:", err)
	// Output: problems: <nil>
}

// An fs.FS that reports missing files with an error that is not
// fs.ErrNotExist fails the suite, and the report says where.
func ExampleCheckFS_broken() {
	err := conformance.CheckFS(func(dir string) fs.FS { return hideNotExist{os.DirFS(dir)} })
	fmt.Println(err != nil)
	// Output: true
}

type hideNotExist struct{ fs.FS }

func (h hideNotExist) Open(name string) (fs.File, error) {
	f, err := h.FS.Open(name)
	if err != nil {
		return nil, fmt.Errorf("open %s: failed", name)
	}
	return f, nil
}

// Wiring an implementation: here package os itself, through the adapters
// a concrete file type needs.
func ExampleFileSystem() {
	impl := conformance.OS()
	impl.OpenFile = conformance.AdaptOpenFile(os.OpenFile)
	impl.Open = conformance.AdaptOpen(os.Open)
	impl.Link = nil // scenarios that need Link are skipped
	if err := conformance.CheckFile(impl); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("ok")
	// Output: ok
}
