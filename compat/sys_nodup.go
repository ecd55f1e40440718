//go:build !unix && !windows

package compat

import (
	"errors"
	"syscall"
)

// dupFd reports that this system cannot duplicate a descriptor.
func dupFd(uintptr) (uintptr, error) { return 0, errors.ErrUnsupported }

// pipeFds fails as os.Pipe does on this system.
func pipeFds() (r, w uintptr, err error) {
	return 0, 0, NewSyscallError("pipe", syscall.ENOSYS)
}

// setNonblock does nothing here.
func setNonblock(uintptr) {}

// closeFd is never called here: dupFd makes nothing to close.
func closeFd(uintptr) {}
