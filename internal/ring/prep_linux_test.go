package ring

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// Each test here sends one prepared SQE (or a short chain) through a real
// ring and checks the result through the kernel's ordinary interfaces (os,
// plain syscalls), so a field the prep function put in the wrong place shows
// up as a wrong result, not just as a different byte in the SQE.

const curPos = ^uint64(0) // offset -1: use and advance the file position

func TestPrepNop(t *testing.T) {
	r := newTestRing(t, 4)
	c := do(t, r, func(s *SQE) { s.PrepNop() })
	requireRes(t, 0, c, "NOP")
}

func TestPrepWriteRead(t *testing.T) {
	r := newTestRing(t, 4)
	requireOps(t, r, OpRead, OpWrite)
	path, fd := tempFile(t, nil, unix.O_RDWR)

	data := heapBytes(11)
	copy(data, "hello uring")
	requireRes(t, 11, do(t, r, func(s *SQE) { s.PrepWrite(fd, data, 5) }), "WRITE at 5")
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, append(make([]byte, 5), "hello uring"...), got)

	buf := heapBytes(32)
	requireRes(t, 8, do(t, r, func(s *SQE) { s.PrepRead(fd, buf, 8) }), "READ at 8")
	require.Equal(t, "lo uring", string(buf[:8]))

	// Reading at the end of the file is a 0-byte read, not an error.
	requireRes(t, 0, do(t, r, func(s *SQE) { s.PrepRead(fd, buf, 16) }), "READ at EOF")
	keep(data, buf)
}

func TestPrepWriteReadFilePosition(t *testing.T) {
	r := newTestRing(t, 4)
	requireOps(t, r, OpRead, OpWrite)
	requireFeature(t, r, FeatRWCurPos, "RW_CUR_POS")
	_, fd := tempFile(t, nil, unix.O_RDWR)

	a, b := heapBytes(3), heapBytes(4)
	copy(a, "abc")
	copy(b, "defg")
	requireRes(t, 3, do(t, r, func(s *SQE) { s.PrepWrite(fd, a, curPos) }), "WRITE at pos")
	requireRes(t, 4, do(t, r, func(s *SQE) { s.PrepWrite(fd, b, curPos) }), "WRITE at pos")
	pos, err := unix.Seek(fd, 0, io.SeekCurrent)
	require.NoError(t, err)
	require.Equal(t, int64(7), pos, "writes at -1 advance the file position")

	_, err = unix.Seek(fd, 2, io.SeekStart)
	require.NoError(t, err)
	buf := heapBytes(3)
	requireRes(t, 3, do(t, r, func(s *SQE) { s.PrepRead(fd, buf, curPos) }), "READ at pos")
	require.Equal(t, "cde", string(buf))
	pos, err = unix.Seek(fd, 0, io.SeekCurrent)
	require.NoError(t, err)
	require.Equal(t, int64(5), pos, "reads at -1 advance the file position")
	keep(a, b, buf)
}

func TestPrepWritevReadv(t *testing.T) {
	r := newTestRing(t, 4)
	path, fd := tempFile(t, nil, unix.O_RDWR)

	p1, p2 := heapBytes(5), heapBytes(6)
	copy(p1, "first")
	copy(p2, "second")
	iovs := heapNew[[2]unix.Iovec]()
	iovs[0].Base, iovs[1].Base = &p1[0], &p2[0]
	iovs[0].SetLen(len(p1))
	iovs[1].SetLen(len(p2))
	requireRes(t, 11, do(t, r, func(s *SQE) { s.PrepWritev(fd, iovs[:], 3) }), "WRITEV")
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "\x00\x00\x00firstsecond", string(got))

	q1, q2 := heapBytes(4), heapBytes(20)
	riovs := heapNew[[2]unix.Iovec]()
	riovs[0].Base, riovs[1].Base = &q1[0], &q2[0]
	riovs[0].SetLen(len(q1))
	riovs[1].SetLen(len(q2))
	requireRes(t, 10, do(t, r, func(s *SQE) { s.PrepReadv(fd, riovs[:], 4) }), "READV")
	require.Equal(t, "irst", string(q1))
	require.Equal(t, "second", string(q2[:6]))
	keep(p1, p2, iovs, q1, q2, riovs)
}

