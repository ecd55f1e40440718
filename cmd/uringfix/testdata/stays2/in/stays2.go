package p

import (
	"io"
	"os"
)

type file = *os.File

func alias(name string) {
	var a file
	a, _ = os.Open(name)
	a.Close()
}

func pipe() {
	r, w, _ := os.Pipe()
	r.Close()
	w.Close()
}

func ranged(files []*os.File) {
	for _, rf := range files {
		rf.Close()
	}
}

func switched(x io.Reader) {
	switch ts := x.(type) {
	case *os.File:
		ts.Close()
	}
}

func variadic(vs ...*os.File) {}

func callVariadic(name string) {
	va, _ := os.Open(name)
	variadic(va)
}

type closer interface{ close(*os.File) error }

type impl struct{}

func (impl) close(m *os.File) error { return m.Close() }

func callMethod(name string) error {
	mf, _ := os.Open(name)
	return impl{}.close(mf)
}

func unfollowed(name string) {
	sw, _ := os.Open(name)
	switch sw {
	case nil:
	}
}

var _, _, _, _, _, _, _ = alias, pipe, ranged, switched, callVariadic, callMethod, unfollowed
var _ closer = impl{}
