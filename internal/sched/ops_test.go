//go:build linux

package sched_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/uringfs/uring/internal/ring"
	"github.com/uringfs/uring/internal/sched"
	"github.com/uringfs/uring/internal/testkit"
)

// The tests in this file hold every typed operation of Loop against the os
// package (or the raw system call where os has no equivalent) on temporary
// directories, on both backends.

var bg = context.Background()

// wantErrno fails unless err is exactly the errno want (nil for success):
// the loop promises raw syscall.Errno values.
func wantErrno(t *testing.T, what string, err error, want syscall.Errno) {
	t.Helper()
	if want == 0 {
		if err != nil {
			t.Errorf("%s: %v, want success", what, err)
		}
		return
	}
	got, ok := err.(syscall.Errno)
	if !ok || got != want {
		t.Errorf("%s: error %#v (%v), want %v", what, err, err, want)
	}
}

// errnoOf extracts the errno os reports inside its wrappers (0 for nil).
func errnoOf(t *testing.T, err error) syscall.Errno {
	t.Helper()
	if err == nil {
		return 0
	}
	var e syscall.Errno
	if !errors.As(err, &e) {
		t.Fatalf("os error %v holds no errno", err)
	}
	return e
}

func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7) + seed
	}
	return b
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func openFd(t *testing.T, l *sched.Loop, path string, flags int, mode uint32) int {
	t.Helper()
	fd, err := l.Openat(bg, unix.AT_FDCWD, path, flags|unix.O_CLOEXEC, mode)
	if err != nil {
		t.Fatalf("Openat(%s): %v", path, err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}

func TestOps(t *testing.T) {
	eachBackend(t, sched.Config{Rings: 2, Entries: 64}, func(t *testing.T, l *sched.Loop) {
		t.Run("Nop", func(t *testing.T) {
			for range 3 {
				if err := l.Nop(bg); err != nil {
					t.Fatal(err)
				}
			}
		})
		t.Run("PreadPwrite", func(t *testing.T) { testPreadPwrite(t, l) })
		t.Run("FilePosition", func(t *testing.T) { testFilePosition(t, l) })
		t.Run("Vectored", func(t *testing.T) { testVectored(t, l) })
		t.Run("Fsync", func(t *testing.T) { testFsync(t, l) })
		t.Run("Openat", func(t *testing.T) { testOpenat(t, l) })
		t.Run("Openat2", func(t *testing.T) { testOpenat2(t, l) })
		t.Run("CloseFd", func(t *testing.T) { testCloseFd(t, l) })
		t.Run("Statx", func(t *testing.T) { testStatx(t, l) })
		t.Run("Fallocate", func(t *testing.T) { testFallocate(t, l) })
		t.Run("Fadvise", func(t *testing.T) { testFadvise(t, l) })
		t.Run("Renameat", func(t *testing.T) { testRenameat(t, l) })
		t.Run("Unlinkat", func(t *testing.T) { testUnlinkat(t, l) })
		t.Run("Mkdirat", func(t *testing.T) { testMkdirat(t, l) })
		t.Run("Symlinkat", func(t *testing.T) { testSymlinkat(t, l) })
		t.Run("Linkat", func(t *testing.T) { testLinkat(t, l) })
		t.Run("Ftruncate", func(t *testing.T) { testFtruncate(t, l) })
		t.Run("Splice", func(t *testing.T) { testSplice(t, l) })
		t.Run("Chain", func(t *testing.T) { testChain(t, l) })
		t.Run("BadArguments", func(t *testing.T) { testBadArguments(t, l) })
	})
}

func testPreadPwrite(t *testing.T, l *sched.Loop) {
	dir := t.TempDir()
	data := pattern(10000, 1)
	p := filepath.Join(dir, "f")
	writeFile(t, p, data)
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fd := openFd(t, l, p, unix.O_RDWR, 0)

	for _, c := range []struct {
		off int64
		n   int
	}{{0, 100}, {4096, 4096}, {9990, 100}, {10000, 10}, {20000, 10}, {0, 0}, {5, 10000}} {
		got := make([]byte, c.n)
		n, err := l.Pread(bg, fd, got, c.off)
		want := make([]byte, c.n)
		wn, werr := f.ReadAt(want, c.off)
		// ReadAt loops and turns a short count into io.EOF; pread returns
		// the short count with no error. The bytes must agree.
		if werr != nil && werr != io.EOF {
			t.Fatalf("oracle ReadAt: %v", werr)
		}
		if err != nil || n != wn || !bytes.Equal(got[:n], want[:wn]) {
			t.Errorf("Pread(off %d, len %d) = %d, %v; os read %d bytes", c.off, c.n, n, err, wn)
		}
	}

	// Writes: the same pwrites through the loop and through os on a twin.
	twin := filepath.Join(dir, "twin")
	writeFile(t, twin, data)
	tf, err := os.OpenFile(twin, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer tf.Close()
	for i, off := range []int64{0, 5000, 9999, 12000, 3} {
		b := pattern(777, byte(50+i))
		n, err := l.Pwrite(bg, fd, b, off)
		if err != nil || n != len(b) {
			t.Fatalf("Pwrite(off %d) = %d, %v", off, n, err)
		}
		if _, err := tf.WriteAt(b, off); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := l.Pwrite(bg, fd, nil, 0); n != 0 || err != nil {
		t.Errorf("Pwrite(nil) = %d, %v", n, err)
	}
	got, _ := os.ReadFile(p)
	want, _ := os.ReadFile(twin)
	if !bytes.Equal(got, want) {
		t.Errorf("file written through the loop differs from os twin (len %d vs %d)", len(got), len(want))
	}

	// Errors: a directory, a write-only fd, a read-only fd, a closed fd.
	dfd := openFd(t, l, dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	_, err = l.Pread(bg, dfd, make([]byte, 10), 0)
	wantErrno(t, "Pread(dir)", err, unix.EISDIR)
	wo := openFd(t, l, p, unix.O_WRONLY, 0)
	_, err = l.Pread(bg, wo, make([]byte, 10), 0)
	wantErrno(t, "Pread(O_WRONLY)", err, unix.EBADF)
	ro := openFd(t, l, p, unix.O_RDONLY, 0)
	_, err = l.Pwrite(bg, ro, []byte("x"), 0)
	wantErrno(t, "Pwrite(O_RDONLY)", err, unix.EBADF)
	_, err = l.Pread(bg, 1<<20, make([]byte, 10), 0)
	wantErrno(t, "Pread(bad fd)", err, unix.EBADF)
	// Not checked: pread(2) on a pipe with an offset is ESPIPE, but
	// IORING_OP_READ ignores the offset on non-seekable files and blocks
	// like read(2). Callers (uringfs) must not send positioned reads to
	// pipes; see the report of this package's tests.
}

// testFilePosition checks off -1: reads and writes at the file position,
// advancing it as read(2)/write(2) do, and O_APPEND writes at the end.
func testFilePosition(t *testing.T, l *sched.Loop) {
	dir := t.TempDir()
	p := filepath.Join(dir, "pos")
	twin := filepath.Join(dir, "twin")
	fd := openFd(t, l, p, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, 0o600)
	tf, err := os.OpenFile(twin, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer tf.Close()
	for i, n := range []int{10, 0, 4096, 3} {
		b := pattern(n, byte(i))
		got, err := l.Pwrite(bg, fd, b, -1)
		if err != nil || got != n {
			t.Fatalf("Pwrite(-1) = %d, %v", got, err)
		}
		if _, err := tf.Write(b); err != nil {
			t.Fatal(err)
		}
		pos, _ := unix.Seek(fd, 0, io.SeekCurrent)
		tpos, _ := tf.Seek(0, io.SeekCurrent)
		if pos != tpos {
			t.Fatalf("after write %d: position %d, os %d", i, pos, tpos)
		}
	}
	// Positioned writes leave the position alone.
	if _, err := l.Pwrite(bg, fd, []byte("zz"), 0); err != nil {
		t.Fatal(err)
	}
	tf.WriteAt([]byte("zz"), 0)
	if pos, _ := unix.Seek(fd, 0, io.SeekCurrent); pos != 4109 {
		t.Fatalf("pwrite at 0 moved the position to %d", pos)
	}

	unix.Seek(fd, 5, io.SeekStart)
	tf.Seek(5, io.SeekStart)
	for i := 0; ; i++ {
		got := make([]byte, 1000)
		n, err := l.Pread(bg, fd, got, -1)
		want := make([]byte, 1000)
		wn, werr := tf.Read(want)
		if werr == io.EOF {
			wn = 0
		}
		if err != nil || n != wn || !bytes.Equal(got[:n], want[:wn]) {
			t.Fatalf("read %d at position: %d, %v; os %d, %v", i, n, err, wn, werr)
		}
		if n == 0 {
			break
		}
	}

	// O_APPEND: off -1 appends whatever the position.
	ap := openFd(t, l, p, unix.O_WRONLY|unix.O_APPEND, 0)
	if _, err := l.Pwrite(bg, ap, []byte("tail"), -1); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(p)
	if !bytes.HasSuffix(got, []byte("tail")) || len(got) != 4109+4 {
		t.Errorf("O_APPEND write: file is %d bytes ending %q", len(got), got[max(0, len(got)-8):])
	}
}

func testVectored(t *testing.T, l *sched.Loop) {
	dir := t.TempDir()
	p := filepath.Join(dir, "v")
	fd := openFd(t, l, p, unix.O_RDWR|unix.O_CREAT, 0o644)
	iovs := [][]byte{pattern(100, 1), {}, pattern(5000, 2), pattern(1, 3)}
	n, err := l.Pwritev(bg, fd, iovs, 10)
	if err != nil || n != 5101 {
		t.Fatalf("Pwritev = %d, %v", n, err)
	}
	want := append(make([]byte, 10), bytes.Join(iovs, nil)...)
	if got, _ := os.ReadFile(p); !bytes.Equal(got, want) {
		t.Fatalf("Pwritev wrote %d bytes, not the iovecs at 10", len(got))
	}
	// Read back in differently shaped pieces, past the end.
	r := [][]byte{make([]byte, 7), make([]byte, 0), make([]byte, 4000), make([]byte, 3000)}
	n, err = l.Preadv(bg, fd, r, 3)
	if err != nil || n != len(want)-3 {
		t.Fatalf("Preadv = %d, %v, want %d", n, err, len(want)-3)
	}
	if got := bytes.Join(r, nil)[:n]; !bytes.Equal(got, want[3:]) {
		t.Errorf("Preadv data differs")
	}
	// File position variants.
	unix.Seek(fd, 0, io.SeekStart)
	r = [][]byte{make([]byte, 6), make([]byte, 4)}
	if n, err := l.Preadv(bg, fd, r, -1); err != nil || n != 10 {
		t.Fatalf("Preadv(-1) = %d, %v", n, err)
	}
	if pos, _ := unix.Seek(fd, 0, io.SeekCurrent); pos != 10 {
		t.Errorf("Preadv(-1) left position %d, want 10", pos)
	}
	if n, err := l.Pwritev(bg, fd, [][]byte{[]byte("ab"), []byte("cd")}, -1); err != nil || n != 4 {
		t.Fatalf("Pwritev(-1) = %d, %v", n, err)
	}
	if got, _ := os.ReadFile(p); string(got[10:14]) != "abcd" {
		t.Errorf("Pwritev(-1) wrote %q at 10", got[10:14])
	}
	_, err = l.Preadv(bg, 1<<20, r, 0)
	wantErrno(t, "Preadv(bad fd)", err, unix.EBADF)
}

func testFsync(t *testing.T, l *sched.Loop) {
	p := filepath.Join(t.TempDir(), "s")
	fd := openFd(t, l, p, unix.O_RDWR|unix.O_CREAT, 0o644)
	if _, err := l.Pwrite(bg, fd, []byte("data"), 0); err != nil {
		t.Fatal(err)
	}
	wantErrno(t, "Fsync", l.Fsync(bg, fd, false), 0)
	wantErrno(t, "Fdatasync", l.Fsync(bg, fd, true), 0)
	wantErrno(t, "Fsync(bad fd)", l.Fsync(bg, 1<<20, false), unix.EBADF)
	// The oracle for fsync on a pipe: whatever fsync(2) says (EINVAL).
	var pfd [2]int
	if err := unix.Pipe2(pfd[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(pfd[0])
	defer unix.Close(pfd[1])
	want := errnoOf(t, unix.Fsync(pfd[1]))
	wantErrno(t, "Fsync(pipe)", l.Fsync(bg, pfd[1], false), want)
}

func testOpenat(t *testing.T, l *sched.Loop) {
	dir := t.TempDir()
	old := unix.Umask(0o022)
	unix.Umask(old)

	p := filepath.Join(dir, "new")
	fd := openFd(t, l, p, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, 0o640)
	twin := filepath.Join(dir, "twin")
	tf, err := os.OpenFile(twin, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		t.Fatal(err)
	}
	tf.Close()
	st, _ := os.Stat(p)
	tst, _ := os.Stat(twin)
	if st.Mode() != tst.Mode() {
		t.Errorf("created mode %v, os created %v", st.Mode(), tst.Mode())
	}
	if fl, _ := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); fl&unix.FD_CLOEXEC == 0 {
		t.Errorf("O_CLOEXEC not honoured")
	}

	cases := []struct {
		name  string
		path  string
		flags int
	}{
		{"ENOENT", filepath.Join(dir, "missing"), unix.O_RDONLY},
		{"ENOENT in missing dir", filepath.Join(dir, "nodir", "x"), unix.O_RDWR | unix.O_CREAT},
		{"EEXIST", p, unix.O_RDWR | unix.O_CREAT | unix.O_EXCL},
		{"EISDIR", dir, unix.O_WRONLY},
		{"ENOTDIR", filepath.Join(p, "x"), unix.O_RDONLY},
		{"ENOTDIR with O_DIRECTORY", p, unix.O_RDONLY | unix.O_DIRECTORY},
	}
	for _, c := range cases {
		_, err := l.Openat(bg, unix.AT_FDCWD, c.path, c.flags|unix.O_CLOEXEC, 0o644)
		f, oerr := os.OpenFile(c.path, c.flags, 0o644)
		if f != nil {
			f.Close()
		}
		want := errnoOf(t, oerr)
		if want == 0 {
			t.Fatalf("%s: oracle succeeded", c.name)
		}
		wantErrno(t, "Openat "+c.name, err, want)
	}

	// Relative to a directory fd.
	dfd := openFd(t, l, dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	rfd, err := l.Openat(bg, dfd, "new", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	var a, b unix.Stat_t
	unix.Fstat(rfd, &a)
	unix.Fstat(fd, &b)
	if a.Ino != b.Ino {
		t.Errorf("dirfd-relative open reached inode %d, want %d", a.Ino, b.Ino)
	}
	unix.Close(rfd)
	_, err = l.Openat(bg, fd, "x", unix.O_RDONLY, 0)
	wantErrno(t, "Openat(dirfd is a file)", err, unix.ENOTDIR)
}

func testOpenat2(t *testing.T, l *sched.Loop) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(sub, "in"), []byte("in"))
	writeFile(t, filepath.Join(dir, "out"), []byte("out"))
	if err := os.Symlink("../out", filepath.Join(sub, "escape")); err != nil {
		t.Fatal(err)
	}
	dfd := openFd(t, l, sub, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	how := unix.OpenHow{Flags: unix.O_RDONLY | unix.O_CLOEXEC, Resolve: unix.RESOLVE_BENEATH}
	if _, err := unix.Openat2(dfd, "missing", &how); err == unix.ENOSYS {
		// qemu's user mode, among others, has no openat2: the loop must
		// say so the same way, and there is nothing more to compare.
		_, err := l.Openat2(bg, dfd, "in", &how)
		wantErrno(t, "Openat2 without openat2(2)", err, unix.ENOSYS)
		t.Skip("openat2(2) answers ENOSYS here (an emulator or a kernel before 5.6); checked that Openat2 reports ENOSYS too")
	}
	for _, c := range []struct {
		path string
		want syscall.Errno
	}{
		{"in", 0},
		{"../out", unix.EXDEV},
		{"escape", unix.EXDEV},
		{filepath.Join(dir, "out"), unix.EXDEV},
		{"missing", unix.ENOENT},
	} {
		fd, err := l.Openat2(bg, dfd, c.path, &how)
		ofd, oerr := unix.Openat2(dfd, c.path, &how)
		if oerr == nil {
			unix.Close(ofd)
		}
		if errnoOf(t, oerr) != c.want {
			t.Fatalf("oracle openat2(%q) = %v, test expects %v", c.path, oerr, c.want)
		}
		wantErrno(t, "Openat2 "+c.path, err, c.want)
		if err == nil {
			buf := make([]byte, 8)
			n, _ := unix.Read(fd, buf)
			if string(buf[:n]) != "in" {
				t.Errorf("Openat2 opened the wrong file: %q", buf[:n])
			}
			unix.Close(fd)
		}
	}
	// The loop copies how: the caller's struct is not retained.
	how.Resolve = 0
	fd, err := l.Openat2(bg, dfd, "../out", &how)
	if err != nil {
		t.Fatalf("Openat2 without RESOLVE_BENEATH: %v", err)
	}
	unix.Close(fd)
}

func testCloseFd(t *testing.T, l *sched.Loop) {
	p := filepath.Join(t.TempDir(), "c")
	fd, err := l.Openat(bg, unix.AT_FDCWD, p, unix.O_RDWR|unix.O_CREAT|unix.O_CLOEXEC, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	wantErrno(t, "CloseFd", l.CloseFd(fd), 0)
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != unix.EBADF {
		t.Errorf("fd still open after CloseFd: %v", err)
	}
	wantErrno(t, "second CloseFd", l.CloseFd(fd), unix.EBADF)
	wantErrno(t, "CloseFd(-1)", l.CloseFd(-1), unix.EBADF)
}

func testStatx(t *testing.T, l *sched.Loop) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	writeFile(t, p, pattern(12345, 0))
	if err := os.Symlink("f", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	check := func(name string, flags int, fi os.FileInfo) {
		t.Helper()
		var st unix.Statx_t
		if err := l.Statx(bg, unix.AT_FDCWD, filepath.Join(dir, name), flags, unix.STATX_BASIC_STATS, &st); err != nil {
			t.Fatalf("Statx(%s): %v", name, err)
		}
		sys := fi.Sys().(*syscall.Stat_t)
		if int64(st.Size) != fi.Size() || st.Ino != uint64(sys.Ino) || uint32(st.Mode) != sys.Mode ||
			st.Nlink != uint32(sys.Nlink) || st.Uid != sys.Uid ||
			!testkit.OracleTime(time.Unix(st.Mtime.Sec, int64(st.Mtime.Nsec))).Equal(testkit.OracleTime(fi.ModTime())) {
			t.Errorf("Statx(%s) = size %d ino %d mode %o nlink %d mtime %d.%d; os: size %d ino %d mode %o nlink %d mtime %d.%d",
				name, st.Size, st.Ino, st.Mode, st.Nlink, st.Mtime.Sec, st.Mtime.Nsec,
				fi.Size(), sys.Ino, sys.Mode, sys.Nlink, sys.Mtim.Sec, sys.Mtim.Nsec)
		}
	}
	fi, _ := os.Stat(p)
	check("f", 0, fi)
	check("link", 0, fi)
	li, _ := os.Lstat(filepath.Join(dir, "link"))
	check("link", unix.AT_SYMLINK_NOFOLLOW, li)
	di, _ := os.Stat(dir)
	check(".", 0, di)

	// AT_EMPTY_PATH on a descriptor, like fstat.
	fd := openFd(t, l, p, unix.O_RDONLY, 0)
	var st unix.Statx_t
	if err := l.Statx(bg, fd, "", unix.AT_EMPTY_PATH, unix.STATX_SIZE, &st); err != nil || st.Size != 12345 {
		t.Errorf("Statx(fd, AT_EMPTY_PATH) = size %d, %v", st.Size, err)
	}
	for _, c := range []struct {
		path string
	}{{"missing"}, {"f/x"}} {
		_, oerr := os.Stat(filepath.Join(dir, c.path))
		err := l.Statx(bg, unix.AT_FDCWD, filepath.Join(dir, c.path), 0, unix.STATX_BASIC_STATS, &st)
		wantErrno(t, "Statx "+c.path, err, errnoOf(t, oerr))
	}
}

func testFallocate(t *testing.T, l *sched.Loop) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a")
	writeFile(t, p, bytes.Repeat([]byte{0xAA}, 8192))
	fd := openFd(t, l, p, unix.O_RDWR, 0)
	wantErrno(t, "Fallocate extend", l.Fallocate(bg, fd, 0, 8192, 8192), 0)
	if fi, _ := os.Stat(p); fi.Size() != 16384 {
		t.Errorf("size after Fallocate(0, 8192, 8192) = %d, want 16384", fi.Size())
	}
	wantErrno(t, "Fallocate KEEP_SIZE", l.Fallocate(bg, fd, unix.FALLOC_FL_KEEP_SIZE, 16384, 65536), 0)
	if fi, _ := os.Stat(p); fi.Size() != 16384 {
		t.Errorf("size after KEEP_SIZE = %d, want 16384", fi.Size())
	}
	err := l.Fallocate(bg, fd, unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, 0, 4096)
	oerr := unix.Fallocate(openOracle(t, p), unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, 8192, 0)
	if errnoOf(t, oerr) == unix.EOPNOTSUPP {
		t.Logf("file system cannot punch holes: %v", err)
	} else {
		wantErrno(t, "Fallocate PUNCH_HOLE", err, 0)
		got, _ := os.ReadFile(p)
		if !bytes.Equal(got[:4096], make([]byte, 4096)) || got[4096] != 0xAA {
			t.Errorf("PUNCH_HOLE did not zero exactly the range")
		}
	}
	wantErrno(t, "Fallocate(len 0)", l.Fallocate(bg, fd, 0, 0, 0), unix.EINVAL)
	ro := openFd(t, l, p, unix.O_RDONLY, 0)
	wantErrno(t, "Fallocate(O_RDONLY)", l.Fallocate(bg, ro, 0, 0, 4096), unix.EBADF)
}

func openOracle(t *testing.T, p string) int {
	t.Helper()
	fd, err := unix.Open(p, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}

func testFadvise(t *testing.T, l *sched.Loop) {
	p := filepath.Join(t.TempDir(), "a")
	writeFile(t, p, pattern(100000, 0))
	fd := openFd(t, l, p, unix.O_RDONLY, 0)
	for _, adv := range []int{unix.FADV_NORMAL, unix.FADV_SEQUENTIAL, unix.FADV_RANDOM, unix.FADV_WILLNEED, unix.FADV_DONTNEED, unix.FADV_NOREUSE} {
		wantErrno(t, "Fadvise", l.Fadvise(bg, fd, 0, 0, adv), 0)
	}
	wantErrno(t, "Fadvise(large len)", l.Fadvise(bg, fd, 4096, 1<<33, unix.FADV_DONTNEED), 0)
	wantErrno(t, "Fadvise(bad advice)", l.Fadvise(bg, fd, 0, 0, 99), unix.EINVAL)
	wantErrno(t, "Fadvise(bad fd)", l.Fadvise(bg, 1<<20, 0, 0, unix.FADV_NORMAL), unix.EBADF)
	var pfd [2]int
	if err := unix.Pipe2(pfd[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(pfd[0])
	defer unix.Close(pfd[1])
	wantErrno(t, "Fadvise(pipe)", l.Fadvise(bg, pfd[0], 0, 0, unix.FADV_NORMAL), unix.ESPIPE)
	// Data is unchanged by advice.
	got := make([]byte, 100000)
	if n, err := l.Pread(bg, fd, got, 0); err != nil || n != len(got) || !bytes.Equal(got, pattern(100000, 0)) {
		t.Errorf("read after Fadvise: %d, %v", n, err)
	}
}

func testRenameat(t *testing.T, l *sched.Loop) {
	dir := t.TempDir()
	a, b, c := filepath.Join(dir, "a"), filepath.Join(dir, "b"), filepath.Join(dir, "c")
	writeFile(t, a, []byte("A"))
	writeFile(t, c, []byte("C"))
	wantErrno(t, "Renameat", l.Renameat(bg, unix.AT_FDCWD, a, unix.AT_FDCWD, b, 0), 0)
	if _, err := os.Stat(a); !os.IsNotExist(err) {
		t.Errorf("old name still there: %v", err)
	}
	if got, _ := os.ReadFile(b); string(got) != "A" {
		t.Errorf("new name holds %q", got)
	}
	wantErrno(t, "Renameat(RENAME_NOREPLACE)", l.Renameat(bg, unix.AT_FDCWD, b, unix.AT_FDCWD, c, unix.RENAME_NOREPLACE), unix.EEXIST)
	wantErrno(t, "Renameat(replace)", l.Renameat(bg, unix.AT_FDCWD, b, unix.AT_FDCWD, c, 0), 0)
	if got, _ := os.ReadFile(c); string(got) != "A" {
		t.Errorf("replaced file holds %q", got)
	}
	err := l.Renameat(bg, unix.AT_FDCWD, a, unix.AT_FDCWD, b, 0)
	wantErrno(t, "Renameat(missing)", err, errnoOf(t, os.Rename(a, b)))
	// Relative to two directory fds.
	if err := os.Mkdir(filepath.Join(dir, "d"), 0o755); err != nil {
		t.Fatal(err)
	}
	d1 := openFd(t, l, dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	d2 := openFd(t, l, filepath.Join(dir, "d"), unix.O_RDONLY|unix.O_DIRECTORY, 0)
	wantErrno(t, "Renameat(dirfds)", l.Renameat(bg, d1, "c", d2, "moved", 0), 0)
	if got, _ := os.ReadFile(filepath.Join(dir, "d", "moved")); string(got) != "A" {
		t.Errorf("file moved between dirfds holds %q", got)
	}
}

func testUnlinkat(t *testing.T, l *sched.Loop) {
	dir := t.TempDir()
	f := filepath.Join(dir, "f")
	d := filepath.Join(dir, "d")
	full := filepath.Join(dir, "full")
	writeFile(t, f, []byte("x"))
	os.Mkdir(d, 0o755)
	os.Mkdir(full, 0o755)
	writeFile(t, filepath.Join(full, "x"), nil)

	wantErrno(t, "Unlinkat(dir, 0)", l.Unlinkat(bg, unix.AT_FDCWD, d, 0), errnoOf(t, unix.Unlinkat(unix.AT_FDCWD, d, 0)))
	wantErrno(t, "Unlinkat(file, AT_REMOVEDIR)", l.Unlinkat(bg, unix.AT_FDCWD, f, unix.AT_REMOVEDIR), unix.ENOTDIR)
	wantErrno(t, "Unlinkat(non-empty dir)", l.Unlinkat(bg, unix.AT_FDCWD, full, unix.AT_REMOVEDIR), errnoOf(t, unix.Rmdir(full)))
	wantErrno(t, "Unlinkat(file)", l.Unlinkat(bg, unix.AT_FDCWD, f, 0), 0)
	wantErrno(t, "Unlinkat(dir, AT_REMOVEDIR)", l.Unlinkat(bg, unix.AT_FDCWD, d, unix.AT_REMOVEDIR), 0)
	for _, p := range []string{f, d} {
		if _, err := os.Lstat(p); !os.IsNotExist(err) {
			t.Errorf("%s still exists: %v", p, err)
		}
	}
	wantErrno(t, "Unlinkat(missing)", l.Unlinkat(bg, unix.AT_FDCWD, f, 0), errnoOf(t, os.Remove(f)))
	dfd := openFd(t, l, full, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	wantErrno(t, "Unlinkat(dirfd)", l.Unlinkat(bg, dfd, "x", 0), 0)
}

func testMkdirat(t *testing.T, l *sched.Loop) {
	dir := t.TempDir()
	p := filepath.Join(dir, "d")
	wantErrno(t, "Mkdirat", l.Mkdirat(bg, unix.AT_FDCWD, p, 0o750), 0)
	twin := filepath.Join(dir, "twin")
	if err := os.Mkdir(twin, 0o750); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	ti, _ := os.Stat(twin)
	if err != nil || fi.Mode() != ti.Mode() {
		t.Errorf("Mkdirat made %v (%v), os made %v", fi, err, ti.Mode())
	}
	wantErrno(t, "Mkdirat(exists)", l.Mkdirat(bg, unix.AT_FDCWD, p, 0o750), errnoOf(t, os.Mkdir(p, 0o750)))
	q := filepath.Join(dir, "no", "d")
	wantErrno(t, "Mkdirat(missing parent)", l.Mkdirat(bg, unix.AT_FDCWD, q, 0o750), errnoOf(t, os.Mkdir(q, 0o750)))
	dfd := openFd(t, l, p, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	wantErrno(t, "Mkdirat(dirfd)", l.Mkdirat(bg, dfd, "inner", 0o700), 0)
	if fi, err := os.Stat(filepath.Join(p, "inner")); err != nil || !fi.IsDir() {
		t.Errorf("dirfd-relative Mkdirat: %v", err)
	}
}

func testSymlinkat(t *testing.T, l *sched.Loop) {
	dir := t.TempDir()
	link := filepath.Join(dir, "link")
	wantErrno(t, "Symlinkat", l.Symlinkat(bg, "some/target", unix.AT_FDCWD, link), 0)
	if got, err := os.Readlink(link); err != nil || got != "some/target" {
		t.Errorf("Readlink = %q, %v", got, err)
	}
	wantErrno(t, "Symlinkat(exists)", l.Symlinkat(bg, "x", unix.AT_FDCWD, link), errnoOf(t, os.Symlink("x", link)))
	dfd := openFd(t, l, dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	wantErrno(t, "Symlinkat(dirfd)", l.Symlinkat(bg, "/abs", dfd, "l2"), 0)
	if got, err := os.Readlink(filepath.Join(dir, "l2")); err != nil || got != "/abs" {
		t.Errorf("Readlink(l2) = %q, %v", got, err)
	}
}

func testLinkat(t *testing.T, l *sched.Loop) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	writeFile(t, a, []byte("A"))
	wantErrno(t, "Linkat", l.Linkat(bg, unix.AT_FDCWD, a, unix.AT_FDCWD, b, 0), 0)
	ai, _ := os.Stat(a)
	bi, err := os.Stat(b)
	if err != nil || !os.SameFile(ai, bi) || ai.Sys().(*syscall.Stat_t).Nlink != 2 {
		t.Errorf("Linkat: %v, same file %v", err, err == nil && os.SameFile(ai, bi))
	}
	wantErrno(t, "Linkat(exists)", l.Linkat(bg, unix.AT_FDCWD, a, unix.AT_FDCWD, b, 0), errnoOf(t, os.Link(a, b)))
	c := filepath.Join(dir, "c")
	wantErrno(t, "Linkat(missing)", l.Linkat(bg, unix.AT_FDCWD, c, unix.AT_FDCWD, filepath.Join(dir, "d"), 0), errnoOf(t, os.Link(c, filepath.Join(dir, "d"))))
	// Hard links to a symlink: AT_SYMLINK_FOLLOW links the target.
	os.Symlink("a", filepath.Join(dir, "s"))
	wantErrno(t, "Linkat(AT_SYMLINK_FOLLOW)", l.Linkat(bg, unix.AT_FDCWD, filepath.Join(dir, "s"), unix.AT_FDCWD, filepath.Join(dir, "e"), unix.AT_SYMLINK_FOLLOW), 0)
	if ei, err := os.Lstat(filepath.Join(dir, "e")); err != nil || !os.SameFile(ai, ei) {
		t.Errorf("AT_SYMLINK_FOLLOW did not link the target: %v", err)
	}
}

func testFtruncate(t *testing.T, l *sched.Loop) {
	p := filepath.Join(t.TempDir(), "t")
	writeFile(t, p, pattern(10000, 3))
	fd := openFd(t, l, p, unix.O_RDWR, 0)
	for _, size := range []int64{5000, 0, 20000, 1} {
		wantErrno(t, "Ftruncate", l.Ftruncate(bg, fd, size), 0)
		if fi, _ := os.Stat(p); fi.Size() != size {
			t.Errorf("size %d after Ftruncate(%d)", fi.Size(), size)
		}
	}
	wantErrno(t, "Ftruncate(-1)", l.Ftruncate(bg, fd, -1), unix.EINVAL)
	ro := openFd(t, l, p, unix.O_RDONLY, 0)
	wantErrno(t, "Ftruncate(O_RDONLY)", l.Ftruncate(bg, ro, 0), unix.EINVAL)
}

func testSplice(t *testing.T, l *sched.Loop) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	data := pattern(50000, 9)
	writeFile(t, src, data)
	in := openFd(t, l, src, unix.O_RDONLY, 0)
	out := openFd(t, l, filepath.Join(dir, "dst"), unix.O_RDWR|unix.O_CREAT, 0o644)
	var pfd [2]int
	if err := unix.Pipe2(pfd[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(pfd[0])
	defer unix.Close(pfd[1])
	// file@off -> pipe -> file@off, in pieces no larger than the pipe.
	for off := int64(0); off < int64(len(data)); {
		n, err := l.Splice(bg, in, off, pfd[1], -1, 16384, 0)
		if err != nil || n <= 0 {
			t.Fatalf("Splice file->pipe at %d = %d, %v", off, n, err)
		}
		for m := 0; m < n; {
			k, err := l.Splice(bg, pfd[0], -1, out, off+int64(m), n-m, 0)
			if err != nil || k <= 0 {
				t.Fatalf("Splice pipe->file = %d, %v", k, err)
			}
			m += k
		}
		off += int64(n)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "dst")); !bytes.Equal(got, data) {
		t.Errorf("spliced copy differs (%d bytes)", len(got))
	}
	// At EOF splice returns 0; with no pipe on either side it is EINVAL.
	if n, err := l.Splice(bg, in, int64(len(data)), pfd[1], -1, 100, 0); n != 0 || err != nil {
		t.Errorf("Splice at EOF = %d, %v", n, err)
	}
	_, err := l.Splice(bg, in, 0, out, 0, 100, 0)
	wantErrno(t, "Splice(file->file)", err, unix.EINVAL)
}

// testChain checks linked chains: results land in each op, and a failing op
// completes the rest with ECANCELED on both backends.
func testChain(t *testing.T, l *sched.Loop) {
	dir := t.TempDir()
	p := filepath.Join(dir, "c")
	fd := openFd(t, l, p, unix.O_RDWR|unix.O_CREAT, 0o644)
	data := pattern(8192, 4)
	w := &sched.Op{Code: ring.OpWrite, Fd: fd, Buf: data, Off: 0}
	s := &sched.Op{Code: ring.OpFsync, Fd: fd}
	r := &sched.Op{Code: ring.OpRead, Fd: fd, Buf: make([]byte, 8192), Off: 0}
	if err := l.Chain(bg, []*sched.Op{w, s, r}); err != nil {
		t.Fatal(err)
	}
	if w.Res != 8192 || s.Res != 0 || r.Res != 8192 || !bytes.Equal(r.Buf, data) {
		t.Errorf("write->fsync->read: results %d %d %d", w.Res, s.Res, r.Res)
	}

	// A failing first op cancels the rest.
	bad := &sched.Op{Code: ring.OpWrite, Fd: 1 << 20, Buf: []byte("x"), Off: 0}
	w2 := &sched.Op{Code: ring.OpWrite, Fd: fd, Buf: []byte("MUST NOT"), Off: 0}
	n := &sched.Op{Code: ring.OpNop}
	if err := l.Chain(bg, []*sched.Op{bad, w2, n}); err != nil {
		t.Fatal(err)
	}
	if bad.Err() != unix.EBADF || w2.Err() != unix.ECANCELED || n.Err() != unix.ECANCELED {
		t.Errorf("failed chain: results %v, %v, %v; want EBADF, ECANCELED, ECANCELED", bad.Err(), w2.Err(), n.Err())
	}
	if got, _ := os.ReadFile(p); !bytes.Equal(got, data) {
		t.Errorf("a cancelled write of the chain reached the file")
	}

	// A failure in the middle: the ops before it ran, the ones after did not.
	// (Openat, reads and writes break a chain when they fail at run time;
	// see TestChainBreakingOps for the opcodes that, on io_uring, do not.)
	st := &unix.Statx_t{}
	a := &sched.Op{Code: ring.OpStatx, Fd: unix.AT_FDCWD, Path: p, Mode: unix.STATX_SIZE, Statx: st}
	b := &sched.Op{Code: ring.OpOpenat, Fd: unix.AT_FDCWD, Path: filepath.Join(dir, "missing"), Flags: unix.O_RDONLY | unix.O_CLOEXEC}
	c := &sched.Op{Code: ring.OpMkdirat, Fd: unix.AT_FDCWD, Path: filepath.Join(dir, "never"), Mode: 0o755}
	if err := l.Chain(bg, []*sched.Op{a, b, c}); err != nil {
		t.Fatal(err)
	}
	if a.Res != 0 || st.Size != 8192 || b.Err() != unix.ENOENT || c.Err() != unix.ECANCELED {
		t.Errorf("statx->openat(missing)->mkdir: %v (size %d), %v, %v", a.Err(), st.Size, b.Err(), c.Err())
	}
	if _, err := os.Stat(filepath.Join(dir, "never")); !os.IsNotExist(err) {
		t.Errorf("op after the failure ran: %v", err)
	}

	// A short read breaks the chain as a failure would.
	short := &sched.Op{Code: ring.OpRead, Fd: fd, Buf: make([]byte, 100), Off: 8150}
	after := &sched.Op{Code: ring.OpNop}
	if err := l.Chain(bg, []*sched.Op{short, after}); err != nil {
		t.Fatal(err)
	}
	if short.Res != 42 || after.Err() != unix.ECANCELED {
		t.Errorf("short read then nop: %d, %v; want 42, ECANCELED", short.Res, after.Err())
	}

	// An Op value can be reused.
	for range 3 {
		if err := l.Do(bg, r); err != nil || r.Res != 8192 {
			t.Fatalf("reused op: %d, %v", r.Res, err)
		}
	}
	if err := l.Chain(bg, nil); err != nil {
		t.Errorf("empty chain: %v", err)
	}
}

// testBadArguments covers what the loop refuses before the kernel sees it.
func testBadArguments(t *testing.T, l *sched.Loop) {
	_, err := l.Openat(bg, unix.AT_FDCWD, "a\x00b", unix.O_RDONLY, 0)
	wantErrno(t, "Openat(path with NUL)", err, unix.EINVAL)
	if err := l.Do(bg, &sched.Op{Code: ring.OpTimeout}); err == nil {
		t.Errorf("Do(TIMEOUT) accepted an opcode the loop cannot prepare")
	}
	ctx, cancel := context.WithCancel(bg)
	cancel()
	if err := l.Nop(ctx); err != context.Canceled {
		t.Errorf("Nop(cancelled ctx) = %v, want context.Canceled", err)
	}
}

// TestChainBreakingOps records which failing opcodes break a linked chain.
// The syscall backend cancels the rest after any failure. io_uring, on the
// kernels this was written on (6.18), only does so for some opcodes: a
// failed UNLINKAT, STATX, MKDIRAT, RENAMEAT or FSYNC lets the next op run.
// That is kernel behaviour the loop cannot undo, so for io_uring this test
// logs instead of failing; callers must not rely on those ops to guard a
// chain.
func TestChainBreakingOps(t *testing.T) {
	eachBackend(t, sched.Config{Rings: 1, Entries: 16}, func(t *testing.T, l *sched.Loop) {
		dir := t.TempDir()
		missing := filepath.Join(dir, "missing")
		st := &unix.Statx_t{}
		var pfd [2]int
		if err := unix.Pipe2(pfd[:], unix.O_CLOEXEC); err != nil {
			t.Fatal(err)
		}
		defer unix.Close(pfd[0])
		defer unix.Close(pfd[1])
		for _, first := range []*sched.Op{
			{Code: ring.OpRead, Fd: 1 << 20, Buf: make([]byte, 1)},
			{Code: ring.OpOpenat, Fd: unix.AT_FDCWD, Path: missing, Flags: unix.O_RDONLY | unix.O_CLOEXEC},
			{Code: ring.OpUnlinkat, Fd: unix.AT_FDCWD, Path: missing},
			{Code: ring.OpStatx, Fd: unix.AT_FDCWD, Path: missing, Statx: st},
			{Code: ring.OpMkdirat, Fd: unix.AT_FDCWD, Path: dir, Mode: 0o755},
			{Code: ring.OpRenameat, Fd: unix.AT_FDCWD, Path: missing, Fd2: unix.AT_FDCWD, Path2: missing + "2"},
			{Code: ring.OpFsync, Fd: pfd[1]}, // EINVAL at run time
		} {
			next := &sched.Op{Code: ring.OpNop}
			if err := l.Chain(bg, []*sched.Op{first, next}); err != nil {
				t.Fatal(err)
			}
			if first.Res >= 0 {
				t.Fatalf("%v did not fail: %d", first.Code, first.Res)
			}
			if next.Err() == unix.ECANCELED {
				continue
			}
			msg := fmt.Sprintf("%v failed with %v and the next op still ran (%v)", first.Code, first.Err(), next.Err())
			if l.Backend() == sched.BackendURing && first.Code != ring.OpRead && first.Code != ring.OpOpenat {
				t.Log("kernel behaviour: " + msg)
			} else {
				t.Error(msg)
			}
		}
	})
}
