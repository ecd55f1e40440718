//go:build linux

package uringfs_test

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"github.com/uringfs/uring/internal/testkit"
	"github.com/uringfs/uring/uringfs"
)

// rootTree is the fixture: a root directory and, beside it, an "outside"
// directory holding a rootSentinel no Root method may reach. Every link
// that leads out of the root, relative or absolute, ends in directories the
// test created: the tests run as root, and a containment bug must change a
// sentinel, never the machine. In a target, $OUT stands for the absolute
// path of the outside directory (see rootExpand).
//
// The layout, in a fresh directory base:
//
//	base/tree/root/     the Root; link_up ("../..") leads to base
//	base/tree/outside/  secret: the sentinel
var rootTree = []struct{ name, kind, data string }{
	{"file", "f", "hello"},
	{"dir", "d", ""},
	{"dir/f1", "f", "f1 data"},
	{"dir/sub", "d", ""},
	{"dir/sub/f2", "f", "f2 data"},
	{"empty", "d", ""},
	{"link_file", "l", "file"},
	{"link_dir", "l", "dir"},
	{"link_dir_rel", "l", "dir/sub/../sub"},
	{"chain1", "l", "chain2"},
	{"chain2", "l", "dir/f1"},
	{"link_abs_out", "l", "$OUT"},
	{"link_abs_secret", "l", "$OUT/secret"},
	{"link_up", "l", "../.."},
	{"link_out", "l", "../outside"},
	{"link_out_secret", "l", "../outside/secret"},
	{"chain_out1", "l", "chain_out2"},
	{"chain_out2", "l", "../outside/secret"},
	{"dangling", "l", "missing"},
	{"dangling_dir", "l", "newdir/sub"},
	{"dangling_out", "l", "../outside/missing"},
	{"dir/link_parent", "l", ".."},
	{"dir/link_up2", "l", "../.."},
	{"dir/link_sib", "l", "../empty"},
	{"link_slash", "l", "dir/"},
	{"selfloop", "l", "selfloop"},
	{"loop_a", "l", "loop_b/x"},
	{"loop_b", "l", "loop_a/y"},
}

const rootSentinel = "SECRET-OUTSIDE"

// rootNames are the names every method is tried with, mutating ones
// included: none may lead anywhere but into the fixture's base directory,
// whatever a broken Root does with it. $OUT is expanded by rootExpand.
var rootNames = []string{
	"", ".", "./", "..", "../", "../x", "a/../../x", "$OUT/new", "$OUT/secret", "$OUT", "$OUT/",
	"file", "file/", "file/.", "file/x", "dir", "dir/", "dir/.", "dir/..", "dir/../file",
	"dir/sub/..", "dir/sub/../..", "dir/sub/../../..", "dir/../../outside/secret",
	"missing", "missing/", "missing/x", "dir/f1", "dir//f1", "./dir/./f1", "dir/sub/f2",
	"link_file", "link_file/", "link_dir", "link_dir/", "link_dir/f1", "link_dir/..",
	"link_dir_rel/f2", "chain1", "link_abs_out", "link_abs_out/secret", "link_abs_out/", "link_abs_out/new",
	"link_abs_secret",
	"link_up", "link_up/x", "link_out", "link_out/", "link_out/secret", "link_out_secret",
	"chain_out1", "dangling", "dangling/", "dangling_dir", "dangling_out",
	"dir/link_parent/file", "dir/link_parent", "dir/link_parent/", "dir/link_up2",
	"dir/link_up2/outside/secret", "dir/link_sib/", "empty", "empty/", "link_slash",
	"link_slash/f1", "new", "new/", "dir/new", "a\x00b",
	"dir/sub/../../file", "link_dir/../file", "dir/link_parent/dir/f1", "chain1/", "link_file/.",
	"dir/link_parent/..", "dir/link_sib/..", "file/..", "missing/..", "././file", "dir/./",
	"link_up/", "empty/.", "dir/sub/../", "dir/sub/f2/", "dangling_dir/", "dangling_dir/x",
	"link_dir/sub/f2", "link_dir/new", "empty/..", "..//", "dir/../..", "new/x/",
	"selfloop", "selfloop/", "selfloop/x", "loop_a", "loop_a/z", "dir/sub/f2/..",
	strings.Repeat("n", 300), "dir/" + strings.Repeat("n", 256) + "/x",
}

// rootReadOnlyNames are tried only with the methods that change nothing:
// absolute names of system files may be read, never written.
var rootReadOnlyNames = []string{"/abs", "/etc/passwd", "/"}

// rootExpand gives name, a name from rootNames or a target from rootTree,
// the absolute path of the outside directory of the fixture whose root is
// root in place of $OUT.
func rootExpand(name, root string) string {
	return strings.ReplaceAll(name, "$OUT", rootOutside(root))
}

// rootOutside is the fixture's outside directory, beside root.
func rootOutside(root string) string { return filepath.Join(filepath.Dir(root), "outside") }

// rootBase is the directory the fixture was built in: everything a name
// can reach, "link_up" included, lies beneath it.
func rootBase(root string) string { return filepath.Dir(filepath.Dir(root)) }

