package sched_test

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

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
		// No readahead: after an eviction each read brings back its own
		// page only, so a probe of a page not read yet finds it missing.
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
		iov := [][]byte{make([]byte, 4096)}
		if _, err := unix.Preadv2(fd, iov, 0, unix.RWF_NOWAIT); err == nil {
			t.Log("the file system kept the pages after FADV_DONTNEED; eviction not checked")
		} else {
			c1 := l.Counters()
			readPages(bg)
			c2 := l.Counters()
			// The first probe (within 32 reads) misses and puts the file
			// back on RWF_NOWAIT first, so the evicted pages after it all
			// miss too; without that only the probes would.
			if m := c2.NowaitMisses - c1.NowaitMisses; m < pages/2 {
				t.Errorf("after eviction %d of %d reads missed through RWF_NOWAIT, want at least %d", m, pages, pages/2)
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
