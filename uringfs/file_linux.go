package uringfs

// The File type, its constructors, and the opening of files by name.

import (
	"context"
	"io"
	"io/fs"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"

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
	// loop is the loop the file was opened on. A File adopted with FromOS
	// has none: it runs on the process loop of the moment (opLoop), so that
	// adopting one (compat's standard streams, at init) starts no loop.
	loop     *sched.Loop
	state    fdState
	rmu, wmu sync.Mutex // serialise Read and Write, which move the file offset
	dirinfo  atomic.Pointer[dirInfo]
	cleanup  runtime.Cleanup

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

// opLoop returns the loop to run the file's next operation on: the one it
// was opened on, or the process loop, started if need be.
func (f *file) opLoop() (*sched.Loop, error) {
	if f.loop != nil {
		return f.loop, nil
	}
	return loop()
}

// runningLoop is opLoop for Close: it never starts a loop, and is nil for
// a File without one when no loop runs (nothing can be in flight then).
func (f *file) runningLoop() *sched.Loop {
	if f.loop != nil {
		return f.loop
	}
	return sched.Running()
}

// newFile returns a File for fd, whose file status flags (F_GETFL: O_APPEND,
// O_DIRECT, O_NONBLOCK) are fl.
func newFile(fd int, name string, l *sched.Loop, fl int) *File {
	f := &File{&file{fd: fd, name: name, loop: l, appendMode: fl&unix.O_APPEND != 0, direct: fl&unix.O_DIRECT != 0}}
	f.nonblock.Store(fl&unix.O_NONBLOCK != 0)
	f.cleanup = runtime.AddCleanup(f, func(inner *file) { inner.close() }, f.file)
	return f
}

// statusFlags returns the file status flags of a descriptor this package did
// not open itself (F_GETFL), or 0 if the kernel will not say.
func statusFlags(fd int) int {
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		return 0
	}
	return fl
}

// newOpenedFile is newFile for a descriptor this package opened with flag,
// whose status flags are flag's: an open either takes O_DIRECT or fails, so
// no fcntl is needed to learn them.
// os puts a FIFO or socket it opens into non-blocking mode and waits for it
// in the runtime poller, so that Close wakes a Read or Write waiting on it.
// The io_uring backend waits in the ring, which Close cancels; on plain
// syscalls the descriptor is made non-blocking as os's is, and pollIO waits.
func newOpenedFile(fd int, name string, l *sched.Loop, flag int) *File {
	if l.Backend() != sched.BackendURing && flag&unix.O_NONBLOCK == 0 {
		var st unix.Stat_t
		if unix.Fstat(fd, &st) == nil {
			if t := st.Mode & unix.S_IFMT; t == unix.S_IFIFO || t == unix.S_IFSOCK {
				if unix.SetNonblock(fd, true) == nil {
					flag |= unix.O_NONBLOCK
				}
			}
		}
	}
	return newFile(fd, name, l, flag)
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
	return newFile(int(fd), name, l, statusFlags(int(fd)))
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
