// Package uring gives Go programs Linux io_uring file I/O behind the APIs
// they already use. This root package is the afero way in: [NewFs] returns
// an afero.Fs that drops in where afero.NewOsFs() was.
//
// # Three ways in
//
//   - As the os package: import os "github.com/uringfs/uring/compat" and a
//     program that opens, reads, writes and lists files keeps compiling and
//     behaving as before; see package compat for what of os it covers.
//   - As files: package uringfs has Open, Create, OpenFile, ReadFile, DirFS,
//     OpenRoot and the rest, returning *uringfs.File, which has the method
//     set of *os.File plus Context variants of its data methods.
//   - As an afero.Fs: uring.NewFs(), described here.
//
// All three share one hidden event loop, started on first use; see package
// uringfs for how it works, how to choose the backend (URINGFS_BACKEND) and
// what happens where io_uring is not available.
//
// # The afero adapter
//
// *Fs behaves as afero.OsFs does, and the test suite runs the same programs
// against both and compares every result, error and the files left on disk:
//
//   - Create, Open and OpenFile return a *uringfs.File as the afero.File, and
//     a nil interface on error (never a nil pointer inside a non-nil
//     interface).
//   - Errors are *fs.PathError or *os.LinkError holding the raw
//     syscall.Errno, exactly as os returns them. afero's CopyOnWriteFs
//     compares such errors with syscall.ENOENT, so this is what makes *Fs
//     work as its base or layer.
//   - *Fs implements afero.Lstater and afero.Symlinker: LstatIfPossible
//     reports true, as OsFs does.
//
// Relative names resolve against the process's working directory, as with
// OsFs; wrap the Fs in afero.NewBasePathFs to confine it to a directory
// (note that BasePathFs confines names lexically and does not stop symbolic
// links from leading out).
//
// # A contained afero.Fs
//
// [NewRootFs] is the afero.Fs to hand a directory to untrusted names:
// every path is resolved inside the directory by the kernel (openat2 with
// RESOLVE_BENEATH, through uringfs.Root), so "..", absolute symlinks and
// symlinks leading out are refused with os.Root's error, while names inside
// behave as under afero.NewBasePathFs(afero.NewOsFs(), dir).
//
// On systems other than Linux the files are *os.File values underneath and
// *Fs is then OsFs under another name.
package uring
