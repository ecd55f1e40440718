package ring

import (
	"encoding/binary"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func TestNewRingGeometry(t *testing.T) {
	p := &Params{}
	r := newTestRingParams(t, 5, p)
	// The kernel rounds the SQ up to a power of two and, by default, makes
	// the CQ twice as large; New copies back what it filled in.
	require.Equal(t, uint32(8), r.SQEntries())
	require.Equal(t, uint32(16), r.CQEntries())
	require.Equal(t, r.SQEntries(), p.SQEntries)
	require.Equal(t, r.CQEntries(), p.CQEntries)
	require.Equal(t, p.Features, r.Features())
	require.NotZero(t, r.Features()&FeatSingleMmap, "kernels with IORING_OP_READ all map SQ and CQ together")
	require.Equal(t, r.SQEntries(), r.SQSpace())
	require.Zero(t, r.CQReady())
	require.Nil(t, r.PeekCQE())
	require.Positive(t, r.Fd())
}

func TestNewInvalid(t *testing.T) {
	newTestRing(t, 1) // skips where io_uring is unavailable
	_, err := New(0, nil)
	require.ErrorIs(t, err, unix.EINVAL, "zero entries")
	var se *SetupError
	require.ErrorAs(t, err, &se)
}

func TestCloseTwice(t *testing.T) {
	newTestRing(t, 1) // skips where io_uring is unavailable
	r, err := New(2, nil)
	require.NoError(t, err)
	fd := r.Fd()
	require.NoError(t, r.Close())
	require.Equal(t, -1, r.Fd())
	require.ErrorIs(t, r.Close(), unix.EBADF)
	_, err = unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	require.ErrorIs(t, err, unix.EBADF, "ring fd still open after Close")
}

func TestNextSQEFull(t *testing.T) {
	r := newTestRing(t, 4)
	require.Equal(t, uint32(4), r.SQEntries())
	for i := range 4 {
		sqe := r.NextSQE()
		require.NotNil(t, sqe, "SQE %d of 4", i)
		sqe.PrepNop()
		sqe.UserData = uint64(i)
	}
	require.Nil(t, r.NextSQE(), "NextSQE on a full SQ")
	require.Zero(t, r.SQSpace())

	// Publishing alone does not free slots; the kernel consuming them does.
	require.Equal(t, uint32(4), r.Flush())
	require.Nil(t, r.NextSQE(), "NextSQE after Flush, before Enter")

	cqes := collect(t, r, 4)
	require.Len(t, cqes, 4)
	for i, c := range cqes {
		require.Equal(t, uint64(i), c.UserData, "NOPs complete in order")
		require.Zero(t, c.Res)
	}
	require.Equal(t, uint32(4), r.SQSpace())
	sqe := r.NextSQE()
	require.NotNil(t, sqe)
	require.Equal(t, SQE{}, *sqe, "NextSQE hands out a zeroed SQE")
	sqe.PrepNop()
	require.Len(t, collect(t, r, 1), 1)
}

func TestSQEReuseIsZeroed(t *testing.T) {
	// With 2 slots, every SQE is handed out again after two uses; each
	// hand-out must clear what the previous user of the slot wrote.
	r := newTestRing(t, 2)
	for i := range 5 {
		sqe := r.NextSQE()
		require.NotNil(t, sqe)
		require.Equal(t, SQE{}, *sqe, "SQE handed out for use %d", i)
		sqe.PrepNop()
		sqe.Flags, sqe.IOPrio, sqe.Personality = SQEAsync, 1, 0
		sqe.Addr3 = 0xdead
		sqe.UserData = uint64(i) + 100
		c := collect(t, r, 1)
		require.Equal(t, uint64(i)+100, c[0].UserData)
	}
}

func TestPeekAdvance(t *testing.T) {
	r := newTestRing(t, 4)
	for i := range 3 {
		sqe := r.NextSQE()
		sqe.PrepNop()
		sqe.UserData = uint64(10 + i)
	}
	_, err := r.SubmitAndWait(3)
	for err == unix.EINTR {
		_, err = r.Enter(0, 3, EnterGetEvents)
	}
	require.NoError(t, err)
	require.Equal(t, uint32(3), r.CQReady())
	c := r.PeekCQE()
	require.NotNil(t, c)
	require.Equal(t, uint64(10), c.UserData)
	require.Equal(t, uint64(10), r.PeekCQE().UserData, "Peek does not consume")
	r.CQAdvance(1)
	require.Equal(t, uint32(2), r.CQReady())
	require.Equal(t, uint64(11), r.PeekCQE().UserData)
	var seen []uint64
	require.Equal(t, uint32(2), r.ReapCQEs(func(c *CQE) { seen = append(seen, c.UserData) }))
	require.Equal(t, []uint64{11, 12}, seen)
	require.Zero(t, r.CQReady())
	require.Nil(t, r.PeekCQE())
	require.Zero(t, r.ReapCQEs(func(*CQE) { t.Fatal("callback on an empty CQ") }))
}

func TestSubmitWithoutWaiting(t *testing.T) {
	r := newTestRing(t, 4)
	n, err := r.Submit()
	require.NoError(t, err)
	require.Zero(t, n, "Submit with nothing prepared")

	for range 2 {
		r.NextSQE().PrepNop()
	}
	n, err = r.Submit()
	require.NoError(t, err)
	require.Equal(t, 2, n, "SQEs consumed")
	// NOPs complete inline during submission.
	require.Len(t, collect(t, r, 2), 2)
}

// TestEnterNoWait submits with the raw call, with and without
// EnterGetEvents, and checks it returns at once with nothing to wait for.
func TestEnterNoWait(t *testing.T) {
	r := newTestRing(t, 8)
	n, err := r.EnterNoWait(0, EnterGetEvents)
	require.NoError(t, err)
	require.Zero(t, n, "nothing prepared, nothing completed: must not wait")

	for range 3 {
		r.NextSQE().PrepNop()
	}
	n, err = r.EnterNoWait(r.Flush(), 0)
	require.NoError(t, err)
	require.Equal(t, 3, n, "SQEs consumed")
	require.Len(t, collect(t, r, 3), 3)

	// A request that cannot finish (a timeout far away) is submitted, and
	// the call still returns without its completion.
	ts := KernelTimespec{Sec: 3600}
	r.NextSQE().PrepTimeout(&ts, 0, 0)
	n, err = r.EnterNoWait(r.Flush(), EnterGetEvents)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Zero(t, r.CQReady(), "the timeout cannot have completed")
	r.NextSQE().PrepAsyncCancel(0, AsyncCancelAny)
	_, err = r.EnterNoWait(r.Flush(), 0)
	require.NoError(t, err)
	require.Len(t, collect(t, r, 2), 2)
}

func TestAsyncCancel(t *testing.T) {
	r := newTestRing(t, 4)
	requireOps(t, r, OpRead, OpAsyncCancel)
	pr, _ := emptyPipe(t)
	buf := heapBytes(8)

	sqe := r.NextSQE()
	sqe.PrepRead(pr, buf, curPos)
	sqe.UserData = 1
	n, err := r.Submit()
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Zero(t, r.CQReady(), "read on an empty pipe completed")

	sqe = r.NextSQE()
	sqe.PrepAsyncCancel(1, 0)
	sqe.UserData = 2
	m := byUserData(t, collect(t, r, 2))
	require.Len(t, m, 2)
	requireRes(t, -int32(unix.ECANCELED), m[1], "cancelled READ")
	requireRes(t, 0, m[2], "ASYNC_CANCEL")

	// Cancelling what is not in flight reports ENOENT.
	requireRes(t, -int32(unix.ENOENT), do(t, r, func(s *SQE) { s.PrepAsyncCancel(1, 0) }), "ASYNC_CANCEL of nothing")
	keep(buf)
}

func TestTimeout(t *testing.T) {
	r := newTestRing(t, 4)
	requireOps(t, r, OpTimeout)
	ts := heapNew[KernelTimespec]()
	ts.Nsec = int64(10 * time.Millisecond)
	requireRes(t, -int32(unix.ETIME), do(t, r, func(s *SQE) { s.PrepTimeout(ts, 0, 0) }), "TIMEOUT 10ms")

	// With a count, the timeout completes (res 0) once that many other
	// completions were posted, well before its long deadline.
	long := heapNew[KernelTimespec]()
	long.Sec = 20 // bounds the test if the count were ignored; never reached when it works
	sqe := r.NextSQE()
	sqe.PrepTimeout(long, 1, 0)
	sqe.UserData = 1
	sqe = r.NextSQE()
	sqe.PrepNop()
	sqe.UserData = 2
	m := byUserData(t, collect(t, r, 2))
	requireRes(t, 0, m[1], "TIMEOUT count 1")
	requireRes(t, 0, m[2], "NOP")

	// An absolute deadline in the past expires at once.
	past := heapNew[KernelTimespec]()
	past.Sec = 1
	requireRes(t, -int32(unix.ETIME), do(t, r, func(s *SQE) { s.PrepTimeout(past, 0, TimeoutAbs) }), "TIMEOUT abs past")
	keep(ts, long, past)
}

func TestLinkTimeout(t *testing.T) {
	r := newTestRing(t, 4)
	requireOps(t, r, OpRead, OpLinkTimeout)
	pr, _ := emptyPipe(t)
	buf := heapBytes(8)
	ts := heapNew[KernelTimespec]()
	ts.Nsec = int64(10 * time.Millisecond)

	sqe := r.NextSQE()
	sqe.PrepRead(pr, buf, curPos)
	sqe.Flags |= SQEIOLink
	sqe.UserData = 1
	sqe = r.NextSQE()
	sqe.PrepLinkTimeout(ts, 0)
	sqe.UserData = 2
	m := byUserData(t, collect(t, r, 2))
	require.Len(t, m, 2)
	requireRes(t, -int32(unix.ECANCELED), m[1], "READ bounded by LINK_TIMEOUT")
	require.Contains(t, []int32{-int32(unix.ETIME), -int32(unix.EALREADY)}, m[2].Res,
		"LINK_TIMEOUT: %s", resString(m[2].Res))

	// When the linked op finishes first, the timeout is cancelled instead.
	sqe = r.NextSQE()
	sqe.PrepNop()
	sqe.Flags |= SQEIOLink
	sqe.UserData = 3
	long := heapNew[KernelTimespec]()
	long.Sec = 20 // bounds the test if the count were ignored; never reached when it works
	sqe = r.NextSQE()
	sqe.PrepLinkTimeout(long, 0)
	sqe.UserData = 4
	m = byUserData(t, collect(t, r, 2))
	requireRes(t, 0, m[3], "NOP bounded by LINK_TIMEOUT")
	requireRes(t, -int32(unix.ECANCELED), m[4], "LINK_TIMEOUT after its op completed")
	keep(buf, ts, long)
}

func TestMsgRing(t *testing.T) {
	a := newTestRing(t, 4)
	requireOps(t, a, OpMsgRing)
	b := newTestRing(t, 4)

	requireRes(t, 0, do(t, a, func(s *SQE) { s.PrepMsgRing(b.Fd(), 42, 0xabcdef, 0) }), "MSG_RING")
	cqes := collect(t, b, 1)
	require.Len(t, cqes, 1)
	require.Equal(t, uint64(0xabcdef), cqes[0].UserData)
	require.Equal(t, int32(42), cqes[0].Res)
	require.Zero(t, a.CQReady(), "sender got only its own CQE")

	_, fd := tempFile(t, nil, unix.O_RDONLY)
	requireRes(t, -int32(unix.EBADFD), do(t, a, func(s *SQE) { s.PrepMsgRing(fd, 1, 1, 0) }), "MSG_RING to a non-ring fd")
}

func TestLinkChain(t *testing.T) {
	r := newTestRing(t, 8)
	requireOps(t, r, OpWrite, OpFsync)
	path, fd := tempFile(t, nil, unix.O_RDWR)
	data := heapBytes(5)
	copy(data, "chain")

	sqe := r.NextSQE()
	sqe.PrepWrite(fd, data, 0)
	sqe.Flags |= SQEIOLink
	sqe.UserData = 1
	sqe = r.NextSQE()
	sqe.PrepFsync(fd, 0)
	sqe.UserData = 2
	m := byUserData(t, collect(t, r, 2))
	requireRes(t, 5, m[1], "linked WRITE")
	requireRes(t, 0, m[2], "FSYNC after WRITE")
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "chain", string(got))

	// A failing head cancels the rest of the chain, and nothing of it runs.
	buf := heapBytes(5)
	sqe = r.NextSQE()
	sqe.PrepRead(-1, buf, 0)
	sqe.Flags |= SQEIOLink
	sqe.UserData = 3
	sqe = r.NextSQE()
	sqe.PrepWrite(fd, data, 100)
	sqe.Flags |= SQEIOLink
	sqe.UserData = 4
	sqe = r.NextSQE()
	sqe.PrepNop()
	sqe.UserData = 5
	m = byUserData(t, collect(t, r, 3))
	require.Len(t, m, 3)
	requireRes(t, -int32(unix.EBADF), m[3], "failing head")
	requireRes(t, -int32(unix.ECANCELED), m[4], "WRITE after failed head")
	requireRes(t, -int32(unix.ECANCELED), m[5], "NOP after failed head")
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, int64(5), fi.Size(), "the cancelled write did not run")

	// A short read also breaks a plain link (not a hard link).
	_, small := tempFile(t, []byte("ab"), unix.O_RDONLY)
	sqe = r.NextSQE()
	sqe.PrepRead(small, buf, 0)
	sqe.Flags |= SQEIOLink
	sqe.UserData = 6
	sqe = r.NextSQE()
	sqe.PrepNop()
	sqe.UserData = 7
	m = byUserData(t, collect(t, r, 2))
	requireRes(t, 2, m[6], "short READ")
	requireRes(t, -int32(unix.ECANCELED), m[7], "NOP after short read")
	keep(data, buf)
}

