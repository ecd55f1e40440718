//go:build linux

package uringfs_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/uringfs/uring/internal/testkit"
	"github.com/uringfs/uring/uringfs"
)

// The model-based test of the async face: one Batch, used as a long-lived
// completion queue, receives a random sequence of operations (ReadAt,
// WriteAt, Stat and Sync alone or in chains, OpenLinked and its file's
// operations, Submit with a plain, a later cancelled or an already
// cancelled context, WaitAny, Wait, Poll, Cancel of a handle or of the
// batch, Wait and Done of a handle). A model follows which handles are
// added, submitted, returned by WaitAny or Poll, or taken by Batch.Wait,
// and checks what the documentation promises:
//
//   - WaitAny and Poll return only submitted handles that are done, each
//     at most once, and none that Batch.Wait took; WaitAny returns nil only
//     when no submitted handle is left to return, and Poll returns a
//     handle once one is done.
//   - Batch.Wait returns only when every submitted handle not yet returned
//     is done, with the first error among them in the order they were
//     added.
//   - Every submitted operation is returned in the end, by WaitAny, Poll
//     or Wait; none is done before its Submit; Len counts what was added
//     and not submitted.
//   - Every result (count, bytes read, error down to its *PathError op,
//     errno and io.EOF) is what os gives for the same call on a twin file,
//     where the sequence's operations are applied with os in the order they
//     are added. An operation that may have been cancelled (its handle's
//     Cancel, its submission's context, Batch.Cancel, or one of those on an
//     earlier operation of its chain) ends either with that result or with
//     the documented cancellation error; a write that reports one has
//     changed each byte it covers to its new value or not at all, and the
//     twin takes the file's bytes there. A chain stops at its first
//     failure: the rest end with ECANCELED and never run. (Two departures
//     of today's code from that are left out of the check: an op decided
//     at Submit after one that fails when it runs, see resolveWith, and a
//     Stat that fails inside a chain, see addStat.)
//   - In the end the file holds the twin's bytes, and no read buffer has
//     changed since its handle was done.
//
// The oracle needs the outcome of each operation to be independent of the
// order in which the batch runs them, so an operation that would touch
// bytes (or the size) that an unresolved operation of another group reads
// or writes is not added as it is: the model first waits for the
// conflicting operations if they are submitted, and skips the new one if
// they are not. Within a chain, whose operations run in order, a read
// may follow a write of the same bytes; two writes of the same bytes
// never wait unresolved together.

// FuzzBatchModel runs the model on sequences decoded from its input; see
// runBatchModel for the format.
func FuzzBatchModel(f *testing.F) {
	for _, s := range batchModelSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		testkit.Deadline(t, hangDeadline)
		runBatchModel(t, data)
	})
}

// TestBatchModelRandomSequences runs the model on inputs from a seeded
// generator: many more sequences than the corpus, the same in every run.
func TestBatchModelRandomSequences(t *testing.T) {
	runs := 48
	if testing.Short() {
		runs = 12
	}
	for i := range runs {
		r := rand.New(rand.NewPCG(0xba7c4, uint64(i)))
		data := make([]byte, 150+r.IntN(250))
		for j := range data {
			data[j] = byte(r.Uint32())
		}
		t.Run(fmt.Sprintf("seed%d", i), func(t *testing.T) {
			testkit.Deadline(t, hangDeadline)
			runBatchModel(t, data)
		})
	}
}

// batchModelSeeds are the fuzz target's built-in inputs; more are in
// testdata/fuzz/FuzzBatchModel. Each is a stream of step codes (a byte
// modulo 24) with their arguments; see runBatchModel.
var batchModelSeeds = [][]byte{
	// A queue: WaitAny between Submits, Wait while a handle is not yet
	// returned (WaitAny then returns nil), more reads, Poll, a Wait at the
	// end.
	{
		64, 0, 0, 0, 0, 0, 100, 0, 0, 0, 0, 200, 100, 4, 0, 0, 1, 144, 50, 13, 0, 16, 0, 0, 0,
		1, 194, 200, 13, 0, 18, 16, 0, 0, 0, 0, 10, 10, 13, 0, 19, 16, 16, 4, 0, 0, 2, 88, 80,
		0, 0, 5, 0, 0, 255, 13, 0, 16, 4, 0, 0, 0, 20, 30, 13, 0, 18, 19,
	},
	// A chain: a write, a read of the same bytes and a Sync, then a read
	// past the end that ends it, so the write after it is ECANCELED; a
	// Stat beside it; Poll, WaitAny and Wait share the handles.
	{
		32, 8, 4, 1, 0, 0, 40, 32, 0, 1, 0, 0, 40, 32, 23, 1, 0, 0, 7, 0, 0, 0, 1, 0, 0, 250,
		20, 4, 1, 0, 0, 100, 10, 13, 0, 19, 19, 19, 16, 16, 16, 18,
	},
	// A LinkedFile written, read (also past the end, which ends the
	// chain before its Close), a context cancelled after its Submit, then
	// an OpenLinked of a missing file and a WriteAt on an O_APPEND one.
	{
		16, 9, 0, 0, 0, 11, 0, 0, 20, 10, 10, 0, 0, 20, 10, 10, 0, 0, 100, 100, 12, 0, 1, 0, 0,
		0, 0, 0, 16, 13, 5, 22, 1, 0, 18, 16, 9, 0, 7, 0, 10, 0, 0, 0, 10, 9, 0, 0, 3, 11, 1,
		0, 0, 10, 13, 0, 16, 18,
	},
	// Cancel before Submit, a write past the end submitted with a done
	// context, Batch.Cancel, a handle's Wait and Done, Cancel and a
	// context cancelled after a read is done.
	{
		200, 0, 0, 0, 0, 100, 200, 4, 0, 0, 3, 232, 100, 20, 0, 13, 0, 4, 0, 0, 6, 64, 100, 13,
		7, 22, 0, 21, 0, 0, 21, 1, 1, 16, 19, 0, 0, 0, 3, 232, 100, 13, 5, 20, 0, 22, 1, 0, 16,
		18,
	},
	// Chains ended by a short read and by EBADF, with a negative offset
	// and a zero-length read after; O_APPEND, closed-file, negative-offset
	// and Stat errors outside chains.
	{
		8, 8, 0, 1, 0, 0, 0, 255, 4, 1, 0, 0, 10, 10, 8, 4, 2, 5, 0, 0, 20, 0, 2, 0, 248, 0,
		20, 0, 2, 0, 0, 0, 0, 4, 0, 6, 0, 0, 30, 4, 0, 7, 0, 0, 30, 0, 0, 7, 0, 0, 0, 0, 0, 0,
		248, 2, 10, 23, 0, 0, 7, 7, 0, 5, 7, 0, 7, 7, 0, 6, 13, 0, 18, 16,
	},
}

