//go:build !linux

package compat

import "os"

// SameFile reports whether fi1 and fi2 describe the same file, like
// os.SameFile. Here the FileInfo values this package returns are os's, so
// os.SameFile recognises them.
func SameFile(fi1, fi2 FileInfo) bool { return os.SameFile(fi1, fi2) }
