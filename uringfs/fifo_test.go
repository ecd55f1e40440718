//go:build unix

package uringfs_test

import (
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/uringfs/uring/uringfs"
)

// Opening a FIFO waits for the other end, as os.Open does: IORING_OP_OPENAT's
// non-blocking first attempt must not leak through.
func TestOpenFIFOWaitsForPeer(t *testing.T) {
	p := filepath.Join(t.TempDir(), "fifo")
	if err := unix.Mkfifo(p, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	for _, tc := range []struct {
		name       string
		flag, peer int
	}{{"read", unix.O_RDONLY, unix.O_WRONLY}, {"write", unix.O_WRONLY, unix.O_RDONLY}} {
		t.Run(tc.name, func(t *testing.T) {
			opened := make(chan error, 1)
			var f *uringfs.File
			go func() {
				var err error
				f, err = uringfs.OpenFile(p, tc.flag, 0)
				opened <- err
			}()
			select {
			case err := <-opened:
				t.Fatalf("open returned before the other end was opened (err %v)", err)
			case <-time.After(100 * time.Millisecond):
			}
			peer, err := unix.Open(p, tc.peer|unix.O_CLOEXEC, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer unix.Close(peer)
			if err := <-opened; err != nil {
				t.Fatalf("open: %v", err)
			}
			f.Close()
		})
	}
}
