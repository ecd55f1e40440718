//go:build linux

package sched_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/uringfs/uring/internal/ring"
	"github.com/uringfs/uring/internal/sched"
	"github.com/uringfs/uring/internal/testkit"
)

// readChain is OPENAT into the chain's slot, READ of len(buf) from it
// (hard-linked, so the CLOSE runs whatever the READ did), CLOSE of the slot.
func readChain(path string, buf []byte) []*sched.Op {
	open := &sched.Op{Code: ring.OpOpenat, Fd: unix.AT_FDCWD, Path: path, Flags: unix.O_RDONLY, Direct: true}
	read := &sched.Op{Code: ring.OpRead, Buf: buf, Off: 0, Direct: true, SQEFlags: ring.SQEIOHardlink}
	closeOp := &sched.Op{Code: ring.OpClose, Direct: true}
	return []*sched.Op{open, read, closeOp}
}

func directLoop(t *testing.T) *sched.Loop {
	t.Helper()
	l := newLoop(t, sched.BackendURing, sched.Config{Rings: 1, Entries: 64})
	if !l.DirectFiles() {
		t.Skip("kernel lacks direct descriptors for linked chains (IORING_FEAT_LINKED_FILE)")
	}
	return l
}

func TestChainDirectRead(t *testing.T) {
	l := directLoop(t)
	dir := t.TempDir()
	small := filepath.Join(dir, "small")
	data := pattern(3000, 7)
	writeFile(t, small, data)
	empty := filepath.Join(dir, "empty")
	writeFile(t, empty, nil)

	cases := []struct {
		name      string
		path      string
		buf       int
		openRes   syscall.Errno // 0: success
		readN     int           // when read succeeds
		readErrno syscall.Errno
	}{
		{"short read still closes", small, 4096, 0, 3000, 0},
		{"full read", small, 3000, 0, 3000, 0},
		{"partial", small, 100, 0, 100, 0},
		{"empty", empty, 64, 0, 0, 0},
		{"directory: read fails, close still runs", dir, 64, 0, 0, unix.EISDIR},
		{"missing", filepath.Join(dir, "nope"), 64, unix.ENOENT, 0, unix.ECANCELED},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := l.DirectSlotsInUse()
			buf := make([]byte, c.buf)
			ops := readChain(c.path, buf)
			ran, err := l.ChainDirect(context.Background(), ops, nil)
			if !ran || err != nil {
				t.Fatalf("ChainDirect: ran %v, err %v", ran, err)
			}
			if c.openRes != 0 {
				if ops[0].Res != -int32(c.openRes) {
					t.Fatalf("open res %d, want -%d", ops[0].Res, c.openRes)
				}
			} else if ops[0].Res < 0 {
				t.Fatalf("open: %v", ops[0].Err())
			}
			switch {
			case c.readErrno != 0:
				if ops[1].Res != -int32(c.readErrno) {
					t.Fatalf("read res %d, want -%d (%v)", ops[1].Res, c.readErrno, c.readErrno)
				}
			case int(ops[1].Res) != c.readN:
				t.Fatalf("read res %d, want %d", ops[1].Res, c.readN)
			case !bytes.Equal(buf[:c.readN], data[:min(c.readN, len(data))]) && c.path == small:
				t.Fatalf("read the wrong bytes")
			}
			// The hard link makes the CLOSE run after a short or failed
			// read; after a failed open the chain is cut before it.
			if c.openRes == 0 && ops[2].Res != 0 {
				t.Fatalf("close res %d after read res %d, want 0", ops[2].Res, ops[1].Res)
			}
			if c.openRes != 0 && ops[2].Res != -int32(unix.ECANCELED) {
				t.Fatalf("close res %d after failed open, want -ECANCELED", ops[2].Res)
			}
			if got := l.DirectSlotsInUse(); got != before {
				t.Fatalf("slots in use %d after the chain, %d before", got, before)
			}
		})
	}
}

