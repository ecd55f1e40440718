package uringfs

import (
	"errors"
	"io"
	"io/fs"
	"math"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/uringfs/uring/internal/sched"
)

// ReadFrom copies r into the file at its offset until io.EOF, like
// os.File.ReadFrom. From another file (a *File or an *os.File, bare or in an
// *io.LimitedReader) the kernel copies with copy_file_range(2), with os's
// rules for when to fall back to a buffered copy and os's error shapes.
// From a stream socket or a pipe (anything whose SyscallConn lends one, such
// as a *net.TCPConn, a stream *net.UnixConn or an *os.File pipe, bare or in
// an *io.LimitedReader) it splices, as os does, through a pipe and the
// loop, into a regular file not opened with O_APPEND or O_DIRECT (see
// spliceFrom). Otherwise it copies through a pooled buffer.
func (f *File) ReadFrom(r io.Reader) (n int64, err error) {
	if err := f.checkValid(); err != nil {
		return 0, err
	}
	n, handled, e := f.copyFileRangeFrom(r)
	if !handled {
		var m int64
		m, handled, e = f.spliceFrom(r)
		n += m
	}
	if !handled {
		// Like os, unwrapped; n counts what a refused kernel copy moved
		// before it gave up, which os would drop.
		m, err := genericCopy(fileWithoutReadFrom{File: f}, r)
		return n + m, err
	}
	return n, f.wrapErr("write", e)
}

// WriteTo copies the file from its offset to w, like os.File.WriteTo. As
// with os, the copy is io.Copy's, so a destination file's ReadFrom does the
// work (copy_file_range(2) between files) and errors are reported in its
// name.
func (f *File) WriteTo(w io.Writer) (n int64, err error) {
	if err := f.checkValid(); err != nil {
		return 0, err
	}
	if dst, ok := w.(*os.File); ok && dst != nil {
		return f.writeToOSFile(dst)
	}
	return genericCopy(w, fileWithoutWriteTo{File: f})
}

// writeToOSFile is what dst.ReadFrom would do with f if f were an *os.File:
// os copies between two of its own files with copy_file_range(2), but does
// not know ours and would copy through a buffer. Same bytes, same errors,
// same offsets afterwards.
func (f *File) writeToOSFile(dst *os.File) (int64, error) {
	var n int64
	handled := false
	var err error
	if !osAppendMode(dst) {
		n, handled, err = copyFileRange(osFile{dst}, f, math.MaxInt64)
	}
	if handled {
		if err == nil {
			return n, nil
		}
		if errno, ok := err.(syscall.Errno); ok {
			err = os.NewSyscallError("copy_file_range", errno)
		} else if err == errClosing {
			err = os.ErrClosed
		}
		return n, &fs.PathError{Op: "write", Path: dst.Name(), Err: err}
	}
	m, err := genericCopy(osFileWithoutReadFrom{File: dst}, fileWithoutWriteTo{File: f})
	return n + m, err
}

// osAppendMode reports whether writes to f append: O_APPEND in its status
// flags, which is where os's own appendMode comes from.
func osAppendMode(f *os.File) bool {
	rc, err := f.SyscallConn()
	if err != nil {
		return false
	}
	app := false
	rc.Control(func(fd uintptr) {
		fl, err := unix.FcntlInt(fd, unix.F_GETFL, 0)
		app = err == nil && fl&unix.O_APPEND != 0
	})
	return app
}

// osFileWithoutReadFrom hides an *os.File's ReadFrom from io.Copy.
type osFileWithoutReadFrom struct {
	noReadFrom
	*os.File
}

// fileWithoutReadFrom hides ReadFrom so io.Copy does not recurse.
type fileWithoutReadFrom struct {
	noReadFrom
	*File
}

type noReadFrom struct{}

func (noReadFrom) ReadFrom(io.Reader) (int64, error) { panic("unreachable") }

// fileWithoutWriteTo hides WriteTo so io.Copy does not recurse.
type fileWithoutWriteTo struct {
	noWriteTo
	*File
}

type noWriteTo struct{}

func (noWriteTo) WriteTo(io.Writer) (int64, error) { panic("unreachable") }

// copyBufPool holds buffers of io.Copy's size: os copies through 32 KiB, and
// a copy that fails half way must have consumed as much of its source as
// os's would.
var copyBufPool = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// genericCopy is io.Copy through a pooled buffer.
func genericCopy(w io.Writer, r io.Reader) (int64, error) {
	bp := copyBufPool.Get().(*[]byte)
	defer copyBufPool.Put(bp)
	return io.CopyBuffer(w, r, *bp)
}

// fdFile is either end of a copy_file_range: it lends its descriptor for the
// length of a callback, keeping it referenced so a concurrent Close waits.
type fdFile interface {
	withFd(fn func(fd int)) error
}

