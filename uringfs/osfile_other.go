//go:build !linux

package uringfs

import (
	"io/fs"
	"os"
)

// FromOS returns a File over a duplicate of f's descriptor, as on Linux: f
// stays the caller's to close, and closing either one leaves the other
// open; the two share the file offset and status flags. A nil f gives
// os.ErrInvalid and a closed one a *PathError wrapping os.ErrClosed.
func FromOS(f *os.File) (*File, error) {
	d, err := dupFile(f)
	if err != nil {
		return nil, err
	}
	return &File{f: d}, nil
}

// OSFile returns a new *os.File over a duplicate of f's descriptor, as on
// Linux: it is the caller's to close, and closing either one leaves the
// other open.
func (f *File) OSFile() (*os.File, error) { return dupFile(f.inner()) }

// dupFile returns a new *os.File, named as f, over a duplicate of f's
// descriptor (dupHandle: one per system).
func dupFile(f *os.File) (*os.File, error) {
	if f == nil {
		return nil, os.ErrInvalid
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, &fs.PathError{Op: "dup", Path: f.Name(), Err: err}
	}
	var d uintptr
	var derr error
	if err := rc.Control(func(h uintptr) { d, derr = dupHandle(h) }); err != nil {
		// Control fails only on a closed file.
		return nil, &fs.PathError{Op: "dup", Path: f.Name(), Err: os.ErrClosed}
	}
	if derr != nil {
		return nil, &fs.PathError{Op: "dup", Path: f.Name(), Err: derr}
	}
	return os.NewFile(d, f.Name()), nil
}