// Step codes of runBatchModel's input, with the argument bytes that follow
// each. A target picks the batch or one of its open chains; a chain byte
// picks one of the open chains that have a LinkedFile (OpenLinked: that
// have none, or a new chain); a handle byte picks one of the 16 newest ops.
// The LinkedFile steps become an OpenLinked, with its arguments, while no
// LinkedFile takes operations.
const (
	bmReadAt      = 0  // 0-3: ReadAt: target, file, offset (2), length
	bmWriteAt     = 4  // 4-6: WriteAt: target, file, offset (2), length
	bmStat        = 7  // Stat: target, name
	bmNewChain    = 8  // Chain
	bmOpenLinked  = 9  // OpenLinked: chain, name, flag
	bmLinkedRead  = 10 // LinkedFile.ReadAt: chain, offset (2), length
	bmLinkedWrite = 11 // LinkedFile.WriteAt: chain, offset (2), length
	bmLinkedClose = 12 // LinkedFile.Close, or Sync (which%4 == 0): chain, which
	bmSubmit      = 13 // 13-15: Submit: kind%8 is 5-6 for a context cancelled later, 7 for a done one
	bmWaitAny     = 16 // 16-17: WaitAny
	bmWait        = 18 // Batch.Wait
	bmPoll        = 19 // Poll
	bmCancel      = 20 // Pending.Cancel: handle
	bmHandle      = 21 // Pending.Wait (which%2 == 0, of a submitted op) or Done: which, handle
	bmCancelCtx   = 22 // Batch.Cancel (which%2 == 0) or cancel of a submission's context: which, submission
	bmSync        = 23 // Sync (which%4 == 0) or Stat: target, which, file or name
	bmCodes       = 24
)

const (
	bmMaxInput  = 512
	bmMaxSteps  = 96
	bmMaxChains = 3
	bmTimeout   = 20 * time.Second // a blocking call that takes longer is stuck
)

// bmCat says when an operation's outcome is decided.
type bmCat uint8

const (
	catRun   bmCat = iota // when it runs (in the kernel, or the syscall)
	catArg                // at Submit: an argument or closed-file error
	catEmpty              // at Submit: a zero-length read or write, (0, nil)
)

// bmBroken says whether an earlier operation of a chain failed.
type bmBroken uint8

const (
	notBroken      bmBroken = iota
	brokenInKernel          // an earlier op failed when it ran
	brokenAtStart           // an earlier op failed its checks at Submit
)

// bmState is where a handle is in the batch.
type bmState uint8

const (
	stAdded     bmState = iota // added, not submitted
	stSubmitted                // submitted, not returned
	stReturned                 // returned by WaitAny or Poll
	stWaited                   // taken by Batch.Wait
)

var bmStateNames = [...]string{"added", "submitted", "returned", "waited"}

// bmResult is what a handle's Wait returned, or what os returned.
type bmResult struct {
	n    int
	err  error
	buf  []byte      // a read's whole buffer
	fi   fs.FileInfo // a Stat's
	isFI bool
}

// bmOp is one operation added to the batch.
type bmOp struct {
	id     int
	desc   string
	opName string // the Op of its *PathError
	path   string // the Path of its *PathError, on our side
	h      uringfs.Handle
	get    func() bmResult
	chain  *bmChain
	sub    *bmSub
	state  bmState

	cat    bmCat
	broken bmBroken
	own    bmResult // os's result for the call
	read   bool     // a ReadAt: buf is its buffer
	buf    []byte
	snap   []byte // buf when the handle was done

	// What it touches, for the conflict rule: bytes [lo, hi) read or
	// written, whether it may change the size or depends on it.
	touches, writes, sizeMod, sizeDep bool
	lo, hi                            int64

	// A write applied to the twin, for reconciling a cancelled one.
	applied    bool
	wOff       int64
	wData      []byte
	wOld       []byte // the twin's bytes at [wOff, min(wOff+len, sizeBefore))
	sizeBefore int64

	cancelReq     bool // its Cancel, or Batch.Cancel, came before it was seen done
	doneBeforeCtx bool // it was done when its submission's context was cancelled

	resolved bool
	got      bmResult
}

// bmChain is a chain of the batch, open until the next Submit.
type bmChain struct {
	id     int
	c      *uringfs.Batch
	ops    []*bmOp
	broken bmBroken
	// The LinkedFile the chain opened, and its twin opened by os (nil if
	// the open fails or does not run).
	lf       *uringfs.LinkedFile
	lfOS     *os.File
	lfFlag   int
	lfClosed bool
}

// bmSub is one Submit.
type bmSub struct {
	id        int
	cancel    context.CancelFunc // nil for a plain context
	pre       bool               // the context was done before Submit
	cancelled bool               // cancel was called after Submit
	ops       []*bmOp
}

// bmFile is a File of ours and its twin, opened the same way.
type bmFile struct {
	name string
	u    *uringfs.File
	o    *os.File
}

type batchModel struct {
	t            *testing.T
	input        []byte
	in           *opReader
	b            *uringfs.Batch
	uDir, oDir   string
	uPath, oPath string
	files        []*bmFile // rw, ro, app, closed
	ops          []*bmOp
	byHandle     map[uringfs.Handle]*bmOp
	open         []*bmChain // chains that take operations until Submit
	nchains      int
	subs         []*bmSub
	errAppend    error // os's error for WriteAt in append mode
	trace        []string
}

// runBatchModel decodes data into a sequence of steps on one Batch and
// checks each against the model; see the comment at the top of the file.
//
// The first byte sets the file's initial size (times 8); then each step is
// a code (a byte modulo bmCodes, see the bm constants) followed by its
// arguments, a missing byte reading as zero. Offsets are two bytes modulo
// 2400, or a small negative number from 0xf800 up; a length under 8 is
// zero. A file byte picks the read-write file (0-4), the read-only one,
// the one opened with O_APPEND or one that is closed.
func runBatchModel(t *testing.T, data []byte) {
	if len(data) > bmMaxInput {
		data = data[:bmMaxInput]
	}
	m := newBatchModel(t, data)
	for step := 0; len(m.in.b) > 0 && step < bmMaxSteps; step++ {
		m.step(fmt.Sprintf("#%d", step))
	}
	m.finish()
}

