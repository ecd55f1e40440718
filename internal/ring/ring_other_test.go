//go:build !linux

package ring

import (
	"errors"
	"testing"
)

// Off Linux the package is only its sentinel error, which callers match
// with errors.Is to choose the fallback.
func TestErrNotSupportedOffLinux(t *testing.T) {
	if ErrNotSupported == nil {
		t.Fatal("ErrNotSupported is nil")
	}
	if !errors.Is(ErrNotSupported, ErrNotSupported) {
		t.Fatal("ErrNotSupported does not match itself")
	}
	if ErrNotSupported.Error() == "" {
		t.Fatal("ErrNotSupported has no message")
	}
}
