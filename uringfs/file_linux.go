package uringfs

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"math"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/uringfs/uring/internal/sched"
)

// File is an open file descriptor whose I/O runs on the hidden io_uring
// event loop. Its methods behave as those of *os.File do, results and errors
// alike; they are safe for concurrent use.
//
// The zero value is not usable; a nil *File returns os.ErrInvalid from every
// method, as a nil *os.File does.
type File struct {
	*file // the indirection lets a cleanup close an unreachable File
}

type file struct {
	fd         int
	name       string
	appendMode bool
	inRoot     bool // opened through a Root: directory entries are statted relative to it
	direct     bool // O_DIRECT: every transfer goes to the ring, none tries the page cache
	// nonblock: the descriptor is in O_NONBLOCK mode. No system call on it
	// waits for long, so Close can wait for every operation.
	nonblock atomic.Bool
	// noNowaitWrite is set once the file system refuses RWF_NOWAIT writes.
	noNowaitWrite atomic.Bool
	cacheHint     sched.CacheHint // whether reads skip RWF_NOWAIT, see sched.CacheHint
	loop          *sched.Loop
	state         fdState
	rmu, wmu      sync.Mutex // serialise Read and Write, which move the file offset
	dirinfo       atomic.Pointer[dirInfo]
	cleanup       runtime.Cleanup

	// poller is a duplicate of a non-blocking descriptor, registered with
	// the runtime poller, which the syscall backend waits on where os's
	// poller would; see pollIO.
	pollMu   sync.Mutex
	poller   *os.File
	pollDone bool
}

var (
	_ io.ReaderAt        = (*File)(nil)
	_ io.WriterAt        = (*File)(nil)
	_ fs.File            = (*File)(nil)
	_ fs.ReadDirFile     = (*File)(nil)
	_ io.ReaderFrom      = (*File)(nil)
	_ io.WriterTo        = (*File)(nil)
	_ io.Seeker          = (*File)(nil)
	_ io.StringWriter    = (*File)(nil)
	_ syscall.Conn       = (*File)(nil)
	_ io.ReadWriteCloser = (*File)(nil)
)

var errWriteAtInAppendMode = errors.New("os: invalid use of WriteAt on file opened with O_APPEND")

func newFile(fd int, name string, l *sched.Loop, appendMode bool) *File {
	f := &File{&file{fd: fd, name: name, loop: l, appendMode: appendMode}}
	if fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0); err == nil {
		f.direct = fl&unix.O_DIRECT != 0
		f.nonblock.Store(fl&unix.O_NONBLOCK != 0)
	}
	f.state.drained = make(chan struct{})
	f.cleanup = runtime.AddCleanup(f, func(inner *file) { inner.close() }, f.file)
	return f
}

// newOpenedFile is newFile for a descriptor this package opened with flag.
// os puts a FIFO or socket it opens into non-blocking mode and waits for it
// in the runtime poller, so that Close wakes a Read or Write waiting on it.
// The io_uring backend waits in the ring, which Close cancels; on plain
// syscalls the descriptor is made non-blocking as os's is, and pollIO waits.
func newOpenedFile(fd int, name string, l *sched.Loop, flag int) *File {
	if l.Backend() != sched.BackendURing && flag&unix.O_NONBLOCK == 0 {
		var st unix.Stat_t
		if unix.Fstat(fd, &st) == nil {
			if t := st.Mode & unix.S_IFMT; t == unix.S_IFIFO || t == unix.S_IFSOCK {
				unix.SetNonblock(fd, true)
			}
		}
	}
	return newFile(fd, name, l, flag&os.O_APPEND != 0)
}

// NewFile returns a File for an open descriptor, like os.NewFile. The File
// owns fd from then on. It returns nil if fd is negative.
func NewFile(fd uintptr, name string) *File {
	if int(fd) < 0 {
		return nil
	}
	l, err := loop()
	if err != nil {
		return nil
	}
	fl, _ := unix.FcntlInt(fd, unix.F_GETFL, 0)
	return newFile(int(fd), name, l, fl >= 0 && fl&unix.O_APPEND != 0)
}

// Open opens the named file for reading, like os.Open.
func Open(name string) (*File, error) { return OpenFile(name, os.O_RDONLY, 0) }

// Create creates or truncates the named file, like os.Create.
func Create(name string) (*File, error) {
	return OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o666)
}

// OpenFile opens the named file with flag (os.O_RDONLY, os.O_CREATE, ...;
// syscall.O_DIRECT and the other open(2) flags pass through) and perm, like
// os.OpenFile. The open runs as IORING_OP_OPENAT.
func OpenFile(name string, flag int, perm fs.FileMode) (*File, error) {
	return OpenFileContext(background, name, flag, perm)
}

