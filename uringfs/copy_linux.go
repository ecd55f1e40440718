package uringfs

import (
	"errors"
	"io"
	"os"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// ReadFrom copies r into the file at its offset until io.EOF, like
// os.File.ReadFrom. From another file (a *File or an *os.File, bare or in an
// *io.LimitedReader) the kernel copies with copy_file_range(2); otherwise
// through a pooled buffer.
func (f *File) ReadFrom(r io.Reader) (n int64, err error) {
	if err := f.checkValid("write"); err != nil {
		return 0, err
	}
	n, handled, e := f.copyFileRangeFrom(r)
	if !handled {
		return genericCopy(fileWithoutReadFrom{File: f}, r)
	}
	return n, f.wrapErr("write", e)
}

// WriteTo copies the file from its offset to w, like os.File.WriteTo; to
// another file the kernel copies with copy_file_range(2).
func (f *File) WriteTo(w io.Writer) (n int64, err error) {
	if err := f.checkValid("read"); err != nil {
		return 0, err
	}
	if dst, ok := rawFd(w); ok {
		n, handled, e := copyFileRange(dst, f, -1)
		if handled {
			return n, f.wrapErr("read", e)
		}
	}
	return genericCopy(w, fileWithoutWriteTo{File: f})
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

var copyBufPool = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

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

func rawFd(v any) (fdFile, bool) {
	switch t := v.(type) {
	case *File:
		return t, t != nil
	case *os.File:
		return osFile{t}, t != nil
	}
	return nil, false
}

func (f *File) copyFileRangeFrom(r io.Reader) (int64, bool, error) {
	limit := int64(-1)
	src := r
	lr, isLimited := r.(*io.LimitedReader)
	if isLimited {
		src, limit = lr.R, lr.N
		if limit <= 0 {
			return 0, true, nil
		}
	}
	sf, ok := rawFd(src)
	if !ok {
		return 0, false, nil
	}
	n, handled, err := copyFileRange(f, sf, limit)
	if isLimited {
		lr.N -= n
	}
	return n, handled, err
}

// copyFileRange copies from src's offset to dst's offset, at most limit
// bytes (all when negative). handled is false when the kernel refused before
// copying anything, so a buffered copy should be used instead.
func copyFileRange(dst, src fdFile, limit int64) (written int64, handled bool, err error) {
	handled = true
	outer := dst.withFd(func(dfd int) {
		inner := src.withFd(func(sfd int) {
			if d, ok := dst.(*File); ok {
				d.wmu.Lock()
				defer d.wmu.Unlock()
			}
			if s, ok := src.(*File); ok && s != dst {
				s.rmu.Lock()
				defer s.rmu.Unlock()
			}
			written, handled, err = copyFds(dfd, sfd, limit)
		})
		if inner != nil {
			err = inner
		}
	})
	if outer != nil {
		err = outer
	}
	return written, handled, err
}

func copyFds(dfd, sfd int, limit int64) (written int64, handled bool, err error) {
	const maxChunk = 1 << 30
	for limit != 0 {
		chunk := int64(maxChunk)
		if limit > 0 && limit < chunk {
			chunk = limit
		}
		n, e := unix.CopyFileRange(sfd, nil, dfd, nil, int(chunk), 0)
		if e == unix.EINTR {
			continue
		}
		if e != nil {
			if written == 0 && refusedCopy(e) {
				return 0, false, nil
			}
			return written, true, e
		}
		if n == 0 {
			break
		}
		written += int64(n)
		if limit > 0 {
			limit -= int64(n)
		}
	}
	return written, true, nil
}

// refusedCopy reports errors meaning "not between these two files": the
// buffered path will do it (or report the real error).
func refusedCopy(err error) bool {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return false
	}
	switch errno {
	case unix.EXDEV, unix.EINVAL, unix.ENOSYS, unix.EOPNOTSUPP, unix.EBADF, unix.EPERM, unix.EIO, unix.ETXTBSY, unix.EISDIR:
		return true
	}
	return false
}

// SyscallConn returns a raw connection to the descriptor, like
// os.File.SyscallConn. The descriptor stays referenced while a callback runs,
// so Close waits for it.
func (f *File) SyscallConn() (syscall.RawConn, error) {
	if err := f.checkValid("SyscallConn"); err != nil {
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
