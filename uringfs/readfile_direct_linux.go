package uringfs

import (
	"io/fs"
	"sync"

	"github.com/uringfs/uring/internal/sched"
)

// directReadSize is the buffer of ReadFile's fast path: files smaller than
// this are read in one chain, larger ones take the plain path.
const directReadSize = 64 << 10

// directBufs holds buffers of directReadSize+1 bytes: the READ of the file
// goes to the first directReadSize, the READ that confirms end of file to
// the last byte.
var directBufs = sync.Pool{New: func() any {
	b := make([]byte, directReadSize+1)
	return &b
}}

// readFileDirect is ReadFile's fast path on io_uring: one sched.ReadChain,
// which opens, reads and closes the file in one io_uring_enter. os.ReadFile
// makes six system calls for a small file (openat, epoll_ctl, fstat, read,
// read to see end of file, close); this makes one.
//
// A chain that stopped with the file open (a pipe, a FIFO, a terminal)
// reads it to its end in its slot (readOpenDirect), so nothing is lost.
// Otherwise the result stands only when it is plainly the whole file;
// anything else sends the caller to the plain path to start over, so its
// results and errors come from the same code as any other file's. Starting
// over is safe there: only files that can be read without blocking and are
// not pipes got this far, and those (regular files, /dev/null, /dev/zero,
// /dev/urandom) read the same again or never end.
//
// ok is true when data and err are ReadFile's answer.
func readFileDirect(l *sched.Loop, name string) (data []byte, ok bool, err error) {
	if !l.CanReadChain() {
		return nil, false, nil
	}
	bp := directBufs.Get().(*[]byte)
	defer directBufs.Put(bp)
	c := new(sched.ReadChain)
	c.Set(name, *bp)
	defer c.Release()
	var cont bool
	ran, cerr := l.ChainDirect(background, c.Ops(), func(run func(...*sched.Op) error) {
		if !c.Opened() {
			return // nothing was opened
		}
		cont = true
		data, err = readOpenDirect(c, run, name)
	})
	switch {
	case !ran || cerr != nil:
		return nil, false, nil
	case cont:
		return data, true, err
	}
	return chainResult(c, name)
}

// chainResult is ReadFile's answer from a chain that ran to its CLOSE: ok
// is false when the caller must take the plain path.
func chainResult(c *sched.ReadChain, name string) (data []byte, ok bool, err error) {
	b, done, err := c.Result()
	switch {
	case !done:
		return nil, false, nil
	case err != nil:
		return nil, true, &fs.PathError{Op: "open", Path: name, Err: err}
	case len(b) == 0:
		return []byte{}, true, nil // empty but not nil, as from os.ReadFile
	}
	// Growing a nil slice, unlike make and copy, does not first clear the
	// bytes it is about to overwrite.
	return append([]byte(nil), b...), true, nil
}

// readOpenDirect reads the file that chain c left open in its slot to its
// end, then closes the slot, with ReadFile's results and errors.
func readOpenDirect(c *sched.ReadChain, run func(...*sched.Op) error, name string) ([]byte, error) {
	data, err := readAll(0, func(b []byte) (int, error) {
		var n int
		err := ignoringEINTR(func() (err error) {
			n, err = c.ReadOn(run, b)
			return err
		})
		return n, err
	})
	c.CloseOn(run) // os.ReadFile ignores the error of its close too
	if err != nil {
		return data, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	return data, nil
}