func TestPrepFixedBuffers(t *testing.T) {
	r := newTestRing(t, 4)
	path, fd := tempFile(t, nil, unix.O_RDWR)

	wbuf, rbuf := heapBytes(4096), heapBytes(4096)
	for i := range wbuf {
		wbuf[i] = byte(i * 7)
	}
	require.NoError(t, r.RegisterBuffers([][]byte{wbuf, rbuf}))

	// A sub-slice of a registered buffer is allowed.
	requireRes(t, 1000, do(t, r, func(s *SQE) { s.PrepWriteFixed(fd, wbuf[100:1100], 0, 0) }), "WRITE_FIXED")
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, wbuf[100:1100], got)

	requireRes(t, 500, do(t, r, func(s *SQE) { s.PrepReadFixed(fd, rbuf[:500], 500, 1) }), "READ_FIXED")
	require.Equal(t, wbuf[600:1100], rbuf[:500])

	// A buffer outside the registered one at that index is refused.
	c := do(t, r, func(s *SQE) { s.PrepReadFixed(fd, rbuf[:10], 0, 0) })
	require.Negative(t, c.Res, "READ_FIXED into memory that is not buffer 0")

	require.NoError(t, r.UnregisterBuffers())
	require.ErrorIs(t, r.UnregisterBuffers(), unix.ENXIO, "second UnregisterBuffers")
	c = do(t, r, func(s *SQE) { s.PrepReadFixed(fd, rbuf[:10], 0, 1) })
	require.Negative(t, c.Res, "READ_FIXED after UnregisterBuffers")

	require.ErrorIs(t, r.RegisterBuffers(nil), unix.EINVAL)
	require.ErrorIs(t, r.RegisterBuffers([][]byte{{}}), unix.EINVAL)
	keep(wbuf, rbuf)
}

func TestPrepFsync(t *testing.T) {
	r := newTestRing(t, 4)
	_, fd := tempFile(t, []byte("data"), unix.O_RDWR)
	requireRes(t, 0, do(t, r, func(s *SQE) { s.PrepFsync(fd, 0) }), "FSYNC")
	requireRes(t, 0, do(t, r, func(s *SQE) { s.PrepFsync(fd, FsyncDatasync) }), "FSYNC DATASYNC")

	// The result is the kernel's: an unknown fsync flag is refused.
	requireRes(t, -int32(unix.EINVAL), do(t, r, func(s *SQE) { s.PrepFsync(fd, 1<<7) }), "FSYNC bad flag")
	requireRes(t, -int32(unix.EBADF), do(t, r, func(s *SQE) { s.PrepFsync(-1, 0) }), "FSYNC fd -1")
}

func TestPrepOpenatClose(t *testing.T) {
	r := newTestRing(t, 4)
	requireOps(t, r, OpOpenat, OpClose)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "x"), []byte("opened"), 0o644))
	dirfd := openDir(t, dir)

	name := cstr(t, "x")
	c := do(t, r, func(s *SQE) { s.PrepOpenat(dirfd, name, unix.O_RDONLY|unix.O_CLOEXEC, 0) })
	require.GreaterOrEqual(t, c.Res, int32(0), "OPENAT: %s", resString(c.Res))
	fd := int(c.Res)
	buf := make([]byte, 16)
	n, err := unix.Pread(fd, buf, 0)
	require.NoError(t, err)
	require.Equal(t, "opened", string(buf[:n]))

	requireRes(t, 0, do(t, r, func(s *SQE) { s.PrepClose(fd) }), "CLOSE")
	_, err = unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	require.ErrorIs(t, err, unix.EBADF, "fd %d still open after CLOSE", fd)

	// Create with a mode, through an absolute path (dirfd ignored).
	created := filepath.Join(dir, "new")
	cpath := cstr(t, created)
	c = do(t, r, func(s *SQE) {
		s.PrepOpenat(unix.AT_FDCWD, cpath, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC, 0o600)
	})
	require.GreaterOrEqual(t, c.Res, int32(0), "OPENAT O_CREAT: %s", resString(c.Res))
	unix.Close(int(c.Res))
	fi, err := os.Stat(created)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	missing := cstr(t, "missing")
	requireRes(t, -int32(unix.ENOENT), do(t, r, func(s *SQE) { s.PrepOpenat(dirfd, missing, unix.O_RDONLY, 0) }), "OPENAT missing")
	requireRes(t, -int32(unix.EEXIST), do(t, r, func(s *SQE) {
		s.PrepOpenat(unix.AT_FDCWD, cpath, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL, 0o600)
	}), "OPENAT O_EXCL existing")
	keep(name, cpath, missing)
}

