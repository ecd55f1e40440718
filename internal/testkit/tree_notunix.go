//go:build !unix

package testkit

import "io/fs"

// owner has nothing to show where files have no uid and gid.
func owner(fs.FileInfo) string { return "" }

// nlink has nothing to show where files have no link count.
func nlink(fs.FileInfo) string { return "" }
