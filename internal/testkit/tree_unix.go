//go:build unix

package testkit

import (
	"fmt"
	"io/fs"
	"syscall"
)

// owner renders fi's uid and gid.
func owner(fi fs.FileInfo) string {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return "owner=?"
	}
	return fmt.Sprintf("uid=%d gid=%d", st.Uid, st.Gid)
}

// nlink renders fi's link count.
func nlink(fi fs.FileInfo) string {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return "nlink=?"
	}
	return fmt.Sprintf("nlink=%d", uint64(st.Nlink))
}