// rootMakeTree builds the fixture under a fresh directory and returns the root's
// path.
func rootMakeTree(t testing.TB) string {
	t.Helper()
	base := rootTempDir(t)
	root := filepath.Join(base, "tree", "root")
	out := rootOutside(root)
	for _, d := range []string{filepath.Dir(root), root, out} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(out, "secret"), []byte(rootSentinel), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, e := range rootTree {
		p := filepath.Join(root, e.name)
		var err error
		switch e.kind {
		case "f":
			err = os.WriteFile(p, []byte(e.data), 0o644)
		case "d":
			err = os.Mkdir(p, 0o755)
		case "l":
			err = os.Symlink(rootExpand(e.data, root), p)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// rootTempDir is a fresh directory, on a tmpfs when there is one: the
// differential tests build hundreds of small trees, and on a journalled
// disk each metadata operation can cost a millisecond. Its name always has
// the same length, so that the absolute symbolic links of two fixtures
// have the same size.
func rootTempDir(t testing.TB) string {
	t.Helper()
	parents := []string{os.TempDir()}
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		parents = []string{"/dev/shm", os.TempDir()}
	}
	var err error
	for _, parent := range parents {
		for range 100 {
			d := filepath.Join(parent, fmt.Sprintf("uringfs-root-test-%016x", rand.Uint64()))
			if err = os.Mkdir(d, 0o700); err == nil {
				t.Cleanup(func() { os.RemoveAll(d) })
				return d
			}
			if !errors.Is(err, fs.ErrExist) {
				break
			}
		}
	}
	t.Fatal(err)
	return ""
}

var rootFixedTime = time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)

// rootSnapshot describes the fixture holding root: inside, the root and
// everything beneath it; outside, everything else beneath its base
// directory (the base itself, the outside directory, the sentinel), which
// no Root method may change. Owners, link counts and whether times are
// still rootFixedTime are recorded too; absolute link targets read
// relative to the base, so that two fixtures compare equal.
func rootSnapshot(t testing.TB, root string) (inside, outside testkit.Tree) {
	t.Helper()
	base := rootBase(root)
	opts := testkit.SnapshotOptions{Owner: true, Nlink: true, ModTimeIs: rootFixedTime,
		Aliases: map[string]string{base: "$BASE"}}
	inside = testkit.Snapshot(root, &opts)
	rel, err := filepath.Rel(base, root)
	if err != nil {
		t.Fatal(err)
	}
	opts.Omit = func(p string) bool { return p == filepath.ToSlash(rel) }
	outside = testkit.Snapshot(base, &opts)
	return inside, outside
}

// rootOutcome renders what a call returned, in a form two implementations
// can be compared by: the value without inode numbers (they differ between
// the two trees) and the error as testkit renders it, with roots, the
// fixture roots the compared Roots were opened on, and the base
// directories around them replaced by placeholders.
func rootOutcome(val string, err error, roots ...string) string {
	if i := strings.Index(val, " ino="); i >= 0 {
		val = val[:i]
	}
	r := testkit.NewRecorder("")
	for _, root := range roots {
		if root != "" {
			r.Alias(root, "$ROOT")
			r.Alias(rootBase(root), "$BASE")
		}
	}
	return r.Format(val) + " | " + r.Format(err)
}

// rootLeafErr is the innermost error.
func rootLeafErr(err error) error {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err
		}
		err = u
	}
}

// rootCheckSameError checks the parts of two errors an rootOutcome cannot: that
// errors.Is matches each one's innermost error in the other (this is how
// os's unexported "path escapes from parent" is compared).
func rootCheckSameError(t *testing.T, what string, osErr, ourErr error) {
	t.Helper()
	if osErr == nil || ourErr == nil {
		return
	}
	leaf := rootLeafErr(osErr)
	switch leaf.Error() {
	case "empty path", "unsupported file mode", "not a directory":
		return // values os creates afresh; only the text can match
	}
	if !errors.Is(ourErr, leaf) {
		t.Errorf("%s: errors.Is(ours, %v) is false; ours: %v", what, leaf, ourErr)
	}
	if ol := rootLeafErr(ourErr); !errors.Is(osErr, ol) {
		t.Errorf("%s: errors.Is(os, %v) is false; os: %v", what, ol, osErr)
	}
}

// rootOp is one method call made the same way on os.Root and on
// uringfs.Root.
type rootOp struct {
	name   string
	mutate bool // changes the tree: compare snapshots, use fresh trees
	osFn   func(r *os.Root, name string) (string, error)
	ourFn  func(r *uringfs.Root, name string) (string, error)
}

func rootReadAllString(f interface {
	io.Reader
	Stat() (fs.FileInfo, error)
	ReadDir(int) ([]fs.DirEntry, error)
}) (string, error) {
	fi, err := f.Stat()
	if err != nil {
		return "", err
	}
	if fi.IsDir() {
		ents, err := f.ReadDir(-1)
		var names []string
		for _, e := range ents {
			names = append(names, e.Name()+":"+e.Type().String())
		}
		slices.Sort(names)
		return "dir " + strings.Join(names, ","), err
	}
	data, err := io.ReadAll(f)
	return "file " + string(data), err
}

func rootInfoString(fi fs.FileInfo) string {
	st := fi.Sys().(*syscall.Stat_t)
	return fmt.Sprintf("%s %v %d ino=%d", fi.Name(), fi.Mode(), fi.Size(), st.Ino)
}

// rootRelName strips a Root's directory from a file name.
func rootRelName(rootName, name string) string {
	return strings.TrimPrefix(name, rootName)
}

