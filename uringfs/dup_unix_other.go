//go:build unix && !linux

package uringfs

import "syscall"

// dupHandle returns a close-on-exec duplicate of fd.
func dupHandle(fd uintptr) (uintptr, error) {
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
