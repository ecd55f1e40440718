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
	i := <-s.cancelFree
	c := getOp(ring.OpAsyncCancel)
	c.detached = true
	s.sqMu.Lock()
	sqe := s.r.NextSQE()
	if sqe == nil {
		panic("sched: submission queue full with a free cancel slot")
	}
	sqe.PrepAsyncCancel(0, ring.AsyncCancelFd|ring.AsyncCancelAll)
	sqe.Fd = int32(fd)
	c.ud = s.assign(i, c)
	sqe.UserData = c.ud
	s.sqMu.Unlock()
	s.pending.Add(1)
	s.l.counters.cancels.Add(1)
	s.combine()
}