func TestCQESkipSuccess(t *testing.T) {
	r := newTestRing(t, 4)
	requireFeature(t, r, FeatCQESkip, "CQE_SKIP")
	buf := heapBytes(4)

	sqe := r.NextSQE()
	sqe.PrepNop()
	sqe.Flags |= SQECQESkipSuccess
	sqe.UserData = 1
	sqe = r.NextSQE()
	sqe.PrepNop()
	sqe.UserData = 2
	sqe = r.NextSQE()
	sqe.PrepRead(-1, buf, 0) // fails, so it posts despite the flag
	sqe.Flags |= SQECQESkipSuccess
	sqe.UserData = 3
	n, err := r.Submit()
	require.NoError(t, err)
	require.Equal(t, 3, n)

	cqes := collect(t, r, 2)
	// All three complete inline during submission: a CQE posted for the
	// skipped NOP would be in the CQ by now.
	r.ReapCQEs(func(c *CQE) { cqes = append(cqes, *c) })
	m := byUserData(t, cqes)
	require.NotContains(t, m, uint64(1), "successful NOP with CQE_SKIP_SUCCESS posted a CQE")
	require.Len(t, m, 2, "CQEs: %+v", cqes)
	requireRes(t, 0, m[2], "plain NOP")
	requireRes(t, -int32(unix.EBADF), m[3], "failed READ with CQE_SKIP_SUCCESS")
	keep(buf)
}

