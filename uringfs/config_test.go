package uringfs_test

import (
	"errors"
	"flag"
	"runtime"
	"testing"

	"github.com/uringfs/uring/uringfs"
)

// TestBackendKindText: the text form is URINGFS_BACKEND's, and anything
// else is refused, so that a flag or a config file cannot name a backend
// that does not exist.
func TestBackendKindText(t *testing.T) {
	for _, b := range []uringfs.BackendKind{"", uringfs.BackendAuto, uringfs.BackendURing, uringfs.BackendSyscall} {
		text, err := b.MarshalText()
		if err != nil || string(text) != b.String() {
			t.Errorf("%q.MarshalText() = %q, %v", b, text, err)
		}
		var got uringfs.BackendKind
		if err := got.UnmarshalText(text); err != nil || got != b {
			t.Errorf("UnmarshalText(%q) = %q, %v", text, got, err)
		}
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(nopWriter{})
	var b uringfs.BackendKind
	fs.TextVar(&b, "backend", uringfs.BackendAuto, "")
	if err := fs.Parse([]string{"-backend=io_uring"}); err == nil {
		t.Errorf("-backend=io_uring accepted: %q", b)
	}
	if err := fs.Parse([]string{"-backend=syscall"}); err != nil || b != uringfs.BackendSyscall {
		t.Errorf("-backend=syscall: %q, %v", b, err)
	}
}

type nopWriter struct{}

func (nopWriter) Write(b []byte) (int, error) { return len(b), nil }

// TestConfigureRejects: an invalid configuration is refused whether or not
// the loop has started, and leaves nothing changed.
func TestConfigureRejects(t *testing.T) {
	for _, cfg := range []uringfs.Config{{Backend: "io_uring"}, {Rings: -1}} {
		err := uringfs.Configure(cfg)
		if err == nil || errors.Is(err, uringfs.ErrLoopStarted) {
			t.Errorf("Configure(%+v) = %v, want a configuration error", cfg, err)
		}
	}
}

// TestConfigureInProcess: in this process TestMain has started the loop,
// so on Linux Configure is too late; elsewhere it is accepted and ignored,
// except for a demand for io_uring. Shutdown without a loop is a no-op
// there.
func TestConfigureInProcess(t *testing.T) {
	err := uringfs.Configure(uringfs.Config{Rings: 1})
	uerr := uringfs.Configure(uringfs.Config{Backend: uringfs.BackendURing})
	if runtime.GOOS == "linux" {
		if err != uringfs.ErrLoopStarted || uerr != uringfs.ErrLoopStarted {
			t.Errorf("Configure with the loop running: %v, %v; want ErrLoopStarted", err, uerr)
		}
		return
	}
	if err != nil || !errors.Is(uerr, uringfs.ErrUnavailable) {
		t.Errorf("Configure on %s: %v, %v", runtime.GOOS, err, uerr)
	}
	if b, err := uringfs.LoopBackend(); b != uringfs.BackendSyscall || err != nil {
		t.Errorf("LoopBackend() = %q, %v", b, err)
	}
	if err := uringfs.Shutdown(); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}

// TestLoopBackendMatchesBackend: the typed accessor and the string one
// agree.
func TestLoopBackendMatchesBackend(t *testing.T) {
	b, err := uringfs.LoopBackend()
	s, serr := uringfs.Backend()
	if string(b) != s || (err == nil) != (serr == nil) {
		t.Errorf("LoopBackend() = %q, %v; Backend() = %q, %v", b, err, s, serr)
	}
}
