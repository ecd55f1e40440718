package testkit_test

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/uringfs/uring/internal/testkit"
)

// buildTree makes the same small tree under a fresh directory each time.
func buildTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "d", "e"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "f"), []byte("hello"), 0o644))
	must(os.WriteFile(filepath.Join(dir, "d", "big"), []byte(strings.Repeat("x", 1000)), 0o600))
	must(os.WriteFile(filepath.Join(dir, "d", "e", "g"), nil, 0o644))
	must(os.Symlink("f", filepath.Join(dir, "rel")))
	must(os.Symlink(filepath.Join(dir, "d"), filepath.Join(dir, "abs")))
	return dir
}

func TestSnapshotSameTreeEqual(t *testing.T) {
	a, b := buildTree(t), buildTree(t)
	ta, tb := testkit.Snapshot(a, nil), testkit.Snapshot(b, nil)
	if d := ta.Diff(tb, "a", "b"); d != "" || !ta.Equal(tb) {
		t.Errorf("identical trees differ:\n%s", d)
	}
	want := []string{
		". drwx",
		"abs Lrwxrwxrwx -> $ROOT/d",
		"d drwxr-xr-x",
		"d/big -rw------- size=1000 sha256=",
		"d/e drwxr-xr-x",
		"d/e/g -rw-r--r-- size=0 \"\"",
		"f -rw-r--r-- size=5 \"hello\"",
		"rel Lrwxrwxrwx -> f",
	}
	lines := ta.Lines()
	if len(lines) != len(want) {
		t.Fatalf("snapshot:\n%s\nwant %d entries", strings.Join(lines, "\n"), len(want))
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("entry %d = %q, want %q...", i, lines[i], w)
		}
	}
}

// TestSnapshotDiffers changes one thing at a time in a copy of a tree and
// checks that the difference is reported, naming the path and showing both
// sides.
func TestSnapshotDiffers(t *testing.T) {
	for _, c := range []struct {
		name   string
		change func(dir string) error
		want   []string
	}{
		{"content", func(d string) error { return os.WriteFile(filepath.Join(d, "f"), []byte("hellO"), 0o644) },
			[]string{"f:\n\twant: -rw-r--r-- size=5 \"hello\"\n\tgot:  -rw-r--r-- size=5 \"hellO\""}},
		{"big content", func(d string) error {
			return os.WriteFile(filepath.Join(d, "d", "big"), []byte(strings.Repeat("x", 999)+"y"), 0o600)
		}, []string{"d/big:\n\twant: -rw------- size=1000 sha256="}},
		{"size", func(d string) error { return os.Truncate(filepath.Join(d, "f"), 4) }, []string{"size=4"}},
		{"mode", func(d string) error { return os.Chmod(filepath.Join(d, "d"), 0o700) },
			[]string{"d:\n\twant: drwxr-xr-x\n\tgot:  drwx------"}},
		{"link target", func(d string) error {
			os.Remove(filepath.Join(d, "rel"))
			return os.Symlink("d", filepath.Join(d, "rel"))
		}, []string{"rel:\n\twant: Lrwxrwxrwx -> f\n\tgot:  Lrwxrwxrwx -> d"}},
		{"type", func(d string) error {
			os.Remove(filepath.Join(d, "rel"))
			return os.WriteFile(filepath.Join(d, "rel"), []byte("f"), 0o777)
		}, []string{"rel:\n\twant: Lrwxrwxrwx -> f\n\tgot:  -rwxr"}},
		{"extra file", func(d string) error { return os.WriteFile(filepath.Join(d, "d", "stray"), nil, 0o644) },
			[]string{"d/stray:\n\twant: (missing)\n\tgot:  -rw-r--r-- size=0"}},
		{"missing file", func(d string) error { return os.Remove(filepath.Join(d, "d", "e", "g")) },
			[]string{"d/e/g:\n\twant: -rw-r--r-- size=0 \"\"\n\tgot:  (missing)"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			a, b := buildTree(t), buildTree(t)
			if err := c.change(b); err != nil {
				t.Fatal(err)
			}
			ta, tb := testkit.Snapshot(a, nil), testkit.Snapshot(b, nil)
			d := ta.Diff(tb, "want", "got")
			if d == "" || ta.Equal(tb) {
				t.Fatal("difference not reported")
			}
			for _, w := range c.want {
				if !strings.Contains(d, w) {
					t.Errorf("diff:\n%s\nlacks %q", d, w)
				}
			}
			if n := strings.Count(d, "\n\twant:"); n != 1 {
				t.Errorf("diff names %d paths, want 1:\n%s", n, d)
			}
		})
	}
}

func TestSnapshotOptions(t *testing.T) {
	dir := buildTree(t)
	fixed := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	if err := os.Chtimes(filepath.Join(dir, "f"), fixed, fixed); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(filepath.Join(dir, "f"), filepath.Join(dir, "hard")); err != nil {
		t.Fatal(err)
	}
	tr := testkit.Snapshot(dir, &testkit.SnapshotOptions{
		Owner:     true,
		Nlink:     true,
		ModTimeIs: fixed,
		Aliases:   map[string]string{filepath.Dir(dir): "$PARENT"},
		Omit:      func(rel string) bool { return rel == "d/e" },
		Opaque:    func(rel string) bool { return rel == "d" },
		Volatile:  func(rel string) bool { return rel == "hard" },
	})
	got := strings.Join(tr.Lines(), "\n")
	t.Logf("snapshot:\n%s", got)
	for _, bad := range []string{"d/e", "d/big"} {
		if strings.Contains(got, bad) {
			t.Errorf("snapshot shows %s, which the options leave out", bad)
		}
	}
	wants := []string{"\nd drwxr-xr-x", "fixedmtime=true", "fixedmtime=false", "hard -rw-r--r-- size=5 (content not compared)", "-> $ROOT/d"}
	if runtime.GOOS != "windows" && runtime.GOOS != "plan9" {
		wants = append(wants, "uid=", "nlink=2")
	}
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("snapshot lacks %q", w)
		}
	}
}

// TestSnapshotRecordsErrors checks that what cannot be read is part of the
// snapshot instead of a failure: a missing root here.
func TestSnapshotRecordsErrors(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "gone")
	tr := testkit.Snapshot(dir, nil)
	if len(tr.Entries) != 1 || tr.Entries[0].Path != "." || !strings.Contains(tr.Entries[0].Err, "$ROOT") {
		t.Errorf("snapshot of a missing root: %q", tr.Lines())
	}
	if tr.Equal(testkit.Snapshot(t.TempDir(), nil)) {
		t.Error("a missing root equals an empty directory")
	}
}
