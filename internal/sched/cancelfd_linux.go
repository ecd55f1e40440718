package sched

import "github.com/uringfs/uring/internal/ring"

// CancelFd asks the kernel to cancel every operation in flight on fd, on
// every ring. It does not wait: the cancelled operations complete (with
// -ECANCELED, or their result if they finished first) to their own waiters.
// A File's Close uses it so that a read blocked on a pipe cannot hold Close
// forever.
func (l *Loop) CancelFd(fd int) {
	if l.backend != BackendURing || l.enter() != nil {
		return // after Close nothing is in flight
	}
	defer l.leave()
	l.each(func(s *shard) {
		s.cancel([]cancelTarget{{flags: ring.AsyncCancelFd | ring.AsyncCancelAll, fd: fd}}, true)
	})
}
