//go:build !unix && !windows

package compat

import "syscall"

// pipeFds fails as os.Pipe does on this system.
func pipeFds() (r, w uintptr, err error) {
	return 0, 0, NewSyscallError("pipe", syscall.ENOSYS)
}

// setNonblock does nothing here.
func setNonblock(uintptr) {}
