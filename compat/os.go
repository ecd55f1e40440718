package compat

import (
	"io/fs"
	"os"
)

// Flags for OpenFile, os's own. Exactly one of O_RDONLY, O_WRONLY or O_RDWR
// must be given; the others may be or-ed in.
const (
	O_RDONLY int = os.O_RDONLY // open the file read-only
	O_WRONLY int = os.O_WRONLY // open the file write-only
	O_RDWR   int = os.O_RDWR   // open the file read-write
	O_APPEND int = os.O_APPEND // append data to the file when writing
	O_CREATE int = os.O_CREATE // create a new file if none exists
	O_EXCL   int = os.O_EXCL   // with O_CREATE, the file must not exist
	O_SYNC   int = os.O_SYNC   // open for synchronous I/O
	O_TRUNC  int = os.O_TRUNC  // truncate a regular writable file when opened
)

// Seek whence values.
//
// Deprecated: Use io.SeekStart, io.SeekCurrent, and io.SeekEnd, as os says.
const (
	SEEK_SET int = os.SEEK_SET // seek relative to the origin of the file
	SEEK_CUR int = os.SEEK_CUR // seek relative to the current offset
	SEEK_END int = os.SEEK_END // seek relative to the end
)

// Separators of this operating system, os's own.
const (
	PathSeparator     = os.PathSeparator     // separator of path elements
	PathListSeparator = os.PathListSeparator // separator of paths in a list such as $PATH
)

// DevNull is the name of the operating system's null device.
const DevNull = os.DevNull

// The file mode bits, os's (and io/fs's) own.
const (
	ModeDir        = fs.ModeDir        // d: is a directory
	ModeAppend     = fs.ModeAppend     // a: append-only
	ModeExclusive  = fs.ModeExclusive  // l: exclusive use
	ModeTemporary  = fs.ModeTemporary  // T: temporary file; Plan 9 only
	ModeSymlink    = fs.ModeSymlink    // L: symbolic link
	ModeDevice     = fs.ModeDevice     // D: device file
	ModeNamedPipe  = fs.ModeNamedPipe  // p: named pipe (FIFO)
	ModeSocket     = fs.ModeSocket     // S: Unix domain socket
	ModeSetuid     = fs.ModeSetuid     // u: setuid
	ModeSetgid     = fs.ModeSetgid     // g: setgid
	ModeCharDevice = fs.ModeCharDevice // c: Unix character device, when ModeDevice is set
	ModeSticky     = fs.ModeSticky     // t: sticky
	ModeIrregular  = fs.ModeIrregular  // ?: non-regular file; nothing else is known about this file

	ModeType = fs.ModeType // mask for the type bits
	ModePerm = fs.ModePerm // Unix permission bits, 0o777
)

// The error values os's functions and this package's return; they are the
// same values, so errors.Is against either package's works.
var (
	ErrInvalid          = os.ErrInvalid          // "invalid argument"
	ErrPermission       = os.ErrPermission       // "permission denied"
	ErrExist            = os.ErrExist            // "file already exists"
	ErrNotExist         = os.ErrNotExist         // "file does not exist"
	ErrClosed           = os.ErrClosed           // "file already closed"
	ErrNoDeadline       = os.ErrNoDeadline       // "file type does not support deadline"
	ErrDeadlineExceeded = os.ErrDeadlineExceeded // "i/o timeout"
	ErrProcessDone      = os.ErrProcessDone      // "os: process already finished"
	ErrNoHandle         = os.ErrNoHandle         // "os: process handle unavailable"
)

// Args holds the command-line arguments, starting with the program name. It
// is a copy of os.Args made at initialisation: assigning to one does not
// change the other.
var Args = os.Args

// Types shared with os and io/fs. They are aliases, so values move freely
// between this package and code written for os.
type (
	// FileMode is a file's mode and permission bits.
	FileMode = fs.FileMode
	// FileInfo describes a file, as returned by Stat and Lstat.
	FileInfo = fs.FileInfo
	// DirEntry is an entry read from a directory.
	DirEntry = fs.DirEntry
	// PathError records an error and the operation and path that caused it.
	PathError = fs.PathError
	// LinkError records an error during a link, symlink or rename and the
	// paths that caused it.
	LinkError = os.LinkError
	// SyscallError records an error from a named system call.
	SyscallError = os.SyscallError
)

// IsExist reports whether err says a file already exists, like os.IsExist.
// New code should use errors.Is(err, ErrExist).
func IsExist(err error) bool { return os.IsExist(err) }

// IsNotExist reports whether err says a file does not exist, like
// os.IsNotExist. New code should use errors.Is(err, ErrNotExist).
func IsNotExist(err error) bool { return os.IsNotExist(err) }

// IsPermission reports whether err says permission is denied, like
// os.IsPermission. New code should use errors.Is(err, ErrPermission).
func IsPermission(err error) bool { return os.IsPermission(err) }

// IsTimeout reports whether err says a timeout occurred, like os.IsTimeout.
func IsTimeout(err error) bool { return os.IsTimeout(err) }

// IsPathSeparator reports whether c is a directory separator character.
func IsPathSeparator(c uint8) bool { return os.IsPathSeparator(c) }

// NewSyscallError returns a *SyscallError for the named system call and err,
// or nil if err is nil, like os.NewSyscallError.
func NewSyscallError(syscall string, err error) error { return os.NewSyscallError(syscall, err) }