// OpenFileContext is OpenFile with a context that can cancel the open.
func OpenFileContext(ctx context.Context, name string, flag int, perm fs.FileMode) (*File, error) {
	return openAt(ctx, unix.AT_FDCWD, name, name, flag, perm)
}

func openAt(ctx context.Context, dirfd int, path, name string, flag int, perm fs.FileMode) (*File, error) {
	l, err := loop()
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	if fd, ok, err := openCallerFirst(ctx, l, dirfd, path, flag); ok {
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
		return newOpenedFile(fd, name, l, flag), nil
	}
	var fd int
	err = ignoringEINTR(func() error {
		fd, err = l.Openat(ctx, dirfd, path, flag|unix.O_CLOEXEC, syscallMode(perm))
		return err
	})
	if l.Backend() == sched.BackendURing && flag&(unix.O_NONBLOCK|unix.O_CREAT|unix.O_TRUNC) == 0 {
		fd, err = reopenFIFO(dirfd, path, flag, perm, fd, err)
	}
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return newOpenedFile(fd, name, l, flag), nil
}

// openCallerFirst opens path on the caller when its lookup is in the
// dentry cache (openat2 with RESOLVE_CACHED), as ReadFile does: one system
// call that cannot wait for the device, where the ring costs an
// io_uring_enter and, for reopenFIFO, an fstat. ok is false when the ring
// must answer: the name is not cached, the call creates or truncates (the
// ring runs those on its workers anyway), ctx can be cancelled, or openat2
// refuses the flags. Like os.Open, this open of a FIFO waits on the caller
// for the other end, so reopenFIFO has nothing to redo.
func openCallerFirst(ctx context.Context, l *sched.Loop, dirfd int, path string, flag int) (fd int, ok bool, err error) {
	if ctx.Done() != nil || flag&(unix.O_CREAT|unix.O_TRUNC) != 0 || flag&unix.O_TMPFILE == unix.O_TMPFILE ||
		callerPathOff.Load() || !l.CachedOpens() {
		return -1, false, nil
	}
	fd, errno := l.OpenCached(dirfd, path, flag|unix.O_CLOEXEC)
	switch errno {
	case 0:
		return fd, true, nil
	case unix.EAGAIN, unix.EINVAL:
		return -1, false, nil
	}
	return -1, true, errno
}