func rootOpenOps() []rootOp {
	openWith := func(label string, flag int, perm fs.FileMode, mutate bool) rootOp {
		return rootOp{
			name: label, mutate: mutate,
			osFn: func(r *os.Root, name string) (string, error) {
				f, err := r.OpenFile(name, flag, perm)
				if err != nil {
					return "", err
				}
				defer f.Close()
				if flag&(os.O_WRONLY|os.O_RDWR) != 0 {
					_, err = f.WriteString("written")
					return rootRelName(r.Name(), f.Name()), err
				}
				s, err := rootReadAllString(f)
				return rootRelName(r.Name(), f.Name()) + " " + s, err
			},
			ourFn: func(r *uringfs.Root, name string) (string, error) {
				f, err := r.OpenFile(name, flag, perm)
				if err != nil {
					return "", err
				}
				defer f.Close()
				if flag&(os.O_WRONLY|os.O_RDWR) != 0 {
					_, err = f.WriteString("written")
					return rootRelName(r.Name(), f.Name()), err
				}
				s, err := rootReadAllString(f)
				return rootRelName(r.Name(), f.Name()) + " " + s, err
			},
		}
	}
	return []rootOp{
		openWith("Open", os.O_RDONLY, 0, false),
		openWith("OpenNoFollow", os.O_RDONLY|syscall.O_NOFOLLOW, 0, false),
		openWith("OpenDirectory", os.O_RDONLY|syscall.O_DIRECTORY, 0, false),
		openWith("OpenCreate", os.O_RDWR|os.O_CREATE, 0o640, true),
		openWith("OpenCreateExcl", os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600, true),
		openWith("OpenTrunc", os.O_WRONLY|os.O_TRUNC, 0, true),
		openWith("OpenAppend", os.O_WRONLY|os.O_APPEND, 0, true),
		openWith("OpenBadPerm", os.O_RDWR|os.O_CREATE, 0o4777, true),
	}
}

