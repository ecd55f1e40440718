//go:build !linux

package uringfs

import (
	"errors"
	"fmt"
	"runtime"
)

// ErrUnavailable is wrapped by the error Configure returns for BackendURing:
// io_uring exists only on Linux.
var ErrUnavailable = errors.New("io_uring unavailable")

// ErrLoopClosed is never returned here: no loop runs on this system. It
// exists so that programs matching it build everywhere.
var ErrLoopClosed = errors.New("uring: event loop closed")

// Configure checks cfg and otherwise ignores it: no loop runs on this
// system, and OnFallback is never called. BackendURing fails with an error
// wrapping ErrUnavailable.
func Configure(cfg Config) error {
	if err := cfg.Backend.check(); err != nil {
		return err
	}
	if cfg.Rings < 0 {
		return fmt.Errorf("uringfs: %d rings: want 0 (the default) or more", cfg.Rings)
	}
	if cfg.Backend == BackendURing {
		return fmt.Errorf("%w: uringfs: no io_uring on %s/%s", ErrUnavailable, runtime.GOOS, runtime.GOARCH)
	}
	return nil
}

// LoopBackend reports BackendSyscall: there is no io_uring on this system.
func LoopBackend() (BackendKind, error) { return BackendSyscall, nil }

// Shutdown does nothing: no loop runs on this system.
func Shutdown() error { return nil }
