package p

import (
	"os"
	"path/filepath"
	"testing"
)

func TestCreate(t *testing.T) {
	name := filepath.Join(t.TempDir(), "x")
	f, err := create(name)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := os.Stat(name); err != nil {
		t.Fatal(err)
	}
}