func (f *File) withFd(fn func(fd int)) error {
	if err := f.acquire(); err != nil {
		return err
	}
	defer f.release()
	fn(f.fd)
	return nil
}

type osFile struct{ *os.File }

func (o osFile) withFd(fn func(fd int)) error {
	rc, err := o.File.SyscallConn()
	if err != nil {
		return err
	}
	return rc.Control(func(fd uintptr) { fn(int(fd)) })
}

func (f *File) copyFileRangeFrom(r io.Reader) (int64, bool, error) {
	// copy_file_range(2) refuses a destination opened with O_APPEND; os does
	// not try, and neither do we.
	if f.appendMode {
		return 0, false, nil
	}
	r, lr, remain := unwrapLimit(r)
	if remain <= 0 {
		return 0, true, nil
	}
	var src fdFile
	switch v := r.(type) {
	case *File:
		if v == nil {
			return 0, false, nil
		}
		src = v
	case fileWithoutWriteTo:
		if v.File == nil {
			return 0, false, nil
		}
		src = v.File
	case *os.File:
		if v == nil {
			return 0, false, nil
		}
		src = osFile{v}
	default:
		return 0, false, nil
	}
	n, handled, err := copyFileRange(f, src, remain)
	if lr != nil {
		lr.N -= n
	}
	if errno, ok := err.(syscall.Errno); ok {
		err = os.NewSyscallError("copy_file_range", errno)
	}
	return n, handled, err
}

// maxCopyChunk is the most one copy_file_range(2) moves: the kernel's
// MAX_RW_COUNT on 4 KiB pages.
const maxCopyChunk = 0x7ffff000

// copyFileRange copies from src's offset to dst's offset, at most remain
// bytes. handled is false when the kernel would not copy between these files
// (then the caller copies through a buffer from where this left off).
func copyFileRange(dst, src fdFile, remain int64) (written int64, handled bool, err error) {
	for remain > 0 {
		var n int64
		var e error
		outer := dst.withFd(func(dfd int) {
			if d, ok := dst.(*File); ok {
				d.wmu.Lock()
				defer d.wmu.Unlock()
			}
			inner := src.withFd(func(sfd int) {
				if s, ok := src.(*File); ok && s != dst {
					s.rmu.Lock()
					defer s.rmu.Unlock()
				}
				n, e = copyOnce(dfd, sfd, min(remain, maxCopyChunk))
			})
			if inner != nil {
				e = inner
			}
		})
		if outer != nil {
			e = outer
		}
		if n > 0 {
			remain -= n
			written += n
		}
		handled, err = copyHandled(e, n, written)
		if n == 0 || !handled || err != nil {
			return written, handled, err
		}
	}
	return written, true, nil
}

func copyOnce(dfd, sfd int, max int64) (int64, error) {
	for {
		n, err := unix.CopyFileRange(sfd, nil, dfd, nil, int(max), 0)
		if err != unix.EINTR {
			if n < 0 {
				n = 0
			}
			return int64(n), err
		}
	}
}

// copyHandled applies os's rules to the result of one copy_file_range(2):
// errors meaning "not between these two files" and a first call that copies
// nothing (which older kernels report for files they cannot copy, such as
// those of /proc) hand the copy to the buffered path, which then reports the
// real error or the real end of file.
func copyHandled(err error, copied, written int64) (bool, error) {
	switch err {
	case unix.ENOSYS, unix.EXDEV, unix.EINVAL, unix.EIO, unix.EOPNOTSUPP, unix.EPERM:
		return false, nil
	case nil:
		if copied == 0 && written == 0 {
			return false, nil
		}
	}
	return true, err
}

// SyscallConn returns a raw connection to the descriptor, like
// os.File.SyscallConn. The descriptor stays referenced while a callback runs,
// so Close waits for it.
func (f *File) SyscallConn() (syscall.RawConn, error) {
	if err := f.checkValid(); err != nil {
		return nil, err
	}
	return rawConn{f}, nil
}

type rawConn struct{ f *File }

func (c rawConn) Control(fn func(fd uintptr)) error {
	if err := c.f.acquire(); err != nil {
		return err
	}
	defer c.f.release()
	fn(uintptr(c.f.fd))
	return nil
}

// errUnsupportedWait matches what os reports when a raw read or write
// callback asks to wait on a descriptor the poller does not manage.
var errUnsupportedWait = errors.New("waiting for unsupported file type")

func (c rawConn) Read(fn func(fd uintptr) bool) error {
	if err := c.f.acquire(); err != nil {
		return err
	}
	defer c.f.release()
	if fn(uintptr(c.f.fd)) {
		return nil
	}
	return errUnsupportedWait
}

