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
// From os, unchanged: the O_* flags, the SEEK_* constants (deprecated in
// os), PathSeparator, PathListSeparator, DevNull, the Mode* bits; ErrInvalid,
// ErrPermission, ErrExist, ErrNotExist, ErrClosed, ErrNoDeadline,
// ErrDeadlineExceeded, ErrProcessDone, ErrNoHandle; the types FileMode,
// FileInfo, DirEntry, PathError, LinkError and SyscallError (aliases, so
// errors.As and type switches written for os keep matching); IsExist,
// IsNotExist, IsPermission, IsTimeout, IsPathSeparator, NewSyscallError;
// Getwd, Chdir, TempDir, UserHomeDir, UserCacheDir, UserConfigDir, Getenv,
// LookupEnv, Setenv, Unsetenv, Clearenv, Environ, Expand, ExpandEnv,
// Hostname, Executable, Getpagesize, Getpid, Getppid, Getuid, Geteuid,
// Getgid, Getegid, Getgroups, Exit, Args, and CopyFS (which writes through
// os, not the loop).
//
// SameFile is this package's own: os.SameFile recognises only FileInfo
// values made by os, and would report false for two FileInfos from Stat
// here. This one compares device and inode numbers, so it also matches a
// FileInfo from os against one from this package.
//
// # What it does not cover
//
//   - Stdin, Stdout and Stderr are os's *os.File values, not *File: they
//     are terminals and pipes, which the runtime poller already serves
//     without blocking threads, and a second owner of descriptors 0 to 2
//     could close one under os's feet and let the number be reused by an
//     unrelated file. Code that stores os.Stdout and a created file in one
//     variable must use a common interface (io.Writer, io.ReadWriteCloser),
//     or NewFile(1, "/dev/stdout") if it wants a *File it owns.
//   - Args is a copy of os.Args taken when the package is initialised;
//     assigning to one does not change the other.
//   - Processes and signals: StartProcess, FindProcess, Process,
//     ProcessState, ProcAttr, Signal, Interrupt and Kill are absent; use os,
//     os/exec and os/signal for them.
//   - Pipe is absent: a pipe is best served by the runtime poller; use
//     os.Pipe.
//
// A program that uses any of these keeps importing os for them (under its
// own name) beside this package.
//
// # Other systems
//
// The package builds everywhere. Where io_uring does not exist (not Linux),
// uringfs runs on os and File wraps an *os.File, so the program behaves as
// it did with os.
package compat
