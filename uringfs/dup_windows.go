package uringfs

import "syscall"

// dupHandle returns a duplicate of the handle h that child processes do
// not inherit.
func dupHandle(h uintptr) (uintptr, error) {
	p, err := syscall.GetCurrentProcess()
	if err != nil {
		return 0, err
	}
	var d syscall.Handle
	err = syscall.DuplicateHandle(p, syscall.Handle(h), p, &d, 0, false, syscall.DUPLICATE_SAME_ACCESS)
	if err != nil {
		return 0, err
	}
	return uintptr(d), nil
}