func newBatchModel(t *testing.T, data []byte) *batchModel {
	base := t.TempDir()
	m := &batchModel{
		t:        t,
		input:    data,
		in:       &opReader{b: data},
		b:        uringfs.NewBatch(),
		uDir:     filepath.Join(base, "u", "d"),
		oDir:     filepath.Join(base, "o", "d"),
		byHandle: map[uringfs.Handle]*bmOp{},
	}
	m.uPath, m.oPath = filepath.Join(m.uDir, "f"), filepath.Join(m.oDir, "f")
	content := make([]byte, 8*int(m.in.byte()))
	for i := range content {
		content[i] = byte(i*13 + 5)
	}
	for _, d := range []string{m.uDir, m.oDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "f"), content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		for _, s := range m.subs {
			if s.cancel != nil {
				s.cancel()
			}
		}
		for _, c := range m.open {
			if c.lfOS != nil {
				c.lfOS.Close()
			}
		}
		for _, f := range m.files {
			f.u.Close()
			f.o.Close()
		}
	})
	for _, fl := range []struct {
		name string
		flag int
	}{{"rw", os.O_RDWR}, {"ro", os.O_RDONLY}, {"app", os.O_RDWR | os.O_APPEND}, {"closed", os.O_RDONLY}} {
		u, err := uringfs.OpenFile(m.uPath, fl.flag, 0)
		if err != nil {
			t.Fatal(err)
		}
		o, err := os.OpenFile(m.oPath, fl.flag, 0)
		if err != nil {
			u.Close()
			t.Fatal(err)
		}
		m.files = append(m.files, &bmFile{fl.name, u, o})
		if fl.name == "closed" {
			u.Close()
			o.Close()
		}
	}
	_, m.errAppend = m.files[2].o.WriteAt(nil, 0)
	if m.errAppend == nil {
		t.Fatal("os: WriteAt on an O_APPEND file did not fail")
	}
	return m
}

func (m *batchModel) logf(format string, args ...any) {
	m.trace = append(m.trace, fmt.Sprintf(format, args...))
}

// fail ends the test with the input and the steps so far.
func (m *batchModel) fail(format string, args ...any) {
	m.t.Helper()
	m.t.Fatalf("%s\ninput: %x\nsteps:\n    %s", fmt.Sprintf(format, args...), m.input, strings.Join(m.trace, "\n    "))
}

// within runs fn, a call that may block, and fails the test with every
// goroutine's stack if it does not return in time.
func (m *batchModel) within(what string, fn func()) {
	m.t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
	case <-time.After(bmTimeout):
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		m.fail("%s: still blocked after %v; goroutines:\n%s", what, bmTimeout, buf)
	}
}

func isDone(h uringfs.Handle) bool {
	select {
	case <-h.Done():
		return true
	default:
		return false
	}
}

func (m *batchModel) step(label string) {
	switch code := int(m.in.byte()) % bmCodes; {
	case code < bmWriteAt:
		m.addRW(label, false)
	case code < bmStat:
		m.addRW(label, true)
	case code == bmStat:
		m.addStat(label, m.target())
	case code == bmNewChain:
		m.newChain(label)
	case code == bmOpenLinked:
		m.addOpenLinked(label)
	case code == bmLinkedRead:
		m.addLinkedRW(label, false)
	case code == bmLinkedWrite:
		m.addLinkedRW(label, true)
	case code == bmLinkedClose:
		m.addLinkedCtl(label)
	case code < bmWaitAny:
		m.submit(label, m.in.byte())
	case code < bmWait:
		m.waitAny(label)
	case code == bmWait:
		m.wait(label)
	case code == bmPoll:
		m.poll(label)
	case code == bmCancel:
		m.cancelHandle(label)
	case code == bmHandle:
		m.useHandle(label)
	case code == bmCancelCtx:
		m.cancelCtx(label)
	case code == bmSync:
		c := m.target()
		if m.in.byte()%4 == 0 {
			m.addSync(label, c)
		} else {
			m.addStat(label, c)
		}
	}
	if got, want := m.b.Len(), m.count(stAdded); got != want {
		m.fail("%s: Len() = %d, want %d (operations added and not submitted)", label, got, want)
	}
}

// target picks where an operation goes: the batch itself (nil) or one of
// its open chains.
func (m *batchModel) target() *bmChain {
	k := int(m.in.byte()) % (len(m.open) + 1)
	if k == 0 {
		return nil
	}
	return m.open[k-1]
}

func (m *batchModel) file() *bmFile {
	k := int(m.in.byte()) % 8
	return m.files[max(0, k-4)]
}

func (m *batchModel) offset() int64 {
	raw := m.in.u16()
	if raw >= 0xf800 {
		return -1 - int64(raw%8)
	}
	return int64(raw % 2400)
}

func (m *batchModel) length() int {
	n := int(m.in.byte())
	if n < 8 {
		return 0
	}
	return n
}

func (m *batchModel) count(s bmState) int {
	n := 0
	for _, op := range m.ops {
		if op.state == s {
			n++
		}
	}
	return n
}

func (m *batchModel) outstanding() []*bmOp {
	var out []*bmOp
	for _, op := range m.ops {
		if op.state == stSubmitted {
			out = append(out, op)
		}
	}
	return out
}

// twinSize is the oracle's file size.
func (m *batchModel) twinSize() int64 {
	fi, err := m.files[0].o.Stat()
	if err != nil {
		m.fail("stat of the twin: %v", err)
	}
	return fi.Size()
}

// footprint sets what a read or write of n bytes at off touches, given
// the twin's size now.
func (m *batchModel) footprint(op *bmOp, off int64, n int, write bool) {
	size := m.twinSize()
	op.touches, op.writes = true, write
	op.lo, op.hi = off, off+int64(n)
	if write && op.hi > size {
		op.sizeMod = true
		op.lo = min(off, size) // the hole it leaves is written too
	}
	op.sizeDep = !write && op.hi > size
}

