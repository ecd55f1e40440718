//go:build linux

package sched_test

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/uringfs/uring/internal/sched"
)

// TestProbesOnThisKernel checks the probes against a kernel that has every
// feature (the test machines run Linux 6.x): a probe that misreads the
// kernel turns a fast path off without failing anything else.
func TestProbesOnThisKernel(t *testing.T) {
	l := newLoop(t, sched.BackendURing, sched.Config{})
	if !l.DirectFiles() {
		t.Error("DirectFiles = false on a kernel with IORING_FEAT_LINKED_FILE")
	}
	if !l.CanReadChain() {
		t.Error("CanReadChain = false on a kernel with IORING_OP_FADVISE")
	}
	if l.CallerFirst() && !l.CachedOpens() {
		t.Error("CachedOpens = false on a kernel with RESOLVE_CACHED")
	}
	if err := l.BeneathOpens(); err != nil {
		t.Errorf("BeneathOpens = %v", err)
	}
}

// TestProbesOnSyscallBackend: no ring, so no direct descriptors and no
// cached opens ahead of the ring; openat2 still confines lookups, except
// under qemu's user mode, which has no openat2 (ENOSYS).
func TestProbesOnSyscallBackend(t *testing.T) {
	l := newLoop(t, sched.BackendSyscall, sched.Config{})
	if l.DirectFiles() || l.CanReadChain() || l.CachedOpens() {
		t.Errorf("DirectFiles %v, CanReadChain %v, CachedOpens %v on the syscall backend, want all false",
			l.DirectFiles(), l.CanReadChain(), l.CachedOpens())
	}
	if err := l.BeneathOpens(); err != nil && !errors.Is(err, unix.ENOSYS) {
		t.Errorf("BeneathOpens = %v", err)
	}
}

func TestFeatureError(t *testing.T) {
	err := error(&sched.FeatureError{Feature: "openat2 RESOLVE_BENEATH", Err: unix.ENOSYS})
	if !errors.Is(err, unix.ENOSYS) {
		t.Errorf("%v does not unwrap to ENOSYS", err)
	}
	if !strings.Contains(err.Error(), "openat2 RESOLVE_BENEATH") || !strings.Contains(err.Error(), unix.ENOSYS.Error()) {
		t.Errorf("message %q names neither the feature nor the errno", err)
	}
}
