//go:build linux

package sched_test

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/uringfs/uring/internal/sched"
)

// TestCacheHint checks the CacheHint policy of PreadCached: a regular file
// whose reads all hit the page cache moves to plain pread, a cancellable
// context never does, an evicted file moves back to RWF_NOWAIT first, and a
// pipe never moves however often its reads find data. Every read's bytes
// are checked on the way.
func TestCacheHint(t *testing.T) {
	eachBackend(t, sched.Config{Rings: 1}, func(t *testing.T, l *sched.Loop) {
		p := filepath.Join(t.TempDir(), "f")
		const pages = 256
		data := pattern(pages*4096, 5)
		writeFile(t, p, data)
		fd := openFd(t, l, p, unix.O_RDONLY, 0)
		// Ask for no readahead, so that after an eviction a probe of a
		// page not read yet is likely to miss (the kernel may still bring
		// back more than the page read; see the eviction step).
		unix.Fadvise(fd, 0, 0, unix.FADV_RANDOM)
		var h sched.CacheHint
		got := make([]byte, 4096)
		readPages := func(ctx context.Context) {
			t.Helper()
			for i := range pages {
				off := int64(i) * 4096
				n, err := l.PreadCached(ctx, fd, got, off, &h)
				if err != nil || n != len(got) || !bytes.Equal(got, data[off:off+4096]) {
					t.Fatalf("PreadCached(off %d) = %d, %v; want the file's 4096 bytes", off, n, err)
				}
			}
		}
		for range 4 {
			readPages(bg)
		}
		c0 := l.Counters()
		if l.Backend() == sched.BackendSyscall {
			if c0.CachedReads != 0 {
				t.Errorf("syscall backend: CachedReads = %d, want 0", c0.CachedReads)
			}
			return
		}
		// 1024 reads of a file just written: the first 64 are hits that
		// qualify it, then all but one in 32 are plain preads.
		if c0.CachedReads < 800 {
			t.Fatalf("hot file: %d of 1024 reads on the cached path, want at least 800 (%+v)", c0.CachedReads, c0)
		}
		ctx, cancel := context.WithCancel(bg)
		defer cancel()
		readPages(ctx)
		if c := l.Counters(); c.CachedReads != c0.CachedReads {
			t.Errorf("cancellable ctx: %d reads took the uncancellable path", c.CachedReads-c0.CachedReads)
		}

		unix.Fsync(fd) // dirty pages are not dropped
		if err := unix.Fadvise(fd, 0, 0, unix.FADV_DONTNEED); err != nil {
			t.Fatal(err)
		}
		if evicted := evictedPages(t, fd, pages); evicted < pages/2 {
			t.Logf("only %d of %d pages left the cache after FADV_DONTNEED (the file system or a busy machine kept them); eviction not checked", evicted, pages)
		} else {
			paths := readPaths(t, l, fd, data, &h)
			// A miss moves the file back to RWF_NOWAIT, where it stays
			// until 64 reads in a row hit: no plain read comes within 64
			// reads of a miss. Which reads miss is the kernel's business:
			// with every page evicted, reads still find pages it brought
			// back ahead of them (seen on ext4 with FADV_RANDOM under
			// load: from 0 to 225 of 256 missed, the first miss anywhere).
			if bytes.IndexByte(paths, 'M') < 0 {
				t.Logf("no read missed: the kernel read the %d evicted pages back ahead of the reads; the move back not checked", evicted)
			}
			for i, c := range paths {
				if c != 'M' {
					continue
				}
				window := paths[i+1 : min(i+1+64, pages)]
				if j := bytes.IndexByte(window, 'p'); j >= 0 {
					t.Errorf("read %d took the plain path %d reads after a miss, want 64 on RWF_NOWAIT first; paths: %s", i+1+j, j+1, paths)
					break
				}
			}
		}

		r, w := pipeFds(t)
		var hp sched.CacheHint
		before := l.Counters().CachedReads
		for i := range 200 {
			msg := []byte{byte(i), 1, 2, 3}
			if _, err := unix.Write(w, msg); err != nil {
				t.Fatal(err)
			}
			n, err := l.PreadCached(bg, r, got, -1, &hp)
			if err != nil || !bytes.Equal(got[:n], msg) {
				t.Fatalf("pipe read %d = %d, %v", i, n, err)
			}
		}
		if after := l.Counters().CachedReads; after != before {
			t.Errorf("pipe: %d reads took the plain path; a pipe must never", after-before)
		}
	})
}

