package uringfs

import (
	"context"
	"iter"
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

// ReadFiles reads the named files and yields each one's content as soon as
// it is complete, in the order the reads complete, not the order of names.
// Every name is yielded once, with the error os.ReadFile would have
// returned for it (a *fs.PathError; nil on success).
//
// On io_uring one goroutine, the caller's, keeps up to 128 files in
// flight: their opens, reads and closes are submitted together, many per
// io_uring_enter, and each completion submits the next step of its file.
// On the syscall backend the same happens on a bounded set of goroutines.
//
// Cancelling ctx cancels what is in flight; the files not read yet are
// yielded with an error wrapping ctx.Err(). Stopping the loop early cancels
// the files in flight and waits for them (their descriptors are closed)
// before the loop statement ends.
func ReadFiles(ctx context.Context, names []string) iter.Seq2[FileData, error] {
	return func(yield func(FileData, error) bool) {
		b := NewBatch()
		index := make(map[Handle]int, readFilesWindow)
		next, stopped := 0, false
		add := func(n int) {
			for ; n > 0 && next < len(names); n-- {
				index[b.ReadFile(names[next])] = next
				next++
			}
		}
		add(readFilesWindow)
		for {
			// Take what has completed; when nothing has, submit the files
			// added to refill the window, all with one io_uring_enter, and
			// wait.
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
			p := h.(*Pending[[]byte])
			if !yield(FileData{Index: i, Name: names[i], Data: p.val}, p.err) {
				// Cancel what is in flight and wait for it: its
				// descriptors are closed when the loop statement ends.
				stopped = true
				b.Cancel()
				continue
			}
			add(1)
		}
	}
}
