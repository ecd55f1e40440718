package uringfs

// A File's lifetime: the references calls hold on the descriptor, and Close,
// which releases it only once no call holds it.

import (
	"os"
	"runtime"
	"time"

	"golang.org/x/sys/unix"

	"github.com/uringfs/uring/internal/sched"
)

// acquire takes a reference on the descriptor for the length of one call.
func (f *File) acquire() error {
	if !f.state.incref() {
		return errClosing
	}
	return nil
}

// release drops the reference; the last one out after a Close that could
// not wait releases the descriptor.
func (f *File) release() {
	if f.state.decref() {
		f.file.destroy()
	}
}

// Close closes the file. The descriptor is released only after every
// operation in flight on it has returned, so its number can never receive
// another file's I/O. On io_uring, Close cancels what the kernel can cancel
// (reads blocked on a pipe, which then fail with os.ErrClosed) and waits for
// the rest. On the syscall backend a FIFO or socket is in non-blocking mode,
// as os puts it: Close wakes a Read or Write waiting on it and waits for it.
// A read(2) blocked on a blocking descriptor (from NewFile, or after Fd)
// cannot be interrupted: as os does, Close returns at once and the last
// operation to finish releases the descriptor. A second Close returns an
// error wrapping os.ErrClosed.
func (f *File) Close() error {
	if err := f.checkValid(); err != nil {
		return err
	}
	// Once f.file is loaded, f itself is dead to the compiler; if the GC
	// then ran f's cleanup before close sets the closed bit, this first
	// Close would report the file already closed.
	defer runtime.KeepAlive(f)
	return f.wrapErr("close", f.file.close())
}

// close is Close for the file and for its cleanup, which has no File left;
// its error is bare, for Close to wrap.
func (file *file) close() error {
	first, busy := file.state.markClosed()
	if !first {
		return os.ErrClosed
	}
	file.cleanup.Stop()
	file.stopPoller() // wakes a Read or Write waiting for readiness
	if busy {
		l := file.runningLoop()
		switch {
		case l != nil && l.Backend() == sched.BackendURing:
			file.cancelUntilDrained(l)
		case file.nonblock.Load():
			// stopPoller has woken whatever waited for readiness, and no
			// call on a non-blocking descriptor waits for long: as os does
			// for a descriptor in its poller, Close returns only once the
			// operations are done with it.
			<-file.state.drained()
		case file.state.deferRelease():
			// Plain syscalls cannot be interrupted: a read(2) blocked on a
			// pipe holds its reference until data or EOF arrives. As os does
			// with a blocking descriptor, Close returns now and the last
			// operation to finish releases the descriptor.
			return nil
		}
	}
	return file.destroy()
}

// cancelUntilDrained cancels the ring's requests on the descriptor until
// the last operation has let go of it. One cancel is not enough: an
// operation that took its reference before Close but reaches the ring after
// the cancel (it was still trying the page cache on the caller, say) would
// then wait for good on a pipe with no writer. Such an operation is in the
// ring moments later, so the cancel is repeated, at growing intervals, for
// as long as references remain.
func (file *file) cancelUntilDrained(l *sched.Loop) {
	l.CancelFd(file.fd)
	wait := 2 * time.Millisecond
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		select {
		case <-file.state.drained():
			return
		case <-timer.C:
			l.CancelFd(file.fd)
			wait = min(2*wait, 100*time.Millisecond)
			timer.Reset(wait)
		}
	}
}

// destroy releases the descriptor once no operation uses it. Its error is
// bare, for Close to wrap.
func (file *file) destroy() error {
	if info := file.dirinfo.Swap(nil); info != nil {
		info.close()
	}
	// close(2) is not retried on EINTR: the descriptor is gone either way.
	var err error
	if l := file.runningLoop(); l != nil {
		err = l.CloseFd(file.fd)
	} else {
		err = unix.Close(file.fd)
	}
	if err != nil && err != unix.EINTR {
		return err
	}
	return nil
}
