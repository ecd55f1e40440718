package ring

import (
	"errors"
	"fmt"
	"syscall"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// field is one expected (name, offset) pair of a kernel struct.
type field struct {
	name string
	got  uintptr
	want uintptr
}

func checkLayout(t *testing.T, typ string, size, wantSize uintptr, fields []field) {
	t.Helper()
	require.Equal(t, wantSize, size, "sizeof(%s)", typ)
	for _, f := range fields {
		require.Equal(t, f.want, f.got, "offsetof(%s.%s)", typ, f.name)
	}
}

// The expected numbers are those of include/uapi/linux/io_uring.h (and
// linux/time_types.h for __kernel_timespec) on 64-bit Linux. A mismatch
// means the kernel would read a field this package wrote somewhere else.
func TestLayoutSQE(t *testing.T) {
	var s SQE
	checkLayout(t, "io_uring_sqe", unsafe.Sizeof(s), 64, []field{
		{"opcode", unsafe.Offsetof(s.Opcode), 0},
		{"flags", unsafe.Offsetof(s.Flags), 1},
		{"ioprio", unsafe.Offsetof(s.IOPrio), 2},
		{"fd", unsafe.Offsetof(s.Fd), 4},
		{"off", unsafe.Offsetof(s.Off), 8},
		{"addr", unsafe.Offsetof(s.Addr), 16},
		{"len", unsafe.Offsetof(s.Len), 24},
		{"op_flags", unsafe.Offsetof(s.OpFlags), 28},
		{"user_data", unsafe.Offsetof(s.UserData), 32},
		{"buf_index", unsafe.Offsetof(s.BufIndex), 40},
		{"personality", unsafe.Offsetof(s.Personality), 42},
		{"splice_fd_in", unsafe.Offsetof(s.SpliceFdIn), 44},
		{"addr3", unsafe.Offsetof(s.Addr3), 48},
		{"__pad2", unsafe.Offsetof(s.pad2), 56},
	})
	require.Equal(t, uintptr(1), unsafe.Sizeof(s.Opcode), "opcode is a __u8")
}

func TestLayoutCQE(t *testing.T) {
	var c CQE
	checkLayout(t, "io_uring_cqe", unsafe.Sizeof(c), 16, []field{
		{"user_data", unsafe.Offsetof(c.UserData), 0},
		{"res", unsafe.Offsetof(c.Res), 8},
		{"flags", unsafe.Offsetof(c.Flags), 12},
	})
}

func TestLayoutParams(t *testing.T) {
	var p Params
	checkLayout(t, "io_uring_params", unsafe.Sizeof(p), 120, []field{
		{"sq_entries", unsafe.Offsetof(p.SQEntries), 0},
		{"cq_entries", unsafe.Offsetof(p.CQEntries), 4},
		{"flags", unsafe.Offsetof(p.Flags), 8},
		{"sq_thread_cpu", unsafe.Offsetof(p.SQThreadCPU), 12},
		{"sq_thread_idle", unsafe.Offsetof(p.SQThreadIdle), 16},
		{"features", unsafe.Offsetof(p.Features), 20},
		{"wq_fd", unsafe.Offsetof(p.WQFd), 24},
		{"resv", unsafe.Offsetof(p.resv), 28},
		{"sq_off", unsafe.Offsetof(p.sqOff), 40},
		{"cq_off", unsafe.Offsetof(p.cqOff), 80},
	})
}

func TestLayoutRingOffsets(t *testing.T) {
	var sq sqringOffsets
	checkLayout(t, "io_sqring_offsets", unsafe.Sizeof(sq), 40, []field{
		{"head", unsafe.Offsetof(sq.Head), 0},
		{"tail", unsafe.Offsetof(sq.Tail), 4},
		{"ring_mask", unsafe.Offsetof(sq.RingMask), 8},
		{"ring_entries", unsafe.Offsetof(sq.RingEntries), 12},
		{"flags", unsafe.Offsetof(sq.Flags), 16},
		{"dropped", unsafe.Offsetof(sq.Dropped), 20},
		{"array", unsafe.Offsetof(sq.Array), 24},
		{"resv1", unsafe.Offsetof(sq.Resv1), 28},
		{"user_addr", unsafe.Offsetof(sq.UserAddr), 32},
	})
	var cq cqringOffsets
	checkLayout(t, "io_cqring_offsets", unsafe.Sizeof(cq), 40, []field{
		{"head", unsafe.Offsetof(cq.Head), 0},
		{"tail", unsafe.Offsetof(cq.Tail), 4},
		{"ring_mask", unsafe.Offsetof(cq.RingMask), 8},
		{"ring_entries", unsafe.Offsetof(cq.RingEntries), 12},
		{"overflow", unsafe.Offsetof(cq.Overflow), 16},
		{"cqes", unsafe.Offsetof(cq.CQEs), 20},
		{"flags", unsafe.Offsetof(cq.Flags), 24},
		{"resv1", unsafe.Offsetof(cq.Resv1), 28},
		{"user_addr", unsafe.Offsetof(cq.UserAddr), 32},
	})
}

func TestLayoutProbe(t *testing.T) {
	var h probeHeader
	checkLayout(t, "io_uring_probe", unsafe.Sizeof(h), 16, []field{
		{"last_op", unsafe.Offsetof(h.LastOp), 0},
		{"ops_len", unsafe.Offsetof(h.OpsLen), 1},
		{"resv", unsafe.Offsetof(h.resv), 2},
		{"resv2", unsafe.Offsetof(h.resv2), 4},
	})
	var op probeOp
	checkLayout(t, "io_uring_probe_op", unsafe.Sizeof(op), 8, []field{
		{"op", unsafe.Offsetof(op.Op), 0},
		{"resv", unsafe.Offsetof(op.resv), 1},
		{"flags", unsafe.Offsetof(op.Flags), 2},
		{"resv2", unsafe.Offsetof(op.resv2), 4},
	})
}

func TestLayoutMisc(t *testing.T) {
	var ts KernelTimespec
	checkLayout(t, "__kernel_timespec", unsafe.Sizeof(ts), 16, []field{
		{"tv_sec", unsafe.Offsetof(ts.Sec), 0},
		{"tv_nsec", unsafe.Offsetof(ts.Nsec), 8},
	})
	var u rsrcUpdate
	checkLayout(t, "io_uring_rsrc_update", unsafe.Sizeof(u), 16, []field{
		{"offset", unsafe.Offsetof(u.Offset), 0},
		{"resv", unsafe.Offsetof(u.resv), 4},
		{"data", unsafe.Offsetof(u.Data), 8},
	})
	// PrepOpenat2 passes sizeof(*how) as the struct version; the kernel's
	// first (and still only) open_how is 24 bytes.
	require.Equal(t, uintptr(24), unsafe.Sizeof(unix.OpenHow{}), "sizeof(open_how)")
}

// TestABIConstants pins values that are easy to mistype against the kernel
// header: opcodes late in the enum (an omission shifts every later one),
// flag bits and mmap offsets.
func TestABIConstants(t *testing.T) {
	ops := []struct {
		op   Opcode
		want uint8
	}{
		{OpNop, 0}, {OpReadv, 1}, {OpWritev, 2}, {OpFsync, 3}, {OpReadFixed, 4},
		{OpWriteFixed, 5}, {OpTimeout, 11}, {OpAsyncCancel, 14}, {OpLinkTimeout, 15},
		{OpFallocate, 17}, {OpOpenat, 18}, {OpClose, 19}, {OpFilesUpdate, 20},
		{OpStatx, 21}, {OpRead, 22}, {OpWrite, 23}, {OpFadvise, 24}, {OpOpenat2, 28},
		{OpSplice, 30}, {OpRenameat, 35}, {OpUnlinkat, 36}, {OpMkdirat, 37},
		{OpSymlinkat, 38}, {OpLinkat, 39}, {OpMsgRing, 40}, {OpSendmsgZC, 48},
		{OpReadMultishot, 49}, {OpWaitid, 50}, {OpFixedFdInstall, 54}, {OpFtruncate, 55},
		{OpBind, 56}, {OpListen, 57}, {OpRecvZC, 58}, {OpEpollWait, 59},
		{OpReadvFixed, 60}, {OpWritevFixed, 61}, {OpPipe, 62},
	}
	for _, o := range ops {
		require.Equal(t, o.want, uint8(o.op), "IORING_OP_%s", o.op)
	}

	require.Equal(t, uint8(1<<6), SQECQESkipSuccess)
	require.Equal(t, uint32(1<<3), SetupCQSize)
	require.Equal(t, uint32(1<<1), FeatNoDrop)
	require.Equal(t, uint32(1<<11), FeatCQESkip)
	require.Equal(t, uint32(1<<1), SQCQOverflow)
	require.Equal(t, uint32(1<<0), CQEventfdDisabled)
	require.Equal(t, int64(0x8000000), offCQRing)
	require.Equal(t, int64(0x10000000), offSQEs)
	require.Equal(t, uint32(6), registerFilesUpdate)
	require.Equal(t, uint32(8), registerProbe)
	require.Equal(t, uint32(20), registerRingFds)
	require.Equal(t, uint32(1<<31), SpliceFFdInFixed)
	require.Equal(t, uint32(0xffffffff), FileIndexAlloc)
}

func TestOpcodeString(t *testing.T) {
	cases := map[Opcode]string{
		OpNop:       "NOP",
		OpRead:      "READ",
		OpWrite:     "WRITE",
		OpOpenat2:   "OPENAT2",
		OpMsgRing:   "MSG_RING",
		OpPipe:      "PIPE",
		opLast:      fmt.Sprintf("OP(%d)", int(opLast)),
		Opcode(200): "OP(200)",
		Opcode(255): "OP(255)",
	}
	for op, want := range cases {
		require.Equal(t, want, op.String(), "Opcode(%d).String()", uint8(op))
	}
	// Every known opcode has its own name: a hole or a duplicate in the table
	// means an opcode constant and its name went out of step.
	seen := map[string]Opcode{}
	for op := OpNop; op < opLast; op++ {
		name := op.String()
		require.NotContains(t, name, "OP(", "opcode %d has no name", uint8(op))
		prev, dup := seen[name]
		require.False(t, dup, "opcodes %d and %d are both named %q", uint8(prev), uint8(op), name)
		seen[name] = op
	}
}

func TestSetupErrorNotSupported(t *testing.T) {
	for _, tc := range []struct {
		errno        syscall.Errno
		notSupported bool
	}{
		{unix.EPERM, true},
		{unix.ENOSYS, true},
		{unix.ENOMEM, false},
		{unix.EMFILE, false},
	} {
		var err error = &SetupError{Errno: tc.errno}
		require.Equal(t, tc.notSupported, errors.Is(err, ErrNotSupported), "SetupError{%v} is ErrNotSupported", tc.errno)
		require.ErrorIs(t, err, tc.errno, "SetupError unwraps to its errno")
		require.Contains(t, err.Error(), "io_uring_setup")
		require.Contains(t, err.Error(), tc.errno.Error())

		// The match must survive wrapping, which is how sched reports it.
		wrapped := fmt.Errorf("ring 0: %w", err)
		require.Equal(t, tc.notSupported, errors.Is(wrapped, ErrNotSupported))
		var se *SetupError
		require.ErrorAs(t, wrapped, &se)
		require.Equal(t, tc.errno, se.Errno)
	}
	// Only ErrNotSupported is matched, not any error value.
	require.False(t, errors.Is(&SetupError{Errno: unix.EPERM}, errors.New("io_uring not supported")))
}
