package sched

import "github.com/uringfs/uring/internal/ring"

// CancelFd asks the kernel to cancel every operation in flight on fd, on
// every ring. It does not wait: the cancelled operations complete (with
// -ECANCELED, or their result if they finished first) to their own waiters.
// A File's Close uses it so that a read blocked on a pipe cannot hold Close
// forever.
func (l *Loop) CancelFd(fd int) {
	if l.backend != BackendURing {
		return
	}
	for _, s := range l.shards {
		s.cancelFd(fd)
	}
}

func (s *shard) cancelFd(fd int) {
	s.submitCancel(0, ring.AsyncCancelFd|ring.AsyncCancelAll, int32(fd))
	s.l.ctr().cancels.Add(1)
}
