package compat

import "github.com/uringfs/uring/uringfs"

// pipeNonblock reports whether Pipe puts its descriptors in non-blocking
// mode: on the syscall backend, where uringfs waits for a non-blocking
// descriptor in the runtime poller as os does, and not on io_uring, whose
// ring waits for a blocking one without holding a thread.
func pipeNonblock() bool {
	b, err := uringfs.Backend()
	return err == nil && b != "uring"
}
