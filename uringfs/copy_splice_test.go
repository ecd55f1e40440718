//go:build linux

package uringfs

// Splicing from sockets and pipes into a File (ReadFrom's spliceFrom):
// every case copies the same stream once into an *os.File and once into
// a File and wants the same bytes on disk, the same count, the same error
// and the same stream left unread; and for every case the splice counters
// say whether the copy went through splice and the loop.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/uringfs/uring/internal/testkit"
)

// spliceSender writes one stream into c and returns; the connection is
// closed afterwards unless the sender closed it itself.
type spliceSender func(t *testing.T, c *net.TCPConn)

// sendAll writes data at once.
func sendAll(data []byte) spliceSender {
	return func(t *testing.T, c *net.TCPConn) { c.Write(data) }
}

// sendSlowly writes data in small pieces with pauses, so that the reader
// finds the socket empty again and again.
func sendSlowly(data []byte) spliceSender {
	return func(t *testing.T, c *net.TCPConn) {
		for p := data; len(p) > 0; {
			k := min(len(p), 3000)
			if _, err := c.Write(p[:k]); err != nil {
				return
			}
			p = p[k:]
			time.Sleep(2 * time.Millisecond)
		}
	}
}

// sendThenReset writes data and resets the connection (SO_LINGER 0).
func sendThenReset(data []byte) spliceSender {
	return func(t *testing.T, c *net.TCPConn) {
		time.Sleep(20 * time.Millisecond) // past the client's connect
		c.Write(data)
		c.SetLinger(0)
		c.Close()
	}
}

// sendThenStall writes data and holds the connection open for d.
func sendThenStall(data []byte, d time.Duration) spliceSender {
	return func(t *testing.T, c *net.TCPConn) {
		c.Write(data)
		time.Sleep(d)
	}
}

// tcpStream returns the receiving end of a loopback TCP connection whose
// other end runs send; the sender is done and its end closed by the time
// the test ends.
func tcpStream(t *testing.T, send spliceSender) *net.TCPConn {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	// Accepted before the listener closes, which would reset a pending
	// connection.
	s, err := ln.Accept()
	if err != nil {
		c.Close()
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer s.Close()
		send(t, s.(*net.TCPConn))
	}()
	t.Cleanup(func() {
		c.Close()
		<-done
	})
	return c.(*net.TCPConn)
}

func spliceData(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>11)
	}
	return b
}

// describeErr spells out err's chain, with path as FILE and without the
// addresses a *net.OpError prints, which differ between two connections.
func describeErr(err error, path string) string {
	if err == nil {
		return "<nil>"
	}
	var parts []string
	for e := err; e != nil; e = errors.Unwrap(e) {
		switch v := e.(type) {
		case *net.OpError:
			parts = append(parts, "OpError("+v.Op+")")
		case *fs.PathError:
			parts = append(parts, "PathError("+v.Op+" "+strings.ReplaceAll(v.Path, path, "FILE")+")")
		case *os.SyscallError:
			parts = append(parts, "SyscallError("+v.Syscall+")")
		default:
			parts = append(parts, fmt.Sprintf("%T(%s)", e, e.Error()))
		}
	}
	return strings.Join(parts, ": ")
}

type spliceDest int

const (
	destFresh  spliceDest = iota // a new empty file
	destMiddle                   // a file of 10 bytes, positioned at 4
	destAppend                   // a file of 10 bytes opened with O_APPEND
)

