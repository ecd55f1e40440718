package p

import (
	"path/filepath"
	"testing"

	"github.com/uringfs/uring/uringfs"
)

func TestCreate(t *testing.T) {
	name := filepath.Join(t.TempDir(), "x")
	f, err := create(name)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := uringfs.Stat(name); err != nil {
		t.Fatal(err)
	}
}