func rootOps() []rootOp {
	ops := rootOpenOps()
	ops = append(ops,
		rootOp{name: "Create", mutate: true,
			osFn: func(r *os.Root, n string) (string, error) {
				f, err := r.Create(n)
				if err != nil {
					return "", err
				}
				return rootRelName(r.Name(), f.Name()), f.Close()
			},
			ourFn: func(r *uringfs.Root, n string) (string, error) {
				f, err := r.Create(n)
				if err != nil {
					return "", err
				}
				return rootRelName(r.Name(), f.Name()), f.Close()
			}},
		rootOp{name: "OpenRoot",
			osFn: func(r *os.Root, n string) (string, error) {
				sub, err := r.OpenRoot(n)
				if err != nil {
					return "", err
				}
				defer sub.Close()
				fi, err := sub.Stat(".")
				if err != nil {
					return "", err
				}
				return rootRelName(r.Name(), sub.Name()) + " " + rootInfoString(fi), nil
			},
			ourFn: func(r *uringfs.Root, n string) (string, error) {
				sub, err := r.OpenRoot(n)
				if err != nil {
					return "", err
				}
				defer sub.Close()
				fi, err := sub.Stat(".")
				if err != nil {
					return "", err
				}
				return rootRelName(r.Name(), sub.Name()) + " " + rootInfoString(fi), nil
			}},
		rootOp{name: "Stat",
			osFn: func(r *os.Root, n string) (string, error) {
				fi, err := r.Stat(n)
				if err != nil {
					return "", err
				}
				return rootInfoString(fi), nil
			},
			ourFn: func(r *uringfs.Root, n string) (string, error) {
				fi, err := r.Stat(n)
				if err != nil {
					return "", err
				}
				return rootInfoString(fi), nil
			}},
		rootOp{name: "Lstat",
			osFn: func(r *os.Root, n string) (string, error) {
				fi, err := r.Lstat(n)
				if err != nil {
					return "", err
				}
				return rootInfoString(fi), nil
			},
			ourFn: func(r *uringfs.Root, n string) (string, error) {
				fi, err := r.Lstat(n)
				if err != nil {
					return "", err
				}
				return rootInfoString(fi), nil
			}},
		rootOp{name: "Readlink",
			osFn:  func(r *os.Root, n string) (string, error) { return r.Readlink(n) },
			ourFn: func(r *uringfs.Root, n string) (string, error) { return r.Readlink(n) }},
		rootOp{name: "ReadFile",
			osFn: func(r *os.Root, n string) (string, error) {
				b, err := r.ReadFile(n)
				return string(b), err
			},
			ourFn: func(r *uringfs.Root, n string) (string, error) {
				b, err := r.ReadFile(n)
				return string(b), err
			}},
		rootOp{name: "WriteFile", mutate: true,
			osFn:  func(r *os.Root, n string) (string, error) { return "", r.WriteFile(n, []byte("wf"), 0o604) },
			ourFn: func(r *uringfs.Root, n string) (string, error) { return "", r.WriteFile(n, []byte("wf"), 0o604) }},
		rootOp{name: "Mkdir", mutate: true,
			osFn:  func(r *os.Root, n string) (string, error) { return "", r.Mkdir(n, 0o750) },
			ourFn: func(r *uringfs.Root, n string) (string, error) { return "", r.Mkdir(n, 0o750) }},
		rootOp{name: "MkdirBadPerm", mutate: true,
			osFn:  func(r *os.Root, n string) (string, error) { return "", r.Mkdir(n, fs.ModeSticky|0o750) },
			ourFn: func(r *uringfs.Root, n string) (string, error) { return "", r.Mkdir(n, fs.ModeSticky|0o750) }},
		rootOp{name: "MkdirAll", mutate: true,
			osFn:  func(r *os.Root, n string) (string, error) { return "", r.MkdirAll(n, 0o750) },
			ourFn: func(r *uringfs.Root, n string) (string, error) { return "", r.MkdirAll(n, 0o750) }},
		rootOp{name: "MkdirAllDeep", mutate: true,
			osFn:  func(r *os.Root, n string) (string, error) { return "", r.MkdirAll(rootDeepName(n), 0o750) },
			ourFn: func(r *uringfs.Root, n string) (string, error) { return "", r.MkdirAll(rootDeepName(n), 0o750) }},
		rootOp{name: "Remove", mutate: true,
			osFn:  func(r *os.Root, n string) (string, error) { return "", r.Remove(n) },
			ourFn: func(r *uringfs.Root, n string) (string, error) { return "", r.Remove(n) }},
		rootOp{name: "RemoveAll", mutate: true,
			osFn:  func(r *os.Root, n string) (string, error) { return "", r.RemoveAll(n) },
			ourFn: func(r *uringfs.Root, n string) (string, error) { return "", r.RemoveAll(n) }},
		rootOp{name: "RenameFrom", mutate: true,
			osFn:  func(r *os.Root, n string) (string, error) { return "", r.Rename(n, "renamed") },
			ourFn: func(r *uringfs.Root, n string) (string, error) { return "", r.Rename(n, "renamed") }},
		rootOp{name: "RenameTo", mutate: true,
			osFn:  func(r *os.Root, n string) (string, error) { return "", r.Rename("file", n) },
			ourFn: func(r *uringfs.Root, n string) (string, error) { return "", r.Rename("file", n) }},
		rootOp{name: "RenameDirTo", mutate: true,
			osFn:  func(r *os.Root, n string) (string, error) { return "", r.Rename("empty", n) },
			ourFn: func(r *uringfs.Root, n string) (string, error) { return "", r.Rename("empty", n) }},
		rootOp{name: "RenameSelf", mutate: true,
			osFn:  func(r *os.Root, n string) (string, error) { return "", r.Rename(n, n) },
			ourFn: func(r *uringfs.Root, n string) (string, error) { return "", r.Rename(n, n) }},
		rootOp{name: "RenameIntoDir", mutate: true,
			osFn:  func(r *os.Root, n string) (string, error) { return "", r.Rename(n, "empty/moved") },
			ourFn: func(r *uringfs.Root, n string) (string, error) { return "", r.Rename(n, "empty/moved") }},
		rootOp{name: "LinkFrom", mutate: true,
			osFn:  func(r *os.Root, n string) (string, error) { return "", r.Link(n, "linked") },
			ourFn: func(r *uringfs.Root, n string) (string, error) { return "", r.Link(n, "linked") }},
		rootOp{name: "LinkTo", mutate: true,
			osFn:  func(r *os.Root, n string) (string, error) { return "", r.Link("file", n) },
			ourFn: func(r *uringfs.Root, n string) (string, error) { return "", r.Link("file", n) }},
		rootOp{name: "Symlink", mutate: true,
			osFn:  func(r *os.Root, n string) (string, error) { return "", r.Symlink("../anywhere", n) },
			ourFn: func(r *uringfs.Root, n string) (string, error) { return "", r.Symlink("../anywhere", n) }},
		rootOp{name: "Chmod", mutate: true,
			osFn:  func(r *os.Root, n string) (string, error) { return "", r.Chmod(n, 0o711) },
			ourFn: func(r *uringfs.Root, n string) (string, error) { return "", r.Chmod(n, 0o711) }},
		rootOp{name: "Chown", mutate: true,
			osFn:  func(r *os.Root, n string) (string, error) { return "", r.Chown(n, os.Getuid(), 4242) },
			ourFn: func(r *uringfs.Root, n string) (string, error) { return "", r.Chown(n, os.Getuid(), 4242) }},
		rootOp{name: "Lchown", mutate: true,
			osFn:  func(r *os.Root, n string) (string, error) { return "", r.Lchown(n, os.Getuid(), 4243) },
			ourFn: func(r *uringfs.Root, n string) (string, error) { return "", r.Lchown(n, os.Getuid(), 4243) }},
		rootOp{name: "Chtimes", mutate: true,
			osFn:  func(r *os.Root, n string) (string, error) { return "", r.Chtimes(n, rootFixedTime, rootFixedTime) },
			ourFn: func(r *uringfs.Root, n string) (string, error) { return "", r.Chtimes(n, rootFixedTime, rootFixedTime) }},
		rootOp{name: "ChtimesOmit", mutate: true,
			osFn:  func(r *os.Root, n string) (string, error) { return "", r.Chtimes(n, time.Time{}, rootFixedTime) },
			ourFn: func(r *uringfs.Root, n string) (string, error) { return "", r.Chtimes(n, time.Time{}, rootFixedTime) }},
	)
	return ops
}

// rootDeepName is n/p/q, a name two directories below n; below the empty
// name it is p/q, not the absolute /p/q, which would name a directory of
// the machine's.
func rootDeepName(n string) string {
	if n == "" {
		return "p/q"
	}
	return n + "/p/q"
}

// TestRootDifferential runs every method on every name against os.Root on
// an identical tree and requires the same results, errors and effects.
func TestRootDifferential(t *testing.T) {
	canChown := os.Getuid() == 0
	for _, op := range rootOps() {
		if !canChown && strings.Contains(op.name, "chown") {
			continue
		}
		t.Run(op.name, func(t *testing.T) {
			t.Parallel()
			rootDiffOp(t, op)
		})
	}
}

