package uringfs

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/uringfs/uring/internal/sched"
)

// readFilesGroup is the number of files a ReadFiles driver submits at once
// on the direct path: the chains of all of them go to the kernel in one
// io_uring_enter.
const readFilesGroup = sched.MaxReadChains

// readFilesSmallBuf is the buffer size a ReadFiles driver's chains start
// with. Files read in bulk are mostly small, and 32 chains with
// directReadSize buffers would be 2 MiB a driver: allocated, cleared and
// page-faulted afresh by every call, a churn of page faults and of the
// heap scavenger's madvise that small files do not need. A driver moves to
// directReadSize once a file does not fit. With the byte for the
// end-of-file READ a buffer is 20 KiB, a Go size class whose objects all
// start on a page boundary, as directReadSize buffers do.
const readFilesSmallBuf = 20<<10 - 1

// chainBufs are a driver's chain buffers, kept between calls.
type chainBufs [readFilesGroup]*[]byte

var readFilesBufs = sync.Pool{New: func() any { return new(chainBufs) }}

// readFilesDirect is a ReadFiles driver built on readFileDirect's chain:
// it takes readFilesGroup names at a time and runs their chains together
// with Loop.ChainsDirect, so that for files in the page cache every open,
// read and close of the group completes inside one io_uring_enter, with no
// descriptor in the process's table and no park. The files the chains
// settle are handed to yield together once the group's chains are done.
// Those they cannot settle (larger than the buffer, not in the page cache,
// a chain that found no free slot) are then read together as a Batch of
// ReadFiles and handed over as they complete; those a chain left open in
// its slot (pipes, FIFOs, terminals) are read to their end there first.
//
// It reports false, having done nothing, when the loop cannot run direct
// chains; the caller then uses readFilesDriver.
func readFilesDirect(ctx context.Context, names []string, next *atomic.Int64, stop <-chan struct{},
	yield func([]fileResult) bool) bool {
	l, err := loop()
	if err != nil || !l.CanReadChain() {
		return false
	}
	var (
		// The chains too are the driver's, reused from group to group
		// (ReadChain.Set); their ops go back to the pool at the end.
		chains [readFilesGroup]sched.ReadChain
		ops    [readFilesGroup][]*sched.Op
		ran    [readFilesGroup]bool
		done   [readFilesGroup]bool // settled by more
		datas  [readFilesGroup][]byte
		errs   [readFilesGroup]error
	)
	// The driver's own buffers, reused group after group (directBufs,
	// emptied by every GC, would hand out fresh ones all the time) and
	// from call to call.
	bufs := readFilesBufs.Get().(*chainBufs)
	defer readFilesBufs.Put(bufs)
	bufSize := readFilesSmallBuf
	defer func() {
		for i := range chains {
			chains[i].Release()
		}
	}()
	for {
		select {
		case <-stop:
			return true
		default:
		}
		first := int(next.Add(int64(readFilesGroup))) - readFilesGroup
		if first >= len(names) {
			return true
		}
		group := names[first:min(first+readFilesGroup, len(names))]
		for i, name := range group {
			if bufs[i] == nil || len(*bufs[i]) < bufSize+1 {
				b := make([]byte, bufSize+1)
				bufs[i] = &b
			}
			chains[i].Set(name, *bufs[i])
			ops[i] = chains[i].Ops()
			done[i] = false
		}
		l.ChainsDirect(ctx, ops[:len(group)], ran[:len(group)], func(i int, run func(...*sched.Op) error) {
			if chains[i].Opened() {
				done[i] = true
				datas[i], errs[i] = readOpenDirect(&chains[i], run, group[i])
			}
		})
		// New slices each time: the caller may still be reading the last.
		settled := make([]fileResult, 0, len(group))
		var rest *Batch // the files the chains did not settle
		var pending [readFilesGroup]*Pending[[]byte]
		for i, name := range group {
			data, err := datas[i], errs[i]
			ok := done[i]
			if !ok && ran[i] {
				data, ok, err = chainResult(&chains[i], name)
			}
			ops[i], datas[i], errs[i] = nil, nil, nil
			if ok {
				settled = append(settled, fileResult{FileData{Index: first + i, Name: name, Data: data}, err})
				continue
			}
			if ran[i] && chains[i].Filled() {
				bufSize = directReadSize
			}
			// Not in the page cache, too large, or no slot: these go to
			// the ring together, so that files waiting for the device wait
			// side by side, not one after another.
			if rest == nil {
				rest = NewBatch()
			}
			pending[i] = rest.ReadFile(name)
		}
		if len(settled) > 0 && !yield(settled) {
			if rest != nil {
				rest.Cancel()
				rest.Wait()
			}
			return true
		}
		if rest == nil {
			continue
		}
		// The rest are handed over as they complete, with whatever else
		// has completed by then.
		rest.Submit(ctx) // a failure is reported by each handle
		for h := rest.WaitAny(); h != nil; h = rest.WaitAny() {
			var out []fileResult
			for ; h != nil; h = rest.Poll() {
				for i, p := range pending[:len(group)] {
					if p != nil && Handle(p) == h {
						data, err := p.Wait()
						out = append(out, fileResult{FileData{Index: first + i, Name: group[i], Data: data}, err})
						break
					}
				}
			}
			if !yield(out) {
				rest.Cancel()
				rest.Wait()
				return true
			}
		}
	}
}
