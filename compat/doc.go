// Package compat is the os package's file API running on io_uring, shaped so
// that changing one import line moves a program onto it:
//
//	import os "github.com/uringfs/uring/compat"
//
// Everything a file-handling program takes from os is here under the same
// name, with the same signature and the same results and errors: files and
// directories come from package uringfs (File is *uringfs.File, whose I/O
// runs on the hidden io_uring loop), and the rest (constants, error values,
// types, environment and process information) is os's own, re-exported.
//
// # What it covers
//
// From uringfs, on the loop: Open, Create, OpenFile, NewFile, ReadFile,
// WriteFile, Stat, Lstat, Mkdir, MkdirAll, Remove, RemoveAll, Rename,
// Symlink, Readlink, Link, Chmod, Chown, Lchown, Chtimes, Truncate, ReadDir,
// CreateTemp, MkdirTemp, DirFS, OpenRoot, OpenInRoot, and the types File and
// Root. *File has every method of *os.File with the same signature.
//
// This package's own, on the loop, with os's semantics: Stdin, Stdout,
// Stderr, Pipe, CopyFS and SameFile (below).
//
// From os, unchanged: the O_* flags, the SEEK_* constants (deprecated in
// os), PathSeparator, PathListSeparator, DevNull, the Mode* bits; ErrInvalid,
// ErrPermission, ErrExist, ErrNotExist, ErrClosed, ErrNoDeadline,
// ErrDeadlineExceeded, ErrProcessDone, ErrNoHandle; the types FileMode,
// FileInfo, DirEntry, PathError, LinkError, SyscallError and Signal
// (aliases, so errors.As, type switches and chan os.Signal written for os
// keep matching); the signals Interrupt and Kill (os's values, so
// signal.Notify(c, os.Interrupt) works); IsExist, IsNotExist, IsPermission,
// IsTimeout, IsPathSeparator, NewSyscallError; Getwd, Chdir, TempDir,
// UserHomeDir, UserCacheDir, UserConfigDir, Getenv, LookupEnv, Setenv,
// Unsetenv, Clearenv, Environ, Expand, ExpandEnv, Hostname, Executable,
// Getpagesize, Getpid, Getppid, Getuid, Geteuid, Getgid, Getegid, Getgroups,
// Exit, Args.
//
// # The standard streams
//
// Stdin, Stdout and Stderr are *File values, so that the common mix
//
//	var w *os.File = os.Stdout
//	if name != "-" {
//		w, err = os.Create(name)
//	}
//	defer w.Close()
//
// compiles and behaves under this import. Each is a File over a duplicate of
// descriptor 0, 1 or 2 (close on exec), made when the package is
// initialised, never over the descriptor itself: os.Stdout, fmt.Print,
// package log and the runtime keep writing to descriptors 0 to 2, and a
// second owner closing one of them (by Close, or by a cleanup after a
// program assigned another File to Stdout) would let the number be reused by
// the next file opened, which would then receive their output. So:
//
//   - Closing Stdout here closes the duplicate: later writes to it fail with
//     ErrClosed as with os, but descriptor 1 stays open until exit, where
//     os.Stdout.Close would close it (a reader of the pipe sees end of file
//     when the process exits, not at Close).
//   - Fd returns the duplicate's number, not 0, 1 or 2; term.IsTerminal and
//     ioctls on it see the same terminal. The duplicate shares the file
//     offset and status flags with the original, so a regular file as
//     standard input is read on from where os would read it.
//   - A pipe or terminal, left blocking as os leaves it, is read in the ring
//     without holding a thread on the io_uring backend; on the syscall
//     backend the read holds a thread, as os.Stdin's does.
//   - Initialising the package starts no loop: the streams are made with
//     uringfs.FromOS and run on the process loop of the moment, which their
//     first operation (or any other call here) starts. A program can still
//     call uringfs.Configure in main, before its first file operation, and
//     the streams survive uringfs.Shutdown. If the loop cannot start at all
//     (URINGFS_BACKEND=uring where io_uring is refused), their operations
//     fail with that error, as every other function here does then.
//   - os/exec passes only an *os.File to a child as its own descriptor:
//     cmd.Stdin = os.Stdin written under this import hands it a *File, which
//     os/exec copies through a pipe, so an interactive child no longer sees
//     the terminal. Give such a child package os's streams, or an *os.File
//     from (*File).OSFile.
//
// # Pipe, CopyFS and SameFile
//
// Pipe returns two *File over a new close-on-exec pipe, named "|0" and "|1"
// as os names its ends. On the io_uring backend the pipe stays blocking and
// a Read or Write that must wait does so in the ring; on the syscall backend
// and on other systems it is made non-blocking, as os.Pipe's is, and waits
// in the runtime poller.
//
// CopyFS is os.CopyFS's algorithm writing through this package's MkdirAll,
// Symlink and OpenFile (O_CREATE|O_EXCL, so it never overwrites: an existing
// name fails with an error matching fs.ErrExist), with os's modes (0o666 plus
// the source's execute bits for files, 0o777 for directories, before umask),
// symbolic links copied as links, and os's errors for other file types.
//
// SameFile is this package's own: os.SameFile recognises only FileInfo
// values made by os, and would report false for two FileInfos from Stat
// here. This one compares device and inode numbers, so it also matches a
// FileInfo from os against one from this package.
//
// # What it does not cover
//
//   - Processes: StartProcess, ProcAttr, FindProcess, Process and
//     ProcessState are absent; use os and os/exec. ProcAttr.Files is
//     []*os.File, which a program's *File values here cannot fill, and the
//     rest belong with it.
//   - Args is a copy of os.Args taken when the package is initialised;
//     assigning to one does not change the other.
//   - The standard streams differ from os's as listed above: Close leaves
//     the descriptor open, Fd is another number, and os/exec copies them
//     through a pipe.
//
// A program that uses any of these keeps importing os for them (under its
// own name) beside this package.
//
// TestCommandLineProgram builds testdata/lines, a command-line program
// written against os (flags, standard input or a file, standard output or
// -o file, signal.Notify(c, os.Interrupt), os.Getenv, os.Exit), as written
// and with only its import changed to this package, and requires the same
// outputs, exit statuses and files from both.
//
// # Other systems
//
// The package builds everywhere. Where io_uring does not exist (not Linux),
// uringfs runs on os and File wraps an *os.File, so the program behaves as
// it did with os. The standard streams are still duplicates (dup on Unix,
// DuplicateHandle on Windows; where the system has neither, as on wasip1 and
// js, the File owns the descriptor itself, as os.Stdin does), and Pipe fails
// where os.Pipe does.
package compat
