package ring

// Kernel ABI of io_uring, from include/uapi/linux/io_uring.h. Names follow the
// kernel's so that the man pages read directly against this file.

// Opcode is an io_uring operation code (enum io_uring_op).
type Opcode uint8

// Opcodes, in kernel order.
const (
	OpNop Opcode = iota
	OpReadv
	OpWritev
	OpFsync
	OpReadFixed
	OpWriteFixed
	OpPollAdd
	OpPollRemove
	OpSyncFileRange
	OpSendmsg
	OpRecvmsg
	OpTimeout
	OpTimeoutRemove
	OpAccept
	OpAsyncCancel
	OpLinkTimeout
	OpConnect
	OpFallocate
	OpOpenat
	OpClose
	OpFilesUpdate
	OpStatx
	OpRead
	OpWrite
	OpFadvise
	OpMadvise
	OpSend
	OpRecv
	OpOpenat2
	OpEpollCtl
	OpSplice
	OpProvideBuffers
	OpRemoveBuffers
	OpTee
	OpShutdown
	OpRenameat
	OpUnlinkat
	OpMkdirat
	OpSymlinkat
	OpLinkat
	OpMsgRing
	OpFsetxattr
	OpSetxattr
	OpFgetxattr
	OpGetxattr
	OpSocket
	OpUringCmd
	OpSendZC
	OpSendmsgZC
	OpReadMultishot
	OpWaitid
	OpFutexWait
	OpFutexWake
	OpFutexWaitv
	OpFixedFdInstall
	OpFtruncate
	OpBind
	OpListen
	OpRecvZC
	OpEpollWait
	OpReadvFixed
	OpWritevFixed
	OpPipe
	opLast
)

var opNames = [...]string{
	OpNop: "NOP", OpReadv: "READV", OpWritev: "WRITEV", OpFsync: "FSYNC",
	OpReadFixed: "READ_FIXED", OpWriteFixed: "WRITE_FIXED", OpPollAdd: "POLL_ADD",
	OpPollRemove: "POLL_REMOVE", OpSyncFileRange: "SYNC_FILE_RANGE", OpSendmsg: "SENDMSG",
	OpRecvmsg: "RECVMSG", OpTimeout: "TIMEOUT", OpTimeoutRemove: "TIMEOUT_REMOVE",
	OpAccept: "ACCEPT", OpAsyncCancel: "ASYNC_CANCEL", OpLinkTimeout: "LINK_TIMEOUT",
	OpConnect: "CONNECT", OpFallocate: "FALLOCATE", OpOpenat: "OPENAT", OpClose: "CLOSE",
	OpFilesUpdate: "FILES_UPDATE", OpStatx: "STATX", OpRead: "READ", OpWrite: "WRITE",
	OpFadvise: "FADVISE", OpMadvise: "MADVISE", OpSend: "SEND", OpRecv: "RECV",
	OpOpenat2: "OPENAT2", OpEpollCtl: "EPOLL_CTL", OpSplice: "SPLICE",
	OpProvideBuffers: "PROVIDE_BUFFERS", OpRemoveBuffers: "REMOVE_BUFFERS", OpTee: "TEE",
	OpShutdown: "SHUTDOWN", OpRenameat: "RENAMEAT", OpUnlinkat: "UNLINKAT",
	OpMkdirat: "MKDIRAT", OpSymlinkat: "SYMLINKAT", OpLinkat: "LINKAT", OpMsgRing: "MSG_RING",
	OpFsetxattr: "FSETXATTR", OpSetxattr: "SETXATTR", OpFgetxattr: "FGETXATTR",
	OpGetxattr: "GETXATTR", OpSocket: "SOCKET", OpUringCmd: "URING_CMD", OpSendZC: "SEND_ZC",
	OpSendmsgZC: "SENDMSG_ZC", OpReadMultishot: "READ_MULTISHOT", OpWaitid: "WAITID",
	OpFutexWait: "FUTEX_WAIT", OpFutexWake: "FUTEX_WAKE", OpFutexWaitv: "FUTEX_WAITV",
	OpFixedFdInstall: "FIXED_FD_INSTALL", OpFtruncate: "FTRUNCATE", OpBind: "BIND",
	OpListen: "LISTEN", OpRecvZC: "RECV_ZC", OpEpollWait: "EPOLL_WAIT",
	OpReadvFixed: "READV_FIXED", OpWritevFixed: "WRITEV_FIXED", OpPipe: "PIPE",
}

