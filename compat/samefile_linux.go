package compat

import "syscall"

// SameFile reports whether fi1 and fi2 describe the same file: the same
// device and inode. Unlike os.SameFile it accepts FileInfo values from this
// package as well as from os (both carry a *syscall.Stat_t); for any other
// FileInfo it reports false, as os does.
func SameFile(fi1, fi2 FileInfo) bool {
	if fi1 == nil || fi2 == nil {
		return false
	}
	s1, ok1 := fi1.Sys().(*syscall.Stat_t)
	s2, ok2 := fi2.Sys().(*syscall.Stat_t)
	if !ok1 || !ok2 || s1 == nil || s2 == nil {
		return false
	}
	return s1.Dev == s2.Dev && s1.Ino == s2.Ino
}