func TestPrepOpenatDirect(t *testing.T) {
	r := newTestRing(t, 4)
	requireOps(t, r, OpOpenat, OpClose, OpRead)
	path, _ := tempFile(t, []byte("direct descriptor"), unix.O_RDONLY)
	require.NoError(t, r.RegisterFiles([]int32{-1, -1, -1}))

	cpath := cstr(t, path)
	requireRes(t, 0, do(t, r, func(s *SQE) {
		s.PrepOpenatDirect(unix.AT_FDCWD, cpath, unix.O_RDONLY, 0, 1)
	}), "OPENAT into slot 1")

	buf := heapBytes(64)
	read := func(slot int) CQE {
		return do(t, r, func(s *SQE) {
			s.PrepRead(slot, buf, 0)
			s.Flags |= SQEFixedFile
		})
	}
	requireRes(t, 17, read(1), "READ fixed slot 1")
	require.Equal(t, "direct descriptor", string(buf[:17]))
	requireRes(t, -int32(unix.EBADF), read(0), "READ fixed empty slot 0")

	// FileIndexAlloc picks a free slot and reports it as the result.
	c := do(t, r, func(s *SQE) {
		s.PrepOpenatDirect(unix.AT_FDCWD, cpath, unix.O_RDONLY, 0, FileIndexAlloc)
	})
	require.GreaterOrEqual(t, c.Res, int32(0), "OPENAT alloc: %s", resString(c.Res))
	require.NotEqual(t, int32(1), c.Res, "slot 1 is taken")
	require.Less(t, c.Res, int32(3))
	requireRes(t, 17, read(int(c.Res)), "READ fixed allocated slot")

	requireRes(t, 0, do(t, r, func(s *SQE) { s.PrepCloseDirect(1) }), "CLOSE direct slot 1")
	requireRes(t, -int32(unix.EBADF), read(1), "READ fixed closed slot 1")
	requireRes(t, -int32(unix.EBADF), do(t, r, func(s *SQE) { s.PrepCloseDirect(1) }), "CLOSE direct slot 1 again")
	keep(cpath, buf)
}

func TestPrepOpenat2ResolveBeneath(t *testing.T) {
	r := newTestRing(t, 4)
	requireOps(t, r, OpOpenat2)
	dir := t.TempDir()
	sub := filepath.Join(dir, "sub")
	require.NoError(t, os.Mkdir(sub, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "x"), []byte("outside"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(sub, "y"), []byte("inside"), 0o644))
	subfd := openDir(t, sub)

	how := heapNew[unix.OpenHow]()
	how.Flags = unix.O_RDONLY | unix.O_CLOEXEC
	how.Resolve = unix.RESOLVE_BENEATH
	escape, inside := cstr(t, "../x"), cstr(t, "y")

	requireRes(t, -int32(unix.EXDEV), do(t, r, func(s *SQE) { s.PrepOpenat2(subfd, escape, how) }), "OPENAT2 ../x beneath")

	c := do(t, r, func(s *SQE) { s.PrepOpenat2(subfd, inside, how) })
	require.GreaterOrEqual(t, c.Res, int32(0), "OPENAT2 y beneath: %s", resString(c.Res))
	unix.Close(int(c.Res))

	// Without RESOLVE_BENEATH the same path opens: the refusal above came
	// from the open_how the kernel read, not from the path.
	how.Resolve = 0
	c = do(t, r, func(s *SQE) { s.PrepOpenat2(subfd, escape, how) })
	require.GreaterOrEqual(t, c.Res, int32(0), "OPENAT2 ../x: %s", resString(c.Res))
	buf := make([]byte, 16)
	n, err := unix.Pread(int(c.Res), buf, 0)
	unix.Close(int(c.Res))
	require.NoError(t, err)
	require.Equal(t, "outside", string(buf[:n]))
	keep(how, escape, inside)
}

