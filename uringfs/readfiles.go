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
		ready := make(chan Handle, readFilesWindow)
		index := make(map[Handle]int, readFilesWindow)
		next, stopped := 0, false
		start := func(n int) {
			b := NewBatch()
			b.ready, b.shared = ready, true
			for ; n > 0 && next < len(names); n-- {
				index[b.ReadFile(names[next])] = next
				next++
			}
			if b.Len() > 0 {
				b.Submit(ctx) // a failure is reported by each handle
			}
		}
		start(readFilesWindow)
		for len(index) > 0 {
			// Take every completion that is there, then refill the window
			// with one batch: one io_uring_enter for all the new opens.
			got := 0
			for h := <-ready; ; {
				got++
				i := index[h]
				delete(index, h)
				p := h.(*Pending[[]byte])
				if !stopped && !yield(FileData{Index: i, Name: names[i], Data: p.val}, p.err) {
					stopped = true
					for h := range index {
						h.Cancel()
					}
				}
				select {
				case h = <-ready:
					continue
				default:
				}
				break
			}
			if !stopped {
				start(got)
			}
		}
	}
}
