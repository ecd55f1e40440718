//go:build linux

package uringfs_test

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/uringfs/uring/internal/testkit"
	"github.com/uringfs/uring/uringfs"
)

// FuzzRootPath opens, stats, lstats and reads links under a Root and under
// its FS() with the fuzzed name, in the tree of root_test.go (symbolic links
// up, out, absolute, chained, looping, dangling, and a secret outside), and
// compares every outcome with os.Root's: the same success or failure (error
// type, text, errors.Is answers) and the same bytes. Nothing may ever read
// the secret outside the root. Every call only reads: the names, fuzzed
// ones included, may point at system files. $OUT in a name stands for the
// fixture's outside directory, as in rootNames.
func FuzzRootPath(f *testing.F) {
	for _, n := range rootNames {
		f.Add(n)
	}
	for _, n := range rootReadOnlyNames {
		f.Add(n)
	}
	for _, n := range []string{"/proc/self/root/etc/passwd", "link_up/tree/outside/secret", "dir/link_up2/../x",
		"chain1/../../outside/secret", "dir/sub/../../link_out/secret", "./././../root/file"} {
		f.Add(n)
	}
	dir := rootMakeTree(f)
	osRoot, err := os.OpenRoot(dir)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { osRoot.Close() })
	r, err := uringfs.OpenRoot(dir)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { r.Close() })
	osFS, ourFS := osRoot.FS(), r.FS()

	f.Fuzz(func(t *testing.T, name string) {
		if len(name) > 600 {
			name = name[:600]
		}
		name = rootExpand(name, dir)
		same := func(what string, oVal string, oErr error, uVal string, uErr error) {
			t.Helper()
			if uVal == rootSentinel || bytes.Contains([]byte(uVal), []byte(rootSentinel)) {
				t.Fatalf("%s(%q) read the secret outside the root", what, name)
			}
			want, got := rootOutcome(oVal, oErr, dir), rootOutcome(uVal, uErr, dir)
			if strings.IndexByte(name, 0) >= 0 {
				// Known difference: os.Root walks the name a component at a
				// time and reports the first failing one (ENOENT for
				// "missing/\x00"); ours refuses any NUL up front with
				// EINVAL. Both fail; only the errno differs.
				want = rootOutcome(oVal, nil, dir) + fmt.Sprintf(" | %T", oErr)
				got = rootOutcome(uVal, nil, dir) + fmt.Sprintf(" | %T", uErr)
			}
			if want != got {
				t.Fatalf("%s(%q):\n os:   %v\n ours: %v", what, name, want, got)
			}
		}
		readOS := func(fl *os.File, err error) (string, error) {
			if err != nil {
				return "", err
			}
			defer fl.Close()
			return readSome(fl)
		}
		readOurs := func(fl *uringfs.File, err error) (string, error) {
			if err != nil {
				return "", err
			}
			defer fl.Close()
			return readSome(fl)
		}
		ov, oe := readOS(osRoot.Open(name))
		uv, ue := readOurs(r.Open(name))
		same("Open", ov, oe, uv, ue)

		for _, lstat := range []bool{false, true} {
			var ofi, ufi fs.FileInfo
			if lstat {
				ofi, oe = osRoot.Lstat(name)
				ufi, ue = r.Lstat(name)
			} else {
				ofi, oe = osRoot.Stat(name)
				ufi, ue = r.Stat(name)
			}
			same(map[bool]string{false: "Stat", true: "Lstat"}[lstat], fuzzInfo(ofi), oe, fuzzInfo(ufi), ue)
		}
		ov, oe = osRoot.Readlink(name)
		uv, ue = r.Readlink(name)
		same("Readlink", ov, oe, uv, ue)

		ob, oe := fs.ReadFile(osFS, name)
		ub, ue := fs.ReadFile(ourFS, name)
		same("FS().ReadFile", string(ob), oe, string(ub), ue)
		ofi, oe := fs.Stat(osFS, name)
		ufi, ue := fs.Stat(ourFS, name)
		same("FS().Stat", fuzzInfo(ofi), oe, fuzzInfo(ufi), ue)
	})
}