func TestSQEAsync(t *testing.T) {
	r := newTestRing(t, 4)
	requireOps(t, r, OpRead, OpWrite)
	path, fd := tempFile(t, nil, unix.O_RDWR)
	data := heapBytes(5)
	copy(data, "async")
	requireRes(t, 5, do(t, r, func(s *SQE) {
		s.PrepWrite(fd, data, 0)
		s.Flags |= SQEAsync
	}), "WRITE with IOSQE_ASYNC")
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "async", string(got))

	buf := heapBytes(8)
	requireRes(t, 5, do(t, r, func(s *SQE) {
		s.PrepRead(fd, buf, 0)
		s.Flags |= SQEAsync
	}), "READ with IOSQE_ASYNC")
	require.Equal(t, "async", string(buf[:5]))
	keep(data, buf)
}

func TestProbe(t *testing.T) {
	r := newTestRing(t, 2)
	p, err := r.Probe()
	require.NoError(t, err)
	for _, op := range []Opcode{OpNop, OpReadv, OpWritev, OpFsync, OpRead, OpWrite, OpOpenat, OpClose, OpStatx} {
		require.True(t, p.Supported(op), "IORING_OP_%s", op)
	}
	require.GreaterOrEqual(t, p.LastOp(), OpWrite)
	require.False(t, p.Supported(Opcode(255)), "opcode 255")
	if p.LastOp() < 255 {
		require.False(t, p.Supported(p.LastOp()+1), "opcode past LastOp")
	}
	var nilProbe *Probe
	require.False(t, nilProbe.Supported(OpNop), "nil probe supports nothing")
}

