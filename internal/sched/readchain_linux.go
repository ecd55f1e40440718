package sched

import (
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/uringfs/uring/internal/ring"
)

// A ReadChain reads a small file whole with one linked chain, on a direct
// descriptor slot of the ring (never a descriptor in the process's table),
// so that for a file whose name and pages are cached the open, the reads
// and the close all complete inside one io_uring_enter:
//
//	OPENAT   the name, into the slot
//	FADVISE  POSIX_FADV_NORMAL: a no-op that fails (ESPIPE) on a pipe or FIFO
//	READ     0 bytes, RWF_NOWAIT: fails (EOPNOTSUPP) on a file that cannot
//	         be read without blocking (a terminal, most devices, /proc, /sys)
//	READ     all of the buffer but its last byte, RWF_NOWAIT    (hard link)
//	READ     the last byte, RWF_NOWAIT: 0 means end of file     (hard link)
//	CLOSE    the slot, run whatever the two READs did
//
// The hard links keep the chain going after a READ that fails or comes up
// short, so the CLOSE always runs once something was read. RWF_NOWAIT
// turns a page that is not cached into a failure instead of a wait inside
// the chain: the caller then reads the file the plain way, where waiting
// costs no slot.
//
// A failed FADVISE or empty READ cuts the chain before anything is read and
// leaves the file open in the slot (Opened): ChainDirect's more can then read
// it to its end there (ReadOn, CloseOn), so a pipe, a FIFO or a terminal is
// opened once and nothing is lost.
//
// Run a chain with ChainDirect or ChainsDirect on Ops. The zero value is
// ready for Set; Release gives its ops back.
type ReadChain struct {
	ops [readChainOps]*Op // OPENAT, FADVISE, READ (probe), READ, READ (end of file), CLOSE
	buf []byte
}

const readChainOps = 6

// MaxReadChains is the most ReadChains one ChainsDirect call runs.
const MaxReadChains = MaxDirectChainOps / readChainOps

var readChainCodes = [readChainOps]ring.Opcode{
	ring.OpOpenat, ring.OpFadvise, ring.OpRead, ring.OpRead, ring.OpRead, ring.OpClose,
}

// Set points the chain at name and buf. The chain settles files shorter
// than len(buf)-1 bytes: its READ takes all but the last byte of buf, the
// READ that confirms end of file the last. A chain can be Set again for
// another file once its results have been read; its ops are taken from the
// pool the first time only, since all their fields but the name and buffer
// stay the same from file to file.
func (c *ReadChain) Set(name string, buf []byte) {
	if c.ops[0] == nil {
		for i, code := range readChainCodes {
			c.ops[i] = getOp(code)
			c.ops[i].Direct = true
		}
	}
	c.buf = buf
	open, advise, probe, read, eof := c.ops[0], c.ops[1], c.ops[2], c.ops[3], c.ops[4]
	open.Fd, open.Path, open.Flags = unix.AT_FDCWD, name, unix.O_RDONLY
	advise.Flags = unix.FADV_NORMAL
	// The READs go at the file position (-1), so each starts where the one
	// before stopped.
	probe.Buf, probe.Off, probe.Flags, probe.SQEFlags = buf[:0], -1, unix.RWF_NOWAIT, 0
	read.Buf, read.Off, read.Flags, read.SQEFlags = buf[:len(buf)-1], -1, unix.RWF_NOWAIT, ring.SQEIOHardlink
	eof.Buf, eof.Off, eof.Flags, eof.SQEFlags = buf[len(buf)-1:], -1, unix.RWF_NOWAIT, ring.SQEIOHardlink
}

// Ops returns the chain's ops, for ChainDirect and ChainsDirect.
func (c *ReadChain) Ops() []*Op { return c.ops[:] }

// Release gives the chain's ops back to the pool; the chain can be Set
// again afterwards.
func (c *ReadChain) Release() {
	for i, op := range c.ops {
		if op != nil {
			putOp(op)
			c.ops[i] = nil
		}
	}
	c.buf = nil
}

// Opened reports whether the chain's OPENAT filled the slot.
func (c *ReadChain) Opened() bool { return c.ops[0].Res >= 0 }

// Filled reports whether the chain's READ filled its part of the buffer:
// the file may be longer than the chain can settle.
func (c *ReadChain) Filled() bool { return int(c.ops[3].Res) >= len(c.buf)-1 }

// Result is the answer of a chain that ran to its CLOSE. With done, data
// (the start of the buffer) is the whole file, or err, a raw errno, is why
// the name could not be opened. Without done the chain settled nothing
// (a READ failed, would have waited for the device, or found more data than
// fits; the open was interrupted): the caller reads the file the plain way.
func (c *ReadChain) Result() (data []byte, done bool, err error) {
	open, advise, probe, read, eof := c.ops[0], c.ops[1], c.ops[2], c.ops[3], c.ops[4]
	switch {
	case open.Res < 0:
		switch errno := syscall.Errno(-open.Res); errno {
		case unix.EINTR, unix.EAGAIN, unix.ECANCELED:
			return nil, false, nil
		default:
			return nil, true, errno
		}
	case advise.Res < 0 || probe.Res < 0 || read.Res < 0 || int(read.Res) >= len(c.buf)-1 || eof.Res != 0:
		return nil, false, nil
	}
	return c.buf[:read.Res], true, nil
}

// ReadOn reads into p, at the file position, from the file the chain left
// open in its slot, with one blocking READ through run (ChainDirect's
// more): read(2)'s count, or run's error, or the op's errno.
func (c *ReadChain) ReadOn(run func(ops ...*Op) error, p []byte) (int, error) {
	op := c.ops[2]
	op.Buf, op.Off, op.Flags, op.SQEFlags = p, -1, 0, 0
	if err := run(op); err != nil {
		return 0, err
	}
	if op.Res < 0 {
		return 0, syscall.Errno(-op.Res)
	}
	return int(op.Res), nil
}

// CloseOn closes the file the chain left open in its slot, through run.
func (c *ReadChain) CloseOn(run func(ops ...*Op) error) error {
	op := c.ops[readChainOps-1]
	if err := run(op); err != nil {
		return err
	}
	return op.Err()
}
