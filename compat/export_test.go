package compat

// StdFile exposes stdFile, so that a test can close a standard-stream File
// without closing the package's own.
var StdFile = stdFile
