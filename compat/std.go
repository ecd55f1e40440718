package compat

// The standard streams.

import (
	"os"
	"syscall"

	"github.com/uringfs/uring/uringfs"
)

// Stdin, Stdout and Stderr are *File values for the standard input, output
// and error descriptors, so that a program can keep them and the files it
// creates in one variable, as it does with os:
//
//	var w *os.File = os.Stdout
//	if name != "-" {
//		w, err = os.Create(name)
//	}
//
// Each is a File over its own duplicate of the descriptor (dup(2), close on
// exec), made when the package is initialised, not over the descriptor
// itself: os.Stdout and the rest of the process (fmt.Print through os, log,
// the runtime's own messages) keep using descriptors 0 to 2, so this package
// must never close them. Closing Stdout here closes the duplicate: later
// writes to Stdout fail with ErrClosed, as with os, but descriptor 1 stays
// open until the process exits, where os.Stdout.Close would close it. Fd
// returns the duplicate's number, not 0, 1 or 2. Both share one open file
// description, so they share the file offset and the status flags: reads
// and writes through either stay in order.
//
// Reads and writes run on the loop like those of any File. A pipe or
// terminal left in blocking mode (the usual case, and what os leaves it)
// waits in the ring, not on a thread; on the syscall backend it waits on a
// thread, as os.Stdin's read does. A regular file as standard input is read
// at its current offset, as os reads it.
//
// The values are made once; if a duplicate cannot be made (the descriptor
// table is full, or the system has no dup), the File owns the descriptor
// itself, as os.Stdin does. Assigning to one of these variables does not
// change os's, and does not close the File it held.
var (
	Stdin  = stdFile(os.Stdin, uintptr(syscall.Stdin), "/dev/stdin")
	Stdout = stdFile(os.Stdout, uintptr(syscall.Stdout), "/dev/stdout")
	Stderr = stdFile(os.Stderr, uintptr(syscall.Stderr), "/dev/stderr")
)

// stdFiles holds the Files made for the standard streams, so that a File a
// program replaced by assigning to Stdout is never collected: its cleanup
// would close its descriptor, which may be the stream itself.
var stdFiles []*File

// stdFile returns a File over a duplicate of the standard stream f
// (uringfs.FromOS), or over fd itself where no duplicate can be made.
func stdFile(f *os.File, fd uintptr, name string) *File {
	nf, err := uringfs.FromOS(f)
	if err != nil {
		nf = NewFile(fd, name)
	}
	stdFiles = append(stdFiles, nf)
	return nf
}