func TestPrepStatx(t *testing.T) {
	r := newTestRing(t, 4)
	requireOps(t, r, OpStatx)
	path, fd := tempFile(t, bytes.Repeat([]byte("s"), 1234), unix.O_RDONLY)
	require.NoError(t, os.Chmod(path, 0o640))
	mtime := time.Date(2021, 3, 4, 5, 6, 7, 123456789, time.UTC)
	require.NoError(t, os.Chtimes(path, mtime, mtime))
	fi, err := os.Stat(path)
	require.NoError(t, err)
	sys := fi.Sys().(*syscall.Stat_t)

	check := func(st *unix.Statx_t, what string) {
		t.Helper()
		require.Equal(t, uint32(unix.STATX_BASIC_STATS), st.Mask&unix.STATX_BASIC_STATS, "%s mask", what)
		require.Equal(t, fi.Size(), int64(st.Size), "%s size", what)
		require.Equal(t, uint16(unix.S_IFREG|0o640), st.Mode, "%s mode", what)
		require.Equal(t, sys.Ino, st.Ino, "%s ino", what)
		require.Equal(t, fi.ModTime().Unix(), st.Mtime.Sec, "%s mtime sec", what)
		require.Equal(t, int64(fi.ModTime().Nanosecond()), int64(st.Mtime.Nsec), "%s mtime nsec", what)
		require.Equal(t, mtime.Unix(), st.Mtime.Sec, "%s mtime vs Chtimes", what)
	}

	st := heapNew[unix.Statx_t]()
	cpath := cstr(t, path)
	requireRes(t, 0, do(t, r, func(s *SQE) {
		s.PrepStatx(unix.AT_FDCWD, cpath, 0, unix.STATX_BASIC_STATS, st)
	}), "STATX path")
	check(st, "statx(path)")

	st2 := heapNew[unix.Statx_t]()
	empty := cstr(t, "")
	requireRes(t, 0, do(t, r, func(s *SQE) {
		s.PrepStatx(fd, empty, unix.AT_EMPTY_PATH, unix.STATX_BASIC_STATS, st2)
	}), "STATX AT_EMPTY_PATH")
	check(st2, "statx(fd)")

	// Flags reach the kernel: without AT_EMPTY_PATH an empty path is ENOENT,
	// and AT_SYMLINK_NOFOLLOW stats the link itself.
	requireRes(t, -int32(unix.ENOENT), do(t, r, func(s *SQE) {
		s.PrepStatx(fd, empty, 0, unix.STATX_BASIC_STATS, st2)
	}), "STATX empty path without AT_EMPTY_PATH")
	link := filepath.Join(filepath.Dir(path), "link")
	require.NoError(t, os.Symlink(path, link))
	clink := cstr(t, link)
	requireRes(t, 0, do(t, r, func(s *SQE) {
		s.PrepStatx(unix.AT_FDCWD, clink, unix.AT_SYMLINK_NOFOLLOW, unix.STATX_BASIC_STATS, st2)
	}), "STATX symlink nofollow")
	require.Equal(t, uint32(unix.S_IFLNK), uint32(st2.Mode)&unix.S_IFMT)
	keep(st, st2, cpath, empty, clink)
}