// String returns the kernel's name for the opcode without the IORING_OP_ prefix.
func (o Opcode) String() string {
	if int(o) < len(opNames) && opNames[o] != "" {
		return opNames[o]
	}
	return "OP(" + itoa(int(o)) + ")"
}

func itoa(v int) string {
	if v == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	neg := v < 0
	if neg {
		v = -v
	}
	for v > 0 {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// SQE flags (IOSQE_*).
const (
	SQEFixedFile      uint8 = 1 << 0
	SQEIODrain        uint8 = 1 << 1
	SQEIOLink         uint8 = 1 << 2
	SQEIOHardlink     uint8 = 1 << 3
	SQEAsync          uint8 = 1 << 4
	SQEBufferSelect   uint8 = 1 << 5
	SQECQESkipSuccess uint8 = 1 << 6
)

// Setup flags (IORING_SETUP_*).
const (
	SetupIOPoll           uint32 = 1 << 0
	SetupSQPoll           uint32 = 1 << 1
	SetupSQAff            uint32 = 1 << 2
	SetupCQSize           uint32 = 1 << 3
	SetupClamp            uint32 = 1 << 4
	SetupAttachWQ         uint32 = 1 << 5
	SetupRDisabled        uint32 = 1 << 6
	SetupSubmitAll        uint32 = 1 << 7
	SetupCoopTaskrun      uint32 = 1 << 8
	SetupTaskrunFlag      uint32 = 1 << 9
	SetupSQE128           uint32 = 1 << 10
	SetupCQE32            uint32 = 1 << 11
	SetupSingleIssuer     uint32 = 1 << 12
	SetupDeferTaskrun     uint32 = 1 << 13
	SetupNoMmap           uint32 = 1 << 14
	SetupRegisteredFdOnly uint32 = 1 << 15
	SetupNoSQArray        uint32 = 1 << 16
)

// Features reported by the kernel (IORING_FEAT_*).
const (
	FeatSingleMmap     uint32 = 1 << 0
	FeatNoDrop         uint32 = 1 << 1
	FeatSubmitStable   uint32 = 1 << 2
	FeatRWCurPos       uint32 = 1 << 3
	FeatCurPersonality uint32 = 1 << 4
	FeatFastPoll       uint32 = 1 << 5
	FeatPoll32Bits     uint32 = 1 << 6
	FeatSQPollNonfixed uint32 = 1 << 7
	FeatExtArg         uint32 = 1 << 8
	FeatNativeWorkers  uint32 = 1 << 9
	FeatRsrcTags       uint32 = 1 << 10
	FeatCQESkip        uint32 = 1 << 11
	FeatLinkedFile     uint32 = 1 << 12
)

// io_uring_enter flags (IORING_ENTER_*).
const (
	EnterGetEvents      uint32 = 1 << 0
	EnterSQWakeup       uint32 = 1 << 1
	EnterSQWait         uint32 = 1 << 2
	EnterExtArg         uint32 = 1 << 3
	EnterRegisteredRing uint32 = 1 << 4
)

// Flags in the shared SQ ring flags word (IORING_SQ_*).
const (
	SQNeedWakeup uint32 = 1 << 0
	SQCQOverflow uint32 = 1 << 1
	SQTaskrun    uint32 = 1 << 2
)

// Flags in the shared CQ ring flags word (IORING_CQ_*).
const (
	CQEventfdDisabled uint32 = 1 << 0
)

// CQE flags (IORING_CQE_F_*).
const (
	CQEFBuffer       uint32 = 1 << 0
	CQEFMore         uint32 = 1 << 1
	CQEFSockNonempty uint32 = 1 << 2
	CQEFNotif        uint32 = 1 << 3
)

// mmap offsets (IORING_OFF_*).
const (
	offSQRing int64 = 0
	offCQRing int64 = 0x8000000
	offSQEs   int64 = 0x10000000
)

// Per-opcode flags.
const (
	FsyncDatasync uint32 = 1 << 0 // IORING_FSYNC_DATASYNC

	TimeoutAbs uint32 = 1 << 0 // IORING_TIMEOUT_ABS

	AsyncCancelAll     uint32 = 1 << 0 // IORING_ASYNC_CANCEL_ALL
	AsyncCancelFd      uint32 = 1 << 1 // IORING_ASYNC_CANCEL_FD
	AsyncCancelAny     uint32 = 1 << 2 // IORING_ASYNC_CANCEL_ANY
	AsyncCancelFdFixed uint32 = 1 << 3 // IORING_ASYNC_CANCEL_FD_FIXED

	SpliceFFdInFixed uint32 = 1 << 31 // SPLICE_F_FD_IN_FIXED

	NopInjectResult uint32 = 1 << 0 // IORING_NOP_INJECT_RESULT (Linux 6.10)

	MsgData uint64 = 0 // IORING_MSG_DATA, in sqe.addr for MSG_RING

	// FileIndexAlloc asks OPENAT for a direct descriptor in any free slot.
	FileIndexAlloc uint32 = ^uint32(0)
)

// io_uring_register opcodes (IORING_REGISTER_*).
const (
	registerBuffers      uint32 = 0
	unregisterBuffers    uint32 = 1
	registerFiles        uint32 = 2
	unregisterFiles      uint32 = 3
	registerEventfd      uint32 = 4
	unregisterEventfd    uint32 = 5
	registerFilesUpdate  uint32 = 6
	registerEventfdAsync uint32 = 7
	registerProbe        uint32 = 8
	registerRingFds      uint32 = 20
	unregisterRingFds    uint32 = 21
)

// SQE is struct io_uring_sqe (64 bytes). Unions are flattened to the member
// the prep functions use; the kernel name of each alias is in its comment.
type SQE struct {
	Opcode      Opcode
	Flags       uint8
	IOPrio      uint16
	Fd          int32
	Off         uint64 // off, addr2
	Addr        uint64 // addr, splice_off_in
	Len         uint32
	OpFlags     uint32 // rw_flags, fsync_flags, open_flags, statx_flags, rename_flags, ...
	UserData    uint64
	BufIndex    uint16 // buf_index, buf_group
	Personality uint16
	SpliceFdIn  int32 // splice_fd_in, file_index
	Addr3       uint64
	pad2        uint64
}

// CQE is struct io_uring_cqe (16 bytes).
type CQE struct {
	UserData uint64
	Res      int32
	Flags    uint32
}

// sqringOffsets is struct io_sqring_offsets.
type sqringOffsets struct {
	Head, Tail, RingMask, RingEntries, Flags, Dropped, Array, Resv1 uint32
	UserAddr                                                        uint64
}

// cqringOffsets is struct io_cqring_offsets.
type cqringOffsets struct {
	Head, Tail, RingMask, RingEntries, Overflow, CQEs, Flags, Resv1 uint32
	UserAddr                                                        uint64
}

// Params is struct io_uring_params, passed to io_uring_setup.
type Params struct {
	SQEntries    uint32
	CQEntries    uint32
	Flags        uint32
	SQThreadCPU  uint32
	SQThreadIdle uint32
	Features     uint32
	WQFd         uint32
	resv         [3]uint32
	sqOff        sqringOffsets
	cqOff        cqringOffsets
}

// probeOp is struct io_uring_probe_op.
type probeOp struct {
	Op    uint8
	resv  uint8
	Flags uint16
	resv2 uint32
}

const probeOpSupported uint16 = 1 << 0 // IO_URING_OP_SUPPORTED

// probeHeader is struct io_uring_probe without its flexible array.
type probeHeader struct {
	LastOp uint8
	OpsLen uint8
	resv   uint16
	resv2  [3]uint32
}

// KernelTimespec is struct __kernel_timespec.
type KernelTimespec struct {
	Sec  int64
	Nsec int64
}

// rsrcUpdate is struct io_uring_rsrc_update, for IORING_REGISTER_FILES_UPDATE
// and IORING_REGISTER_RING_FDS.
type rsrcUpdate struct {
	Offset uint32
	resv   uint32
	Data   uint64
}
