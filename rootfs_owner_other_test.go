//go:build !unix

package uring

import "io/fs"

// ownerOf has no owner to show where files have no uid and gid.
func ownerOf(fs.FileInfo) string { return "" }
