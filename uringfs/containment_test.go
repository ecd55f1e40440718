//go:build linux

package uringfs_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/uringfs/uring/internal/testkit"
	"github.com/uringfs/uring/uringfs"
)

// TestRootFSTOCTOU complements TestRootTOCTOU (root_test.go), which swaps a
// directory under the Root's own methods: here the swaps happen under
// Root.FS() (ReadFile, ReadDir, Stat, a whole WalkDir), under a sub-Root
// opened from the Root, and in the middle of a symbolic-link chain, whose
// second link is repointed outside while goroutines resolve the first.
// Nothing may ever read a byte of, or list a name from, the directory
// outside.
func TestRootFSTOCTOU(t *testing.T) {
	testkit.Deadline(t, hangDeadline)
	base := rootTempDir(t)
	rootDir := filepath.Join(base, "root")
	out := filepath.Join(base, "outside")
	for _, d := range []string{rootDir, filepath.Join(rootDir, "d"), filepath.Join(rootDir, "d", "sub"), out, filepath.Join(out, "sub")} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for p, data := range map[string]string{
		filepath.Join(rootDir, "d", "f"):                 "inside",
		filepath.Join(rootDir, "d", "sub", "g"):          "inside too",
		filepath.Join(out, "f"):                          rootSentinel,
		filepath.Join(out, "sub", "g"):                   rootSentinel,
		filepath.Join(out, "sub", "secret-name-outside"): rootSentinel,
	} {
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for link, target := range map[string]string{"chain1": "chain2", "chain2": "d"} {
		if err := os.Symlink(target, filepath.Join(rootDir, link)); err != nil {
			t.Fatal(err)
		}
	}
	r, err := uringfs.OpenRoot(rootDir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	sub, err := r.OpenRoot("d")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	fsys := r.FS()

	const swaps = 50
	var done atomic.Bool
	var attempts, reads atomic.Int64
	settle := func() {
		for target := attempts.Load() + 4; attempts.Load() < target && !t.Failed(); {
			runtime.Gosched()
		}
	}
	leaked := func(what, got string) {
		if strings.Contains(got, rootSentinel) || strings.Contains(got, "secret-name-outside") {
			t.Errorf("%s reached outside the root: %q", what, got)
		}
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer done.Store(true)
		d, moved := filepath.Join(rootDir, "d"), filepath.Join(rootDir, "d.moved")
		chain2 := filepath.Join(rootDir, "chain2")
		outs := []string{"../outside", out}
		for i := 0; i < swaps && !t.Failed(); i++ {
			// The directory becomes a link outside, and back.
			must(t, os.Rename(d, moved))
			must(t, os.Symlink(outs[i%2], d))
			settle()
			must(t, os.Remove(d))
			must(t, os.Rename(moved, d))
			settle()
			// The middle of the chain points outside, and back.
			must(t, os.Remove(chain2))
			must(t, os.Symlink(outs[i%2], chain2))
			settle()
			must(t, os.Remove(chain2))
			must(t, os.Symlink("d", chain2))
			settle()
		}
	}()
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !done.Load(); i++ {
				attempts.Add(1)
				switch (w + i) % 7 {
				case 0:
					data, err := fs.ReadFile(fsys, "d/f")
					leaked("FS ReadFile(d/f)", string(data))
					if err == nil {
						reads.Add(1)
					}
				case 1:
					data, _ := fs.ReadFile(fsys, "chain1/sub/g")
					leaked("FS ReadFile(chain1/sub/g)", string(data))
				case 2:
					ents, _ := fs.ReadDir(fsys, "d/sub")
					for _, e := range ents {
						leaked("FS ReadDir(d/sub)", e.Name())
					}
				case 3:
					fs.WalkDir(fsys, ".", func(p string, e fs.DirEntry, err error) error {
						leaked("WalkDir", p)
						if err == nil && e.Type().IsRegular() {
							data, _ := fs.ReadFile(fsys, p)
							leaked("WalkDir ReadFile("+p+")", string(data))
						}
						return nil
					})
				case 4:
					if fi, err := fs.Stat(fsys, "chain1/f"); err == nil && fi.Size() == int64(len(rootSentinel)) {
						t.Errorf("FS Stat(chain1/f) reached the file outside (size %d)", fi.Size())
					}
				case 5:
					// The sub-Root holds the directory itself, wherever it
					// is renamed to: it reads "inside" or nothing.
					data, _ := sub.ReadFile("f")
					leaked("sub-Root ReadFile(f)", string(data))
					data, _ = sub.ReadFile("sub/g")
					leaked("sub-Root ReadFile(sub/g)", string(data))
				case 6:
					if s2, err := r.OpenRoot("chain1"); err == nil {
						data, _ := s2.ReadFile("f")
						leaked("OpenRoot(chain1).ReadFile(f)", string(data))
						s2.Close()
					}
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("%d calls, %d FS reads of d/f succeeded, during %d swaps", attempts.Load(), reads.Load(), swaps)
	if data, err := fs.ReadFile(fsys, "chain1/sub/g"); err != nil || string(data) != "inside too" {
		t.Errorf("after the swaps FS ReadFile(chain1/sub/g) = %q, %v", data, err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Error(err)
	}
}