func TestRegisterFiles(t *testing.T) {
	r := newTestRing(t, 4)
	requireOps(t, r, OpRead)
	_, fd1 := tempFile(t, []byte("one"), unix.O_RDONLY)
	_, fd2 := tempFile(t, []byte("two!"), unix.O_RDONLY)
	buf := heapBytes(8)
	read := func(slot int) CQE {
		return do(t, r, func(s *SQE) {
			s.PrepRead(slot, buf, 0)
			s.Flags |= SQEFixedFile
		})
	}

	require.ErrorIs(t, r.RegisterFiles(nil), unix.EINVAL)
	require.NoError(t, r.RegisterFiles([]int32{int32(fd1), -1}))
	require.ErrorIs(t, r.RegisterFiles([]int32{-1}), unix.EBUSY, "second table")
	requireRes(t, 3, read(0), "READ fixed slot 0")
	require.Equal(t, "one", string(buf[:3]))
	requireRes(t, -int32(unix.EBADF), read(1), "READ fixed empty slot 1")

	require.NoError(t, r.UpdateFiles(1, []int32{int32(fd2)}))
	requireRes(t, 4, read(1), "READ fixed slot 1 after update")
	require.Equal(t, "two!", string(buf[:4]))
	require.NoError(t, r.UpdateFiles(0, []int32{-1}))
	requireRes(t, -int32(unix.EBADF), read(0), "READ fixed slot 0 after clearing it")
	require.NoError(t, r.UpdateFiles(0, nil))
	require.Error(t, r.UpdateFiles(5, []int32{int32(fd1)}), "update past the table")

	require.NoError(t, r.UnregisterFiles())
	require.ErrorIs(t, r.UnregisterFiles(), unix.ENXIO, "second UnregisterFiles")
	c := read(1)
	require.Negative(t, c.Res, "READ fixed after UnregisterFiles")
	keep(buf)
}