func TestPrepFallocate(t *testing.T) {
	r := newTestRing(t, 4)
	requireOps(t, r, OpFallocate)
	path, fd := tempFile(t, nil, unix.O_RDWR)

	requireRes(t, 0, do(t, r, func(s *SQE) { s.PrepFallocate(fd, 0, 4096, 1<<16) }), "FALLOCATE")
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, int64(4096+1<<16), fi.Size(), "size after fallocate(off 4096, len 64K)")

	// Punching a hole zeroes exactly [off, off+len), which tells offset and
	// length apart.
	full := bytes.Repeat([]byte{0xff}, 16384)
	require.NoError(t, os.WriteFile(path, full, 0o644))
	c := do(t, r, func(s *SQE) {
		s.PrepFallocate(fd, unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, 4096, 8192)
	})
	if c.Res == -int32(unix.EOPNOTSUPP) {
		t.Skip("file system cannot punch holes")
	}
	requireRes(t, 0, c, "FALLOCATE punch hole")
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	want := bytes.Clone(full)
	clear(want[4096:12288])
	require.Equal(t, want, got)
}

func TestPrepFadvise(t *testing.T) {
	r := newTestRing(t, 4)
	requireOps(t, r, OpFadvise)
	_, fd := tempFile(t, []byte("advice"), unix.O_RDONLY)
	requireRes(t, 0, do(t, r, func(s *SQE) { s.PrepFadvise(fd, 0, 6, unix.FADV_SEQUENTIAL) }), "FADVISE SEQUENTIAL")
	requireRes(t, 0, do(t, r, func(s *SQE) { s.PrepFadvise(fd, 0, 0, unix.FADV_DONTNEED) }), "FADVISE DONTNEED")
	requireRes(t, 0, do(t, r, func(s *SQE) { s.PrepFadvise(fd, 0, 1<<33, unix.FADV_WILLNEED) }), "FADVISE 8 GiB")
	requireRes(t, -int32(unix.EINVAL), do(t, r, func(s *SQE) { s.PrepFadvise(fd, 0, 6, 99) }), "FADVISE bad advice")

	pr, _ := emptyPipe(t)
	requireRes(t, -int32(unix.ESPIPE), do(t, r, func(s *SQE) { s.PrepFadvise(pr, 0, 6, unix.FADV_NORMAL) }), "FADVISE pipe")
}

// TestPrepFadviseRange checks that offset and length reach the kernel in
// the right fields: DONTNEED on [2 MiB, 6 MiB) of a cached, clean file must
// drop those pages from the page cache, as mincore shows. The range is
// aligned to 2 MiB because the page cache may hold the file in folios that
// large and DONTNEED drops only whole folios. Only non-residency is
// asserted, since memory pressure may evict other pages too.
func TestPrepFadviseRange(t *testing.T) {
	r := newTestRing(t, 4)
	requireOps(t, r, OpFadvise)
	const mb = 1 << 20
	pg := os.Getpagesize()
	path, fd := tempFile(t, bytes.Repeat([]byte("p"), 8*mb), unix.O_RDONLY)
	require.NoError(t, unix.Fsync(fd), "dirty pages are not dropped")
	_, err := os.ReadFile(path)
	require.NoError(t, err)

	requireRes(t, 0, do(t, r, func(s *SQE) { s.PrepFadvise(fd, 2*mb, 4*mb, unix.FADV_DONTNEED) }), "FADVISE DONTNEED")

	m, err := unix.Mmap(fd, 0, 8*mb, unix.PROT_READ, unix.MAP_SHARED)
	require.NoError(t, err)
	defer unix.Munmap(m)
	vec := make([]byte, 8*mb/pg)
	_, _, errno := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&m[0])), uintptr(len(m)), uintptr(unsafe.Pointer(&vec[0])))
	require.Zero(t, errno, "mincore: %v", errno)
	for i := 2 * mb / pg; i < 6*mb/pg; i++ {
		require.Zero(t, vec[i]&1, "page %d (of %d) still cached after DONTNEED of [2 MiB, 6 MiB)", i, len(vec))
	}
}

