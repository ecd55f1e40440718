package uringfs

// Read, Write and their positioned and Context forms, Seek, and the poller
// wait for descriptors in non-blocking mode.

import (
	"context"
	"errors"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

var errWriteAtInAppendMode = errors.New("os: invalid use of WriteAt on file opened with O_APPEND")

// Read reads up to len(b) bytes at the file offset, like os.File.Read: 0,
// io.EOF at end of file; Read(nil) is 0, nil.
func (f *File) Read(b []byte) (n int, err error) { return f.ReadContext(background, b) }

// ReadContext is Read with a context. If ctx is done before the read
// completes the read is cancelled and the error wraps ctx.Err().
func (f *File) ReadContext(ctx context.Context, b []byte) (n int, err error) {
	if err := f.checkValid(); err != nil {
		return 0, err
	}
	n, e := f.read(ctx, b)
	return n, f.wrapErr("read", e)
}

func (f *File) read(ctx context.Context, b []byte) (int, error) {
	if err := f.acquire(); err != nil {
		return 0, err
	}
	defer f.release()
	if len(b) == 0 {
		return 0, nil
	}
	f.rmu.Lock()
	defer f.rmu.Unlock()
	var n int
	if err := ctx.Err(); err != nil {
		// The page-cache path never looks at ctx: a done context does no
		// I/O at all.
		return 0, err
	}
	err := f.ignoringEINTR(func() (err error) {
		n, err = f.pread(ctx, b, -1)
		return err
	})
	if err == unix.EAGAIN {
		n, err = f.pollIO(false, func(fd int) (int, error) { return unix.Read(fd, b) })
	}
	if err != nil {
		return 0, err
	}
	if n == 0 {
		if f.state.closing() {
			// A read that Close overtook (on the syscall backend, one
			// blocked on a pipe until its writer went away) reports the
			// file closed, as os's poller does.
			return 0, errClosing
		}
		return 0, io.EOF
	}
	return n, nil
}

// ReadAt reads len(b) bytes at offset off, like os.File.ReadAt: it returns
// fewer only with an error, io.EOF at end of file. It does not move the file
// offset.
func (f *File) ReadAt(b []byte, off int64) (n int, err error) {
	return f.ReadAtContext(background, b, off)
}

// ReadAtContext is ReadAt with a context; on cancellation it returns what was
// read so far and an error wrapping ctx.Err().
func (f *File) ReadAtContext(ctx context.Context, b []byte, off int64) (n int, err error) {
	if err := f.checkValid(); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, f.wrapErr("readat", errors.New("negative offset"))
	}
	if len(b) == 0 {
		// os makes no call at all, so not even a closed file is an error.
		return 0, nil
	}
	if err := f.acquire(); err != nil {
		return 0, f.wrapErr("read", err)
	}
	defer f.release()
	for len(b) > 0 {
		var m int
		if e := ctx.Err(); e != nil {
			return n, f.wrapErr("read", e)
		}
		e := f.ignoringEINTR(func() (err error) {
			m, err = f.pread(ctx, b, off)
			return err
		})
		if e != nil {
			err = f.wrapErr("read", e)
			break
		}
		if m == 0 {
			return n, io.EOF
		}
		n += m
		b = b[m:]
		off += int64(m)
	}
	return n, err
}

// Write writes all of b at the file offset (at the end with O_APPEND), like
// os.File.Write; it returns an error when n < len(b).
func (f *File) Write(b []byte) (n int, err error) { return f.WriteContext(background, b) }

// WriteContext is Write with a context.
func (f *File) WriteContext(ctx context.Context, b []byte) (n int, err error) {
	if err := f.checkValid(); err != nil {
		return 0, err
	}
	n, e := f.write(ctx, b)
	if n < 0 {
		n = 0
	}
	if n != len(b) {
		err = io.ErrShortWrite // bare, as os returns it
	}
	if e != nil {
		err = f.wrapErr("write", e)
	}
	return n, err
}

func (f *File) write(ctx context.Context, b []byte) (int, error) {
	if err := f.acquire(); err != nil {
		return 0, err
	}
	defer f.release()
	f.wmu.Lock()
	defer f.wmu.Unlock()
	var nn int
	for {
		var m int
		if err := ctx.Err(); err != nil {
			return nn, err
		}
		err := f.ignoringEINTR(func() (err error) {
			m, err = f.pwrite(ctx, b[nn:], -1)
			return err
		})
		if err == unix.EAGAIN {
			m, err = f.pollIO(true, func(fd int) (int, error) { return unix.Write(fd, b[nn:]) })
		}
		if err != nil {
			return nn, err
		}
		nn += m
		if nn == len(b) {
			return nn, nil
		}
		if m == 0 {
			return nn, io.ErrUnexpectedEOF
		}
	}
}