// conflicts reports whether x, to be added, and y, added before and not
// resolved, could see each other's effects in an order that the oracle
// cannot know.
func conflicts(x, y *bmOp) bool {
	touch := x.touches && y.touches && x.lo < y.hi && y.lo < x.hi && (x.writes || y.writes)
	size := (x.sizeMod && (y.sizeMod || y.sizeDep)) || (y.sizeMod && (x.sizeMod || x.sizeDep))
	if !touch && !size {
		return false
	}
	// A chain runs in order, so only two writes in it can be unresolved
	// together in a way a cancellation would leave ambiguous.
	if x.chain != nil && x.chain == y.chain && !(x.writes && y.writes) {
		return false
	}
	return true
}

// clear makes room for x: it waits for the submitted unresolved operations
// x conflicts with, recomputing x's footprint with fp after each round,
// and reports false if x conflicts with one not yet submitted.
func (m *batchModel) clear(label string, x *bmOp, fp func()) bool {
	for {
		fp()
		var wait []*bmOp
		for _, y := range m.ops {
			if y.resolved || !conflicts(x, y) {
				continue
			}
			if y.state == stAdded {
				m.logf("%s %s: skipped, it conflicts with op %d, not yet submitted", label, x.desc, y.id)
				return false
			}
			wait = append(wait, y)
		}
		if len(wait) == 0 {
			return true
		}
		for _, y := range wait {
			m.logf("%s %s: waits for op %d first", label, x.desc, y.id)
			var got bmResult
			m.within(fmt.Sprintf("%s: Wait of op %d (%s)", label, y.id, y.desc), func() { got = y.get() })
			m.resolveWith(y, got)
		}
	}
}

// chainState returns how broken chain c is now; an op outside chains is
// never broken.
func chainState(c *bmChain) bmBroken {
	if c == nil {
		return notBroken
	}
	return c.broken
}

// record registers op, just added to the batch as op.h, and updates its
// chain: an op that fails (or reads short) breaks the rest of it.
func (m *batchModel) record(label string, op *bmOp) {
	op.id = len(m.ops)
	m.ops = append(m.ops, op)
	if m.byHandle[op.h] != nil {
		m.fail("%s: the batch returned a handle it had returned before", label)
	}
	m.byHandle[op.h] = op
	where := "batch"
	if c := op.chain; c != nil {
		where = fmt.Sprintf("chain %d", c.id)
		c.ops = append(c.ops, op)
		switch {
		case op.cat == catArg:
			c.broken = brokenAtStart
		case op.broken == notBroken && op.cat == catRun && opFails(op):
			c.broken = brokenInKernel
		}
	}
	exp := "ECANCELED"
	if op.broken != brokenAtStart && !(op.broken == brokenInKernel && op.cat == catRun) {
		exp = m.fmtResult(op.own, m.oDir)
	}
	if isDone(op.h) {
		m.fail("%s: op %d (%s) is done before its Submit", label, op.id, op.desc)
	}
	m.logf("%s op %d: %s in %s; os: %s", label, op.id, op.desc, where, exp)
}

// opFails reports whether op's own result ends its chain: an error, which
// a read that transferred less than asked has too (io.EOF).
func opFails(op *bmOp) bool { return op.own.err != nil }

func (m *batchModel) addRW(label string, write bool) {
	c, f, off, n := m.target(), m.file(), m.offset(), m.length()
	op := &bmOp{chain: c, path: f.u.Name(), opName: "read", broken: chainState(c)}
	kind := "ReadAt"
	if write {
		kind, op.opName = "WriteAt", "write"
	}
	op.desc = fmt.Sprintf("%s(%s, %d bytes, off %d)", kind, f.name, n, off)
	// The order of os's checks: O_APPEND and the offset first, then
	// nothing to do, then the closed file.
	switch {
	case off < 0 || (write && f.name == "app"):
		op.cat = catArg
	case n == 0:
		op.cat = catEmpty
	case f.name == "closed":
		op.cat = catArg
	}
	fp := func() {}
	// A write to the read-only file fails with EBADF whatever runs
	// beside it.
	if op.cat == catRun && op.broken == notBroken && !(write && f.name == "ro") {
		fp = func() { m.footprint(op, off, n, write) }
	}
	if !m.clear(label, op, fp) {
		return
	}
	runs := op.broken == notBroken || (op.broken == brokenInKernel && op.cat != catRun)
	if write {
		p := make([]byte, n)
		for i := range p {
			p[i] = byte(len(m.ops)*31 + i*7 + 1)
		}
		if runs {
			m.osWrite(op, p, off, func() (int, error) { return f.o.WriteAt(p, off) })
		}
		h := m.chainOrBatch(c).WriteAt(f.u, p, off)
		op.h, op.get = h, func() bmResult { n, err := h.Wait(); return bmResult{n: n, err: err} }
	} else {
		op.read = true
		op.buf = bytes.Repeat([]byte{0xee}, n)
		want := bytes.Repeat([]byte{0xee}, n)
		if runs {
			k, err := f.o.ReadAt(want, off)
			op.own = bmResult{n: k, err: err, buf: want}
		}
		h := m.chainOrBatch(c).ReadAt(f.u, op.buf, off)
		op.h, op.get = h, func() bmResult {
			n, err := h.Wait()
			return bmResult{n: n, err: err, buf: bytes.Clone(op.buf)}
		}
	}
	m.record(label, op)
}

// osWrite runs the twin's write, remembering what it overwrites.
func (m *batchModel) osWrite(op *bmOp, p []byte, off int64, write func() (int, error)) {
	if op.cat == catRun {
		op.sizeBefore = m.twinSize()
		op.wOff, op.wData = off, p
		if old := min(off+int64(len(p)), op.sizeBefore) - off; old > 0 {
			op.wOld = make([]byte, old)
			if _, err := m.files[0].o.ReadAt(op.wOld, off); err != nil {
				m.fail("read of the twin: %v", err)
			}
		}
	}
	k, err := write()
	op.own = bmResult{n: k, err: err}
	op.applied = op.cat == catRun && err == nil
}

func (m *batchModel) chainOrBatch(c *bmChain) *uringfs.Batch {
	if c == nil {
		return m.b
	}
	return c.c
}

// statName picks a name and its twin: the file, a missing one, the
// directory, or a name under the file.
func (m *batchModel) statName() (string, string) {
	switch m.in.byte() % 8 {
	case 5:
		return filepath.Join(m.uDir, "missing"), filepath.Join(m.oDir, "missing")
	case 6:
		return m.uDir, m.oDir
	case 7:
		return m.uPath + "/x", m.oPath + "/x"
	}
	return m.uPath, m.oPath
}