// pipeFds makes a pipe whose ends close with the test.
func pipeFds(t *testing.T) (r, w int) {
	t.Helper()
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(p[0]); unix.Close(p[1]) })
	return p[0], p[1]
}

// evictedPages counts the pages of fd's first n that are not in the page
// cache, asking mincore(2) through a mapping, which reads nothing in.
func evictedPages(t *testing.T, fd, n int) int {
	t.Helper()
	m, err := unix.Mmap(fd, 0, n*4096, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(m)
	vec := make([]byte, n)
	// x/sys/unix has no wrapper for mincore.
	if _, _, errno := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&m[0])), uintptr(len(m)), uintptr(unsafe.Pointer(&vec[0]))); errno != 0 {
		t.Fatal(errno)
	}
	out := 0
	for _, v := range vec {
		if v&1 == 0 {
			out++
		}
	}
	return out
}

// TestCacheHintCold checks the other half of the policy: a file whose
// reads keep missing the page cache goes to the ring without the
// RWF_NOWAIT attempt, except for a probe now and then, and a probe that
// hits puts it back on RWF_NOWAIT. Every read's bytes are checked.
func TestCacheHintCold(t *testing.T) {
	l := newLoop(t, sched.BackendURing, sched.Config{Rings: 1})
	p := filepath.Join(t.TempDir(), "f")
	const pages = 512
	data := pattern(pages*4096, 7)
	writeFile(t, p, data)
	fd := openFd(t, l, p, unix.O_RDONLY, 0)
	unix.Fadvise(fd, 0, 0, unix.FADV_RANDOM)
	unix.Fsync(fd) // dirty pages are not dropped
	if err := unix.Fadvise(fd, 0, 0, unix.FADV_DONTNEED); err != nil {
		t.Fatal(err)
	}
	if evicted := evictedPages(t, fd, pages); evicted < pages*9/10 {
		t.Skipf("only %d of %d pages left the cache after FADV_DONTNEED (the file system or a busy machine kept them)", evicted, pages)
	}
	var h sched.CacheHint
	cold := readPaths(t, l, fd, data, &h)
	run := bytes.Index(cold, bytes.Repeat([]byte{'M'}, 8))
	if run < 0 {
		t.Skipf("no 8 misses in a row over %d evicted pages (the kernel read pages back ahead of the reads); paths: %s", pages, cold)
	}
	rest := cold[run+8:]
	if n := bytes.Count(rest, []byte{'c'}); n < len(rest)/2 {
		t.Errorf("after 8 misses in a row, %d of the next %d reads went straight to the ring, want most; paths: %s", n, len(rest), cold)
	}
	for i := 0; i+1 < len(cold); i++ {
		if cold[i] == 'h' && cold[i+1] == 'c' {
			t.Errorf("read %d went straight to the ring right after a hit; paths: %s", i+2, cold)
			break
		}
	}
	// The ring's reads brought every page in: the first probe hits and
	// the file goes back to RWF_NOWAIT.
	warm := readPaths(t, l, fd, data, &h)
	if n := bytes.Count(warm, []byte{'c'}); n > 2*16 {
		t.Errorf("second pass over the now cached file: %d reads went straight to the ring, want a probe's worth at most; paths: %s", n, warm)
	}
}

