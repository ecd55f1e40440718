package uringfs

import (
	"errors"

	"github.com/uringfs/uring/internal/sched"
)

// ErrUnavailable is wrapped by the errors of every operation when the
// backend asked for is BackendURing (from Config or URINGFS_BACKEND=uring)
// and the kernel refuses io_uring: errors.Is(err, ErrUnavailable) holds.
var ErrUnavailable = sched.ErrUnavailable

// ErrLoopClosed is wrapped by the errors of operations on a File, Root or
// Batch that was opened on a loop Shutdown has since closed.
var ErrLoopClosed = sched.ErrClosed

// Configure sets the configuration the process-wide loop starts with. The
// loop starts on the first call into the package that does I/O (or asks
// Backend, LoopBackend, FallbackReason or LoopCounters), so Configure
// belongs at the top of main; once the loop has started it returns
// ErrLoopStarted and changes nothing, until Shutdown. An invalid
// configuration (an unknown Backend, negative Rings) is rejected at once.
// A later Configure replaces an earlier one, and the configuration stays in
// effect for every start of the loop after a Shutdown.
//
// Configure wins over the environment field by field: a field left zero is
// filled in from URINGFS_BACKEND, URINGFS_RINGS or URINGFS_METADATA, so a
// program that sets only OnFallback still obeys URINGFS_BACKEND=syscall.
//
// On systems other than Linux there is no loop: Configure checks cfg and
// otherwise ignores it, except that BackendURing fails with an error
// wrapping ErrUnavailable.
func Configure(cfg Config) error {
	if err := cfg.Backend.check(); err != nil {
		return err
	}
	err := sched.SetDefault(sched.DefaultConfig{
		Config: sched.Config{
			Backend:      string(cfg.Backend),
			Rings:        cfg.Rings,
			Entries:      cfg.Entries,
			RingMetadata: cfg.RingMetadata,
		},
		OnFallback: cfg.OnFallback,
	})
	if errors.Is(err, sched.ErrStarted) {
		return ErrLoopStarted
	}
	return err
}

// LoopBackend reports which backend the process-wide loop runs on,
// BackendURing or BackendSyscall, starting it if need be; it is Backend as
// a typed value. When the loop cannot start (BackendURing on a system that
// refuses io_uring) it returns the error, wrapping ErrUnavailable.
func LoopBackend() (BackendKind, error) {
	l, err := loop()
	if err != nil {
		return "", err
	}
	return BackendKind(l.Backend()), nil
}

// Shutdown closes the process-wide loop and returns the package to its
// state before first use. Calls in progress are cancelled where the kernel
// can cancel them, and Shutdown waits for every one to return, then stops
// the ring workers and closes the rings: afterwards no goroutine of the
// loop runs, which is what goroutine-leak checks in tests want.
//
// The next call into the package starts a new loop, with the configuration
// in effect then (Configure may be called in between); its LoopCounters
// start from zero. Files, Roots and Batches opened before Shutdown stay on
// the closed loop: what they hand to it fails with an error wrapping
// ErrLoopClosed (a read or write the page cache serves on the caller may
// still succeed), except Close, which releases the descriptor as close(2)
// would. Without a running loop Shutdown does nothing and returns nil.
func Shutdown() error { return sched.CloseDefault() }
