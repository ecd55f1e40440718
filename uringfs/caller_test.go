//go:build linux

package uringfs_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/uringfs/uring/uringfs"
)

// TestCachedFileOnCaller: on io_uring, the work of reading an open file
// whose pages are cached (afero.ReadFile's Stat, Reads up to the end of
// file, Close) and a Stat and Lstat by name are plain system calls on the
// caller, as os's are: none of them costs a ring round trip.
func TestCachedFileOnCaller(t *testing.T) {
	if b, _ := uringfs.Backend(); b != "uring" {
		t.Skipf("%s backend: every operation is a system call", b)
	}
	name := filepath.Join(t.TempDir(), "f")
	want := bytes.Repeat([]byte("0123456789abcdef"), 300) // 4800 bytes: one full page and part of another
	if err := os.WriteFile(name, want, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := uringfs.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c0 := uringfs.LoopCounters()
	if _, err := f.ReadAt(make([]byte, 1), 0); err != nil {
		t.Fatal(err)
	}
	if uringfs.LoopCounters().NowaitMisses != c0.NowaitMisses {
		t.Skip("the file system refuses RWF_NOWAIT reads")
	}
	c0 = uringfs.LoopCounters()
	fi, err := f.Stat()
	if err != nil || fi.Size() != int64(len(want)) {
		t.Fatalf("Stat: %v, %v", fi, err)
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(f); err != nil || !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("ReadFrom: %d bytes, %v", buf.Len(), err)
	}
	if n, err := f.Read(make([]byte, 10)); n != 0 || err != io.EOF {
		t.Fatalf("Read at the end: %d, %v; want 0, EOF", n, err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := uringfs.Stat(name); err != nil {
		t.Fatal(err)
	}
	if _, err := uringfs.Lstat(name); err != nil {
		t.Fatal(err)
	}
	c1 := uringfs.LoopCounters()
	// With URINGFS_METADATA=ring the three stats go to the ring, as that
	// setting asks; the reads and the Close stay on the caller.
	wantSQEs, wantOnCaller := uint64(0), uint64(4)
	if os.Getenv("URINGFS_METADATA") == "ring" {
		wantSQEs, wantOnCaller = 3, 1
	}
	if c1.SQEs-c0.SQEs != wantSQEs {
		t.Errorf("Stat, reads to the end, Close, Stat and Lstat of a cached file: %d SQEs, want %d", c1.SQEs-c0.SQEs, wantSQEs)
	}
	if d := c1.OnCaller - c0.OnCaller; d < wantOnCaller {
		t.Errorf("OnCaller grew by %d, want at least %d (File.Stat, Close, Stat, Lstat, less those on the ring)", d, wantOnCaller)
	}
}

// TestDirectFileSkipsPageCache: a File opened with O_DIRECT makes no
// RWF_NOWAIT attempt, since its reads always go to the device: the flag is
// taken from the open, not asked of the kernel afterwards.
func TestDirectFileSkipsPageCache(t *testing.T) {
	if b, _ := uringfs.Backend(); b != "uring" {
		t.Skipf("%s backend: no RWF_NOWAIT attempts", b)
	}
	name := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(name, make([]byte, 8192), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := uringfs.OpenFile(name, os.O_RDONLY|syscall.O_DIRECT, 0)
	if err != nil {
		t.Skipf("O_DIRECT refused here: %v", err)
	}
	defer f.Close()
	buf := alignedBlocks(1, 4096)[0]
	c0 := uringfs.LoopCounters()
	if _, err := f.ReadAt(buf, 4096); err != nil {
		t.Fatal(err)
	}
	c1 := uringfs.LoopCounters()
	if c1.NowaitHits != c0.NowaitHits || c1.NowaitMisses != c0.NowaitMisses || c1.CachedReads != c0.CachedReads {
		t.Errorf("a ReadAt of an O_DIRECT file tried the page cache: %+v -> %+v", c0, c1)
	}
}
