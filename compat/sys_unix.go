//go:build unix

package compat

import "syscall"

// dupFd returns a close-on-exec duplicate of fd.
func dupFd(fd uintptr) (uintptr, error) {
	// The fork lock keeps a concurrent fork from inheriting the duplicate
	// before it is marked close-on-exec, as os does where it lacks dup3.
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	d, err := syscall.Dup(int(fd))
	if err != nil {
		return 0, err
	}
	syscall.CloseOnExec(d)
	return uintptr(d), nil
}

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

// closeFd closes fd.
func closeFd(fd uintptr) { syscall.Close(int(fd)) }