func TestPrepRenameat(t *testing.T) {
	r := newTestRing(t, 4)
	requireOps(t, r, OpRenameat)
	d1, d2 := t.TempDir(), t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(d1, "a"), []byte("moved"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(d2, "c"), nil, 0o644))
	fd1, fd2 := openDir(t, d1), openDir(t, d2)
	a, b, c := cstr(t, "a"), cstr(t, "b"), cstr(t, "c")

	requireRes(t, 0, do(t, r, func(s *SQE) { s.PrepRenameat(fd1, a, fd2, b, 0) }), "RENAMEAT d1/a -> d2/b")
	_, err := os.Stat(filepath.Join(d1, "a"))
	require.ErrorIs(t, err, os.ErrNotExist)
	got, err := os.ReadFile(filepath.Join(d2, "b"))
	require.NoError(t, err)
	require.Equal(t, "moved", string(got))

	requireRes(t, -int32(unix.EEXIST), do(t, r, func(s *SQE) {
		s.PrepRenameat(fd2, b, fd2, c, unix.RENAME_NOREPLACE)
	}), "RENAMEAT NOREPLACE onto existing")
	requireRes(t, -int32(unix.ENOENT), do(t, r, func(s *SQE) { s.PrepRenameat(fd1, a, fd2, b, 0) }), "RENAMEAT missing")
	keep(a, b, c)
}

func TestPrepUnlinkat(t *testing.T) {
	r := newTestRing(t, 4)
	requireOps(t, r, OpUnlinkat)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "f"), nil, 0o644))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "d"), 0o755))
	dirfd := openDir(t, dir)
	f, d := cstr(t, "f"), cstr(t, "d")

	requireRes(t, 0, do(t, r, func(s *SQE) { s.PrepUnlinkat(dirfd, f, 0) }), "UNLINKAT file")
	_, err := os.Lstat(filepath.Join(dir, "f"))
	require.ErrorIs(t, err, os.ErrNotExist)

	requireRes(t, -int32(unix.EISDIR), do(t, r, func(s *SQE) { s.PrepUnlinkat(dirfd, d, 0) }), "UNLINKAT dir without AT_REMOVEDIR")
	requireRes(t, 0, do(t, r, func(s *SQE) { s.PrepUnlinkat(dirfd, d, unix.AT_REMOVEDIR) }), "UNLINKAT AT_REMOVEDIR")
	_, err = os.Lstat(filepath.Join(dir, "d"))
	require.ErrorIs(t, err, os.ErrNotExist)
	keep(f, d)
}

func TestPrepMkdirat(t *testing.T) {
	r := newTestRing(t, 4)
	requireOps(t, r, OpMkdirat)
	dir := t.TempDir()
	dirfd := openDir(t, dir)
	name := cstr(t, "newdir")

	// 0700 survives any usual umask, so the mode check does not depend on it.
	requireRes(t, 0, do(t, r, func(s *SQE) { s.PrepMkdirat(dirfd, name, 0o700) }), "MKDIRAT")
	fi, err := os.Stat(filepath.Join(dir, "newdir"))
	require.NoError(t, err)
	require.True(t, fi.IsDir())
	require.Equal(t, os.FileMode(0o700), fi.Mode().Perm())
	requireRes(t, -int32(unix.EEXIST), do(t, r, func(s *SQE) { s.PrepMkdirat(dirfd, name, 0o700) }), "MKDIRAT existing")
	keep(name)
}

func TestPrepSymlinkat(t *testing.T) {
	r := newTestRing(t, 4)
	requireOps(t, r, OpSymlinkat)
	dir := t.TempDir()
	dirfd := openDir(t, dir)
	target, link := cstr(t, "some/target"), cstr(t, "link")

	requireRes(t, 0, do(t, r, func(s *SQE) { s.PrepSymlinkat(target, dirfd, link) }), "SYMLINKAT")
	got, err := os.Readlink(filepath.Join(dir, "link"))
	require.NoError(t, err)
	require.Equal(t, "some/target", got)
	requireRes(t, -int32(unix.EEXIST), do(t, r, func(s *SQE) { s.PrepSymlinkat(target, dirfd, link) }), "SYMLINKAT existing")
	keep(target, link)
}

