package p

import (
	"io"
	"os"

	"github.com/uringfs/uring/uringfs"
)

// isFile asserts *os.File: a file converted to an interface in this
// package could reach it, so conversions keep files in os.
func isFile(r io.Reader) bool {
	_, ok := r.(*os.File)
	return ok
}

func check(name string) bool {
	f, err := os.Open(name)
	if err != nil {
		return false
	}
	defer f.Close()
	return isFile(f)
}

func size(name string) (int64, error) {
	g, err := uringfs.Open(name)
	if err != nil {
		return 0, err
	}
	defer g.Close()
	fi, err := g.Stat()
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

var _, _ = check, size
