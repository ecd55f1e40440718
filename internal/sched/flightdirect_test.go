//go:build linux

package sched_test

import (
	"bytes"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/uringfs/uring/internal/ring"
	"github.com/uringfs/uring/internal/sched"
)

// linkedRead is OPENAT into the chain's slot, READ of len(buf) at 0 and,
// with closeIt, CLOSE of the slot, linked one to the next (not hard
// linked: a failure cancels the rest).
func linkedRead(path string, buf []byte, closeIt bool) ([]*sched.Op, []bool) {
	ops := []*sched.Op{
		{Code: ring.OpOpenat, Fd: unix.AT_FDCWD, Path: path, Flags: unix.O_RDONLY, Direct: true},
		{Code: ring.OpRead, Buf: buf, Off: 0, Direct: true},
	}
	if closeIt {
		ops = append(ops, &sched.Op{Code: ring.OpClose, Direct: true})
	}
	links := make([]bool, len(ops))
	for i := range len(ops) - 1 {
		links[i] = true
	}
	return ops, links
}

// TestStartDirect covers flights whose chains open a file into a direct
// slot and work on it: results on both backends (the pool stands a plain
// descriptor in for the slot), a chain cut by a failed open, a chain that
// leaves its file open (the slot is emptied anyway), more chains than the
// ring has slots, and a cancelled flight. Every slot is free at the end.
func TestStartDirect(t *testing.T) {
	// 1024 entries: more SQ slots than direct slots, so that chains wait
	// for the latter.
	eachBackend(t, sched.Config{Rings: 1, Entries: 1024}, func(t *testing.T, l *sched.Loop) {
		dir := t.TempDir()
		name := filepath.Join(dir, "f")
		data := pattern(3000, 3)
		writeFile(t, name, data)
		run := func(ops []*sched.Op, links []bool) *sched.Flight {
			t.Helper()
			f, err := l.Start(bg, ops, links, nil)
			if err != nil {
				t.Fatal(err)
			}
			waitDone(t, f)
			return f
		}
		slotsFree := func(what string) {
			t.Helper()
			if n := l.DirectSlotsInUse(); n != 0 {
				t.Errorf("%s: %d direct slots still in use", what, n)
			}
		}

		buf := make([]byte, 3000)
		ops, links := linkedRead(name, buf, true)
		run(ops, links)
		if ops[0].Res != 0 || ops[1].Res != 3000 || ops[2].Res != 0 || !bytes.Equal(buf, data) {
			t.Errorf("open, read, close: results %d %d %d", ops[0].Res, ops[1].Res, ops[2].Res)
		}
		slotsFree("open, read, close")

		ops, links = linkedRead(filepath.Join(dir, "missing"), buf, true)
		run(ops, links)
		if ops[0].Res != -int32(unix.ENOENT) || ops[1].Res != -int32(unix.ECANCELED) || ops[2].Res != -int32(unix.ECANCELED) {
			t.Errorf("missing file: results %d %d %d", ops[0].Res, ops[1].Res, ops[2].Res)
		}
		slotsFree("missing file")

		// A short read cuts the chain before its CLOSE.
		big := make([]byte, 4096)
		ops, links = linkedRead(name, big, true)
		run(ops, links)
		if ops[1].Res != 3000 || ops[2].Res != -int32(unix.ECANCELED) {
			t.Errorf("short read: results %d %d", ops[1].Res, ops[2].Res)
		}
		slotsFree("short read")

		ops, links = linkedRead(name, buf, false)
		run(ops, links)
		if ops[1].Res != 3000 {
			t.Errorf("no close: read %d", ops[1].Res)
		}
		slotsFree("chain without CLOSE")

		// More chains than a ring has direct slots (256), with a plain op
		// between them: the rest wait for slots.
		const n = 600
		var all []*sched.Op
		var allLinks []bool
		bufs := make([][]byte, n)
		for i := range n {
			bufs[i] = make([]byte, 3000)
			ops, links := linkedRead(name, bufs[i], true)
			all = append(all, ops...)
			allLinks = append(allLinks, links...)
			if i%100 == 0 {
				all = append(all, &sched.Op{Code: ring.OpNop})
				allLinks = append(allLinks, false)
			}
		}
		run(all, allLinks)
		for i, op := range all {
			if op.Code == ring.OpRead && op.Res != 3000 || op.Code != ring.OpRead && op.Res != 0 {
				t.Fatalf("%d chains: op %d (%v) ended with %d", n, i, op.Code, op.Res)
			}
		}
		for i := range bufs {
			if !bytes.Equal(bufs[i], data) {
				t.Fatalf("%d chains: chain %d read other bytes", n, i)
			}
		}
		slotsFree("600 chains")

		// Cancelled at once: every op ends, none in a slot. (Page-cache
		// reads may all finish before the cancel; the FIFO test below
		// cancels chains that surely wait.)
		all, allLinks = nil, nil
		for i := range n {
			ops, links := linkedRead(name, bufs[i], true)
			all = append(all, ops...)
			allLinks = append(allLinks, links...)
		}
		f, err := l.Start(bg, all, allLinks, nil)
		if err != nil {
			t.Fatal(err)
		}
		f.Cancel()
		waitDone(t, f)
		for _, op := range all {
			if op.Res < 0 && op.Res != -int32(unix.ECANCELED) && op.Res != -int32(unix.EINTR) {
				t.Fatalf("cancelled flight: op %v ended with %d", op.Code, op.Res)
			}
		}
		slotsFree("cancelled flight")
	})
}

