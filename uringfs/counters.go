package uringfs

// Counters is a snapshot of what the process-wide event loop has done since
// it started, as LoopCounters returns it. Every count only grows, so the
// difference between two snapshots describes the work in between: how many
// operations went through the loop, how many of them each system call into
// io_uring carried, and how often a caller had to wait. The counts explain
// performance; they are not an account of all I/O: reads and writes that
// the page cache answers on the calling goroutine never enter the loop and
// are counted apart (NowaitHits, CachedReads).
//
// On the syscall backend (see Backend) operations are counted in Ops, and
// the counts that describe rings (Enters, SQEs, Inline, Parks, Wakeups,
// SlotWaits, KernelWaits, Wakes) stay zero. On systems other than Linux
// every count is zero.
//
// Stats returns the same counts together with the rings' gauges and
// tables by kind of operation (see LoopStats).
type Counters struct {
	// Ops is the number of operations handed to the loop: reads, writes,
	// opens, stats, syncs and the rest, each step of a linked chain or of
	// a Batch counting as one.
	Ops uint64
	// Enters is the number of io_uring_enter system calls made to pass
	// operations to the kernel. SQEs divided by Enters is how many
	// operations one such call carried on average: the batching.
	Enters uint64
	// SQEs is the number of requests the kernel took from the rings'
	// submission queues: one per operation sent to a ring, plus the loop's
	// own cancellation and wake-up requests (Cancels, Wakes).
	SQEs uint64
	// Inline is the number of submissions (one operation, or a whole linked
	// chain) that had completed by the time their caller would have waited
	// for them, so that the caller went on without sleeping, as operations
	// the kernel finishes during submission usually do.
	Inline uint64
	// Parks is the number of submissions whose caller had to wait for the
	// kernel to complete them, with its goroutine parked until a ring's
	// completion reaper woke it or asleep in io_uring_enter (KernelWaits).
	Parks uint64
	// Wakeups is the number of times a ring's completion reaper woke up to
	// collect completions for callers that were waiting for them.
	Wakeups uint64
	// Cancels is the number of cancellation requests sent to the kernel:
	// for operations whose context was cancelled (also those of a Batch)
	// and for those still running on a file being closed.
	Cancels uint64
	// Fallbacks is the number of operations the io_uring backend ran as
	// plain system calls because the kernel's io_uring cannot run them: it
	// lacks the operation, or the direct descriptors a chain needs could
	// not be set up.
	Fallbacks uint64
	// Retries is the number of times the loop repeated work the kernel
	// turned away for the moment: an io_uring_enter that was interrupted or
	// refused for lack of resources, and a read or write of a file opened
	// with O_NONBLOCK that the ring answered with EAGAIN where os would
	// have waited, redone as a plain system call.
	Retries uint64
	// OnCaller is the number of operations the io_uring backend ran as plain
	// system calls on the calling goroutine because the kernel would only
	// hand them on to one of its worker threads: metadata calls (stat,
	// rename, unlink, mkdir, symlink, link), which are also in Ops, and
	// buffered writes that could not finish without waiting (see
	// NowaitMisses), which are not; and closes, also in Ops, which the
	// ring would run no faster than close(2).
	OnCaller uint64
	// SlotWaits is the number of submissions that had to wait for room: a
	// ring already had as many operations in flight as it holds, or no
	// direct descriptor was free. It is backpressure, not an error; a high
	// count says the loop was saturated.
	SlotWaits uint64
	// NowaitHits is the number of buffered reads and writes of a File
	// finished on the calling goroutine by preadv2 or pwritev2 with
	// RWF_NOWAIT, which succeeds only when the page cache can serve the
	// request at once. They do not pass through a ring and are not in Ops.
	NowaitHits uint64
	// NowaitMisses is the number of those RWF_NOWAIT attempts the kernel
	// refused because the operation would have had to wait (for the device,
	// or for memory). A refused read then goes to the ring and is in Ops; a
	// refused write runs as in OnCaller.
	NowaitMisses uint64
	// CachedReads is the number of reads of files whose recent reads all
	// came from the page cache, made with a plain pread on the calling
	// goroutine without the RWF_NOWAIT attempt. Now and then a read of
	// such a file is made with RWF_NOWAIT instead (and counted in
	// NowaitHits or NowaitMisses), so that a file that leaves the page
	// cache is noticed.
	CachedReads uint64
	// ColdReads is the number of reads of files whose recent reads all
	// missed the page cache, sent to a ring without the RWF_NOWAIT
	// attempt, which would only have been refused. Now and then a read of
	// such a file tries RWF_NOWAIT (and is counted in NowaitHits or
	// NowaitMisses), so that pages coming into the cache are noticed.
	ColdReads uint64
	// KernelWaits is the number of waits a caller spent asleep inside
	// io_uring_enter for its own completions rather than with its goroutine
	// parked. The loop waits so when the caller is alone on its ring: the
	// completion then wakes the caller's own thread, with no hand-off
	// through the reaper.
	KernelWaits uint64
	// Wakes is the number of no-op requests the loop submitted to wake a
	// caller asleep in io_uring_enter (see KernelWaits) because what it
	// waits for happened without a completion that would wake it, such as
	// a completion another thread collected.
	Wakes uint64
}
