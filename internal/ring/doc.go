// Package ring is a thin binding to one Linux io_uring instance.
//
// It owns the kernel ABI: the structures shared with the kernel (SQE, CQE,
// setup parameters, the probe, open_how), the setup and mmap of the
// submission and completion queues, SQE preparation for the opcodes the
// project uses, io_uring_enter and io_uring_register. golang.org/x/sys/unix
// provides only the syscall numbers for io_uring, so every constant and
// structure is defined here under the kernel's own names, with a layout test
// pinning sizes and offsets.
//
// The package is mechanism only. It knows nothing about goroutines, files as
// objects or scheduling policy: a Ring is not safe for concurrent use, and the
// caller (internal/sched) serialises access to the submission queue and to the
// completion queue.
//
// # Memory
//
// Pointers written into an SQE (buffers, paths, iovecs, statx results) are
// stored as integers. The caller must keep the memory they point to reachable
// and unmoved until the matching CQE has been reaped; Go's heap does not move
// objects, so holding a reference in a heap object is sufficient.
//
// On systems other than Linux the package declares only ErrNotSupported.
package ring