// eventfdCount reads and resets the eventfd counter; 0 when it is zero.
func eventfdCount(t *testing.T, efd int) uint64 {
	t.Helper()
	var b [8]byte
	_, err := unix.Read(efd, b[:])
	if err == unix.EAGAIN {
		return 0
	}
	require.NoError(t, err)
	return binary.NativeEndian.Uint64(b[:])
}

func TestEventfd(t *testing.T) {
	r := newTestRing(t, 4)
	efd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	require.NoError(t, err)
	t.Cleanup(func() { unix.Close(efd) })
	require.NoError(t, r.RegisterEventfd(efd, false))
	require.ErrorIs(t, r.RegisterEventfd(efd, false), unix.EBUSY, "second eventfd")

	nop := func() { requireRes(t, 0, do(t, r, func(s *SQE) { s.PrepNop() }), "NOP") }

	require.True(t, r.SetEventfdEnabled(false), "kernel has a CQ flags word")
	require.NotZero(t, r.CQFlags()&CQEventfdDisabled)
	nop()
	require.Zero(t, eventfdCount(t, efd), "completion signalled a disabled eventfd")

	require.True(t, r.SetEventfdEnabled(true))
	require.Zero(t, r.CQFlags()&CQEventfdDisabled)
	nop()
	// Exactly one: the NOP posted while disabled must not have been counted
	// late either.
	require.Equal(t, uint64(1), eventfdCount(t, efd), "one completion while enabled")

	require.True(t, r.SetEventfdEnabled(true), "enabling twice is harmless")
	nop()
	nop()
	require.Equal(t, uint64(2), eventfdCount(t, efd))

	require.NoError(t, r.UnregisterEventfd())
	nop()
	require.Zero(t, eventfdCount(t, efd), "signalled after UnregisterEventfd")
	require.ErrorIs(t, r.UnregisterEventfd(), unix.ENXIO)
}

