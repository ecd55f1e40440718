//go:build unix

package compat

import "syscall"

// pipeFds returns the read and write ends of a new close-on-exec pipe.
func pipeFds() (r, w uintptr, err error) {
	var p [2]int
	syscall.ForkLock.RLock()
	err = syscall.Pipe(p[:])
	if err == nil {
		syscall.CloseOnExec(p[0])
		syscall.CloseOnExec(p[1])
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return 0, 0, NewSyscallError("pipe", err)
	}
	return uintptr(p[0]), uintptr(p[1]), nil
}

// setNonblock puts fd into non-blocking mode.
func setNonblock(fd uintptr) { syscall.SetNonblock(int(fd), true) }
