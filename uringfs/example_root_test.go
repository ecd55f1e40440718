//go:build unix

package uringfs_test

import (
	"errors"
	"fmt"
	"io/fs"
	"log"
	"os"
	"path/filepath"

	"github.com/uringfs/uring/uringfs"
)

// ExampleOpenRoot serves files from one directory: names that would lead
// outside it, by "..", an absolute path or a symbolic link, are refused.
func ExampleOpenRoot() {
	dir, err := os.MkdirTemp("", "uringfs-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "hello.txt"), []byte("hello, root\n"), 0o644); err != nil {
		log.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "passwd")); err != nil {
		log.Fatal(err)
	}

	root, err := uringfs.OpenRoot(dir)
	if err != nil {
		log.Fatal(err)
	}
	defer root.Close()

	data, err := root.ReadFile("hello.txt")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(string(data))

	for _, name := range []string{"../secret", "/etc/passwd", "passwd"} {
		_, err := root.Open(name)
		var pe *fs.PathError
		if errors.As(err, &pe) {
			fmt.Printf("%s: %s %v\n", name, pe.Op, pe.Err)
		}
	}
	// Output:
	// hello, root
	// ../secret: openat path escapes from parent
	// /etc/passwd: openat path escapes from parent
	// passwd: openat path escapes from parent
}
