package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/uringfs/uring/uringfs"
)

// The async workloads measure uringfs's async face against os's only way
// to keep many operations in flight, one goroutine each. With g from
// -goroutines (or -readfile-goroutines), os runs g goroutines; uringfs runs
// one goroutine keeping g operations in flight.
const (
	// wAsyncRandRead: O_DIRECT random reads of -bs; uringfs uses a Batch as
	// a completion queue of depth g.
	wAsyncRandRead = "async-randread-direct"
	// wReadFiles: whole small files; uringfs reads them with ReadFiles.
	wReadFiles = "readfiles"
)

// prepareAsync is prepare for the async workloads; ok is false for the
// others.
func prepareAsync(e *engine, s phaseSpec) (w *phaseWork, ok bool, err error) {
	switch s.Workload {
	case wAsyncRandRead:
		if s.Files.Data == "" || s.Files.DataSize < s.BS {
			return nil, true, fmt.Errorf("%s: no test file prepared", s.Workload)
		}
		if e.name == engineOS {
			f, err := e.open(s.Files.Data, os.O_RDONLY|oDirect, 0)
			if err != nil {
				return nil, true, err
			}
			return &phaseWork{worker: randomIO(f, s.Files.DataSize/s.BS, s.BS, 100), bytesPerOp: s.BS, close: f.Close}, true, nil
		}
		f, err := uringfs.OpenFile(s.Files.Data, os.O_RDONLY|oDirect, 0)
		if err != nil {
			return nil, true, err
		}
		depth := max(s.Goroutines, 1)
		return &phaseWork{worker: asyncRandRead(f, s.Files.DataSize/s.BS, s.BS, depth), bytesPerOp: s.BS, close: f.Close}, true, nil
	case wReadFiles:
		if s.Files.SmallCount == 0 {
			return nil, true, fmt.Errorf("%s: no files prepared", s.Workload)
		}
		names := make([]string, s.Files.SmallCount)
		for i := range names {
			names[i] = smallName(s.Files.SmallDir, i)
		}
		if e.name == engineOS {
			return &phaseWork{worker: readFiles(e, names, s.BS), bytesPerOp: s.BS, close: func() error { return nil }}, true, nil
		}
		return &phaseWork{worker: readFilesAsync(names, s.BS), bytesPerOp: s.BS, close: func() error { return nil }}, true, nil
	}
	return nil, false, nil
}

// asyncRandRead is randomIO for one goroutine with depth reads in flight:
// it refills the queue for every completion and submits the refills in
// groups. Only worker 0 runs.
func asyncRandRead(f *uringfs.File, blocks, bs int64, depth int) workerFunc {
	return func(w *worker) error {
		if w.id != 0 {
			return nil
		}
		rng := newRand(w.id)
		bufs := make([][]byte, depth)
		slot := make(map[uringfs.Handle]int, depth)
		b := uringfs.NewBatch()
		for i := range bufs {
			bufs[i] = alignedBuf(bs)
			slot[b.ReadAt(f, bufs[i], rng.Int64N(blocks)*bs)] = i
		}
		var firstErr error
		for {
			// Refill for what has completed, submitting every 8 refills
			// (BenchmarkAsyncRandReadDirect in uringfs compares 1, 8 and
			// 64: within a few percent of each other since WaitAny
			// waits inside io_uring_enter).
			var h uringfs.Handle
			if b.Len() < 8 {
				h = b.Poll()
			}
			if h == nil {
				b.Submit(context.Background())
				if h = b.WaitAny(); h == nil {
					return firstErr
				}
			}
			i := slot[h]
			delete(slot, h)
			if err := h.Err(); err != nil && firstErr == nil {
				firstErr = err
			}
			w.done(time.Time{})
			if !w.stop.Load() && firstErr == nil {
				slot[b.ReadAt(f, bufs[i], rng.Int64N(blocks)*bs)] = i
			}
		}
	}
}

// readFilesAsync reads all the files with ReadFiles, over and over, from
// one goroutine. Only worker 0 runs.
func readFilesAsync(names []string, bs int64) workerFunc {
	return func(w *worker) error {
		if w.id != 0 {
			return nil
		}
		ctx := context.Background() // a cancellable one costs an AfterFunc per file
		for !w.stop.Load() {
			for fd, err := range uringfs.ReadFiles(ctx, names) {
				if err != nil {
					return err
				}
				if int64(len(fd.Data)) != bs {
					return fmt.Errorf("%s: read %d bytes, want %d", fd.Name, len(fd.Data), bs)
				}
				w.done(time.Time{})
				if w.stop.Load() {
					break
				}
			}
		}
		return nil
	}
}
