// The sandbox: the private mount namespace, read-only but for the planted
// copy, TMPDIR and the build cache, in which every command on a planted
// copy runs, so that a planted containment bug cannot damage the machine
// (see the package comment in main.go).

package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type sandbox struct {
	script string // sh script: set up the mounts, check them, then exec "$@" in $PLANTED_DIR
}

// newSandbox prepares the mount-namespace script: every top-level entry of
// / but /proc, /sys, /dev and /tmp becomes read-only with its submounts,
// and so do the paths in ro; the paths in rw are then mounted back
// read-write (they may lie inside a read-only directory).
func newSandbox(ro, rw []string) (*sandbox, error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("the planted runs need root for their mount namespace (unshare --mount); the tests are meant to run as root anyway")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		return nil, errors.New("unshare (util-linux) not found: refusing to run planted bugs outside a read-only sandbox")
	}
	entries, err := os.ReadDir("/")
	if err != nil {
		return nil, err
	}
	var roots []string
	for _, e := range entries {
		p := "/" + e.Name()
		switch p {
		case "/proc", "/sys", "/dev", "/tmp":
			continue
		}
		if e.Type()&fs.ModeSymlink != 0 {
			continue // /bin -> usr/bin and the like: covered by their target
		}
		if e.IsDir() || e.Type().IsRegular() {
			roots = append(roots, p)
		}
	}
	roots = append(roots, ro...)
	mounts := mountPoints()
	var b strings.Builder
	b.WriteString("set -e\n")
	var probes []string
	for _, p := range roots {
		// --rbind keeps the submounts visible; each one is made read-only
		// too, since a remount changes one mount only.
		fmt.Fprintf(&b, "mount --rbind %s %s\n", shq(p), shq(p))
		for _, m := range mounts {
			if m == p || strings.HasPrefix(m, strings.TrimSuffix(p, "/")+"/") {
				fmt.Fprintf(&b, "mount -o remount,bind,ro %s 2>/dev/null || true\n", shq(m))
			}
		}
		fmt.Fprintf(&b, "mount -o remount,bind,ro %s\n", shq(p))
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			probes = append(probes, p)
		}
	}
	for _, p := range rw {
		if err := os.MkdirAll(p, 0o755); err != nil {
			return nil, err
		}
		fmt.Fprintf(&b, "mount --bind %s %s\nmount -o remount,bind,rw %s\n", shq(p), shq(p), shq(p))
	}
	// Refuse to run unless the protection took and the writable paths are.
	for _, p := range probes {
		f := shq(filepath.Join(p, ".planted-probe"))
		fmt.Fprintf(&b, "if ( : > %s ) 2>/dev/null; then rm -f %s; echo 'planted: sandbox: %s is writable' >&2; exit 125; fi\n", f, f, p)
	}
	for _, p := range rw {
		f := shq(filepath.Join(p, ".planted-probe"))
		fmt.Fprintf(&b, "( : > %s ) 2>/dev/null || { echo 'planted: sandbox: %s is not writable' >&2; exit 125; }\nrm -f %s\n", f, p, f)
	}
	b.WriteString("cd \"$PLANTED_DIR\"\nexec \"$@\"\n")
	return &sandbox{script: b.String()}, nil
}

// mountPoints returns the mount points of this namespace.
func mountPoints() []string {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	var out []string
	for _, ln := range strings.Split(string(data), "\n") {
		f := strings.Fields(ln)
		if len(f) > 4 {
			out = append(out, unescapeMount(f[4]))
		}
	}
	return out
}

// unescapeMount decodes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func shq(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// command returns a command that runs args in dir inside the sandbox.
func (sb *sandbox) command(ctx context.Context, dir string, env []string, args ...string) *exec.Cmd {
	full := append([]string{"--mount", "--propagation", "private", "sh", "-c", sb.script, "planted-sandbox"}, args...)
	cmd := exec.CommandContext(ctx, "unshare", full...)
	cmd.Env = append(env, "PLANTED_DIR="+dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// On a timeout or an interrupt, kill the whole group: go test and the
	// test binaries it started.
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	return cmd
}

// runGroup runs cmd, then kills what is left of its process group: a test
// binary that go test killed on its timeout can leave children behind
// (uringbench's child phases), stuck on a planted bug.
func runGroup(cmd *exec.Cmd) error {
	err := cmd.Run()
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	return err
}
