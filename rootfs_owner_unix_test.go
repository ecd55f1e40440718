//go:build unix

package uring

import (
	"fmt"
	"io/fs"
	"syscall"
)

// ownerOf shows fi's owner and group, for a snapshot that must tell a chown.
func ownerOf(fi fs.FileInfo) string {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return "owner=?"
	}
	return fmt.Sprintf("uid=%d gid=%d", st.Uid, st.Gid)
}
