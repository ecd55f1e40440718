package uringfs

import (
	"errors"
	"fmt"
)

// BackendKind names what the process-wide loop runs operations on. Its
// text form (String, MarshalText, UnmarshalText) is the value
// URINGFS_BACKEND takes, so it works with flag.TextVar.
type BackendKind string

// The backends. The zero BackendKind, "", leaves the choice to
// URINGFS_BACKEND, and to BackendAuto when that is unset.
const (
	// BackendAuto is io_uring, falling back to plain system calls when the
	// kernel refuses io_uring (see FallbackReason and Config.OnFallback).
	BackendAuto BackendKind = "auto"
	// BackendURing is io_uring or nothing: when it cannot be had, every
	// operation fails with an error wrapping ErrUnavailable.
	BackendURing BackendKind = "uring"
	// BackendSyscall runs every operation as a plain system call.
	BackendSyscall BackendKind = "syscall"
)

// String returns the backend's name.
func (b BackendKind) String() string { return string(b) }

// MarshalText returns the backend's name.
func (b BackendKind) MarshalText() ([]byte, error) { return []byte(b), nil }

// UnmarshalText accepts "auto", "uring", "syscall" and "" (unset).
func (b *BackendKind) UnmarshalText(text []byte) error {
	k := BackendKind(text)
	if err := k.check(); err != nil {
		return err
	}
	*b = k
	return nil
}

func (b BackendKind) check() error {
	switch b {
	case "", BackendAuto, BackendURing, BackendSyscall:
		return nil
	}
	return fmt.Errorf("uringfs: unknown backend %q (want %q, %q or %q)", string(b), BackendAuto, BackendURing, BackendSyscall)
}

// Config is the configuration of the process-wide loop, set with
// Configure. Its zero value is the default: every zero field is filled in
// from the environment as the package documentation describes, and from
// the built-in default when the variable is unset.
type Config struct {
	// Backend is the backend to run on; "" takes URINGFS_BACKEND, else
	// BackendAuto.
	Backend BackendKind
	// Rings is the number of io_uring rings, all set up when the loop
	// starts; 0 takes URINGFS_RINGS, else one per P (GOMAXPROCS at the
	// start of the loop), each set up when its P first submits.
	Rings int
	// Entries is the submission queue size of each ring, rounded up to a
	// power of two and clamped by the kernel; 0 means 512. It also bounds
	// the operations in flight per ring: beyond it, callers wait.
	Entries uint32
	// RingMetadata sends every metadata operation (stat, rename, unlink,
	// mkdir, link, symlink) to the ring instead of running those the kernel
	// would hand to its worker threads as system calls on the caller. It is
	// also on when URINGFS_METADATA=ring.
	RingMetadata bool
	// OnFallback, if not nil, is called when the loop starts on plain
	// system calls although io_uring was wanted (Backend BackendAuto or
	// unset), with the reason: the error FallbackReason returns. It is
	// called once per start of the loop, on the goroutine whose call into
	// the package started it, before that call goes on; it may call into
	// the package. It is not called for BackendSyscall, which is no
	// fallback, nor for BackendURing, which does not fall back.
	OnFallback func(reason error)
}

// ErrLoopStarted is returned by Configure once the process-wide loop has
// started: call Configure before any other function of the package, or
// after Shutdown.
var ErrLoopStarted = errors.New("uringfs: the event loop has already started")
