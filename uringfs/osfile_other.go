//go:build !linux

package uringfs

import (
	"errors"
	"io/fs"
	"os"
)

// FromOS would return a File over a duplicate of f's descriptor, as it does
// on Linux, where f stays the caller's to close and closing either one
// leaves the other open. Duplicating a descriptor takes code for each
// system (dup on Unix, DuplicateHandle on Windows) that this build does not
// have yet, and sharing f instead would change what Close does: here FromOS
// reports a *PathError wrapping errors.ErrUnsupported. A nil f gives
// os.ErrInvalid and a closed one a *PathError wrapping os.ErrClosed, as on
// Linux.
func FromOS(f *os.File) (*File, error) {
	return nil, dupUnsupported(f)
}

// OSFile would return a new *os.File over a duplicate of f's descriptor, as
// it does on Linux, where closing either one leaves the other open. As with
// FromOS, this build cannot duplicate a descriptor yet: OSFile reports a
// *PathError wrapping errors.ErrUnsupported, after the errors *os.File
// methods give (os.ErrInvalid for a nil File, os.ErrClosed for a closed
// one).
func (f *File) OSFile() (*os.File, error) {
	return nil, dupUnsupported(f.inner())
}

// dupUnsupported is the error of a duplication asked of f.
func dupUnsupported(f *os.File) error {
	if f == nil {
		return os.ErrInvalid
	}
	err := errors.ErrUnsupported
	rc, cerr := f.SyscallConn()
	if cerr == nil {
		cerr = rc.Control(func(uintptr) {})
	}
	if cerr != nil {
		err = os.ErrClosed // Control fails only on a closed file
	}
	return &fs.PathError{Op: "dup", Path: f.Name(), Err: err}
}
