package uringfs

import (
	"errors"
	"io"
	"io/fs"
	"math"
	"os"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// ReadFrom copies r into the file at its offset until io.EOF, like
// os.File.ReadFrom. From another file (a *File or an *os.File, bare or in an
// *io.LimitedReader) the kernel copies with copy_file_range(2), with os's
// rules for when to fall back to a buffered copy and os's error shapes;
// otherwise it copies through a pooled buffer.
func (f *File) ReadFrom(r io.Reader) (n int64, err error) {
	if err := f.checkValid(); err != nil {
		return 0, err
	}
	n, handled, e := f.copyFileRangeFrom(r)
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
	remain := int64(math.MaxInt64)
	lr, isLimited := r.(*io.LimitedReader)
	if isLimited {
		r, remain = lr.R, lr.N
		if remain <= 0 {
			return 0, true, nil
		}
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
	if isLimited {
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
