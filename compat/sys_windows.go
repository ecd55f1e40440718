package compat

import "syscall"

// pipeFds returns the read and write ends of a new pipe, as os.Pipe makes
// it.
func pipeFds() (r, w uintptr, err error) {
	var p [2]syscall.Handle
	if err := syscall.Pipe(p[:]); err != nil {
		return 0, 0, NewSyscallError("pipe", err)
	}
	return uintptr(p[0]), uintptr(p[1]), nil
}

// setNonblock does nothing: Windows pipes have no such mode.
func setNonblock(uintptr) {}