// reopenFIFO gives FIFOs the open(2) semantics os has. IORING_OP_OPENAT
// first tries the open without blocking, as if O_NONBLOCK were set: a FIFO
// then opens for reading with no writer (os waits for one) and fails with
// ENXIO for writing with no reader (os waits for a reader). Such opens are
// redone as a plain, blocking openat(2). The price is an fstat per open,
// much cheaper than the open itself.
func reopenFIFO(dirfd int, path string, flag int, perm fs.FileMode, fd int, err error) (int, error) {
	if err == nil {
		var st unix.Stat_t
		if unix.Fstat(fd, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFIFO {
			return fd, nil
		}
		unix.Close(fd)
	} else if err != unix.ENXIO {
		return fd, err
	}
	err = ignoringEINTR(func() (e error) {
		fd, e = unix.Openat(dirfd, path, flag|unix.O_CLOEXEC, syscallMode(perm))
		return e
	})
	return fd, err
}

func ignoringEINTR(fn func() error) error {
	for {
		err := fn()
		if err != unix.EINTR {
			return err
		}
	}
}

// syscallMode turns Go's portable mode bits into open(2)'s.
func syscallMode(i fs.FileMode) uint32 {
	o := uint32(i.Perm())
	if i&fs.ModeSetuid != 0 {
		o |= unix.S_ISUID
	}
	if i&fs.ModeSetgid != 0 {
		o |= unix.S_ISGID
	}
	if i&fs.ModeSticky != 0 {
		o |= unix.S_ISVTX
	}
	return o
}

// errClosing marks an operation refused because Close has begun; wrapErr
// turns it into os.ErrClosed. It is the very value internal/poll uses, which
// os hands out unwrapped from SetDeadline, SyscallConn callbacks and
// ReadDir on a closed file, so that ours compare equal to os's.
var errClosing = osClosingError()

// osClosingError obtains internal/poll's closing error from os: a File over
// a descriptor number above any possible RLIMIT_NOFILE, closed at once (the
// close(2) fails with EBADF and touches nothing), reports it from
// SetDeadline.
func osClosingError() error {
	if f := os.NewFile(uintptr(math.MaxInt32), ""); f != nil {
		f.Close()
		if err := f.SetDeadline(time.Time{}); err != nil && err != os.ErrNoDeadline {
			return err
		}
	}
	return errors.New("use of closed file")
}

// checkValid returns the error a method on a nil or closed file reports.
func (f *File) checkValid(op string) error {
	if f == nil {
		return errInvalid()
	}
	return nil
}

func errInvalid() error { return os.ErrInvalid }

// wrapErr is the single place where errors take the form users see.
func (f *File) wrapErr(op string, err error) error {
	if err == nil || err == io.EOF {
		return err
	}
	if err == errClosing {
		err = os.ErrClosed
	}
	return &fs.PathError{Op: op, Path: f.name, Err: err}
}

// acquire takes a reference on the descriptor for the length of one call.
func (f *File) acquire() error {
	if !f.state.incref() {
		return errClosing
	}
	return nil
}

// release drops the reference; the last one out after a Close that could
// not wait releases the descriptor.
func (f *File) release() {
	if f.state.decref() {
		f.file.destroy()
	}
}

// ignoringEINTR retries fn on EINTR unless Close has begun, and turns the
// error of an operation that Close cut short into errClosing: Close cancels
// what is in flight (ECANCELED, or EINTR from an interrupted io-wq worker),
// and os reports a call overtaken by Close as made on a closed file.
func (f *File) ignoringEINTR(fn func() error) error {
	for {
		err := fn()
		switch {
		case err == nil:
			return nil
		case err != unix.EINTR && err != unix.ECANCELED:
			return err
		case f.state.closing():
			return errClosing
		case err == unix.ECANCELED:
			return err
		}
	}
}

// Name returns the name the file was opened with.
func (f *File) Name() string { return f.name }

// Fd returns the descriptor number, or ^uintptr(0) once the file is closed.
// As with os, the number is only valid until Close, and the File's cleanup may
// close it when the File becomes unreachable: keep the File alive. Like
// os's Fd, it puts a descriptor in non-blocking mode back into blocking mode,
// since whoever takes the number expects calls on it to wait.
func (f *File) Fd() uintptr {
	if f == nil {
		return ^uintptr(0)
	}
	if !f.state.incref() {
		return ^uintptr(0)
	}
	defer f.release()
	if f.nonblock.Load() && unix.SetNonblock(f.fd, false) == nil {
		f.nonblock.Store(false)
	}
	return uintptr(f.fd)
}

// Close closes the file. The descriptor is released only after every
// operation in flight on it has returned, so its number can never receive
// another file's I/O. On io_uring, Close cancels what the kernel can cancel
// (reads blocked on a pipe, which then fail with os.ErrClosed) and waits for
// the rest. On the syscall backend a FIFO or socket is in non-blocking mode,
// as os puts it: Close wakes a Read or Write waiting on it and waits for it.
// A read(2) blocked on a blocking descriptor (from NewFile, or after Fd)
// cannot be interrupted: as os does, Close returns at once and the last
// operation to finish releases the descriptor. A second Close returns an
// error wrapping os.ErrClosed.
func (f *File) Close() error {
	if f == nil {
		return os.ErrInvalid
	}
	// Once f.file is loaded, f itself is dead to the compiler; if the GC
	// then ran f's cleanup before close sets the closed bit, this first
	// Close would report the file already closed.
	defer runtime.KeepAlive(f)
	return f.file.close()
}

func (file *file) close() error {
	first, busy := file.state.markClosed()
	if !first {
		return &fs.PathError{Op: "close", Path: file.name, Err: os.ErrClosed}
	}
	file.cleanup.Stop()
	file.stopPoller() // wakes a Read or Write waiting for readiness
	if busy {
		switch {
		case file.loop.Backend() == sched.BackendURing:
			file.cancelUntilDrained()
		case file.nonblock.Load():
			// stopPoller has woken whatever waited for readiness, and no
			// call on a non-blocking descriptor waits for long: as os does
			// for a descriptor in its poller, Close returns only once the
			// operations are done with it.
			<-file.state.drained
		case file.state.deferRelease():
			// Plain syscalls cannot be interrupted: a read(2) blocked on a
			// pipe holds its reference until data or EOF arrives. As os does
			// with a blocking descriptor, Close returns now and the last
			// operation to finish releases the descriptor.
			return nil
		}
	}
	return file.destroy()
}

// cancelUntilDrained cancels the ring's requests on the descriptor until
// the last operation has let go of it. One cancel is not enough: an
// operation that took its reference before Close but reaches the ring after
// the cancel (it was still trying the page cache on the caller, say) would
// then wait for good on a pipe with no writer. Such an operation is in the
// ring moments later, so the cancel is repeated, at growing intervals, for
// as long as references remain.
func (file *file) cancelUntilDrained() {
	file.loop.CancelFd(file.fd)
	wait := 2 * time.Millisecond
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		select {
		case <-file.state.drained:
			return
		case <-timer.C:
			file.loop.CancelFd(file.fd)
			wait = min(2*wait, 100*time.Millisecond)
			timer.Reset(wait)
		}
	}
}