func (c rawConn) Write(fn func(fd uintptr) bool) error { return c.Read(fn) }

// maxSpliceSize is the most one splice(2) moves into the pipe: os's 1 MiB,
// the default largest pipe buffer (/proc/sys/fs/pipe-max-size).
const maxSpliceSize = 1 << 20

// spliceOps counts the splice operations ReadFrom hands to the loop, and
// spliceWaits the times a source refused with EAGAIN and ReadFrom waited for
// it to become readable. The tests read them to see which path a copy took.
var spliceOps, spliceWaits atomic.Uint64

// spliceFrom is os's spliceToFile (os/zero_copy_linux.go and
// internal/poll.Splice), through the loop: data moves from the source to a
// pooled pipe (the drain) and from the pipe to the file at its offset (the
// pump), each step one IORING_OP_SPLICE, or on the syscall backend one
// splice(2) run by the loop, so no thread of ours waits on the source.
//
// Sources are what os splices from, stream sockets, and pipes as well:
// anything whose SyscallConn lends a descriptor of either kind. A source in
// non-blocking mode, as the runtime poller keeps sockets and os.Pipe's
// ends, answers EAGAIN when it has nothing; then, as os's poller does, the
// drain waits for readability in the source's own RawConn.Read and tries
// again, so its read deadline and Close apply as they would to os's splice.
//
// The destination must be a regular file: splice(2) refuses O_APPEND, as
// os knows and does not try; O_DIRECT would take the source's data and then
// may refuse it for its alignment; and a FIFO or socket in non-blocking mode
// goes through the buffered copy, whose writes wait for room. handled is
// false, and nothing has been read, when the copy is not for splice: the
// caller then copies through a buffer. As in os, an EINVAL from the first
// drain (a socket the kernel cannot splice from) also hands the copy over.
func (f *File) spliceFrom(r io.Reader) (written int64, handled bool, err error) {
	if f.appendMode || f.direct || f.nonblock.Load() {
		return 0, false, nil
	}
	r, lr, remain := unwrapLimit(r)
	if remain <= 0 {
		return 0, true, nil
	}
	if !f.isRegular() {
		return 0, false, nil
	}
	rc, flags, ok, err := spliceSource(r)
	if err != nil {
		return 0, true, err
	}
	if !ok {
		return 0, false, nil
	}
	l, err := f.opLoop()
	if err != nil {
		return 0, false, nil
	}
	v := splicePipePool.Get()
	if v == nil {
		return 0, false, nil
	}
	p := v.(*splicePipe)
	defer putSplicePipe(p)
	for remain > 0 {
		inPipe, called, e := spliceDrain(l, rc, p.wfd, int(min(remain, maxSpliceSize)), flags)
		// Like os: a refusal (EINVAL) of the first drain moved nothing and
		// hands the copy to the buffered path; so does a RawConn that never
		// lent its descriptor.
		handled = handled || (called && e != unix.EINVAL)
		if e != nil || inPipe == 0 {
			err = e
			break
		}
		p.data += inPipe
		n, e := f.splicePump(p.rfd, inPipe)
		p.data -= n
		written += int64(n)
		remain -= int64(n)
		if e != nil {
			err = e
			break
		}
	}
	if lr != nil {
		lr.N -= written
	}
	if !handled {
		return 0, false, nil
	}
	if errno, ok := err.(syscall.Errno); ok {
		err = os.NewSyscallError("splice", errno)
	}
	return written, true, err
}

// isRegular reports whether f is a regular file.
func (f *File) isRegular() bool {
	var st unix.Stat_t
	var err error
	if e := f.withFd(func(fd int) { err = unix.Fstat(fd, &st) }); e != nil || err != nil {
		return false
	}
	return st.Mode&unix.S_IFMT == unix.S_IFREG
}

// spliceSource returns the raw connection of r when its descriptor is a
// stream socket or a pipe, with the splice flags its drain takes:
// SPLICE_F_NONBLOCK for a source in non-blocking mode, which the kernel
// implies for a socket but not for a pipe spliced into a blocking one. ok
// is false for anything else, our own Files included (copy_file_range(2)
// has had its try at those, and their RawConn cannot wait). err is set when
// a network connection refused to lend its descriptor because it is closed:
// os reports that from its splice, and so do we.
func spliceSource(r io.Reader) (rc syscall.RawConn, flags uint32, ok bool, err error) {
	switch r.(type) {
	case *File, fileWithoutWriteTo:
		return nil, 0, false, nil
	}
	sc, isConn := r.(syscall.Conn)
	if !isConn {
		return nil, 0, false, nil
	}
	rc, e := sc.SyscallConn()
	if e != nil || rc == nil {
		return nil, 0, false, nil
	}
	e = rc.Control(func(fd uintptr) {
		var st unix.Stat_t
		if unix.Fstat(int(fd), &st) != nil {
			return
		}
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFIFO:
			ok = true
		case unix.S_IFSOCK:
			typ, err := unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_TYPE)
			ok = err == nil && typ == unix.SOCK_STREAM
		}
		if fl, err := unix.FcntlInt(fd, unix.F_GETFL, 0); err == nil && fl&unix.O_NONBLOCK != 0 {
			flags = unix.SPLICE_F_NONBLOCK
		}
	})
	if e != nil {
		var oe *net.OpError
		if errors.As(e, &oe) {
			return nil, 0, false, oe.Err
		}
		return nil, 0, false, nil
	}
	return rc, flags, ok, nil
}