// TestRootDifferentialOSFallback runs the differential tests on the
// fallback taken when the kernel has no openat2: Root on os.Root, files
// handed to the loop.
func TestRootDifferentialOSFallback(t *testing.T) {
	restore := uringfs.SetRootFallbackForTest(true)
	t.Cleanup(restore) // after the parallel subtests
	r, err := uringfs.OpenRoot(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if !uringfs.RootUsesOS(r) {
		t.Fatal("OpenRoot did not take the os.Root fallback")
	}
	sub, err := r.OpenRoot(".")
	if err != nil || !uringfs.RootUsesOS(sub) {
		t.Fatalf("OpenRoot(.) in a fallback Root: %v", err)
	}
	sub.Close()
	r.Close()
	// The other methods call os.Root's directly; these go through code
	// of ours (files handed to the loop, the FS, ReadFile).
	for _, op := range rootOps() {
		switch op.name {
		case "Open", "OpenCreate", "OpenAppend", "Create", "OpenRoot", "Stat", "ReadFile", "WriteFile", "RemoveAll":
			t.Run(op.name, func(t *testing.T) {
				t.Parallel()
				rootDiffOp(t, op)
			})
		}
	}
}

// rootTreePair is the same fixture twice, one for os.Root and one for ours.
type rootTreePair struct {
	oDir, uDir string
	oR         *os.Root
	uR         *uringfs.Root
}

func newRootTreePair(t *testing.T) *rootTreePair {
	p := &rootTreePair{oDir: rootMakeTree(t), uDir: rootMakeTree(t)}
	var err error
	if p.oR, err = os.OpenRoot(p.oDir); err != nil {
		t.Fatal(err)
	}
	if p.uR, err = uringfs.OpenRoot(p.uDir); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *rootTreePair) close() {
	p.oR.Close()
	p.uR.Close()
}

// rootDiffOp calls op with every name on a pair of fixtures, one under
// os.Root and one under ours, and compares what the calls return and
// leave behind. Whatever the method, nothing outside the root may change:
// the outside directory, its sentinel and the base directory are checked
// after every call, on both sides.
func rootDiffOp(t *testing.T, op rootOp) {
	names := rootNames
	if !op.mutate {
		names = append(slices.Clip(names), rootReadOnlyNames...)
	}
	p := newRootTreePair(t)
	pristineIn, pristineOut := rootSnapshot(t, p.oDir)
	for _, name := range names {
		oVal, oErr := op.osFn(p.oR, rootExpand(name, p.oDir))
		uVal, uErr := op.ourFn(p.uR, rootExpand(name, p.uDir))
		want := rootOutcome(oVal, oErr, p.oDir)
		got := rootOutcome(uVal, uErr, p.uDir)
		what := fmt.Sprintf("%s(%q)", op.name, name)
		if want != got {
			t.Errorf("%s:\n os:   %s\n ours: %s", what, want, got)
		}
		rootCheckSameError(t, what, oErr, uErr)
		oIn, oOut := rootSnapshot(t, p.oDir)
		uIn, uOut := rootSnapshot(t, p.uDir)
		if d := pristineOut.Diff(uOut, "before", "after"); d != "" {
			t.Errorf("%s: ours changed what is outside the root:\n%s", what, d)
		}
		if d := pristineOut.Diff(oOut, "before", "after"); d != "" {
			t.Errorf("%s: os.Root changed what is outside the root:\n%s", what, d)
		}
		if d := oIn.Diff(uIn, "os", "ours"); d != "" {
			t.Errorf("%s: trees differ afterwards:\n%s", what, d)
		}
		changed := !oIn.Equal(pristineIn) || !uIn.Equal(pristineIn) || !oOut.Equal(pristineOut) || !uOut.Equal(pristineOut)
		if !op.mutate && changed {
			t.Errorf("%s: a read-only method changed the tree", what)
		}
		if changed {
			// Start the next name on a fresh pair of trees.
			p.close()
			p = newRootTreePair(t)
		}
	}
	p.close()
}

// TestRootNamesStayInFixture guards the fixture itself: it resolves every
// name the mutating methods are given the way a Root with no containment
// at all would (from the root's directory, following every symbolic link,
// absolute names from "/") and requires each to end beneath the fixture's
// base directory. A broken Root must damage sentinels, never the machine
// the tests run on as root.
func TestRootNamesStayInFixture(t *testing.T) {
	root := rootMakeTree(t)
	base := rootBase(root)
	for _, n := range rootNames {
		name := rootExpand(n, root)
		if strings.IndexByte(name, 0) >= 0 {
			continue // no system call takes it
		}
		for _, name := range []string{name, rootDeepName(name)} {
			if got := rootUncontained(root, name); got != base && !strings.HasPrefix(got, base+"/") {
				t.Errorf("%q leads to %s without containment, outside the fixture %s", name, got, base)
			}
		}
	}
}

// rootUncontained is where name leads from root when nothing contains it:
// each element resolved in turn, ".." to the parent, symbolic links
// followed (the last one too). The first missing element ends the walk and
// the rest is joined lexically.
func rootUncontained(root, name string) string {
	dir := root
	if filepath.IsAbs(name) {
		dir = "/"
	}
	rest := strings.Split(name, "/")
	for hops := 0; len(rest) > 0; {
		elem := rest[0]
		rest = rest[1:]
		switch elem {
		case "", ".":
			continue
		case "..":
			dir = filepath.Dir(dir)
			continue
		}
		next := filepath.Join(dir, elem)
		fi, err := os.Lstat(next)
		if err != nil {
			return filepath.Join(append([]string{next}, rest...)...)
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			dir = next
			continue
		}
		if hops++; hops > 40 {
			return next // a loop: ELOOP, nothing reached
		}
		target, err := os.Readlink(next)
		if err != nil {
			return next
		}
		if filepath.IsAbs(target) {
			dir = "/"
		}
		rest = append(strings.Split(target, "/"), rest...)
	}
	return dir
}

// TestRootEscapeError checks the escape error in detail: type, Op, Path,
// text and errors.Is against os.Root's own.
func TestRootEscapeError(t *testing.T) {
	dir := rootMakeTree(t)
	osRoot, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer osRoot.Close()
	r, err := uringfs.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, name := range []string{"..", "../x", "link_up/x", "link_abs_out/secret", "link_abs_secret", "chain_out1", "dir/link_up2/outside/secret"} {
		_, oErr := osRoot.Open(name)
		_, uErr := r.Open(name)
		var ope, upe *fs.PathError
		if !errors.As(oErr, &ope) || !errors.As(uErr, &upe) {
			t.Fatalf("Open(%q): os %v, ours %v: want *fs.PathError from both", name, oErr, uErr)
		}
		if ope.Op != upe.Op || ope.Path != upe.Path || ope.Error() != upe.Error() {
			t.Errorf("Open(%q): os %#v, ours %#v", name, ope, upe)
		}
		if !errors.Is(uErr, ope.Err) || !errors.Is(oErr, upe.Err) {
			t.Errorf("Open(%q): errors.Is disagrees: os %v, ours %v", name, oErr, uErr)
		}
		if upe.Err.Error() != "path escapes from parent" {
			t.Errorf("Open(%q): got %v, want an escape", name, uErr)
		}
	}
}

// TestRootClosed checks methods after Close and a second Close.
func TestRootClosed(t *testing.T) {
	dir := rootMakeTree(t)
	osRoot, _ := os.OpenRoot(dir)
	r, err := uringfs.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	osRoot.Close()
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v, want nil as os.Root", err)
	}
	if r.Name() != dir {
		t.Errorf("Name after Close = %q, want %q", r.Name(), dir)
	}
	for _, op := range rootOps() {
		for _, name := range []string{"file", "", "../x"} {
			oVal, oErr := op.osFn(osRoot, name)
			uVal, uErr := op.ourFn(r, name)
			if want, got := rootOutcome(oVal, oErr), rootOutcome(uVal, uErr); want != got {
				t.Errorf("closed %s(%q):\n os:   %v\n ours: %v", op.name, name, want, got)
			}
		}
	}
}

