package uringfs

import (
	"context"
	"iter"
	"runtime"
	"sync"
	"sync/atomic"
)

// FileData is the content of one file read by ReadFiles.
type FileData struct {
	Index int    // the position of the name in the names given to ReadFiles
	Name  string // the name as given
	Data  []byte // the content; with an error, what was read before it
}

// readFilesWindow bounds the files ReadFiles has in flight at once: enough
// to keep a device's queue full, few enough that the buffers of files
// nobody has consumed yet stay modest.
const readFilesWindow = 128

// readFilesPerDriver is the number of files below which a second driver is
// not worth its start-up.
const readFilesPerDriver = 64

// ReadFiles reads the named files and yields each one's content as soon as
// it is complete, in the order the reads complete, not the order of names.
// Every name is yielded once, with the error os.ReadFile would have
// returned for it (a *fs.PathError; nil on success).
//
// Up to 128 files are in flight at once: their opens, reads and closes are
// submitted together, many per io_uring_enter, and each completion submits
// the next step of its file, without a goroutine per file. A page-cache hit
// completes inside the io_uring_enter that submitted it, on the submitting
// thread, so for many files ReadFiles drives the ring from one goroutine
// per P (GOMAXPROCS), which lets cached reads use every CPU; the caller's
// loop body runs on the caller's goroutine. On the syscall backend the
// operations run on a bounded set of goroutines.
//
// Cancelling ctx cancels what is in flight; the files not read yet are
// yielded with an error wrapping ctx.Err(). Stopping the loop early cancels
// the files in flight and waits for them (their descriptors are closed)
// before the loop statement ends.
func ReadFiles(ctx context.Context, names []string) iter.Seq2[FileData, error] {
	return func(yield func(FileData, error) bool) {
		drivers := min(runtime.GOMAXPROCS(0), max(1, len(names)/readFilesPerDriver))
		var next atomic.Int64
		if drivers == 1 {
			readFilesDriver(ctx, names, &next, readFilesWindow, nil, yield)
			return
		}
		type result struct {
			fd  FileData
			err error
		}
		results := make(chan result, readFilesWindow)
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for range drivers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				readFilesDriver(ctx, names, &next, readFilesWindow/drivers, stop, func(fd FileData, err error) bool {
					select {
					case results <- result{fd, err}:
						return true
					case <-stop:
						return false
					}
				})
			}()
		}
		go func() {
			wg.Wait()
			close(results)
		}()
		stopped := false
		for r := range results {
			if !stopped && !yield(r.fd, r.err) {
				stopped = true
				close(stop)
			}
		}
	}
}

// readFilesDriver keeps up to window files of names in flight, taking the
// next name to read from next, and hands each result to yield. It returns
// when every name is taken and read, or, once yield has returned false or
// stop is closed, when what it has in flight has been cancelled and has
// completed.
func readFilesDriver(ctx context.Context, names []string, next *atomic.Int64, window int, stop <-chan struct{},
	yield func(FileData, error) bool) {
	b := NewBatch()
	index := make(map[Handle]int, window)
	stopped := false
	add := func(n int) {
		for ; n > 0; n-- {
			i := int(next.Add(1) - 1)
			if i >= len(names) {
				return
			}
			index[b.ReadFile(names[i])] = i
		}
	}
	add(window)
	for {
		// Take what has completed; when nothing has, submit the files added
		// to refill the window, all with one io_uring_enter, and wait.
		h := b.Poll()
		if h == nil {
			if !stopped && b.Len() > 0 {
				b.Submit(ctx) // a failure is reported by each handle
			}
			if h = b.WaitAny(); h == nil {
				return
			}
		}
		i := index[h]
		delete(index, h)
		if stopped {
			continue
		}
		if !stopped && stop != nil {
			select {
			case <-stop:
				stopped = true
				b.Cancel()
				continue
			default:
			}
		}
		p := h.(*Pending[[]byte])
		if !yield(FileData{Index: i, Name: names[i], Data: p.val}, p.err) {
			// Cancel what is in flight and wait for it: its descriptors
			// are closed when this returns.
			stopped = true
			b.Cancel()
			continue
		}
		add(1)
	}
}
