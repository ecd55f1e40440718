package uringfs

import (
	"io/fs"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/uringfs/uring/internal/ring"
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

// readFileDirect is ReadFile's fast path on io_uring: one linked chain in
// one io_uring_enter, on a direct descriptor slot of the ring (never a
// descriptor in the process's table):
//
//	OPENAT   the name, into the slot
//	FADVISE  POSIX_FADV_NORMAL: a no-op that fails (ESPIPE) on a pipe or FIFO
//	READ     0 bytes, RWF_NOWAIT: fails (EOPNOTSUPP) on a file that cannot
//	         be read without blocking (a terminal, most devices, /proc, /sys)
//	READ     up to directReadSize bytes, RWF_NOWAIT             (hard link)
//	READ     1 byte more, RWF_NOWAIT: 0 means end of file       (hard link)
//	CLOSE    the slot, run whatever the two READs did
//
// os.ReadFile makes six system calls for a small file (openat, epoll_ctl,
// fstat, read, read to see end of file, close); this makes one.
//
// A failed FADVISE or empty READ cuts the chain before anything is read and
// leaves the file open in the slot: then the file is read to its end there
// with plain READs (readOpenDirect), so a pipe, a FIFO or a terminal is
// opened once and nothing is lost. Otherwise the result stands only when it
// is plainly the whole file: the second READ found end of file right after
// the first. Anything else (a READ that failed, would have blocked on a page
// not in the cache, or found more data) sends the caller to the plain path
// to start over, so its results and errors come from the same code as any
// other file's. Starting over is safe there: only files that take
// RWF_NOWAIT and are not pipes got this far, and those (regular files,
// /dev/null, /dev/zero, /dev/urandom) read the same again or never end.
//
// ok is true when data and err are ReadFile's answer.
func readFileDirect(l *sched.Loop, name string) (data []byte, ok bool, err error) {
	if !l.DirectFiles() || !l.Supported(ring.OpFadvise) {
		return nil, false, nil
	}
	c := newDirectChain(name, nil)
	defer c.release()
	var cont bool
	ran, cerr := l.ChainDirect(background, c.ops[:], func(run func(...*sched.Op) error) {
		if c.ops[0].Res < 0 {
			return // nothing was opened
		}
		cont = true
		data, err = readOpenDirect(run, name)
	})
	switch {
	case !ran || cerr != nil:
		return nil, false, nil
	case cont:
		return data, true, err
	}
	return c.result(name)
}

// directChain is the chain of readFileDirect for one file, with the buffer
// its READs fill.
type directChain struct {
	ops    [6]*sched.Op // OPENAT, FADVISE, READ (probe), READ, READ (end of file), CLOSE
	bp     *[]byte
	pooled bool // bp came from directBufs
}

var directChainCodes = [6]ring.Opcode{ring.OpOpenat, ring.OpFadvise, ring.OpRead, ring.OpRead, ring.OpRead, ring.OpClose}

// newDirectChain prepares the chain for name, reading into bp or, if bp is
// nil, into a buffer of directReadSize+1 bytes from directBufs. The chain
// settles files shorter than len(*bp)-1 bytes: its READ takes all but the
// last byte of the buffer, the READ that confirms end of file the last.
// release gives its ops and pooled buffer back once its result has been
// read.
func newDirectChain(name string, bp *[]byte) *directChain {
	c := &directChain{}
	if bp == nil {
		bp, c.pooled = directBufs.Get().(*[]byte), true
	}
	c.set(name, bp)
	return c
}

// set points the chain at name and buffer bp, taking its ops from the pool
// the first time. A ReadFiles driver calls it on the same chains group after
// group: the ops' fields are the same for every file but the name, so
// reusing them skips a pool round trip and a clear of six ops per file.
func (c *directChain) set(name string, bp *[]byte) {
	if c.ops[0] == nil {
		for i, code := range directChainCodes {
			c.ops[i] = sched.GetOp(code)
			c.ops[i].Direct = true
		}
	}
	c.bp = bp
	buf := *bp
	open, advise, probe, read, eof := c.ops[0], c.ops[1], c.ops[2], c.ops[3], c.ops[4]
	// A direct descriptor cannot be O_CLOEXEC (the kernel refuses the flag):
	// it is never in the process's table, so no exec can inherit it.
	open.Fd, open.Path, open.Flags = unix.AT_FDCWD, name, unix.O_RDONLY
	advise.Flags = unix.FADV_NORMAL
	// The READs go at the file position (-1), so each starts where the one
	// before stopped.
	probe.Buf, probe.Off, probe.Flags = buf[:0], -1, unix.RWF_NOWAIT
	read.Buf, read.Off, read.Flags, read.SQEFlags = buf[:len(buf)-1], -1, unix.RWF_NOWAIT, ring.SQEIOHardlink
	eof.Buf, eof.Off, eof.Flags, eof.SQEFlags = buf[len(buf)-1:], -1, unix.RWF_NOWAIT, ring.SQEIOHardlink
}

func (c *directChain) release() {
	for i, op := range c.ops {
		sched.PutOp(op)
		c.ops[i] = nil
	}
	if c.pooled {
		directBufs.Put(c.bp)
	}
}

// filled reports whether the chain's READ filled its buffer: the file may
// be longer than the chain can settle.
func (c *directChain) filled() bool { return int(c.ops[3].Res) >= len(*c.bp)-1 }

// opened reports whether the chain's OPENAT filled the slot.
func (c *directChain) opened() bool { return c.ops[0].Res >= 0 }

// result is readFileDirect's answer from a chain that ran to its CLOSE:
// ok is false when the caller must take the plain path.
func (c *directChain) result(name string) (data []byte, ok bool, err error) {
	open, advise, probe, read, eof := c.ops[0], c.ops[1], c.ops[2], c.ops[3], c.ops[4]
	switch {
	case open.Res < 0:
		errno := syscall.Errno(-open.Res)
		switch errno {
		case unix.EINTR, unix.EAGAIN, unix.ECANCELED:
			return nil, false, nil
		}
		return nil, true, &fs.PathError{Op: "open", Path: name, Err: errno}
	case advise.Res < 0 || probe.Res < 0 || read.Res < 0 || int(read.Res) >= len(*c.bp)-1 || eof.Res != 0:
		return nil, false, nil
	}
	if read.Res == 0 {
		return []byte{}, true, nil // empty but not nil, as from os.ReadFile
	}
	// Growing a nil slice, unlike make and copy, does not first clear the
	// bytes it is about to overwrite.
	return append([]byte(nil), (*c.bp)[:read.Res]...), true, nil
}

// readOpenDirect reads the file open in the direct slot to its end with
// blocking READs, then closes the slot, with ReadFile's results and errors.
func readOpenDirect(run func(...*sched.Op) error, name string) ([]byte, error) {
	op := sched.GetOp(ring.OpRead)
	defer sched.PutOp(op)
	data, err := readAll(0, func(b []byte) (int, error) {
		var n int
		err := ignoringEINTR(func() error {
			*op = sched.Op{Code: ring.OpRead, Direct: true, Buf: b, Off: -1}
			if err := run(op); err != nil {
				return err
			}
			if op.Res < 0 {
				return syscall.Errno(-op.Res)
			}
			n = int(op.Res)
			return nil
		})
		return n, err
	})
	*op = sched.Op{Code: ring.OpClose, Direct: true}
	run(op) // os.ReadFile ignores the error of its close too
	if err != nil {
		return data, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	return data, nil
}