// TestRootOpenRootErrors compares the package-level OpenRoot and
// OpenInRoot with os's.
func TestRootOpenRootErrors(t *testing.T) {
	dir := rootMakeTree(t)
	for _, name := range []string{dir, dir + "/file", dir + "/missing", dir + "/link_dir", dir + "/link_file", ""} {
		or, oErr := os.OpenRoot(name)
		ur, uErr := uringfs.OpenRoot(name)
		if want, got := rootOutcome("", oErr), rootOutcome("", uErr); want != got {
			t.Errorf("OpenRoot(%q):\n os:   %v\n ours: %v", name, want, got)
		}
		if or != nil {
			or.Close()
		}
		if ur != nil {
			if ur.Name() != name {
				t.Errorf("OpenRoot(%q).Name() = %q", name, ur.Name())
			}
			ur.Close()
		}
	}
	for _, name := range []string{"file", "dir/f1", "../x", "missing", "link_out_secret"} {
		of, oErr := os.OpenInRoot(dir, name)
		uf, uErr := uringfs.OpenInRoot(dir, name)
		var oData, uData []byte
		if of != nil {
			oData, _ = io.ReadAll(of)
			of.Close()
		}
		if uf != nil {
			uData, _ = io.ReadAll(uf)
			// A file os refused is reported below, by the outcomes.
			if of != nil && uf.Name() != of.Name() {
				t.Errorf("OpenInRoot(%q).Name() = %q, os %q", name, uf.Name(), of.Name())
			}
			uf.Close()
		}
		if want, got := rootOutcome(string(oData), oErr), rootOutcome(string(uData), uErr); want != got {
			t.Errorf("OpenInRoot(%q):\n os:   %v\n ours: %v", name, want, got)
		}
	}
}