// TestChainDirectNoHardlink shows why the READ carries a hard link: with a
// plain link, a short read cancels the CLOSE and the file stays in the
// slot; ChainDirect must then clear the slot itself.
func TestChainDirectNoHardlink(t *testing.T) {
	l := directLoop(t)
	p := filepath.Join(t.TempDir(), "f")
	writeFile(t, p, pattern(10, 1))
	ops := readChain(p, make([]byte, 100))
	ops[1].SQEFlags = 0
	ran, err := l.ChainDirect(context.Background(), ops, nil)
	if !ran || err != nil {
		t.Fatalf("ChainDirect: ran %v, err %v", ran, err)
	}
	if ops[1].Res != 10 || ops[2].Res != -int32(unix.ECANCELED) {
		t.Fatalf("read %d close %d: want 10 and -ECANCELED (a short read breaks a plain link)", ops[1].Res, ops[2].Res)
	}
	if n := l.DirectSlotsInUse(); n != 0 {
		t.Fatalf("%d slots in use: the slot the cancelled CLOSE left full was not cleared", n)
	}
	// The slot is usable again: run many chains through a one-ring table.
	for i := 0; i < 600; i++ {
		ops := readChain(p, make([]byte, 100))
		if ran, err := l.ChainDirect(context.Background(), ops, nil); !ran || err != nil || ops[1].Res != 10 || ops[2].Res != 0 {
			t.Fatalf("chain %d: ran %v err %v read %d close %d", i, ran, err, ops[1].Res, ops[2].Res)
		}
	}
	if n := l.DirectSlotsInUse(); n != 0 {
		t.Fatalf("%d slots in use after 600 chains", n)
	}
}

func TestChainDirectConcurrent(t *testing.T) {
	testkit.Deadline(t, hangDeadline)
	l := directLoop(t)
	dir := t.TempDir()
	const files = 50
	for i := 0; i < files; i++ {
		writeFile(t, filepath.Join(dir, string(rune('a'+i%26))+string(rune('a'+i/26))), pattern(100+i, byte(i)))
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	ranCount, fallback := 0, 0
	for g := 0; g < 300; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				k := (g + i) % files
				p := filepath.Join(dir, string(rune('a'+k%26))+string(rune('a'+k/26)))
				buf := make([]byte, 4096)
				ops := readChain(p, buf)
				ran, err := l.ChainDirect(context.Background(), ops, nil)
				mu.Lock()
				if ran {
					ranCount++
				} else {
					fallback++ // every slot taken
				}
				mu.Unlock()
				if !ran {
					continue
				}
				if err != nil || ops[0].Res < 0 || int(ops[1].Res) != 100+k || ops[2].Res != 0 {
					t.Errorf("ran %v err %v open %d read %d close %d", ran, err, ops[0].Res, ops[1].Res, ops[2].Res)
					return
				}
				if !bytes.Equal(buf[:100+k], pattern(100+k, byte(k))) {
					t.Errorf("file %d: wrong bytes", k)
					return
				}
			}
		}()
	}
	wg.Wait()
	if ranCount == 0 {
		t.Fatal("no chain ran")
	}
	if n := l.DirectSlotsInUse(); n != 0 {
		t.Fatalf("%d slots in use after the run (%d chains, %d refused)", n, ranCount, fallback)
	}
}

func TestChainDirectRefused(t *testing.T) {
	// An op marked Direct outside ChainDirect must not run with whatever
	// slot or descriptor number it happens to hold.
	eachBackend(t, sched.Config{Rings: 1}, func(t *testing.T, l *sched.Loop) {
		op := &sched.Op{Code: ring.OpClose, Direct: true}
		if err := l.Do(context.Background(), op); err != nil {
			t.Fatal(err)
		}
		if op.Res != -int32(unix.EINVAL) {
			t.Fatalf("Do of a Direct op: res %d, want -EINVAL", op.Res)
		}
		if l.Backend() == sched.BackendSyscall {
			if l.DirectFiles() {
				t.Fatal("DirectFiles on the syscall backend")
			}
			ran, err := l.ChainDirect(context.Background(), readChain(os.DevNull, make([]byte, 1)), nil)
			if ran || err != nil {
				t.Fatalf("ChainDirect on the syscall backend: ran %v err %v", ran, err)
			}
		}
		// A chain whose last op links onward is refused.
		ops := readChain(os.DevNull, make([]byte, 1))
		ops[2].SQEFlags = ring.SQEIOLink
		if ran, _ := l.ChainDirect(context.Background(), ops, nil); ran {
			t.Fatal("ChainDirect ran a chain whose last op carries IOSQE_IO_LINK")
		}
	})
}

