//go:build linux

package uringfs_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/uringfs/uring/uringfs"
)

// osFileHelperEnv selects what TestOSFileHelperProcess does in a child
// process of the test binary; unset, it does nothing.
const osFileHelperEnv = "URINGFS_OSFILE_HELPER"

// TestOSFileHelperProcess is not a test: the tests below run the test binary
// again with only it selected and osFileHelperEnv set, and it plays the
// child's part, printing one line starting "RESULT " for the parent to check.
func TestOSFileHelperProcess(t *testing.T) {
	switch os.Getenv(osFileHelperEnv) {
	case "":
		return
	case "extrafiles":
		// The uringfs file, passed as fd 3: read it, then append to it.
		f := os.NewFile(3, "fd3")
		data, err := io.ReadAll(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteString("+child"); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		fmt.Printf("RESULT %q\n", data)
	case "stdin":
		fl, err := unix.FcntlInt(0, unix.F_GETFL, 0)
		if err != nil {
			t.Fatal(err)
		}
		f, err := uringfs.FromOS(os.Stdin)
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		after, err := unix.FcntlInt(0, unix.F_GETFL, 0)
		if err != nil {
			t.Fatalf("stdin closed with the File adopted from it: %v", err)
		}
		if _, err := os.Stdin.Stat(); err != nil {
			t.Fatalf("os.Stdin after closing the File adopted from it: %v", err)
		}
		fmt.Printf("RESULT len=%d sum=%x nonblock=%v,%v\n", len(data), sha256.Sum256(data),
			fl&unix.O_NONBLOCK != 0, after&unix.O_NONBLOCK != 0)
	default:
		t.Fatalf("unknown %s", osFileHelperEnv)
	}
}

// helperCommand returns a command running TestOSFileHelperProcess in mode.
// The child inherits the environment, URINGFS_BACKEND included.
func helperCommand(t *testing.T, mode string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), exe, "-test.run=^TestOSFileHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), osFileHelperEnv+"="+mode)
	cmd.Stderr = new(strings.Builder)
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// helperResult returns the child's RESULT line.
func helperResult(t *testing.T, cmd *exec.Cmd, out string, err error) string {
	t.Helper()
	if err != nil {
		t.Fatalf("child %s: %v\nstdout:\n%s\nstderr:\n%s", cmd, err, out, cmd.Stderr)
	}
	for line := range strings.Lines(out) {
		if r, ok := strings.CutPrefix(line, "RESULT "); ok {
			return strings.TrimSuffix(r, "\n")
		}
	}
	t.Fatalf("child %s printed no result:\n%s\nstderr:\n%s", cmd, out, cmd.Stderr)
	return ""
}

// A uringfs file handed to a child process through exec.Cmd.ExtraFiles is
// the child's fd 3: it reads what the parent wrote and appends, and the
// parent, its own *os.File closed, still reads the file through the File.
func TestOSFileExtraFiles(t *testing.T) {
	f, err := uringfs.CreateTemp(t.TempDir(), "extra")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString("from the parent"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	osf, err := f.OSFile()
	if err != nil {
		t.Fatal(err)
	}
	cmd := helperCommand(t, "extrafiles")
	cmd.ExtraFiles = []*os.File{osf}
	var stdout strings.Builder
	cmd.Stdout = &stdout
	if err := cmd.Start(); err != nil {
		osf.Close()
		t.Fatal(err)
	}
	// As with any file passed to a child: the parent's copy is closed once
	// the child has its own.
	if err := osf.Close(); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	if got, want := helperResult(t, cmd, stdout.String(), err), fmt.Sprintf("%q", "from the parent"); got != want {
		t.Errorf("child read fd 3 as %s, want %s", got, want)
	}
	// The child moved the offset the File shares with it.
	if off, err := f.Seek(0, io.SeekCurrent); err != nil || off != int64(len("from the parent+child")) {
		t.Errorf("File offset after the child = %d, %v; want %d (shared with the child's fd 3)", off, err, len("from the parent+child"))
	}
	got := make([]byte, 64)
	n, err := f.ReadAt(got, 0)
	if err != nil && err != io.EOF {
		t.Fatalf("ReadAt after the *os.File was closed: %v", err)
	}
	if string(got[:n]) != "from the parent+child" {
		t.Errorf("file holds %q, want %q", got[:n], "from the parent+child")
	}
}

// A uringfs socket becomes a net.Conn through OSFile and net.FileConn, and
// both carry data to the peer; closing the conn leaves the File working.
func TestOSFileNetFileConn(t *testing.T) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	uf := uringfs.NewFile(uintptr(fds[0]), "sock")
	defer uf.Close()
	peer := uringfs.NewFile(uintptr(fds[1]), "peer")
	defer peer.Close()

	osf, err := uf.OSFile()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.FileConn(osf)
	osf.Close() // FileConn has a descriptor of its own
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := conn.(*net.UnixConn); !ok {
		conn.Close()
		t.Fatalf("net.FileConn gave a %T, want *net.UnixConn", conn)
	}
	if err := conn.SetDeadline(time.Now().Add(time.Minute)); err != nil {
		t.Errorf("SetDeadline on the conn: %v", err)
	}
	exchange := func(what string, w io.Writer, r io.Reader, msg string) {
		t.Helper()
		if _, err := io.WriteString(w, msg); err != nil {
			t.Fatalf("%s: write: %v", what, err)
		}
		got := make([]byte, len(msg))
		if _, err := io.ReadFull(r, got); err != nil {
			t.Fatalf("%s: read: %v", what, err)
		}
		if string(got) != msg {
			t.Fatalf("%s: read %q, want %q", what, got, msg)
		}
	}
	exchange("conn to peer", conn, peer, "ping")
	exchange("peer to conn", peer, conn, "pong")
	// net.FileConn put the shared socket into non-blocking mode; the File
	// must still read and write it.
	exchange("File to peer", uf, peer, "direct")
	exchange("peer to File", peer, uf, "back")
	if err := conn.Close(); err != nil {
		t.Fatal(err)
	}
	exchange("File to peer after conn.Close", uf, peer, "still here")
}

// A child adopts os.Stdin, a pipe carrying more than a pipe buffer, and reads
// it all through uringfs; the descriptor stays in blocking mode and os.Stdin
// stays open after the File is closed.
func TestFromOSStdin(t *testing.T) {
	data := make([]byte, 300<<10)
	for i := range data {
		data[i] = byte(i*7 + i>>9)
	}
	cmd := helperCommand(t, "stdin")
	cmd.Stdin = bytes.NewReader(data) // exec passes it through a pipe
	var stdout strings.Builder
	cmd.Stdout = &stdout
	err := cmd.Run()
	want := fmt.Sprintf("len=%d sum=%x nonblock=false,false", len(data), sha256.Sum256(data))
	if got := helperResult(t, cmd, stdout.String(), err); got != want {
		t.Errorf("child read stdin as %s, want %s", got, want)
	}
}

// Closing either of a File and the *os.File OSFile made of it, or of an
// *os.File and the File FromOS made of it, leaves the other open; both
// share the file offset; nil and closed files give os's errors.
func TestOSFileOwnership(t *testing.T) {
	dir := t.TempDir()
	name := dir + "/f"
	if err := os.WriteFile(name, []byte("0123456789"), 0o600); err != nil {
		t.Fatal(err)
	}
	readAt := func(t *testing.T, what string, r io.ReaderAt, want string) {
		t.Helper()
		b := make([]byte, 16)
		n, err := r.ReadAt(b, 0)
		if err != nil && err != io.EOF {
			t.Errorf("%s: ReadAt: %v", what, err)
			return
		}
		if string(b[:n]) != want {
			t.Errorf("%s: ReadAt read %q, want %q", what, b[:n], want)
		}
	}
	t.Run("OSFile", func(t *testing.T) {
		f, err := uringfs.OpenFile(name, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		osf, err := f.OSFile()
		if err != nil {
			t.Fatal(err)
		}
		if osf.Name() != f.Name() {
			t.Errorf("OSFile().Name() = %q, want %q", osf.Name(), f.Name())
		}
		checkCloexec(t, "OSFile", osf)
		if osf.Fd() == f.Fd() {
			t.Errorf("OSFile shares descriptor %d with the File", f.Fd())
		}
		// The offset is shared.
		if _, err := f.Seek(3, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		if off, err := osf.Seek(0, io.SeekCurrent); err != nil || off != 3 {
			t.Errorf("*os.File offset after File.Seek(3) = %d, %v; want 3", off, err)
		}
		if err := osf.Close(); err != nil {
			t.Fatal(err)
		}
		readAt(t, "File after closing its *os.File", f, "0123456789")
		if _, err := f.WriteAt([]byte("ab"), 0); err != nil {
			t.Errorf("File.WriteAt after closing its *os.File: %v", err)
		}

		osf, err = f.OSFile()
		if err != nil {
			t.Fatal(err)
		}
		defer osf.Close()
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		readAt(t, "*os.File after closing the File", osf, "ab23456789")

		_, err = f.OSFile()
		var pe *fs.PathError
		if !errors.Is(err, os.ErrClosed) || !errors.As(err, &pe) || pe.Path != name {
			t.Errorf("OSFile on a closed File: %v, want a *PathError for %s wrapping os.ErrClosed", err, name)
		}
		if _, err := (*uringfs.File)(nil).OSFile(); err != os.ErrInvalid {
			t.Errorf("OSFile on a nil File: %v, want os.ErrInvalid", err)
		}
	})

	t.Run("FromOS", func(t *testing.T) {
		osf, err := os.OpenFile(name, os.O_RDWR|os.O_APPEND, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer osf.Close()
		f, err := uringfs.FromOS(osf)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if f.Name() != osf.Name() {
			t.Errorf("FromOS(f).Name() = %q, want %q", f.Name(), osf.Name())
		}
		if f.Fd() == osf.Fd() {
			t.Errorf("FromOS shares descriptor %d with the *os.File", f.Fd())
		}
		checkCloexec(t, "FromOS", f)
		// O_APPEND comes along, with os's refusal of WriteAt.
		if _, err := f.WriteAt([]byte("x"), 0); err == nil {
			t.Errorf("WriteAt on a File adopted from an O_APPEND *os.File succeeded")
		}
		if err := osf.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteString("!"); err != nil {
			t.Errorf("File.Write after closing the *os.File: %v", err)
		}
		readAt(t, "File after closing the *os.File", f, "ab23456789!")

		osf2, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		defer osf2.Close()
		f2, err := uringfs.FromOS(osf2)
		if err != nil {
			t.Fatal(err)
		}
		if err := f2.Close(); err != nil {
			t.Fatal(err)
		}
		readAt(t, "*os.File after closing the File adopted from it", osf2, "ab23456789!")

		_, err = uringfs.FromOS(osf) // closed above
		var pe *fs.PathError
		if !errors.Is(err, os.ErrClosed) || !errors.As(err, &pe) || pe.Path != name {
			t.Errorf("FromOS of a closed *os.File: %v, want a *PathError for %s wrapping os.ErrClosed", err, name)
		}
		if _, err := uringfs.FromOS(nil); err != os.ErrInvalid {
			t.Errorf("FromOS(nil): %v, want os.ErrInvalid", err)
		}
	})
}

// checkCloexec fails t unless the descriptor behind c has FD_CLOEXEC: a
// duplicate must not leak into child processes.
func checkCloexec(t *testing.T, what string, c syscall.Conn) {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var fl int
	if cerr := rc.Control(func(fd uintptr) { fl, err = unix.FcntlInt(fd, unix.F_GETFD, 0) }); cerr != nil {
		t.Fatal(cerr)
	}
	if err != nil {
		t.Fatal(err)
	}
	if fl&unix.FD_CLOEXEC == 0 {
		t.Errorf("%s: descriptor without FD_CLOEXEC", what)
	}
}
