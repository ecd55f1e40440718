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

// ReadFiles reads the named files and yields each one's content once it is
// complete. Every name is yielded once, with the error os.ReadFile would
// have returned for it (a *fs.PathError; nil on success). FileData.Index
// tells which name a result is for: results do not come in the order of
// names.
//
// On io_uring the files are read in groups of 32 per P (GOMAXPROCS
// drivers): each file is one linked chain (open into a direct descriptor,
// read, read to confirm end of file, close) and one io_uring_enter carries
// the chains of a whole group, so a group of files in the page cache is
// read inside that single system call, on every CPU at once, and its files
// are yielded together when it returns. Files the chain does not settle
// (larger than 64 KiB, not in the page cache) are then read together,
// their opens, reads and closes in flight side by side, and yielded as
// each completes; pipes and FIFOs are read to their end where the chain
// opened them.
// Without direct
// descriptors the opens, reads and closes of up to 128 files are kept in
// flight and each file is yielded as it completes; on the syscall backend
// the operations run on a bounded set of goroutines. The caller's loop
// body always runs on the caller's goroutine.
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
			each := func(group []fileResult) bool {
				for _, r := range group {
					if !yield(r.fd, r.err) {
						return false
					}
				}
				return true
			}
			if !readFilesDirect(ctx, names, &next, nil, each) {
				readFilesDriver(ctx, names, &next, readFilesWindow, nil, yield)
			}
			return
		}
		// Drivers hand over whole groups: one channel operation (and at
		// most one wake-up of this goroutine) per group, not per file.
		results := make(chan []fileResult, readFilesWindow)
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for range drivers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				send := func(group []fileResult) bool {
					select {
					case results <- group:
						return true
					case <-stop:
						return false
					}
				}
				if !readFilesDirect(ctx, names, &next, stop, send) {
					readFilesDriver(ctx, names, &next, readFilesWindow/drivers, stop, func(fd FileData, err error) bool {
						return send([]fileResult{{fd, err}})
					})
				}
			}()
		}
		go func() {
			wg.Wait()
			close(results)
		}()
		stopped := false
		for group := range results {
			for _, r := range group {
				if !stopped && !yield(r.fd, r.err) {
					stopped = true
					close(stop)
				}
			}
		}
	}
}

// fileResult is one file's outcome on its way to ReadFiles' caller.
type fileResult struct {
	fd  FileData
	err error
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
