//go:build !linux

package ring

import "errors"

// ErrNotSupported is returned where io_uring does not exist: on every system
// but Linux this package offers nothing else.
var ErrNotSupported = errors.New("io_uring not supported")