func TestEventfdAsync(t *testing.T) {
	r := newTestRing(t, 4)
	efd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	require.NoError(t, err)
	t.Cleanup(func() { unix.Close(efd) })
	require.NoError(t, r.RegisterEventfd(efd, true))

	// IORING_REGISTER_EVENTFD_ASYNC signals only for completions posted
	// from the kernel's io-wq workers; a NOP completes inline and must stay
	// quiet. (Which later completions do signal varies between kernels, so
	// it is not asserted.)
	requireRes(t, 0, do(t, r, func(s *SQE) { s.PrepNop() }), "NOP")
	require.Zero(t, eventfdCount(t, efd), "inline completion signalled an async-only eventfd")
	require.NoError(t, r.UnregisterEventfd())
}

func TestCQOverflowNoDrop(t *testing.T) {
	const sq, cq, total = 4, 4, 12
	p := &Params{Flags: SetupCQSize, CQEntries: cq}
	r := newTestRingParams(t, sq, p)
	requireFeature(t, r, FeatNoDrop, "NODROP")
	require.Equal(t, uint32(cq), r.CQEntries())

	// Three rounds of NOPs without reaping: 12 completions for 4 CQ slots.
	ud := uint64(0)
	for range total / sq {
		for range sq {
			sqe := r.NextSQE()
			require.NotNil(t, sqe)
			sqe.PrepNop()
			ud++
			sqe.UserData = ud
		}
		_, err := r.Submit()
		require.NoError(t, err)
	}
	require.Equal(t, uint32(cq), r.CQReady())
	require.NotZero(t, r.SQFlags()&SQCQOverflow, "kernel holds overflowed CQEs")
	require.Zero(t, r.CQOverflow(), "CQEs dropped despite IORING_FEAT_NODROP")

	// Reap what is visible, then let Submit flush the overflow list.
	var got []uint64
	for round := 0; len(got) < total; round++ {
		require.Less(t, round, 2*total, "overflowed CQEs never arrived; have %v", got)
		r.ReapCQEs(func(c *CQE) {
			require.Zero(t, c.Res)
			got = append(got, c.UserData)
		})
		_, err := r.Submit()
		require.NoError(t, err)
	}
	require.Len(t, got, total)
	for i, u := range got {
		require.Equal(t, uint64(i+1), u, "CQEs in submission order")
	}
	require.Zero(t, r.SQFlags()&SQCQOverflow, "overflow flag still set after the flush")
	require.Zero(t, r.CQReady())
	require.Zero(t, r.CQOverflow())
}

func TestDroppedInvalidSQE(t *testing.T) {
	r := newTestRing(t, 4)
	require.Zero(t, r.Dropped())
	sqe := r.NextSQE()
	sqe.Opcode = Opcode(250) // no such opcode: posted as a CQE error, not dropped
	sqe.UserData = 9
	cqes := collect(t, r, 1)
	require.Len(t, cqes, 1)
	requireRes(t, -int32(unix.EINVAL), cqes[0], "unknown opcode")
	require.Zero(t, r.Dropped())
}
