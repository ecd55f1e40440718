package uringfs

// The bridge to *os.File, both ways: FromOS adopts a duplicate of an
// *os.File's descriptor, OSFile hands out an *os.File over a duplicate of
// ours.

import (
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// FromOS returns a File over a duplicate of f's descriptor (dup with
// F_DUPFD_CLOEXEC), so that anything handed an *os.File, os.Stdin among them,
// can run its I/O through this package.
//
// Ownership: f stays the caller's, to close when it likes; the File owns only
// its duplicate. Closing either one leaves the other open. The two share
// what dup(2) shares: the file offset, the status flags (O_APPEND,
// O_NONBLOCK) and any lock taken with flock(2).
//
// FromOS does not change the blocking mode of the open file, which f and
// every other holder of it (a shell, a parent process) see too: a pipe or
// terminal os left blocking, as it leaves os.Stdin, stays blocking, and on the
// syscall backend Close cannot interrupt a Read waiting on it (see Close).
// A FIFO or socket os opened itself is already non-blocking and behaves as
// one this package opened.
//
// FromOS starts no loop: the File's operations run on the process loop of
// the moment, started by the first of them if none runs, and go on running
// after a Shutdown, on the loop the next operation starts. A program can
// therefore adopt files (compat does, for its standard streams, when it is
// initialised) and still Configure the loop before first use.
//
// A nil f gives os.ErrInvalid; a closed one a *PathError wrapping
// os.ErrClosed. To adopt a bare descriptor, taking ownership of it, use
// NewFile.
func FromOS(f *os.File) (*File, error) {
	if f == nil {
		return nil, os.ErrInvalid
	}
	fd, err := dupOSFile(f)
	if err != nil {
		return nil, &fs.PathError{Op: "dup", Path: f.Name(), Err: err}
	}
	return newFile(fd, f.Name(), nil, statusFlags(fd)), nil
}

// dupOSFile returns a close-on-exec duplicate of f's descriptor, or
// os.ErrClosed if f is closed.
func dupOSFile(f *os.File) (int, error) {
	sc, err := f.SyscallConn()
	if err != nil {
		return -1, err
	}
	fd := -1
	cerr := sc.Control(func(s uintptr) {
		fd, err = unix.FcntlInt(s, unix.F_DUPFD_CLOEXEC, 0)
	})
	if cerr != nil {
		err = cerr
		if err == errClosing {
			err = os.ErrClosed
		}
	}
	return fd, err
}

// OSFile returns a new *os.File, named f.Name(), over a duplicate of f's
// descriptor (dup with F_DUPFD_CLOEXEC), for APIs typed *os.File:
// exec.Cmd.ExtraFiles, net.FileConn, file-locking and mmap libraries.
//
// Ownership: the *os.File is the caller's to close. Closing it leaves f
// open, and closing f leaves it open. Like net.TCPConn.File, it shares what
// dup(2) shares with f: the file offset (a Read on one moves the other's),
// the status flags and flock(2) locks. Calling Fd on it, as os/exec does for
// ExtraFiles, puts a non-blocking descriptor into blocking mode for f too,
// as f.Fd would.
//
// A nil f gives os.ErrInvalid and a closed one a *PathError wrapping
// os.ErrClosed, as the methods of *os.File do.
func (f *File) OSFile() (*os.File, error) {
	if err := f.checkValid(); err != nil {
		return nil, err
	}
	if err := f.acquire(); err != nil {
		return nil, f.wrapErr("dup", err)
	}
	defer f.release()
	fd, err := unix.FcntlInt(uintptr(f.fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, f.wrapErr("dup", err)
	}
	return os.NewFile(uintptr(fd), f.name), nil
}