// openDest opens path with the setup dest describes, through open (os's or
// ours), and returns the file as what io.Copy writes to.
func openDest[F interface {
	io.Writer
	io.Seeker
	io.Closer
}](t *testing.T, path string, dest spliceDest, open func(string, int, fs.FileMode) (F, error)) F {
	t.Helper()
	flag := os.O_RDWR | os.O_CREATE | os.O_TRUNC
	if dest == destAppend {
		if err := os.WriteFile(path, []byte("0123456789"), 0o644); err != nil {
			t.Fatal(err)
		}
		flag = os.O_WRONLY | os.O_APPEND
	}
	f, err := open(path, flag, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if dest == destMiddle {
		if _, err := f.Write([]byte("0123456789")); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Seek(4, io.SeekStart); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// copyResult is what one copy did.
type copyResult struct {
	n       int64
	err     string
	file    []byte
	pos     int64 // the file offset afterwards
	limitN  int64 // what the LimitedReader had left, if any
	rest    []byte
	restErr string
}

// runCopy copies from a new stream into dst the way c says.
func runCopy(t *testing.T, path string, dst interface {
	io.Writer
	io.Seeker
}, conn *net.TCPConn, limit int64, closeFirst bool, deadline time.Duration) copyResult {
	t.Helper()
	var res copyResult
	if closeFirst {
		conn.Close()
	}
	if deadline > 0 {
		conn.SetReadDeadline(time.Now().Add(deadline))
	}
	var src io.Reader = conn
	var lr *io.LimitedReader
	if limit >= 0 {
		lr = &io.LimitedReader{R: conn, N: limit}
		src = lr
	}
	var err error
	res.n, err = io.Copy(dst, src)
	res.err = describeErr(err, path)
	if lr != nil {
		res.limitN = lr.N
	}
	res.pos, _ = dst.Seek(0, io.SeekCurrent)
	if res.file, err = os.ReadFile(path); err != nil {
		t.Fatal(err)
	}
	if !closeFirst {
		conn.SetReadDeadline(time.Time{})
		rest, err := io.ReadAll(conn)
		res.rest, res.restErr = rest, describeErr(err, path)
	}
	return res
}

func TestReadFromSpliceLikeOS(t *testing.T) {
	testkit.Deadline(t, 3*time.Minute)
	dir := t.TempDir()
	big := spliceData(4 << 20)
	cases := []struct {
		name       string
		send       spliceSender
		limit      int64 // -1: no io.LimitedReader
		dest       spliceDest
		closeFirst bool
		deadline   time.Duration
		wantWaits  bool // the drain must have waited for a slow source
	}{
		{name: "empty", send: sendAll(nil), limit: -1},
		{name: "1", send: sendAll(big[:1]), limit: -1},
		{name: "64KiB+1", send: sendAll(big[:64<<10+1]), limit: -1},
		{name: "4MiB", send: sendAll(big), limit: -1},
		{name: "slow", send: sendSlowly(big[:200<<10]), limit: -1, wantWaits: true},
		{name: "limit", send: sendAll(big[:1<<20]), limit: 300<<10 + 7},
		{name: "limit0", send: sendAll(big[:100]), limit: 0},
		{name: "limit-slow", send: sendSlowly(big[:100<<10]), limit: 50<<10 + 3, wantWaits: true},
		{name: "limit-beyond-end", send: sendAll(big[:70000]), limit: 1 << 20},
		{name: "middle", send: sendAll(big[:64<<10+1]), limit: -1, dest: destMiddle},
		{name: "middle-limit", send: sendAll(big[:1<<20]), limit: 12345, dest: destMiddle},
		{name: "append", send: sendAll(big[:64<<10+1]), limit: -1, dest: destAppend},
		{name: "append-limit", send: sendAll(big[:64<<10+1]), limit: 1000, dest: destAppend},
		{name: "reset", send: sendThenReset(big[:100<<10]), limit: -1},
		{name: "closed-before", send: sendAll(big[:1000]), limit: -1, closeFirst: true},
		{name: "deadline", send: sendThenStall(big[:5000], 500*time.Millisecond), limit: -1, deadline: 150 * time.Millisecond},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			osPath := filepath.Join(dir, c.name+".os")
			ourPath := filepath.Join(dir, c.name+".ours")
			// Each copy has a stream of its own, started just before it,
			// so that timed senders find both copies at the same point.
			stream := func() *net.TCPConn {
				conn := tcpStream(t, c.send)
				if c.name == "reset" {
					// Let the reset arrive before the copy starts, so
					// that both copies find the stream in one state.
					time.Sleep(100 * time.Millisecond)
				}
				return conn
			}
			osFile := openDest(t, osPath, c.dest, os.OpenFile)
			want := runCopy(t, osPath, osFile, stream(), c.limit, c.closeFirst, c.deadline)

			ourFile := openDest(t, ourPath, c.dest, OpenFile)
			ourConn := stream()
			ops0, waits0, loop0 := spliceOps.Load(), spliceWaits.Load(), LoopCounters().Ops
			got := runCopy(t, ourPath, ourFile, ourConn, c.limit, c.closeFirst, c.deadline)
			ops, waits, loopOps := spliceOps.Load()-ops0, spliceWaits.Load()-waits0, LoopCounters().Ops-loop0

			if got.n != want.n || got.err != want.err {
				t.Errorf("io.Copy = %d, %s; os: %d, %s", got.n, got.err, want.n, want.err)
			}
			if !bytes.Equal(got.file, want.file) {
				t.Errorf("file holds %d bytes, os's %d; they differ", len(got.file), len(want.file))
			}
			if got.pos != want.pos {
				t.Errorf("file offset %d afterwards, os's %d", got.pos, want.pos)
			}
			if got.limitN != want.limitN {
				t.Errorf("LimitedReader.N = %d afterwards, os: %d", got.limitN, want.limitN)
			}
			if !bytes.Equal(got.rest, want.rest) || got.restErr != want.restErr {
				t.Errorf("stream left %d bytes (%s), os left %d (%s)", len(got.rest), got.restErr, len(want.rest), want.restErr)
			}

			// Which path the copy took: splice for everything but O_APPEND
			// (and a zero limit or a closed connection, which copy
			// nothing), and through the loop.
			wantSplice := c.dest != destAppend && c.limit != 0 && !c.closeFirst
			t.Logf("n %d, err %s; %d splice ops (%d waits), %d loop ops", got.n, got.err, ops, waits, loopOps)
			if wantSplice && ops == 0 {
				t.Errorf("copy made no splice: it went through a buffer")
			}
			if !wantSplice && ops != 0 {
				t.Errorf("copy made %d splices, want none", ops)
			}
			if loopOps < ops {
				t.Errorf("%d loop operations for %d splices: not through the loop", loopOps, ops)
			}
			if c.wantWaits && waits == 0 {
				t.Errorf("splice from a slow writer never waited for the socket")
			}
		})
	}
}

// TestReadFromSpliceUnixAndPipe splices from a stream Unix socket and from
// an os.Pipe, each written slowly, and wants the data in the file.
func TestReadFromSpliceUnixAndPipe(t *testing.T) {
	testkit.Deadline(t, 3*time.Minute)
	dir := t.TempDir()
	data := spliceData(300<<10 + 5)
	writeSlowly := func(w io.WriteCloser) {
		defer w.Close()
		for p := data; len(p) > 0; {
			k := min(len(p), 10000)
			if _, err := w.Write(p[:k]); err != nil {
				return
			}
			p = p[k:]
			time.Sleep(time.Millisecond)
		}
	}
	sources := map[string]func(t *testing.T) io.Reader{
		"unix": func(t *testing.T) io.Reader {
			ln, err := net.Listen("unix", filepath.Join(dir, "sock"))
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			c, err := net.Dial("unix", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			s, err := ln.Accept()
			if err != nil {
				c.Close()
				t.Fatal(err)
			}
			done := make(chan struct{})
			go func() { defer close(done); writeSlowly(s) }()
			t.Cleanup(func() { c.Close(); <-done })
			return c
		},
		"pipe": func(t *testing.T) io.Reader {
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			go func() { defer close(done); writeSlowly(w) }()
			t.Cleanup(func() { r.Close(); <-done })
			return r
		},
	}
	for name, open := range sources {
		t.Run(name, func(t *testing.T) {
			src := open(t)
			path := filepath.Join(dir, name)
			f, err := Create(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			ops0, waits0 := spliceOps.Load(), spliceWaits.Load()
			n, err := io.Copy(f, src)
			ops, waits := spliceOps.Load()-ops0, spliceWaits.Load()-waits0
			if n != int64(len(data)) || err != nil {
				t.Fatalf("io.Copy = %d, %v; want %d, nil", n, err, len(data))
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, data) {
				t.Fatalf("file differs from what was written (%d bytes, want %d)", len(got), len(data))
			}
			t.Logf("%d splice ops, %d waits", ops, waits)
			if ops == 0 || waits == 0 {
				t.Errorf("%d splice ops, %d waits: want both", ops, waits)
			}
		})
	}
}
