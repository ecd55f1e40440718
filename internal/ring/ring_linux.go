package ring

import (
	"errors"
	"fmt"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ErrNotSupported is returned, wrapped, when the running kernel or the
// process's sandbox does not offer io_uring or a feature of it.
var ErrNotSupported = errors.New("io_uring not supported")

// SetupError reports why io_uring_setup failed. It unwraps to the errno and
// matches ErrNotSupported when the failure means io_uring is unavailable
// (ENOSYS, EPERM as under seccomp or kernel.io_uring_disabled, EINVAL for
// unknown flags) rather than a transient shortage (ENOMEM, EMFILE).
type SetupError struct {
	Errno syscall.Errno
}

func (e *SetupError) Error() string {
	return "io_uring_setup: " + e.Errno.Error()
}

// Unwrap returns the errno.
func (e *SetupError) Unwrap() error { return e.Errno }

// Is reports whether the failure means io_uring is not available at all.
func (e *SetupError) Is(target error) bool {
	if target != ErrNotSupported {
		return false
	}
	switch e.Errno {
	case unix.ENOSYS, unix.EPERM, unix.EACCES, unix.EINVAL:
		return true
	}
	return false
}

// Ring is one io_uring instance with its submission and completion queues
// mapped into the process. It is not safe for concurrent use.
type Ring struct {
	fd     int
	params Params

	sqMem, cqMem, sqeMem []byte

	sqHead, sqTail, sqFlags, sqDropped *uint32
	sqMask, sqEntries                  uint32
	sqes                               []SQE

	cqHead, cqTail, cqOverflow, cqFlags *uint32
	cqMask, cqEntries                   uint32
	cqes                                []CQE

	// sqeHead..sqeTail are SQEs handed out by NextSQE and not yet published
	// to the kernel's tail by Flush.
	sqeHead, sqeTail uint32
}

// New sets up a ring with at least entries submission slots. params may be
// nil; when given, its Flags (and CQEntries with SetupCQSize) are used and it
// receives what the kernel filled in.
func New(entries uint32, params *Params) (*Ring, error) {
	var p Params
	if params != nil {
		p = *params
	}
	fd, _, errno := unix.Syscall(unix.SYS_IO_URING_SETUP, uintptr(entries), uintptr(unsafe.Pointer(&p)), 0)
	if errno != 0 {
		return nil, &SetupError{Errno: errno}
	}
	r := &Ring{fd: int(fd), params: p}
	if err := r.mapQueues(); err != nil {
		unix.Close(r.fd)
		return nil, err
	}
	if params != nil {
		*params = p
	}
	return r, nil
}

func (r *Ring) mapQueues() error {
	p := &r.params
	sqSize := uintptr(p.sqOff.Array) + uintptr(p.SQEntries)*4
	cqSize := uintptr(p.cqOff.CQEs) + uintptr(p.CQEntries)*unsafe.Sizeof(CQE{})
	single := p.Features&FeatSingleMmap != 0
	if single {
		sqSize = max(sqSize, cqSize)
		cqSize = sqSize
	}
	var err error
	r.sqMem, err = unix.Mmap(r.fd, offSQRing, int(sqSize), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return fmt.Errorf("mmap SQ ring: %w", err)
	}
	if single {
		r.cqMem = r.sqMem
	} else {
		r.cqMem, err = unix.Mmap(r.fd, offCQRing, int(cqSize), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
		if err != nil {
			r.unmap()
			return fmt.Errorf("mmap CQ ring: %w", err)
		}
	}
	sqeSize := int(p.SQEntries) * int(unsafe.Sizeof(SQE{}))
	r.sqeMem, err = unix.Mmap(r.fd, offSQEs, sqeSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		r.unmap()
		return fmt.Errorf("mmap SQEs: %w", err)
	}

	sq := unsafe.Pointer(&r.sqMem[0])
	r.sqHead = (*uint32)(unsafe.Add(sq, p.sqOff.Head))
	r.sqTail = (*uint32)(unsafe.Add(sq, p.sqOff.Tail))
	r.sqFlags = (*uint32)(unsafe.Add(sq, p.sqOff.Flags))
	r.sqDropped = (*uint32)(unsafe.Add(sq, p.sqOff.Dropped))
	r.sqMask = *(*uint32)(unsafe.Add(sq, p.sqOff.RingMask))
	r.sqEntries = *(*uint32)(unsafe.Add(sq, p.sqOff.RingEntries))
	r.sqes = unsafe.Slice((*SQE)(unsafe.Pointer(&r.sqeMem[0])), p.SQEntries)
	if p.Flags&SetupNoSQArray == 0 {
		// An identity mapping: SQE i is always published through slot i, so
		// the indirection array is written once here and never again.
		array := unsafe.Slice((*uint32)(unsafe.Add(sq, p.sqOff.Array)), p.SQEntries)
		for i := range array {
			array[i] = uint32(i)
		}
	}

	cq := unsafe.Pointer(&r.cqMem[0])
	r.cqHead = (*uint32)(unsafe.Add(cq, p.cqOff.Head))
	r.cqTail = (*uint32)(unsafe.Add(cq, p.cqOff.Tail))
	r.cqOverflow = (*uint32)(unsafe.Add(cq, p.cqOff.Overflow))
	if p.cqOff.Flags != 0 {
		r.cqFlags = (*uint32)(unsafe.Add(cq, p.cqOff.Flags))
	}
	r.cqMask = *(*uint32)(unsafe.Add(cq, p.cqOff.RingMask))
	r.cqEntries = *(*uint32)(unsafe.Add(cq, p.cqOff.RingEntries))
	r.cqes = unsafe.Slice((*CQE)(unsafe.Add(cq, p.cqOff.CQEs)), p.CQEntries)

	// Our own cursor starts where the kernel's tail is (zero on a new ring).
	r.sqeHead = atomic.LoadUint32(r.sqTail)
	r.sqeTail = r.sqeHead
	return nil
}

func (r *Ring) unmap() {
	if r.sqeMem != nil {
		unix.Munmap(r.sqeMem)
		r.sqeMem = nil
	}
	if r.cqMem != nil && (len(r.sqMem) == 0 || &r.cqMem[0] != &r.sqMem[0]) {
		unix.Munmap(r.cqMem)
	}
	r.cqMem = nil
	if r.sqMem != nil {
		unix.Munmap(r.sqMem)
		r.sqMem = nil
	}
}

// Close unmaps the queues and closes the ring fd. Requests still in flight are
// cancelled by the kernel; the caller must not touch the Ring afterwards.
func (r *Ring) Close() error {
	if r.fd < 0 {
		return unix.EBADF
	}
	r.unmap()
	err := unix.Close(r.fd)
	r.fd = -1
	r.sqes, r.cqes = nil, nil
	return err
}

// Fd returns the ring's file descriptor.
func (r *Ring) Fd() int { return r.fd }

// Features returns the IORING_FEAT_* bits the kernel reported at setup.
func (r *Ring) Features() uint32 { return r.params.Features }

// SetupFlags returns the IORING_SETUP_* flags the ring was created with.
func (r *Ring) SetupFlags() uint32 { return r.params.Flags }

// SQEntries returns the size of the submission queue.
func (r *Ring) SQEntries() uint32 { return r.sqEntries }

// CQEntries returns the size of the completion queue.
func (r *Ring) CQEntries() uint32 { return r.cqEntries }

// NextSQE returns a zeroed SQE to prepare, or nil when the submission queue
// is full. The SQE is handed to the kernel by the next Flush.
func (r *Ring) NextSQE() *SQE {
	// The kernel advances the SQ head once it has consumed entries; the
	// acquire load pairs with its smp_store_release of sq.head.
	head := atomic.LoadUint32(r.sqHead)
	if r.sqeTail-head >= r.sqEntries {
		return nil
	}
	sqe := &r.sqes[r.sqeTail&r.sqMask]
	r.sqeTail++
	*sqe = SQE{}
	return sqe
}

// SQSpace returns how many SQEs NextSQE can still hand out.
func (r *Ring) SQSpace() uint32 {
	return r.sqEntries - (r.sqeTail - atomic.LoadUint32(r.sqHead))
}

// Flush publishes the SQEs prepared since the last Flush and returns how
// many SQEs the kernel has not consumed yet (what to pass to Enter).
func (r *Ring) Flush() uint32 {
	if r.sqeTail != r.sqeHead {
		r.sqeHead = r.sqeTail
		// Release: the SQE contents must be visible before the new tail. Pairs
		// with the kernel's smp_load_acquire of sq.tail.
		atomic.StoreUint32(r.sqTail, r.sqeTail)
	}
	return r.sqeTail - atomic.LoadUint32(r.sqHead)
}

// Enter calls io_uring_enter; the result is the number of SQEs consumed.
// Errors are the kernel's, for the caller to act on: EINTR (a signal cut
// a wait short: the Go runtime's preemption signals do), EAGAIN and EBUSY
// (the kernel is short of memory or the CQ overflow list is full: reap and
// retry).
func (r *Ring) Enter(toSubmit, minComplete, flags uint32) (int, error) {
	n, _, errno := unix.Syscall6(unix.SYS_IO_URING_ENTER, uintptr(r.fd), uintptr(toSubmit), uintptr(minComplete), uintptr(flags), 0, 0)
	if errno != 0 {
		return int(n), errno
	}
	return int(n), nil
}

// EnterNoWait is Enter with min_complete 0, made as a raw system call: the
// Go scheduler is not told the thread is in the kernel, so the goroutine
// keeps its P. Such a call never sleeps waiting for I/O (the kernel hands
// whatever would block to its workers and, with EnterGetEvents, only
// collects what is already there), but it can run for a while: a batch of
// page-cache opens, reads and closes executes inline, a few dozen files in
// one call. Told of such a call, the runtime's sysmon soon takes the P away
// and hands it to another thread, and the caller must win it back, which
// costs more than the call itself when batches are long and frequent.
// Do not use it for calls that wait for completions.
func (r *Ring) EnterNoWait(toSubmit, flags uint32) (int, error) {
	n, _, errno := unix.RawSyscall6(unix.SYS_IO_URING_ENTER, uintptr(r.fd), uintptr(toSubmit), 0, uintptr(flags), 0, 0)
	if errno != 0 {
		return int(n), errno
	}
	return int(n), nil
}

// Submit flushes prepared SQEs and submits them without waiting. When the
// kernel holds overflowed completions it also asks it to flush them into
// the CQ.
func (r *Ring) Submit() (int, error) {
	n := r.Flush()
	flags := uint32(0)
	if r.SQFlags()&(SQCQOverflow|SQTaskrun) != 0 {
		flags |= EnterGetEvents
	}
	if n == 0 && flags == 0 {
		return 0, nil
	}
	return r.Enter(n, 0, flags)
}

// SubmitAndWait flushes, submits and waits until at least want completions are
// in the CQ. Like Enter, it returns EINTR when a signal cuts the wait short.
func (r *Ring) SubmitAndWait(want uint32) (int, error) {
	return r.Enter(r.Flush(), want, EnterGetEvents)
}

// SQFlags returns the shared SQ ring flags (SQNeedWakeup, SQCQOverflow, ...).
func (r *Ring) SQFlags() uint32 { return atomic.LoadUint32(r.sqFlags) }

// Dropped returns how many invalid SQEs the kernel has dropped.
func (r *Ring) Dropped() uint32 { return atomic.LoadUint32(r.sqDropped) }

// CQOverflow returns the count of completions the kernel could not post.
// With FeatNoDrop they are kept and posted later, not lost.
func (r *Ring) CQOverflow() uint32 { return atomic.LoadUint32(r.cqOverflow) }

// CQReady returns the number of CQEs waiting to be reaped.
func (r *Ring) CQReady() uint32 {
	// Acquire pairs with the kernel's smp_store_release of cq.tail after
	// writing the CQE.
	return atomic.LoadUint32(r.cqTail) - *r.cqHead
}

// PeekCQE returns the oldest unreaped CQE, or nil. The CQE stays valid until
// CQAdvance.
func (r *Ring) PeekCQE() *CQE {
	head := *r.cqHead
	if atomic.LoadUint32(r.cqTail) == head {
		return nil
	}
	return &r.cqes[head&r.cqMask]
}

// CQAdvance marks n CQEs as consumed, freeing their slots for the kernel.
func (r *Ring) CQAdvance(n uint32) {
	// Release: our reads of the CQEs happen before the kernel may overwrite
	// them; pairs with the kernel's smp_load_acquire of cq.head.
	atomic.StoreUint32(r.cqHead, *r.cqHead+n)
}

// ReapCQEs calls fn for every CQE in the queue, in order, advancing the head
// once at the end, and returns how many it saw.
func (r *Ring) ReapCQEs(fn func(*CQE)) uint32 {
	head := *r.cqHead
	tail := atomic.LoadUint32(r.cqTail)
	for i := head; i != tail; i++ {
		fn(&r.cqes[i&r.cqMask])
	}
	if n := tail - head; n != 0 {
		r.CQAdvance(n)
		return n
	}
	return 0
}

// CQFlags returns the shared CQ ring flags word.
func (r *Ring) CQFlags() uint32 {
	if r.cqFlags == nil {
		return 0
	}
	return atomic.LoadUint32(r.cqFlags)
}

// SetEventfdEnabled turns the registered eventfd's notifications on or off
// through IORING_CQ_EVENTFD_DISABLED. It reports false when the kernel has no
// CQ flags word.
func (r *Ring) SetEventfdEnabled(on bool) bool {
	if r.cqFlags == nil {
		return false
	}
	old := atomic.LoadUint32(r.cqFlags)
	nw := old | CQEventfdDisabled
	if on {
		nw = old &^ CQEventfdDisabled
	}
	if nw != old {
		atomic.StoreUint32(r.cqFlags, nw)
	}
	return true
}

func (r *Ring) register(op uint32, arg unsafe.Pointer, nrArgs uint32) error {
	for {
		_, _, errno := unix.Syscall6(unix.SYS_IO_URING_REGISTER, uintptr(r.fd), uintptr(op), uintptr(arg), uintptr(nrArgs), 0, 0)
		if errno == unix.EINTR {
			continue
		}
		if errno != 0 {
			return errno
		}
		return nil
	}
}

// RegisterEventfd asks the kernel to signal efd when CQEs are posted. With
// async set, only completions that did not finish inline signal it
// (IORING_REGISTER_EVENTFD_ASYNC).
func (r *Ring) RegisterEventfd(efd int, async bool) error {
	fd := int32(efd)
	op := registerEventfd
	if async {
		op = registerEventfdAsync
	}
	return r.register(op, unsafe.Pointer(&fd), 1)
}

// UnregisterEventfd removes the registered eventfd.
func (r *Ring) UnregisterEventfd() error {
	return r.register(unregisterEventfd, nil, 0)
}

// RegisterFiles registers a fixed-file table; -1 entries are empty slots.
func (r *Ring) RegisterFiles(fds []int32) error {
	if len(fds) == 0 {
		return unix.EINVAL
	}
	return r.register(registerFiles, unsafe.Pointer(&fds[0]), uint32(len(fds)))
}

// UpdateFiles replaces fixed-file slots starting at off.
func (r *Ring) UpdateFiles(off uint32, fds []int32) error {
	if len(fds) == 0 {
		return nil
	}
	up := rsrcUpdate{Offset: off, Data: uint64(uintptr(unsafe.Pointer(&fds[0])))}
	return r.register(registerFilesUpdate, unsafe.Pointer(&up), uint32(len(fds)))
}

// UnregisterFiles drops the fixed-file table.
func (r *Ring) UnregisterFiles() error {
	return r.register(unregisterFiles, nil, 0)
}

// RegisterBuffers pins bufs for READ_FIXED and WRITE_FIXED; buffer i is
// addressed by index i. The slices must stay reachable until
// UnregisterBuffers.
func (r *Ring) RegisterBuffers(bufs [][]byte) error {
	if len(bufs) == 0 {
		return unix.EINVAL
	}
	iovs := make([]unix.Iovec, len(bufs))
	for i, b := range bufs {
		if len(b) == 0 {
			return unix.EINVAL
		}
		iovs[i].Base = &b[0]
		iovs[i].SetLen(len(b))
	}
	return r.register(registerBuffers, unsafe.Pointer(&iovs[0]), uint32(len(iovs)))
}

// UnregisterBuffers drops the registered buffers.
func (r *Ring) UnregisterBuffers() error {
	return r.register(unregisterBuffers, nil, 0)
}

// Probe is the set of opcodes the running kernel supports.
type Probe struct {
	lastOp    Opcode
	supported [256]bool
}

// Supported reports whether the kernel accepts op.
func (p *Probe) Supported(op Opcode) bool { return p != nil && p.supported[op] }

// Without returns a copy of p that reports ops as unsupported, as an older
// kernel's probe would: tests use it to run the paths a loop takes for an
// opcode its kernel lacks.
func (p *Probe) Without(ops ...Opcode) *Probe {
	q := *p
	for _, op := range ops {
		q.supported[op] = false
	}
	return &q
}

// LastOp returns the highest opcode the kernel knows.
func (p *Probe) LastOp() Opcode { return p.lastOp }

// Probe asks the kernel which opcodes it supports (IORING_REGISTER_PROBE).
func (r *Ring) Probe() (*Probe, error) {
	const nOps = 256
	var buf [unsafe.Sizeof(probeHeader{}) + nOps*unsafe.Sizeof(probeOp{})]byte
	if err := r.register(registerProbe, unsafe.Pointer(&buf[0]), nOps); err != nil {
		return nil, err
	}
	hdr := (*probeHeader)(unsafe.Pointer(&buf[0]))
	ops := unsafe.Slice((*probeOp)(unsafe.Pointer(&buf[unsafe.Sizeof(probeHeader{})])), nOps)
	p := &Probe{lastOp: Opcode(hdr.LastOp)}
	for i := 0; i < int(hdr.OpsLen) && i < nOps; i++ {
		if ops[i].Flags&probeOpSupported != 0 {
			p.supported[ops[i].Op] = true
		}
	}
	return p, nil
}