// WriteString is Write of the bytes of s.
func (f *File) WriteString(s string) (n int, err error) {
	return f.Write([]byte(s))
}

// WriteAt writes len(b) bytes at offset off, like os.File.WriteAt. It errors
// on a file opened with O_APPEND and does not move the file offset.
func (f *File) WriteAt(b []byte, off int64) (n int, err error) {
	return f.WriteAtContext(background, b, off)
}

// WriteAtContext is WriteAt with a context.
func (f *File) WriteAtContext(ctx context.Context, b []byte, off int64) (n int, err error) {
	if err := f.checkValid(); err != nil {
		return 0, err
	}
	if f.appendMode {
		return 0, errWriteAtInAppendMode
	}
	if off < 0 {
		return 0, f.wrapErr("writeat", errors.New("negative offset"))
	}
	if len(b) == 0 {
		return 0, nil // as ReadAt: os makes no call
	}
	if err := f.acquire(); err != nil {
		return 0, f.wrapErr("write", err)
	}
	defer f.release()
	for len(b) > 0 {
		var m int
		if e := ctx.Err(); e != nil {
			return n, f.wrapErr("write", e)
		}
		e := f.ignoringEINTR(func() (err error) {
			m, err = f.pwrite(ctx, b, off)
			return err
		})
		if e != nil {
			err = f.wrapErr("write", e)
			break
		}
		if m == 0 {
			err = f.wrapErr("write", io.ErrUnexpectedEOF)
			break
		}
		n += m
		b = b[m:]
		off += int64(m)
	}
	if err != nil {
		// os's WriteAt loops inside one call that either writes everything
		// or fails, and a failed call counts for nothing: a WriteAt that
		// wrote part of b before failing (EFBIG, ENOSPC) reports 0.
		n = 0
	}
	return n, err
}

// Seek sets the offset for the next Read or Write, like os.File.Seek; whence
// goes to lseek(2) unchanged, so io.SeekStart/Current/End and SEEK_DATA and
// SEEK_HOLE work.
func (f *File) Seek(offset int64, whence int) (ret int64, err error) {
	if err := f.checkValid(); err != nil {
		return 0, err
	}
	if err := f.acquire(); err != nil {
		return 0, f.wrapErr("seek", err)
	}
	defer f.release()
	if info := f.dirinfo.Swap(nil); info != nil {
		// A directory read restarts from the new offset with fresh state.
		info.close()
	}
	f.rmu.Lock()
	r, e := unix.Seek(f.fd, offset, whence)
	f.rmu.Unlock()
	if e != nil {
		return 0, f.wrapErr("seek", e)
	}
	return r, nil
}

// pollIO finishes a Read or Write that met EAGAIN: only a descriptor in
// non-blocking mode (from NewFile, or opened with O_NONBLOCK) says that, and
// os waits for such a descriptor in the runtime poller. The io_uring backend
// waits in the ring; plain syscalls wait here, through a duplicate of the
// descriptor registered with the poller, and retry op on f's own descriptor
// each time it is ready. Close wakes the wait.
func (f *File) pollIO(write bool, op func(fd int) (int, error)) (int, error) {
	pf, err := f.pollFile()
	if err != nil {
		return 0, err
	}
	rc, err := pf.SyscallConn()
	if err != nil {
		return 0, unix.EAGAIN
	}
	var n int
	var opErr error
	try := func(uintptr) bool {
		for {
			n, opErr = op(f.fd)
			if opErr != unix.EINTR {
				return opErr != unix.EAGAIN
			}
		}
	}
	if write {
		err = rc.Write(try)
	} else {
		err = rc.Read(try)
	}
	if err != nil {
		if f.state.closing() {
			return 0, errClosing
		}
		return 0, unix.EAGAIN // not pollable after all: report what the kernel said
	}
	if n < 0 {
		n = 0
	}
	return n, opErr
}

func (f *File) pollFile() (*os.File, error) {
	f.pollMu.Lock()
	defer f.pollMu.Unlock()
	if f.pollDone {
		return nil, errClosing
	}
	if f.poller == nil {
		fd, err := unix.FcntlInt(uintptr(f.fd), unix.F_DUPFD_CLOEXEC, 0)
		if err != nil {
			return nil, unix.EAGAIN
		}
		f.poller = os.NewFile(uintptr(fd), f.name)
	}
	return f.poller, nil
}

func (file *file) stopPoller() {
	file.pollMu.Lock()
	defer file.pollMu.Unlock()
	file.pollDone = true
	if file.poller != nil {
		file.poller.Close()
		file.poller = nil
	}
}