// TestPreadCachedPartlyCached checks that a read of a regular file whose
// range is only partly in the page cache returns all of it, as read(2)
// does (RWF_NOWAIT alone stops at the first page not cached), at an offset
// and at the file position, and that a pipe's short read still returns at
// once with what the pipe holds.
func TestPreadCachedPartlyCached(t *testing.T) {
	eachBackend(t, sched.Config{Rings: 1}, func(t *testing.T, l *sched.Loop) {
		p := filepath.Join(t.TempDir(), "f")
		const pages = 64
		data := pattern(pages*4096, 9)
		writeFile(t, p, data)
		fd := openFd(t, l, p, unix.O_RDONLY, 0)
		unix.Fadvise(fd, 0, 0, unix.FADV_RANDOM)
		unix.Fsync(fd)
		// The whole file leaves the cache and its first half comes back
		// (a partial FADV_DONTNEED could leave a large folio in place).
		cacheHead := func() {
			t.Helper()
			if err := unix.Fadvise(fd, 0, 0, unix.FADV_DONTNEED); err != nil {
				t.Fatal(err)
			}
			if _, err := unix.Pread(fd, make([]byte, len(data)/2), 0); err != nil {
				t.Fatal(err)
			}
		}
		for _, off := range []int64{0, -1} {
			cacheHead()
			if evicted := evictedPages(t, fd, pages); evicted < pages/4 || evicted == pages {
				t.Skipf("%d of %d pages out of the cache, want most of the second half", evicted, pages)
			}
			if off == -1 {
				if _, err := unix.Seek(fd, 0, 0); err != nil {
					t.Fatal(err)
				}
			}
			var h sched.CacheHint
			got := make([]byte, len(data)+4096)
			n, err := l.PreadCached(bg, fd, got, off, &h)
			if err != nil || n != len(data) || !bytes.Equal(got[:n], data) {
				t.Fatalf("PreadCached(off %d) of a file cached in its first half = %d, %v; want all %d bytes", off, n, err, len(data))
			}
			if off == -1 {
				if pos, _ := unix.Seek(fd, 0, 1); pos != int64(len(data)) {
					t.Errorf("file position after the read: %d, want %d", pos, len(data))
				}
			}
		}

		r, w := pipeFds(t)
		if _, err := unix.Write(w, []byte("short")); err != nil {
			t.Fatal(err)
		}
		var hp sched.CacheHint
		got := make([]byte, 4096)
		done := make(chan struct{})
		go func() {
			defer close(done)
			n, err := l.PreadCached(bg, r, got, -1, &hp)
			if err != nil || string(got[:n]) != "short" {
				t.Errorf("PreadCached of a pipe holding 5 bytes = %d %q, %v; want 5 \"short\"", n, got[:n], err)
			}
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			unix.Write(w, make([]byte, 4096))
			<-done
			t.Fatal("PreadCached of a pipe holding 5 bytes waited for more")
		}
	})
}

// readPaths reads every 4 KiB page of fd, whose contents are data, in
// order with PreadCached and h, checks each read's bytes, and tells each
// read's path by the counter it moved (the caller's goroutine must be the
// loop's only user): 'p' plain pread (cached), 'c' straight to the ring
// (cold), 'M' an RWF_NOWAIT miss, 'h' an RWF_NOWAIT hit.
func readPaths(t *testing.T, l *sched.Loop, fd int, data []byte, h *sched.CacheHint) []byte {
	t.Helper()
	got := make([]byte, 4096)
	paths := make([]byte, len(data)/4096)
	for i := range paths {
		c1 := l.Counters()
		off := int64(i) * 4096
		n, err := l.PreadCached(bg, fd, got, off, h)
		if err != nil || n != len(got) || !bytes.Equal(got, data[off:off+4096]) {
			t.Fatalf("PreadCached(off %d) = %d, %v; want the file's 4096 bytes", off, n, err)
		}
		switch c2 := l.Counters(); {
		case c2.CachedReads > c1.CachedReads:
			paths[i] = 'p'
		case c2.ColdReads > c1.ColdReads:
			paths[i] = 'c'
		case c2.NowaitMisses > c1.NowaitMisses:
			paths[i] = 'M'
		default:
			paths[i] = 'h'
		}
	}
	return paths
}
