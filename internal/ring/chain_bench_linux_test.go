package ring

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// BenchmarkDirectReadChain measures what the kernel alone charges to read a
// small cached file through the ring, the floor under uringfs.ReadFiles: per
// file one linked chain (OPENAT into a direct slot, READ, READ at end of
// file, CLOSE of the slot), 32 files per io_uring_enter, from one locked
// thread and no Go scheduler in the way. "guards" adds the two ops
// ReadFile's chain puts in front of its READ (FADVISE, zero-length
// RWF_NOWAIT READ). ns/op is per file; cpu-ns/file is the thread's CPU time.
//
//	go test -run - -bench DirectReadChain ./internal/ring
func BenchmarkDirectReadChain(b *testing.B) {
	dir := b.TempDir()
	const files, batch = 2048, 32
	names := make([][]byte, files)
	data := make([]byte, 4096)
	for i := range names {
		p := filepath.Join(dir, fmt.Sprintf("f%04d", i))
		if err := os.WriteFile(p, data, 0o644); err != nil {
			b.Fatal(err)
		}
		names[i] = append([]byte(p), 0)
	}
	for _, guards := range []bool{false, true} {
		b.Run(map[bool]string{false: "plain", true: "guards"}[guards], func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			r, err := New(256, nil)
			if err != nil {
				b.Skipf("io_uring is not available here: %v", err)
			}
			defer r.Close()
			slots := make([]int32, batch)
			for i := range slots {
				slots[i] = -1
			}
			if err := r.RegisterFiles(slots); err != nil {
				b.Skipf("no direct descriptors here: %v", err)
			}
			bufs := make([][]byte, batch)
			for i := range bufs {
				bufs[i] = make([]byte, 8192)
			}
			cpu0 := threadCPU()
			b.ResetTimer()
			for done := 0; done < b.N; {
				k := min(batch, b.N-done)
				want := 0
				for j := range k {
					sqe := r.NextSQE()
					sqe.PrepOpenatDirect(unix.AT_FDCWD, &names[(done+j)%files][0], unix.O_RDONLY, 0, uint32(j))
					sqe.Flags |= SQEIOLink
					if guards {
						sqe = r.NextSQE()
						sqe.PrepFadvise(j, 0, 0, unix.FADV_NORMAL)
						sqe.Flags |= SQEFixedFile | SQEIOLink
						sqe = r.NextSQE()
						sqe.PrepRead(j, bufs[j][:0], ^uint64(0))
						sqe.OpFlags = unix.RWF_NOWAIT
						sqe.Flags |= SQEFixedFile | SQEIOLink
						want += 2
					}
					// A short READ would cut a plain link: hard links keep
					// the chain going to its CLOSE.
					sqe = r.NextSQE()
					sqe.PrepRead(j, bufs[j][:4096], ^uint64(0))
					sqe.Flags |= SQEFixedFile | SQEIOHardlink
					sqe = r.NextSQE()
					sqe.PrepRead(j, bufs[j][4096:4097], ^uint64(0))
					sqe.Flags |= SQEFixedFile | SQEIOHardlink
					sqe = r.NextSQE()
					sqe.PrepCloseDirect(uint32(j))
					want += 4
				}
				if _, err := r.Submit(); err != nil {
					b.Fatal(err)
				}
				for got := 0; got < want; {
					got += int(r.ReapCQEs(func(c *CQE) {
						if c.Res < 0 {
							b.Fatalf("chain op failed: %v", syscall.Errno(-c.Res))
						}
					}))
					if got < want {
						if _, err := r.Enter(0, uint32(want-got), EnterGetEvents); err != nil && err != unix.EINTR {
							b.Fatal(err)
						}
					}
				}
				done += k
			}
			b.StopTimer()
			b.ReportMetric(float64(threadCPU()-cpu0)/float64(b.N), "cpu-ns/file")
		})
	}
}

// threadCPU is the calling thread's user and system time.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_THREAD, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
