// Package sched is the hidden event loop between uringfs and the kernel.
//
// A Loop runs operations (Op) on one of two backends:
//
//   - the io_uring backend: one or more rings, by default one per P
//     (GOMAXPROCS), each set up when its P first submits (the first P takes
//     the ring set up at start), so a program that touches a few files from
//     one goroutine costs one ring. Any goroutine submits to the ring of
//     the P it runs on and parks until its completion arrives.
//     Submission is flat-combined: the goroutine that gets a ring's submit
//     lock publishes every SQE queued so far with one io_uring_enter and
//     reaps every completion that is ready, so a lone caller whose operation
//     completes during submission (a page-cache hit) returns without
//     parking, and concurrent callers share syscalls. With 8 or more
//     operations in flight on the ring, a submitter yields once before it
//     enters, so that the goroutines queued behind it (woken by the same
//     reap) publish theirs first and one io_uring_enter carries them all.
//     A worker goroutine per ring sleeps in the Go netpoller on an eventfd
//     registered with the ring (never in io_uring_enter, which would hold a
//     P hostage) and reaps completions that arrive later. The eventfd is
//     kept quiet while nothing is outstanding. A caller alone on its ring
//     whose ops are all the ring has in flight waits instead inside
//     io_uring_enter(min_complete 1), as a blocking syscall that gives up
//     its P the way os's pread does, so the kernel wakes it directly rather
//     than through the eventfd, the netpoller and the worker; a submitter
//     arriving meanwhile enters for itself, and its completion wakes the
//     sleeper, who reaps it and goes back to parking. A goroutine that keeps
//     many operations in flight (Start) can do the same for all of them: it
//     starts its flights on one ring (a Lane) and waits in that ring's
//     io_uring_enter with Await, reaping its own completions, as fio does.
//   - the syscall backend: the same operations as plain system calls on the
//     calling goroutine. It is used when io_uring is unavailable (ENOSYS;
//     EPERM under seccomp or kernel.io_uring_disabled), for single opcodes the
//     kernel's probe lacks, and when URINGFS_BACKEND=syscall.
//
// # Invariants
//
// Buffers, paths and result structures referenced by an SQE are held by the
// Op until its CQE is reaped, and a call returns only after that, also when
// its context is cancelled (the loop submits IORING_OP_ASYNC_CANCEL and still
// waits). user_data carries a slot index and a generation so that a
// completion can never be delivered to a recycled slot. The number of slots
// per ring is the SQ size, which is at most the CQ size, so the SQ never fills
// and the CQ never overflows; a submitter that finds no free slot parks.
//
// # Policy that faces the kernel
//
// Everything that names an opcode, an SQE flag or a probed kernel feature
// lives here, so that uringfs only asks for operations in os terms: the op
// constructors (ReadOp, WriteOp, StatxOp, ...), the page-cache reads and
// cached-name opens made on the caller (PreadNowait, OpenCached), and the
// whole-file read chain on a direct descriptor slot (ReadChain).
//
// Errors are raw: operation results are syscall.Errno values (or context
// errors, or ErrClosed). Turning them into os-style errors is the caller's
// job. Every system call the loop makes itself (io_uring_enter, an op run
// on the caller or on the syscall backend) is retried here on EINTR
// (retryEINTR, enterLocked), so EINTR from the loop is always a CQE's: an
// io-wq worker interrupted, by a cancel (File.Close's CancelFd) or by the
// freezer. Only the caller knows whether its file is closing, so the
// caller decides whether to submit again (uringfs's File.ignoringEINTR).
// EAGAIN from a positional read or write of a seekable file never reaches
// the caller: the loop finishes it with the system call as os would
// (Loop.result).
//
// # Where things live
//
// shard_linux.go is one ring and its worker; submit_linux.go claims slots
// and writes SQEs (publish, the one writer) for every kind of submission;
// turn_linux.go enters, reaps and delivers; flight_linux.go and
// flight_feed_linux.go are Start's Flights; op_linux.go describes and
// prepares Ops, and calls_linux.go holds the typed calls (Pread, Openat,
// ...); syscalls_linux.go runs ops as system calls, on goroutines bounded
// by pool.go for flights; nowait_linux.go, readchain_linux.go and
// fixedfiles_linux.go are the caller-side and direct-descriptor fast
// paths; probe_linux.go probes the kernel features they need;
// faults_linux.go is the test fault plan applied at the ring boundary.
//
// On systems other than Linux the package holds only the goroutine pool
// (pool.go), which runs uringfs's Batches there: uringfs uses the os
// package for everything else.
package sched