func TestPrepLinkat(t *testing.T) {
	r := newTestRing(t, 4)
	requireOps(t, r, OpLinkat)
	d1, d2 := t.TempDir(), t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(d1, "orig"), []byte("x"), 0o644))
	require.NoError(t, os.Symlink("orig", filepath.Join(d1, "sym")))
	fd1, fd2 := openDir(t, d1), openDir(t, d2)
	orig, hard, sym, hard2 := cstr(t, "orig"), cstr(t, "hard"), cstr(t, "sym"), cstr(t, "hard2")

	requireRes(t, 0, do(t, r, func(s *SQE) { s.PrepLinkat(fd1, orig, fd2, hard, 0) }), "LINKAT")
	fi1, err := os.Stat(filepath.Join(d1, "orig"))
	require.NoError(t, err)
	fi2, err := os.Stat(filepath.Join(d2, "hard"))
	require.NoError(t, err)
	require.True(t, os.SameFile(fi1, fi2), "hard link is the same inode")
	require.Equal(t, uint64(2), uint64(fi1.Sys().(*syscall.Stat_t).Nlink))

	// AT_SYMLINK_FOLLOW links the symlink's target rather than the symlink.
	requireRes(t, 0, do(t, r, func(s *SQE) { s.PrepLinkat(fd1, sym, fd2, hard2, unix.AT_SYMLINK_FOLLOW) }), "LINKAT follow")
	fi3, err := os.Lstat(filepath.Join(d2, "hard2"))
	require.NoError(t, err)
	require.True(t, fi3.Mode().IsRegular(), "AT_SYMLINK_FOLLOW made a link to %v", fi3.Mode())
	require.True(t, os.SameFile(fi1, fi3))
	keep(orig, hard, sym, hard2)
}

func TestPrepFtruncate(t *testing.T) {
	r := newTestRing(t, 4)
	requireOps(t, r, OpFtruncate)
	path, fd := tempFile(t, bytes.Repeat([]byte("t"), 100), unix.O_RDWR)

	for _, size := range []uint64{10, 5000, 0} {
		requireRes(t, 0, do(t, r, func(s *SQE) { s.PrepFtruncate(fd, size) }), "FTRUNCATE")
		fi, err := os.Stat(path)
		require.NoError(t, err)
		require.Equal(t, int64(size), fi.Size())
	}
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Empty(t, got)

	_, rofd := tempFile(t, []byte("ro"), unix.O_RDONLY)
	c := do(t, r, func(s *SQE) { s.PrepFtruncate(rofd, 0) })
	require.Contains(t, []int32{-int32(unix.EINVAL), -int32(unix.EBADF)}, c.Res, "FTRUNCATE read-only fd: %s", resString(c.Res))
}

func TestPrepSplice(t *testing.T) {
	r := newTestRing(t, 4)
	requireOps(t, r, OpSplice)
	_, fd := tempFile(t, []byte("0123456789splice"), unix.O_RDONLY)
	pr, pw := emptyPipe(t)

	// From offset 4 of the file into the pipe (pipes take offset -1).
	requireRes(t, 10, do(t, r, func(s *SQE) { s.PrepSplice(fd, 4, pw, curPos, 10, 0) }), "SPLICE file->pipe")
	buf := make([]byte, 32)
	n, err := unix.Read(pr, buf)
	require.NoError(t, err)
	require.Equal(t, "456789spli", string(buf[:n]))

	// A pipe end with an explicit offset is refused.
	requireRes(t, -int32(unix.ESPIPE), do(t, r, func(s *SQE) { s.PrepSplice(fd, 0, pw, 0, 4, 0) }), "SPLICE with pipe offset")
}

func TestPrepNopResult(t *testing.T) {
	r := newTestRing(t, 8)
	c := do(t, r, func(s *SQE) { s.PrepNopResult(-int32(unix.EIO)) })
	if c.Res == 0 {
		t.Skipf("NOP result %d: the kernel lacks IORING_NOP_INJECT_RESULT (Linux 6.10)", c.Res)
	}
	requireRes(t, -int32(unix.EIO), c, "NOP with an injected result")
}
