package sched

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

func TestSmoke(t *testing.T) {
	for _, b := range []string{BackendURing, BackendSyscall} {
		t.Run(b, func(t *testing.T) {
			l, err := New(Config{Backend: b, Rings: 2, Entries: 16})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			ctx := context.Background()
			p := filepath.Join(t.TempDir(), "f")
			fd, err := l.Openat(ctx, unix.AT_FDCWD, p, unix.O_CREAT|unix.O_RDWR|unix.O_CLOEXEC, 0o644)
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			for g := 0; g < 64; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					buf := bytes.Repeat([]byte{byte(g)}, 4096)
					for i := 0; i < 200; i++ {
						if n, err := l.Pwrite(ctx, fd, buf, int64(g)*4096); err != nil || n != 4096 {
							t.Errorf("write: %d %v", n, err)
							return
						}
						got := make([]byte, 4096)
						if n, err := l.Pread(ctx, fd, got, int64(g)*4096); err != nil || n != 4096 || !bytes.Equal(got, buf) {
							t.Errorf("read: %d %v", n, err)
							return
						}
					}
				}()
			}
			wg.Wait()
			if err := l.CloseFd(fd); err != nil {
				t.Fatal(err)
			}
			data, _ := os.ReadFile(p)
			if len(data) != 64*4096 {
				t.Fatalf("size %d", len(data))
			}
			t.Logf("%s %+v", l.Backend(), l.Counters())
		})
	}
}
