package compat

import "syscall"

// dupFd returns a duplicate of the handle fd that child processes do not
// inherit.
func dupFd(fd uintptr) (uintptr, error) {
	p, err := syscall.GetCurrentProcess()
	if err != nil {
		return 0, err
	}
	var h syscall.Handle
	err = syscall.DuplicateHandle(p, syscall.Handle(fd), p, &h, 0, false, syscall.DUPLICATE_SAME_ACCESS)
	if err != nil {
		return 0, err
	}
	return uintptr(h), nil
}

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

// closeFd closes the handle fd.
func closeFd(fd uintptr) { syscall.CloseHandle(syscall.Handle(fd)) }
