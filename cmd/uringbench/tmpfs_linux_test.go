package main

import (
	"os"
	"syscall"
	"testing"
)

// TestTmpfs runs on /dev/shm, a tmpfs that may refuse O_DIRECT.
func TestTmpfs(t *testing.T) {
	var st syscall.Statfs_t
	if err := syscall.Statfs("/dev/shm", &st); err != nil || st.Type != 0x01021994 {
		t.Skip("no tmpfs at /dev/shm")
	}
	dir, err := os.MkdirTemp("/dev/shm", "uringbench-test-")
	if err != nil {
		t.Skip("/dev/shm not writable:", err)
	}
	defer os.RemoveAll(dir)
	out, _ := runTool(t, tiny(dir, "-engines", "os,uring", "-goroutines", "2", "-hot-goroutines", "1", "-isolate=false")...)
	if !hasRow(rowsOf(out), wRandReadHot, "1", engineUring) {
		t.Errorf("no hot-cache result on tmpfs:\n%s", out)
	}
}
