//go:build !linux

package uringfs

import (
	"context"
	"sync/atomic"
)

// readFilesDirect needs io_uring's direct descriptors: never here.
func readFilesDirect(context.Context, []string, *atomic.Int64, <-chan struct{}, func([]fileResult) bool) bool {
	return false
}