func TestChainDirectClosedLoop(t *testing.T) {
	l, err := sched.New(sched.Config{Backend: sched.BackendURing, Rings: 1})
	if err != nil {
		t.Skipf("io_uring: %v", err)
	}
	if syscallForced() {
		l.Close()
		t.Skip("URINGFS_BACKEND=syscall")
	}
	if !l.DirectFiles() {
		l.Close()
		t.Skip("no direct descriptors")
	}
	ops := readChain(os.DevNull, make([]byte, 1))
	if ran, err := l.ChainDirect(context.Background(), ops, nil); !ran || err != nil || ops[2].Res != 0 {
		t.Fatalf("ran %v err %v close %d", ran, err, ops[2].Res)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if ran, err := l.ChainDirect(context.Background(), readChain(os.DevNull, make([]byte, 1)), nil); ran || err != sched.ErrClosed {
		t.Fatalf("after Close: ran %v err %v, want ErrClosed", ran, err)
	}
	if n := l.DirectSlotsInUse(); n != 0 {
		t.Fatalf("after Close %d slots reported", n)
	}
}

// TestChainDirectMore cuts a chain before its CLOSE (a plain link after a
// short read) and goes on with the file still open in the slot.
func TestChainDirectMore(t *testing.T) {
	l := directLoop(t)
	p := filepath.Join(t.TempDir(), "f")
	data := pattern(300, 5)
	writeFile(t, p, data)
	ops := readChain(p, make([]byte, 100))
	ops[1].SQEFlags, ops[1].Off = 0, -1 // full read: the link holds, the CLOSE runs
	ran, err := l.ChainDirect(context.Background(), ops, func(run func(...*sched.Op) error) {
		t.Fatal("more called after a chain whose CLOSE ran")
	})
	if !ran || err != nil || ops[2].Res != 0 {
		t.Fatalf("ran %v err %v close %d", ran, err, ops[2].Res)
	}
	ops = readChain(p, make([]byte, 1000))
	ops[1].SQEFlags, ops[1].Off = 0, -1 // short read: the plain link cancels the CLOSE
	var rest []byte
	called := false
	ran, err = l.ChainDirect(context.Background(), ops, func(run func(...*sched.Op) error) {
		called = true
		// The file is still open at its position 300: at end of file.
		buf := make([]byte, 50)
		again := &sched.Op{Code: ring.OpRead, Buf: buf, Off: 0, Direct: true}
		if err := run(again); err != nil || again.Res != 50 {
			t.Errorf("read on the open slot: err %v res %d", err, again.Res)
		}
		rest = buf
		c := &sched.Op{Code: ring.OpClose, Direct: true}
		if err := run(c); err != nil || c.Res != 0 {
			t.Errorf("close on the open slot: err %v res %d", err, c.Res)
		}
		if err := run(&sched.Op{Code: ring.OpNop}); err != unix.EINVAL {
			t.Errorf("run after the CLOSE: %v, want EINVAL", err)
		}
	})
	if !ran || err != nil || !called {
		t.Fatalf("ran %v err %v more called %v", ran, err, called)
	}
	if ops[1].Res != 300 || ops[2].Res != -int32(unix.ECANCELED) || !bytes.Equal(rest, data[:50]) {
		t.Fatalf("read %d close %d rest ok %v", ops[1].Res, ops[2].Res, bytes.Equal(rest, data[:50]))
	}
	if n := l.DirectSlotsInUse(); n != 0 {
		t.Fatalf("%d slots in use", n)
	}
}

// TestChainsDirect runs many chains in one call on a small ring: those
// that fit run (each on its own slot, with the right bytes), the rest are
// reported as not run and untouched; a chain cut before its CLOSE goes to
// more, once; no slot stays taken; a done context runs nothing.
func TestChainsDirect(t *testing.T) {
	l := directLoop(t)
	dir := t.TempDir()
	const n = 30
	var chains [][]*sched.Op
	var bufs [][]byte
	var want [][]byte
	for i := range n {
		p := filepath.Join(dir, string(rune('a'+i%26))+string(rune('0'+i/26)))
		data := pattern(100+i*37, byte(i))
		writeFile(t, p, data)
		buf := make([]byte, 4096)
		bufs, want = append(bufs, buf), append(want, data)
		chains = append(chains, readChain(p, buf))
	}
	// Chain 1 fails to open; chain 2 opens a directory and, with a plain
	// link after its READ, never reaches its CLOSE.
	chains[1][0].Path = filepath.Join(dir, "missing")
	chains[2][0].Path = dir
	chains[2][1].SQEFlags = ring.SQEIOLink

	ran := make([]bool, n)
	var more []int
	err := l.ChainsDirect(context.Background(), chains, ran, func(i int, run func(...*sched.Op) error) {
		more = append(more, i)
		if err := run(&sched.Op{Code: ring.OpClose, Direct: true}); err != nil {
			t.Errorf("more: CLOSE: %v", err)
		}
	})
	if err != nil {
		t.Fatalf("ChainsDirect: %v", err)
	}
	count := 0
	for i, c := range chains {
		if !ran[i] {
			if c[0].Res != 0 || c[1].Res != 0 || bufs[i][0] != 0 {
				t.Errorf("chain %d did not run but was touched: res %d %d", i, c[0].Res, c[1].Res)
			}
			continue
		}
		count++
		switch i {
		case 1:
			if c[0].Res != -int32(unix.ENOENT) {
				t.Errorf("missing: open res %d, want ENOENT", c[0].Res)
			}
		case 2:
			if c[1].Res != -int32(unix.EISDIR) || c[2].Res != -int32(unix.ECANCELED) {
				t.Errorf("directory: read %d, close %d; want EISDIR, ECANCELED", c[1].Res, c[2].Res)
			}
		default:
			if c[1].Res != int32(len(want[i])) || !bytes.Equal(bufs[i][:len(want[i])], want[i]) || c[2].Res != 0 {
				t.Errorf("chain %d: read %d close %d, want %d bytes and a clean close", i, c[1].Res, c[2].Res, len(want[i]))
			}
		}
	}
	if count == 0 || count == n {
		t.Errorf("%d of %d chains ran on a 64-entry ring: want some, not all (%d ops)", count, n, 3*n)
	}
	if !ran[1] || !ran[2] {
		t.Fatalf("the first chains must fit: ran %v", ran[:3])
	}
	// Both ended without a successful CLOSE (the missing file's was
	// cancelled with its chain), so both go to more, as with ChainDirect.
	if len(more) != 2 || more[0] != 1 || more[1] != 2 {
		t.Errorf("more called for %v, want [1 2]", more)
	}
	if k := l.DirectSlotsInUse(); k != 0 {
		t.Errorf("%d slots still taken", k)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	fresh := [][]*sched.Op{readChain(filepath.Join(dir, "a0"), make([]byte, 10))}
	if err := l.ChainsDirect(ctx, fresh, ran[:1], nil); err == nil || ran[0] {
		t.Errorf("done context: err %v, ran %v; want the context's error and nothing run", err, ran[0])
	}
}

// TestChainsDirectSyscall: without io_uring nothing runs and nothing fails.
func TestChainsDirectSyscall(t *testing.T) {
	l := newLoop(t, sched.BackendSyscall, sched.Config{})
	ran := []bool{true}
	chain := readChain(filepath.Join(t.TempDir(), "x"), make([]byte, 8))
	if err := l.ChainsDirect(context.Background(), [][]*sched.Op{chain}, ran, nil); err != nil || ran[0] {
		t.Errorf("syscall backend: err %v, ran %v; want nil, false", err, ran[0])
	}
}