// readSome reads a directory's names or a file's first bytes.
func readSome(fl interface {
	io.Reader
	ReadDir(int) ([]fs.DirEntry, error)
}) (string, error) {
	if ents, err := fl.ReadDir(-1); err == nil {
		var b bytes.Buffer
		names := make([]string, 0, len(ents))
		for _, e := range ents {
			names = append(names, e.Name())
		}
		// Directory order is the file system's: sort.
		sort.Strings(names)
		fmt.Fprintf(&b, "dir %v", names)
		return b.String(), nil
	}
	buf := make([]byte, 256)
	n, err := io.ReadFull(fl, buf)
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		err = nil
	}
	return string(buf[:n]), err
}

func fuzzInfo(fi fs.FileInfo) string {
	if fi == nil {
		return ""
	}
	size := fi.Size()
	if fi.IsDir() {
		size = 0 // directory sizes are the file system's business
	}
	return fmt.Sprintf("%s %v %d", fi.Name(), fi.Mode(), size)
}

// FuzzReadWriteAt gives WriteAt and ReadAt arbitrary offsets and lengths,
// negative and huge ones included, on a file opened by os and one opened by
// uringfs with the same contents: counts, errors and the bytes on disk
// around the offsets must agree.
func FuzzReadWriteAt(f *testing.F) {
	f.Add(int64(0), 10, int64(5), 20, byte(1))
	f.Add(int64(-1), 10, int64(0), 10, byte(2))
	f.Add(int64(9990), 100, int64(9995), 100, byte(3))
	f.Add(int64(1<<40), 4096, int64(1<<40-10), 4200, byte(4))
	f.Add(int64(1<<62), 1, int64(1<<62), 1, byte(5))
	f.Add(int64(9223372036854775807), 2, int64(9223372036854775806), 5, byte(6))
	f.Add(int64(100), 0, int64(-5), 0, byte(7))
	f.Add(int64(17592186044415), 10, int64(17592186044416), 1, byte(8))
	const size = 10000
	f.Fuzz(func(t *testing.T, woff int64, wlen int, roff int64, rlen int, seed byte) {
		wlen = int(uint(wlen) % (1 << 16))
		rlen = int(uint(rlen) % (1 << 16))
		base := t.TempDir()
		init := relPattern(size, seed)
		data := relPattern(wlen, seed+1)
		run := func(name string, open func(string) (fileLike, error)) ([]string, string) {
			d := filepath.Join(base, name)
			if err := os.Mkdir(d, 0o755); err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(d, "f")
			if err := os.WriteFile(p, init, 0o644); err != nil {
				t.Fatal(err)
			}
			fl, err := open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer fl.Close()
			var lines []string
			n, err := fl.WriteAt(data, woff)
			lines = append(lines, fmt.Sprintf("WriteAt(%d, %d) = %d %s", wlen, woff, n, testkit.FormatError(err, d)))
			buf := make([]byte, rlen)
			n, err = fl.ReadAt(buf, roff)
			lines = append(lines, fmt.Sprintf("ReadAt(%d, %d) = %d %x %s", rlen, roff, n, fuzzSum(buf[:max(n, 0)]), testkit.FormatError(err, d)))
			st, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			lines = append(lines, fmt.Sprintf("size %d", st.Size()))
			// The bytes at the start and around both offsets.
			for _, o := range []int64{0, woff, roff} {
				if o < 0 || o >= st.Size() {
					continue
				}
				b := make([]byte, 1<<16+64)
				m, _ := fl.ReadAt(b, max(o-32, 0))
				lines = append(lines, fmt.Sprintf("at %d: %x", o, fuzzSum(b[:max(m, 0)])))
			}
			return lines, d
		}
		ol, _ := run("os", func(p string) (fileLike, error) { return os.OpenFile(p, os.O_RDWR, 0) })
		ul, _ := run("ours", func(p string) (fileLike, error) { return uringfs.OpenFile(p, os.O_RDWR, 0) })
		for i := range ol {
			if i >= len(ul) || ol[i] != ul[i] {
				t.Fatalf("differs:\n os:   %v\n ours: %v", ol, ul)
			}
		}
		if len(ul) != len(ol) {
			t.Fatalf("differs:\n os:   %v\n ours: %v", ol, ul)
		}
	})
}

func fuzzSum(b []byte) string {
	var h uint64 = 14695981039346656037
	for _, c := range b {
		h = (h ^ uint64(c)) * 1099511628211
	}
	return fmt.Sprintf("%d:%016x", len(b), h)
}
