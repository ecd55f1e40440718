//go:build !unix && !windows

package uringfs

import "errors"

// dupHandle reports that this system (wasip1, js) cannot duplicate a
// descriptor.
func dupHandle(uintptr) (uintptr, error) { return 0, errors.ErrUnsupported }