func (m *batchModel) addStat(label string, c *bmChain) {
	un, on := m.statName()
	if c != nil && un != m.uPath && un != m.uDir {
		// On io_uring a Stat that fails does not end its chain (the
		// kernel's IORING_OP_STATX does not fail its links), while on the
		// syscall backend it does, as the documentation says. Until the
		// backends agree, chains stat only names that exist.
		un, on = m.uDir, m.oDir
	}
	op := &bmOp{chain: c, path: un, opName: "stat", broken: chainState(c)}
	op.desc = fmt.Sprintf("Stat(%s)", strings.ReplaceAll(un, m.uDir, "$DIR"))
	fp := func() {}
	if un == m.uPath && op.broken == notBroken {
		fp = func() { op.sizeDep = true }
	}
	if !m.clear(label, op, fp) {
		return
	}
	if op.broken == notBroken {
		fi, err := os.Stat(on)
		op.own = bmResult{fi: fi, err: err, isFI: true}
	}
	h := m.chainOrBatch(c).Stat(un)
	op.h, op.get = h, func() bmResult { fi, err := h.Wait(); return bmResult{fi: fi, err: err, isFI: true} }
	m.record(label, op)
}

func (m *batchModel) addSync(label string, c *bmChain) {
	f := m.file()
	op := &bmOp{chain: c, path: f.u.Name(), opName: "sync", broken: chainState(c)}
	op.desc = fmt.Sprintf("Sync(%s)", f.name)
	if f.name == "closed" {
		op.cat = catArg
	}
	if op.broken == notBroken || (op.broken == brokenInKernel && op.cat != catRun) {
		op.own = bmResult{err: f.o.Sync()}
	}
	h := m.chainOrBatch(c).Sync(f.u)
	op.h, op.get = h, func() bmResult { return bmResult{err: h.Err()} }
	m.record(label, op)
}

func (m *batchModel) newChain(label string) *bmChain {
	if len(m.open) == bmMaxChains {
		m.logf("%s Chain: skipped, %d chains open", label, bmMaxChains)
		return nil
	}
	c := &bmChain{id: m.nchains, c: m.b.Chain()}
	m.nchains++
	m.open = append(m.open, c)
	m.logf("%s Chain %d", label, c.id)
	return c
}

// linkedFlags are the flags OpenLinked is given.
var linkedFlags = []int{os.O_RDWR, os.O_RDONLY, os.O_WRONLY, os.O_RDWR | os.O_APPEND}

func (m *batchModel) addOpenLinked(label string) {
	var free []*bmChain
	for _, c := range m.open {
		if c.lf == nil {
			free = append(free, c)
		}
	}
	sel, name, flag := int(m.in.byte()), m.in.byte(), linkedFlags[int(m.in.byte())%len(linkedFlags)]
	var c *bmChain
	if len(free) > 0 {
		c = free[sel%len(free)]
	} else if c = m.newChain(label); c == nil {
		return
	}
	un, on := m.uPath, m.oPath
	if name%8 == 7 {
		un, on = filepath.Join(m.uDir, "missing"), filepath.Join(m.oDir, "missing")
	}
	c.lf = c.c.OpenLinked(un, flag, 0)
	c.lfFlag = flag
	op := &bmOp{chain: c, path: un, opName: "open", broken: c.broken}
	op.desc = fmt.Sprintf("OpenLinked(%s, %#x)", strings.ReplaceAll(un, m.uDir, "$DIR"), flag)
	if op.broken == notBroken {
		f, err := os.OpenFile(on, flag, 0)
		op.own = bmResult{err: err}
		c.lfOS = f
	}
	h := c.lf.Opened()
	op.h, op.get = h, func() bmResult { return bmResult{err: h.Err()} }
	m.record(label, op)
}

// linkedChain picks an open chain whose LinkedFile takes operations, or
// returns nil, without reading a byte, if there is none.
func (m *batchModel) linkedChain() *bmChain {
	var cs []*bmChain
	for _, c := range m.open {
		if c.lf != nil && !c.lfClosed {
			cs = append(cs, c)
		}
	}
	if len(cs) == 0 {
		return nil
	}
	return cs[int(m.in.byte())%len(cs)]
}

func (m *batchModel) addLinkedRW(label string, write bool) {
	c := m.linkedChain()
	if c == nil {
		m.addOpenLinked(label)
		return
	}
	off, n := m.offset(), m.length()
	name := c.lf.Name()
	op := &bmOp{chain: c, path: name, opName: "read", broken: c.broken}
	kind := "ReadAt"
	if write {
		kind, op.opName = "WriteAt", "write"
	}
	op.desc = fmt.Sprintf("LinkedFile.%s(%d bytes, off %d)", kind, n, off)
	// LinkedFile checks its arguments when they are added.
	oname := strings.Replace(name, m.uDir, m.oDir, 1)
	var pre error
	switch {
	case write && c.lfFlag&os.O_APPEND != 0:
		pre = m.errAppend
	case off < 0 && write:
		pre = &fs.PathError{Op: "writeat", Path: oname, Err: errors.New("negative offset")}
	case off < 0:
		pre = &fs.PathError{Op: "readat", Path: oname, Err: errors.New("negative offset")}
	}
	switch {
	case pre != nil:
		op.cat, op.own = catArg, bmResult{err: pre}
	case n == 0:
		op.cat = catEmpty
	}
	fp := func() {}
	// A write to a file opened read-only, or a read of one opened
	// write-only, fails with EBADF whatever runs beside it.
	acc := c.lfFlag & (os.O_RDONLY | os.O_WRONLY | os.O_RDWR)
	badf := (write && acc == os.O_RDONLY) || (!write && acc == os.O_WRONLY)
	if op.cat == catRun && op.broken == notBroken && !badf {
		fp = func() { m.footprint(op, off, n, write) }
	}
	if !m.clear(label, op, fp) {
		return
	}
	run := op.cat == catRun && op.broken == notBroken
	if run && c.lfOS == nil {
		m.fail("%s: the model has no twin for chain %d's LinkedFile", label, c.id)
	}
	if write {
		p := make([]byte, n)
		for i := range p {
			p[i] = byte(len(m.ops)*29 + i*11 + 3)
		}
		if run {
			m.osWrite(op, p, off, func() (int, error) { return c.lfOS.WriteAt(p, off) })
		}
		h := c.lf.WriteAt(p, off)
		op.h, op.get = h, func() bmResult { n, err := h.Wait(); return bmResult{n: n, err: err} }
	} else {
		op.read = true
		op.buf = bytes.Repeat([]byte{0xee}, n)
		want := bytes.Repeat([]byte{0xee}, n)
		op.own.buf = want
		if run {
			k, err := c.lfOS.ReadAt(want, off)
			op.own = bmResult{n: k, err: err, buf: want}
		}
		h := c.lf.ReadAt(op.buf, off)
		op.h, op.get = h, func() bmResult {
			n, err := h.Wait()
			return bmResult{n: n, err: err, buf: bytes.Clone(op.buf)}
		}
	}
	m.record(label, op)
}