// TestStartDirectWaitsForSlots keeps every direct slot of a ring busy
// with chains whose READ of a FIFO waits for a writer: the chains past
// the 256th wait for a slot, and run once the first ones complete; or,
// cancelled, end without running, while the waiting ones are cancelled.
func TestStartDirectWaitsForSlots(t *testing.T) {
	for _, cancel := range []bool{false, true} {
		name := "written"
		if cancel {
			name = "cancelled"
		}
		t.Run(name, func(t *testing.T) { directSlotWaits(t, cancel) })
	}
}

func directSlotWaits(t *testing.T, cancel bool) {
	// More SQ slots than direct slots: what runs out is the latter.
	l := newLoop(t, sched.BackendURing, sched.Config{Rings: 1, Entries: 1024})
	if !l.DirectFiles() {
		t.Skip("kernel lacks direct descriptors for linked chains (IORING_FEAT_LINKED_FILE)")
	}
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	// Opened for reading and writing, so that the chains' opens find a
	// writer and do not wait.
	w, err := unix.Open(fifo, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(w)
	const n = 300
	var all []*sched.Op
	var links []bool
	for range n {
		ops, l := linkedRead(fifo, make([]byte, 1), true)
		ops[1].Off = -1
		all = append(all, ops...)
		links = append(links, l...)
	}
	waits := l.Counters().SlotWaits
	f, err := l.Start(bg, all, links, nil)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); l.Counters().SlotWaits == waits; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no chain waited for a direct slot; %d in use", l.DirectSlotsInUse())
		}
	}
	select {
	case <-f.Done():
		t.Fatal("flight done before anything was written")
	default:
	}
	if got := l.DirectSlotsInUse(); got != 256 {
		t.Errorf("%d direct slots in use while chains wait for one, want all 256", got)
	}
	if cancel {
		f.Cancel()
		waitDone(t, f)
		for i, op := range all {
			if op.Res != -int32(unix.ECANCELED) && op.Res != -int32(unix.EINTR) && (op.Code == ring.OpRead || op.Res != 0) {
				t.Fatalf("cancelled: op %d (%v) ended with %d", i, op.Code, op.Res)
			}
		}
		if n := l.DirectSlotsInUse(); n != 0 {
			t.Errorf("cancelled: %d direct slots still in use", n)
		}
		return
	}
	if _, err := unix.Write(w, bytes.Repeat([]byte{'x'}, n)); err != nil {
		t.Fatal(err)
	}
	waitDone(t, f)
	for i, op := range all {
		want := int32(0)
		if op.Code == ring.OpRead {
			want = 1
		}
		if op.Res != want {
			t.Fatalf("op %d (%v) ended with %d, want %d", i, op.Code, op.Res, want)
		}
	}
	if n := l.DirectSlotsInUse(); n != 0 {
		t.Errorf("%d direct slots still in use", n)
	}
}
