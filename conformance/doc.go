// Package conformance holds differential behaviour suites for code that
// claims to behave like package os: a *os.File look-alike, an fs.FS, or an
// afero.Fs. Package os is the oracle. Each suite runs the same program
// against os and against the implementation, each side in its own fresh
// temporary directory, and compares what the two observed.
//
// It is for implementers of os-compatible file layers (this module's
// uringfs, compat and the afero adapter of package uring) and for anyone
// who wraps one of them and wants to keep the promise "behaves exactly
// like os".
//
// # Suites
//
// Each suite has one entry point that returns nil or a single error
// listing every difference, in the manner of [testing/fstest.TestFS], and
// a wrapper that reports through a *testing.T:
//
//   - [CheckFile] / [TestFile]: the *os.File method set ([File]) and the
//     os package functions ([FileSystem]). Reads and writes at and past
//     EOF, Read(nil), short ReadAt, negative offsets, WriteAt on O_APPEND,
//     Seek with every whence including SEEK_DATA and SEEK_HOLE, open
//     flags, reading a directory, ReadDir/Readdir/Readdirnames paging and
//     restarting, every method after Close and on a nil file, deadlines,
//     ReadFrom/WriteTo, multi-MiB transfers, concurrent ReadAt/WriteAt,
//     concurrent Read and O_APPEND writes, Mkdir/Remove/Rename/Link/
//     Symlink/Readlink/Chmod/Chtimes/Truncate errors, and invalid names.
//   - [CheckFS] / [TestFS]: an fs.FS over a directory. Runs
//     [testing/fstest.TestFS] on a generated tree, then compares with
//     os.DirFS: missing and invalid names, the optional StatFS,
//     ReadFileFS, ReadDirFS and ReadLinkFS methods when implemented,
//     reading an opened directory, large files, WalkDir, Glob and Sub.
//   - [CheckAferoFs] / [TestAferoFs]: an afero.Fs taking absolute paths,
//     compared with afero.OsFs: nil-interface File on failure, errors that
//     are *os.PathError holding the bare syscall.Errno (afero's wrappers
//     and os.IsNotExist look only one level deep), Lstater and Symlinker,
//     afero's helpers, and the implementation under BasePathFs,
//     CopyOnWriteFs, ReadOnlyFs and IOFS.
//
// # What is compared
//
// A scenario records every observation as text: counts, bytes (or their
// digest), file metadata, and for errors their concrete type, the Op,
// Path, Old and New fields of *fs.PathError and *os.LinkError, the type of
// the error they wrap, the errno found by errors.As, the sentinels matched
// by errors.Is (fs.ErrNotExist, fs.ErrClosed, io.EOF, os.ErrNoDeadline,
// ...) and the message. Paths under the scenario's directory print as
// $DIR. After a scenario the File and afero suites also record the tree it
// left on disk (types, permissions, sizes, content digests, link
// targets). Directory order is the file system's, so entries from
// File.ReadDir and friends compare as sets; os.ReadDir and fs.ReadDir
// sort, and their order is compared.
//
// # Using it
//
// Fill a [FileSystem] with the implementation's functions, wrapping open
// functions that return a concrete pointer type with [AdaptOpenFile] or
// [AdaptOpen] so that failures give a nil interface, and set NilFile to
// the implementation's typed nil:
//
//	func TestConformance(t *testing.T) {
//		conformance.TestFile(t, conformance.FileSystem{
//			OpenFile: conformance.AdaptOpenFile(mypkg.OpenFile),
//			Open:     conformance.AdaptOpen(mypkg.Open),
//			Create:   conformance.AdaptOpen(mypkg.Create),
//			Mkdir:    mypkg.Mkdir,
//			// ...
//			NilFile: (*mypkg.File)(nil),
//		})
//		conformance.TestFS(t, func(dir string) fs.FS { return mypkg.DirFS(dir) })
//		conformance.TestAferoFs(t, mypkg.NewFs())
//	}
//
// A nil function field, or an optional interface the implementation does
// not have, skips the scenarios that need it; TestFile logs them. The
// suites take a few seconds each under the race detector.
//
// The suites need Linux (SEEK_DATA and SEEK_HOLE values, errno numbers and
// messages) and a file system that supports sparse files, as the usual
// temporary directory does. Scenarios that depend on the caller's rights
// (EACCES) are left out, because the suites also run as root.
package conformance