func (m *batchModel) addLinkedCtl(label string) {
	c := m.linkedChain()
	if c == nil {
		m.addOpenLinked(label)
		return
	}
	sync := m.in.byte()%4 == 0
	op := &bmOp{chain: c, path: c.lf.Name(), opName: "close", broken: c.broken}
	var h *uringfs.Pending[struct{}]
	if sync {
		op.opName, op.desc = "sync", "LinkedFile.Sync()"
		if op.broken == notBroken {
			op.own = bmResult{err: c.lfOS.Sync()}
		}
		h = c.lf.Sync()
	} else {
		op.desc = "LinkedFile.Close()"
		if op.broken == notBroken {
			op.own = bmResult{err: c.lfOS.Close()}
			c.lfOS = nil
		}
		c.lfClosed = true
		h = c.lf.Close()
	}
	op.h, op.get = h, func() bmResult { return bmResult{err: h.Err()} }
	m.record(label, op)
}

func (m *batchModel) submit(label string, kind byte) {
	sub := &bmSub{id: len(m.subs)}
	ctx := context.Background()
	desc := "Submit"
	switch kind % 8 {
	case 5, 6:
		desc += " (context to be cancelled later)"
		ctx, sub.cancel = context.WithCancel(ctx)
	case 7:
		desc += " (context already cancelled)"
		ctx, sub.cancel = context.WithCancel(ctx)
		sub.cancel()
		sub.pre = true
	}
	m.subs = append(m.subs, sub)
	for _, op := range m.ops {
		if op.state == stAdded {
			sub.ops = append(sub.ops, op)
		}
	}
	chains := len(m.open)
	var err error
	m.within(label+" "+desc, func() { err = m.b.Submit(ctx) })
	m.logf("%s %s %d: %d ops, %d chains: %v", label, desc, sub.id, len(sub.ops), chains, err)
	switch {
	case len(sub.ops) == 0 && chains == 0:
		if err != nil {
			m.fail("%s: Submit with nothing added = %v, want nil", label, err)
		}
	case len(sub.ops) == 0:
		// Only empty chains: whether a done context is reported is not
		// specified.
	case sub.pre && !errors.Is(err, context.Canceled):
		m.fail("%s: Submit with a done context = %v, want an error wrapping context.Canceled", label, err)
	case !sub.pre && err != nil:
		m.fail("%s: Submit = %v, want nil", label, err)
	}
	for _, op := range sub.ops {
		op.state, op.sub = stSubmitted, sub
	}
	for _, c := range m.open {
		if c.lfOS != nil {
			c.lfOS.Close()
			c.lfOS = nil
		}
	}
	m.open = nil
}

// took checks a handle returned by WaitAny or Poll.
func (m *batchModel) took(label, by string, h uringfs.Handle) {
	out := m.outstanding()
	if h == nil {
		if by == "WaitAny" && len(out) > 0 {
			m.fail("%s: WaitAny returned nil with %d submitted ops not yet returned (first: op %d, %s)",
				label, len(out), out[0].id, out[0].desc)
		}
		m.logf("%s %s: nil", label, by)
		return
	}
	op := m.byHandle[h]
	if op == nil {
		m.fail("%s: %s returned a handle the batch never gave out", label, by)
	}
	if op.state != stSubmitted {
		m.fail("%s: %s returned op %d (%s), which is %s", label, by, op.id, op.desc, bmStateNames[op.state])
	}
	if !isDone(op.h) {
		m.fail("%s: %s returned op %d (%s) before it was done", label, by, op.id, op.desc)
	}
	op.state = stReturned
	m.logf("%s %s: op %d", label, by, op.id)
	m.resolve(op)
}

func (m *batchModel) waitAny(label string) {
	var h uringfs.Handle
	m.within(label+" WaitAny", func() { h = m.b.WaitAny() })
	m.took(label, "WaitAny", h)
}

func (m *batchModel) poll(label string) {
	var doneBefore *bmOp
	for _, op := range m.outstanding() {
		if isDone(op.h) {
			doneBefore = op
			break
		}
	}
	var h uringfs.Handle
	m.within(label+" Poll", func() { h = m.b.Poll() })
	if h == nil && doneBefore != nil {
		// A completion reaches the batch's queue just after its handle's
		// Done is closed: give it a moment, but not forever.
		for deadline := time.Now().Add(5 * time.Second); h == nil && time.Now().Before(deadline); {
			time.Sleep(20 * time.Microsecond)
			h = m.b.Poll()
		}
		if h == nil {
			m.fail("%s: Poll kept returning nil for 5s while op %d (%s) was done", label, doneBefore.id, doneBefore.desc)
		}
	}
	m.took(label, "Poll", h)
}

func (m *batchModel) wait(label string) {
	out := m.outstanding()
	var err error
	m.within(label+" Batch.Wait", func() { err = m.b.Wait() })
	m.logf("%s Batch.Wait with %d outstanding: %s", label, len(out), testkit.FormatError(err, m.uDir))
	var first *bmOp
	for _, op := range out {
		if !isDone(op.h) {
			m.fail("%s: Batch.Wait returned while op %d (%s) was not done", label, op.id, op.desc)
		}
		op.state = stWaited
		m.resolve(op)
		if first == nil && op.got.err != nil {
			first = op
		}
	}
	switch {
	case first == nil && err != nil:
		m.fail("%s: Batch.Wait = %s, but no op it waited for failed", label, testkit.FormatError(err, m.uDir))
	case first != nil && testkit.FormatError(err, m.uDir) != testkit.FormatError(first.got.err, m.uDir):
		m.fail("%s: Batch.Wait = %s, want the error of op %d (%s), the first to fail: %s",
			label, testkit.FormatError(err, m.uDir), first.id, first.desc, testkit.FormatError(first.got.err, m.uDir))
	}
}

