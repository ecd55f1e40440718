package uringfs

import (
	"context"
	"io/fs"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/uringfs/uring/internal/ring"
	"github.com/uringfs/uring/internal/sched"
)

// maxDirectRead is the largest file readFileDirect reads in its one READ;
// larger files take the plain path, which reads in steps of sched.MaxRW.
const maxDirectRead = 64 << 20

// readFileDirect is ReadFile's fast path on io_uring: a stat(2) of the path,
// then OPENAT into a direct descriptor slot, READ of the whole file into the
// buffer that will be returned, CLOSE of the slot, as one linked chain in one
// io_uring_enter. os.ReadFile makes five system calls (openat, fstat, read,
// read to see end of file, close); this makes two and never puts a
// descriptor in the process's table.
//
// The stat picks what the chain may read: only regular files with a size.
// Reading a regular file again is harmless, so whenever the outcome is not
// plainly the whole file (the READ failed, came up short of the size stat
// reported, or found more: the file changed between the calls) ok is false
// and the caller starts over on the plain path, which then gives os's
// results and errors. Pipes, character devices and the like never get here:
// a read from them consumes data and could not be done over. Files whose
// stat size is 0 (empty ones, and those of /proc and /sys that make up
// their contents as they are read) take the plain path too.
//
// ok is true when data and err are ReadFile's answer: the file's contents,
// or the *fs.PathError of a failed OPENAT.
func readFileDirect(l *sched.Loop, name string) (data []byte, ok bool, err error) {
	if !l.DirectFiles() {
		return nil, false, nil
	}
	var st unix.Stat_t
	if ignoringEINTR(func() error { return unix.Stat(name, &st) }) != nil {
		return nil, false, nil // the plain path reports the open error as os does
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG || st.Size <= 0 || st.Size > maxDirectRead {
		return nil, false, nil
	}
	// One byte more than the size, so that a file that grew is noticed.
	buf := make([]byte, st.Size+1)
	open := sched.GetOp(ring.OpOpenat)
	read := sched.GetOp(ring.OpRead)
	closeOp := sched.GetOp(ring.OpClose)
	defer func() {
		sched.PutOp(open)
		sched.PutOp(read)
		sched.PutOp(closeOp)
	}()
	// A direct descriptor cannot be O_CLOEXEC (the kernel refuses the flag):
	// it is never in the process's table, so no exec can inherit it.
	open.Fd, open.Path, open.Flags, open.Direct = unix.AT_FDCWD, name, unix.O_RDONLY, true
	// The hard link runs the CLOSE also after a failed or short READ.
	read.Buf, read.Off, read.Direct, read.SQEFlags = buf, 0, true, ring.SQEIOHardlink
	closeOp.Direct = true
	chain := [3]*sched.Op{open, read, closeOp}
	ran, cerr := l.ChainDirect(context.Background(), chain[:])
	if !ran || cerr != nil {
		return nil, false, nil
	}
	if open.Res < 0 {
		errno := syscall.Errno(-open.Res)
		switch errno {
		case unix.EINTR, unix.EAGAIN, unix.ECANCELED:
			return nil, false, nil
		}
		return nil, true, &fs.PathError{Op: "open", Path: name, Err: errno}
	}
	if int64(read.Res) != st.Size {
		return nil, false, nil
	}
	return buf[:st.Size], true, nil
}