// rawConnErr is the error of a RawConn.Read as os's splice would report
// it: a network connection's RawConn wraps what its poller said (closed, or
// past the read deadline) in a *net.OpError, which os's splice, calling the
// poller itself, does not.
func rawConnErr(err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) {
		return oe.Err
	}
	return err
}

// spliceDrain moves at most max bytes from the source into the empty pipe
// wfd, waiting in rc.Read while a non-blocking source has nothing. n == 0
// with no error is the source's end. called reports whether rc lent its
// descriptor at all.
func spliceDrain(l *sched.Loop, rc syscall.RawConn, wfd, max int, flags uint32) (n int, called bool, err error) {
	rerr := rc.Read(func(fd uintptr) bool {
		called = true
		for {
			spliceOps.Add(1)
			n, err = l.Splice(background, int(fd), -1, wfd, -1, max, flags)
			if err != unix.EINTR {
				break
			}
		}
		if err == unix.EAGAIN {
			spliceWaits.Add(1)
			return false
		}
		return true
	})
	if rerr != nil {
		return 0, called, rawConnErr(rerr)
	}
	return n, called, err
}

// splicePump moves the inPipe bytes in the pipe rfd to the file at its
// offset, under the write lock, as a Write would, and returns how many it
// moved.
func (f *File) splicePump(rfd, inPipe int) (int, error) {
	if err := f.acquire(); err != nil {
		return 0, err
	}
	defer f.release()
	l, err := f.opLoop()
	if err != nil {
		return 0, err
	}
	f.wmu.Lock()
	defer f.wmu.Unlock()
	written := 0
	for inPipe > 0 {
		var n int
		err := f.ignoringEINTR(func() (err error) {
			spliceOps.Add(1)
			n, err = l.Splice(background, rfd, -1, f.fd, -1, inPipe, 0)
			return err
		})
		if err != nil {
			return written, err
		}
		if n <= 0 {
			// The pipe holds inPipe bytes and is ours alone: a file that
			// takes none of them is full or broken, as for Write.
			return written, io.ErrUnexpectedEOF
		}
		inPipe -= n
		written += n
	}
	return written, nil
}

// splicePipe is a pipe between the source and the file, and data what it
// holds; a pipe still holding data is closed, not pooled.
type splicePipe struct {
	rfd, wfd int
	data     int
	cleanup  runtime.Cleanup
}

// splicePipePool keeps pipes between copies, as os does: the pool drops
// what a garbage collection finds unused, and the pipe's cleanup closes it.
// New returns nil when no pipe can be made; the copy is then buffered.
var splicePipePool = sync.Pool{New: func() any {
	var fds [2]int
	// Blocking: the drain asks for SPLICE_F_NONBLOCK only for a source in
	// non-blocking mode, so that a blocking source pipe waits as a read of
	// it would.
	if err := unix.Pipe2(fds[:], unix.O_CLOEXEC); err != nil {
		return nil
	}
	// A pipe as large as one drain saves system calls; a smaller one works.
	unix.FcntlInt(uintptr(fds[0]), unix.F_SETPIPE_SZ, maxSpliceSize)
	p := &splicePipe{rfd: fds[0], wfd: fds[1]}
	p.cleanup = runtime.AddCleanup(p, closePipe, fds)
	return p
}}

func closePipe(fds [2]int) {
	unix.Close(fds[0])
	unix.Close(fds[1])
}

func putSplicePipe(p *splicePipe) {
	if p.data != 0 {
		p.cleanup.Stop()
		closePipe([2]int{p.rfd, p.wfd})
		return
	}
	splicePipePool.Put(p)
}

// unwrapLimit looks through an *io.LimitedReader, as os's copy paths do:
// it returns the reader under it, the LimitedReader itself (nil if r is
// not one, else to be kept up to date with N) and how much may be read.
func unwrapLimit(r io.Reader) (io.Reader, *io.LimitedReader, int64) {
	if lr, ok := r.(*io.LimitedReader); ok {
		return lr.R, lr, lr.N
	}
	return r, nil, math.MaxInt64
}