// pickOp picks one of the last 16 ops that satisfy ok, or nil.
func (m *batchModel) pickOp(ok func(*bmOp) bool) *bmOp {
	var cands []*bmOp
	for i := len(m.ops) - 1; i >= 0 && len(cands) < 16; i-- {
		if ok(m.ops[i]) {
			cands = append(cands, m.ops[i])
		}
	}
	sel := int(m.in.byte())
	if len(cands) == 0 {
		return nil
	}
	return cands[sel%len(cands)]
}

func (m *batchModel) cancelHandle(label string) {
	op := m.pickOp(func(*bmOp) bool { return true })
	if op == nil {
		m.logf("%s Cancel: skipped, no ops", label)
		return
	}
	done := isDone(op.h)
	op.h.Cancel()
	if !done && !op.resolved {
		op.cancelReq = true
	}
	m.logf("%s Cancel of op %d (%s, done %v)", label, op.id, bmStateNames[op.state], done)
}

func (m *batchModel) useHandle(label string) {
	byWait := m.in.byte()%2 == 0
	if byWait {
		op := m.pickOp(func(op *bmOp) bool { return op.state != stAdded })
		if op == nil {
			m.logf("%s Pending.Wait: skipped, nothing submitted", label)
			return
		}
		var got bmResult
		m.within(fmt.Sprintf("%s Pending.Wait of op %d (%s)", label, op.id, op.desc), func() { got = op.get() })
		m.logf("%s Pending.Wait of op %d", label, op.id)
		if !op.resolved {
			m.resolveWith(op, got)
		} else if got.n != op.got.n || testkit.FormatError(got.err, m.uDir) != testkit.FormatError(op.got.err, m.uDir) {
			m.fail("%s: a second Wait of op %d (%s) gave %s, the first %s",
				label, op.id, op.desc, m.fmtResult(got, m.uDir), m.fmtResult(op.got, m.uDir))
		}
		return
	}
	op := m.pickOp(func(*bmOp) bool { return true })
	if op == nil {
		m.logf("%s Done: skipped, no ops", label)
		return
	}
	done := isDone(op.h)
	m.logf("%s Done of op %d (%s): %v", label, op.id, bmStateNames[op.state], done)
	switch {
	case done && op.state == stAdded:
		m.fail("%s: op %d (%s) is done before its Submit", label, op.id, op.desc)
	case done:
		m.resolve(op)
	}
}

func (m *batchModel) cancelCtx(label string) {
	if m.in.byte()%2 == 0 {
		n := 0
		for _, op := range m.outstanding() {
			if !isDone(op.h) {
				op.cancelReq = true
				n++
			}
		}
		m.b.Cancel()
		m.logf("%s Batch.Cancel: %d ops not done", label, n)
		return
	}
	var subs []*bmSub
	for _, s := range m.subs {
		if s.cancel != nil && !s.pre && !s.cancelled {
			subs = append(subs, s)
		}
	}
	sel := int(m.in.byte())
	if len(subs) == 0 {
		m.logf("%s cancel of a context: skipped, none to cancel", label)
		return
	}
	s := subs[sel%len(subs)]
	for _, op := range s.ops {
		op.doneBeforeCtx = isDone(op.h)
	}
	s.cancel()
	s.cancelled = true
	m.logf("%s cancel of submission %d's context", label, s.id)
}

// mayCancel reports whether a cancellation may have reached op itself.
func (op *bmOp) mayCancel() bool {
	if op.cancelReq {
		return true
	}
	s := op.sub
	return s != nil && (s.pre || (s.cancelled && !op.doneBeforeCtx))
}

// predCancel reports whether a cancellation may have reached an earlier
// op of op's chain, which then ends the chain there.
func (op *bmOp) predCancel() bool {
	if op.chain == nil {
		return false
	}
	for _, p := range op.chain.ops {
		if p == op {
			break
		}
		if p.mayCancel() {
			return true
		}
	}
	return false
}

// resolve checks the result of op, which is done.
func (m *batchModel) resolve(op *bmOp) {
	if op.resolved {
		return
	}
	if !isDone(op.h) {
		m.fail("op %d (%s) resolved before it is done", op.id, op.desc)
	}
	m.resolveWith(op, op.get())
}

func (m *batchModel) resolveWith(op *bmOp, got bmResult) {
	op.resolved, op.got = true, got
	if op.read {
		op.snap = bytes.Clone(op.buf)
	}
	ecanceled := errors.Is(got.err, syscall.ECANCELED) && !errors.Is(got.err, context.Canceled)
	why := ""
	switch {
	case op.broken == brokenAtStart:
		why = m.cancelErr(op, got, false, true)
	case op.broken == brokenInKernel && op.cat == catRun:
		why = m.cancelErr(op, got, op.mayCancel(), true)
	case op.broken == brokenInKernel:
		// The doc says the rest of a chain ends with ECANCELED; today an
		// op decided at Submit (an argument error, a zero-length transfer)
		// reports its own result even after an op that failed when it
		// ran. Either is accepted.
		if why = m.sameResult(op, got); why != "" && m.cancelErr(op, got, false, true) == "" {
			why = ""
		}
	case op.sub != nil && op.sub.pre && op.cat == catRun:
		why = m.cancelErr(op, got, true, false)
	default:
		why = m.sameResult(op, got)
		if why != "" && (op.mayCancel() || op.predCancel()) {
			if m.cancelErr(op, got, true, op.chain != nil) == "" {
				why = ""
			}
		}
	}
	if why != "" {
		m.fail("op %d (%s, %s): %s", op.id, op.desc, bmStateNames[op.state], why)
	}
	if op.applied && got.err != nil {
		// A write the twin has but that reports a cancellation: its bytes
		// are each old or new; one that never ran (a done context, an
		// earlier op of the chain failed) changed nothing.
		m.reconcile(op, ecanceled || (op.sub != nil && op.sub.pre))
	}
}

// sameResult compares what op's handle returned with what os returned,
// and describes the difference.
func (m *batchModel) sameResult(op *bmOp, got bmResult) string {
	w, g := m.fmtResult(op.own, m.oDir), m.fmtResult(got, m.uDir)
	if w != g {
		return fmt.Sprintf("\n    os:      %s\n    uringfs: %s", w, g)
	}
	if op.read && !bytes.Equal(op.own.buf, got.buf) {
		return fmt.Sprintf("read different bytes:\n    os:      %q\n    uringfs: %q", op.own.buf, got.buf)
	}
	return ""
}

