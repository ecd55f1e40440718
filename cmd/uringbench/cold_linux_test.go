package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestCacheControl checks the calls randread-cold stands on: a file just
// written and read is in the page cache, and after dropCache it is not, as
// cachestat and mincore see it.
func TestCacheControl(t *testing.T) {
	dir := t.TempDir()
	if fsType(dir) == "tmpfs" {
		t.Skip("tmpfs keeps its pages whatever one advises")
	}
	name := filepath.Join(dir, "f")
	const size = 1 << 20
	b := &bench{prog: newProgress(os.Stderr, true)}
	if err := b.writeFile(name, size); err != nil {
		t.Fatal(err)
	}
	if _, err := os.ReadFile(name); err != nil {
		t.Fatal(err)
	}
	for _, share := range []func(string, int64) (float64, error){cachedShare, mincoreShare} {
		if c, err := share(name, size); err != nil || c < 0.99 {
			t.Fatalf("after a read: cached share %v, %v; want all", c, err)
		}
	}
	if err := dropCache(name); err != nil {
		t.Fatal(err)
	}
	for _, share := range []func(string, int64) (float64, error){cachedShare, mincoreShare} {
		if c, err := share(name, size); err != nil || c > 0.01 {
			t.Errorf("after the drop: cached share %v, %v; want none", c, err)
		}
	}
	// Half the file read back is half cached, both ways.
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.ReadAt(make([]byte, size/2), 0)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	c1, err1 := cachedShare(name, size)
	c2, err2 := mincoreShare(name, size)
	if err1 != nil || err2 != nil || c1 != c2 || c1 < 0.5 {
		t.Errorf("half read: cachedShare %v, %v; mincoreShare %v, %v", c1, err1, c2, err2)
	}
	// The keeper drops at once and measures at its end.
	os.ReadFile(name)
	k := keepCold(name, size/2)
	peak, err := k.end()
	if err != nil || peak < 0 || peak > 100 {
		t.Errorf("keeper: peak %v%%, %v", peak, err)
	}
	if _, err := cachedShare(filepath.Join(dir, "none"), size); err == nil {
		t.Errorf("cachedShare of a missing file: no error")
	}
}
