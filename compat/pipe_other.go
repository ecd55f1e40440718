//go:build !linux

package compat

// pipeNonblock reports that Pipe makes its descriptors non-blocking: uringfs
// runs on os here, and os.NewFile waits for a non-blocking descriptor in the
// runtime poller, as it does for os.Pipe's.
func pipeNonblock() bool { return true }