// destroy releases the descriptor once no operation uses it.
func (file *file) destroy() error {
	if info := file.dirinfo.Swap(nil); info != nil {
		info.close()
	}
	if err := file.loop.CloseFd(file.fd); err != nil && err != unix.EINTR {
		return &fs.PathError{Op: "close", Path: file.name, Err: err}
	}
	return nil
}

// Read reads up to len(b) bytes at the file offset, like os.File.Read: 0,
// io.EOF at end of file; Read(nil) is 0, nil.
func (f *File) Read(b []byte) (n int, err error) { return f.ReadContext(background, b) }

// ReadContext is Read with a context. If ctx is done before the read
// completes the read is cancelled and the error wraps ctx.Err().
func (f *File) ReadContext(ctx context.Context, b []byte) (n int, err error) {
	if err := f.checkValid("read"); err != nil {
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
	if err := f.checkValid("read"); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, &fs.PathError{Op: "readat", Path: f.name, Err: errors.New("negative offset")}
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
	if err := f.checkValid("write"); err != nil {
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
	if err := f.checkValid("write"); err != nil {
		return 0, err
	}
	if f.appendMode {
		return 0, errWriteAtInAppendMode
	}
	if off < 0 {
		return 0, &fs.PathError{Op: "writeat", Path: f.name, Err: errors.New("negative offset")}
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
	if err := f.checkValid("seek"); err != nil {
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

// Stat returns the FileInfo of the open file (IORING_OP_STATX on the fd).
func (f *File) Stat() (fs.FileInfo, error) { return f.StatContext(background) }

// StatContext is Stat with a context.
func (f *File) StatContext(ctx context.Context) (fs.FileInfo, error) {
	if f == nil {
		return nil, os.ErrInvalid
	}
	if err := f.acquire(); err != nil {
		return nil, f.wrapErr("stat", err)
	}
	defer f.release()
	var st unix.Statx_t
	err := f.ignoringEINTR(func() error {
		return f.loop.Statx(ctx, f.fd, "", unix.AT_EMPTY_PATH, statxMask, &st)
	})
	if err != nil {
		return nil, f.wrapErr("stat", err)
	}
	return newFileInfo(basename(f.name), &st), nil
}

// Sync commits the file to stable storage (IORING_OP_FSYNC).
func (f *File) Sync() error { return f.SyncContext(background) }

// SyncContext is Sync with a context.
func (f *File) SyncContext(ctx context.Context) error {
	return f.fdCall(ctx, "sync", func(ctx context.Context) error {
		return f.loop.Fsync(ctx, f.fd, false)
	})
}

// Truncate changes the size of the file (IORING_OP_FTRUNCATE); the offset is
// unchanged.
func (f *File) Truncate(size int64) error {
	return f.fdCall(background, "truncate", func(ctx context.Context) error {
		return f.loop.Ftruncate(ctx, f.fd, size)
	})
}

// Chmod changes the mode of the file (fchmod(2)).
func (f *File) Chmod(mode fs.FileMode) error {
	return f.fdCall(background, "chmod", func(context.Context) error {
		return unix.Fchmod(f.fd, syscallMode(mode))
	})
}

// Chown changes the owner of the file (fchown(2)).
func (f *File) Chown(uid, gid int) error {
	return f.fdCall(background, "chown", func(context.Context) error {
		return unix.Fchown(f.fd, uid, gid)
	})
}

// Chdir makes the file, a directory, the working directory (fchdir(2)).
func (f *File) Chdir() error {
	return f.fdCall(background, "chdir", func(context.Context) error {
		return unix.Fchdir(f.fd)
	})
}

// fdCall runs fn holding a reference, retrying EINTR, and wraps its error.
func (f *File) fdCall(ctx context.Context, op string, fn func(context.Context) error) error {
	if err := f.checkValid(op); err != nil {
		return err
	}
	if err := f.acquire(); err != nil {
		return f.wrapErr(op, err)
	}
	defer f.release()
	return f.wrapErr(op, f.ignoringEINTR(func() error { return fn(ctx) }))
}

// SetDeadline returns an error wrapping os.ErrNoDeadline: like regular files
// under os, a File has no deadlines. Use the Context methods to bound an
// operation.
func (f *File) SetDeadline(t time.Time) error { return f.setDeadline("SetDeadline") }

// SetReadDeadline: see SetDeadline.
func (f *File) SetReadDeadline(t time.Time) error { return f.setDeadline("SetReadDeadline") }

// SetWriteDeadline: see SetDeadline.
func (f *File) SetWriteDeadline(t time.Time) error { return f.setDeadline("SetWriteDeadline") }

func (f *File) setDeadline(op string) error {
	if err := f.checkValid(op); err != nil {
		return err
	}
	// os returns these two unwrapped, and so do we.
	if !f.state.incref() {
		return errClosing
	}
	f.release()
	return os.ErrNoDeadline
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