// TestRootTOCTOU swaps a directory for a symbolic link leading outside
// while other goroutines open, stat, create and chmod files beneath it
// through the Root. No call may ever reach the rootSentinel outside.
func TestRootTOCTOU(t *testing.T) {
	base := rootTempDir(t)
	rootDir := filepath.Join(base, "root")
	out := filepath.Join(base, "outside")
	for _, d := range []string{rootDir, filepath.Join(rootDir, "d"), out} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(rootDir, "d", "f"), []byte("inside"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "f"), []byte(rootSentinel), 0o644); err != nil {
		t.Fatal(err)
	}
	outFi, err := os.Stat(filepath.Join(out, "f"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := uringfs.OpenRoot(rootDir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()

	const swaps = 300
	var done atomic.Bool
	var attempts atomic.Int64
	// settle lets the workers make a few calls in the current state, so
	// both states are exercised whatever the scheduler does.
	settle := func() {
		for target := attempts.Load() + 3; attempts.Load() < target; {
			runtime.Gosched()
		}
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer done.Store(true)
		d, moved := filepath.Join(rootDir, "d"), filepath.Join(rootDir, "d.moved")
		targets := []string{"../outside", out, "x/../../outside"}
		for i := range swaps {
			if err := os.Rename(d, moved); err != nil {
				t.Error(err)
				return
			}
			if err := os.Symlink(targets[i%len(targets)], d); err != nil {
				t.Error(err)
				return
			}
			settle()
			if err := os.Remove(d); err != nil {
				t.Error(err)
				return
			}
			if err := os.Rename(moved, d); err != nil {
				t.Error(err)
				return
			}
			settle()
		}
	}()
	var opened, refused atomic.Int64
	workers := 4
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !done.Load(); i++ {
				attempts.Add(1)
				switch (w + i) % 6 {
				case 0:
					data, err := r.ReadFile("d/f")
					if string(data) == rootSentinel {
						t.Errorf("ReadFile(d/f) read the file outside the root")
					}
					if err == nil {
						opened.Add(1)
					} else {
						refused.Add(1)
					}
				case 1:
					f, err := r.OpenFile("d/f", os.O_RDWR, 0)
					if err == nil {
						buf := make([]byte, 64)
						n, _ := f.ReadAt(buf, 0)
						if string(buf[:n]) == rootSentinel {
							t.Errorf("OpenFile(d/f) opened the file outside the root")
						}
						f.Close()
					}
				case 2:
					if fi, err := r.Stat("d/f"); err == nil && os.SameFile(fi, outFi) {
						t.Errorf("Stat(d/f) reached the file outside the root")
					}
				case 3:
					r.WriteFile("d/new"+strconv.Itoa(w), []byte("x"), 0o644)
				case 4:
					r.Chmod("d/f", 0o600)
					r.Chtimes("d/f", rootFixedTime, rootFixedTime)
				case 5:
					r.Mkdir("d/newdir"+strconv.Itoa(w), 0o755)
					r.Remove("d/newdir" + strconv.Itoa(w))
					r.Symlink("x", "d/sym"+strconv.Itoa(w))
					r.Rename("d/sym"+strconv.Itoa(w), "d/sym2"+strconv.Itoa(w))
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("%d reads succeeded, %d refused during %d swaps", opened.Load(), refused.Load(), swaps)

	// Nothing outside changed.
	ents, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 1 || ents[0].Name() != "f" {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("outside directory now holds %v, want only f", names)
	}
	fi, err := os.Stat(filepath.Join(out, "f"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o644 || fi.ModTime().Equal(rootFixedTime) || !os.SameFile(fi, outFi) {
		t.Errorf("outside file was changed: mode %v, mtime %v", fi.Mode(), fi.ModTime())
	}
	if data, err := os.ReadFile(filepath.Join(out, "f")); err != nil || string(data) != rootSentinel {
		t.Errorf("outside file now holds %q, %v; want %q", data, err, rootSentinel)
	}
	// With the directory back in place, the Root works.
	data, err := r.ReadFile("d/f")
	if err != nil || string(data) != "inside" {
		t.Errorf("ReadFile(d/f) after the swaps = %q, %v", data, err)
	}
}

// TestRootProcSelfRoot checks that /proc magic links, which point at the
// whole file system, are refused as os.Root refuses them.
func TestRootProcSelfRoot(t *testing.T) {
	if _, err := os.Stat("/proc/self/root"); err != nil {
		t.Skipf("no /proc: %v", err)
	}
	dir := rootMakeTree(t)
	secret, err := os.Open(filepath.Join(filepath.Dir(dir), "outside", "secret"))
	if err != nil {
		t.Fatal(err)
	}
	defer secret.Close()
	fdName := "self/fd/" + strconv.Itoa(int(secret.Fd()))
	for _, c := range []struct{ dir, name string }{
		{"/proc", "self/root/etc/passwd"},
		{"/proc", "self/root" + dir + "/file"},
		{"/proc", "self/cwd"},
		{"/proc", fdName},
		{"/proc/self", "root/etc/passwd"},
		{"/", "proc/self/root/etc/passwd"},
		{"/", "proc/thread-self/root/etc/passwd"},
	} {
		osRoot, err := os.OpenRoot(c.dir)
		if err != nil {
			t.Fatal(err)
		}
		r, err := uringfs.OpenRoot(c.dir)
		if err != nil {
			t.Fatal(err)
		}
		of, oErr := osRoot.Open(c.name)
		uf, uErr := r.Open(c.name)
		if uf != nil {
			data, _ := io.ReadAll(uf)
			if string(data) == rootSentinel {
				t.Errorf("Open(%q) in %s read the rootSentinel", c.name, c.dir)
			}
			uf.Close()
		}
		if of != nil {
			of.Close()
		}
		if uErr == nil || rootLeafErr(uErr).Error() != "path escapes from parent" {
			t.Errorf("Open(%q) in %s = %v, want an escape", c.name, c.dir, uErr)
		}
		if want, got := rootOutcome("", oErr), rootOutcome("", uErr); want != got {
			t.Errorf("Open(%q) in %s:\n os:   %v\n ours: %v", c.name, c.dir, want, got)
		}
		if _, err := r.Stat(c.name); err == nil {
			t.Errorf("Stat(%q) in %s succeeded", c.name, c.dir)
		}
		_, oErr = osRoot.Stat(c.name)
		_, uErr = r.Stat(c.name)
		if want, got := rootOutcome("", oErr), rootOutcome("", uErr); want != got {
			t.Errorf("Stat(%q) in %s:\n os:   %v\n ours: %v", c.name, c.dir, want, got)
		}
		osRoot.Close()
		r.Close()
	}
}

// TestRootProcFiles reads files of size zero that are not empty, and
// follows /proc/self, an ordinary relative symbolic link, which stays inside.
func TestRootProcFiles(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skipf("no /proc: %v", err)
	}
	r, err := uringfs.OpenRoot("/proc")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	data, err := r.ReadFile("self/status")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "Pid:\t"+strconv.Itoa(os.Getpid())+"\n") {
		t.Errorf("ReadFile(self/status) does not name this process:\n%s", data)
	}
}

// TestRootFS runs testing/fstest over Root.FS and compares the FS methods'
// errors with os.Root.FS's.
func TestRootFS(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"a.txt": "a", "d/b.txt": "bb", "d/e/c.txt": "ccc", "d/e/f/g.txt": "gggg", "empty.txt": "",
	}
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "emptydir"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("d/b.txt", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	r, err := uringfs.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	fsys := r.FS()
	if err := fstest.TestFS(fsys, "a.txt", "d/b.txt", "d/e/c.txt", "d/e/f/g.txt", "empty.txt", "emptydir", "link"); err != nil {
		t.Fatal(err)
	}

	osRoot, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer osRoot.Close()
	ofs := osRoot.FS()
	for _, name := range []string{"a.txt", "d", "link", "missing", "../x", "/a.txt", "d/../a.txt", "", ".", "d/"} {
		_, oErr := ofs.Open(name)
		_, uErr := fsys.Open(name)
		check := func(what string, oErr, uErr error) {
			if want, got := rootOutcome("", oErr), rootOutcome("", uErr); want != got {
				t.Errorf("FS %s(%q):\n os:   %v\n ours: %v", what, name, want, got)
			}
		}
		check("Open", oErr, uErr)
		_, oErr = fs.Stat(ofs, name)
		_, uErr = fs.Stat(fsys, name)
		check("Stat", oErr, uErr)
		_, oErr = fs.Lstat(ofs, name)
		_, uErr = fs.Lstat(fsys, name)
		check("Lstat", oErr, uErr)
		oData, oErr := fs.ReadFile(ofs, name)
		uData, uErr := fs.ReadFile(fsys, name)
		check("ReadFile", oErr, uErr)
		if string(oData) != string(uData) {
			t.Errorf("FS ReadFile(%q) = %q, os %q", name, uData, oData)
		}
		oEnts, oErr := fs.ReadDir(ofs, name)
		uEnts, uErr := fs.ReadDir(fsys, name)
		check("ReadDir", oErr, uErr)
		if len(oEnts) != len(uEnts) {
			t.Errorf("FS ReadDir(%q) has %d entries, os %d", name, len(uEnts), len(oEnts))
		}
		oLink, oErr := fs.ReadLink(ofs, name)
		uLink, uErr := fs.ReadLink(fsys, name)
		check("ReadLink", oErr, uErr)
		if oLink != uLink {
			t.Errorf("FS ReadLink(%q) = %q, os %q", name, uLink, oLink)
		}
	}
	if f, err := fsys.Open("missing"); f != nil || err == nil {
		t.Errorf("Open(missing) = %v, %v: want a nil fs.File and an error", f, err)
	}
}

// TestRootOpenedFiles checks what files opened through a Root are: their
// names, O_APPEND handling, and directory reading relative to the Root.
func TestRootOpenedFiles(t *testing.T) {
	dir := rootMakeTree(t)
	r, err := uringfs.OpenRoot(dir + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	osRoot, err := os.OpenRoot(dir + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer osRoot.Close()
	uf, err := r.OpenFile("dir/f1", os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	of, err := osRoot.OpenFile("dir/f1", os.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer of.Close()
	if uf.Name() != of.Name() {
		t.Errorf("Name() = %q, os %q", uf.Name(), of.Name())
	}
	if _, err := uf.WriteAt([]byte("x"), 0); err == nil {
		t.Errorf("WriteAt on an O_APPEND file from a Root succeeded")
	}
	if _, err := uf.Write([]byte("+")); err != nil {
		t.Fatal(err)
	}
	uf.Close()
	if data, _ := os.ReadFile(filepath.Join(dir, "dir/f1")); string(data) != "f1 data+" {
		t.Errorf("after append: %q", data)
	}

	d, err := r.Open("dir")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ents, err := d.ReadDir(-1)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s %v", e.Name(), fi.Mode().Type()))
	}
	slices.Sort(got)
	want := []string{"f1 ----------", "link_parent L---------", "link_sib L---------", "link_up2 L---------", "sub d---------"}
	if !slices.Equal(got, want) {
		t.Errorf("ReadDir through a Root = %q, want %q", got, want)
	}
}

// TestRootConcurrentClose closes a Root while other goroutines use it:
// every call either works or fails with os.ErrClosed.
func TestRootConcurrentClose(t *testing.T) {
	dir := rootMakeTree(t)
	r, err := uringfs.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				data, err := r.ReadFile("dir/f1")
				if err != nil && !errors.Is(err, fs.ErrClosed) {
					t.Errorf("ReadFile: %v", err)
					return
				}
				if err == nil && string(data) != "f1 data" {
					t.Errorf("ReadFile = %q", data)
				}
			}
		}()
	}
	runtime.Gosched()
	r.Close()
	wg.Wait()
	if _, err := r.Stat("file"); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("Stat after Close: %v, want os.ErrClosed", err)
	}
}
