//go:build linux

package uringfs_test

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/uringfs/uring/uringfs"
)

// unprivilegedEnv marks the child process that rerunUnprivileged starts.
const unprivilegedEnv = "URINGFS_TEST_UNPRIVILEGED_CHILD"

// unprivilegedID is the user and group the child runs as: nobody and
// nogroup on most Linux systems, and in any case not root.
const unprivilegedID = 65534

// rerunUnprivileged lets a test of permission checks run where it would
// otherwise prove nothing: root ignores permission bits, and CI runs as
// root. As root, it runs the test t again in a child process of the test
// binary under uid and gid unprivilegedID with no supplementary groups,
// fails t if the child fails or does not pass the test, logs the child's
// output, and returns true: the caller returns at once. Not root (in the
// child too), it returns false and the caller runs the test itself.
//
// The child inherits the environment, URINGFS_BACKEND included, so each
// backend's permission handling is tested in the run for that backend.
// It creates its own temporary directories; the binary is copied where
// the child's user can execute it.
func rerunUnprivileged(t *testing.T) bool {
	t.Helper()
	if os.Getenv(unprivilegedEnv) != "" {
		if os.Geteuid() == 0 {
			t.Fatalf("the child process meant to run unprivileged runs as root")
		}
		return false
	}
	if os.Geteuid() != 0 {
		return false
	}

	dir, err := os.MkdirTemp("", "uringfs-unprivileged-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	tmp := filepath.Join(dir, "tmp")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	// Mkdir's mode passes through the umask; Chmod's does not.
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(tmp, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "uringfs.test")
	copyExecutable(t, bin)

	// One anchored pattern per level: exactly this test or subtest.
	parts := strings.Split(t.Name(), "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	args := []string{"-test.run=" + strings.Join(parts, "/"), "-test.v=true", "-test.count=1"}
	if testing.Short() {
		args = append(args, "-test.short")
	}
	ctx := t.Context()
	if deadline, ok := t.Deadline(); ok {
		// Leave the parent time to report a child that hangs.
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline.Add(-10*time.Second))
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), unprivilegedEnv+"=1", "TMPDIR="+tmp)
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: &syscall.Credential{Uid: unprivilegedID, Gid: unprivilegedID, Groups: []uint32{}},
		Pdeathsig:  syscall.SIGKILL,
	}
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	t.Logf("%s, rerun as uid %d: %s\n%s", t.Name(), unprivilegedID, cmd, out)
	if err != nil {
		t.Fatalf("unprivileged child: %v", err)
	}
	switch text := string(out); {
	case strings.Contains(text, "--- SKIP: "+t.Name()+" ("):
		t.Fatalf("the unprivileged child skipped %s", t.Name())
	case !strings.Contains(text, "--- PASS: "+t.Name()+" ("):
		t.Fatalf("the unprivileged child did not run %s", t.Name())
	}
	if backend, err := uringfs.Backend(); err == nil && !strings.Contains(string(out), "tests on the "+string(backend)+" backend") {
		t.Logf("note: the child ran on another backend than this process's %s", backend)
	}
	return true
}

// copyExecutable copies the running test binary to dst, readable and
// executable by everyone: the go command builds it in a directory only
// its owner may enter.
func copyExecutable(t *testing.T, dst string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, src); err != nil {
		out.Close()
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dst, 0o755); err != nil {
		t.Fatal(err)
	}
}
