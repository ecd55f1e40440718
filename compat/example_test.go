package compat_test

import (
	"fmt"
	"log"
	"path/filepath"

	// The one line that changes: the program keeps saying os.Open,
	// os.ReadDir, *os.File, and its file I/O runs on io_uring.
	os "github.com/uringfs/uring/compat"
)

// A program written for os, moved onto io_uring by its import line.
func Example() {
	dir, err := os.MkdirTemp("", "compat-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	var f *os.File
	f, err = os.Create(filepath.Join(dir, "draft.txt"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprintln(f, "hello, io_uring")
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}

	if err := os.Rename(filepath.Join(dir, "draft.txt"), filepath.Join(dir, "final.txt")); err != nil {
		log.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "final.txt"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s", data)

	entries, err := os.ReadDir(dir)
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range entries {
		fmt.Println(e.Name(), e.Type().IsRegular())
	}

	_, err = os.Stat(filepath.Join(dir, "draft.txt"))
	fmt.Println(os.IsNotExist(err))
	// Output:
	// hello, io_uring
	// final.txt true
	// true
}
