// Package uringfs is file I/O with the os package's API and semantics, run on
// a hidden Linux io_uring event loop.
//
// Swap os.Open for uringfs.Open (or os.OpenFile, os.Create, os.ReadFile, ...)
// and a program behaves the same, byte for byte and error for error, while
// many goroutines doing I/O at once share a few rings and a few OS threads
// instead of blocking one thread each. A *File has the method set of
// *os.File and implements io.ReaderAt, io.WriterAt, fs.File,
// fs.ReadDirFile, io.ReaderFrom, io.WriterTo, io.Seeker and io.StringWriter;
// its data methods also come in Context forms (ReadAtContext, ...).
//
// # What is here
//
//   - Files: Open, Create, OpenFile, NewFile and the *File methods.
//   - The os functions: ReadFile, WriteFile, Stat, Lstat, Mkdir, MkdirAll,
//     Remove, RemoveAll, Rename, Symlink, Readlink, Link, Chmod, Chown,
//     Lchown, Chtimes, Truncate, ReadDir, CreateTemp, MkdirTemp.
//   - DirFS, an fs.FS like os.DirFS (StatFS, ReadFileFS, ReadDirFS,
//     ReadLinkFS), with the same lack of symlink containment.
//   - OpenRoot and OpenInRoot: a Root with os.Root's method set whose every
//     path is resolved beneath its directory by the kernel (openat2 with
//     RESOLVE_BENEATH), so no name or symlink leads out.
//
// # The loop
//
// The first call starts a process-wide loop: by default one ring per P. A
// goroutine submits to the ring of the P it runs on; if the operation
// completes during submission (a page-cache hit) it returns at once,
// otherwise it parks until a completion wakes it. Where io_uring is refused
// (ENOSYS on an old or stripped kernel, EPERM under Docker's default
// seccomp profile or kernel.io_uring_disabled, or a kernel without the
// features the loop needs) the same API runs on plain system calls, and a
// single operation whose opcode the kernel's probe lacks runs as a system
// call on an otherwise io_uring loop. Backend (LoopBackend for the typed
// BackendKind) and FallbackReason tell which is in use; LoopCounters shows
// what the loop did.
//
// # Configuration
//
// Configure, called at the top of main before anything else of the
// package, sets the backend (BackendAuto, BackendURing, BackendSyscall), the
// number of rings and their size, the metadata policy, and OnFallback, a
// function told once, with the reason, when the loop falls back to system
// calls. Once the loop runs, Configure returns ErrLoopStarted. Environment
// variables fill in what Configure leaves zero, and are all a program that
// never calls it gets: URINGFS_BACKEND=syscall runs every operation as a
// plain system call, URINGFS_BACKEND=uring refuses to fall back (operations
// then fail with an error wrapping ErrUnavailable), URINGFS_RINGS=n sets
// the number of rings, URINGFS_METADATA=ring sends every metadata call to
// the ring. Shutdown closes the loop and stops its goroutines, for tests
// that check for leaks; the next call starts a new one. Files opened before
// Shutdown fail with ErrLoopClosed, except Close, which still releases the
// descriptor.
//
// # Differences from os
//
// Deadlines are not supported (SetDeadline returns os.ErrNoDeadline, as os
// does for regular files, also on pipes, where os would honour them); bound
// operations with the Context methods instead.
//
// Reads and writes of buffered files first try preadv2/pwritev2 with
// RWF_NOWAIT on the calling goroutine: a page-cache hit costs what it costs
// under os, and only what would block goes to the ring. Metadata calls the
// kernel would hand to its worker threads (stat, rename, unlink, mkdir,
// link) run as syscalls on the caller while few are in progress, and on the
// ring beyond that; Config.RingMetadata (URINGFS_METADATA=ring) sends them
// all to the ring. Close is close(2) on the caller, as under os.
// On systems other than Linux the package runs on the os package.
package uringfs
