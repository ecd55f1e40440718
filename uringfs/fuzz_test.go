//go:build linux

package uringfs_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/uringfs/uring/internal/testkit"
)

// FuzzOps decodes its input into a sequence of file operations and applies
// it to a file opened by os and to one opened by uringfs, in two
// directories; every result (count, offset, size, error down to its op,
// errno and errors.Is answers) and the final bytes must agree.
//
// Input format: a stream of op codes, each followed by its arguments (a
// missing byte reads as zero); see fuzzOp.
func FuzzOps(f *testing.F) {
	f.Add([]byte{0, 10, 2, 5, 3, 0, 2, 8})
	f.Add([]byte{1, 0, 200, 50, 4, 0, 10, 0, 2, 100, 6})
	f.Add([]byte{7, 3, 0, 5, 1, 0, 0, 10, 2, 10})
	f.Add([]byte{5, 0, 100, 4, 0, 0, 3, 11, 2, 5, 7, 0, 2, 50})
	f.Add([]byte{9, 40, 10, 8, 20, 5, 0xff, 0xf0, 4, 0xff, 0xff, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 512 {
			data = data[:512]
		}
		base := t.TempDir()
		var recs [2]*testkit.Recorder
		var dirs [2]string
		for i, x := range []*impl{osImpl, ourImpl} {
			dir := filepath.Join(base, x.name)
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			dirs[i] = dir
			recs[i] = testkit.NewRecorder(dir)
			runOps(t, x, filepath.Join(dir, "f"), data, recs[i])
		}
		if ms := testkit.Mismatches(recs[0].Steps(), recs[1].Steps()); len(ms) > 0 {
			i := ms[0].Index
			t.Fatalf("input %x: %s\nearlier ops:\n    %s", data, ms[0].Describe("os", "uringfs"),
				joinLines(recs[0].Lines()[:min(i, len(recs[0].Steps()))]))
		}
		if d := testkit.Snapshot(dirs[0], nil).Diff(testkit.Snapshot(dirs[1], nil), "os", "uringfs"); d != "" {
			t.Fatalf("final files differ (input %x):\n%s", data, d)
		}
	})
}

func joinLines(l []string) string {
	var b bytes.Buffer
	for i, s := range l {
		if i > 0 {
			b.WriteString("\n    ")
		}
		b.WriteString(s)
	}
	return b.String()
}

// opReader hands out the input's bytes; past the end it gives zeros.
type opReader struct{ b []byte }

func (r *opReader) byte() byte {
	if len(r.b) == 0 {
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

// u16 is a size or offset up to 64 KiB.
func (r *opReader) u16() int { return int(binary.BigEndian.Uint16([]byte{r.byte(), r.byte()})) }

// s16 is a signed offset, for Seek and Truncate.
func (r *opReader) s16() int64 { return int64(int16(r.u16())) }

var reopenFlags = []int{
	os.O_RDWR,
	os.O_RDONLY,
	os.O_WRONLY,
	os.O_RDWR | os.O_APPEND,
	os.O_RDWR | os.O_TRUNC,
	os.O_WRONLY | os.O_APPEND,
	os.O_RDWR | os.O_CREATE | os.O_EXCL,
}

// runOps applies the ops in data to the file at p through x.
func runOps(t *testing.T, x *impl, p string, data []byte, r *testkit.Recorder) {
	f, err := x.openFile(p, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { closeQuietly(f) }()
	in := &opReader{b: data}
	pattern := func(n int, seed byte) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = seed + byte(i)
		}
		return b
	}
	for step := 0; len(in.b) > 0 && step < 64; step++ {
		code := in.byte() % 12
		label := fmt.Sprintf("#%d ", step)
		switch code {
		case 0: // Write
			n := int(in.byte())
			m, err := f.Write(pattern(n, byte(step)))
			r.Record(label+"Write", n, m, err)
		case 1: // WriteAt
			off, n := in.u16(), int(in.byte())
			m, err := f.WriteAt(pattern(n, byte(step)), int64(off))
			r.Record(label+"WriteAt", off, n, m, err)
		case 2: // Read
			buf := make([]byte, in.byte())
			m, err := f.Read(buf)
			r.Record(label+"Read", len(buf), m, err, buf[:m])
		case 3: // ReadAt, sometimes at a negative offset
			off := in.s16()
			buf := make([]byte, in.byte())
			m, err := f.ReadAt(buf, off)
			r.Record(label+"ReadAt", off, len(buf), m, err, buf[:m])
		case 4: // Seek with any whence, valid or not
			off, whence := in.s16(), int(in.byte()%6)
			if whence == 5 {
				whence = 42
			}
			ret, err := f.Seek(off, whence)
			r.Record(label+"Seek", off, whence, ret, err)
		case 5: // Truncate, sometimes negative
			size := in.s16()
			r.Record(label+"Truncate", size, f.Truncate(size))
		case 6: // Stat size
			fi, err := f.Stat()
			if err != nil {
				r.Record(label+"Stat", err)
			} else {
				r.Record(label+"Stat", fi.Size(), fi.Mode(), fi.Name())
			}
		case 7: // Close and reopen with other flags
			r.Record(label+"Close", f.Close())
			flag := reopenFlags[int(in.byte())%len(reopenFlags)]
			g, err := x.openFile(p, flag, 0o644)
			r.Record(label+"Reopen", flag, err)
			if err == nil {
				f = g
			}
		case 8: // WriteString
			n := int(in.byte())
			m, err := f.WriteString(string(pattern(n, 'a')))
			r.Record(label+"WriteString", n, m, err)
		case 9: // ReadFrom a bytes.Reader, limited or not
			n := int(in.byte())
			var src io.Reader = bytes.NewReader(pattern(n, byte(step)))
			if lim := int64(in.byte()); lim < 128 {
				src = io.LimitReader(src, lim)
			}
			m, err := f.ReadFrom(src)
			r.Record(label+"ReadFrom", n, m, err)
		case 10: // Sync
			r.Record(label+"Sync", f.Sync())
		case 11: // Close, leaving the file closed for what follows
			r.Record(label+"Close", f.Close())
		}
	}
}
