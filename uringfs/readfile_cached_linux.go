package uringfs

import (
	"context"
	"io"
	"io/fs"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/uringfs/uring/internal/sched"
)

// callerPathOff turns the caller-side opens off (readFileCached,
// openCallerFirst), for tests of the ring's paths behind them.
var callerPathOff atomic.Bool

// readFileCached is ReadFile's first try on the io_uring backend: system
// calls on the caller that never wait for the device. The name is opened
// with sched's OpenCached, which fails at once when the lookup would need
// I/O, and a regular file's bytes are read with PreadNowait, which returns
// what the page cache holds; then close.
// For a file whose name and pages are cached that is the fallback backend's
// ReadFile, five system calls and nothing else, which is cheaper than the
// one-enter chain of readFileDirect: the kernel runs each link of a chain
// as task work, and at one file per io_uring_enter that costs as much
// kernel time as the system calls it replaces, with the ring's own work on
// top. Chains pay off when many files share an enter (ReadFiles).
//
// ok is false, with nothing done, when the name is not in the cache or the
// kernel lacks RESOLVE_CACHED: the caller then takes the ring's path, which
// waits for the lookup without holding a thread. Once the file is open,
// whatever would wait is read through the ring from the same descriptor:
// pages not in the cache, and every read of a file that is not a regular
// file (a FIFO, a terminal, a directory's EISDIR). Like os.Open, opening a
// FIFO that has no writer blocks until one comes.
func readFileCached(ctx context.Context, l *sched.Loop, name string) (data []byte, ok bool, err error) {
	if callerPathOff.Load() || !l.CachedOpens() {
		return nil, false, nil
	}
	fd, errno := l.OpenCached(unix.AT_FDCWD, name, unix.O_RDONLY|unix.O_CLOEXEC)
	switch errno {
	case 0:
	case unix.EAGAIN, unix.EINVAL:
		// Not cached, or a flag this kernel or file system refuses: the
		// ring's path answers, with os's errors.
		return nil, false, nil
	default:
		return nil, true, &fs.PathError{Op: "open", Path: name, Err: errno}
	}
	defer unix.Close(fd)

	// As in readFilePlain, the size is a hint for the buffer: a failed
	// fstat is not an error.
	var st unix.Stat_t
	var size int64
	regular := false
	if ignoringEINTR(func() error { return unix.Fstat(fd, &st) }) == nil {
		size, regular = st.Size, st.Mode&unix.S_IFMT == unix.S_IFREG
	}
	read := int64(0)
	data, err = readAll(size, func(b []byte) (int, error) {
		if regular {
			// At the file position (-1), as the ring's reads below.
			n, errno := l.PreadNowait(fd, b, -1)
			switch {
			case errno == 0 && (n > 0 || read >= size):
				read += int64(n)
				if n > 0 && n < len(b) && read == size {
					// A short read that stops at the size fstat gave is
					// the end: os would make one more read to see 0,
					// which could only see bytes appended since, as if
					// they had come after this call.
					return n, io.EOF
				}
				return n, nil
			case errno != 0 && errno != unix.EAGAIN && errno != unix.EOPNOTSUPP && errno != unix.EINTR:
				return 0, errno
			}
			// Would wait, or 0 bytes short of the size: the ring decides.
		}
		var n int
		err := ignoringEINTR(func() (err error) {
			n, err = l.Pread(ctx, fd, b, -1)
			return err
		})
		read += int64(n)
		return n, err
	})
	if err != nil {
		return data, true, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	return data, true, nil
}
