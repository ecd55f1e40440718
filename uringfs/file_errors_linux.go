package uringfs

// The errors File methods report: wrapErr, which gives them the form users
// see, the nil check, and the closing error that Close's interruptions turn
// into.

import (
	"errors"
	"io"
	"io/fs"
	"math"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

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

// checkValid returns os.ErrInvalid for a nil File, as os's checkValid does.
// It does not look for a closed file: acquire refuses one, in the same
// atomic step that would otherwise take the reference.
func (f *File) checkValid() error {
	if f == nil {
		return os.ErrInvalid
	}
	return nil
}

// wrapErr is the single place where the errors of File methods and of
// Batch operations on a File take the form users see. It accepts a nil
// File, for which it reports os.ErrInvalid, as a nil *os.File does: a
// Batch operation handed a nil File fails through here like the rest.
func (f *File) wrapErr(op string, err error) error {
	if err == nil || err == io.EOF {
		return err
	}
	if f == nil {
		return os.ErrInvalid
	}
	if err == errClosing {
		err = os.ErrClosed
	}
	return &fs.PathError{Op: op, Path: f.name, Err: err}
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