func (m *batchModel) fmtResult(r bmResult, dir string) string {
	if r.isFI {
		if r.fi == nil {
			return fmt.Sprintf("FileInfo(nil), %s", testkit.FormatError(r.err, dir))
		}
		return fmt.Sprintf("FileInfo{%q size=%d mode=%v dir=%v}, %s", r.fi.Name(), r.fi.Size(), r.fi.Mode(), r.fi.IsDir(), testkit.FormatError(r.err, dir))
	}
	return fmt.Sprintf("%d, %s", r.n, testkit.FormatError(r.err, dir))
}

// cancelErr checks that got is a cancellation: an error wrapping
// context.Canceled (if canceled) or syscall.ECANCELED (if ecanceled), a
// *PathError with the op's name and path, and for a read, a prefix of
// what os read; it describes what is wrong, or returns "".
func (m *batchModel) cancelErr(op *bmOp, got bmResult, canceled, ecanceled bool) string {
	var want []string
	if canceled {
		want = append(want, "context.Canceled")
	}
	if ecanceled {
		want = append(want, "ECANCELED")
	}
	wantDesc := "an error wrapping " + strings.Join(want, " or ")
	isC, isE := errors.Is(got.err, context.Canceled), errors.Is(got.err, syscall.ECANCELED)
	if !(canceled && isC) && !(ecanceled && isE && !isC) {
		return fmt.Sprintf("got %s, want %s (or os's %s)", m.fmtResult(got, m.uDir), wantDesc, m.fmtResult(op.own, m.oDir))
	}
	var pe *fs.PathError
	if !errors.As(got.err, &pe) || pe.Op != op.opName || pe.Path != op.path {
		return fmt.Sprintf("got %s, want a *PathError{Op: %q, Path: %q}", m.fmtResult(got, m.uDir), op.opName, op.path)
	}
	if got.isFI && got.fi != nil {
		return "a cancelled Stat returned a FileInfo"
	}
	switch {
	case !op.read || isE:
		if got.n != 0 {
			return fmt.Sprintf("got %s: a cancelled op that is not a read reports 0 bytes", m.fmtResult(got, m.uDir))
		}
	case got.n > op.own.n || got.n > len(got.buf):
		return fmt.Sprintf("a cancelled read reports %d bytes, os read %d", got.n, op.own.n)
	case !bytes.Equal(got.buf[:got.n], op.own.buf[:got.n]):
		return fmt.Sprintf("a cancelled read of %d bytes read %q, os %q", got.n, got.buf[:got.n], op.own.buf[:got.n])
	}
	return ""
}

// reconcile checks the bytes of a write that the twin applied and that
// reported an error, and gives the twin the file's bytes there. untouched
// says the write must not have run at all.
func (m *batchModel) reconcile(op *bmOp, untouched bool) {
	real, err := os.ReadFile(m.uPath)
	if err != nil {
		m.fail("%v", err)
	}
	size := int64(len(real))
	lo, hi, sb := op.wOff, op.wOff+int64(len(op.wData)), op.sizeBefore
	bad := func(format string, args ...any) {
		m.fail("op %d (%s) reported %s: %s", op.id, op.desc, testkit.FormatError(op.got.err, m.uDir), fmt.Sprintf(format, args...))
	}
	from, to := lo, hi
	if hi > sb {
		// It would have extended the file, which nothing else unresolved
		// does: the size is sb or what the write reached.
		if size < sb || size > hi {
			bad("the file's size is %d, not between %d and %d", size, sb, hi)
		}
		if untouched && size != sb {
			bad("the file grew from %d to %d bytes", sb, size)
		}
		from, to = min(lo, sb), size
	} else if size < hi {
		bad("the file is %d bytes, shorter than the %d it had", size, sb)
	}
	for i := from; i < to; i++ {
		j := i - lo
		var ok bool
		switch {
		case i < lo:
			ok = real[i] == 0 // the hole before a write past the end
		case i < sb && untouched:
			ok = real[i] == op.wOld[j]
		case i < sb:
			ok = real[i] == op.wOld[j] || real[i] == op.wData[j]
		default:
			ok = real[i] == op.wData[j]
		}
		if !ok {
			bad("byte %d of the file is %#x, not what the write or the file had there", i, real[i])
		}
	}
	tw := m.files[0].o
	if _, err := tw.WriteAt(real[from:to], from); err != nil {
		m.fail("twin: %v", err)
	}
	if hi > sb {
		if err := tw.Truncate(size); err != nil {
			m.fail("twin: %v", err)
		}
	}
	m.logf("    op %d's write reconciled: bytes [%d, %d) taken from the file", op.id, from, to)
}

// finish submits what is left, drains the batch with WaitAny and checks
// that every op was returned and the file holds the twin's bytes.
func (m *batchModel) finish() {
	if m.count(stAdded) > 0 || len(m.open) > 0 {
		m.submit("end", 0)
	}
	for {
		var h uringfs.Handle
		m.within("end: WaitAny", func() { h = m.b.WaitAny() })
		m.took("end", "WaitAny", h)
		if h == nil {
			break
		}
	}
	var err error
	m.within("end: Batch.Wait", func() { err = m.b.Wait() })
	if err != nil {
		m.fail("end: Batch.Wait with nothing outstanding = %v", err)
	}
	if h := m.b.Poll(); h != nil {
		m.fail("end: Poll with nothing outstanding returned op %v", m.byHandle[h])
	}
	for _, op := range m.ops {
		if !op.resolved {
			m.fail("end: op %d (%s, %s) was never returned", op.id, op.desc, bmStateNames[op.state])
		}
		if op.read && !bytes.Equal(op.buf, op.snap) {
			m.fail("end: the buffer of op %d (%s) changed after its handle was done", op.id, op.desc)
		}
	}
	got, err := os.ReadFile(m.uPath)
	if err != nil {
		m.fail("%v", err)
	}
	want, err := os.ReadFile(m.oPath)
	if err != nil {
		m.fail("%v", err)
	}
	if !bytes.Equal(got, want) {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		m.fail("end: the file (%d bytes) differs from the twin (%d bytes) from byte %d on", len(got), len(want), i)
	}
}
