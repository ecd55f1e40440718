package uringfs_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/uringfs/uring/uringfs"
)

// TestCountersDocumented: Counters is a struct declared in this package (so
// that go doc shows its fields), and every field has a doc comment of its
// own saying what it counts.
func TestCountersDocumented(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "counters.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	var st *ast.StructType
	ast.Inspect(f, func(n ast.Node) bool {
		if ts, ok := n.(*ast.TypeSpec); ok && ts.Name.Name == "Counters" {
			if ts.Assign.IsValid() {
				t.Fatalf("Counters is an alias: go doc would not show its fields")
			}
			st, _ = ts.Type.(*ast.StructType)
		}
		return st == nil
	})
	if st == nil {
		t.Fatal("no struct type Counters in counters.go")
	}
	for _, field := range st.Fields.List {
		var names []string
		for _, n := range field.Names {
			names = append(names, n.Name)
		}
		if len(names) != 1 {
			t.Errorf("fields %v share one declaration: each needs its own doc comment", names)
			continue
		}
		doc := strings.TrimSpace(field.Doc.Text())
		if !strings.HasPrefix(doc, names[0]+" ") || len(strings.Fields(doc)) < 8 {
			t.Errorf("field %s: doc comment %q does not say what it counts", names[0], doc)
		}
	}
}

// TestLoopCountersCount: the counts LoopCounters returns follow the work
// done through uringfs, on whichever backend runs, and are zero where there
// is no loop.
func TestLoopCountersCount(t *testing.T) {
	const n = 8
	f, err := uringfs.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(make([]byte, 4096)); err != nil {
		t.Fatal(err)
	}
	c0 := uringfs.LoopCounters()
	for range n {
		if err := f.Sync(); err != nil {
			t.Fatal(err)
		}
	}
	c1 := uringfs.LoopCounters()
	buf := make([]byte, 512)
	for i := range n {
		if _, err := f.ReadAt(buf, int64(i)*512); err != nil {
			t.Fatal(err)
		}
	}
	c2 := uringfs.LoopCounters()

	if runtime.GOOS != "linux" {
		if c2 != (uringfs.Counters{}) {
			t.Errorf("counters on %s, where no loop runs: %+v", runtime.GOOS, c2)
		}
		return
	}
	backend, err := uringfs.Backend()
	if err != nil {
		t.Fatal(err)
	}
	// Other tests may run at the same time: the counts can only be larger.
	if d := c1.Ops - c0.Ops; d < n {
		t.Errorf("%d Syncs: Ops grew by %d", n, d)
	}
	if backend == "uring" {
		if d := c1.SQEs - c0.SQEs; d < n {
			t.Errorf("%d Syncs on io_uring: SQEs grew by %d", n, d)
		}
		if c1.Enters == c0.Enters {
			t.Errorf("%d Syncs on io_uring: no io_uring_enter counted", n)
		}
		if d := (c1.Inline + c1.Parks) - (c0.Inline + c0.Parks); d < n {
			t.Errorf("%d Syncs on io_uring: Inline+Parks grew by %d", n, d)
		}
	}
	// A read is answered on the caller from the page cache (NowaitHits,
	// CachedReads) or goes through the loop (Ops).
	if d := (c2.Ops + c2.NowaitHits + c2.CachedReads) - (c1.Ops + c1.NowaitHits + c1.CachedReads); d < n {
		t.Errorf("%d ReadAts on the %s backend: Ops+NowaitHits+CachedReads grew by %d", n, backend, d)
	}
	t.Logf("%s backend, %d Syncs then %d ReadAts: %+v", backend, n, n, c2)
}
