// Command uringfix moves a program's file I/O from package os to uringfs
// where it can prove the move safe.
//
// Usage:
//
//	go run github.com/uringfs/uring/cmd/uringfix [-w] [-diff] [-api] [-test] packages...
//
// The packages are patterns as go build takes them (default "."). Without
// -w uringfix prints each change it would make, as file:line:col: os.Open ->
// uringfs.Open; -diff prints a unified diff instead; -w rewrites the files,
// then builds and vets each package and, if that fails, puts the package's
// files back and says so.
//
// # What moves
//
// Every call or value of the os functions whose uringfs counterpart has the
// same signature (ReadFile, WriteFile, ReadDir, Stat, Lstat, Mkdir,
// MkdirAll, Remove, RemoveAll, Rename, Symlink, Readlink, Link, Chmod,
// Chown, Lchown, Chtimes, Truncate, MkdirTemp, DirFS) moves; the signatures
// are compared with go/types, so a future difference keeps a call in os.
//
// The functions that return an *os.File or *os.Root (Open, Create,
// OpenFile, CreateTemp, NewFile, OpenInRoot, OpenRoot) move together with
// every variable, parameter, result and struct field their value reaches,
// when none of those places needs an *os.File: the values may have their
// methods called (those uringfs has with the same signature), be compared
// with nil or each other, be passed to the package's own unexported
// functions, and be converted to an interface *uringfs.File implements. The
// declared types of those places change from *os.File to *uringfs.File.
//
// # What stays
//
// Each value that keeps its os type is reported on one line, at the place
// that keeps it there:
//
//	p/run.go:14:30: f stays *os.File: passed to exec.Cmd.ExtraFiles
//
// The reasons include: passed to or stored in something typed *os.File
// outside the package (exec.Cmd.ExtraFiles, a []*os.File, a function of
// another package); assigned to exec.Cmd.Stdin, Stdout or Stderr, where exec
// treats an *os.File specially; the exported API of the package (unless
// -api); holding os.Stdin, os.Stdout or os.Stderr, or a value returned by
// another package; compared with such a value; its address taken; sent on
// a channel; used as a map key; converted to an interface in a package that
// type-asserts *os.File; a function used as a value; a parameter of a
// function literal; use in a generated file (which uringfix never changes),
// in a _test.go file without -test, or in a file the build constraints
// exclude; and any use the analysis does not follow.
//
// # Requirements
//
// The packages, with their tests, must build before uringfix starts: it
// refuses, naming the errors, otherwise. Their module must require
// github.com/uringfs/uring. uringfix uses only the standard library
// (go/ast, go/types and the export data go list -export builds).
package main
